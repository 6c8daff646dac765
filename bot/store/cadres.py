"""Cadres as the bot sees them: who a chat speaks for, who has a phone number, with their unit."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from bot.vocabulary import OFFICE_ADMIN, UNIT_ADMIN


@dataclass(frozen=True)
class Cadre:
    """A cadre from the roster, with the kind and name of their unit."""

    id: str
    name: str
    phone: str | None
    unit_id: str
    title: str | None
    role: str | None
    unit_kind: str
    unit_name: str

    @property
    def is_unit_admin(self) -> bool:
        """A unit administrator or the office: may see the progress of the units below."""
        return self.role in (UNIT_ADMIN, OFFICE_ADMIN)

    @property
    def is_office(self) -> bool:
        """An administrator of the campaign office (活动办)."""
        return self.role == OFFICE_ADMIN


_CADRE_COLUMNS = ("SELECT c.id, c.name, c.phone, c.unit_id, c.title, c.role, u.kind, u.name "
                  "FROM cadres c JOIN units u ON u.id = c.unit_id ")


def cadre_by_id(db: sqlite_utils.Database, cadre_id: str) -> Cadre | None:
    """The cadre with this 干部编号, or None."""
    row = db.execute(_CADRE_COLUMNS + "WHERE c.id = ?", (cadre_id,)).fetchone()
    return Cadre(*row) if row else None


def cadres_with_phone(db: sqlite_utils.Database, phone: str) -> list[Cadre]:
    """The cadres whose stored phone equals the number, already normalised (normally one)."""
    return [Cadre(*row) for row in db.execute(_CADRE_COLUMNS + "WHERE c.phone = ?", (phone,)).fetchall()]


def bound_cadre(db: sqlite_utils.Database, channel: str, chat_id: str) -> Cadre | None:
    """The cadre the chat is actively bound to, or None for a visitor."""
    row = db.execute(
        _CADRE_COLUMNS.replace("FROM cadres c", "FROM bindings b JOIN cadres c ON c.id = b.cadre_id")
        + "WHERE b.channel = ? AND b.chat_id = ? AND b.active = 1", (channel, chat_id)).fetchone()
    return Cadre(*row) if row else None


def all_cadres(db: sqlite_utils.Database) -> list[Cadre]:
    """Every cadre, with their unit."""
    return [Cadre(*row) for row in db.execute(_CADRE_COLUMNS).fetchall()]


def office_admin_ids(db: sqlite_utils.Database) -> list[str]:
    """The ids of the 活动办管理员, in order."""
    return [row[0] for row in db.execute("SELECT id FROM cadres WHERE role = ? ORDER BY id", (OFFICE_ADMIN,))]


def admins_without_reminder(db: sqlite_utils.Database, reminder_key: str) -> list[Cadre]:
    """The unit administrators and office administrators who have no delivery of the reminder yet."""
    return [Cadre(*row) for row in db.execute(
        _CADRE_COLUMNS + "WHERE c.role IN (?, ?) AND NOT EXISTS "
        "(SELECT 1 FROM deliveries d WHERE d.reminder_key = ? AND d.cadre_id = c.id)",
        (UNIT_ADMIN, OFFICE_ADMIN, reminder_key)).fetchall()]


def audience_sql(unit_kinds: tuple[str, ...], roles: tuple[str, ...],
                 task: str | None = None) -> tuple[str, tuple]:
    """A query for the cadres whose unit is of one of unit_kinds and whose role is one of roles (columns: id, text
    NULL), with its parameters: the audience of a deadline, for store.deliveries.insert_for_audience. With `task`
    (a deadline id), units that reported that task done are left out: their reminders stop."""
    kinds = ", ".join("?" * len(unit_kinds))
    wanted = ", ".join("?" * len(roles))
    # CROSS JOIN keeps SQLite from scanning every cadre: units of the kinds first, then their cadres by index.
    sql = (f"SELECT c.id, NULL AS text FROM units u CROSS JOIN cadres c ON c.unit_id = u.id "
           f"WHERE u.kind IN ({kinds}) AND c.role IN ({wanted})")
    if task is None:
        return sql, (*unit_kinds, *roles)
    sql += " AND NOT EXISTS (SELECT 1 FROM unit_task_completions t WHERE t.unit_id = u.id AND t.deadline_id = ?)"
    return sql, (*unit_kinds, *roles, task)


def audience_size(db: sqlite_utils.Database, unit_kinds: tuple[str, ...], roles: tuple[str, ...]) -> int:
    """How many cadres are of those unit kinds and roles."""
    sql, params = audience_sql(unit_kinds, roles)
    return db.execute(f"SELECT COUNT(*) FROM ({sql})", params).fetchone()[0]
