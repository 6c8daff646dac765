"""The database worker: one thread that runs all of the running bot's database work, so the event loop never
waits on SQLite (a roster import or a backup may hold the write lock for seconds).

The event loop hands it a function (plain or async) and awaits the result; the thread runs one piece of work at a
time, so the app's single connection is never used by two at once and a transaction is never interleaved. A piece
of work that finds the database busy beyond its timeout can be handed back and tried again (`until_done`), so a
message waiting for the lock is kept, not dropped.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.db import database_busy

logger = logging.getLogger(__name__)

FIRST_PAUSE = 0.05  # seconds between attempts while the database stays busy, doubling up to MAX_PAUSE
MAX_PAUSE = 1.0
_thread_state = threading.local()


class DatabaseWorker:
    """A single thread owning the database work; started on first use, stopped by close()."""

    def __init__(self, name: str = "database"):
        self.name = name
        self._executor: ThreadPoolExecutor | None = None
        self._lock = threading.Lock()
        self.busy_failures = 0  # how often work found the database locked past its busy timeout (soak figures)

    async def run(self, fn: Callable[..., Any], *args: Any) -> Any:
        """Runs fn(*args) on the worker thread (an async fn runs to its end there) and returns its result."""
        try:
            return await asyncio.wrap_future(self._started().submit(_call, fn, args))
        except sqlite3.OperationalError as exc:
            self.busy_failures += database_busy(exc)
            raise

    async def until_done(self, fn: Callable[..., Any], *args: Any, what: str = "work") -> Any:
        """Like run(), but while the database is busy or locked beyond its timeout, tries again after a pause on
        the loop; never gives up (fn must leave nothing behind when it fails busy: one transaction, rolled back)."""
        pause = FIRST_PAUSE
        while True:
            try:
                return await self.run(fn, *args)
            except sqlite3.OperationalError as exc:
                if not database_busy(exc):
                    raise
            logger.warning("database busy: %s kept, tried again in %.2f s", what, pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, MAX_PAUSE)

    def close(self) -> None:
        """Lets queued work finish, then ends the thread; a later run() starts a new one."""
        with self._lock:
            executor, self._executor = self._executor, None
        if executor is not None:
            executor.submit(_close_thread_loop)
            executor.shutdown(wait=True)

    def _started(self) -> ThreadPoolExecutor:
        with self._lock:
            if self._executor is None:
                self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix=self.name)
            return self._executor


def _close_thread_loop() -> None:
    loop = getattr(_thread_state, "loop", None)
    if loop is not None:
        loop.close()
        _thread_state.loop = None


def _call(fn: Callable[..., Any], args: tuple) -> Any:
    result = fn(*args)
    if inspect.isawaitable(result):  # a handler chain: run it to its end on this thread's own loop
        loop = getattr(_thread_state, "loop", None)
        if loop is None:
            loop = _thread_state.loop = asyncio.new_event_loop()
        result = loop.run_until_complete(result)
    return result
