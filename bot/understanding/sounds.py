"""Finds the campaign word a voice-input or pinyin-keyboard slip stands for (东员 -> 动员, 较育 -> 教育, 正改 -> 整改).

A slip sounds like the word: the same syllables once tones are ignored and the sounds that north-western Mandarin
and voice input confuse are merged (n/l, z/zh, c/ch, s/sh, en/eng, in/ing). A stretch of a question is replaced by a
campaign word only when it is not itself a word jieba knows, cuts through no word jieba finds in the question (有几
in 还有几天 is no slip of 有机), shares a character with the word (for short words), and overlaps no correctly
written campaign word."""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata
from collections.abc import Callable, Iterable

from pypinyin.pinyin_dict import pinyin_dict

from bot.understanding.normalize import CJK_CHARS

MIN_WORD, MAX_WORD = 2, 6
SHORT_WORD = 3  # words this short must share a character with the slip (two-syllable homophones are everywhere)
MAX_READINGS = 8  # readings of a stretch tried at most (characters with several readings multiply them)
MAX_TEXT = 120  # longer texts are left as they are
_CJK_RUN = re.compile(f"{CJK_CHARS}+")
_LATIN_RUN = re.compile(r"[a-z]{2,}")
_PINYIN_WORD = re.compile(r"(?<![A-Za-z'])[A-Za-z]{1,6}(?![A-Za-z'])")
MAX_NEIGHBOURS = 2  # Chinese characters either side of typed pinyin that may belong to the same word (shang报)
_INITIALS = (("zh", "z"), ("ch", "c"), ("sh", "s"), ("n", "l"))
_FINALS = (("eng", "en"), ("ing", "in"))
# Characters that ask or carry grammar: a stretch where one of them differs from the word is speech, not a slip
# (联几户 asks how many households; it is not 联系户).
GRAMMAR_CHARS = frozenset("个几哪谁啥怎么吗呢吧的地得了着过是在有和与或就都也还又很最太每各这那时要把被给对从到让")
# Everyday words a slip must not eat into (a stretch containing one is ordinary speech, not a slip).
EVERYDAY_WORDS = ("什么", "时候", "我们", "咱们", "怎么", "哪个", "哪些", "多少", "为什么", "是不是", "有没有", "做什么")


def fuzzy_syllable(syllable: str) -> str:
    """One toneless syllable with the confusable sounds merged: zheng -> zen, ning -> lin, shi -> si."""
    for heard, kept in _INITIALS:
        if syllable.startswith(heard):
            syllable = kept + syllable[len(heard):]
            break
    for heard, kept in _FINALS:
        if syllable.endswith(heard):
            return syllable[: -len(heard)] + kept
    return syllable


@functools.lru_cache(maxsize=8192)
def char_readings(char: str) -> tuple[str, ...]:
    """Every toneless reading of one character, from pypinyin's character table (ü written v, as keyboards do)."""
    marked = unicodedata.normalize("NFD", pinyin_dict.get(ord(char), "")).replace("u\u0308", "v")
    plain = "".join(c for c in marked if not unicodedata.combining(c))
    return tuple(dict.fromkeys(r for r in plain.split(",") if r))


@functools.lru_cache(maxsize=8192)
def char_sounds(char: str) -> tuple[str, ...]:
    """Every fuzzy reading of one character (a character with several readings has several)."""
    return tuple(dict.fromkeys(fuzzy_syllable(r) for r in char_readings(char)))


def _readings_of(word: str, per_char: Callable[[str], tuple[str, ...]]) -> list[tuple[str, ...]]:
    """The word's readings, one syllable per character, every combination of characters' readings (capped)."""
    return list(itertools.islice(itertools.product(*(per_char(ch) for ch in word)), MAX_READINGS))


def _first_reading(chars: str) -> str:
    return "".join(char_readings(ch)[0] if char_readings(ch) else "" for ch in chars)


_TIME_ENDS = "候号日月天底年"  # the last character of a time said before 前 / 后 (5月10日前, 什么时候前)


class SoundCorrector:
    """Knows how each campaign word sounds and replaces the stretches of a question that sound like one."""

    def __init__(self, words: Iterable[str], is_known_word: Callable[[str], bool],
                 segment: Callable[[str], list[str]]):
        self.words = {w for w in words if MIN_WORD <= len(w) <= MAX_WORD and _CJK_RUN.fullmatch(w)}
        self._is_known = is_known_word
        self._segment = segment
        by_sound: dict[tuple[str, ...], set[str]] = {}
        spelt: dict[str, set[str]] = {}
        for word in self.words:
            for sound in _readings_of(word, char_sounds):
                by_sound.setdefault(sound, set()).add(word)
            for spelling in _readings_of(word, char_readings):
                spelt.setdefault("".join(spelling), set()).add(word)
        self._by_sound = by_sound
        self._lengths = sorted({len(w) for w in self.words}, reverse=True)
        self._by_spelling = {p: next(iter(ws)) for p, ws in spelt.items() if len(ws) == 1}

    def correct_pinyin(self, text: str) -> str:
        """Pinyin typed among Chinese (基层dongyuan会议, shang报) written as the campaign word it spells."""
        if not _CJK_RUN.search(text) or len(text) > MAX_TEXT:
            return text
        for match in reversed(list(_LATIN_RUN.finditer(text))):
            text = self._spell_out(text, match.start(), match.end())
        return text

    def _spell_out(self, text: str, start: int, end: int) -> str:
        best = None
        for left in range(MAX_NEIGHBOURS + 1):
            for right in range(MAX_NEIGHBOURS + 1):
                before, after = text[start - left:start] if left else "", text[end:end + right]
                if len(before) < left or len(after) < right or not all(map(_CJK_RUN.fullmatch, before + after)):
                    continue
                spelling = _first_reading(before) + text[start:end] + _first_reading(after)
                word = self._by_spelling.get(spelling)
                if word and (best is None or len(word) > len(best[0])):
                    best = (word, start - left, end + right)
        return text if best is None else text[:best[1]] + best[0] + text[best[2]:]

    def spell_words(self, text: str) -> str:
        """Pinyin written as separate words in an English question (what does wu ge hao mean) as the campaign word
        it spells (class: english)."""
        words = list(_PINYIN_WORD.finditer(text))
        for size in range(min(MAX_WORD, len(words)), 1, -1):
            for i in range(len(words) - size, -1, -1):
                run = words[i:i + size]
                if len(run) == size and all(run[j].end() + 1 == run[j + 1].start() for j in range(size - 1)):
                    word = self._by_spelling.get("".join(m.group(0).lower() for m in run))
                    if word:
                        text = text[:run[0].start()] + word + text[run[-1].end():]
                        return self.spell_words(text)
        return text

    def correct(self, text: str) -> str:
        """The text with each stretch that sounds like a campaign word (and is no word itself) replaced by it."""
        if len(text) > MAX_TEXT:
            return text
        return _CJK_RUN.sub(lambda m: self._correct_run(m.group(0)), text)

    def _correct_run(self, run: str) -> str:
        taken = self._covered(run)
        bounds = set(itertools.accumulate((len(w) for w in self._segment(run)), initial=0))
        replacements: list[tuple[int, int, str]] = []
        for length in self._lengths:
            for start in range(len(run) - length + 1):
                span = range(start, start + length)
                if start not in bounds or start + length not in bounds or taken.issuperset(span):
                    continue
                if run[start] in "前后" and start and run[start - 1] in _TIME_ENDS:
                    continue  # 几号前定: 前 says before the day named (it is no slip of 坚定)
                word = self._sounds_like(run[start:start + length])
                if word and any(run[i] != word[i - start] for i in taken.intersection(span)):
                    continue  # it would change a word written correctly (大学生 of 大学生存官 stays)
                if word:
                    replacements.append((start, start + length, word))
                    taken.update(span)
        for start, end, word in sorted(replacements, reverse=True):
            run = run[:start] + word + run[end:]
        return run

    def _covered(self, run: str) -> set[int]:
        """Positions that belong to a correctly written campaign word or an everyday word."""
        covered: set[int] = set()
        for length in range(MIN_WORD, min(MAX_WORD, len(run)) + 1):
            for start in range(len(run) - length + 1):
                piece = run[start:start + length]
                if piece in self.words or piece in EVERYDAY_WORDS:
                    covered.update(range(start, start + length))
        return covered

    def _sounds_like(self, stretch: str) -> str | None:
        if self._is_known(stretch):
            return None
        readings = [char_sounds(ch) for ch in stretch]
        if not all(readings):
            return None
        found: set[str] = set()
        for sound in itertools.islice(itertools.product(*readings), MAX_READINGS):
            found |= self._by_sound.get(sound, set())
        found = {w for w in found if not any(a != b and a in GRAMMAR_CHARS for a, b in zip(stretch, w))}
        if len(stretch) <= SHORT_WORD:
            found = {w for w in found if set(w) & set(stretch)}
        if not found:
            return None
        best = max(found, key=lambda w: sum(a == b for a, b in zip(w, stretch)))
        ties = [w for w in found if sum(a == b for a, b in zip(w, stretch)) == sum(a == b for a, b in zip(best, stretch))]
        return best if len(ties) == 1 else None
