"""Benchmark: planning reminders for a province-sized roster, and dispatching them within Telegram's limits.

    .venv/bin/python benchmarks/bench_dispatch.py                       # 400,000 cadres planned, 2,000 dispatched
    .venv/bin/python benchmarks/bench_dispatch.py --plan-cadres 50000 --send-cadres 600

Targets (issue 6): send rate ≥ 95% of Telegram's 30 messages a second; 0 answers 429; 0 duplicates; 0 losses.
Dispatch goes through the real Telegram adapter (python-telegram-bot, base_url pointed at a fake Bot API on
127.0.0.1 that enforces 30 a second overall and 1 a second per chat, answers 429 when either is broken, and
takes 50–250 ms to answer). The fake runs in a process of its own, so its clock is not slowed by the client's.
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import BotApp  # noqa: E402
from bot.clock import FixedClock, parse_moment  # noqa: E402
from bot.config import DatabaseSettings, Settings, TelegramSettings  # noqa: E402
from bot.db import transaction  # noqa: E402
from schedules.dispatch import dispatch  # noqa: E402
from schedules.plan import plan  # noqa: E402
from tests.fakes.limited_bot_api import OVERALL_PER_SECOND  # noqa: E402
from tests.fakes.telegram_api import TOKEN  # noqa: E402

MOMENT = "2010-05-12T09:00"  # three days before the grassroots deadline: one reminder for every cadre
BRANCH_SIZE = 40


def make_app(folder: Path, base_url: str = "") -> BotApp:
    """A bot on a fresh database in folder, Telegram pointed at base_url, clock fixed at MOMENT."""
    settings = Settings(database=DatabaseSettings(path=str(folder / "bench.db")),
                        telegram=TelegramSettings(enabled=bool(base_url), token=TOKEN, base_url=base_url))
    return BotApp.create(settings, FixedClock(parse_moment(MOMENT)))


def generate_roster(app: BotApp, cadres: int, with_households: bool) -> None:
    """Eight counties with village branches of BRANCH_SIZE cadres, each bound to a Telegram chat (and one household)."""
    branches = (cadres + BRANCH_SIZE - 1) // BRANCH_SIZE
    units = [("U00", "州委创先争优活动办公室", None, "活动办")]
    units += [(f"U{c:02d}", f"第{c}县委", "U00", "县市委") for c in range(1, 9)]
    units += [(f"B{b:06d}", f"第{b}村党支部", f"U{b % 8 + 1:02d}", "基层党组织") for b in range(branches)]
    rows = [(f"G{i:07d}", f"干部{i}", f"B{i // BRANCH_SIZE:06d}", "干部") for i in range(cadres)]
    bound = "2010-05-01T00:00:00+00:00"
    with transaction(app.db):
        app.db.conn.executemany("INSERT INTO units (id, name, parent_id, kind) VALUES (?, ?, ?, ?)", units)
        app.db.conn.executemany("INSERT INTO cadres (id, name, unit_id, role) VALUES (?, ?, ?, ?)", rows)
        app.db.conn.executemany(
            "INSERT INTO bindings (channel, chat_id, user_id, cadre_id, bound_at) VALUES ('telegram', ?, ?, ?, ?)",
            ((str(10_000_000 + i), str(10_000_000 + i), f"G{i:07d}", bound) for i in range(cadres)))
        if with_households:
            app.db.conn.executemany("INSERT INTO households (id, head_name, village) VALUES (?, ?, ?)",
                                    ((f"H{i:07d}", f"户主{i}", f"第{i // 200}村") for i in range(cadres)))
            app.db.conn.executemany(
                "INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES (?, '干部联户', ?, ?)",
                ((f"干部联户|G{i:07d}|H{i:07d}", f"G{i:07d}", f"H{i:07d}") for i in range(cadres)))


def bench_planning(cadres: int) -> None:
    """Prints how long planning deadline and visit reminders for `cadres` cadres takes."""
    with tempfile.TemporaryDirectory() as folder:
        app = make_app(Path(folder))
        started = time.perf_counter()
        generate_roster(app, cadres, with_households=True)
        print(f"roster of {cadres:,} cadres, households and bindings generated in {time.perf_counter() - started:.1f} s")
        now = app.clock.now()
        for kind in ("deadline", "visit"):
            started = time.perf_counter()
            report = plan(app, now, kinds=(kind,))
            took = time.perf_counter() - started
            print(f"planning {kind} reminders: {report.total:,} rows in {took:.1f} s ({report.total / took:,.0f} rows/s)")
        started = time.perf_counter()
        again = plan(app, now)
        print(f"planning again (nothing new, as every hour): {again.total} rows in {time.perf_counter() - started:.1f} s")
        started = time.perf_counter()
        plan(app, now, only_new=True, kinds=("deadline",))
        print(f"the dispatch tick's check for new deadline reminders: {time.perf_counter() - started:.3f} s")
        app.db.close()


class FakeServer:
    """The limited fake Bot API in a process of its own, so that its clock and the client's do not share a GIL."""

    def __init__(self, latency: float | None = None):
        self.latency = latency  # seconds every send takes to answer; None: the fake's 50-250 ms

    def __enter__(self) -> FakeServer:
        latency = [] if self.latency is None else [str(self.latency)]
        self.process = subprocess.Popen([sys.executable, "-m", "tests.fakes.limited_bot_api", *latency], cwd=ROOT,
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.base_url = self.process.stdout.readline().strip()
        return self

    def stats(self) -> dict:
        """What the server saw: accepted sends' arrival times, messages per chat, 429 answers."""
        return httpx.get(self.base_url.removesuffix("/bot") + "/stats", timeout=30).json()

    def __exit__(self, *exc) -> None:
        self.process.stdin.close()
        self.process.wait(10)


async def send_all(app: BotApp) -> tuple[int, float]:
    """Dispatches until nothing is left to retry; returns the dispatch runs and the seconds they took."""
    from bot.channels.telegram.adapter import TelegramChannel  # the real adapter; only it imports telegram

    channel = TelegramChannel(app)
    await channel.application.initialize()
    app.senders["telegram"] = channel
    started, runs = time.perf_counter(), 0
    try:
        while True:
            runs += 1
            await dispatch(app, app.clock.now())
            retry = app.db.execute("SELECT MIN(next_attempt_at) FROM deliveries WHERE status = 'pending'").fetchone()[0]
            if retry is None or runs > 10:
                break
            app.clock.set(parse_moment(retry))  # the dispatcher's next tick, once the platform's wait is over
    finally:
        await channel.application.shutdown()
    return runs, time.perf_counter() - started


def bench_dispatch(cadres: int) -> None:
    """Prints the send rate held against the limited fake, its 429 answers, duplicates and losses."""
    with tempfile.TemporaryDirectory() as folder, FakeServer() as fake:
        app = make_app(Path(folder), fake.base_url)
        generate_roster(app, cadres, with_households=False)
        planned = plan(app, app.clock.now(), kinds=("deadline",)).total
        runs, took = asyncio.run(send_all(app))
        seen = fake.stats()
        arrivals = sorted(seen["arrivals"])
        rate = (len(arrivals) - 1) / (arrivals[-1] - arrivals[0]) if len(arrivals) > 1 else 0.0
        chats = {row[0] for row in app.db.execute("SELECT chat_id FROM deliveries")}
        not_sent = app.db.execute("SELECT COUNT(*) FROM deliveries WHERE status != 'sent'").fetchone()[0]
        duplicates = sum(count - 1 for count in seen["delivered"].values() if count > 1)
        lost = len(chats - set(seen["delivered"])) + not_sent
        print(f"dispatched {planned:,} reminders through the real Telegram adapter in {took:.1f} s ({runs} run(s))")
        print(f"send rate {rate:.2f}/s = {rate / OVERALL_PER_SECOND:.1%} of the allowed {OVERALL_PER_SECOND}/s "
              f"(target ≥ 95%)")
        print(f"429 answers received: {seen['refused']} (target 0)")
        print(f"duplicates: {duplicates} (target 0); losses: {lost} (target 0)")
        app.db.close()


def main() -> None:
    """Runs both parts and prints their figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plan-cadres", type=int, default=400_000)
    parser.add_argument("--send-cadres", type=int, default=2_000)
    args = parser.parse_args()
    bench_planning(args.plan_cadres)
    bench_dispatch(args.send_cadres)


if __name__ == "__main__":
    main()
