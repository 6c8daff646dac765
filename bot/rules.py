"""What a route is (a rule, who may use it, the state it answers in, its handler) and the rules routes are made of."""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot.app import Context
from bot.messages import Event, Incoming, Outgoing

Handler = Callable[[Incoming, Context], Awaitable[list[Outgoing]]]
Rule = Callable[[Incoming, Context], bool]


class Requires(enum.Enum):
    """Who may use a route; the router answers everyone else with one refusal each."""

    ANYONE = "anyone"
    BOUND = "bound"  # a chat bound to a cadre
    UNIT_ADMIN = "unit_admin"  # 单位管理员 or 活动办管理员
    OFFICE = "office"  # 活动办管理员


ANYONE, BOUND, UNIT_ADMIN, OFFICE = Requires.ANYONE, Requires.BOUND, Requires.UNIT_ADMIN, Requires.OFFICE
IDLE = "IDLE"  # the state of a chat that is in the middle of nothing


@dataclass(frozen=True)
class Route:
    """One line of the handler table: a name (for logs and tests), a rule, the handler it calls, who may use it,
    and the conversation state it answers in (None: any state; IDLE: only when the chat is in none)."""

    name: str
    rule: Rule
    handler: Handler
    requires: Requires = ANYONE
    state: str | None = None

    def answers_in(self, state: str | None) -> bool:
        """Whether the route answers a chat in this conversation state (None: the chat is idle)."""
        return self.state is None or self.state == (state or IDLE)

    def allows(self, ctx: Context) -> bool:
        """Whether the chat's cadre meets what the route requires."""
        if self.requires is ANYONE:
            return True
        cadre = ctx.cadre
        if self.requires is BOUND:
            return cadre is not None
        if self.requires is UNIT_ADMIN:
            return cadre is not None and cadre.is_unit_admin
        return cadre is not None and cadre.is_office


def parse_command(text: str) -> tuple[str, str] | None:
    """'/start abc' -> ('start', 'abc'); '/help@SomeBot' -> ('help', ''); None for plain text."""
    text = text.strip()
    if not text.startswith("/") or len(text) < 2:
        return None
    head, _, args = text[1:].partition(" ")
    return head.split("@", 1)[0].lower(), args.strip()


def command(*names: str) -> Rule:
    """Matches /name (any of names)."""
    return lambda msg, ctx: (parsed := parse_command(msg.text)) is not None and parsed[0] in names


def any_command(msg: Incoming, ctx: Context) -> bool:
    """Matches any /command (for the unknown-command answer)."""
    return parse_command(msg.text) is not None


def event(*kinds: Event) -> Rule:
    """Matches a neutral event of one of these kinds."""
    return lambda msg, ctx: msg.event in kinds


def has_contact(msg: Incoming, ctx: Context) -> bool:
    """Matches a shared contact (binding by phone number)."""
    return msg.contact is not None


def has_photo(msg: Incoming, ctx: Context) -> bool:
    """Matches a message with one or more photos."""
    return bool(msg.photos)


def has_refused_media(msg: Incoming, ctx: Context) -> bool:
    """Matches an attachment the channel could not take (the reason is in refused_media)."""
    return msg.refused_media is not None


def has_location(msg: Incoming, ctx: Context) -> bool:
    """Matches a location the user shared or the platform reported."""
    return msg.location is not None


def spoken_unheard(msg: Incoming, ctx: Context) -> bool:
    """Matches a voice message the platform gave no words for."""
    return msg.voice and not msg.text.strip()


def choice(prefix: str) -> Rule:
    """Matches a button / numbered choice whose value starts with prefix."""
    return lambda msg, ctx: msg.choice is not None and msg.choice.startswith(prefix)


def intent(*names: str) -> Rule:
    """Matches when the answer engine reads the text as one of these intents."""
    return lambda msg, ctx: bool(msg.text.strip()) and understanding(msg, ctx).intent in names


def said(*words: str) -> Rule:
    """Matches a text that reads (simplified, half-width, a question mark aside) as one of words."""
    return lambda msg, ctx: normalized_text(msg, ctx).strip("？? ") in words


def always(msg: Incoming, ctx: Context) -> bool:
    """Matches every message (the last rule)."""
    return True


def understanding(msg: Incoming, ctx: Context):
    """The answer engine's reading of the message text, computed once per message."""
    if ctx.understanding is None:
        ctx.understanding = ctx.app.answerer.classify(msg.text)
    return ctx.understanding


def normalized_text(msg: Incoming, ctx: Context) -> str:
    """The text as the answer engine reads it (simplified, half-width, typos fixed), from the same one reading."""
    return understanding(msg, ctx).normalized if msg.text.strip() else ""
