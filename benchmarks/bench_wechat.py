"""Benchmark: the WeChat callback in safe mode (WeCom, AES), through the real ASGI app and handlers on a SQLite file.

    .venv/bin/python benchmarks/bench_wechat.py            # 500 messages
    .venv/bin/python benchmarks/bench_wechat.py --count 2000

Prints the latency of an encrypted "帮助" answered passively (target: far below WeChat's 5 s, the bot's budget is 4 s),
how fast retries are recognised, and how fast bad requests (10 MB body, billion laughs, bad signature) are refused.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import httpx  # noqa: E402

from bot.app import BotApp  # noqa: E402
from bot.channels.wechat.adapter import WeChatChannel  # noqa: E402
from bot.clock import FixedClock, parse_moment  # noqa: E402
from bot.config import DatabaseSettings, PhotoSettings, Settings  # noqa: E402
from bot.web import build_web_app  # noqa: E402
from handlers import ROUTES  # noqa: E402
from tests.conftest import insert_roster  # noqa: E402
from tests.fakes.wechat_api import FakeWeChatApi, WeChatServer, configure  # noqa: E402
from tests.test_wechat_callback import BILLION_LAUGHS  # noqa: E402


def percentile(values: list[float], share: float) -> float:
    """The value below which `share` of the values lie."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def timed(client: httpx.AsyncClient, query: str, body: bytes, expect: int) -> float:
    """Posts once; returns the milliseconds it took, checking the status."""
    start = time.perf_counter()
    response = await client.post(f"/wechat?{query}", content=body)
    elapsed = (time.perf_counter() - start) * 1000
    assert response.status_code == expect, (response.status_code, response.text[:200])
    return elapsed


def report(label: str, millis: list[float]) -> None:
    """Prints one line of figures."""
    print(f"{label:<34} n={len(millis):<5} p50={statistics.median(millis):7.2f} ms  "
          f"p99={percentile(millis, 0.99):7.2f} ms  max={max(millis):7.2f} ms")


async def main(count: int) -> None:
    logging.disable(logging.WARNING)  # every refused request logs a warning; not what is measured
    fake = FakeWeChatApi()
    url = fake.start()
    with tempfile.TemporaryDirectory() as folder:
        settings = Settings(database=DatabaseSettings(path=f"{folder}/bench.db"),
                            photos=PhotoSettings(dir=f"{folder}/photos"))
        app = configure(BotApp.create(settings, FixedClock(parse_moment("2010-05-12T09:00")), routes=ROUTES), "work", url)
        insert_roster(app.db)
        channel = WeChatChannel(app)
        wechat = WeChatServer("work", "safe")
        transport = httpx.ASGITransport(app=build_web_app(app, [channel]))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            messages = [wechat.post(wechat.message("text", sender=f"user-{n % 50}", Content="帮助", MsgId=10_000 + n))
                        for n in range(count)]
            started = time.perf_counter()
            answers = [await timed(client, q, b, 200) for q, b in messages]
            wall = time.perf_counter() - started
            report("text, encrypted, passive reply", answers)
            print(f"{'':<34} {count / wall:,.0f} messages/s, one at a time")
            report("the same messages again (retries)", [await timed(client, q, b, 200) for q, b in messages[:200]])
            big = wechat.post(envelope=b"<xml>" + b"a" * 10_000_000 + b"</xml>")
            report("10 MB body -> 413", [await timed(client, *big, 413) for _ in range(20)])
            laughs = wechat.post(raw=BILLION_LAUGHS)
            report("billion laughs -> 400", [await timed(client, *laughs, 400) for _ in range(200)])
            forged = wechat.post(wechat.message("text", Content="x", MsgId=1), token="forged")
            report("bad signature -> 403", [await timed(client, *forged, 403) for _ in range(200)])
        await channel.stop()
        app.db.close()
    fake.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=500, help="how many distinct messages to post")
    asyncio.run(main(parser.parse_args().count))
