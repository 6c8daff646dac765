"""The campaign as data: loads the campaign file into phases, deadlines and topics, and answers 'when'."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bot.errors import UserError
from bot.tomlfile import read_toml
from bot.vocabulary import ROLES, UNIT_KINDS

logger = logging.getLogger(__name__)

DEFAULT_CAMPAIGN_FILE = Path(__file__).parent / "data" / "campaign.toml"


def chinese_date(day: date) -> str:
    """2010-05-10 -> 2010年5月10日: how every answer and reminder writes a date of the campaign."""
    return f"{day.year}年{day.month}月{day.day}日"


class CampaignError(UserError):
    """The campaign file cannot be used at all (unreadable, or missing what every answer needs)."""


@dataclass(frozen=True)
class Phase:
    """One phase of the campaign, its period and summary as the source gives them."""

    number: int
    name: str
    start: date | None
    end: date | None
    period_text: str
    summary: str
    ref: str

    @property
    def described(self) -> bool:
        """False for a phase the source announces but never describes."""
        return bool(self.name)


@dataclass(frozen=True)
class Deadline:
    """A task due by a date, and which unit kinds and roles it binds."""

    id: str
    task: str
    due: date | None  # None when the file gives no date or a malformed one (see `problem`)
    due_text: str
    binds: tuple[str, ...]  # unit kinds the deadline binds
    ref: str
    roles: tuple[str, ...] = ROLES  # roles within those units that are reminded
    note: str = ""
    problem: str = ""  # why this deadline cannot be scheduled, in Chinese; empty when it is fine
    date_in_source: bool = True  # False: `due` is only for ordering and scheduling; never shown as the source's date
    reportable: bool = True  # False for dates such as a phase's end: reminded of, never reported done by a unit
    reported_by: tuple[str, ...] = ()  # the kinds that report it done, when not all it binds (others supervise)

    @property
    def reporters(self) -> tuple[str, ...]:
        """The unit kinds that carry the task out and report it done (the county that only supervises does not)."""
        return self.reported_by or self.binds


@dataclass(frozen=True)
class Topic:
    """A text the bot can explain (a term, a task, a rule), with where the source says it."""

    id: str
    title: str
    text: str
    ref: str
    aliases: tuple[str, ...] = ()
    items: tuple[str, ...] = ()
    source: str = ""  # a source other than the meeting minutes, named in the answer
    parent: str = ""  # id of the topic this one is part of


@dataclass(frozen=True)
class SourceSentence:
    """One sentence or clause of the source, corrected, with the paragraph it stands in."""

    ref: str  # the paragraph as the source numbers it: 二(四), 三(二)3 …
    text: str
    paragraph: int  # index of its paragraph in the file, so neighbours can be found
    position: int  # its place within the paragraph


@dataclass(frozen=True)
class Campaign:
    """The whole campaign file: its head, phases, deadlines and topics."""

    id: str
    name: str
    organiser: str
    source: str
    office: str
    start: date
    start_text: str
    end: date | None
    end_text: str
    end_note: str
    ref: str
    phases: tuple[Phase, ...]
    deadlines: tuple[Deadline, ...]
    topics: tuple[Topic, ...] = field(default=())
    sentences: tuple[SourceSentence, ...] = field(default=())  # the whole source, sentence by sentence
    english: tuple[tuple[str, str], ...] = field(default=())  # (Chinese term, English) for English questions' gist

    def phase_at(self, day: date) -> Phase | None:
        """The described phase that contains day, or None (before, after, or the undescribed stretch)."""
        for phase in self.phases:
            if phase.start and phase.end and phase.start <= day <= phase.end:
                return phase
        return None

    def last_ended_phase(self, day: date) -> Phase | None:
        """The last described phase that ended before day, or None (before the campaign, or within the first)."""
        ended = [p for p in self.phases if p.described and p.end and p.end < day]
        return max(ended, key=lambda p: p.number, default=None)

    def phase(self, number: int) -> Phase | None:
        """The phase with this number, described or not."""
        return next((p for p in self.phases if p.number == number), None)

    def status_at(self, day: date) -> str:
        """'before', 'running' or 'ended' for the campaign as a whole on that day."""
        if day < self.start:
            return "before"
        if self.end and day >= self.end:
            return "ended"
        return "running"

    def deadlines_for(self, unit_kind: str | None = None, role: str | None = None) -> list[Deadline]:
        """Deadlines binding that kind of unit and role (all when None), in date order, undated last."""
        chosen = [
            d for d in self.deadlines
            if (unit_kind is None or unit_kind in d.binds) and (role is None or role in d.roles)
        ]
        return sorted(chosen, key=lambda d: (d.due is None, d.due or date.max, d.id))

    def upcoming_deadlines(self, day: date, unit_kind: str | None = None, role: str | None = None) -> list[Deadline]:
        """Dated deadlines on or after day, nearest first."""
        return [d for d in self.deadlines_for(unit_kind, role) if d.due is not None and d.due >= day]

    def unit_tasks(self) -> list[Deadline]:
        """The dated deadlines that units report done (a phase's end is a date, not a task), in file order."""
        return [d for d in self.deadlines if d.reportable and d.due is not None and d.binds]

    def deadline(self, deadline_id: str) -> Deadline | None:
        """The deadline with this id."""
        return next((d for d in self.deadlines if d.id == deadline_id), None)

    def topic(self, topic_id: str) -> Topic | None:
        """The topic with this id."""
        return next((t for t in self.topics if t.id == topic_id), None)


def load_campaign(path: str | Path | None = None) -> Campaign:
    """Loads the campaign file at path (the shipped one when empty), tolerating a bad deadline date."""
    path = Path(path) if path else DEFAULT_CAMPAIGN_FILE
    raw = read_toml(path, CampaignError, "活动文件")
    try:
        head = raw["campaign"]
        return Campaign(
            id=head["id"],
            name=head["name"],
            organiser=head.get("organiser", ""),
            source=head["source"],
            office=head.get("office", ""),
            start=_date(head["start"], "campaign.start"),
            start_text=head.get("start_text", ""),
            end=_date(head["end"], "campaign.end") if head.get("end") else None,
            end_text=head.get("end_text", ""),
            end_note=head.get("end_note", ""),
            ref=head.get("ref", ""),
            phases=tuple(_phase(p) for p in raw.get("phases", [])),
            deadlines=tuple(_deadline(d) for d in raw.get("deadlines", [])),
            topics=tuple(_topic(t) for t in raw.get("topics", [])),
            sentences=_sentences(raw.get("source", [])),
            english=tuple((str(k), str(v)) for k, v in raw.get("english", {}).items()),
        )
    except KeyError as exc:
        raise CampaignError(f"活动文件缺少必填项 {exc.args[0]}（{path}）") from exc
    except (ValueError, TypeError) as exc:
        raise CampaignError(f"活动文件内容有误（{path}）：{exc}") from exc


def _date(value, where: str) -> date:
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value))
    except ValueError as exc:
        raise ValueError(f"{where} 的日期“{value}”不是 YYYY-MM-DD 格式") from exc


def _phase(raw: dict) -> Phase:
    return Phase(
        number=int(raw["number"]),
        name=raw.get("name", ""),
        start=_date(raw["start"], f"第{raw['number']}阶段 start") if raw.get("start") else None,
        end=_date(raw["end"], f"第{raw['number']}阶段 end") if raw.get("end") else None,
        period_text=raw.get("period_text", ""),
        summary=raw["summary"],
        ref=raw["ref"],
    )


def _deadline(raw: dict) -> Deadline:
    problem = ""
    due = None
    if raw.get("due"):
        try:
            due = _date(raw["due"], f"截止事项 {raw['id']} due")
        except ValueError as exc:
            problem = str(exc)
            logger.warning("campaign file: %s", problem)
    else:
        problem = f"截止事项 {raw['id']} 没有写日期"
    binds = tuple(raw.get("binds", ()))
    reported_by = tuple(raw.get("reported_by", ()))
    unknown = [b for b in (*binds, *reported_by) if b not in UNIT_KINDS]
    if unknown:
        problem = problem or f"截止事项 {raw['id']} 的对象单位类型未知：{'、'.join(unknown)}"
        logger.warning("campaign file: deadline %s binds unknown unit kinds %s", raw["id"], unknown)
    return Deadline(
        id=raw["id"],
        task=raw["task"],
        due=due,
        due_text=raw.get("due_text", ""),
        binds=binds,
        ref=raw["ref"],
        roles=tuple(raw.get("roles", ROLES)),
        note=raw.get("note", ""),
        problem=problem,
        date_in_source=bool(raw.get("date_in_source", True)),
        reportable=bool(raw.get("reportable", True)),
        reported_by=reported_by,
    )


def _sentences(paragraphs: list[dict]) -> tuple[SourceSentence, ...]:
    return tuple(SourceSentence(p["ref"], text, number, position)
                 for number, p in enumerate(paragraphs) for position, text in enumerate(p["sentences"]))


def _topic(raw: dict) -> Topic:
    return Topic(
        id=raw["id"],
        title=raw["title"],
        text=raw["text"],
        ref=raw["ref"],
        aliases=tuple(raw.get("aliases", ())),
        items=tuple(raw.get("items", ())),
        source=raw.get("source", ""),
        parent=raw.get("parent", ""),
    )
