"""What the reminders would do at a moment (preview, nothing kept) and what they did (status counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.app import BotApp
from schedules.deadlines import deadline_problems
from schedules.lifecycle import prepare_dispatch
from schedules.plan import plan
from schedules.quiet_hours import QuietHours
from bot.store.deliveries import PENDING, STATUSES
from schedules.timekeeping import iso


@dataclass
class Preview:
    """The deliveries due at a moment, those waiting for a binding, and the problems found."""

    now: datetime
    due: list[dict] = field(default_factory=list)  # reminder_key, cadre_id, name, channel, chat_id, text
    unbound: list[dict] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    quiet_until: datetime | None = None


_DUE_SQL = """
SELECT d.reminder_key, d.cadre_id, c.name, d.channel, d.chat_id, d.text
FROM deliveries d JOIN cadres c ON c.id = d.cadre_id
WHERE d.status = ? AND d.due_at <= ? AND (d.next_attempt_at IS NULL OR d.next_attempt_at <= ?) AND {bound}
ORDER BY d.reminder_key, d.cadre_id
"""


def preview(app: BotApp, now: datetime | None = None) -> Preview:
    """Plans and prepares as a dispatch at now would, lists what it would send, then rolls everything back."""
    now = now or app.clock.now()
    result = Preview(now, problems=deadline_problems(app))
    db = app.db
    db.conn.execute("BEGIN IMMEDIATE")
    try:
        report = plan(app, now)
        prepare_dispatch(app, now)
        columns = ("reminder_key", "cadre_id", "name", "channel", "chat_id", "text")
        for bound, target in (("d.chat_id IS NOT NULL", result.due), ("d.chat_id IS NULL", result.unbound)):
            rows = db.execute(_DUE_SQL.format(bound=bound), (PENDING, iso(now), iso(now))).fetchall()
            target.extend(dict(zip(columns, row)) for row in rows)
    finally:
        db.conn.execute("ROLLBACK")
    result.problems += [p for p in report.problems if p not in result.problems]
    quiet = QuietHours.from_settings(app.settings)
    if quiet.contains(now):
        result.quiet_until = quiet.next_allowed(now)
    return result


def status_counts(app: BotApp) -> tuple[Counter, Counter]:
    """Deliveries by status, and by (status, reason) for those not sent."""
    by_status = Counter({status: 0 for status in STATUSES})
    by_status.update(dict(app.db.execute("SELECT status, COUNT(*) FROM deliveries GROUP BY status").fetchall()))
    by_reason = Counter({
        (status, reason): count for status, reason, count in app.db.execute(
            "SELECT status, last_error, COUNT(*) FROM deliveries WHERE status != 'sent' AND last_error IS NOT NULL "
            "GROUP BY status, last_error")
    })
    return by_status, by_reason
