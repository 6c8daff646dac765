"""What the database already holds, read once per import: the ids each sheet's rows may refer to or update."""

from __future__ import annotations

import sqlite_utils

KEYS = {"units": "id", "cadres": "id", "households": "id", "pairings": "pair_key"}


class KnownRows:
    """The keys already in the database, per table, each table read once on first use."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db
        self._keys: dict[str, set[str]] = {}
        self._unit_parents: dict[str, str | None] | None = None

    def keys(self, table: str) -> set[str]:
        """The keys of the table's rows: ids, or pair_key for pairings."""
        if table not in self._keys:
            column = KEYS[table]
            self._keys[table] = {row[0] for row in self.db.execute(f"SELECT {column} FROM {table}")}
        return self._keys[table]

    def unit_parents(self) -> dict[str, str | None]:
        """Each stored unit's parent, for checking the tree the import would make."""
        if self._unit_parents is None:
            self._unit_parents = dict(self.db.execute("SELECT id, parent_id FROM units").fetchall())
            self._keys["units"] = set(self._unit_parents)
        return self._unit_parents
