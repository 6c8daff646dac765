"""Checks that every date and number in an answer comes from the campaign file (or is today / a count of days)."""

from __future__ import annotations

import re
from dataclasses import fields, is_dataclass
from datetime import date

from bot.campaign import Campaign, chinese_date
from bot.understanding.english import MONTHS

_FULL_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日|(\d{4})-(\d{2})-(\d{2})")
_YEAR_MONTH = re.compile(r"(\d{4})年(\d{1,2})月(?![\d])")
_DAYS = re.compile(r"(\d+)天")
_NUMBER = re.compile(r"\d+")
_ENGLISH_DAY = re.compile(rf"(\d{{1,2}}) ({'|'.join(MONTHS)}) (\d{{4}})")
_ENGLISH_MONTH = re.compile(rf"(?:end of )?({'|'.join(MONTHS)}) (\d{{4}})")


def _as_chinese_dates(text: str) -> str:
    """English dates of an answer's gist (15 May 2010, end of June 2011) written as the Chinese dates they are."""
    text = _ENGLISH_DAY.sub(lambda m: f"{m.group(3)}年{MONTHS.index(m.group(2)) + 1}月{m.group(1)}日", text)
    return _ENGLISH_MONTH.sub(lambda m: f"{m.group(2)}年{MONTHS.index(m.group(1)) + 1}月", text)


def _strings(value) -> list[str]:
    """Every text held anywhere in a campaign object (dataclasses, tuples, strings, dates)."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, date):
        return [value.isoformat(), chinese_date(value)]
    if is_dataclass(value):
        return [s for f in fields(value) for s in _strings(getattr(value, f.name))]
    if isinstance(value, (tuple, list)):
        return [s for item in value for s in _strings(item)]
    return []


class CampaignFigures:
    """The dates, months and numbers the campaign file states, to compare an answer against."""

    def __init__(self, campaign: Campaign):
        texts = _strings(campaign)
        self.dates = {d for t in texts for d in _dates_in(t)}
        self.months = {(d.year, d.month) for d in self.dates}
        self.months |= {(int(y), int(m)) for t in texts for y, m in _YEAR_MONTH.findall(t)}
        self.numbers = {n.lstrip("0") or "0" for t in texts for n in _NUMBER.findall(t)}
        for d in self.dates:
            self.numbers |= {str(d.year), str(d.month), str(d.day)}

    def unsupported(self, answer: str, today: date) -> list[str]:
        """Dates and numbers in answer that neither the file nor today (nor a day count between them) accounts for."""
        bad = []
        answer = _as_chinese_dates(answer)
        rest = answer
        for match in _FULL_DATE.finditer(answer):
            found = _dates_in(match.group(0))
            if not found or (found[0] not in self.dates and found[0] != today):
                bad.append(match.group(0))
            rest = rest.replace(match.group(0), " ", 1)
        for match in _YEAR_MONTH.finditer(rest):
            if (int(match.group(1)), int(match.group(2))) not in self.months | {(today.year, today.month)}:
                bad.append(match.group(0))
        rest = _YEAR_MONTH.sub(" ", rest)
        counts = {str(abs((d - today).days)) for d in self.dates}
        for match in _DAYS.finditer(rest):
            if match.group(1) not in counts:
                bad.append(match.group(0))
        rest = _DAYS.sub(" ", rest)
        bad += [n for n in _NUMBER.findall(rest) if (n.lstrip("0") or "0") not in self.numbers]
        return bad


def _dates_in(text: str) -> list[date]:
    found = []
    for match in _FULL_DATE.finditer(text):
        y, m, d = (int(g) for g in (match.groups()[:3] if match.group(1) else match.groups()[3:]))
        try:
            found.append(date(y, m, d))
        except ValueError:
            continue
    return found

