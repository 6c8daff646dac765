"""The running bot's logging: the level and format of [logging], on standard error (journald keeps it), with every
configured secret blanked (bot.redaction) from whatever a library might put in a line."""

from __future__ import annotations

import atexit
import logging
import logging.handlers
import queue
import sys

from pythonjsonlogger.json import JsonFormatter

from bot.config import ConfigError, LoggingSettings, Settings
from bot.redaction import add_secrets, redact

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
FORMATS = ("plain", "json")
PLAIN = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """Formats with another formatter, then passes the whole line (message, arguments, traceback) through redact()."""

    def __init__(self, inner: logging.Formatter):
        super().__init__()
        self.inner = inner

    def format(self, record: logging.LogRecord) -> str:
        """The inner formatter's line with the secrets replaced by ***."""
        return redact(self.inner.format(record))


class _Writer(logging.handlers.QueueListener):
    """The thread writing log records; stop() may be called twice (by the caller, then at exit)."""

    def stop(self) -> None:
        """Writes what is queued and ends the thread, once."""
        if self._thread is not None:
            super().stop()


def check_logging(settings: LoggingSettings) -> None:
    """Raises ConfigError when [logging] names an unknown level or format."""
    if settings.level.upper() not in LEVELS:
        raise ConfigError(f"[logging] level 应为 {' / '.join(LEVELS)} 之一，而不是“{settings.level}”。")
    if settings.format not in FORMATS:
        raise ConfigError(f"[logging] format 应为 plain 或 json，而不是“{settings.format}”。")


def secrets_of(settings: Settings) -> list[str]:
    """Every secret the settings hold: the bot token, the webhook secret, WeChat's secret, token and AES key."""
    return [settings.telegram.token, settings.telegram.secret_token, settings.wechat.secret, settings.wechat.token,
            settings.wechat.encoding_aes_key]


def configure_logging(settings: Settings, stream=None) -> logging.handlers.QueueListener:
    """Sends the root logger's records to stream (standard error) at the level and in the format of [logging].

    Records go through a queue to a thread that formats and writes them, so the event loop never waits on the
    journal or a pipe; the listener is stopped (and the queue drained) at exit, or by calling its stop()."""
    check_logging(settings.logging)
    if settings.logging.format == "json":
        inner = JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s",
                              rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
                              json_ensure_ascii=False)
    else:
        inner = logging.Formatter(PLAIN)
    output = logging.StreamHandler(stream or sys.stderr)
    add_secrets(secrets_of(settings))
    output.setFormatter(RedactingFormatter(inner))
    records: queue.SimpleQueue = queue.SimpleQueue()
    listener = _Writer(records, output)
    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
    root.addHandler(logging.handlers.QueueHandler(records))
    root.setLevel(settings.logging.level.upper())
    listener.start()
    atexit.register(listener.stop)
    return listener
