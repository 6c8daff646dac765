"""Platform API access tokens (access_tokens), shared by every process on the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlite_utils


@dataclass(frozen=True)
class AccessToken:
    """A cached token and when it expires (UTC)."""

    token: str
    expires_at: datetime


def cached_token(db: sqlite_utils.Database, name: str) -> AccessToken | None:
    """The token stored under name, or None."""
    row = db.execute("SELECT token, expires_at FROM access_tokens WHERE name = ?", (name,)).fetchone()
    return AccessToken(row[0], datetime.fromisoformat(row[1])) if row else None


def store_token(db: sqlite_utils.Database, name: str, token: str, expires_at: datetime) -> None:
    """Stores (or replaces) the token under name."""
    db.execute("INSERT INTO access_tokens (name, token, expires_at) VALUES (?, ?, ?) "
               "ON CONFLICT (name) DO UPDATE SET token = excluded.token, expires_at = excluded.expires_at",
               (name, token, expires_at.isoformat()))
