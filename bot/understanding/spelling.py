"""Fixes a campaign term typed with one wrong or one doubled character (四连一带, 实施方按, 四联联一带)."""

from __future__ import annotations

import itertools
import re
from collections.abc import Callable

from bot.understanding.normalize import CJK_CHARS
from bot.understanding.sounds import GRAMMAR_CHARS

MIN_TERM = 4  # shorter terms are too close to ordinary words to correct safely
MAX_TEXT = 80  # longer texts are left as they are (cost grows with length)
_CJK_RUN = re.compile(f"{CJK_CHARS}+")
# Everyday words a term's slip must not eat into: 动员会什么时候 is not a slip of 动员会议, nor 我们镇党委 of 乡镇党委.
EVERYDAY_WORDS = ("什么", "时候", "我们", "咱们", "俺们", "你们", "他们", "怎么", "哪个", "哪些", "多少", "为什么",
                  "是不是", "有没有", "做什么", "要做")


class TermCorrector:
    """Knows every term of at least four characters and the one-character slips that map to exactly one of them."""

    def __init__(self, terms: set[str], segment: Callable[[str], list[str]] | None = None,
                 framing: Callable[[str], bool] = lambda word: False):
        self.terms = {t for t in terms if len(t) >= MIN_TERM and _CJK_RUN.fullmatch(t)}
        self._segment = segment  # when given, a slip never cuts through a word (动员会分别 is no slip of 动员会议)
        self._framing = framing  # a word that only frames a question (分别) is written on purpose: 分别指导 stays
        patterns: dict[str, set[str]] = {}
        for term in self.terms:
            for i in range(len(term)):
                patterns.setdefault(term[:i] + "?" + term[i + 1:], set()).add(term)  # one character wrong
            for i in range(1, len(term)):
                if term[i - 1] != "?":
                    patterns.setdefault(term[:i] + "?" + term[i:], set()).add(term)  # one character too many
        self._patterns = {p: next(iter(ts)) for p, ts in patterns.items() if len(ts) == 1}
        self._lengths = sorted({len(p) for p in self._patterns}, reverse=True)

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
                if bounds is not None and (start not in bounds or start + length not in bounds):
                    continue
                term = self._match(run[start:start + length])
                if term and self._segment and self._changes_a_framing_word(run[start:start + length], term):
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
        for term in (*self.terms, *EVERYDAY_WORDS):
            at = run.find(term)
            while at != -1:
                covered.update(range(at, at + len(term)))
                at = run.find(term, at + 1)
        return covered

    def _match(self, window: str) -> str | None:
        for i in range(len(window)):
            if window[i] in GRAMMAR_CHARS:
                continue  # 哪项教育 asks which; it is no slip of 三项教育
            term = self._patterns.get(window[:i] + "?" + window[i + 1:])
            if term:
                return term
        return None
