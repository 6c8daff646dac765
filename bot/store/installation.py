"""Keys made once per installation (migration 40) and kept in its database, so a restored backup keeps them."""

from __future__ import annotations

import sqlite_utils

LOG_REFERENCE = "log_reference"


def installation_key(db: sqlite_utils.Database, name: str = LOG_REFERENCE) -> bytes:
    """The installation's random key of that name, as bytes."""
    return bytes.fromhex(db.execute("SELECT key FROM installation_keys WHERE name = ?", (name,)).fetchone()[0])
