"""Reads what a normalised question asks for: rules for the common questions, retrieval for the rest."""

from __future__ import annotations

import re
from datetime import timedelta

from bot.understanding.cues import (CUE_PATTERNS, MONTH_DAY, MOVE_ON, PHASE, PHASE_ENDED, PHASE_WORD, cue,
                                    personal_intent)
from bot.understanding.declines import asks_uncounted_number, decline_reason
from bot.understanding.lexicon import UNIT_KIND_WORDS, kinds_named_in, part_of_unit_name, spellings
from bot.understanding.model import CONFIDENCE_THRESHOLD, Understanding
from bot.understanding.normalize import CJK
from bot.understanding.passages import SentenceIndex
from bot.understanding.retrieval import Hit, Index, outermost

RULE_CONFIDENCE = 0.9
NEAR_SCORE = 0.5  # hits scoring at least this share of the best one are offered with it (e.g. both 表彰 dates)
STRICT_QUOTE_THRESHOLD = 0.6  # …and this share when it asks when, or names a thing the source never mentions
QUOTE_THRESHOLD = 0.5  # a source sentence must hold this share of the question's weighted words to be quoted
QUOTE_MARGIN = 0.15  # …and this much more than a topic that only partly fits, to be quoted instead of it
QUOTE_NEAR = 0.05  # a second sentence about as good as the first is quoted with it
KIND_MARGIN = 0.2  # a sentence naming the unit kind asked about may hold this much less and still come first
KIND_TASK_BAR = 0.4  # a deadline binding the unit kind named needs only this share when its task is named too
KIND_SHARE = 0.5  # …or this share of the best deadline's, the task named in the other kind's words (动员大会 for 会议)
PHRASE = 4  # a stretch of the question this long found in a sentence as it stands marks the sentence meant
LOOSE_QUOTE = 0.4  # …and a sentence holding this share and two of its words, when nothing at all fits better
NAMED_BAR = 0.4  # a topic named whole (督查) answers at this share when nothing else fits (the rest is spoken framing)
KNOWN_TOGETHER = 2  # a question's known words found together in one sentence, this many at least, say what it asks
SURE_QUOTE = 0.8  # a sentence holding this much of a question about a campaign the source names answers it

_COUNTS_AND_TIMES = frozenset("几点 几时 点钟 小时 分钟 多少 人数 名额 金额 钱".split())
_GENERIC_DEADLINE_WORDS = frozenset(("截止", "任务", "事项", "单位", "完成", "负责", "目标要求"))


# Asks for the members of a counted name (class: plain-fact, decline): 哪五个, 有哪些, 包括什么, 分别是, 是什么.
_ASKS_MEMBERS = re.compile(r"哪[一二三四五六七八九十两几\d]*[个项条种样]|哪些|有什么|包括|包含|分别|具体|都是|是什么|指什么")
_PURPOSE = re.compile(r"[，,](使|让|以便|从而|确保)")  # …，使目标看得见: what the step before it is for
_QUALITY_FRAME = frozenset(("符合", "达到", "具备", "标准", "条件", "样子"))
_SUPERVISORS = re.compile(r"(?:^|[（，,])([^（，,]*)督促")


def doers(deadline) -> tuple[str, ...]:
    """The unit kinds a deadline binds that do its task themselves, not those its task says only supervise
    (…（县市委、州直各党(工)委督促所属基层党组织完成）: 基层党组织 does it)."""
    supervising = _SUPERVISORS.search(deadline.task)
    named = kinds_named_in(supervising.group(1)) if supervising else ()
    return tuple(k for k in deadline.binds if k not in named) or deadline.binds


def _task_words(words: list[str]) -> list[str]:
    """The words of a question that name a task (动员大会, 实施方案), not 截止 or a unit."""
    return [w for w in words if w not in _GENERIC_DEADLINE_WORDS and not part_of_unit_name(w)]


_WHICH_PHASE = re.compile(r"(哪一?个?|什么|第几)阶段")  # asks which phase a thing is


class IntentReader:
    """Turns a normalised question and its tokens into an Understanding."""

    def __init__(self, index: Index, sentences: SentenceIndex, unlisted: frozenset[str] = frozenset()):
        self.index = index
        self.sentences = sentences
        self.unlisted = unlisted  # counted names (五个基本建设) the file names only as an item, never listing theirs

    def read(self, text: str, words: list[str]) -> Understanding:
        """The intent of the question; 'unknown' with a low confidence when nothing fits."""
        reason = decline_reason(text, self.sentences.mentions)
        if reason == "other_campaign" and self._names_in_source(text) and not asks_uncounted_number(text):
            quote = self._quote(text, words)  # 学习实践活动总结大会上总书记讲话是几月几号: the source says it
            if quote and quote.confidence >= SURE_QUOTE:
                return quote
        if reason:
            return Understanding("unknown", 0.0, text, {"reason": reason})
        personal = personal_intent(text)
        if personal:
            return Understanding(personal, 0.95, text)
        if cue("greeting", text):
            return Understanding("greeting", RULE_CONFIDENCE, text)
        if cue("thanks", text):
            return Understanding("thanks", RULE_CONFIDENCE, text)
        return self._paragraph_for_heading(self._campaign_question(text, words))

    def _paragraph_for_heading(self, reading: Understanding) -> Understanding:
        """跟学习实践活动啥关系: a quote opening with a numbered heading ((一)开展…是…重大举措) is answered by the
        topic summing up the paragraph it heads: the heading holds the words, the paragraph the answer (class:
        inside-paragraph)."""
        shown = reading.slots.get("sentences") if reading.intent == "source" else None
        headed = self.sentences.topic_headed_by(shown[0]) if shown else None
        return Understanding("topic", reading.confidence, reading.normalized, {"topic": headed}) if headed else reading

    def _campaign_question(self, text: str, words: list[str]) -> Understanding:
        unlisted = next((name for name in self.unlisted if name in text), None)
        if unlisted and _ASKS_MEMBERS.search(text):  # 五个基本建设是哪五个: the source never lists them
            return Understanding("unknown", 0.0, text, {"reason": "no_list", "term": unlisted})
        phase = PHASE.search(text)
        if cue("tomorrow", text) and "阶段" in text and not phase and not self._names(text, "phase"):
            return self._rule("current_phase", text, day_offset=1)  # 明天开始啥阶段: the phase tomorrow is in
        if cue("next_month", text) and (cue("task", text) or "阶段" in text) and not phase:
            return self._rule("current_phase", text, next_month=True, tasks=True)  # 下个月开始干啥 (class: time-aware)
        last = cue("last_phase", text)
        by_name = None if phase or last else self._phase_by_name(text)
        if (phase or last or by_name) and not MOVE_ON.search(text):  # 没干完能进第二阶段不: the rule on moving on
            number = int(phase.group(1)) if phase else by_name or self.index.last_phase()
            if phase and PHASE_ENDED.search(text):  # 第三阶段结束了 现在是第四阶段吧: the phase asked is the later one
                number = int(PHASE.findall(text)[-1])
            if cue("days", text):
                due = self._deadline_in_phase(text, words, number)  # 第二阶段的表彰还有多少天: the commendation
                return self._rule("days_left", text, target=f"deadline:{due}" if due else f"phase:{number}",
                                  start=("开始" in text and "结束" not in text) or None)
            day = "last" if cue("last_day", text) else "first" if cue("first_day", text) else None
            return self._rule("phase", text, phase=number, tasks=cue("task", text) or None,
                              unit_kinds=list(kinds_named_in(text)) or None, day=day if cue("yes_no", text) else None)
        dated = self._dated_deadlines(text, words)
        if dated:
            return dated
        if cue("phases", text) and ("阶段" in text or "步骤" in text or "几步" in text) \
                and not self._names_topic_besides_phases(text):  # 督导各阶段要坚持啥原则: the rule on 督导
            return self._rule("phases", text)
        if cue("progress", text) or "阶段" in text and cue("current", text) and not self._names_topic(text) \
                and not MOVE_ON.search(text):
            return self._rule("current_phase", text, tasks=cue("task", text) or None)
        if not words and (cue("current", text) or cue("next", text)) and cue("task", text) and not cue("unit", text):
            return self._rule("current_phase", text, tasks=True)  # 现在干啥, 下来弄啥: today's phase and its tasks
        if cue("why", text) and not self._subject_words(words):
            return self._why(text)
        if cue("campaign_span", text):
            return self._rule("days_left" if cue("days", text) else "campaign_period", text, target="campaign")
        if cue("days", text):
            return self._days_left(text, words)
        if cue("month", text):
            return self._rule("month_tasks", text)
        if not words and "活动" in text and cue("task", text):  # 这活动说白了要干个啥: the campaign itself asked
            return self._about_campaign(text, "主要内容")  # (class: colloquial)
        kinds = kinds_named_in(text)
        if (kinds or cue("unit", text)) and cue("task", text) and not self._names_topic(text):
            named_task = self._named_deadlines(text, words)
            if named_task:
                return named_task
            if _task_words(words) and not cue("current", text):  # 我们党委负责人要联系哪类学校: a fact about the
                # unit, not its list of deadlines; 村党支部现在要干啥 asks for that list
                found = self._retrieve(text, words)
                if found.intent != "unknown":
                    return found
            return self._rule("unit_tasks", text, unit_kinds=list(kinds) or None)
        if (cue("still", text) or cue("when", text)) and not self._names(text, "phase"):  # 县里的方案该收齐了吧: has
            named_task = self._named_deadlines(text, words)  # its day passed; 方案啥时候交: when is it
            if named_task:
                return named_task
        if cue("deadlines", text) or cue("next", text) and cue("when", text):
            return self._deadlines(text, words)
        # 典型要树什么样的标准: the sentence giving the thing's qualities, before any topic that names the words
        return self._effect(text, words) or self._qualities(text, words) or self._retrieve(text, words)

    def _subject_words(self, words: list[str]) -> list[str]:
        """The words of a question naming something besides the campaign itself (这个活动, 创先争优活动)."""
        names = self.sentences.campaign_names
        return [w for w in words if not any(w in n for n in names) and not (w.endswith("活动") and len(w) <= 4)]

    def _why(self, text: str) -> Understanding:
        """为啥要搞这个活动: the file's topic on the campaign's significance (意义), read as if asked by that word
        (class: colloquial, why-questions about the campaign itself)."""
        return self._about_campaign(text, "意义")

    def _about_campaign(self, text: str, word: str) -> Understanding:
        """The file's topic on that aspect (意义, 主要内容) of the campaign itself, read as if asked by that word."""
        asked = f"{self.sentences.campaign_names[0]}的{word}"
        hits = self._good(self.index.search(asked, [self.sentences.campaign_names[0], word], ("topic",)))
        if not hits:
            return Understanding("unknown", 0.0, text)
        return Understanding("topic", RULE_CONFIDENCE, text, {"topic": hits[0].entry.key})

    def _effect(self, text: str, words: list[str]) -> Understanding | None:
        """确定活动主题要达到什么效果: the sentence doing what is asked about and saying what it is for (…活动主题，
        使目标看得见…), or None (class: inside-paragraph, what a step is for)."""
        if not cue("effect", text):
            return None
        subject = [w for w in words if not CUE_PATTERNS["effect"].fullmatch(w)]
        if len(subject) < 2:
            return None  # one word is a topic's question (活动主题的目的), not a step's
        for index in range(len(self.sentences.sentences)):
            sentence = self.sentences.normalized(index)
            ends = [sentence.find(w) + len(w) for w in subject if w in sentence]
            if len(ends) == len(subject) and _PURPOSE.search(sentence, max(ends)):
                return Understanding("source", RULE_CONFIDENCE, text, {"sentences": [index]})
        return None

    def _rule(self, intent: str, text: str, **slots) -> Understanding:
        return Understanding(intent, RULE_CONFIDENCE, text, {k: v for k, v in slots.items() if v is not None})

    def _names_in_source(self, text: str) -> bool:
        """True when the other campaign the text names is one the source itself speaks of."""
        other = CUE_PATTERNS["other_campaign"].search(text)
        return bool(other) and self.sentences.mentions(other.group(0))

    def names_topic(self, text: str) -> bool:
        """True when the text names a topic of the file whole (its title or an alias)."""
        return self._names_topic(text)

    def _names_topic(self, text: str) -> bool:
        return self._names(text, "topic")

    def _phase_by_name(self, text: str) -> int | None:
        """对标定位晋档升级是哪个阶段 (a homophone already spelt right): the phase whose name the text gives while
        asking which phase, so 哪个阶段 does not read as today's phase (class: homophone, time-aware)."""
        if not _WHICH_PHASE.search(text):
            return None
        named = [self.index.entries[i].key for i in self.index.named_in(text) if self.index.entries[i].kind == "phase"]
        return int(named[0]) if len(named) == 1 else None

    def _names_topic_besides_phases(self, text: str) -> bool:
        """True when the text names a topic by a name that is not about the phases (督导, not 各阶段)."""
        campaign = self.sentences.campaign_names[0]  # the campaign's own entry (创先争优, 这个活动) is no other topic
        return any(self.index.entries[i].kind == "topic" and not re.search("阶段|步骤", text[a:b])
                   and campaign not in self.index.entries[i].names
                   for i, spans in self.index.named_in(text).items() for a, b in spans)

    def _names(self, text: str, kind: str) -> bool:
        """True when the text names an entry of that kind whole (a topic's title or alias, a phase's name)."""
        return any(self.index.entries[i].kind == kind for i in self.index.named_in(text))

    def _deadline_in_phase(self, text: str, words: list[str], number: int) -> str | None:
        """The deadline a question names besides its phase, if one falls in that phase (or on the day after it)."""
        phase = self.index.phase(number)
        task_words = [w for w in _task_words(words) if not PHASE_WORD.fullmatch(w)]
        if phase is None or phase.start is None or not task_words:
            return None
        for hit in self._good(self.index.search(text, task_words, ("deadline",))):
            d = self.index.deadline(hit.entry.key)
            if d and d.due and phase.start <= d.due <= phase.end + timedelta(days=1) and d.due != phase.end:
                return d.id
        return None

    def _days_left(self, text: str, words: list[str]) -> Understanding:
        named = self._deadline_hits(text, words) if kinds_named_in(text) else []  # 基层党组织方案还有几天: its own
        hit = named[0] if named else self._best(text, _task_words(words), ("deadline",))
        target = f"deadline:{hit.entry.key}" if hit else None
        return self._rule("days_left", text, target=target)

    def _deadline_hits(self, text: str, words: list[str], kinds: tuple[str, ...] | None = None) -> list[Hit]:
        """Deadlines the question names by task, those a unit kind it names must do first (那基层的呢 …开动员大会)."""
        task_words = _task_words(words)
        hits = self.index.search(text, task_words, ("deadline",)) if task_words else []
        found: list[Hit] = []
        for kind in kinds_named_in(text) if kinds is None else kinds:  # each unit kind gets its own best deadlines
            deadlines = [(h, self.index.deadline(h.entry.key)) for h in hits]
            bound = [h for h, d in deadlines if kind in doers(d)] or [h for h, d in deadlines if kind in d.binds]
            # a kind's task may be named in another kind's words (县委的动员大会…基层的呢): a lower bar
            bar = min(KIND_TASK_BAR, KIND_SHARE * hits[0].coverage) if hits else KIND_TASK_BAR
            found += self._good(bound) or (bound[:1] if bound and bound[0].coverage >= bar else [])
        return list(dict.fromkeys(found)) or (self._good(hits) if kinds is None else [])

    def deadlines_for_kind(self, text: str, words: list[str], kind: str) -> list[str]:
        """The deadlines a question names by task that the asker's kind of unit must do itself (class: role-aware:
        动员大会什么时候开 from a 基层党组织 is its 动员会议 by 5月15日, not the county's 动员大会 by 5月10日)."""
        hits = self._deadline_hits(text, words, (kind,))
        return [h.entry.key for h in hits if kind in doers(self.index.deadline(h.entry.key))]

    def _dated_deadlines(self, text: str, words: list[str]) -> Understanding | None:
        """A 'deadline' reading for a question naming a deadline's day (方案5月10日前没弄完还算数吗), with the
        deadlines it names by task."""
        days = {(int(m), int(d)) for m, d in MONTH_DAY.findall(text)}
        due = [d.id for d in self.index.deadlines() if d.due and (d.due.month, d.due.day) in days]
        if not due or not (cue("task", text) or cue("still", text) or _task_words(words)):
            return None
        named = [h.entry.key for h in self._deadline_hits(text, words)]
        return Understanding("deadline", RULE_CONFIDENCE, text, self._deadline_slots(text, [*due, *named]))

    def _deadlines(self, text: str, words: list[str]) -> Understanding:
        hits = self._deadline_hits(text, words)
        if hits:
            return self._deadline_reading(text, words, hits)
        return self._rule("deadlines", text, count=1 if cue("next", text) else None)

    def _retrieve(self, text: str, words: list[str]) -> Understanding:
        kinds = ("topic",) if MOVE_ON.search(text) else ()  # moving on is a rule, not a phase or its end
        hits = self._good(self.index.search(text, words, kinds))
        quote = self._quote(text, words)
        if not hits:
            return quote or self._named_topic(text, words) or self._loose_quote(text, words) \
                or Understanding("unknown", round(self._best_coverage(text, words), 3), text)
        top = hits[0]
        confidence = round(top.coverage, 3)
        if quote and top.entry.kind == "topic" and quote.confidence >= confidence + QUOTE_MARGIN \
                and (not top.named or quote.confidence >= SURE_QUOTE and self._holds_more(quote, top, words)):
            return quote  # a sentence of the source says more of what is asked than the topic does, even one named
        if quote and not top.named and quote.confidence >= confidence and self._quotes_phrase(text, words, quote):
            return quote  # 争创活动在哪搞: the sentence holding the question's phrase whole, not 全面争创's phase
        if top.entry.kind == "topic" and not top.entry.dated and cue("date_asked", text):
            return quote or Understanding("unknown", confidence, text)  # the topic says nothing about when
        if top.entry.kind == "deadline":
            return self._deadline_reading(text, words, [h for h in hits if h.entry.kind == "deadline"], quote)
        if top.entry.kind == "phase":
            return Understanding("phase", confidence, text, {"phase": int(top.entry.key)})
        return Understanding("topic", confidence, text, {"topic": top.entry.key})

    def _holds_more(self, quote: Understanding, top: Hit, words: list[str]) -> bool:
        """True when the quoted sentence holds at least two more of the question's words than the topic named
        (活动内容形式载体这些有啥要求: 内容、形式、载体 stand together in one sentence; the topic 活动内容 holds one)."""
        sentence = self.sentences.normalized(quote.slots["sentences"][0])
        topic = self.index.texts[self.index.entries.index(top.entry)]
        held = lambda text: sum(any(f in text for f in spellings(w)) for w in outermost(words))  # noqa: E731
        return held(sentence) >= held(topic) + 2

    def _named_topic(self, text: str, words: list[str]) -> Understanding | None:
        """我们办公室督查要注意啥原则: the topic the question names whole (督查), though the words around it hold
        the rest of the question's weight, rather than a decline (class: colloquial, indirect wording)."""
        hits = self.index.search(text, words, ("topic",))
        if not hits or not hits[0].named or hits[0].coverage < NAMED_BAR:
            return None
        return Understanding("topic", CONFIDENCE_THRESHOLD, text, {"topic": hits[0].entry.key})

    def _loose_quote(self, text: str, words: list[str]) -> Understanding | None:
        """The one sentence holding the most of a question nothing else answers, when it holds two of its words and
        none is a thing the source never names: a quote beats a decline (class: colloquial, indirect wording)."""
        if cue("date_asked", text):
            return None
        if any(self.sentences.unknown(w) for w in words):
            return self._holding_every_known_word(text, words)
        hits = self.sentences.search(words, limit=2)
        if not hits or hits[0].coverage < LOOSE_QUOTE or len(hits) > 1 and hits[1].coverage == hits[0].coverage:
            return None
        sentence = self.sentences.normalized(hits[0].index)
        if sum(any(f in sentence for f in spellings(w)) for w in outermost(words)) < 2:
            return None
        return Understanding("source", round(hits[0].coverage, 3), text, {"sentences": [hits[0].index]})

    def _holding_every_known_word(self, text: str, words: list[str]) -> Understanding | None:
        """活动形式载体这块有啥讲究没: the one sentence that holds every word of the question the file knows, at
        least KNOWN_TOGETHER of them, though another word is one the file never uses: words found together in
        one sentence say what is asked, the unknown one how (class: colloquial, inside-paragraph). Not when the
        unknown word is a number, a time or a Latin word (会议几点开始: the source gives no hour)."""
        unknown = [w for w in outermost(words) if self.sentences.unknown(w)]
        known = [w for w in outermost(words) if self.sentences.known(w)]
        if len(known) < KNOWN_TOGETHER or any(not CJK.search(w) or w in _COUNTS_AND_TIMES for w in unknown) \
                or any(ch.isdigit() for w in unknown for ch in w):
            return None
        holding = [i for i in range(len(self.sentences.sentences))
                   if all(any(f in self.sentences.normalized(i) for f in spellings(w)) for w in known)]
        if len(holding) != 1:
            return None
        return Understanding("source", CONFIDENCE_THRESHOLD, text, {"sentences": holding})

    def _qualities(self, text: str, words: list[str]) -> Understanding | None:
        """典型要符合啥标准: the sentence giving the thing asked about a quoted list of qualities (培树一批“经得起推敲、
        群众信服…”的先进典型), or None (class: inside-paragraph, a list of qualities)."""
        if not cue("qualities", text):
            return None
        subject = [w for w in words if not CUE_PATTERNS["qualities"].fullmatch(w) and w not in _QUALITY_FRAME]
        for index, described in self.sentences.qualified:
            if subject and all(w in described for w in subject):
                return Understanding("source", RULE_CONFIDENCE, text, {"sentences": [index]})
        return None

    def _quote(self, text: str, words: list[str]) -> Understanding | None:
        """A 'source' reading: the one or two sentences of the source that hold most of the question, or None.

        A question asking when is answered only by sentences that name a date."""
        qualities = self._qualities(text, words)
        if qualities:
            return qualities
        hits = self.sentences.search(words, limit=5)
        strict = cue("date_asked", text) or any(self.sentences.unknown(w) for w in words)
        if cue("date_asked", text):
            hits = [h for h in hits if self.sentences.dated(h.index)]
        if not hits or hits[0].coverage < (STRICT_QUOTE_THRESHOLD if strict else QUOTE_THRESHOLD):
            return None
        phrased = [h for h in hits if h.coverage >= hits[0].coverage - QUOTE_NEAR
                   and self._holds_phrase(text, words, h.index)]
        if phrased:  # 争创活动在哪里开展: of sentences as good, the one holding the question's phrase whole first
            hits = [phrased[0], *[h for h in hits if h is not phrased[0]]]
        kind_words = [w for kind in kinds_named_in(text) for w in UNIT_KIND_WORDS[kind]]
        about_kind = [h for h in hits if h.coverage >= hits[0].coverage - KIND_MARGIN
                      and any(w in self.sentences.sentences[h.index].text for w in kind_words)]
        if about_kind:  # 我们支部也要表彰吗: the sentence about the unit kind asked about comes first
            hits = [about_kind[0], *[h for h in hits if h is not about_kind[0]]]
        chosen = [h.index for h in hits[:2] if h is hits[0] or h.coverage >= hits[0].coverage - QUOTE_NEAR]
        following = self.sentences.following(chosen[0], 1)
        if kind_words and following and any(w in self.sentences.sentences[following[0]].text for w in kind_words):
            chosen = [chosen[0], following[0]]  # …州委集中表彰。各基层党组织也要…: what the unit asked about does
        return Understanding("source", round(hits[0].coverage, 3), text, {"sentences": chosen})

    def _quotes_phrase(self, text: str, words: list[str], quote: Understanding) -> bool:
        """True when the first sentence quoted holds a phrase of the question (see _holds_phrase)."""
        return self._holds_phrase(text, words, quote.slots["sentences"][0])

    def _holds_phrase(self, text: str, words: list[str], index: int) -> bool:
        """True when sentence index holds a stretch of the question of PHRASE characters, which is neither the
        campaign's own name nor part of a term the index matches already (class: typo, inside-paragraph: the
        words as the cadre put them)."""
        sentence = self.sentences.normalized(index)
        terms = set()
        for word in (w for w in words if len(w) >= 3):
            at = text.find(word)
            while at != -1:
                terms.update(range(at, at + len(word)))
                at = text.find(word, at + 1)
        for start in range(len(text) - PHRASE + 1):
            stretch = text[start:start + PHRASE]
            if terms.intersection(range(start, start + PHRASE)):
                continue
            if stretch in sentence and not any(stretch in n for n in self.sentences.campaign_names):
                return True
        return False

    def _named_deadlines(self, text: str, words: list[str]) -> Understanding | None:
        """A 'deadline' reading when the question names a task (动员大会, 实施方案) besides a unit and 截止; the
        words saying it is late or not done (还算数, 没开成) are how it is asked, not the task (class: time-aware)."""
        asking = [m.span() for name in ("still", "not_yet", "when") for m in CUE_PATTERNS[name].finditer(text)]
        words = [w for w in words if not any(text.find(w) < b and text.find(w) + len(w) > a for a, b in asking)]
        hits = self._deadline_hits(text, words)
        if not hits:
            return None
        return self._deadline_reading(text, words, hits)

    def _deadline_reading(self, text: str, words: list[str], hits: list[Hit],
                          quote: Understanding | None = None) -> Understanding:
        """A 'deadline' reading of the hits, unless they bind none of the unit kinds the question names and a
        sentence of the source answers as well (我们村支部也要表彰吗: 各基层党组织也要…表彰奖励)."""
        confidence = round(hits[0].coverage, 3)
        if cue("report_to", text):  # 开完要报给哪: the deadline that says where it is reported, as sure as the first
            hits = [h for h in self.index.search(text, [*words, "上报"], ("deadline",))
                    if "上报" in self.index.deadline(h.entry.key).task][:1] or hits
        kinds = kinds_named_in(text)
        if kinds and all(any(k in self.index.deadline(h.entry.key).binds for k in kinds) for h in hits):
            confidence = max(confidence, CONFIDENCE_THRESHOLD)  # the unit named and its task named: enough
        asks_own_duty = cue("first_person", text) or "也" in text  # 我们支部也要表彰吗, not 先进党工委什么时候表彰
        if asks_own_duty and not self._binds_named_kind(text, hits):
            quote = quote or self._quote(text, words)
            if quote and quote.confidence >= confidence:
                return quote
        return Understanding("deadline", confidence, text, self._deadline_slots(text, hits))

    def _binds_named_kind(self, text: str, hits: list[Hit]) -> bool:
        """True unless the question names a kind of unit that none of the deadlines found binds."""
        kinds = kinds_named_in(text)
        if not kinds:
            return True
        deadlines = [self.index.deadline(h.entry.key) for h in hits]
        return any(kind in d.binds for d in deadlines if d for kind in kinds)

    @staticmethod
    def _deadline_slots(text: str, hits: list[Hit] | list[str]) -> dict:
        ids = [h if isinstance(h, str) else h.entry.key for h in hits]
        slots = {"ids": list(dict.fromkeys(ids))} | ({"still": True} if cue("still", text) else {})
        kinds = kinds_named_in(text)
        return slots | {"unit_kinds": list(kinds)} if kinds else slots

    def _best(self, text: str, words: list[str], kinds: tuple[str, ...]) -> Hit | None:
        hits = self._good(self.index.search(text, words, kinds)) if words else []
        return hits[0] if hits else None

    def _best_coverage(self, text: str, words: list[str]) -> float:
        hits = self.index.search(text, words)
        return hits[0].coverage if hits else 0.0

    @staticmethod
    def _good(hits: list[Hit]) -> list[Hit]:
        """The top hit and those about as good, when the top one clears the threshold."""
        if not hits or hits[0].coverage < CONFIDENCE_THRESHOLD:
            return []
        top = hits[0]
        return [h for h in hits if h.named == top.named and h.coverage >= top.coverage - 0.05
                and h.score >= NEAR_SCORE * top.score]
