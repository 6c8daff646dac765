"""Benchmark: the scope queries of supervision (bot/store/scopes.py) at province scale.

    .venv/bin/python benchmarks/bench_supervision.py                 # 400,000 cadres, 1,000,000 households,
                                                                      # 2,000,000 visits (several minutes to build)
    .venv/bin/python benchmarks/bench_supervision.py --scale 0.1     # a tenth
    .venv/bin/python benchmarks/bench_supervision.py --keep /tmp/sv  # keep the database and reuse it next time

Targets (issue 12): "进度" and "谁没走访" for the office p99 ≤ 200 ms, for a county p99 ≤ 50 ms. The roster: one
office, 8 counties holding 80% of 14,000 units (so a county is a tenth of the province: 40,000 cadres, 100,000
households), 40 prefecture committees with the rest; each household paired with one cadre and visited 0-4 times
between the campaign's start and now; every visit is its own session (triggers keep pairings.last_visit_at).
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import scopes  # noqa: E402
from bot.db import open_db, transaction  # noqa: E402
from bot.migrations import rebuild_progress_counts  # noqa: E402

FULL = {"units": 14_000, "cadres": 400_000, "households": 1_000_000}
COUNTIES, COMMITTEES = 8, 40
START = date(2010, 4, 1)
NOW = datetime(2010, 9, 1, 2, 0, tzinfo=timezone.utc)
SPAN_DAYS = (NOW.date() - START).days


def build(db, scale: float, rng: random.Random) -> None:
    """Writes units, cadres (an administrator per top unit, one for the office), households, pairings and visits."""
    n_units = int(FULL["units"] * scale)
    n_cadres, n_households = int(FULL["cadres"] * scale), int(FULL["households"] * scale)
    tops = [f"U{i:05d}" for i in range(1, COUNTIES + COMMITTEES + 1)]
    weights = [0.8 / COUNTIES] * COUNTIES + [0.2 / COMMITTEES] * COMMITTEES
    started = time.perf_counter()
    with transaction(db):
        db.execute("INSERT INTO units (id, name, parent_id, kind) VALUES ('U00000', '活动办', NULL, '活动办')")
        db.conn.executemany("INSERT INTO units (id, name, parent_id, kind) VALUES (?, ?, 'U00000', ?)",
                            [(u, f"第{i}号县市委", "县市委" if i < COUNTIES else "州直党(工)委") for i, u in enumerate(tops)])
        grassroots = [f"U{i:05d}" for i in range(len(tops) + 1, n_units)]
        db.conn.executemany("INSERT INTO units (id, name, parent_id, kind) VALUES (?, ?, ?, '基层党组织')",
                            [(u, f"第{u}号党支部", rng.choices(tops, weights)[0]) for u in grassroots])
        db.conn.executemany("INSERT INTO cadres (id, name, unit_id, role) VALUES (?, ?, ?, ?)",
                            [("OFFICE", "活动办管理员", "U00000", "活动办管理员")]
                            + [(f"A{u}", f"{u}管理员", u, "单位管理员") for u in tops]
                            + [(f"G{i:07d}", f"干部{i}", rng.choice(grassroots), "干部") for i in range(n_cadres)])
        db.conn.executemany("INSERT INTO households (id, head_name, village, phone) VALUES (?, ?, ?, ?)",
                            ((f"H{i:07d}", f"户主{i}", f"村{i // 150}", f"139{i:08d}") for i in range(n_households)))
        db.conn.executemany("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES (?, '干部联户', ?, ?)",
                            ((f"干部联户|G{i % n_cadres:07d}|H{i:07d}", f"G{i % n_cadres:07d}", f"H{i:07d}")
                             for i in range(n_households)))
    print(f"roster: {n_units:,} units, {n_cadres:,} cadres, {n_households:,} households and pairings "
          f"in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    visits = 0
    with transaction(db):
        rows = []
        for i in range(n_households):
            for _ in range(i % 5):  # 0-4 visits, two on average
                at = (NOW - timedelta(days=rng.uniform(0, SPAN_DAYS))).isoformat()
                visits += 1
                rows.append((visits, f"G{i % n_cadres:07d}", f"H{i:07d}", at))
            if len(rows) > 50_000:
                _insert_visits(db, rows)
                rows = []
        _insert_visits(db, rows)
    print(f"visits: {visits:,} (one session each) in {time.perf_counter() - started:.0f} s")
    db.execute("ANALYZE")


def _insert_visits(db, rows: list[tuple]) -> None:
    # Sessions first with their visits' ids, so the visits rows need no session lookup (the trigger skips them);
    # the sessions' own trigger keeps pairings.last_visit_at as it does for the bot.
    db.conn.executemany("INSERT INTO visit_sessions (id, cadre_id, household_id, started_at, last_at) "
                        "VALUES (?, ?, ?, ?, ?)", [(v, c, h, at, at) for v, c, h, at in rows])
    db.conn.executemany("INSERT INTO visits (id, cadre_id, household_id, reported_at, visited_at, session_id) "
                        "VALUES (?, ?, ?, ?, ?, ?)", [(v, c, h, at, at, v) for v, c, h, at in rows])


def timed(label: str, runs: int, call) -> None:
    """Runs call() `runs` times (after one warm-up) and prints p50 / p99 / max in ms."""
    call(0)
    times = []
    for n in range(runs):
        started = time.perf_counter()
        call(n)
        times.append(time.perf_counter() - started)
    times.sort()
    p = lambda q: times[min(int(q * len(times)), len(times) - 1)] * 1000  # noqa: E731
    print(f"{label:<44} p50 {p(0.5):8.2f} ms   p99 {p(0.99):8.2f} ms   max {times[-1] * 1000:8.2f} ms "
          f"  mean {statistics.fmean(times) * 1000:8.2f} ms  ({runs} runs)")


def measure(db, runs: int) -> None:
    """Times each scope query for the office and for the counties' administrators."""
    office = scopes.scope_of(db, "OFFICE")
    counties = [scopes.scope_of(db, f"AU{i:05d}") for i in range(1, COUNTIES + 1)]
    sizes = [scopes.count_cadres(db, s) for s in counties]
    print(f"a county holds {min(sizes):,}-{max(sizes):,} cadres; the office {scopes.count_cadres(db, office):,}")
    since = NOW - timedelta(days=7)
    for name, pick, n in (("office", lambda i: office, max(runs // 4, 5)), ("county", lambda i: counties[i % 8], runs)):
        timed(f"进度 (progress_by_unit), {name}", n,
              lambda i: scopes.progress_by_unit(db, pick(i), NOW, 30, START))
        timed(f"谁没走访 page 1 (overdue_households), {name}", n,
              lambda i: scopes.overdue_households(db, pick(i), NOW, 30, START))
        timed(f"谁没走访 page 50, {name}", n,
              lambda i: scopes.overdue_households(db, pick(i), NOW, 30, START, offset=1000))
        timed(f"count_cadres, {name}", n, lambda i: scopes.count_cadres(db, pick(i)))
        timed(f"cadres_in_scope page 1, {name}", n, lambda i: scopes.cadres_in_scope(db, pick(i)))
        timed(f"households_in_scope page 1, {name}", n, lambda i: scopes.households_in_scope(db, pick(i)))
        timed(f"visits_in_scope last 7 days page 1, {name}", n,
              lambda i: scopes.visits_in_scope(db, pick(i), since))
    sessions = [r[0] for r in db.execute("SELECT id FROM visit_sessions WHERE id % 1009 = 0 LIMIT 500")]
    timed("session_in_scope (a review's check), county", runs,
          lambda i: scopes.session_in_scope(db, counties[i % 8], sessions[i % len(sessions)]))
    timed("scope_of (who is asking)", runs, lambda i: scopes.scope_of(db, f"AU{1 + i % 48:05d}"))
    started = time.perf_counter()
    with transaction(db):  # what an import's last transaction and migration 64 do: the write lock is held meanwhile
        rebuild_progress_counts(db)
    print(f"rebuild of the progress counts (end of an import, migration): {time.perf_counter() - started:.2f} s")


def main() -> None:
    """Builds (or reuses) the database, then prints each query's figures."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--runs", type=int, default=200, help="runs per county query (a quarter for the office)")
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_supervision_") as tmp:
        path = Path(args.keep or tmp) / f"supervision-{args.scale}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        fresh = not path.exists()
        db = open_db(path)
        if fresh:
            build(db, args.scale, random.Random(12))
        measure(db, args.runs)
        db.close()


if __name__ == "__main__":
    main()
