"""A dispatching process killed with SIGKILL in the middle of a send: after a restart nothing is sent twice,
nothing is lost, and every delivery ends in a status `reminders status` shows."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

from bot.app import BotApp
from bot.channels.console import bind_console
from bot.clock import FixedClock
from bot.config import DatabaseSettings, Settings
from schedules.dispatch import dispatch
from schedules.lifecycle import INTERRUPTED
from tests.conftest import insert_roster, local
from tests.fakes.recording_sender import RecordingSender

ROOT = Path(__file__).resolve().parent.parent

DISPATCHER = """
import asyncio, sys
from bot.app import BotApp
from bot.clock import FixedClock, parse_moment
from bot.config import DatabaseSettings, Settings
from bot.messages import DeliveryOutcome, DeliveryResult
from schedules.dispatch import dispatch
from schedules.plan import plan

class SlowOnSecond:
    calls = 0
    async def send(self, chat_id, message):
        SlowOnSecond.calls += 1
        print("SENDING", chat_id, message.text.splitlines()[0], flush=True)
        if SlowOnSecond.calls == 2:
            await asyncio.sleep(3600)  # killed here, the message maybe on its way
        return DeliveryResult(DeliveryOutcome.SENT)

app = BotApp.create(Settings(database=DatabaseSettings(path=sys.argv[1])), FixedClock(parse_moment("2010-05-12T09:00")))
app.senders["console"] = SlowOnSecond()
plan(app, kinds=("deadline",))
asyncio.run(dispatch(app, concurrency=1))
"""


def rows(app) -> list[tuple]:
    """(cadre, status, last_error) of every delivery."""
    return app.db.execute("SELECT cadre_id, status, last_error FROM deliveries ORDER BY id").fetchall()


async def test_sigkill_mid_dispatch_then_restart(tmp_path):
    settings = Settings(database=DatabaseSettings(path=str(tmp_path / "bot.db")))
    app = BotApp.create(settings, FixedClock(local("2010-05-12T09:00")))
    insert_roster(app.db)
    for cadre in ("C1", "C2", "C3"):
        bind_console(app, cadre)

    child = subprocess.Popen([sys.executable, "-c", DISPATCHER, settings.database.path], cwd=ROOT,
                             stdout=subprocess.PIPE, text=True)
    attempts = [child.stdout.readline().split()[1:] for _ in range(2)]
    os.kill(child.pid, signal.SIGKILL)
    child.wait(10)
    first_sent = tuple(attempts[0])  # answered SENT before the kill; the second was in flight

    assert sorted(status for _, status, _ in rows(app)) == ["pending", "pending", "sending", "sent"]

    restarted = RecordingSender()
    app.senders["console"] = restarted
    app.clock.set(local("2010-05-12T09:01"))
    await dispatch(app)
    app.clock.set(local("2010-05-12T09:10"))
    await dispatch(app)

    final = rows(app)
    assert {status for _, status, _ in final} == {"sent", "failed"}
    interrupted = [(cadre, error) for cadre, status, error in final if status == "failed"]
    assert interrupted == [(attempts[1][0], INTERRUPTED)]
    resent = [(chat, text.splitlines()[0]) for chat, text in restarted.calls]
    assert tuple(attempts[1]) not in resent and first_sent not in resent  # nothing twice
    assert len(resent) == 2 == len(set(resent))

