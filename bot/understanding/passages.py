"""Finds the source sentences that answer a question no structured entry answers (every sentence can answer)."""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from bot.campaign import Campaign, SourceSentence
from bot.understanding.lexicon import names_a_thing, spellings, word_weight
from bot.understanding.retrieval import outermost

PARTIAL_CREDIT = 0.5  # a long word found only in part (most of its character pairs) counts half
HEADING_CHARS = 16  # a sentence this short that opens a numbered item (一是…, (二)…) is a heading
_HEADING = re.compile(r"^(\(?[一二三四五六七八九]\)?[、是要]|[1-9]、)")
_NUMBERED_HEADING = re.compile(r"^(\([一二三四五六七八九十]\)|[一二三四五六七八九十]、|[1-9]、)")
HEADING_MAX = 40  # a numbered opening sentence longer than this is a paragraph of its own, not a heading
_DATED = re.compile(r"\d{4}年|\d{1,2}月|七一")


@dataclass(frozen=True)
class SentenceHit:
    """A source sentence and how well it fits the question."""

    index: int
    coverage: float  # share of the question's weighted words the sentence holds, 0..1
    score: float  # the weight it holds (rare words weigh more)


def _pairs(word: str) -> set[str]:
    return {word[i:i + 2] for i in range(len(word) - 1)}


_QUALITY_LIST = re.compile(r"“[^”]*、[^”]*”的([^，。；;,]{1,16})")


class SentenceIndex:
    """The source's sentences, normalised, with word weights for matching questions against them."""

    def __init__(self, campaign: Campaign, normalize: Callable[[str], str], tokenize: Callable[[str], list[str]]):
        self.sentences: tuple[SourceSentence, ...] = campaign.sentences
        self._texts = [normalize(s.text) for s in self.sentences]
        self.campaign_names = (normalize(campaign.name), normalize(campaign.organiser))
        # (sentence, what it describes) where a quoted list of qualities stands before a thing: “A、B、C”的先进典型
        self.qualified = [(i, normalize(m.group(1))) for i, s in enumerate(self.sentences)
                          for m in _QUALITY_LIST.finditer(s.text)]
        self._pairs = [_pairs(t) for t in self._texts]
        # the topic that sums up a numbered paragraph, by the paragraph's reference (the most specific one)
        self._topic_of_ref: dict[str, str] = {}
        for topic in sorted(campaign.topics, key=lambda t: not t.parent):
            self._topic_of_ref.setdefault(topic.ref, topic.id)
        df = Counter(w for t in self._texts for w in set(tokenize(t)))
        n = max(len(self._texts), 1)
        self._idf = {w: math.log(1 + (n - f + 0.5) / (f + 0.5)) for w, f in df.items()}
        self._unknown_idf = math.log(1 + (n + 0.5) / 0.5)

    def normalized(self, index: int) -> str:
        """The sentence as questions are normalised (simplified, numerals unified)."""
        return self._texts[index]

    def words(self) -> list[str]:
        """Every word the sentences hold."""
        return list(self._idf)

    def idf(self, word: str) -> float:
        """The weight of a word among the sentences: rare weighs more, unknown weighs most."""
        return word_weight(word, self._idf.get(word), self._unknown_idf)

    def search(self, words: list[str], limit: int = 3) -> list[SentenceHit]:
        """The sentences best covering the question's words, best first."""
        content = outermost(words)
        if not content:
            return []
        weights = [(spellings(w), self.idf(w), _pairs(w) if len(w) >= 3 else set()) for w in content]
        total = sum(weight for _, weight, _ in weights)
        hits = []
        for i, text in enumerate(self._texts):
            held = 0.0
            for written, weight, pairs in weights:
                if any(form in text for form in written):  # 实施方案 is held by 活动方案 too: the source says 方案
                    held += weight
                elif pairs and len(pairs & self._pairs[i]) * 2 >= len(pairs) + 1:
                    held += weight * PARTIAL_CREDIT
            if held:
                hits.append(SentenceHit(i, held / total, held))
        hits.sort(key=lambda h: (round(h.coverage, 3), h.score, -len(self._texts[h.index])), reverse=True)
        return hits[:limit]

    def known(self, word: str) -> bool:
        """True for a word some sentence holds (in one of its spellings)."""
        return word in self._idf or any(form in text for form in spellings(word) for text in self._texts)

    def unknown(self, word: str) -> bool:
        """True for a word no sentence holds that names a thing (2013, 天气), not one that only frames a question."""
        return word not in self._idf and self.idf(word) == self._unknown_idf and names_a_thing(word)

    def mentions(self, name: str) -> bool:
        """True when some sentence of the source names it (学习实践活动 is named; 两学一做 is not)."""
        return any(name in text for text in self._texts)

    def dated(self, index: int) -> bool:
        """True when the sentence names a year, a month or 七一 (so it can answer 'when')."""
        return _DATED.search(self._texts[index]) is not None

    def with_heading(self, index: int) -> list[int]:
        """The sentence, preceded by its item's heading when the sentence before it is one (一是领导联校抓源头。)."""
        sentence = self.sentences[index]
        if index > 0 and sentence.position > 0:
            before = self.sentences[index - 1]
            if len(before.text) <= HEADING_CHARS and _HEADING.match(before.text):
                return [index - 1, index]
        return [index]

    def topic_headed_by(self, index: int) -> str | None:
        """The topic summing up the paragraph when the sentence is that paragraph's numbered heading ((一)开展…), so
        that the paragraph, not its heading alone, answers (class: inside-paragraph); else None."""
        sentence = self.sentences[index]
        if sentence.position != 0 or len(sentence.text) > HEADING_MAX or not _NUMBERED_HEADING.match(sentence.text):
            return None
        return self._topic_of_ref.get(sentence.ref)

    def following(self, index: int, count: int = 2) -> list[int]:
        """The next sentences of the same paragraph (for 还有呢)."""
        paragraph = self.sentences[index].paragraph
        return [j for j in range(index + 1, min(index + 1 + count, len(self.sentences)))
                if self.sentences[j].paragraph == paragraph]
