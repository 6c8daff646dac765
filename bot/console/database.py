"""The console's own SQLite connections, one per worker thread: pages run off the event loop, never on it."""

from __future__ import annotations

import sqlite3
import threading

import sqlite_utils

from bot.db import open_migrated


class ConsoleDatabase:
    """Hands each worker thread its own connection to the bot's database file (WAL lets them read side by side)."""

    def __init__(self, path: str):
        if path == ":memory:":
            raise ValueError("the web console needs a database file, not :memory:")
        self.path = path
        self._local = threading.local()
        self._opened: list[sqlite3.Connection] = []
        self._lock = threading.Lock()

    def connection(self) -> sqlite_utils.Database:
        """This thread's connection, opened on first use with the bot's pragmas (the schema is migrated already)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = self._local.db = open_migrated(self.path)  # closed from close(), on another thread
            with self._lock:
                self._opened.append(db.conn)
        return db

    def close(self) -> None:
        """Closes every connection the threads opened."""
        with self._lock:
            for conn in self._opened:
                conn.close()
            self._opened.clear()
        self._local = threading.local()
