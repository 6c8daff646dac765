"""What the reminders say: short Chinese texts that name the task, the date and what to do next."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.campaign import Campaign, Deadline, chinese_date

MAX_LISTED = 20  # a chat message stays readable; the rest is counted


def days_left_phrase(due: date, today: date) -> str:
    """还有7天 / 明天截止 / 今天截止."""
    left = (due - today).days
    if left <= 0:
        return "今天截止"
    if left == 1:
        return "明天截止"
    return f"还有{left}天"


def deadline_when(deadline: Deadline) -> str:
    """The deadline as the source says it, with the date when the source gives one: 5月15日前（2010年5月15日）."""
    if not deadline.date_in_source:
        return deadline.due_text
    return f"{deadline.due_text}（{chinese_date(deadline.due)}）" if deadline.due_text else chinese_date(deadline.due)


def deadline_text(campaign: Campaign, deadline: Deadline, today: date) -> str:
    """The reminder of one deadline, as read on `today` (the local day it is sent)."""
    if not deadline.date_in_source:  # the source gives no date: say what it says, count no days
        when = f"{deadline.due_text}。{deadline.note}"
    else:
        when = f"{deadline_when(deadline)}，{days_left_phrase(deadline.due, today)}。"
    return (
        f"【截止提醒】{deadline.task}\n"
        f"截止：{when}\n"
        f"依据：{campaign.source}{deadline.ref}\n"
        "请按时完成；发送 /deadlines 可查看全部截止事项。"
    )


@dataclass(frozen=True)
class OverdueHousehold:
    """A paired household the cadre has not visited within the interval."""

    head_name: str
    place: str
    last_visit: date | None  # local date of the cadre's last visit


def visit_text(households: list[OverdueHousehold], interval_days: int) -> str:
    """The reminder to visit the households listed (for their own cadre only: it names them)."""
    lines = [f"【走访提醒】您有{len(households)}户联系户超过{interval_days}天没有走访："]
    for n, household in enumerate(households[:MAX_LISTED], start=1):
        last = f"上次走访{chinese_date(household.last_visit)}" if household.last_visit else "从未走访"
        lines.append(f"{n}. {household.head_name}户（{household.place}）：{last}")
    if len(households) > MAX_LISTED:
        lines.append(f"……另有{len(households) - MAX_LISTED}户")
    lines.append("请尽快入户走访，走访后把照片发给我即可上报。")
    return "\n".join(lines)


@dataclass(frozen=True)
class OverdueCadre:
    """A cadre of the administrator's units with households overdue for a visit."""

    name: str
    unit_name: str
    households: int


def digest_text(scope: str, cadres: list[OverdueCadre], deadlines: list[Deadline]) -> str:
    """The weekly digest for an administrator: overdue visits in their units and deadlines still ahead."""
    lines = [f"【每周汇总】{scope}"]
    if cadres:
        lines.append(f"走访逾期的干部（{len(cadres)}人）：")
        lines += [f"· {c.name}（{c.unit_name}）{c.households}户" for c in cadres[:MAX_LISTED]]
        if len(cadres) > MAX_LISTED:
            lines.append(f"……另有{len(cadres) - MAX_LISTED}人")
    else:
        lines.append("本周没有走访逾期的干部。")
    if deadlines:
        lines.append("未到期的截止事项：")
        # Dates, not days left: a digest may be read days after it was written (a late binding, quiet hours).
        lines += [f"· {deadline_when(d)}：{d.task}" for d in deadlines[:5]]
    lines.append("请督促走访逾期的干部尽快入户走访。" if cadres else "请继续督促落实各项任务。")
    return "\n".join(lines)
