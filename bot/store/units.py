"""Units of the Party organisation (单位): one by its 编号."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils


@dataclass(frozen=True)
class Unit:
    """A unit: its 编号, name, parent and kind (活动办 / 县市委 / 州直党(工)委 / 基层党组织)."""

    id: str
    name: str
    parent_id: str | None
    kind: str


def unit_by_id(db: sqlite_utils.Database, unit_id: str) -> Unit | None:
    """The unit with this 编号, or None."""
    row = db.execute("SELECT id, name, parent_id, kind FROM units WHERE id = ?", (unit_id,)).fetchone()
    return Unit(*row) if row else None


def all_units(db: sqlite_utils.Database) -> list[Unit]:
    """Every unit, in no particular order."""
    return [Unit(*row) for row in db.execute("SELECT id, name, parent_id, kind FROM units").fetchall()]
