"""Finds the entry of the campaign file a question is about: names matched whole, then BM25 over every entry."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.campaign import Campaign
from bot.understanding.lexicon import word_weight
from bot.understanding.model import CONFIDENCE_THRESHOLD

K1, B = 1.5, 0.75
NAME_WEIGHT = 3  # a word in an entry's title or aliases counts as often as this in its text
LONG_NAME = 4  # a name this long, found whole in a question, is specific enough to lift the confidence…
_DATED = re.compile(r"\d{4}年|\d{1,2}月")
SHORT_NAME_LIFT = 0.3  # a three-character name (五带头, 五个好) lifts the confidence less
SPECIFIC_SPREAD = 3  # …unless more entries than this mention it (创先争优 is everywhere)


@dataclass(frozen=True)
class Entry:
    """One thing the campaign file says: a topic, a phase or a deadline, with the names it goes by."""

    kind: str  # "topic", "phase", "deadline"
    key: str  # topic id, phase number as text, or deadline id
    title: str
    names: tuple[str, ...]  # normalised title and aliases, matched whole in the question
    parent: str = ""  # key of the topic this one is part of
    dated: bool = False  # its text gives a year or a month, so it can answer "when"


@dataclass(frozen=True)
class Hit:
    """An entry and how well the question fits it."""

    entry: Entry
    score: float
    coverage: float  # share of the question's weighted words the entry accounts for, 0..1
    named: bool  # the question names the entry (title or alias) whole
    spread: int  # how many entries mention the name the question used: fewer is more specific


def campaign_entries(campaign: Campaign) -> list[tuple[Entry, str, str]]:
    """Every entry of the campaign file with its name text and body text."""
    rows = []
    for t in campaign.topics:
        names = (t.title, *t.aliases)
        dated = _DATED.search(t.text) is not None
        rows.append((Entry("topic", t.id, t.title, names, t.parent, dated), " ".join(names),
                     " ".join((*t.items, t.text))))
    for p in campaign.phases:
        parts = [part.removesuffix("阶段") for part in p.name.split("、")] if p.name else []
        names = tuple(n for n in (p.name, f"第{p.number}阶段", *parts) if len(n) >= 4)
        rows.append((Entry("phase", str(p.number), p.name or f"第{p.number}阶段", names),
                     " ".join(names), f"{p.period_text} {p.summary}"))
    for d in campaign.deadlines:
        rows.append((Entry("deadline", d.id, d.task, ()), d.task, f"{d.due_text} {' '.join(d.binds)} 截止"))
    return rows


def outermost(words: list[str]) -> list[str]:
    """The distinct words that are not part of a longer word of the list (search mode yields 甘南 and 甘南州)."""
    unique = list(dict.fromkeys(words))
    return [w for w in unique if not any(w != other and w in other for other in unique)]


class Index:
    """BM25 over the campaign file's entries, with whole-name matches preferred."""

    def __init__(self, campaign: Campaign, normalize: Callable[[str], str], tokenize: Callable[[str], list[str]]):
        self.entries: list[Entry] = []
        self._docs: list[Counter] = []
        texts = []
        for entry, names, body in campaign_entries(campaign):
            norm_names = tuple(dict.fromkeys(normalize(n) for n in entry.names))
            self.entries.append(Entry(entry.kind, entry.key, entry.title, norm_names, entry.parent, entry.dated))
            texts.append(normalize(f"{names} {body}"))
            self._docs.append(Counter(tokenize(normalize(names)) * NAME_WEIGHT + tokenize(normalize(body))))
        self.texts = texts  # each entry's names and body, normalised
        self._spread = {name: sum(name in t for t in texts) for e in self.entries for name in e.names}
        n = len(self._docs)
        df = Counter(word for doc in self._docs for word in doc)
        self._idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        self.unknown_idf = math.log(1 + (n + 0.5) / 0.5)  # a word no entry has weighs most
        self._lengths = [sum(doc.values()) for doc in self._docs]
        self._avg = sum(self._lengths) / max(n, 1)
        self._names = sorted(((name, i) for i, e in enumerate(self.entries) for name in e.names if name),
                             key=lambda pair: -len(pair[0]))
        self._by_key = {(e.kind, e.key): i for i, e in enumerate(self.entries)}
        self._deadlines = {d.id: d for d in campaign.deadlines}
        self._phases = {p.number: p for p in campaign.phases}

    def words(self) -> list[str]:
        """Every word the entries hold."""
        return list(self._idf)

    def phase(self, number: int):
        """The campaign's phase with that number."""
        return self._phases.get(number)

    def deadlines(self):
        """The campaign's deadlines."""
        return list(self._deadlines.values())

    def deadline(self, key: str):
        """The campaign's deadline behind a deadline entry."""
        return self._deadlines.get(key)

    def idf(self, word: str) -> float:
        """The weight of a word: rare in the file weighs more; unknown weighs most."""
        return word_weight(word, self._idf.get(word), self.unknown_idf)

    def bm25(self, words: list[str], i: int) -> float:
        """Okapi BM25 of entry i for the words."""
        doc, score = self._docs[i], 0.0
        norm = K1 * (1 - B + B * self._lengths[i] / self._avg)
        for word in words:
            tf = doc.get(word, 0)
            if tf:
                score += self._idf[word] * tf * (K1 + 1) / (tf + norm)
        return score

    def named_in(self, text: str) -> dict[int, list[tuple[int, int]]]:
        """Entries whose name appears whole in text -> the spans naming them (a part also owns its whole's span).

        A name inside a longer name (联户 in 干部联户) does not count; when a part and its whole are both named
        (四联一带 … 干部联户), the part is meant."""
        spans: dict[int, tuple[int, int]] = {}
        for name, i in self._names:
            at = text.find(name)
            if at >= 0 and i not in spans:
                spans[i] = (at, at + len(name))
        outer = {i: s for i, s in spans.items()
                 if not any(j != i and o[0] <= s[0] and s[1] <= o[1] and o != s for j, o in spans.items())}
        named = {i: [s] for i, s in outer.items()}
        for i in outer:
            parent = self._by_key.get(("topic", self.entries[i].parent))
            while parent is not None:
                if parent in named:
                    named[i] += named.pop(parent)
                parent = self._by_key.get(("topic", self.entries[parent].parent))
        return named

    def search(self, text: str, words: list[str], kinds: tuple[str, ...] = ()) -> list[Hit]:
        """Entries for the normalised question, best first (named ones before the rest)."""
        named = self.named_in(text)
        hits = []
        for i, entry in enumerate(self.entries):
            if kinds and entry.kind not in kinds:
                continue
            score = self.bm25(words, i)
            if score <= 0 and i not in named:
                continue
            spans = named.get(i)
            spread = self._spread.get(text[spans[0][0]:spans[0][1]], 0) if spans else 0
            coverage = self._coverage(text, words, i, spans)
            if spans and spans[0][1] - spans[0][0] >= LONG_NAME and spread <= SPECIFIC_SPREAD:
                coverage = max(coverage, 0.5 + 0.5 * coverage)  # a full name says what is meant; other words may be new
            elif spans and spans[0][1] - spans[0][0] == LONG_NAME - 1 and spread <= SPECIFIC_SPREAD + 1:
                coverage = max(coverage, SHORT_NAME_LIFT + (1 - SHORT_NAME_LIFT) * coverage)  # 五带头: a little less
            hits.append(Hit(entry, score, coverage, i in named, spread))
        return sorted(hits, key=lambda h: (h.named and h.coverage >= CONFIDENCE_THRESHOLD, round(h.coverage, 3),
                                           -h.spread, h.score), reverse=True)

    def _coverage(self, text: str, words: list[str], i: int, spans: list[tuple[int, int]] | None) -> float:
        inside = [text[a:b] for a, b in spans or ()]
        total = covered = 0.0
        for word in outermost(words):
            weight = self.idf(word)
            total += weight
            if word in self._docs[i] or any(word in part for part in inside):
                covered += weight
        if total == 0:
            return 1.0 if spans else 0.0
        return covered / total

    def last_phase(self) -> int:
        """The number of the campaign's last phase (announced or described)."""
        return max((int(e.key) for e in self.entries if e.kind == "phase"), default=0)
