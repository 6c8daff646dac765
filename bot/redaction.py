"""The one way secrets are kept out of logs: a registry of secret values (the config's, and each channel's as it
starts) plus the query parameters that carry tokens, blanked by redact(). The log formatter of the running bot and the
filter on the chatty libraries' loggers (httpx, python-telegram-bot) both call it."""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterable

MASK = "***"
MIN_LENGTH = 6  # shorter values (an empty token, "abc") would blank ordinary words
# access_token, secret, corpsecret: the WeChat API's; t: the web console's one-time login link
_SECRET_QUERY = re.compile(r"((?:(?<=[?&])t|access_token|secret|corpsecret)=)[^&\s\"']+", re.IGNORECASE)
_secrets: list[str] = []
_lock = threading.Lock()


def add_secrets(values: Iterable[str | None]) -> None:
    """Adds secret values to blank from now on (longest first, so one containing another is blanked whole)."""
    global _secrets
    with _lock:
        _secrets = sorted(set(_secrets) | {v for v in values if v and len(v) >= MIN_LENGTH}, key=len, reverse=True)


def redact(text: str) -> str:
    """The text with every registered secret and every token-carrying query value replaced by ***."""
    for secret in _secrets:
        text = text.replace(secret, MASK)
    return _SECRET_QUERY.sub(r"\1" + MASK, text)


class RedactingFilter(logging.Filter):
    """Rewrites a record's message, its arguments merged in, through redact(): for loggers that print URLs."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Always lets the record through, redacted."""
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, ()
        return True


def redact_loggers(names: Iterable[str]) -> None:
    """Puts the redacting filter on these loggers (once each)."""
    for name in names:
        target = logging.getLogger(name)
        if not any(isinstance(f, RedactingFilter) for f in target.filters):
            target.addFilter(RedactingFilter())
