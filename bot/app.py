"""The running bot's shared parts (settings, database, campaign, clock, answer engine, senders) and each message's context."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, time
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.campaign import Campaign, load_campaign
from bot.clock import Clock
from bot.config import Settings
from bot.db import open_db
from bot.messages import Choice, DeliveryResult, Outgoing
from bot.pending import PendingMessages
from bot.store.cadres import Cadre
from bot.store.installation import installation_key
from bot.store.state import clear_state, save_state
from bot.worker import DatabaseWorker


class Sender(Protocol):
    """What a channel adapter offers for messages the bot starts (reminders, deferred replies). A sender may also
    declare `limits` (bot.messages.SendingLimits), which the dispatcher keeps to."""

    async def send(self, chat_id: str, message: Outgoing) -> DeliveryResult: ...


@dataclass
class BotApp:
    """Everything a handler or a job may need, created once per process."""

    settings: Settings
    db: sqlite_utils.Database
    campaign: Campaign
    clock: Clock
    senders: dict[str, Sender] = field(default_factory=dict)
    routes: list = field(default_factory=list)  # the handler table (bot.rules.Route), given by whoever runs the app
    worker: DatabaseWorker = field(default_factory=DatabaseWorker)  # where the running bot's database work runs
    # (channel, chat) -> cadre id for this process only: `chat --as` and `ask --as` rehearse as a cadre without a
    # binding, so a rehearsal never counts as bound in reports nor receives reminders
    acting_as: dict[tuple[str, str], str] = field(default_factory=dict)
    _answerer: Any = None
    _log_key: bytes | None = None

    @classmethod
    def create(cls, settings: Settings, clock: Clock | None = None, routes: list | None = None) -> BotApp:
        """Opens the database and loads the campaign named by the settings; `routes` is the handler table."""
        return cls(
            settings=settings,
            db=open_db(settings.database.path),
            campaign=load_campaign(settings.campaign.file or None),
            clock=clock or Clock(),
            routes=list(routes or []),
        )

    def close(self) -> None:
        """Ends the database worker (after its queued work) and closes the database."""
        self.worker.close()
        self.db.close()

    @property
    def tz(self) -> ZoneInfo:
        """The zone times are shown in."""
        return ZoneInfo(self.settings.timezone)

    @property
    def pending(self) -> PendingMessages:
        """Where messages wait on disk while the database cannot store them (bot.pending)."""
        return PendingMessages.beside(self.settings.database.path)

    @property
    def photos_dir(self) -> Path:
        """Where photos are stored, by sha256."""
        return Path(self.settings.photos.dir)

    @property
    def log_key(self) -> bytes:
        """The installation's key for log references (read once from the database)."""
        if self._log_key is None:
            self._log_key = installation_key(self.db)
        return self._log_key

    @property
    def answerer(self):
        """The campaign question engine, built on first use (it loads dictionaries)."""
        if self._answerer is None:
            from bot.understanding import Answerer

            self._answerer = Answerer(self.campaign, self.settings.timezone)
        return self._answerer

    @property
    def campaign_start(self) -> datetime:
        """The campaign's first day at midnight in the bot's time zone: from then on visits are due."""
        return datetime.combine(self.campaign.start, time(0, 0), self.tz)

    def local(self, moment: datetime) -> datetime:
        """A UTC moment in the bot's time zone."""
        return moment.astimezone(self.tz)

    def local_text(self, moment: datetime) -> str:
        """A moment as local date and minute, 2010-05-12 09:00: how times are shown to people."""
        return f"{self.local(moment):%Y-%m-%d %H:%M}"


@dataclass
class Context:
    """What a handler gets besides the message: the app, the moment, who is writing, their conversation state."""

    app: BotApp
    now: datetime  # UTC
    channel: str
    chat_id: str
    cadre: Cadre | None = None  # the bound cadre; None for a visitor
    state: str | None = None
    state_data: dict = field(default_factory=dict)
    offered: tuple[Choice, ...] = ()  # the choices the last reply offered (the router keeps them)
    understanding: Any = None  # the answer engine's reading of the text, filled on first need

    @property
    def db(self) -> sqlite_utils.Database:
        """The app's database."""
        return self.app.db

    @property
    def campaign(self) -> Campaign:
        """The app's campaign."""
        return self.app.campaign

    @property
    def today(self):
        """Today's date in the bot's time zone."""
        return self.app.local(self.now).date()

    def set_state(self, state: str, data: dict | None = None) -> None:
        """Stores the conversation state for this chat, so it survives a restart."""
        save_state(self.db, self.channel, self.chat_id, state, data or {}, self.now)
        self.state, self.state_data = state, data or {}

    def clear_state(self) -> None:
        """Forgets the conversation state of this chat, and the choices it was offered."""
        clear_state(self.db, self.channel, self.chat_id)
        self.state, self.state_data, self.offered = None, {}, ()
