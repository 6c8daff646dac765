"""Soak: a dispatching process killed with SIGKILL five times while it sends 4,000 reminders, restarted each time.

    .venv/bin/python benchmarks/soak_dispatch_kill.py                 # 4,000 reminders, 5 kills, a 2 s Bot API
    .venv/bin/python benchmarks/soak_dispatch_kill.py --cadres 1000 --kills 2 --run-seconds 10

The dispatcher runs in a process of its own through the real Telegram adapter (python-telegram-bot) against the
limited fake Bot API on 127.0.0.1 (its own process too), which enforces Telegram's limits and answers every send
after --latency seconds. Each restart moves the clock on past the sending lease, so the rows a killed process left
'sending' are closed as "发送中断，未确认是否送达" and never sent again.

Targets (issue 10): 0 duplicates; per crash, no more rows left unconfirmed than sends were on the wire when it was
killed; ≥ 28.5 messages a second between crashes.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from bench_dispatch import MOMENT, FakeServer, generate_roster, make_app  # noqa: E402

from bot.channels.telegram.adapter import TelegramChannel  # noqa: E402
from bot.clock import parse_moment  # noqa: E402
from bot.store.delivery_upkeep import INTERRUPTED, SENDING_LEASE  # noqa: E402
from schedules.plan import plan  # noqa: E402

DISPATCHER = """
import asyncio, sys
from pathlib import Path
sys.path.insert(0, sys.argv[4])
from bench_dispatch import make_app
from bot.channels.telegram.adapter import TelegramChannel
from bot.clock import parse_moment
from schedules.dispatch import dispatch

async def main():
    app = make_app(Path(sys.argv[1]), sys.argv[2])
    app.clock.set(parse_moment(sys.argv[3]))
    channel = TelegramChannel(app)
    await channel.application.initialize()
    app.senders["telegram"] = channel
    print("STARTED", flush=True)
    await dispatch(app, app.clock.now())
    await channel.application.shutdown()
    print("DONE", flush=True)

asyncio.run(main())
"""


def count(db, where: str, *args) -> int:
    """Deliveries matching the condition."""
    return db.execute(f"SELECT COUNT(*) FROM deliveries WHERE {where}", args).fetchone()[0]


def segment_rate(arrivals: list[float], start: float, end: float) -> tuple[int, float]:
    """Sends accepted by the fake between two moments of its clock, and their rate (first to last arrival)."""
    inside = sorted(a for a in arrivals if start <= a <= end)
    if len(inside) < 2:
        return len(inside), 0.0
    return len(inside), (len(inside) - 1) / (inside[-1] - inside[0])


def run_once(folder: Path, fake: FakeServer, moment, kill_after: float | None) -> dict:
    """One dispatching process: killed after kill_after seconds of sending, or left to finish (None)."""
    child = subprocess.Popen([sys.executable, "-c", DISPATCHER, str(folder), fake.base_url, moment.isoformat(),
                              str(ROOT / "benchmarks")], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert child.stdout.readline().strip() == "STARTED"
    started = fake.stats()["now"]
    if kill_after is None:
        child.wait()
        return {"start": started, "end": fake.stats()["now"], "killed": False}
    deadline = time.monotonic() + kill_after
    while time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.1)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    time.sleep(0.2)  # what the process wrote to its sockets before it died reaches the fake
    after = fake.stats()
    killed_at = after["now"] - 0.2
    # on the wire at the kill: still being answered now, or answered since (arrived within `latency` of the kill)
    on_wire = after["in_progress"] + sum(1 for a in after["arrivals"] if a > killed_at - fake.latency)
    return {"start": started, "end": killed_at, "killed": child.returncode == -signal.SIGKILL, "on_wire": on_wire}


def main() -> None:
    """Plans the reminders, runs the kills and the final run, prints the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cadres", type=int, default=4_000)
    parser.add_argument("--kills", type=int, default=5)
    parser.add_argument("--latency", type=float, default=2.0)
    parser.add_argument("--run-seconds", type=float, default=20.0, help="how long each process sends before its kill")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="soak_dispatch_") as tmp, FakeServer(args.latency) as fake:
        folder = Path(tmp)
        app = make_app(folder, fake.base_url)
        generate_roster(app, args.cadres, with_households=False)
        planned = plan(app, app.clock.now(), kinds=("deadline",)).total
        print(f"planned {planned:,} reminders; Bot API answers in {args.latency:.1f} s")
        moment = parse_moment(MOMENT)
        segments = []
        for crash in range(args.kills + 1):
            last = crash == args.kills
            segment = run_once(folder, fake, moment, None if last else args.run_seconds)
            if not last:
                segment["unconfirmed"] = {chat for (chat,) in app.db.execute(
                    "SELECT chat_id FROM deliveries WHERE status = 'sending'")}
            segments.append(segment)
            moment += SENDING_LEASE + timedelta(minutes=1)  # the next process closes what this one left sending
        seen = fake.stats()
        for i, segment in enumerate(segments, start=1):
            sent, rate = segment_rate(seen["arrivals"], segment["start"], segment["end"])
            if "unconfirmed" in segment:
                unconfirmed = len(segment["unconfirmed"])
                reached = len(segment["unconfirmed"] & set(seen["delivered"]))
                verdict = "ok" if unconfirmed <= TelegramChannel.limits.max_in_flight else "TOO MANY"
                print(f"run {i}: killed after {segment['end'] - segment['start']:.0f} s; {sent:,} sends at "
                      f"{rate:.1f} msg/s; left unconfirmed {unconfirmed} ({verdict}, at most "
                      f"{TelegramChannel.limits.max_in_flight} may be in flight): {reached} had reached the Bot API, "
                      f"{unconfirmed - reached} claimed as it died; about {segment['on_wire']} on the wire at the kill")
            else:
                print(f"run {i}: finished in {segment['end'] - segment['start']:.0f} s; {sent:,} sends at {rate:.1f} msg/s")
        duplicates = sum(n - 1 for n in seen["delivered"].values() if n > 1)
        statuses = dict(app.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall())
        interrupted = count(app.db, "status = 'failed' AND last_error = ?", INTERRUPTED)
        received_not_confirmed = sum(1 for (chat,) in app.db.execute(
            "SELECT chat_id FROM deliveries WHERE last_error = ?", (INTERRUPTED,)) if chat in seen["delivered"])
        never_sent = planned - len(seen["delivered"])
        rates = [segment_rate(seen["arrivals"], s["start"], s["end"])[1] for s in segments[:-1]]
        print(f"duplicates: {duplicates} (target 0); 429 answers: {seen['refused']}")
        print(f"statuses: {statuses}; closed as interrupted: {interrupted} (of which the fake had received "
              f"{received_not_confirmed}); never reached the fake: {never_sent}")
        if rates:
            print(f"rate between crashes: min {min(rates):.1f}, mean {sum(rates) / len(rates):.1f} msg/s "
                  f"(target ≥ 28.5)")
        app.db.close()


if __name__ == "__main__":
    main()
