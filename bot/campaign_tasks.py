"""Unit tasks are the campaign file's deadlines that bind units: which one an administrator means by a few words
("上报 实施方案", "已召开动员大会"), read by shared character pairs, so the campaign file stays the only list."""

from __future__ import annotations

import re

from bot.campaign import Campaign, Deadline

REPORT = re.compile(r"^\s*(上报|已经|已)\s*[:：]?\s*(\S[^\n]{1,28})$")
FILLER = ("完成了", "完成", "了", "。", "！", "!", " ")
ENOUGH = 0.5  # the share of the words' character pairs a task's text must contain


def reported_words(text: str) -> str | None:
    """The words naming the task in '上报 实施方案' (上报实施方案: the verb is part of it) or '已召开动员大会'; else None."""
    match = REPORT.match(text)
    if match is None:
        return None
    words = match[2]
    for filler in FILLER:
        words = words.replace(filler, "")
    return ("上报" + words if match[1] == "上报" else words) if len(words) >= 2 else None


def _pairs(text: str) -> set[str]:
    return {text[i:i + 2] for i in range(len(text) - 1)}


def score(words: str, deadline: Deadline) -> float:
    """How much of the words the task's text contains (0..1)."""
    wanted = _pairs(words)
    return len(wanted & _pairs(deadline.task)) / len(wanted) if wanted else 0.0


def matching_tasks(campaign: Campaign, words: str, unit_kind: str | None = None) -> list[Deadline]:
    """The tasks (of units of that kind, when given) the words mean: the best match, or several equally good."""
    scored = [(score(words, d), d) for d in campaign.unit_tasks() if unit_kind is None or unit_kind in d.reporters]
    best = max((s for s, _ in scored), default=0.0)
    return [d for s, d in scored if s >= ENOUGH and s == best]
