"""Fixes a campaign term typed with one wrong, one doubled or two swapped characters (四连一带, 实施方按, 四联联一带,
争创题主)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from bot.understanding.cues import CUES
from bot.understanding.normalize import CJK_CHARS
from bot.understanding.sounds import GRAMMAR_CHARS, char_sounds

MIN_TERM = 4  # shorter terms are too close to ordinary words to correct safely
# other campaigns' names are written on purpose: 三讲教育 is no slip of 三项教育 (class: decline-other-campaign)
OTHER_CAMPAIGNS = tuple(name for name in CUES["other_campaign"] if re.fullmatch(f"{CJK_CHARS}+", name))
SPOKEN_FILLERS = "个的了"  # characters said inside a short term without changing it (五带个头)
MAX_TEXT = 80  # longer texts are left as they are (cost grows with length)
_CJK_RUN = re.compile(f"{CJK_CHARS}+")
# Everyday words a term's slip must not eat into: 动员会什么时候 is not a slip of 动员会议, nor 我们镇党委 of 乡镇党委.
EVERYDAY_WORDS = ("什么", "时候", "我们", "咱们", "俺们", "你们", "他们", "怎么", "哪个", "哪些", "多少", "为什么",
                  "是不是", "有没有", "做什么", "要做",
                  *(f"{c}一阶段" for c in "几下上这该本每哪同前后"))  # 下一阶段 is no slip of 第一阶段


class TermCorrector:
    """Knows every term of at least four characters and the one-character slips that map to exactly one of them."""

    def __init__(self, terms: set[str], segment: Callable[[str], list[str]] | None = None,
                 framing: Callable[[str], bool] = lambda word: False,
                 in_source: Callable[[str], bool] = lambda words: False):
        self.terms = {t for t in terms if len(t) >= MIN_TERM and _CJK_RUN.fullmatch(t)}
        self._segment = segment  # when given, a slip never cuts through a word (动员会分别 is no slip of 动员会议)
        self._framing = framing  # a word that only frames a question (分别) is written on purpose: 分别指导 stays
        self._in_source = in_source  # words the source writes as they stand (活动情况) are no slip of a term (活动概况)
        patterns: dict[str, set[str]] = {}
        for term in self.terms:
            for i in range(len(term)):
                patterns.setdefault(term[:i] + "?" + term[i + 1:], set()).add(term)  # one character wrong
            for i in range(1, len(term)):
                if term[i - 1] != "?":
                    patterns.setdefault(term[:i] + "?" + term[i:], set()).add(term)  # one character too many
        self._patterns = {p: next(iter(ts)) for p, ts in patterns.items() if len(ts) == 1}
        # a term with one character left out (三大程, 四联带), when that names no other term
        shortened: dict[str, set[str]] = {}
        for term in self.terms:
            for i in range(len(term)):
                if term[i] not in GRAMMAR_CHARS and term[i] not in "来去":  # 谁指导 is said, not 谁来指导 cut short
                    shortened.setdefault(term[:i] + term[i + 1:], set()).add(term)
        self._shortened = {w: next(iter(ts)) for w, ts in shortened.items()
                           if len(ts) == 1 and not any(w in t for t in self.terms) and w not in EVERYDAY_WORDS}
        # a three-character term said with a filler inside (五带个头) is that term; other slips of one are words
        inserted: dict[str, set[str]] = {}
        for term in (t for t in terms if len(t) == MIN_TERM - 1 and _CJK_RUN.fullmatch(t)):
            for i in range(1, len(term)):
                inserted.setdefault(term[:i] + "?" + term[i:], set()).add(term)
        self._inserted = {p: next(iter(ts)) for p, ts in inserted.items() if len(ts) == 1 and p not in self._patterns}
        # two neighbouring characters typed the wrong way round (争创题主)
        swapped: dict[str, set[str]] = {}
        for term in self.terms:
            for i in range(len(term) - 1):
                if term[i] != term[i + 1]:
                    swapped.setdefault(term[:i] + term[i + 1] + term[i] + term[i + 2:], set()).add(term)
        self._swapped = {w: next(iter(ts)) for w, ts in swapped.items() if len(ts) == 1 and w not in self.terms}
        self._lengths = sorted({len(p) for p in self._patterns} | {len(w) for w in self._shortened}, reverse=True)

    def correct(self, text: str) -> str:
        """The text with each one-slip term replaced by the term; everything else untouched."""
        if len(text) > MAX_TEXT or not self._patterns:
            return text
        return _CJK_RUN.sub(lambda m: self._correct_run(m.group(0)), text)

    def _correct_run(self, run: str) -> str:
        covered = self._covered(run)
        bounds = set(itertools.accumulate(map(len, self._segment(run)), initial=0)) if self._segment else None
        for length in self._lengths:
            for start in range(len(run) - length + 1):
                if covered.intersection(range(start, start + length)):
                    continue  # overlaps a term written correctly: not a slip
                window = run[start:start + length]
                if bounds is not None and (start not in bounds or start + length not in bounds) \
                        and not _sound_slip(window, self._match(window)):
                    continue  # a slip may cut a word only when it sounds like the term (党组只是 -> 党组织是)
                term = self._match(window)
                if term and self._segment and self._changes_a_framing_word(run[start:start + length], term):
                    continue
                if term and self._in_source(window):
                    continue
                if term:
                    fixed = run[:start] + term + run[start + length:]
                    return fixed if fixed == run else self._correct_run(fixed)
        return run

    def _changes_a_framing_word(self, window: str, term: str) -> bool:
        """True when the character that differs belongs to a word that frames the question (分别 of 分别指导)."""
        at = 0
        for word in self._segment(window):
            changed = len(window) != len(term) or window[at:at + len(word)] != term[at:at + len(word)]
            if changed and len(word) > 1 and self._framing(word):
                return True
            at += len(word)
        return False

    def _covered(self, run: str) -> set[int]:
        """Positions of run that belong to a correctly written term or an everyday word."""
        covered: set[int] = set()
        for term in (*self.terms, *EVERYDAY_WORDS, *OTHER_CAMPAIGNS):
            at = run.find(term)
            while at != -1:
                covered.update(range(at, at + len(term)))
                at = run.find(term, at + 1)
        return covered

    def _match(self, window: str) -> str | None:
        if window in self._swapped:
            return self._swapped[window]
        if window in self._shortened:
            return self._shortened[window]
        for i in range(1, len(window) - 1):
            if window[i] in SPOKEN_FILLERS and window[:i] + "?" + window[i + 1:] in self._inserted:
                return self._inserted[window[:i] + "?" + window[i + 1:]]
        for i in range(len(window)):
            term = self._patterns.get(window[:i] + "?" + window[i + 1:])
            if term and window[i] in GRAMMAR_CHARS and not _sound_slip(window, term):
                continue  # 哪项教育 asks which; it is no slip of 三项教育 (创先争有 sounds like 创先争优: it is)
            if term:
                return term
        return None


def _sound_slip(window: str, term: str | None) -> bool:
    """True when window is term with one character replaced by one that sounds the same (voice input), judged by
    the whole term: 争有 alone is a word, 创先争有 is 创先争优 misheard (class: typo, homophone)."""
    if term is None or len(window) != len(term):
        return False
    differ = [(a, b) for a, b in zip(window, term) if a != b]
    return len(differ) == 1 and bool(set(char_sounds(differ[0][0])) & set(char_sounds(differ[0][1])))
