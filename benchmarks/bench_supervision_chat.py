"""Benchmark: administrators' supervision end to end through the router, at province scale.

    .venv/bin/python benchmarks/bench_supervision_chat.py                # 400,000 cadres, 1,000,000 households,
                                                                          # 2,000,000 visits (minutes to build)
    .venv/bin/python benchmarks/bench_supervision_chat.py --scale 0.1    # a tenth
    .venv/bin/python benchmarks/bench_supervision_chat.py --keep /tmp/sv # keep the database and reuse it

Targets (issue 12): "进度" and "谁没走访" answered through bot.router.answer (context, rules, the answer engine's
reading, the handler, its store queries) for the office p99 ≤ 200 ms and for a county p99 ≤ 50 ms; a notice to
400,000 cadres confirmed and planned as delivery rows in ≤ 10 s. The roster is bench_supervision.py's; 80% of the
cadres are bound (the rest are recorded 未绑定).
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.bench_supervision import COUNTIES, NOW, build, timed  # noqa: E402

from bot.app import BotApp  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import DatabaseSettings, PhotoSettings, Settings  # noqa: E402
from bot.db import open_db, transaction  # noqa: E402
from bot.messages import Incoming  # noqa: E402
from bot.notices import draft_notice  # noqa: E402
from bot.router import answer  # noqa: E402
from bot.store.scopes import scope_of  # noqa: E402
from bot.store.supervision import confirm_notice  # noqa: E402
from handlers import ROUTES  # noqa: E402
from schedules.plan import plan  # noqa: E402

BOUND_SHARE = 0.8


def bind_everyone(db, rng: random.Random) -> None:
    """Binds the administrators and 80% of the cadres to console chats named by their ids."""
    ids = [r[0] for r in db.execute("SELECT id FROM cadres")]
    chosen = [c for c in ids if not c.startswith("G") or rng.random() < BOUND_SHARE]
    with transaction(db):
        db.conn.executemany("INSERT OR IGNORE INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at) "
                            "VALUES ('console', ?, ?, ?, 1, ?)", [(c, c, c, NOW.isoformat()) for c in chosen])
    print(f"bound {len(chosen):,} of {len(ids):,} cadres")


def measure(app: BotApp, runs: int) -> None:
    """Times 进度 and 谁没走访 through the router for the office and the counties' administrators."""
    loop = asyncio.new_event_loop()
    counties = [f"AU{i:05d}" for i in range(1, COUNTIES + 1)]

    def ask(chat_id: str, text: str) -> str:
        replies = loop.run_until_complete(answer(app, Incoming("console", chat_id, chat_id, NOW, text=text)))
        assert replies and "仅限" not in replies[0].text, replies
        return replies[0].text

    for chat_id, text in (("OFFICE", "进度"), ("OFFICE", "谁没走访"), (counties[0], "谁没走访")):
        reply = ask(chat_id, text).splitlines()
        print(f"{chat_id} {text}: {reply[0]} / {reply[1] if len(reply) > 1 else ''} ({len(reply)} lines)")
    for name, pick, n in (("office", lambda i: "OFFICE", max(runs // 4, 5)),
                          ("county", lambda i: counties[i % len(counties)], runs)):
        timed(f"进度 through the router, {name}", n, lambda i: ask(pick(i), "进度"))
        timed(f"谁没走访 through the router, {name}", n, lambda i: ask(pick(i), "谁没走访"))
    loop.close()


def plan_notice(app: BotApp) -> None:
    """Confirms a notice from the office to everyone and plans its delivery rows; prints the time of each part.
    The notices of an earlier run on a kept database are removed first, so every run starts alike."""
    with transaction(app.db):
        for sql in ("DELETE FROM deliveries WHERE kind = 'notice'", "DELETE FROM notice_receipts",
                    "DELETE FROM notices"):
            app.db.execute(sql)
    app.db.execute("VACUUM")
    started = time.perf_counter()
    draft = draft_notice(app.db, scope_of(app.db, "OFFICE"), "请各单位于本周五前上报走访情况。", False, NOW)
    drafted = time.perf_counter()
    recipients = confirm_notice(app.db, draft.notice_id, NOW)
    confirmed = time.perf_counter()
    report = plan(app, NOW, kinds=("notice",))
    planned = time.perf_counter()
    unbound = app.db.execute("SELECT COUNT(*) FROM notice_receipts WHERE notice_id = ? AND status = 'undeliverable'",
                             (draft.notice_id,)).fetchone()[0]
    print(f"notice to {recipients:,} cadres ({unbound:,} 未绑定): draft (with the count) {drafted - started:.2f} s, "
          f"confirm (receipts) {confirmed - drafted:.2f} s, plan ({report.total:,} delivery rows) "
          f"{planned - confirmed:.2f} s; confirm + plan {planned - drafted:.2f} s (target ≤ 10 s)")


def main() -> None:
    """Builds (or reuses) the database, then prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=200, help="runs per county command (a quarter for the office)")
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_supervision_chat_") as tmp:
        path = Path(args.keep or tmp) / f"supervision-chat-{args.scale}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists():
            db = open_db(path)
            build(db, args.scale, random.Random(12))
            bind_everyone(db, random.Random(13))
            db.close()
        settings = Settings(database=DatabaseSettings(path=str(path)), photos=PhotoSettings(dir=str(Path(tmp) / "p")))
        app = BotApp.create(settings, FixedClock(NOW), routes=ROUTES)
        measure(app, args.runs)
        plan_notice(app)
        app.db.close()


if __name__ == "__main__":
    main()
