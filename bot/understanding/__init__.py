"""The campaign question engine: reads a cadre's question (classify) and answers it from the campaign file (answer).

This is the foundation's first version; the understanding issue replaces its insides and keeps this interface:
    Answerer(campaign).classify(text) -> Understanding
    Answerer(campaign).answer(text, now, unit_kind=None, role=None, intent=None) -> Answer
Intents the router acts on itself: my_households, my_pairings, my_visits, help, unbind.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import opencc

from bot.campaign import Campaign

PERSONAL_INTENTS = ("my_households", "my_pairings", "my_visits", "help", "unbind")

_PERSONAL_KEYWORDS = (
    ("my_households", ("联系户", "结对户", "帮扶户", "联系的农户", "我的农户", "联户")),
    ("my_pairings", ("我的结对", "结对情况", "我们单位结对", "联系的村", "联系的学校")),
    ("my_visits", ("我的走访", "走访记录", "走访情况")),
    ("unbind", ("解绑", "解除绑定")),
    ("help", ("帮助", "怎么用", "能做什么", "help")),
)

SUGGESTIONS = ("现在是哪个阶段？", "下一个截止日期是什么？", "四联一带是什么？")


@dataclass(frozen=True)
class Understanding:
    intent: str
    confidence: float
    normalized: str
    slots: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    text: str
    intent: str
    confidence: float
    suggestions: tuple[str, ...] = ()


class Answerer:
    """Classifies and answers questions about one campaign."""

    def __init__(self, campaign: Campaign, tz: str = "Asia/Shanghai"):
        self.campaign = campaign
        self.tz = ZoneInfo(tz)
        self._t2s = opencc.OpenCC("t2s")

    def normalize(self, text: str) -> str:
        """Traditional to simplified, trimmed."""
        return self._t2s.convert(text or "").strip()

    def classify(self, text: str) -> Understanding:
        """What the text asks for, with a confidence in [0, 1]."""
        norm = self.normalize(text)
        for name, words in _PERSONAL_KEYWORDS:
            if any(w in norm.lower() for w in words):
                return Understanding(name, 0.9, norm)
        if "阶段" in norm:
            return Understanding("current_phase", 0.7, norm)
        if "截止" in norm or "期限" in norm:
            return Understanding("deadlines", 0.7, norm)
        for topic in self.campaign.topics:
            if topic.title in norm or any(a in norm for a in topic.aliases):
                return Understanding("topic", 0.7, norm, {"topic": topic.id})
        return Understanding("unknown", 0.0, norm)

    def answer(self, text: str, now: datetime, unit_kind: str | None = None, role: str | None = None,
               intent: str | None = None) -> Answer:
        """A short answer from the campaign file, its source named; declines with suggestions when unsure."""
        reading = self.classify(text) if intent is None else Understanding(intent, 1.0, self.normalize(text))
        today = now.astimezone(self.tz).date()
        source = self.campaign.source
        if reading.intent == "current_phase":
            phase = self.campaign.phase_at(today)
            if phase is None:
                return Answer(f"今天（{today:%Y-%m-%d}）不在已写明的任何阶段内。", reading.intent, reading.confidence)
            return Answer(f"现在是第{phase.number}阶段：{phase.name}（{phase.period_text}）。\n依据：{source}{phase.ref}",
                          reading.intent, reading.confidence)
        if reading.intent == "deadlines":
            ahead = self.campaign.upcoming_deadlines(today, unit_kind)[:3]
            if not ahead:
                return Answer("没有尚未到期的截止事项。", reading.intent, reading.confidence)
            lines = [f"{d.due:%Y-%m-%d}（{d.due_text}）：{d.task}，依据：{source}{d.ref}" for d in ahead]
            return Answer("\n".join(lines), reading.intent, reading.confidence)
        if reading.intent == "topic":
            topic = self.campaign.topic(reading.slots["topic"])
            return Answer(f"{topic.text}\n依据：{topic.source or source}{topic.ref}", reading.intent, reading.confidence)
        return Answer("抱歉，没有找到这个问题的答案。您可以这样问：\n" + "\n".join(SUGGESTIONS),
                      "unknown", 0.0, SUGGESTIONS)
