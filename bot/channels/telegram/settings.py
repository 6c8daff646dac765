"""The [telegram] section of the config: what the Telegram channel needs to run."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class TelegramSettings:
    """[telegram]: the bot token, the Bot API address and polling or webhook."""

    enabled: bool = False
    token: str = field(default="", repr=False)
    base_url: str = ""
    base_file_url: str = ""
    mode: str = "polling"
    webhook_url: str = ""
    secret_token: str = field(default="", repr=False)
    max_file_bytes: int = 20 * 1024 * 1024
