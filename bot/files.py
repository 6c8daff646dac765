"""Writing files so that a crash never leaves half of one: a temporary file, fsync, then a rename over the target."""

from __future__ import annotations

import contextlib
import os
import pwd
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


@contextlib.contextmanager
def atomic_file(target: Path, prefix: str = ".writing-") -> Iterator[BinaryIO]:
    """Yields a file to write; once the block ends it is synced and renamed over target, on an error removed."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=prefix)
    try:
        with os.fdopen(fd, "wb") as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def nearest_existing(path: Path) -> Path:
    """The path itself when it exists, else its closest existing parent (what a new file there would live in)."""
    path = path.resolve()
    while not path.exists():
        path = path.parent
    return path


def user_name(uid: int) -> str:
    """The login name of a user id, or the number when the system has no such user."""
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return str(uid)
