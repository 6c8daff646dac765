"""Benchmark: console page latency at province scale, for the office and for a county administrator.

    .venv/bin/python benchmarks/bench_console.py                      # 400,000 cadres, 1,000,000 households,
                                                                      # 2,000,000 visits (several minutes to build)
    .venv/bin/python benchmarks/bench_console.py --scale 0.1          # a tenth
    .venv/bin/python benchmarks/bench_console.py --keep /tmp/console  # keep the database and reuse it next time

Targets (issue 13): each page p95 ≤ 300 ms for the office, ≤ 100 ms for a county administrator; the review grid as
fast on a page deep in 2,000,000 visits as on the first (keyset). The roster is bench_supervision's (8 counties
holding 80% of 14,000 units). Requests go through the real ASGI app (httpx, in process): the server's time without
the network. Counts kept by triggers are rebuilt once after the build, as after a roster import.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from benchmarks.bench_supervision import NOW, build  # noqa: E402
from bot.app import BotApp  # noqa: E402
from bot.clock import FixedClock  # noqa: E402
from bot.config import DatabaseSettings, PhotoSettings, Settings  # noqa: E402
from bot.console.auth import issue_login_link, open_session  # noqa: E402
from bot.console.pagination import encode_cursor  # noqa: E402
from bot.db import open_db  # noqa: E402
from bot.store.console_views import fresh_counts  # noqa: E402
from bot.store.scopes import scope_of  # noqa: E402
from bot.store.supervision import confirm_notice, create_notice  # noqa: E402
from bot.web import build_web_app  # noqa: E402

OFFICE, COUNTY, COUNTY_UNIT = "OFFICE", "AU00001", "U00001"


def branch_admin(app: BotApp) -> str:
    """A cadre of a 党支部 in the county, made its 单位管理员: the smallest scope."""
    return app.db.execute("SELECT c.id FROM cadres c JOIN units u ON u.id = c.unit_id WHERE u.parent_id = ? "
                          "AND c.id LIKE 'G%' ORDER BY c.id LIMIT 1", (COUNTY_UNIT,)).fetchone()[0]


def prepare(folder: Path, scale: float) -> BotApp:
    """The database (built unless kept from an earlier run), its counts, and a notice from each administrator."""
    path = folder / "bench.db"
    if not path.exists():
        db = open_db(path)
        build(db, scale, random.Random(12))
        db.close()
    app = BotApp.create(Settings(database=DatabaseSettings(path=str(path)),
                                 photos=PhotoSettings(dir=str(folder / "photos"))), FixedClock(NOW))
    started = time.perf_counter()
    fresh_counts(app.db)
    print(f"counts rebuilt (once after a build or an import) in {time.perf_counter() - started:.1f} s")
    app.db.execute("UPDATE cadres SET role = '单位管理员' WHERE id = ?", (branch_admin(app),))
    if app.db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0:
        started = time.perf_counter()
        for cadre in (OFFICE, COUNTY):
            notice = create_notice(app.db, scope_of(app.db, cadre), "请各单位本周五前上报走访小结。", False, app.clock.now())
            confirm_notice(app.db, notice, app.clock.now())
        print(f"two notices confirmed (all cadres, a county) in {time.perf_counter() - started:.1f} s")
    return app


async def page_times(app: BotApp, cadre_id: str, paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per request of each path for one administrator's session (after one warm-up round)."""
    link = issue_login_link(app.db, app.settings, cadre_id, app.clock.now())
    cookie, _ = open_session(app.db, link.url.split("?t=")[1], "bench", app.clock.now())
    times: dict[str, list[float]] = {p: [] for p in paths}
    transport = httpx.ASGITransport(app=build_web_app(app, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                 cookies={"campaign_console": cookie}) as client:
        for round_ in range(rounds + 1):
            for path in paths:
                started = time.perf_counter()
                response = await client.get(path)
                if round_:
                    times[path].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code, response.text[:300])
    return times


def report(who: str, times: dict[str, list[float]]) -> None:
    for path, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{who:6} {path[:60]:60} p50 {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms   "
              f"({len(values)} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--keep", type=Path, default=None, help="folder to keep the database in and reuse")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = args.keep or Path(tmp)
        folder.mkdir(parents=True, exist_ok=True)
        app = prepare(folder, args.scale)
        counts = [app.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("units", "cadres", "households", "visits")]
        print("%d units, %d cadres, %d households, %d visits" % tuple(counts))
        # a cursor a month after the campaign's start: the review grid deep in its 2,000,000 visits
        deep = encode_cursor(["2010-05-01T00:00:00+00:00", 0])
        notices = [r[0] for r in app.db.execute("SELECT id FROM notices ORDER BY id")]
        admin = branch_admin(app)
        branch = app.db.execute("SELECT unit_id FROM cadres WHERE id = ?", (admin,)).fetchone()[0]
        old_visit = app.db.execute("SELECT s.id FROM visit_sessions s JOIN cadres c ON c.id = s.cadre_id "
                                   "WHERE c.unit_id = ? ORDER BY s.started_at LIMIT 1", (branch,)).fetchone()[0]
        common = ["/console/", "/console/reviews", f"/console/reviews?after={deep}", f"/console/reviews/{old_visit}",
                  f"/console/cadres/{admin}",
                  "/console/reviews?state=待审核", "/console/tasks", "/console/notices", "/console/reminders",
                  "/console/export"]
        report("office", asyncio.run(page_times(
            app, OFFICE, [*common, "/console/units/U00000", f"/console/units/{COUNTY_UNIT}",
                          f"/console/notices/{notices[0]}", "/console/audit"], args.rounds)))
        report("county", asyncio.run(page_times(
            app, COUNTY, [*common, f"/console/units/{COUNTY_UNIT}", f"/console/notices/{notices[1]}"], args.rounds)))
        report("branch", asyncio.run(page_times(app, admin, [*common, f"/console/units/{branch}"], args.rounds)))


if __name__ == "__main__":
    main()
