"""What the database already holds, read once per import: the ids each sheet's rows may refer to or update."""

from __future__ import annotations

import functools
from collections.abc import Set

import sqlite_utils


class KnownRows:
    """What the database holds, per table, each table read once on first use."""

    def __init__(self, db: sqlite_utils.Database):
        self.db = db

    def keys(self, table: str) -> Set[str]:
        """The keys of the table's rows: ids, or pair_key for pairings."""
        match table:
            case "units":
                return self.unit_parents.keys()
            case "cadres":
                return self.cadre_phones.keys()
            case "households":
                return self.household_ids
            case "pairings":
                return self.pairing_parties.keys()
        raise ValueError(f"no keys kept for table {table}")

    @functools.cached_property
    def unit_parents(self) -> dict[str, str | None]:
        """Each stored unit's parent, for checking the tree the import would make."""
        return dict(self.db.execute("SELECT id, parent_id FROM units"))

    @functools.cached_property
    def cadre_phones(self) -> dict[str, str | None]:
        """Each stored cadre's phone (None when it has none), for phones the file would share with one."""
        return dict(self.db.execute("SELECT id, phone FROM cadres"))

    @functools.cached_property
    def household_ids(self) -> set[str]:
        """The stored households' ids."""
        return {row[0] for row in self.db.execute("SELECT id FROM households")}

    @functools.cached_property
    def pairing_parties(self) -> dict[str, tuple[bool, str]]:
        """Each stored pairing's key -> its party, (True, unit id) or (False, cadre id); in the table's order."""
        return {key: (unit_id is not None, unit_id or cadre_id)
                for key, cadre_id, unit_id in self.db.execute("SELECT pair_key, cadre_id, unit_id FROM pairings")}
