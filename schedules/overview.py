"""What the reminders would do at a moment (preview, nothing kept) and what they did (status counts)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

from bot.app import BotApp
from bot.db import rolled_back
from bot.store.deliveries import STATUSES, DueDelivery, count_by_reason, count_by_status, due_deliveries
from schedules.deadlines import deadline_problems
from schedules.lifecycle import prepare_dispatch
from schedules.plan import plan
from schedules.quiet_hours import QuietHours


@dataclass
class Preview:
    """The deliveries due at a moment, those waiting for a binding, and the problems found."""

    now: datetime
    due: list[DueDelivery] = field(default_factory=list)
    unbound: list[DueDelivery] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    quiet_until: datetime | None = None


def preview(app: BotApp, now: datetime | None = None) -> Preview:
    """Plans and prepares as a dispatch at now would, lists what it would send, then rolls everything back."""
    now = now or app.clock.now()
    result = Preview(now, problems=deadline_problems(app))
    with rolled_back(app.db):
        report = plan(app, now)
        prepare_dispatch(app, now)
        result.due += due_deliveries(app.db, now, bound=True)
        result.unbound += due_deliveries(app.db, now, bound=False)
    result.problems += [p for p in report.problems if p not in result.problems]
    quiet = QuietHours.from_settings(app.settings)
    if quiet.contains(now):
        result.quiet_until = quiet.next_allowed(now)
    return result


def status_counts(app: BotApp) -> tuple[Counter, Counter]:
    """Deliveries by status, and by (status, reason) for those not sent."""
    by_status = Counter({status: 0 for status in STATUSES})
    by_status.update(count_by_status(app.db))
    by_reason = Counter(count_by_reason(app.db))
    return by_status, by_reason
