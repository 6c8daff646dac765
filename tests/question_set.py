"""Loads tests/data/questions.toml and judges the answer engine's answers against it (used by tests and benchmarks)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from bot.clock import parse_moment
from bot.understanding import Answer, Answerer

QUESTIONS_FILE = Path(__file__).parent / "data" / "questions.toml"
DECLINED = ("unknown", "bad_input")


@dataclass(frozen=True)
class Question:
    """One line of the question set."""

    text: str
    now: datetime  # UTC
    unit: str | None
    intent: str | None
    must: tuple[str, ...]
    decline: bool
    id: str = ""
    klass: str = ""  # the failure class a blind batch wrote it for (homophone, filler, compound …)
    expect: str = ""  # the facts a right answer gives, in prose (blind batches)
    before: tuple[str, ...] = ()  # what the same chat asked just before, in order (follow-ups)

    def label(self) -> str:
        """A short readable id for reports."""
        head = f"{self.id} " if self.id else ""
        return f"{head}{self.text[:30]!r}@{self.now:%Y-%m-%d}" + (f"/{self.unit}" if self.unit else "")


def load_questions(path: Path = QUESTIONS_FILE) -> list[Question]:
    """Every question of the set, defaults applied."""
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    default_now = raw["defaults"]["now"]
    return [
        Question(
            text=q["text"],
            now=parse_moment(q.get("now", default_now)),
            unit=q.get("unit"),
            intent=q.get("intent"),
            must=tuple(q.get("must", ())),
            decline=bool(q.get("decline", False)),
            id=q.get("id", ""),
            klass=q.get("class", ""),
            expect=q.get("expect", ""),
            before=tuple(q.get("before", ())),
        )
        for q in raw["q"]
    ]


def ask(answerer: Answerer, q: Question) -> Answer:
    """The engine's answer to a question of the set, at its moment, for its unit, after the chat's earlier ones."""
    previous = None
    for earlier in q.before:
        previous = answerer.answer(earlier, q.now, unit_kind=q.unit, previous=previous).asked or previous
    return answerer.answer(q.text, q.now, unit_kind=q.unit, previous=previous)


def judge(q: Question, answer: Answer, classified_intent: str) -> str | None:
    """Why the answer is wrong, or None when it is right."""
    if q.decline:
        if answer.intent not in DECLINED:
            return f"should decline, answered as {answer.intent}"
        return None if len(answer.suggestions) == 3 else "declined without three suggestions"
    if q.intent and classified_intent != q.intent:
        return f"intent {classified_intent}, expected {q.intent}"
    if answer.intent in DECLINED and not (q.intent and q.intent == classified_intent and not q.must):
        return "declined a question it should answer"
    missing = [m for m in q.must if m not in answer.text]
    return f"missing {missing}" if missing else None
