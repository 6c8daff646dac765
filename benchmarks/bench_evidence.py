"""Benchmark: near-duplicate lookup of a new photo's perceptual hash among 2,000,000 stored hashes.

    .venv/bin/python benchmarks/bench_evidence.py                  # 2,000,000 hashes (about 2 minutes to build)
    .venv/bin/python benchmarks/bench_evidence.py --hashes 200000  # a tenth
    .venv/bin/python benchmarks/bench_evidence.py --keep /tmp/ev   # keep the database and reuse it next time

Target (issue 12): a lookup ≤ 20 ms. Stored hashes are random 64-bit values (as phash bits are, roughly: each bit is
one DCT coefficient against the median); every tenth lookup has a planted copy 1-7 bits away that must be found.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot.store import evidence  # noqa: E402
from bot.db import open_db  # noqa: E402


def build(db, count: int, rng: random.Random) -> list[int]:
    """Stores `count` random hashes (in batches, foreign keys off: no photos rows); returns them."""
    db.conn.execute("PRAGMA foreign_keys = OFF")
    hashes = [rng.getrandbits(64) for _ in range(count)]
    started = time.perf_counter()
    db.conn.execute("BEGIN")
    db.conn.executemany(
        "INSERT INTO photo_hashes (sha256, phash, band0, band1, band2, band3) VALUES (?, ?, ?, ?, ?, ?)",
        ((f"{n:064x}", evidence.to_signed(h), *evidence.bands(h)) for n, h in enumerate(hashes)))
    db.conn.execute("COMMIT")
    print(f"stored {count:,} hashes in {time.perf_counter() - started:.1f} s")
    return hashes


def flip(value: int, bits: int, rng: random.Random) -> int:
    """The value with `bits` random bits flipped."""
    for bit in rng.sample(range(64), bits):
        value ^= 1 << bit
    return value


def main() -> None:
    """Builds (or reuses) the hash table, then times lookups; prints p50 / p99 / max and recall of planted copies."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--hashes", type=int, default=2_000_000)
    parser.add_argument("--lookups", type=int, default=2000)
    parser.add_argument("--keep", metavar="DIR", help="keep the database in DIR and reuse it when it has the size")
    args = parser.parse_args()
    rng = random.Random(12)
    with tempfile.TemporaryDirectory(prefix="bench_evidence_") as tmp:
        path = Path(args.keep or tmp) / f"hashes-{args.hashes}.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        db = open_db(path)
        stored = db.execute("SELECT COUNT(*) FROM photo_hashes").fetchone()[0]
        if stored != args.hashes:
            db.execute("DELETE FROM photo_hashes")
            build(db, args.hashes, rng)
        samples = [h & ((1 << 64) - 1) for (h,) in db.execute(
            "SELECT phash FROM photo_hashes WHERE rowid % 997 = 0 LIMIT ?", (args.lookups,))]
        times, planted, found = [], 0, 0
        for n in range(args.lookups):
            if n % 10 == 0 and samples:  # a copy of a stored photo, a few bits away
                query, expect = flip(samples[n % len(samples)], 1 + n % 7, rng), True
                planted += 1
            else:
                query, expect = rng.getrandbits(64), False
            started = time.perf_counter()
            matches = evidence.near_duplicates(db, query, evidence.MAX_SEARCH_DISTANCE)
            times.append(time.perf_counter() - started)
            found += expect and bool(matches)
        times.sort()
        p = lambda q: times[min(int(q * len(times)), len(times) - 1)] * 1000  # noqa: E731
        print(f"near-duplicate lookup among {args.hashes:,} hashes, distance ≤ {evidence.MAX_SEARCH_DISTANCE}: "
              f"{args.lookups} lookups, p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {times[-1] * 1000:.2f} ms")
        print(f"planted copies found: {found}/{planted}")
        db.close()


if __name__ == "__main__":
    main()
