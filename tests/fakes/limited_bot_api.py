"""A fake Bot API on 127.0.0.1 that enforces Telegram's sending limits: 30 messages in any second, 1 a second per chat.

Requests over a limit are answered 429 with retry_after, as Telegram does. It answers after a configurable
latency, counted after arrival, so a client that sends one message at a time cannot reach the allowed rate.

Run as a process of its own (`python -m tests.fakes.limited_bot_api [LATENCY]`) so its clock is not slowed by the
client: it prints its base URL, serves until its standard input closes, and reports on GET /stats (with the sends
in progress now and at most, and its monotonic clock).
"""

from __future__ import annotations

import asyncio
import random
import sys
import time
from collections import Counter, deque

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.fakes.telegram_api import SEND_METHODS, FakeBotApi, _read_params

OVERALL_PER_SECOND = 30
PER_CHAT_SECONDS = 1.0


class LimitedBotApi(FakeBotApi):
    """FakeBotApi with Telegram's flood limits and latency; `arrivals` holds accepted sends' arrival times."""

    def __init__(self, latency: tuple[float, float] = (0.05, 0.25), jitter: float = 0.0, seed: int = 7):
        super().__init__()
        self._server.config.app.router.routes.append(Route("/stats", self._stats))
        self.latency = latency
        self.jitter = jitter
        self.random = random.Random(seed)
        self.window: deque[float] = deque()
        self.last_by_chat: dict[str, float] = {}
        self.arrivals: list[float] = []
        self.delivered: Counter = Counter()  # chat id -> messages accepted
        self.refused = 0  # 429 answers
        self.in_progress = 0  # sends received and not yet answered
        self.most_in_progress = 0

    def _flooded(self, chat_id: str, now: float) -> float | None:
        """Seconds to wait when this send breaks a limit, else None (and the send is counted)."""
        while self.window and self.window[0] <= now - 1.0:
            self.window.popleft()
        if len(self.window) >= OVERALL_PER_SECOND:
            return 1.0
        last = self.last_by_chat.get(chat_id)
        if last is not None and now - last < PER_CHAT_SECONDS:
            return PER_CHAT_SECONDS
        self.window.append(now)
        self.last_by_chat[chat_id] = now
        return None

    async def _api(self, request: Request) -> Response:
        method = request.path_params["method"]
        if method not in SEND_METHODS:
            return await super()._api(request)
        self.in_progress += 1
        self.most_in_progress = max(self.most_in_progress, self.in_progress)
        try:
            return await self._limited_send(request)
        finally:
            self.in_progress -= 1

    async def _limited_send(self, request: Request) -> Response:
        await asyncio.sleep(self.random.uniform(0, self.jitter))  # on the way in
        now = time.monotonic()
        params, _ = await _read_params(request)
        chat_id = str(params.get("chat_id"))
        wait = self._flooded(chat_id, now)
        await asyncio.sleep(self.random.uniform(*self.latency))  # the server's time to answer
        if wait is not None:
            self.refused += 1
            return JSONResponse({"ok": False, "error_code": 429, "description": f"Too Many Requests: retry after "
                                 f"{int(wait)}", "parameters": {"retry_after": int(wait)}}, status_code=429)
        self.arrivals.append(now)
        self.delivered[chat_id] += 1
        return await super()._api(request)

    async def _stats(self, request: Request) -> Response:
        return JSONResponse({"arrivals": self.arrivals, "delivered": self.delivered, "refused": self.refused,
                             "in_progress": self.in_progress, "most_in_progress": self.most_in_progress,
                             "now": time.monotonic()})


async def _serve_until_stdin_closes(latency: float | None) -> None:
    fake = LimitedBotApi() if latency is None else LimitedBotApi(latency=(latency, latency))
    await fake.start()
    print(fake.base_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    await fake.stop()


if __name__ == "__main__":
    # python -m tests.fakes.limited_bot_api [SECONDS]: every send answered after exactly SECONDS
    asyncio.run(_serve_until_stdin_closes(float(sys.argv[1]) if len(sys.argv) > 1 else None))
