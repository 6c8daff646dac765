"""Benchmark: import a province-sized roster (CSV folder) into a fresh SQLite file, then time "我的联系户".

    .venv/bin/python benchmarks/bench_roster.py              # full size: 14,000 units, 400,000 cadres, 1,000,000 households
    .venv/bin/python benchmarks/bench_roster.py --scale 0.01 # a hundredth of it

Targets (issue 2): import ≥ 50,000 rows/s, all or nothing; "我的联系户" p99 ≤ 5 ms.
Issue 10: the longest write-lock hold and the waits of a process writing beside the import (as the bot does).
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bot import vocabulary as v  # noqa: E402
from bot.roster import import_roster  # noqa: E402

FULL = {"units": 14_000, "cadres": 400_000, "households": 1_000_000}
COUNTIES = 8
PREFECTURE_COMMITTEES = 40
HOUSEHOLDS_PER_VILLAGE = 150


def write_csv(path: Path, header: list[str], rows) -> int:
    """Writes one roster CSV (UTF-8); returns its data rows."""
    count = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)
            count += 1
    return count


def generate(folder: Path, scale: float, seed: int = 2010) -> dict[str, int]:
    """Writes 单位/干部/农户/结对.csv for a roster of the given scale; returns row counts by file."""
    rng = random.Random(seed)
    n_units = max(int(FULL["units"] * scale), COUNTIES + PREFECTURE_COMMITTEES + 2)
    n_cadres = max(int(FULL["cadres"] * scale), 10)
    n_households = max(int(FULL["households"] * scale), 10)
    tops = [f"U{i:05d}" for i in range(1, COUNTIES + PREFECTURE_COMMITTEES + 1)]

    def units():
        yield ("U00000", "省创先争优活动办公室", "", v.CAMPAIGN_OFFICE)
        for i, uid in enumerate(tops):
            kind = v.COUNTY_COMMITTEE if i < COUNTIES else v.PREFECTURE_COMMITTEE
            yield (uid, f"第{i + 1}号{kind}", "U00000", kind)
        for i in range(len(tops) + 1, n_units):
            yield (f"U{i:05d}", f"第{i}号党支部", rng.choice(tops), v.GRASSROOTS)

    grassroots = [f"U{i:05d}" for i in range(len(tops) + 1, n_units)]

    def cadres():
        for i in range(n_cadres):
            yield (f"G{i:07d}", f"干部{i}", f"1{30 + i % 60}{i:08d}"[:11], rng.choice(grassroots), "科员", v.CADRE)

    def households():
        for i in range(n_households):
            village = i // HOUSEHOLDS_PER_VILLAGE
            yield (f"H{i:07d}", f"户主{i}", f"县{village % COUNTIES}", f"乡{village // 20}", f"村{village}",
                   rng.randint(1, 9), f"139{i:08d}", "")

    def pairings():
        for i in range(n_households):  # every household paired with one cadre: ~2.5 households per cadre
            yield (v.CADRE_HOUSEHOLD, f"G{i % n_cadres:07d}", f"H{i:07d}", "", "")
        for j, uid in enumerate(grassroots):
            yield (v.AGENCY_VILLAGE, uid, "", f"村{j}", "")

    return {
        "单位": write_csv(folder / "单位.csv", ["单位编号", "单位名称", "上级单位编号", "单位类型"], units()),
        "干部": write_csv(folder / "干部.csv", ["干部编号", "姓名", "手机号", "单位编号", "职务", "角色"], cadres()),
        "农户": write_csv(folder / "农户.csv", ["户编号", "户主姓名", "县市", "乡镇", "村", "人口", "联系电话", "备注"], households()),
        "结对": write_csv(folder / "结对.csv", ["结对类型", "联系方编号", "对象编号", "对象名称", "备注"], pairings()),
    }


BOT_WRITER = """
import json, sqlite3, sys, time
from pathlib import Path
conn = sqlite3.connect(sys.argv[1], timeout=5.0, isolation_level=None)  # the bot's busy timeout
conn.execute("CREATE TABLE IF NOT EXISTS bench_bot_writes (at REAL)")
waits, failed, stop = [], 0, Path(sys.argv[2])
print("ready", flush=True)
while not stop.exists():
    started = time.perf_counter()
    try:
        conn.execute("BEGIN IMMEDIATE"); conn.execute("INSERT INTO bench_bot_writes VALUES (?)", (time.time(),))
        conn.execute("COMMIT")
        waits.append(time.perf_counter() - started)
    except sqlite3.OperationalError:
        failed += 1
    time.sleep(0.05)
print(json.dumps({"writes": len(waits), "failed": failed, "max": max(waits, default=0),
                  "p99": sorted(waits)[int(0.99 * len(waits))] if waits else 0}), flush=True)
"""


def bench_import(db_path: Path, folder: Path) -> None:
    """Imports the folder into a fresh database while another process writes every 50 ms as the bot does (5 s
    busy timeout), then again (nothing changes); prints rows per second, the longest write-lock hold, the waits."""
    import json
    import subprocess

    from bot.db import open_db

    db = open_db(db_path)
    stop = db_path.with_suffix(".stop")
    stop.unlink(missing_ok=True)
    writer = subprocess.Popen([sys.executable, "-c", BOT_WRITER, str(db_path), str(stop)], stdout=subprocess.PIPE,
                              text=True)
    writer.stdout.readline()
    started = time.perf_counter()
    report = import_roster(db, folder)
    total = time.perf_counter() - started
    stop.touch()
    waits = json.loads(writer.stdout.readline())
    writer.wait(30)
    rows = report.rows
    print(f"import: {rows:,} rows in {total:.1f} s = {rows / total:,.0f} rows/s "
          f"(read+check {report.check_seconds:.1f} s = {rows / report.check_seconds:,.0f} rows/s, "
          f"write {report.write_seconds:.1f} s = {rows / max(report.write_seconds, 1e-9):,.0f} rows/s)")
    print(f"write lock: {report.chunks:,} transactions, the longest held {report.longest_lock_seconds * 1000:.0f} ms")
    print(f"a writer beside it (every 50 ms, 5 s busy timeout): {waits['writes']:,} writes, {waits['failed']} failed, "
          f"wait p99 {waits['p99'] * 1000:.0f} ms, max {waits['max'] * 1000:.0f} ms")
    started = time.perf_counter()
    again = import_roster(db, folder)
    changed = sum(c.added + c.updated for c in again.counts.values())
    print(f"re-import of the same files: {time.perf_counter() - started:.1f} s, rows changed: {changed}")
    print(f"database file: {db_path.stat().st_size / 2**20:,.0f} MiB")
    bench_refusal(db, folder)
    db.close()


def bench_refusal(db, folder: Path) -> None:
    """Adds one new household and one bad pairing (last row of all): the import must refuse and change nothing."""
    from bot.roster import RosterError

    def counts():
        return [db.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in ("units", "cadres", "households", "pairings")]

    before = counts()
    with (folder / "农户.csv").open("a", encoding="utf-8") as fh:
        fh.write("H_NEW,新户主,县0,乡0,村0,3,,\n")
    with (folder / "结对.csv").open("a", encoding="utf-8") as fh:
        fh.write(f"{v.CADRE_HOUSEHOLD},G0000000,H_MISSING,,\n")
    started = time.perf_counter()
    try:
        import_roster(db, folder)
    except RosterError as exc:
        outcome = f"refused ({len(exc.errors)} error: {exc.errors[0]})"
    else:
        outcome = "NOT refused"
    unchanged = "unchanged" if counts() == before else "CHANGED"
    print(f"one bad row at the end: {outcome} in {time.perf_counter() - started:.1f} s; database {unchanged}")


async def answer_times(app, chats: list[str], rounds: int, show_first: bool = False) -> list[float]:
    """Sends "我的联系户" from each bound chat in turn; returns each answer's time in seconds."""
    from bot.channels.console import CHANNEL
    from bot.messages import Incoming
    from bot.router import answer

    times = []
    for i in range(rounds):
        chat = chats[i % len(chats)]
        msg = Incoming(channel=CHANNEL, chat_id=chat, user_id=chat, sent_at=app.clock.now(), text="我的联系户")
        started = time.perf_counter()
        replies = await answer(app, msg)
        times.append(time.perf_counter() - started)
        if show_first and i == 0:
            print(f"first answer ({chat}): {replies[0].text[:80]!r}…")
    return times


def bench_my_households(db_path: Path, n_cadres: int, rounds: int) -> None:
    """Times dispatch(…"我的联系户") for bound console chats of random cadres; prints p50 / p99 / max."""
    from bot.app import BotApp
    from handlers import ROUTES
    from bot.channels.console import bind_console
    from bot.clock import Clock, parse_moment
    from bot.config import DatabaseSettings, PhotoSettings, Settings

    settings = Settings(database=DatabaseSettings(str(db_path)), photos=PhotoSettings(str(db_path.parent / "photos")))
    app = BotApp.create(settings, Clock(parse_moment("2010-09-01T10:00", settings.timezone)), routes=ROUTES)
    rng = random.Random(7)
    chats = [bind_console(app, f"G{rng.randrange(n_cadres):07d}") for _ in range(200)]
    asyncio.run(answer_times(app, chats[:5], 20))  # warm up: dictionaries, caches
    times = sorted(asyncio.run(answer_times(app, chats, rounds, show_first=True)))
    p = lambda q: times[min(int(q * len(times)), len(times) - 1)] * 1000  # noqa: E731
    print(f"我的联系户: {rounds} answers over {len(chats)} cadres: p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, "
          f"max {times[-1] * 1000:.2f} ms, mean {statistics.fmean(times) * 1000:.2f} ms")


def main() -> None:
    """Parses the arguments and runs the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province-sized roster (default 1)")
    parser.add_argument("--rounds", type=int, default=2000, help="how many 我的联系户 questions to time")
    parser.add_argument("--keep", metavar="DIR", help="work in DIR and keep the files instead of a temporary folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench_roster_") as tmp:
        work = Path(args.keep or tmp)
        folder = work / "roster"
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        counts = generate(folder, args.scale)
        print(f"generated {', '.join(f'{k} {n:,}' for k, n in counts.items())} in {time.perf_counter() - started:.1f} s")
        db_path = work / "bench.db"
        for stale in work.glob("bench.db*"):
            stale.unlink()
        bench_import(db_path, folder)
        bench_my_households(db_path, counts["干部"], args.rounds)


if __name__ == "__main__":
    main()
