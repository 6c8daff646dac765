"""Benchmark: console page latency over a generated roster with visits, for the office and for a county administrator.

    .venv/bin/python benchmarks/bench_console.py --scale 0.1   # 1,400 units, 40,000 cadres, 100,000 households
    .venv/bin/python benchmarks/bench_console.py --scale 1     # province size (slow to build)

Targets (issue 13): each page p95 ≤ 300 ms for the office, ≤ 100 ms for a county administrator. Requests go through
the real ASGI app (httpx, in process), so the figure is the server's time without the network.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bot.app import BotApp  # noqa: E402
from bot.clock import FixedClock, parse_moment  # noqa: E402
from bot.config import DatabaseSettings, Settings  # noqa: E402
from bot.console.auth import issue_login_link, open_session  # noqa: E402
from bot.roster import import_roster  # noqa: E402
from bot.web import build_web_app  # noqa: E402
from benchmarks.bench_roster import generate  # noqa: E402

NOW = "2010-09-01T10:00"
VISITS_PER_HOUSEHOLD = 2


def build(folder: Path, scale: float) -> BotApp:
    """A database with the generated roster, two visits a household, an office and a county administrator."""
    generate(folder, scale)
    app = BotApp.create(Settings(database=DatabaseSettings(path=str(folder / "bench.db"))),
                        FixedClock(parse_moment(NOW)))
    import_roster(app.db, folder)
    rng = random.Random(13)
    start = parse_moment("2010-04-01T09:00")
    span = (app.clock.now() - start).total_seconds()
    app.db.conn.execute("BEGIN")
    app.db.conn.executemany(
        "INSERT INTO visits (cadre_id, household_id, reported_at, visited_at) VALUES (?, ?, ?, ?)",
        ((c, h, t, t) for c, h in app.db.execute("SELECT cadre_id, household_id FROM pairings WHERE household_id "
                                                  "IS NOT NULL").fetchall()
         for t in [(start + timedelta(seconds=rng.random() * span)).isoformat() for _ in range(VISITS_PER_HOUSEHOLD)]))
    app.db.execute("UPDATE cadres SET role = '活动办管理员', unit_id = 'U00000' WHERE id = 'G0000000'")
    app.db.execute("UPDATE cadres SET role = '单位管理员', unit_id = 'U00001' WHERE id = 'G0000001'")
    app.db.conn.execute("COMMIT")
    app.db.execute("ANALYZE")
    return app


async def page_times(app: BotApp, cadre_id: str, paths: list[str], rounds: int) -> dict[str, list[float]]:
    """Milliseconds per request of each path for one administrator's session."""
    link = issue_login_link(app.db, app.settings, cadre_id, app.clock.now())
    cookie, _ = open_session(app.db, link.url.split("?t=")[1], "bench", app.clock.now())
    times: dict[str, list[float]] = {p: [] for p in paths}
    transport = httpx.ASGITransport(app=build_web_app(app, []))
    async with httpx.AsyncClient(transport=transport, base_url="http://bench",
                                 cookies={"campaign_console": cookie}) as client:
        for _ in range(rounds):
            for path in paths:
                started = time.perf_counter()
                response = await client.get(path)
                times[path].append((time.perf_counter() - started) * 1000)
                assert response.status_code == 200, (path, response.status_code)
    return times


def report(who: str, times: dict[str, list[float]]) -> None:
    for path, values in times.items():
        values.sort()
        p95 = values[min(len(values) - 1, int(len(values) * 0.95))]
        print(f"{who:6} {path:32} p50 {statistics.median(values):7.1f} ms   p95 {p95:7.1f} ms   ({len(values)} requests)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=0.1)
    parser.add_argument("--rounds", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        app = build(Path(tmp), args.scale)
        counts = [app.db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]
                  for table in ("units", "cadres", "households", "visits")]
        print("built in %.0f s: %d units, %d cadres, %d households, %d visits"
              % (time.perf_counter() - started, *counts))
        common = ["/console/reminders", "/console/export"]
        report("office", asyncio.run(page_times(app, "G0000000", ["/console/", "/console/units/U00000",
                                                                   "/console/units/U00001", *common], args.rounds)))
        report("county", asyncio.run(page_times(app, "G0000001", ["/console/", "/console/units/U00001", *common],
                                                args.rounds)))


if __name__ == "__main__":
    main()
