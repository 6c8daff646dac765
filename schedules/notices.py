"""Notices as deliveries: a confirmed notice planned as one row per recipient for the reminders' dispatcher (quiet
hours unless urgent), its receipts kept by what the dispatcher records, and one reminder of a notice unread a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.app import BotApp
from bot.messages import YES, Choice, Outgoing
from bot.store.deliveries import SENT, UNDELIVERABLE, Reminder, insert_for_audience, insert_personal
from bot.store.notices import RECEIPTS_AUDIENCE, Notice, finish_planning, notice_texts, notices_to_plan
from bot.store.supervision import mark_delivered, mark_reminded, mark_undeliverable, unread_to_remind
from schedules.plan_result import PlanReport
from schedules.quiet_hours import QuietHours

NOTICE_LIFETIME = timedelta(days=7)  # a cadre who binds within a week still gets it
UNREAD_AFTER = timedelta(days=1)
NOTICE_KEY, UNREAD_KEY = "notice:", "notice-unread:"
READ_PREFIX = "notice-read:"


def notice_message(notice: Notice) -> str:
    """The text a recipient gets."""
    urgent = "【紧急通知】" if notice.urgent else "【通知】"
    return f"{urgent}{notice.sender_unit}：{notice.text}\n看过请点“收到”，或回复“收到”。"


def plan_notices(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """Writes the delivery rows of every confirmed notice not yet planned (urgent ones due now, even at night)."""
    quiet = QuietHours.from_settings(app.settings)
    for notice in notices_to_plan(app.db):
        due = now if notice.urgent else quiet.next_allowed(now)
        key = f"{NOTICE_KEY}{notice.id}"
        reminder = Reminder(key, key, "notice", due, due + NOTICE_LIFETIME)
        report.added(key, insert_for_audience(app.db, reminder, RECEIPTS_AUDIENCE, (notice.id,), now, notice_message(notice)))
        finish_planning(app.db, notice, key)


def plan_unread_reminders(app: BotApp, now: datetime, report: PlanReport, only_new: bool = False) -> None:
    """One reminder to each cadre who has left a notice unread for a day (never a second one)."""
    unread = unread_to_remind(app.db, now - UNREAD_AFTER)
    texts = notice_texts(app.db, {notice for notice, _ in unread})
    quiet = QuietHours.from_settings(app.settings)
    for notice_id in sorted(texts):
        cadres = [cadre for notice, cadre in unread if notice == notice_id]
        text = f"提醒：您还没有确认这条通知：“{texts[notice_id][:60]}”。看过请点“收到”，或回复“收到”。"
        key = f"{UNREAD_KEY}{notice_id}"
        due = quiet.next_allowed(now)
        added = insert_personal(app.db, Reminder(key, key, "notice", due, due + NOTICE_LIFETIME),
                                dict.fromkeys(cadres, text), now)
        for cadre in cadres:
            mark_reminded(app.db, notice_id, cadre, now)
        report.added(key, added)


def notice_of_key(reminder_key: str) -> int | None:
    """The notice a delivery is about (its first sending or its reminder), or None."""
    for prefix in (NOTICE_KEY, UNREAD_KEY):
        if reminder_key.startswith(prefix):
            return int(reminder_key[len(prefix):])
    return None


def delivery_message(reminder_key: str, text: str) -> Outgoing:
    """What the dispatcher sends for a row: a notice carries the 收到 button."""
    notice_id = notice_of_key(reminder_key)
    if notice_id is None:
        return Outgoing(text)
    return Outgoing(text, choices=(Choice("收到", f"{READ_PREFIX}{notice_id}", YES),))


def record_receipt(app: BotApp, reminder_key: str, cadre_id: str, status: str, reason: str, now: datetime) -> None:
    """Keeps a notice's receipt in step with what became of its delivery (its reminder changes nothing)."""
    if not reminder_key.startswith(NOTICE_KEY):
        return
    notice_id = int(reminder_key[len(NOTICE_KEY):])
    if status == SENT:
        mark_delivered(app.db, notice_id, cadre_id, now)
    elif status == UNDELIVERABLE or status == "failed":
        mark_undeliverable(app.db, notice_id, cadre_id, reason or status)
