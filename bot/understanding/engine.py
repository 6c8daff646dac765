"""The engine's reading parts for one campaign (normaliser, tokenizer, index, intent rules), built once a process."""

from __future__ import annotations

import functools

from bot.campaign import Campaign
from bot.understanding.followup import FollowUpReader
from bot.understanding.intents import IntentReader
from bot.understanding.lexicon import (build_tokenizer, correctable_terms, file_terms, frames_a_question, source_words,
                                       tokens, unlisted_counted_names)
from bot.understanding.normalize import Normalizer
from bot.understanding.passages import SentenceIndex
from bot.understanding.retrieval import Index
from bot.understanding.sounds import SoundCorrector
from bot.understanding.spelling import TermCorrector


class Engine:
    """Normalises, tokenizes and reads questions about one campaign; read-only once built."""

    def __init__(self, campaign: Campaign):
        self.normalizer = Normalizer()
        self._tokenizer = build_tokenizer(frozenset(file_terms(campaign)))
        self._corrector = TermCorrector(correctable_terms(campaign), lambda text: self._tokenizer.lcut(text, HMM=False),
                                        frames_a_question, lambda words: self.sentences.mentions(words))
        whole = lambda text: self.normalizer.normalize(text, limit=None)  # noqa: E731
        self.index = Index(campaign, whole, self.tokenize)
        self.sentences = SentenceIndex(campaign, whole, self.tokenize)
        known = self._tokenizer.FREQ
        self._sounds = SoundCorrector(source_words(campaign, [*self.index.words(), *self.sentences.words()]),
                                      lambda w: known.get(w, 0) > 0, lambda text: self._tokenizer.lcut(text, HMM=False))
        self.reader = IntentReader(self.index, self.sentences, unlisted_counted_names(campaign, whole))
        names = {n for e in self.index.entries for n in e.names} | {whole(t) for t in file_terms(campaign)}
        self.followups = FollowUpReader(names)

    def normalize(self, text: str) -> str:
        """The canonical form of a question: simplified, half-width, numerals and spoken forms unified, typos fixed."""
        text = self._sounds.correct_pinyin(self.normalizer.normalize(text))
        corrected = self._sounds.correct(self._corrector.correct(text))
        # a corrected slip may complete a form the normaliser unifies (第二接段 -> 第二阶段 -> 第2阶段)
        return corrected if corrected == text else self.normalizer.normalize(corrected)

    def spell_pinyin_words(self, text: str) -> str:
        """An English question with the campaign words it spells in pinyin (wu ge hao) written in Chinese."""
        return self._sounds.spell_words(text)

    def tokenize(self, normalized: str) -> list[str]:
        """Index words of a normalised text (campaign terms kept whole, synonyms unified, stop words dropped)."""
        return tokens(self._tokenizer, normalized)


@functools.lru_cache(maxsize=4)
def engine_for(campaign: Campaign) -> Engine:
    """The engine for this campaign, shared by every Answerer of the process (campaigns are immutable values)."""
    return Engine(campaign)
