"""What the answer engine returns: its reading of a text, and its answer."""

from __future__ import annotations

from dataclasses import dataclass, field

PERSONAL_INTENTS = ("my_households", "my_pairings", "my_visits", "help", "unbind")
CONFIDENCE_THRESHOLD = 0.55  # below this the engine declines instead of guessing


@dataclass(frozen=True)
class Understanding:
    """The intent of a text, how sure the engine is (0..1), the normalised text and what it names (slots)."""

    intent: str
    confidence: float
    normalized: str
    slots: dict = field(default_factory=dict)


@dataclass(frozen=True)
class Answer:
    """A reply to a question, the intent it answers, the confidence, and questions offered instead when declining."""

    text: str
    intent: str
    confidence: float
    suggestions: tuple[str, ...] = ()
    asked: str = ""  # the question as read (a follow-up filled in from the one before): what the chat keeps for the next
