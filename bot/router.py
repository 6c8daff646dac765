"""Routes one Incoming message to the first handler in the table whose rule matches, and never lets it crash."""

from __future__ import annotations

import dataclasses
import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from bot import metrics
from bot.app import BotApp, Context
from bot.messages import Incoming, Outgoing

logger = logging.getLogger(__name__)

Handler = Callable[[Incoming, Context], Awaitable[list[Outgoing]]]
Rule = Callable[[Incoming, Context], bool]

# Characters no cadre types: they cannot be stored in SQLite (lone surrogates) or an Excel report (C0 controls),
# and could only make a stored note break whoever reads it later.
_UNSAFE_CHARACTERS = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
CRASH_REPLY = "抱歉，处理这条消息时出了错，这条消息没有保存。请稍后再发一次；如果一直不行，请联系本单位管理员。"


@dataclass(frozen=True)
class Route:
    """One line of the handler table: a name (for logs and tests), a rule, and the handler it calls."""

    name: str
    rule: Rule
    handler: Handler


# ---- rules ----

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


def has_contact(msg: Incoming, ctx: Context) -> bool:
    """Matches a shared contact (binding by phone number)."""
    return msg.contact is not None


def has_photo(msg: Incoming, ctx: Context) -> bool:
    """Matches a message with one or more photos."""
    return bool(msg.photos)


def has_rejected_media(msg: Incoming, ctx: Context) -> bool:
    """Matches an attachment the channel refused (the reason is in rejected_media)."""
    return msg.rejected_media is not None


def has_location(msg: Incoming, ctx: Context) -> bool:
    """Matches a shared location."""
    return msg.location is not None


def choice(prefix: str) -> Rule:
    """Matches a button / numbered choice whose value starts with prefix."""
    return lambda msg, ctx: msg.choice is not None and msg.choice.startswith(prefix)


def intent(*names: str) -> Rule:
    """Matches when the answer engine reads the text as one of these intents."""
    return lambda msg, ctx: bool(msg.text.strip()) and understanding(msg, ctx).intent in names


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


# ---- dispatch ----

@metrics.observed
async def dispatch(app: BotApp, msg: Incoming, routes: list[Route] | None = None) -> list[Outgoing]:
    """Answers one message: finds who sent it, restores their conversation, runs the first matching handler."""
    if routes is None:
        from handlers import ROUTES as routes
    route = None
    try:  # the rules and the context read the database and the answer engine too: a failure there is answered
        msg = without_control_characters(msg)
        ctx = load_context(app, msg)
        msg = resolve_numbered_choice(msg, ctx)
        route = next((r for r in routes if r.rule(msg, ctx)), None)
        if route is None:
            return []
        logger.debug("%s/%s -> %s", msg.channel, msg.chat_id, route.name)
        return await route.handler(msg, ctx)
    except Exception:
        logger.exception("handler %s failed on a %s message", route.name if route else "(routing)", msg.channel)
        metrics.handler_failed(msg.channel, route.name if route else "(routing)")
        if app.db.conn.in_transaction:
            app.db.conn.execute("ROLLBACK")
        return [Outgoing(CRASH_REPLY)]


def without_control_characters(msg: Incoming) -> Incoming:
    """The message with control characters and lone surrogates dropped from its text (line breaks and tabs kept)."""
    text = _UNSAFE_CHARACTERS.sub("", msg.text.replace("\r\n", "\n").replace("\r", "\n"))
    return msg if text == msg.text else dataclasses.replace(msg, text=text)


def load_context(app: BotApp, msg: Incoming) -> Context:
    """Builds the handler context: the bound cadre (if any) and the chat's stored conversation state."""
    now = app.clock.now()
    ctx = Context(app=app, now=now, channel=msg.channel, chat_id=msg.chat_id)
    row = app.db.execute(
        "SELECT c.id, c.name, c.phone, c.unit_id, c.title, c.role, u.kind AS unit_kind, u.name AS unit_name "
        "FROM bindings b JOIN cadres c ON c.id = b.cadre_id JOIN units u ON u.id = c.unit_id "
        "WHERE b.channel = ? AND b.chat_id = ? AND b.active = 1",
        (msg.channel, msg.chat_id),
    ).fetchone()
    if row is not None:
        ctx.cadre = dict(zip(("id", "name", "phone", "unit_id", "title", "role", "unit_kind", "unit_name"), row))
        app.db.execute(
            "UPDATE bindings SET last_seen_at = ? WHERE channel = ? AND chat_id = ?",
            (now.isoformat(), msg.channel, msg.chat_id),
        )
    state = app.db.execute(
        "SELECT state, data FROM conversation_state WHERE channel = ? AND chat_id = ?", (msg.channel, msg.chat_id)
    ).fetchone()
    if state is not None:
        ctx.state, ctx.state_data = state[0], json.loads(state[1])
    return ctx


def resolve_numbered_choice(msg: Incoming, ctx: Context) -> Incoming:
    """Turns '2' (or an option's label) into the second offered choice, for channels without buttons."""
    offered = ctx.state_data.get("choices") if ctx.state_data else None
    if msg.choice is not None or not offered or not msg.text.strip():
        return msg
    text = msg.text.strip().translate(str.maketrans("０１２３４５６７８９", "0123456789"))
    for index, (label, value) in enumerate(offered, start=1):
        if text == str(index) or text == label:
            return dataclasses.replace(msg, choice=value)
    return msg
