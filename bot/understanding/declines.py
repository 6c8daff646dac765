"""Why the source cannot answer a question: another campaign, or a number, sum, place or name it never gives."""

from __future__ import annotations

import re
from collections.abc import Callable

from bot.understanding.cues import CUE_PATTERNS, cue


def decline_reason(text: str, in_source: Callable[[str], bool] = lambda name: False) -> str | None:
    """Why the source cannot answer: another campaign, or money, a place, a name, a number it never gives; else None.

    A question relating this campaign to another is answered only when the source speaks of that one (学习实践活动).
    A cadre's own households' phones and sizes are in the roster, so a first-person question about them is not one."""
    other = CUE_PATTERNS["other_campaign"].search(text)
    if other and not (cue("relation", text) and in_source(other.group(0))):
        return "other_campaign"
    for reason in ("no_money", "no_place", "no_person", "no_hour", "no_number"):
        if cue(reason, text):
            return reason
    if cue("roster_facts", text) and not cue("first_person", text):
        return "no_number"
    if asks_uncounted_number(text) and not cue("first_person", text):  # 我联系几户: the roster says
        return "no_number"
    return None


# How many: the source counts its phases, steps, lists (五个好, 三项教育, 四联) and commendations, nothing else
# (class: decline-no-number). 几个专家, 多少个基层党组织, 多少个要评成五个好 are numbers it never gives.
# 那几个“无”是啥 / 这几条 points at items the source lists (which ones), it does not ask how many.
_HOW_MANY = re.compile(r"(多少|(?<![哪那这月])几)(个|名|位|家|所|批|户|项|条|种|类|次|步|方面|大)?(?P<noun>[\u4e00-\u9fff]{0,4})")
_COUNTED_MEASURES = ("项", "条", "种", "类", "次", "步", "方面", "大")
_COUNTED_NOUNS = re.compile(r"^(阶段|步|好|新|无|带头|联|工程|教育|节点|方面|要求|目标|意义|内容|部分|点|句|同|是$|有$|呢|啊|吗|$)")
_HAS = ("有", "分", "共", "括", "含")  # …有几个 / 分几个: how many items a list has
_NOT_COUNTS = re.compile(r"^(天|号|日|月|年|点钟|时|岁)")  # dates and times are asked with 几 too


def asks_uncounted_number(text: str) -> bool:
    """True for a how-many question about something the source does not count (people, units, places, money)."""
    for match in _HOW_MANY.finditer(text):
        noun, measure = match.group("noun"), match.group(2)
        if _NOT_COUNTS.match(noun) or measure in _COUNTED_MEASURES:
            continue
        if measure in (None, "个") and _COUNTED_NOUNS.match(noun) and (noun or text[match.start() - 1:match.start()] in _HAS):
            continue  # 五个好有几个 counts a list; 一批是多少个 asks a number
        return True
    return False
