"""Dispatching reminders exactly once: crashes, missed reminders, quiet hours, blocked users, 429s, rebinding."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
from datetime import timedelta

import pytest

from bot.messages import DeliveryOutcome, DeliveryResult
from schedules.dispatch import HELD, MAX_ATTEMPTS, NOT_CLAIMED, dispatch
from bot.store.delivery_upkeep import INTERRUPTED, SENDING_LEASE
from schedules.plan import plan
from tests.conftest import local
from tests.fakes.recording_sender import HangingSender, RecordingSender

GRASSROOTS = "grassroots-plan-meeting"  # due 2010-05-15; C1, C2 (village branch) and C3 (county) are bound
FINAL = {"sent", "failed", "expired", "undeliverable"}


@pytest.fixture
def deadlines_only(roster):
    """The roster with only the grassroots deadline, so each cadre has one reminder at a time."""
    roster.campaign = dataclasses.replace(roster.campaign, deadlines=(roster.campaign.deadline(GRASSROOTS),))
    return roster


def statuses(app, key: str | None = None) -> dict[str, tuple]:
    """cadre id -> (status, attempts, last_error) for one reminder key (or all deadline rows)."""
    where, params = ("reminder_key = ?", (key,)) if key else ("kind = 'deadline'", ())
    return {r[0]: tuple(r[1:]) for r in app.db.execute(
        f"SELECT cadre_id, status, attempts, last_error FROM deliveries WHERE {where}", params)}


async def run_at(app, moment, sender=None, **kwargs):
    """Moves the clock (a Beijing time, or a datetime), plans deadlines and dispatches through the sender."""
    app.clock.set(local(moment) if isinstance(moment, str) else moment)
    if sender is not None:
        app.senders["console"] = sender
    plan(app, app.clock.now(), kinds=("deadline",))
    return await dispatch(app, app.clock.now(), **kwargs)


async def test_sends_each_due_reminder_once_and_twice_sends_nothing(deadlines_only):
    sender = RecordingSender()
    await run_at(deadlines_only, "2010-05-12T09:00", sender)
    report = await run_at(deadlines_only, "2010-05-12T09:05", sender)
    assert sorted(chat for chat, _ in sender.calls) == ["C1", "C2", "C3"]
    assert all("还有3天" in text for _, text in sender.calls)
    assert report.outcomes == {}
    assert {s for s, *_ in statuses(deadlines_only).values()} == {"sent"}


async def test_claim_is_committed_before_the_send(deadlines_only, settings):
    seen = []

    class Peeking(RecordingSender):
        async def send(self, chat_id, message):
            other = sqlite3.connect(settings.database.path)  # another process's view of the file
            seen.append(other.execute("SELECT status, attempts FROM deliveries WHERE cadre_id = ? AND kind = "
                                      "'deadline'", (chat_id,)).fetchone())
            other.close()
            return await super().send(chat_id, message)

    await run_at(deadlines_only, "2010-05-12T09:00", Peeking())
    assert seen == [("sending", 1)] * 3


async def cancelled_mid_send(app, good: int) -> HangingSender:
    """Dispatches at 09:00 one message at a time; the task dies (is cancelled) while message good+1 is in flight."""
    crashing = HangingSender(good)
    app.clock.set(local("2010-05-12T09:00"))
    app.senders["console"] = crashing
    plan(app, app.clock.now(), kinds=("deadline",))
    task = asyncio.create_task(dispatch(app, app.clock.now(), concurrency=1))
    await asyncio.wait_for(crashing.hanging.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    return crashing


async def test_crash_in_the_middle_of_a_dispatch_no_duplicate_no_loss(deadlines_only):
    crashing = await cancelled_mid_send(deadlines_only, good=1)
    before = statuses(deadlines_only)
    assert sorted(s for s, *_ in before.values()) == ["pending", "sending", "sent"]
    interrupted = next(c for c, (s, *_) in before.items() if s == "sending")

    restarted = RecordingSender()
    await run_at(deadlines_only, "2010-05-12T09:01", restarted)  # restart at once: the pending one goes out
    await run_at(deadlines_only, "2010-05-12T09:07", restarted)  # past the lease: closed as interrupted
    after = statuses(deadlines_only)
    assert after[interrupted] == ("failed", 1, INTERRUPTED)  # at most once: not resent blindly
    assert {s for s, *_ in after.values()} <= FINAL
    delivered = [chat for chat, _ in crashing.calls[:1]] + [chat for chat, _ in restarted.calls]
    assert sorted(delivered) == sorted(c for c, (s, *_) in after.items() if s == "sent")
    assert interrupted not in delivered and len(delivered) == len(set(delivered)) == 2


async def test_interrupted_send_is_left_alone_within_the_lease(deadlines_only):
    await cancelled_mid_send(deadlines_only, good=0)
    await run_at(deadlines_only, local("2010-05-12T09:00") + SENDING_LEASE - timedelta(seconds=1), RecordingSender())
    assert sorted(s for s, *_ in statuses(deadlines_only).values()) == ["sending", "sent", "sent"]


async def test_missed_reminder_before_its_deadline_is_sent_at_start_up(deadlines_only):
    sender = RecordingSender()
    await run_at(deadlines_only, "2010-05-08T09:00", sender)  # the 7-day reminder goes out
    await run_at(deadlines_only, "2010-05-14T10:00", sender)  # down from the 8th to the 14th: 3-day one missed
    texts = sender.texts_to("C1")
    assert len(texts) == 2 and "还有7天" in texts[0] and "明天截止" in texts[1]
    assert set(statuses(deadlines_only, f"deadline:{GRASSROOTS}:1d").values()) == {("sent", 1, None)}


async def test_planned_reminder_sent_late_says_the_true_days_left(deadlines_only):
    deadlines_only.clock.set(local("2010-05-12T09:00"))
    plan(deadlines_only, deadlines_only.clock.now(), kinds=("deadline",))  # planned, then the bot died before dispatching
    sender = RecordingSender()
    await run_at(deadlines_only, "2010-05-13T10:00", sender)
    assert len(sender.calls) == 3 and all("还有2天" in text for _, text in sender.calls)


async def test_missed_reminder_after_its_deadline_is_recorded_expired(deadlines_only):
    sender = RecordingSender()
    await run_at(deadlines_only, "2010-05-08T09:00", sender)
    deadlines_only.clock.set(local("2010-05-12T09:00"))
    plan(deadlines_only, deadlines_only.clock.now(), kinds=("deadline",))  # 3-day one planned, never dispatched
    await run_at(deadlines_only, "2010-05-16T09:00", sender)  # back after the deadline
    assert len(sender.calls) == 3  # only the 7-day ones
    expired = statuses(deadlines_only, f"deadline:{GRASSROOTS}:3d")
    assert {s for s, *_ in expired.values()} == {"expired"}
    on_the_day = statuses(deadlines_only, f"deadline:{GRASSROOTS}:0d")
    assert set(on_the_day) == {"C1", "C2", "C3"} and {s for s, *_ in on_the_day.values()} == {"expired"}


async def test_deadline_passed_before_the_bot_ever_ran_records_nothing(deadlines_only):
    await run_at(deadlines_only, "2010-05-20T09:00", RecordingSender())
    assert statuses(deadlines_only) == {}


async def test_quiet_hours_hold_reminders_until_morning(deadlines_only):
    sender = RecordingSender()
    report = await run_at(deadlines_only, "2010-05-12T22:00", sender)  # the bot starts late in the evening
    assert report.quiet and sender.calls == []
    assert {s for s, *_ in statuses(deadlines_only).values()} == {"pending"}
    await run_at(deadlines_only, "2010-05-13T07:59", sender)
    assert sender.calls == []
    await run_at(deadlines_only, "2010-05-13T08:00", sender)
    assert len(sender.calls) == 3 and all("还有2天" in text for _, text in sender.calls)


async def test_blocked_user_marks_binding_inactive_and_fails_with_reason(deadlines_only):
    sender = RecordingSender({"C2": [DeliveryResult(DeliveryOutcome.BLOCKED, "Forbidden: bot was blocked")]})
    await run_at(deadlines_only, "2010-05-12T09:00", sender)
    status, attempts, reason = statuses(deadlines_only)["C2"]
    assert (status, attempts) == ("failed", 1) and "屏蔽" in reason
    active = deadlines_only.db.execute("SELECT active FROM bindings WHERE chat_id = 'C2'").fetchone()[0]
    assert active == 0
    await run_at(deadlines_only, "2010-05-14T09:00", sender)  # the next reminder waits for a new binding
    assert statuses(deadlines_only, f"deadline:{GRASSROOTS}:1d")["C2"] == ("pending", 0, "未绑定")
    assert sender.texts_to("C2") == sender.texts_to("C2")[:1]


async def test_rate_limited_chat_is_resent_after_retry_after_exactly_once(deadlines_only):
    flood = DeliveryResult(DeliveryOutcome.RETRY, "rate limited", retry_after=42)
    sender = RecordingSender({"C1": [flood]})
    await run_at(deadlines_only, "2010-05-12T09:00", sender)
    row = deadlines_only.db.execute("SELECT status, attempts, next_attempt_at FROM deliveries "
                                    "WHERE cadre_id = 'C1' AND kind = 'deadline'").fetchone()
    assert row == ("pending", 1, (local("2010-05-12T09:00") + timedelta(seconds=42)).isoformat())
    await run_at(deadlines_only, "2010-05-12T09:00:41", sender)  # too early: not retried
    assert len(sender.texts_to("C1")) == 1
    await run_at(deadlines_only, "2010-05-12T09:00:42", sender)
    await run_at(deadlines_only, "2010-05-12T09:05", sender)
    assert len(sender.texts_to("C1")) == 2  # one refused by the platform, one delivered
    assert statuses(deadlines_only)["C1"] == ("sent", 2, None)


async def test_retries_stop_after_max_attempts(deadlines_only):
    flood = DeliveryResult(DeliveryOutcome.RETRY, "network down")
    sender = RecordingSender({"C1": [flood] * 10})
    moment = local("2010-05-12T09:00")
    for _ in range(MAX_ATTEMPTS + 2):
        await run_at(deadlines_only, moment, sender)
        moment += timedelta(hours=2)
    status, attempts, reason = statuses(deadlines_only)["C1"]
    assert (status, attempts) == ("failed", MAX_ATTEMPTS) and "network down" in reason
    assert len(sender.texts_to("C1")) == MAX_ATTEMPTS


async def test_sender_exception_is_failed_not_retried(deadlines_only):
    class Broken(RecordingSender):
        async def send(self, chat_id, message):
            await super().send(chat_id, message)
            raise ConnectionResetError("peer reset after the request was written")

    sender = Broken()
    await run_at(deadlines_only, "2010-05-12T09:00", sender)
    await run_at(deadlines_only, "2010-05-12T12:00", sender)
    assert len(sender.calls) == 3
    assert {(s, a) for s, a, _ in statuses(deadlines_only).values()} == {("failed", 1)}


async def test_unbound_cadre_gets_it_after_binding_or_undeliverable_at_expiry(deadlines_only):
    deadlines_only.db.execute("DELETE FROM bindings WHERE cadre_id IN ('C1', 'C2')")
    sender = RecordingSender()
    await run_at(deadlines_only, "2010-05-14T09:00", sender)
    deadlines_only.db.execute("INSERT INTO bindings (channel, chat_id, cadre_id, bound_at) "
                              "VALUES ('console', 'C1-new', 'C1', '2010-05-14T03:00:00+00:00')")
    await run_at(deadlines_only, "2010-05-14T11:00", sender)
    assert [chat for chat, _ in sender.calls] == ["C3", "C1-new"]
    await run_at(deadlines_only, "2010-05-16T09:00", sender)
    assert statuses(deadlines_only, f"deadline:{GRASSROOTS}:1d")["C2"][0] == "undeliverable"


async def test_channel_without_sender_keeps_rows_pending(deadlines_only):
    deadlines_only.db.execute("UPDATE bindings SET channel = 'telegram' WHERE cadre_id = 'C1'")
    report = await run_at(deadlines_only, "2010-05-12T09:00", RecordingSender())
    assert report.no_sender == {"telegram": 1}
    assert statuses(deadlines_only)["C1"][0] == "pending"


async def test_dispatch_refuses_to_run_inside_a_transaction(deadlines_only):
    deadlines_only.db.conn.execute("BEGIN")
    with pytest.raises(RuntimeError):
        await dispatch(deadlines_only, local("2010-05-12T09:00"))
    deadlines_only.db.conn.execute("ROLLBACK")


async def test_a_long_run_stops_sending_when_quiet_hours_begin(deadlines_only):
    class Slow(RecordingSender):
        async def send(self, chat_id, message):
            result = await super().send(chat_id, message)
            deadlines_only.clock.set(local("2010-05-12T21:00"))  # the first send took us into the night
            return result

    sender = Slow()
    report = await run_at(deadlines_only, "2010-05-12T20:59", sender, concurrency=1)
    assert len(sender.calls) == 1 and report.outcomes[HELD] == 2
    assert sorted(s for s, *_ in statuses(deadlines_only).values()) == ["pending", "pending", "sent"]


async def test_personal_reminder_never_goes_to_a_chat_now_bound_to_someone_else(roster):
    roster.clock.set(local("2010-05-12T09:00"))
    plan(roster, roster.clock.now(), kinds=("visit",))
    roster.db.execute("UPDATE bindings SET cadre_id = 'C2' WHERE chat_id = 'C1'")  # the chat changed hands
    sender = RecordingSender()
    roster.senders["console"] = sender
    await dispatch(roster, roster.clock.now())
    assert not any("示例户一" in text for _, text in sender.calls)  # C1's households
    row = roster.db.execute("SELECT status, chat_id, last_error FROM deliveries WHERE cadre_id = 'C1'").fetchone()
    assert row == ("pending", None, "未绑定")


async def test_chat_changing_hands_during_a_run_is_not_sent_to(deadlines_only):
    class Rebinding(RecordingSender):
        async def send(self, chat_id, message):
            deadlines_only.db.execute("UPDATE bindings SET cadre_id = 'C3' WHERE chat_id = 'C2'")
            return await super().send(chat_id, message)

    sender = Rebinding()
    report = await run_at(deadlines_only, "2010-05-12T09:00", sender, concurrency=1)
    assert "C2" not in [chat for chat, _ in sender.calls] and report.outcomes[NOT_CLAIMED] == 1
    assert statuses(deadlines_only)["C2"] == ("pending", 0, None)
