"""Soak: a province-sized roster import (`campaign-bot import`, a process of its own) while messages arrive on both
channels of a running bot.

    .venv/bin/python benchmarks/soak_import_traffic.py --work /tmp/soak            # ~2.4 million rows, 200 messages
    .venv/bin/python benchmarks/soak_import_traffic.py --work /tmp/soak --scale 0.1 --rate 10
    .venv/bin/python benchmarks/soak_import_traffic.py --work /tmp/soak --scale 0.1 --rate 5 --lock-seconds 12

The bot runs in this process as `campaign-bot run` runs it (BotRunner: uvicorn on 127.0.0.1, the Telegram channel
polling the fake Bot API on 127.0.0.1, the WeCom callback with the fake WeChat API on 127.0.0.1). Telegram messages
are pushed as updates to the fake Bot API; WeChat messages are signed and encrypted as WeChat does and posted to the
callback over HTTP. /healthz is asked every 100 ms throughout. The roster CSVs are generated once into --work and
reused; the database is fresh each run, so the import writes every row.

With --lock-seconds the write lock is also held that long (as a backup might) while messages arrive: they wait past
the busy timeout, are kept on disk and answered once it is released; their latency then includes the hold. If the
import is still writing then, it too waits only its 5 s busy timeout and stops with its resumable message (seen at
--scale 1: "写入数据库时中断（database is locked）…重新导入同一文件"), so use it where the import ends first.

Targets (issue 10): 0 messages lost, 0 answered 5xx, every message answered exactly once, answer latency p99 during
the import ≤ 2 s, /healthz never stalls (its max latency is reported).
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import logging
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import httpx  # noqa: E402

from bench_roster import generate  # noqa: E402
from bot.app import BotApp  # noqa: E402
from bot.clock import Clock  # noqa: E402
from bot.config import DatabaseSettings, PhotoSettings, ReminderSettings, Settings, TelegramSettings  # noqa: E402
from bot.runner import BotRunner  # noqa: E402
from handlers import ROUTES  # noqa: E402
from tests.fakes.telegram_api import FakeBotApi, private_message  # noqa: E402
from tests.fakes.wechat_api import FakeWeChatApi, WeChatServer, configure  # noqa: E402

QUESTION = "现在是哪个阶段"
GRACE_SECONDS = 60.0  # after the import and the last message, how long answers may still take before "lost"


@dataclasses.dataclass
class Message:
    """One message sent to the bot, and what became of it."""

    channel: str
    user: str
    sent: float
    during_import: bool
    status: int | None = None  # the WeChat callback's HTTP status
    answered: float | None = None
    answers: int = 0


def roster_folder(work: Path, scale: float) -> Path:
    """The generated roster for this scale, written once and reused."""
    folder = work / f"roster-{scale:g}"
    done = folder / ".complete"
    if not done.exists():
        folder.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        counts = generate(folder, scale)
        done.write_text(json.dumps(counts))
        print(f"generated {', '.join(f'{k} {n:,}' for k, n in counts.items())} "
              f"in {time.perf_counter() - started:.0f} s", flush=True)
    counts = json.loads(done.read_text())
    print(f"roster: {sum(counts.values()):,} rows in {folder}", flush=True)
    return folder


def make_app(work: Path, fake_telegram: FakeBotApi, wechat_api_url: str) -> tuple[BotApp, Path]:
    """A bot on a fresh database with both channels pointed at the fakes; and a config file for the import."""
    db_path = work / "soak.db"
    for stale in work.glob("soak.db*"):
        shutil.rmtree(stale) if stale.is_dir() else stale.unlink()
    settings = Settings(
        database=DatabaseSettings(path=str(db_path)), photos=PhotoSettings(dir=str(work / "photos")),
        telegram=TelegramSettings(enabled=True, token=fake_telegram.token, base_url=fake_telegram.base_url,
                                  base_file_url=fake_telegram.base_file_url),
        reminders=ReminderSettings(enabled=False))
    app = BotApp.create(settings, Clock(), routes=ROUTES)
    configure(app, "work", wechat_api_url)
    config = work / "soak.toml"
    config.write_text(f'[database]\npath = "{db_path}"\n[photos]\ndir = "{work / "photos"}"\n', encoding="utf-8")
    return app, config


class Soak:
    """Sends the messages, watches the fakes for answers, asks /healthz, and runs the import."""

    def __init__(self, base_url: str, fake_telegram: FakeBotApi, fake_wechat: FakeWeChatApi):
        self.http = httpx.AsyncClient(base_url=base_url, timeout=30)
        self.telegram = fake_telegram
        self.wechat_api = fake_wechat
        self.wechat = WeChatServer("work", "safe")
        self.messages: dict[str, Message] = {}
        self.health: list[tuple[float, int]] = []
        self.importing = False
        self.import_seconds = 0.0
        self.import_output = ""
        self._seen = {"telegram": 0, "wechat": 0}

    async def run_import(self, folder: Path, config: Path) -> None:
        """Runs `campaign-bot import` as a process of its own."""
        command = Path(sys.executable).parent / "campaign-bot"
        started = time.perf_counter()
        self.importing = True
        process = await asyncio.create_subprocess_exec(str(command), "import", str(folder), "--config", str(config),
                                                       stdout=asyncio.subprocess.PIPE,
                                                       stderr=asyncio.subprocess.STDOUT)
        out, _ = await process.communicate()
        self.importing = False
        self.import_seconds = time.perf_counter() - started
        self.import_output = out.decode("utf-8", "replace").strip()
        if process.returncode:
            raise SystemExit(f"the import failed ({process.returncode}):\n{self.import_output}")

    async def send(self, n: int) -> None:
        """Sends message n: even numbers on Telegram, odd ones on WeChat, each from a user of its own."""
        if n % 2 == 0:
            user = str(100_000 + n)
            self.messages[user] = Message("telegram", user, time.perf_counter(), self.importing)
            self.telegram.push_update(private_message(int(user), text=QUESTION))
            return
        user = f"wx-user-{n}"
        message = self.messages[user] = Message("wechat", user, time.perf_counter(), self.importing)
        query, body = self.wechat.post(self.wechat.message("text", sender=user, Content=QUESTION, MsgId=900_000 + n))
        response = await self.http.post(f"/wechat?{query}", content=body)
        message.status = response.status_code
        if response.status_code == 200 and response.text not in ("", "success"):
            message.answered, message.answers = time.perf_counter(), message.answers + 1  # a passive reply

    async def watch(self, stop: asyncio.Event) -> None:
        """Notes each answer the fakes receive, with when it arrived."""
        while not stop.is_set():
            now = time.perf_counter()
            sends = self.telegram.calls_to("sendMessage")
            for call in sends[self._seen["telegram"]:]:
                self._answered(call.chat_id, now)
            self._seen["telegram"] = len(sends)
            api_sends = self.wechat_api.sent("message/send")
            for sent in api_sends[self._seen["wechat"]:]:
                self._answered(sent["touser"], now)
            self._seen["wechat"] = len(api_sends)
            await asyncio.sleep(0.01)

    def _answered(self, user: str, now: float) -> None:
        message = self.messages.get(user)
        if message is None:
            return
        message.answers += 1
        if message.answered is None:
            message.answered = now

    async def ask_health(self, stop: asyncio.Event) -> None:
        """Asks /healthz every 100 ms, noting how long each answer took."""
        while not stop.is_set():
            started = time.perf_counter()
            try:
                status = (await self.http.get("/healthz")).status_code
            except httpx.HTTPError:
                status = 0
            self.health.append((time.perf_counter() - started, status))
            await asyncio.sleep(0.1)


async def soak(args) -> None:
    work = Path(args.work)
    work.mkdir(parents=True, exist_ok=True)
    folder = roster_folder(work, args.scale)
    fake_telegram = FakeBotApi()
    await fake_telegram.start()
    fake_wechat = FakeWeChatApi()
    wechat_url = fake_wechat.start()
    app, config = make_app(work, fake_telegram, wechat_url)
    runner = BotRunner(app, port=0)
    await runner.start()
    soak = Soak(f"http://127.0.0.1:{runner.port}", fake_telegram, fake_wechat)
    stop = asyncio.Event()
    watchers = [asyncio.create_task(soak.watch(stop)), asyncio.create_task(soak.ask_health(stop))]
    importing = asyncio.create_task(soak.run_import(folder, config))
    await asyncio.sleep(args.delay)
    senders, holding = [], None
    for n in range(args.messages):
        if args.lock_seconds and n == args.messages // 2:  # as a backup does: the write lock held for a long time
            holding = asyncio.create_task(asyncio.to_thread(hold_write_lock, app.settings.database.path,
                                                            args.lock_seconds))
        senders.append(asyncio.create_task(soak.send(n)))
        await asyncio.sleep(1 / args.rate)
    if holding is not None:
        await holding
    await asyncio.gather(*senders)
    await importing
    deadline = time.perf_counter() + GRACE_SECONDS
    while time.perf_counter() < deadline and any(m.answered is None for m in soak.messages.values()):
        await asyncio.sleep(0.1)
    await asyncio.sleep(1.0)  # a duplicate would have arrived by now
    stop.set()
    await asyncio.gather(*watchers)
    await runner.stop()
    await fake_telegram.stop()
    fake_wechat.stop()
    await soak.http.aclose()
    report(soak, app)
    app.close()


def hold_write_lock(path: str, seconds: float) -> None:
    """Holds the database's write lock from a connection of its own for that long (waiting for it first)."""
    import sqlite3

    conn = sqlite3.connect(path, timeout=60, isolation_level=None)
    conn.execute("BEGIN IMMEDIATE")
    print(f"holding the write lock for {seconds:g} s", flush=True)
    time.sleep(seconds)
    conn.execute("COMMIT")
    conn.close()


def report(soak: Soak, app: BotApp) -> None:
    """Prints the figures."""
    messages = list(soak.messages.values())
    lost = [m for m in messages if m.answered is None]
    errors = [m for m in messages if m.status is not None and m.status >= 500]
    twice = [m for m in messages if m.answers > 1]
    during = sorted(m.answered - m.sent for m in messages if m.during_import and m.answered is not None)
    everything = sorted(m.answered - m.sent for m in messages if m.answered is not None)

    def pct(values: list[float], q: float) -> float:
        return values[min(int(q * len(values)), len(values) - 1)] if values else float("nan")

    health = sorted(seconds for seconds, _ in soak.health)
    bad_health = sum(1 for _, status in soak.health if status != 200)
    print(f"import: {soak.import_seconds:.1f} s — {soak.import_output.splitlines()[-1] if soak.import_output else ''}")
    print(f"messages: {len(messages)} ({sum(m.channel == 'telegram' for m in messages)} Telegram, "
          f"{sum(m.channel == 'wechat' for m in messages)} WeChat), {sum(m.during_import for m in messages)} sent "
          f"during the import")
    print(f"lost {len(lost)}, answered 5xx {len(errors)}, answered more than once {len(twice)}, "
          f"answered {len(messages) - len(lost)}")
    print(f"answer latency during the import: p50 {pct(during, 0.5):.2f} s, p99 {pct(during, 0.99):.2f} s, "
          f"max {during[-1] if during else float('nan'):.2f} s; over all messages p99 {pct(everything, 0.99):.2f} s")
    print(f"/healthz: {len(health)} checks, {bad_health} not 200, p99 {pct(health, 0.99) * 1000:.0f} ms, "
          f"max {health[-1] * 1000 if health else float('nan'):.0f} ms")
    print(f"attempts that found the database locked past the 5 s busy timeout (then tried again): "
          f"{app.worker.busy_failures}")
    if lost:
        print("lost:", ", ".join(f"{m.channel}:{m.user}" for m in lost[:10]))


def main() -> None:
    """Parses the arguments and runs the soak."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--work", required=True, help="folder for the generated roster (kept, reused) and the database")
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the province-sized roster (default 1)")
    parser.add_argument("--messages", type=int, default=200, help="messages to send, half on each channel")
    parser.add_argument("--rate", type=float, default=4.0, help="messages a second (default 4)")
    parser.add_argument("--delay", type=float, default=0.0, help="seconds between starting the import and traffic")
    parser.add_argument("--lock-seconds", type=float, default=0.0,
                        help="halfway through the messages, hold the write lock this long from another connection "
                             "(as a backup does), so that messages must wait past the 5 s busy timeout")
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    logging.getLogger("bot.worker").setLevel(logging.WARNING)
    asyncio.run(soak(args))


if __name__ == "__main__":
    main()
