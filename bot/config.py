"""Settings: the embedded defaults, overlaid by a TOML file given with --config."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.channels.telegram.settings import TelegramSettings
from bot.channels.wechat.settings import WeChatSettings
from bot.errors import UserError
from bot.tomlfile import read_toml


class ConfigError(UserError):
    """The configuration file is missing, malformed or names an unknown key."""


@dataclass(frozen=True)
class DatabaseSettings:
    """[database]: where the SQLite file lives."""

    path: str = "data/campaign.db"


@dataclass(frozen=True)
class PhotoSettings:
    """[photos]: where visit photos are kept and how large one may be."""

    dir: str = "data/photos"
    max_bytes: int = 10 * 1024 * 1024


@dataclass(frozen=True)
class CampaignSettings:
    """[campaign]: which campaign file to load."""

    file: str = ""  # empty: the campaign shipped with the bot (bot/data/campaign.toml)


@dataclass(frozen=True)
class ServerSettings:
    """[server]: where the HTTP server listens."""

    host: str = "127.0.0.1"
    port: int = 8080
    monitoring_allow: tuple[str, ...] = ()  # addresses or networks that may read /metrics and /readyz; () = any


@dataclass(frozen=True)
class BindingSettings:
    """[binding]: how long a one-time binding code is valid."""

    code_ttl_days: int = 7


@dataclass(frozen=True)
class ReminderSettings:
    """[reminders]: which reminders go out, when, and how often the dispatcher looks."""

    enabled: bool = True
    visit_interval_days: int = 30
    offsets_days: tuple[int, ...] = (7, 3, 1, 0)
    send_time: str = "09:00"
    quiet_start: str = "21:00"
    quiet_end: str = "08:00"
    digest_weekday: int = 1  # ISO weekday: 1 = Monday
    dispatch_interval_seconds: int = 60


@dataclass(frozen=True)
class LoggingSettings:
    """[logging]: how much the running bot logs, and as plain lines or JSON."""

    level: str = "INFO"
    format: str = "plain"  # "plain" or "json"


@dataclass(frozen=True)
class CheckSettings:
    """[check]: the limits `campaign-bot check` holds the disk and the WAL to."""

    min_free_disk_mb: int = 1024
    max_wal_mb: int = 256


@dataclass(frozen=True)
class Settings:
    """Everything the bot can be configured with; see config.example.toml."""

    timezone: str = "Asia/Shanghai"
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    photos: PhotoSettings = field(default_factory=PhotoSettings)
    campaign: CampaignSettings = field(default_factory=CampaignSettings)
    server: ServerSettings = field(default_factory=ServerSettings)
    binding: BindingSettings = field(default_factory=BindingSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    telegram: TelegramSettings = field(default_factory=TelegramSettings)
    wechat: WeChatSettings = field(default_factory=WeChatSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    check: CheckSettings = field(default_factory=CheckSettings)


def load_settings(path: str | Path | None = None) -> Settings:
    """Reads a TOML config file over the embedded defaults; None gives the defaults."""
    if path is None:
        return Settings()
    return settings_from_dict(read_toml(path, ConfigError, "配置文件"))


def settings_from_dict(raw: dict[str, Any]) -> Settings:
    """Builds Settings from a parsed TOML table, refusing unknown keys and wrong types."""
    return _build(Settings, raw, "")


def _build(cls: type, raw: dict[str, Any], prefix: str):
    known = {f.name: f for f in dataclasses.fields(cls)}
    values = {}
    for key, value in raw.items():
        name = f"{prefix}{key}"
        if key not in known:
            raise ConfigError(f"配置项未知：{name}")
        default = known[key].default_factory() if known[key].default_factory is not dataclasses.MISSING else known[key].default
        if dataclasses.is_dataclass(default):
            if not isinstance(value, dict):
                raise ConfigError(f"配置项 [{name}] 应当是一节（table）")
            values[key] = _build(type(default), value, f"{name}.")
        else:
            values[key] = _coerce(value, default, name)
    return cls(**values)


def _coerce(value: Any, default: Any, name: str) -> Any:
    if isinstance(default, bool):
        if not isinstance(value, bool):
            raise ConfigError(f"配置项 {name} 应为 true 或 false")
        return value
    if isinstance(default, int):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ConfigError(f"配置项 {name} 应为整数")
        return value
    if isinstance(default, tuple):
        if not isinstance(value, list):
            raise ConfigError(f"配置项 {name} 应为列表")
        return tuple(value)
    if not isinstance(value, str):
        raise ConfigError(f"配置项 {name} 应为字符串")
    return value


def iter_keys(settings_cls: type = Settings, prefix: str = "") -> list[str]:
    """Lists every config key as dotted names, e.g. 'telegram.token' (used by the docs test)."""
    keys = []
    for f in dataclasses.fields(settings_cls):
        default = f.default_factory() if f.default_factory is not dataclasses.MISSING else f.default
        if dataclasses.is_dataclass(default):
            keys.extend(iter_keys(type(default), f"{prefix}{f.name}."))
        else:
            keys.append(f"{prefix}{f.name}")
    return keys
