"""Benchmark: `campaign-bot backup` of a province-sized database, and the bot's answer latency while it runs.

    .venv/bin/python benchmarks/bench_backup.py                    # province size (~2.4 million rows), kept in --work
    .venv/bin/python benchmarks/bench_backup.py --scale 0.1        # a tenth of it

The database is generated once (bench_roster's roster, imported) into --work and reused by later runs, with
--photos synthetic photo files in its store. Then, as cron would, `campaign-bot backup` runs as a process of its own
(twice: the second run finds every photo in the store already), and `campaign-bot restore` into a new folder. While a
backup runs, this process keeps answering "我的联系户" through the router on the same database (each answer also
writes the chat's last-seen time), and compares the latency with the same answers before the backup.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import random
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_roster import answer_times, generate  # noqa: E402

CLI = [sys.executable, "-m", "bot"]


def prepare(work: Path, scale: float, photos: int) -> tuple[Path, int]:
    """The benchmark's database (generated and imported once) and photo folder; returns the config and cadre count."""
    from bot.db import open_db
    from bot.roster import import_roster

    db_path, photo_dir, config = work / "campaign.db", work / "photos", work / "config.toml"
    meta = work / "generated.json"
    if not (meta.exists() and json.loads(meta.read_text())["scale"] == scale and db_path.exists()):
        for stale in work.glob("campaign.db*"):
            stale.unlink()
        roster = work / "roster"
        roster.mkdir(parents=True, exist_ok=True)
        counts = generate(roster, scale)
        started = time.perf_counter()
        db = open_db(db_path)
        import_roster(db, roster)
        db.close()
        print(f"generated and imported {sum(counts.values()):,} roster rows in {time.perf_counter() - started:.0f} s")
        meta.write_text(json.dumps({"scale": scale, "cadres": counts["干部"]}))
    rng = random.Random(1)
    have = len(list(photo_dir.glob("*/*.jpg"))) if photo_dir.exists() else 0
    for _ in range(have, photos):  # stand-ins for visit photos: the backup copies bytes, it does not decode them
        data = rng.randbytes(rng.randint(80_000, 300_000))
        digest = hashlib.sha256(data).hexdigest()
        (photo_dir / digest[:2]).mkdir(parents=True, exist_ok=True)
        (photo_dir / digest[:2] / f"{digest}.jpg").write_bytes(data)
    config.write_text(f'[database]\npath = "{db_path}"\n[photos]\ndir = "{photo_dir}"\n', encoding="utf-8")
    return config, json.loads(meta.read_text())["cadres"]


def timed_command(*args: str) -> tuple[float, str]:
    """Runs a campaign-bot command in its own process; returns its seconds and output (fails on a non-zero exit)."""
    started = time.perf_counter()
    done = subprocess.run([*CLI, *args], cwd=ROOT, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{args[0]} failed ({done.returncode}):\n{done.stdout}{done.stderr}")
    return seconds, done.stdout


def percentiles(times: list[float]) -> str:
    ordered = sorted(times)
    p = lambda q: ordered[min(int(q * len(ordered)), len(ordered) - 1)] * 1000  # noqa: E731
    return f"n={len(ordered)} p50 {p(0.5):.2f} ms, p99 {p(0.99):.2f} ms, max {ordered[-1] * 1000:.2f} ms"


async def answer_until(app, chats: list[str], done) -> list[float]:
    """Answers 我的联系户 from the chats in turn, 20 at a time, until done() says stop."""
    times, turn = [], 0
    while not done():
        times += await answer_times(app, chats[turn:] + chats[:turn], 20)
        turn = (turn + 20) % len(chats)
        await asyncio.sleep(0)
    return times


def bench_latency(config: Path, n_cadres: int, out: Path, seconds_before: float) -> None:
    """p50/p99 of 我的联系户 on an idle machine, then while `campaign-bot backup` runs beside the bot."""
    from bot.app import BotApp
    from bot.channels.console import bind_console
    from bot.clock import Clock, parse_moment
    from bot.config import load_settings

    settings = load_settings(config)
    app = BotApp.create(settings, Clock(parse_moment("2010-09-01T10:00", settings.timezone)))
    rng = random.Random(7)
    chats = [bind_console(app, f"G{rng.randrange(n_cadres):07d}") for _ in range(200)]
    asyncio.run(answer_times(app, chats, 2 * len(chats)))  # warm-up: every chat's pages read once
    started = time.perf_counter()
    before = asyncio.run(answer_until(app, chats, lambda: time.perf_counter() - started > seconds_before))
    print(f"我的联系户, no backup running:     {percentiles(before)}")
    started = time.perf_counter()
    backup = subprocess.Popen([*CLI, "backup", "--out", str(out), "--config", str(config)], cwd=ROOT,
                              stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    during = asyncio.run(answer_until(app, chats, lambda: backup.poll() is not None))
    output = backup.stdout.read()
    if backup.returncode != 0:
        raise SystemExit(f"backup failed during the latency run:\n{output}")
    print(f"我的联系户, while backup runs:     {percentiles(during)} (backup took {time.perf_counter() - started:.1f} s)")
    app.db.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province-sized roster (default 1)")
    parser.add_argument("--photos", type=int, default=1000, help="photo files in the store (default 1000)")
    parser.add_argument("--work", default="/tmp/bench_backup", help="where the database is generated and kept")
    parser.add_argument("--latency-seconds", type=float, default=10.0, help="how long to time answers before")
    args = parser.parse_args()
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    config, n_cadres = prepare(work, args.scale, args.photos)
    db_path = work / "campaign.db"
    out = work / "backups"
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(work / "restored", ignore_errors=True)
    print(f"database {db_path.stat().st_size / 2**20:,.0f} MiB, {args.photos} photos "
          f"{sum(p.stat().st_size for p in (work / 'photos').glob('*/*.jpg')) / 2**20:,.0f} MiB")

    seconds, output = timed_command("backup", "--out", str(out), "--config", str(config))
    manifest = json.loads(next((out / "snapshots").iterdir()).joinpath("manifest.json").read_text(encoding="utf-8"))
    rows = sum(manifest["tables"].values())
    print(f"first backup:  {seconds:.1f} s for {rows:,} rows ({manifest['database']['bytes'] / 2**20:,.0f} MiB) "
          f"and {manifest['photos']['count']} photos ({manifest['seconds']:.1f} s by the command's own clock)")
    seconds, output = timed_command("backup", "--out", str(out), "--config", str(config))
    print(f"second backup: {seconds:.1f} s ({output.splitlines()[2].strip()})")

    restored = work / "restored"
    restored.mkdir()
    (restored / "config.toml").write_text(f'[database]\npath = "{restored / "campaign.db"}"\n'
                                          f'[photos]\ndir = "{restored / "photos"}"\n', encoding="utf-8")
    seconds, _ = timed_command("restore", str(out), "--config", str(restored / "config.toml"))
    print(f"restore (checks every checksum and count first): {seconds:.1f} s")
    shutil.rmtree(restored)

    bench_latency(config, n_cadres, out, args.latency_seconds)
    print(f"backup folder: {sum(f.stat().st_size for f in out.rglob('*') if f.is_file()) / 2**20:,.0f} MiB "
          f"for {len(list((out / 'snapshots').iterdir()))} snapshots; cpu count {os.cpu_count()}")


if __name__ == "__main__":
    main()
