"""Benchmark: the workbook an office hands up (bot/scope_report.write_scope_report) at province scale.

    .venv/bin/python benchmarks/bench_report.py                  # 400,000 cadres, 1,000,000 households, 2,000,000 visits
    .venv/bin/python benchmarks/bench_report.py --scale 0.1      # a tenth
    .venv/bin/python benchmarks/bench_report.py --keep /tmp/sv   # reuse bench_supervision's database in /tmp/sv

Target (issue 12): the office's workbook in ≤ 60 s. Uses bench_supervision's roster (every visit its own session),
with one photo per visit so that the visits sheet carries file names; prints the time, the rows of each sheet, the
file's size and the process's peak resident memory (which counts the pages of the database file that the report's
connections map for reading: its own heap stays under 100 MiB), for one county and for the office.
"""

from __future__ import annotations

import argparse
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench_supervision import NOW, START, build  # noqa: E402

from bot.campaign import load_campaign  # noqa: E402
from bot.db import open_db, transaction  # noqa: E402
from bot.scope_report import write_scope_report  # noqa: E402
from bot.store.overdue import OverdueRule  # noqa: E402
from bot.store.report_rows import Period  # noqa: E402
from bot.store.scopes import scope_of  # noqa: E402


def add_photos(db) -> None:
    """One photo per visit (its stored file name), unless there are photos already."""
    if db.execute("SELECT 1 FROM photos LIMIT 1").fetchone():
        return
    started = time.perf_counter()
    with transaction(db):
        db.execute("INSERT INTO photos (sha256, visit_id, path, bytes, received_at) "
                   "SELECT printf('%064x', id), id, printf('%02x/%064x.jpg', id % 256, id), 100000, reported_at "
                   "FROM visits")
    print(f"photos: one per visit in {time.perf_counter() - started:.0f} s")


def main() -> None:
    """Builds (or reuses) the database, then writes the office's and a county's workbook, timed."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR and reuse it")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_report_") as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        path = folder / f"supervision-{args.scale}.db"
        fresh = not path.exists()
        db = open_db(path)
        if fresh:
            build(db, args.scale, random.Random(12))
        add_photos(db)
        rule, campaign = OverdueRule(30, START), load_campaign(None)
        for name, viewer in (("county", "AU00001"), ("office", "OFFICE")):
            out = folder / f"report-{name}.xlsx"
            started = time.perf_counter()
            counts = write_scope_report(db, out, scope_of(db, viewer), NOW, Period(), rule=rule, campaign=campaign,
                                        label=name)
            seconds = time.perf_counter() - started
            rows = sum(counts.values())
            peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**10  # with the database file's mapped pages
            print(f"{name} workbook: {seconds:.1f} s, {rows:,} rows ({rows / seconds:,.0f} rows/s), "
                  f"{out.stat().st_size / 2**20:.0f} MiB, peak RSS so far {peak:,.0f} MiB: "
                  + ", ".join(f"{k} {v:,}" for k, v in counts.items()))
        db.close()


if __name__ == "__main__":
    main()
