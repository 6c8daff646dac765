"""The dispatcher's rate limiter: even spacing per channel, one message a second per chat, pauses honoured."""

from __future__ import annotations

import pytest

from schedules.ratelimit import Limits, RateLimiter


class FakeTime:
    """A monotonic clock that moves only when the limiter sleeps."""

    def __init__(self):
        self.now = 100.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture
def timed():
    fake = FakeTime()
    return fake, RateLimiter({"telegram": Limits(29.0, 1.0), "console": Limits(None)}, fake, fake.sleep)


def test_slots_over_many_chats_never_exceed_the_rate(timed):
    fake, limiter = timed
    slots = [fake.now + limiter.reserve("telegram", str(chat)) for chat in range(290)]
    assert slots[-1] - slots[0] == pytest.approx(289 / 29)
    assert max(sum(1 for s in slots if start <= s < start + 1.0) for start in slots) <= 30  # Telegram: 30 a second


def test_one_chat_gets_one_message_a_second(timed):
    fake, limiter = timed
    slots = [limiter.reserve("telegram", "42") for _ in range(3)]
    assert slots == pytest.approx([0.0, 1.0, 2.0])


def test_unlimited_channel_does_not_wait(timed):
    _, limiter = timed
    assert {limiter.reserve("console", "C1") for _ in range(100)} == {0.0}


async def test_paused_chat_waits_out_retry_after_but_others_do_not(timed):
    fake, limiter = timed
    await limiter.acquire("telegram", "42")
    limiter.pause("telegram", 30.0, "42")
    start = fake.now
    await limiter.acquire("telegram", "7")
    assert fake.now - start < 0.1
    await limiter.acquire("telegram", "42")
    assert fake.now - start >= 30.0


async def test_paused_channel_holds_slots_promised_before_the_pause(timed):
    fake, limiter = timed
    limiter.reserve("telegram", "1")  # promised to a worker now asleep
    limiter.pause("telegram", 5.0)
    start = fake.now
    await limiter.acquire("telegram", "2")
    assert fake.now - start >= 5.0


async def test_admit_lets_late_sends_catch_up_but_never_beyond_the_window(timed):
    fake, limiter = timed
    start = fake.now
    slots = [start + limiter.reserve("telegram", str(chat)) for chat in range(60)]  # 60 workers, slots promised
    admitted = []
    for chat, slot in enumerate(slots):
        fake.now = max(fake.now, slot)
        if chat == 10:
            fake.now += 0.5  # a stall: the next sends' slots are already behind
        await limiter.admit("telegram", str(chat))
        admitted.append(fake.now)
    gaps = [b - a for a, b in zip(admitted, admitted[1:])]
    assert min(gaps) >= 0.7 / 29 - 1e-9  # caught up, but never in a burst
    assert max(sum(1 for t in admitted if t0 <= t < t0 + 1.0) for t0 in admitted) <= 29
    assert admitted[-1] - admitted[0] < 59 / 29 + 0.4  # part of the 0.5 s stall was made up for


async def test_admit_keeps_a_chat_to_one_message_a_second(timed):
    fake, limiter = timed
    start = fake.now
    for _ in range(3):
        await limiter.admit("telegram", "42")
    assert fake.now - start >= 2 * 1.0
