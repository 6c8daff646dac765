"""The running bot's claim on its database: a lock file next to it, held with flock for as long as `run` runs.

The operating system drops the lock when the process ends, however it ends, so a crashed bot never leaves a stale
claim. `restore` and a second `run` look at it before touching the database.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from bot.errors import UserError


class DatabaseInUse(UserError):
    """Another running bot holds this database; the message (Chinese) says which file."""


def lock_path(db_path: str | Path) -> Path:
    """The lock file of a database: campaign.db -> campaign.db.run-lock."""
    path = Path(db_path)
    return path.with_name(path.name + ".run-lock")


def hold_run_lock(db_path: str | Path) -> int | None:
    """Takes the database's run lock for this process; returns the descriptor to release, None for :memory:."""
    if str(db_path) == ":memory:":
        return None
    path = lock_path(db_path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        os.close(fd)
        raise DatabaseInUse(f"数据库 {db_path} 正被另一个运行中的机器人使用（campaign-bot run）。"
                            "同一个数据库只能运行一个机器人；请先停止它。") from None
    os.ftruncate(fd, 0)
    os.write(fd, f"{os.getpid()}\n".encode())
    return fd


def release_run_lock(fd: int | None) -> None:
    """Gives the run lock back (closing the descriptor releases the flock)."""
    if fd is not None:
        os.close(fd)


def bot_is_running(db_path: str | Path) -> bool:
    """Whether a running bot holds the database's run lock right now."""
    path = lock_path(db_path)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)  # also drops the shared lock just taken
    return False
