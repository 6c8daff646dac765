"""Writes the answers: the fact first, short, then where it comes from. Every date and list comes from the file."""

from __future__ import annotations

import re
from datetime import date

from bot.campaign import Campaign, Deadline, Phase, Topic, chinese_date
from bot.understanding.lexicon import UNIT_KIND_WORDS

CN_ORDINAL = "零一二三四五六七八九十"
_DATED = re.compile(r"\d+月\d+日|\d{4}年")  # a sentence with a date is a deadline the file lists already
MAX_DUTIES = 2  # undated duties of a unit kind quoted at most
UNIT_TASKS_SHOWN = 4  # next deadlines listed at once (for a unit, or in general); the rest come when these are done
# A due_text naming a month or 七一 fixes the day; one that names only an event (十八大召开前) does not.
_SOURCE_NAMES_DAY = re.compile(r"\d+月|七一")
DEFAULT_SUGGESTIONS = ("现在是哪个阶段？", "下一个截止日期是什么？", "四联一带是什么？")


def phase_label(number: int) -> str:
    """3 -> 第三阶段."""
    return f"第{CN_ORDINAL[number]}阶段" if 0 < number < len(CN_ORDINAL) else "这个阶段"


MONTH_DAYS = 30.4  # the mean length of a month, for "about N months"


def days_phrase(days: int) -> str:
    """How far a day is from today, in words."""
    if days >= MONTH_DAYS * 2:  # 还有几个月: a long wait is said in months too (about, from the days)
        return f"还有{days}天，约{round(days / MONTH_DAYS)}个月"
    if days > 0:
        return f"还有{days}天"
    return "就是今天" if days == 0 else f"已经过去{-days}天"


class Composer:
    """Composes the answer text for each intent from the campaign file, for a given day and unit kind."""

    def __init__(self, campaign: Campaign):
        self.campaign = campaign

    # ---- sources ----

    def basis(self, ref: str, external: str = "") -> str:
        """The closing line naming the source: 依据：《…》二(四)."""
        own = f"{self.campaign.source}{ref}"
        return f"依据：{external}；{own}" if external else f"依据：{own}"

    # ---- phases ----

    def current_phase(self, today: date, unit_kind: str | None, role: str | None, tasks: bool = False,
                      label: str = "现在") -> str:
        """Which phase a day (today, or the day label names) is in, including before the start, the undescribed
        stretch and after the end."""
        c = self.campaign
        status = c.status_at(today)
        if status == "before":
            first = c.phase(1)
            lead = f"今天（{chinese_date(today)}）活动还没有开始。活动从{c.start_text}起开展"
            if first and first.described:
                lead += f"，{phase_label(1)}是{first.name}（{first.period_text}）"
            return f"{lead}。\n{self.basis(self._phases_ref())}"
        if status == "ended":
            return f"{self.campaign_over(today)}\n{self.basis(c.ref)}"
        phase = c.phase_at(today)
        if phase is None:
            later = self._first_undescribed()
            return f"{self.undescribed_stretch(today)}\n{self.basis(later.ref if later else c.ref)}"
        text = f"{label}（{chinese_date(today)}）是{phase_label(phase.number)}：{phase.name}，{phase.period_text}。"
        if tasks:  # 现在是哪个阶段，该干啥: what the phase is for, too
            text += f"\n这个阶段要做的是：{phase.summary}"
        upcoming = c.upcoming_deadlines(today, unit_kind, role) if label == "现在" else []  # days count from today
        if upcoming:
            text += f"\n下一个截止：{self.deadline_line(upcoming[0], today, unit_kind)}"
        return f"{text}\n{self.basis(phase.ref)}"

    def campaign_over(self, today: date) -> str:
        """The campaign has ended: says so in the source's words."""
        c = self.campaign
        return f"活动已经结束（今天是{chinese_date(today)}）。原文说活动从{c.start_text}起，到{c.end_text}。{self._end_note()}"

    def undescribed_stretch(self, today: date) -> str:
        """After the last described phase and before the end: exactly what the source says, nothing invented."""
        last = self.campaign.last_ended_phase(today)
        done = f"{phase_label(last.number)}已于{last.period_text.split('到')[-1]}结束。" if last else ""
        later = self._first_undescribed()
        rest = later.summary if later else f"活动{self.campaign.end_text}。"
        return f"今天是{chinese_date(today)}。{done}{rest}"

    def _first_undescribed(self) -> Phase | None:
        """The first phase the source announces without describing it (what comes after the described ones)."""
        return next((p for p in self.campaign.phases if not p.described), None)

    def phase(self, number: int, today: date, kinds: tuple[str, ...] = (), tasks: bool = False,
              day: str | None = None) -> str:
        """What the source says about one phase, and where today stands relative to it; asked about the tasks of
        a kind of unit (named, or the asker's), that unit's deadlines in the phase too; asked whether today is its
        first or last day (day), yes or no first."""
        phase = self.campaign.phase(number)
        total = len(self.campaign.phases)
        if phase is None:
            return f"没有这个阶段：活动共分{CN_ORDINAL[total] if total < 10 else total}个阶段进行。\n{self.basis(self._phases_ref())}"
        if not phase.described:  # 下个阶段啥时候开始: where the described ones end, then what the source says
            before = self.campaign.phase(number - 1)
            ends = before.period_text.split("到")[-1] if before and before.described else ""
            lead = f"{phase_label(number - 1)}到{ends}结束。" if ends else ""
            return f"{lead}{phase.summary}\n{self.basis(phase.ref)}"
        where = "还没开始" if today < phase.start else ("已经结束" if today > phase.end else "正在进行")
        head = []
        if day:  # 今天是不是第一阶段最后一天: yes or no first (class: time-aware)
            which = phase.end if day == "last" else phase.start
            said = "最后一天" if day == "last" else "第一天"
            head = [f"{'是的' if today == which else '不是'}，今天（{chinese_date(today)}）"
                    f"{'是' if today == which else '不是'}{phase_label(number)}的{said}。"]
        current = self.campaign.phase_at(today)
        if current and current.number != number:
            where += f"，现在是{phase_label(current.number)}"
        lines = [*head, f"{phase_label(number)}是{phase.name}，时间是{phase.period_text}（今天{where}）。", phase.summary]
        refs = [phase.ref]
        for kind in kinds if tasks else ():
            due = [d for d in self.campaign.deadlines_for(kind) if d.due and phase.start <= d.due < phase.end]
            if due:
                lines.append(f"{kind}在这个阶段的截止事项：")
                lines += [f"· {self.deadline_line(d, today, kind)}" for d in due]
                refs += [d.ref for d in due]
        return "\n".join([*lines, self.basis("、".join(dict.fromkeys(refs)))])

    def phases(self) -> str:
        """The overview of all phases, from the phases-overview topic when the file has it."""
        topic = self.campaign.topic("phases-overview")
        if topic:
            return self.topic(topic)
        lines = [f"{phase_label(p.number)}：{p.name}，{p.period_text}" for p in self.campaign.phases if p.described]
        return "\n".join(lines + [self.basis(self._phases_ref())])

    def campaign_period(self, today: date) -> str:
        """When the campaign as a whole starts and ends."""
        c = self.campaign
        status = c.status_at(today)
        if status == "running" and c.phase_at(today) is None and today > c.start:  # after the described phases:
            return f"活动从{c.start_text}起，到{c.end_text}。{self.undescribed_stretch(today)}\n{self.basis(c.ref)}"
        state = {"before": "还没有开始", "running": "正在进行", "ended": "已经结束"}[status]
        # No countdown: the source names no day for the end, and the file's end date is not the source's word.
        return f"活动从{c.start_text}起，到{c.end_text}。今天（{chinese_date(today)}）活动{state}。\n{self.basis(c.ref)}"

    def _end_note(self) -> str:
        return f"注：{self.campaign.end_note}。" if self.campaign.end_note else ""

    # ---- deadlines ----

    def deadline_line(self, d: Deadline, today: date, unit_kind: str | None, with_note: bool = False) -> str:
        """One deadline: its date and how far it is, its task, and whom it binds when the reader has no unit."""
        when = f"{d.due_text}（日期未定）"
        if d.due and not _SOURCE_NAMES_DAY.search(d.due_text):
            when = f"{d.due_text}（原文未写具体日期）"
        elif d.due:
            said = "" if f"{d.due.month}月{d.due.day}日" in d.due_text else f"，原文：{d.due_text}"
            when = f"{chinese_date(d.due)}前（{days_phrase((d.due - today).days)}{said}）"
        who = "" if unit_kind else f"【{'、'.join(d.binds)}】"
        note = f"注：{d.note}" if with_note and d.note else ""
        return f"{when}：{d.task}{who}{note}"

    def deadlines(self, today: date, unit_kind: str | None, role: str | None, count: int = 0) -> str:
        """The deadlines ahead (the next one only when count is 1) for the unit kind."""
        upcoming = self.campaign.upcoming_deadlines(today, unit_kind, role)
        if not upcoming:
            return f"{self._nothing_ahead(today, unit_kind)}\n{self.basis(self._phases_ref())}"
        shown = upcoming[:count] if count else upcoming[:UNIT_TASKS_SHOWN]
        if not count and unit_kind:  # a unit's list names what it has just missed in this phase too
            shown = self._passed_in_phase(self.campaign.phase_at(today), today, unit_kind, role) + shown
        head = "下一个截止事项：" if count == 1 else f"接下来的截止事项{self._for(unit_kind)}："
        lines = [f"· {self.deadline_line(d, today, unit_kind)}" for d in shown]
        return "\n".join([head, *lines, self.basis(self._refs(shown))])

    def _nothing_ahead(self, today: date, unit_kind: str | None) -> str:
        ended = " 活动已经结束。" if self.campaign.status_at(today) == "ended" else ""
        return f"今天（{chinese_date(today)}）以后没有尚未到期的截止事项{self._for(unit_kind)}。{ended}".replace("。 ", "。")

    def named_deadlines(self, ids: list[str], today: date, kinds: tuple[str, ...], still: bool = False) -> str:
        """The deadlines a question names (e.g. 实施方案上报), those of the unit kinds it concerns (named, or the
        asker's), with dates and whom they bind; asked whether there is still time, it says first whether they
        have passed."""
        chosen = [d for d in (self.campaign.deadline(i) for i in ids) if d]
        mine = [d for d in chosen if any(kind in d.binds for kind in kinds)]
        chosen = sorted(mine or chosen, key=lambda d: (d.due is None, d.due or date.max))
        lines = [self.deadline_line(d, today, None, with_note=True) for d in chosen]
        dated = [d for d in chosen if d.due and d.date_in_source]
        if still and dated:
            passed = [d for d in dated if d.due < today]
            if len(passed) == len(dated):
                lines.insert(0, f"已经过了截止日期（今天是{chinese_date(today)}）。")
            elif not passed:
                lines.insert(0, f"还没到截止日期（今天是{chinese_date(today)}）。")
        return "\n".join([*lines, self.basis(self._refs(chosen))])

    def days_left(self, target: str | None, today: date, unit_kind: str | None, role: str | None,
                  start: bool = False) -> str:
        """Days from today to a phase's end (its start when start), a deadline, the campaign's end, or the next
        deadline."""
        c = self.campaign
        kind, _, key = (target or "").partition(":")
        if kind == "phase":
            phase = c.phase(int(key))
            if phase is None or not phase.described:
                return self.phase(int(key), today)
            if start and phase.start:  # 第二阶段还有几天开始: count to its start, in the source's words
                begins = phase.period_text.split("到")[0].removeprefix("从")
                return (f"{phase_label(phase.number)}（{phase.name}）从{begins}{'' if begins.endswith('起') else '起'}，"
                        f"{days_phrase((phase.start - today).days)}。\n{self.basis(phase.ref)}")
            return (f"{phase_label(phase.number)}（{phase.name}）到{phase.period_text.split('到')[-1]}结束，"
                    f"{days_phrase((phase.end - today).days)}。\n{self.basis(phase.ref)}")
        if kind == "campaign":
            return self.campaign_period(today)
        deadline = c.deadline(key) if kind == "deadline" else None
        if deadline is None:
            upcoming = c.upcoming_deadlines(today, unit_kind, role)
            if not upcoming:
                return f"{self._nothing_ahead(today, unit_kind)}\n{self.basis(c.ref)}"
            deadline = upcoming[0]
        return f"{self.deadline_line(deadline, today, unit_kind, with_note=True)}\n{self.basis(deadline.ref)}"

    # ---- a unit's work ----

    def unit_tasks(self, today: date, kinds: tuple[str, ...], role: str | None, said_kind: bool) -> str:
        """What kinds of unit must do next and by when; for a reader with no unit, every kind's, saying so."""
        if not kinds:
            head = "您还没有绑定单位，下面列出各类单位接下来的截止事项（【】里是负责的单位）："
        elif len(kinds) > 1:
            head = "各类单位接下来的截止事项："
        else:
            head = f"{kinds[0]}要做的事（按日期）：" if said_kind else f"您的单位（{kinds[0]}）要做的事（按日期）："
        lines, shown = [head], []
        phase = self.campaign.phase_at(today)
        for kind in kinds or (None,):
            chosen = self._passed_in_phase(phase, today, kind, role)
            chosen += self.campaign.upcoming_deadlines(today, kind, role)[:UNIT_TASKS_SHOWN]
            shown += chosen
            if len(kinds) > 1:
                lines.append(f"【{kind}】")
            lines += [f"· {self.deadline_line(d, today, kind)}" for d in chosen]
            if not chosen:
                lines.append(f"· {self._nothing_ahead(today, kind)}")
        if phase:
            lines.append(f"现在是{phase_label(phase.number)}：{phase.summary}")
        elif self.campaign.status_at(today) == "running":  # after the described phases: what the source says
            lines.append(self.undescribed_stretch(today))
        duties = self.duties_of(kinds[0]) if len(kinds) == 1 and self.campaign.status_at(today) == "running" else []
        if duties:  # 成立领导小组: what the source asks of the unit kind without a date (class: role-aware)
            lines += [f"原文对{kinds[0]}的其他要求：", *(f"「{d.text}」" for d in duties)]
        refs = [*(self._refs(shown) if shown else self.campaign.ref).split("、"), *(d.ref for d in duties)]
        return "\n".join([*lines, self.basis("、".join(dict.fromkeys(refs)))])

    def duties_of(self, kind: str) -> list:
        """Undated sentences of the source whose subject is that kind of unit (各县市委、州直各党(工)委也要…)."""
        names = "|".join(re.escape(w) for w in sorted(UNIT_KIND_WORDS[kind], key=len, reverse=True) if len(w) >= 2)
        subject = re.compile(rf"^(各|全州)?([^，、]{{0,4}}、)?({names})")
        return [s for s in self.campaign.sentences if subject.match(s.text) and "要" in s.text
                and not _DATED.search(s.text)][:MAX_DUTIES]

    def _passed_in_phase(self, phase, today: date, kind: str | None, role: str | None) -> list[Deadline]:
        """Deadlines of the current phase already past: a unit that missed one must still hear of it."""
        if phase is None:
            return []
        return [d for d in self.campaign.deadlines_for(kind, role) if d.due and phase.start <= d.due < today]

    def month_tasks(self, today: date, unit_kind: str | None, role: str | None) -> str:
        """This month: the phase it falls in and the deadlines due in it."""
        due = [d for d in self.campaign.deadlines_for(unit_kind, role)
               if d.due and (d.due.year, d.due.month) == (today.year, today.month) and d.due >= today]
        phase = self.campaign.phase_at(today)
        lines = [f"本月（{today.year}年{today.month}月）{self._for(unit_kind)}："]
        if phase:
            lines.append(f"· 正处在{phase_label(phase.number)}（{phase.name}）：{phase.summary}")
        elif self.campaign.status_at(today) == "running":
            lines.append(f"· {self.undescribed_stretch(today)}")
        else:
            lines.append(f"· {self.campaign_over(today) if today > self.campaign.start else '活动还没有开始。'}")
        lines += [f"· 截止：{self.deadline_line(d, today, unit_kind)}" for d in due]
        if not due:
            lines.append("· 本月没有截止事项。")
        refs = self._refs(due) if due else (phase.ref if phase else self.campaign.ref)
        return "\n".join([*lines, self.basis(refs)])

    # ---- topics ----

    def topic(self, topic: Topic) -> str:
        """A topic's text, then its sources (an external source first when the topic names one)."""
        return f"{topic.text}\n{self.basis(topic.ref, topic.source)}"

    # ---- the source's own sentences ----

    def quote(self, indices: list[int], sentences) -> str:
        """The source's sentences quoted with their paragraph, in the source's order (headings kept with them)."""
        shown = sorted(dict.fromkeys(j for i in indices for j in sentences.with_heading(i)))
        quoted = [sentences.sentences[i] for i in shown]
        lines = ["原文这样说：", *(f"「{s.text}」" for s in quoted)]
        return "\n".join([*lines, self.basis("、".join(dict.fromkeys(s.ref for s in quoted)))])

    # ---- helpers ----

    @staticmethod
    def _for(unit_kind: str | None) -> str:
        return f"（{unit_kind}）" if unit_kind else ""

    def _phases_ref(self) -> str:
        first = self.campaign.phase(1)
        return first.ref if first else self.campaign.ref

    def _refs(self, deadlines: list[Deadline]) -> str:
        return "、".join(dict.fromkeys(d.ref for d in deadlines)) or self._phases_ref()

