"""The campaign question engine: reads a cadre's question (classify) and answers it from the campaign file (answer).

Interface (the router and the handlers rely on it):
    Answerer(campaign).classify(text) -> Understanding(intent, confidence, normalized, slots)
    Answerer(campaign).answer(text, now, unit_kind=None, role=None, intent=None) -> Answer(text, intent, confidence,
                                                                                            suggestions)
Intents the router acts on itself: my_households, my_pairings, my_visits, help, unbind.
Intents answer() answers: current_phase, phase, phases, campaign_period, days_left, deadlines, deadline, unit_tasks,
month_tasks, topic, greeting, thanks; bad_input and unknown are declined politely with three questions to try.
"""

from __future__ import annotations

import dataclasses
import functools
import logging
import re
import unicodedata
from collections import OrderedDict
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.campaign import Campaign, chinese_date
from bot.understanding.answers import DEFAULT_SUGGESTIONS, Composer, phase_label
from bot.understanding.compound import ASKS, INTRODUCTION, split_questions
from bot.understanding.engine import engine_for
from bot.understanding.intents import doers
from bot.understanding.lexicon import kinds_named_in, rare_nouns, spellings
from bot.understanding.english import gist, is_english, to_chinese
from bot.understanding.cues import (MONTH_DAY, PHASE_ENDED, cue, personal_intent, relative_phase_named,
                                    with_phase_numbers)
from bot.understanding.model import CONFIDENCE_THRESHOLD, PERSONAL_INTENTS, Answer, Understanding
from bot.understanding.normalize import CJK, MAX_QUESTION_CHARS

__all__ = ["Answerer", "Answer", "Understanding", "PERSONAL_INTENTS", "CONFIDENCE_THRESHOLD"]

logger = logging.getLogger(__name__)

_CACHE_SIZE = 512
_NORMALIZED_CACHE = 4 * _CACHE_SIZE  # a question's parts, the question before it and the deadlines' tasks besides
_OWN_DUTY = re.compile(r"(我们|咱们|俺们|我).*(也要|也得|也该|也能|自己)")  # asks what the asker's unit itself does
_DAYS_FROM_TODAY = {"今天": 0, "今儿": 0, "明天": 1, "明日": 1, "明儿": 1, "后天": 2}
_DAY_NAMED = re.compile("|".join(_DAYS_FROM_TODAY))  # a day named from the day it is asked
_CAMPAIGN_OF = re.compile(r"(这个|这次|本次|咱们|我们)?(创先争优)?活动的(?=\S{2})")  # …活动的目标要求
# the campaign named as the setting of a question (搞这个活动能…, 在创先争优中…), with the verb that carries it
_CAMPAIGN_NAMED = re.compile(r"(搞|开展|参加|通过|在)?((这个|这次|本次|咱们|我们|咱)(创先争优)?活动|创先争优(活动)?)"
                             r"(中|里|里面|当中)?")
_CAMPAIGN_ASKED = re.compile(r"(创先争优|活动)(是|指|什么意思|的意思|的含义|的内容|的主要内容)")  # …is what asked
_FIRST_PERSON = re.compile(r"我们|咱们|俺们|我$|^我|自己")  # the asker's own unit spoken of
# …and after something ends (结束以后, 完了之后, 后面还有啥阶段), not what follows in a list (服务大局后面那几个词)
_THEN = re.compile(r"下一步|然后|接下来|再往后|完了呢|完了(做|干|要)|(完了|结束|过了|开完|搞完|完成|过完)\S{0,4}(以后|之后|后面)"
                   r"|(以后|之后|后面)\S{0,6}阶段|阶段\S{0,3}(以后|之后|后面)")  # "and then?" after something ends
JUST_BEGUN_DAYS = 14  # a phase begun this recently is "what comes next" to one asking after the last one's end
_RELATIVE_YEARS = {"今年": 0, "明年": 1, "去年": -1}
_RELATIVE_YEAR = re.compile("|".join(_RELATIVE_YEARS))
MAX_PARTS = 4  # a message with more questions than this is read as one
MAX_LISTED = 6  # …and a question listing more subjects than this (五个好、五带头、…分别是啥) too
_CJK_GAP = re.compile(rf"(?<={CJK.pattern}) (?={CJK.pattern})")  # a space between two Chinese words

# The question whose answer is the source's rule on moving on (asked for a task not done in time).
MOVING_ON_QUESTION = "每个阶段的任务没完成能转入下一阶段吗"
BAD_INPUT_REPLIES = {
    "empty": "您发来的是空消息。请直接打字提问。",
    "too_long": "消息太长了，我只能回答简短的问题。请一次只问一个问题。",
    "symbols": "没看懂您发的内容。请用文字提问。",
    "language": "目前只能回答中文问题，请用中文提问。(Please ask in Chinese.)",
}
# Why a question is declined (Understanding.slots["reason"]), said plainly (class: declines).
DECLINE_REASONS = {
    "": "抱歉，活动文件里没有找到这个问题的答案，我不乱猜。",
    "other_campaign": "我只回答{campaign}（{period}）的问题。您问的是另一项活动，活动文件里没有它的内容。",
    "no_number": "原文没有给出这个数字（人数、单位数、名额等），我不乱说。",
    "no_money": "原文没有写任何金额（经费、补助、奖金等），我不乱说。",
    "no_place": "原文没有写地点，我不乱说。",
    "no_person": "原文只写职务，没有写人名。",
    "no_hour": "原文只写到哪一天，没有写几点钟，我不乱说。",
    "no_more": "关于这个问题，原文就写了这些。",
    "no_list": "原文只提到“{term}”，没有列出它具体是哪些，我不乱说。",
}
PERSONAL_REPLIES = {
    "my_households": "查看联系户，请在聊天中发“我的联系户”（需要先绑定干部身份）。",
    "my_pairings": "查看结对情况，请在聊天中发“我的结对”（需要先绑定干部身份）。",
    "my_visits": "查看走访记录，请在聊天中发“我的走访”（需要先绑定干部身份）。",
    "unbind": "解除绑定，请在聊天中发“解绑”。",
    "help": ("我是创先争优活动助手，可以回答活动的阶段、截止日期、主要内容和四联一带等问题；"
             "绑定干部身份后，还可以查联系户、发走访照片。"),
}


class Answerer:
    """Classifies and answers questions about one campaign; builds its dictionaries and index once."""

    def __init__(self, campaign: Campaign, tz: str = "Asia/Shanghai"):
        self.campaign = campaign
        self.tz = ZoneInfo(tz)
        self._engine = engine_for(campaign)
        rare_nouns()  # read at start, not by the first question holding a word the file never uses
        self.index = self._engine.index
        self._composer = Composer(campaign)
        self._readings: OrderedDict[str, Understanding] = OrderedDict()
        # a message's text is normalised by several readings of it (its parts, follow-ups, deadlines' tasks): once
        self._normalized = functools.lru_cache(maxsize=_NORMALIZED_CACHE)(self._engine.normalize)

    # ---- reading ----

    def normalize(self, text: str) -> str:
        """The canonical form of a question: simplified, half-width, numerals and spoken forms unified, typos fixed."""
        return self._normalized(text)

    def tokenize(self, normalized: str) -> list[str]:
        """Index words of a normalised text (campaign terms kept whole, synonyms unified, stop words dropped)."""
        return self._engine.tokenize(normalized)

    def classify(self, text: str) -> Understanding:
        """What the text asks for, with a confidence in [0, 1]; cheap, and cached for repeated texts."""
        text = text or ""
        reading = self._readings.get(text)
        if reading is None:
            reading = self._classify(text)
            self._readings[text] = reading
            if len(self._readings) > _CACHE_SIZE:
                self._readings.popitem(last=False)
        return reading

    def _classify(self, text: str) -> Understanding:
        clean = self._engine.normalizer.clean(text)
        problem = _screen(clean)
        if problem:
            return Understanding("bad_input", 0.0, clean[:MAX_QUESTION_CHARS], {"reason": problem})
        norm = self.normalize(clean)
        intent = None if CJK.search(norm) else personal_intent(norm)  # a Chinese one is the reader's to find
        if intent:
            return Understanding(intent, 0.95, norm)
        if is_english(clean) and not clean.startswith("/"):  # a command is the router's, not a question
            return self._read_english(clean, norm)
        if not CJK.search(norm):
            return Understanding("bad_input", 0.0, norm, {"reason": "language"})
        return self._owned_by_campaign(self._engine.reader.read(norm, self.tokenize(norm)))

    def _owned_by_campaign(self, reading: Understanding) -> Understanding:
        """这个活动的目标要求是啥 / 搞这个活动能增强基层党组织哪几个力: the campaign named as the setting or the
        owner of what is asked is read without it when the rest names something of its own, not as a question
        about the campaign as a whole (class: filler, inside-paragraph)."""
        if reading.intent != "topic" or reading.slots.get("topic") != "overview":
            return reading
        owner = _CAMPAIGN_OF.search(reading.normalized)
        asked = reading.normalized[owner.end():] if owner else _CAMPAIGN_NAMED.sub("", reading.normalized)
        if asked == reading.normalized or not self.tokenize(asked) or _CAMPAIGN_ASKED.search(reading.normalized):
            return reading
        own = self._engine.reader.read(asked, self.tokenize(asked))
        sure = own.intent != "unknown" and own.confidence >= CONFIDENCE_THRESHOLD
        return own if sure and own.slots.get("topic") != "overview" else reading

    def _read_english(self, clean: str, norm: str) -> Understanding:
        """An English question read as the Chinese one it asks (class: english); 'language' when none is found."""
        query = self.normalize(to_chinese(self._engine.spell_pinyin_words(clean), self.campaign.english))
        reading = self._engine.reader.read(query, self.tokenize(query)) if CJK.search(query) else None
        if reading is None or reading.intent == "unknown" and not reading.slots.get("reason") \
                and not self.tokenize(query):  # no campaign word found through the glossary: say so in English too
            return Understanding("bad_input", 0.0, norm, {"reason": "language"})
        return dataclasses.replace(reading, slots={**reading.slots, "english": True})

    # ---- answering ----

    def understand(self, text: str, previous: str | None = None) -> Understanding:
        """The reading of a text in a chat whose last question (as read) was previous: follow-ups filled in."""
        reading = self.classify(text)
        if not previous or reading.intent == "bad_input":
            return reading
        follow = self._engine.followups.resolve(reading.normalized, self.normalize(previous),
                                                self.tokenize(reading.normalized))
        if follow.shape == "more":
            return self._more(follow.question)
        if follow.shape == "ordinal":
            return self._item(follow, reading)
        if follow.shape in ("what_about", "what_about_other"):
            same = self._same_passage(follow, self.normalize(previous))
            if same or follow.shape == "what_about_other":
                return same or reading  # X not a name of the file: the last passage if it speaks of X, else X alone
        if not follow.shape:
            return reading
        merged = self._engine.reader.read(follow.question, self.tokenize(follow.question))
        return merged if merged.intent != "unknown" or reading.intent == "unknown" else reading

    def _item(self, follow, reading: Understanding) -> Understanding:
        """第三个具体说说: the question about that item of the list the previous answer gave (a topic's items, the
        phases); the text read on its own when the previous answer gave no such list."""
        before = self._engine.reader.read(follow.question, self.tokenize(follow.question))
        if before.intent == "phases":
            item = f"第{follow.number}阶段"
        else:
            topic = self.campaign.topic(before.slots.get("topic", "")) if before.intent == "topic" else None
            items = topic.items if topic else ()
            if not 0 < follow.number <= len(items):
                return reading
            item = self.normalize(items[follow.number - 1])
        question = item + (follow.rest or "是什么")
        return self._engine.reader.read(question, self.tokenize(question))

    def _same_passage(self, follow, previous: str) -> Understanding | None:
        """那学校呢 after 医疗卫生单位谁指导: the source sentences that answered the last question, when they speak of
        X as well (…教育局党组织要加强对中小学的指导…), read again for X; else None (class: follow-up)."""
        if self._engine.reader.names_topic(follow.rest):
            return None  # 那干部联户呢: a topic of its own
        before = self._engine.reader.read(previous, self.tokenize(previous))
        shown = before.slots.get("sentences", []) if before.intent == "source" else []
        texts = [self._engine.sentences.normalized(i) for i in shown]
        words = self.tokenize(self.normalize(follow.rest))
        if not texts or not words or not all(any(f in t for t in texts for f in spellings(w)) for w in words):
            return None
        return Understanding("source", before.confidence, follow.question, {"sentences": shown})

    def _more(self, previous: str) -> Understanding:
        """还有呢: the next deadlines, or the source sentences after (or besides) those the last answer gave."""
        before = self._engine.reader.read(previous, self.tokenize(previous))
        if before.intent in ("deadlines", "days_left", "current_phase"):
            return Understanding("deadlines", 0.9, previous, {})
        topic = self.campaign.topic(before.slots.get("topic", "")) if before.intent == "topic" else None
        parent = self.campaign.topic(topic.parent) if topic and topic.parent else None
        by_number = re.search(r"第\S{1,2}(个|项|条)", previous)  # 四联一带第一个是啥 — 还有呢: the rest of that list
        if parent and parent.items and topic.title in "".join(parent.items) and not by_number:  # 党员先锋工程: others
            return Understanding("topic", 0.9, previous, {"topic": parent.id})
        if topic and topic.items:  # 四联一带第一个是啥 — 还有呢: the whole list
            return before
        sentences = self._engine.sentences
        shown = before.slots.get("sentences", []) if before.intent == "source" else []
        if shown:
            more = sentences.following(max(shown))
        else:
            more = [h.index for h in sentences.search(self.tokenize(previous))[:2]]
        if not more:
            return Understanding("unknown", 0.0, previous, {"reason": "no_more"})
        return Understanding("source", 0.9, previous, {"sentences": more})

    def answer(self, text: str, now: datetime, unit_kind: str | None = None, role: str | None = None,
               intent: str | None = None, previous: str | None = None) -> Answer:
        """A short answer from the campaign file, its source named; declines with three suggestions when unsure.

        previous is the chat's last question as read (Answer.asked), for follow-ups such as 那第二阶段呢. A message
        asking several things gets every part answered, each part read after the one before it."""
        today = now.astimezone(self.tz).date()
        clean = self._engine.normalizer.clean(text)
        asked = split_questions(clean) if intent is None and len(clean) <= MAX_QUESTION_CHARS else []
        parts = [q for part in asked for q in self._conjuncts(part)] if len(asked) <= MAX_PARTS else []
        if len(parts) > 1:  # 还有呢 具体要做啥: the question after "and more?" says what more is asked
            parts = [p for p in parts if not self._engine.followups.asks_for_more(self.normalize(p))] or parts[:1]
        if len(parts) < 2 or len(parts) > MAX_LISTED:
            one = parts[0] if len(parts) == 1 and " " not in parts[0] else text  # 表彰 我们 怎么 评: spaces gone
            return self._answer_one(one, today, unit_kind, role, intent, previous)
        answers = []
        for part in parts:
            if answers and _about_another_campaign(answers[-1]) and not self.names_this_campaign(part):
                break  # 学习实践活动分几个阶段，第一阶段叫啥: the second part asks about that campaign too
            answers.append(self._answer_one(part, today, unit_kind, role, None, previous))
            previous = answers[-1].asked or previous
        return _joined(answers)

    def _conjuncts(self, part: str) -> list[str]:
        """The part as it is, or one question per subject it joins (五个好和五带头分别是啥; 三项教育 三大工程
        四联一带的全称: names set off by spaces are listed too, each answered; class: compound)."""
        for asked in (part, _question_after_context(part)):  # 我在写汇报材料 …: a statement first is context
            if not asked:
                continue
            pending, questions, seen = [_CJK_GAP.sub("、", asked)], [], set()
            while pending and len(questions) <= MAX_LISTED and len(seen) <= MAX_LISTED ** 2:
                split = self._engine.followups.conjuncts(self.normalize(pending[0]))
                if len(split) > 1:  # A、B、C的全称 is split pair by pair: what was split once is not again
                    pending[:1] = [q for q in split if q not in seen]
                    seen.update(split)
                elif pending[0] not in questions:
                    questions.append(pending.pop(0))
                else:
                    pending.pop(0)
            if 1 < len(questions) <= MAX_LISTED and not pending:
                return questions
        return [part]

    def names_this_campaign(self, text: str) -> bool:
        """True when a text names this campaign (创先争优)."""
        return self.campaign.name.removesuffix("活动") in self.normalize(text)

    def _answer_one(self, text: str, today, unit_kind: str | None, role: str | None, intent: str | None,
                    previous: str | None) -> Answer:
        text, unit_kind = self._without_context(text, unit_kind)
        reading = self._due_that_day(self._in_time(self.understand(text, previous), today), today)
        if intent is not None and intent != reading.intent:
            reading = Understanding(intent, 1.0, reading.normalized, {})
        if reading.intent == "bad_input":
            reply = BAD_INPUT_REPLIES[reading.slots["reason"]]
            return self._with_suggestions(reply, reading, DEFAULT_SUGGESTIONS)
        if reading.intent == "unknown" or reading.confidence < CONFIDENCE_THRESHOLD and reading.intent != "source":
            said_why = reading.slots.get("reason") or reading.slots.get("english")
            context_free = None if said_why else _question_after_context(self._engine.normalizer.clean(text))
            if context_free:  # 我刚到乡镇上班 创先争优是个啥: the statement before the question is only context
                return self._answer_one(context_free, today, unit_kind, role, intent, previous)
            return self.decline(reading)  # a quote has its own, lower bar (the sentence is shown as it stands)
        reading = self._same_task_twice(self._for_own_kind(reading, unit_kind), unit_kind)
        try:
            body = self._compose(reading, today, unit_kind, role)
        except Exception:
            logger.exception("answer engine failed on intent %s", reading.intent)
            return self.decline(reading)
        after = self._what_next(reading, today)
        if after and after.splitlines()[0] not in body:  # after a quote of what ended, what is next comes first
            body = after + "\n" + body if reading.intent == "source" else body + "\n" + after
        still_open = self._still_open(reading, today, unit_kind, role)
        if still_open:  # the source named once when both parts come from the same paragraph
            body = "\n".join(dict.fromkeys([*body.splitlines()[:-1], *still_open.splitlines(), body.splitlines()[-1]]))
        late = self._when_late(reading, today)
        if late:  # the answer to 现在咋办 first: it has passed, the phase now, the rule; then the deadline
            body = late + "\n" + body
        if reading.slots.get("english"):
            body += "\n" + gist(body, self.campaign.english)
        return Answer(body, reading.intent, reading.confidence, asked=reading.normalized)

    def _without_context(self, text: str, unit_kind: str | None) -> tuple[str, str | None]:
        """我刚到乡镇上班 创先争优是个啥: a statement before a question that names an entry of the file itself is
        context: who asks (the unit kind it names, when the asker's is not known) and nothing else (class:
        colloquial, filler, role-aware)."""
        clean = self._engine.normalizer.clean(text)
        question = _question_after_context(clean)
        if not question or INTRODUCTION.match(clean):  # 我是中学老师 …: who asks, read with the question
            return text, unit_kind
        head = self.normalize(clean[:len(clean) - len(question)])
        if not self.index.named_in(self.normalize(question)) or self.index.named_in(head):
            return text, unit_kind
        kinds = kinds_named_in(head)
        return question, unit_kind or (kinds[0] if len(kinds) == 1 else None)

    def _still_open(self, reading: Understanding, today, unit_kind: str | None, role: str | None) -> str:
        """动员大会昨天是最后期限吧 我们还没开: every deadline asked about has passed, so the asker's next one still
        ahead is given too (class: time-aware, compound: one deadline passed, the other still open)."""
        text = reading.normalized
        if reading.intent != "deadline" or not (cue("still", text) or cue("not_yet", text)):
            return ""
        due = [d for d in map(self.index.deadline, reading.slots["ids"]) if d and d.due]
        if not due or any(d.due >= today for d in due):
            return ""
        return self._composer.deadlines(today, unit_kind, role, 1)

    def _what_next(self, reading: Understanding, today) -> str:
        """七一表彰刚完 下一步干啥 / 第三阶段都完了 后面还有啥阶段 / 第二阶段这个月底结束 然后呢: the phase that comes
        after what the question names (or after today's), after the answer about what ends (class: time-aware,
        compound "and then")."""
        if reading.intent not in ("phase", "source", "deadline", "topic") or not _THEN.search(reading.normalized):
            return ""
        number = self._phase_after(reading, today)
        if number is None or self.index.phase(number) is None or number == reading.slots.get("phase"):
            return ""
        return "接下来：" + self._composer.phase(number, today)

    def _phase_after(self, reading: Understanding, today) -> int | None:
        """The number of the phase after the phase the reading names, or after the latest passed of the deadlines
        it names; else the phase after today's (today's when it has just begun)."""
        asked = reading.slots.get("phase")
        if asked:
            return asked + 1
        named = [d for d in map(self.index.deadline, reading.slots.get("ids", ())) if d and d.due and d.date_in_source]
        if named:
            moment = max((d.due for d in named if d.due <= today), default=min(d.due for d in named))
            later = [p.number for p in self.campaign.phases if p.start and p.start >= moment]
            dated = [p.number for p in self.campaign.phases if p.start]
            return min(later) if later else max(dated, default=0) + 1
        now = self.campaign.phase_at(today)
        if now is None:
            return None
        just_begun = now.start and (today - now.start).days <= JUST_BEGUN_DAYS
        return now.number if just_begun else now.number + 1

    def _when_late(self, reading: Understanding, today) -> str:
        """动员会议还没开 现在咋办, its deadline passed: says so, names today's phase and quotes the source's rule
        that each phase's tasks are finished before the next (class: time-aware, "what now")."""
        text = reading.normalized
        if reading.intent != "deadline" or not (cue("not_yet", text) and cue("what_now", text)):
            return ""
        due = [d for d in map(self.index.deadline, reading.slots["ids"]) if d and d.due and d.date_in_source]
        if not due or any(d.due >= today for d in due):
            return ""
        lines = [f"已经过了截止日期（今天是{chinese_date(today)}）。"]
        phase = self.campaign.phase_at(today)
        if phase and phase.described:
            lines.append(f"现在是{phase_label(phase.number)}（{phase.name}）。")
        rule = self._engine.sentences.search(self.tokenize(self.normalize(MOVING_ON_QUESTION)), limit=1)
        if rule:
            lines.append(self._composer.quote([rule[0].index], self._engine.sentences))
        return "\n".join(lines)

    def _for_own_kind(self, reading: Understanding, unit_kind: str | None) -> Understanding:
        """A deadline found by its task but done by another kind of unit replaced by the same task's deadline for
        the asker's kind, when the question names no kind itself (class: role-aware)."""
        slots = reading.slots
        if reading.intent != "deadline" or not unit_kind or slots.get("unit_kinds"):
            return reading
        found = [self.index.deadline(i) for i in slots["ids"]]
        if _OWN_DUTY.search(reading.normalized) and not any(d and unit_kind in doers(d) for d in found):
            named = self.normalize(unit_kind) + reading.normalized  # 我们也要自己搞表彰吗, from a 基层党组织: read
            own = self._engine.reader.read(named, self.tokenize(named))  # as asked by the kind (…也要…表彰奖励)
            if own.intent == "source":
                return own
        if any(d and (unit_kind in doers(d) or unit_kind in kinds_named_in(self.normalize(d.task))) for d in found):
            return reading  # …专项表彰…先进党(工)委: the asker's kind is what the task is about (commended)
        own = self._engine.reader.deadlines_for_kind(reading.normalized, self.tokenize(reading.normalized), unit_kind)
        return dataclasses.replace(reading, slots={**slots, "ids": own}) if own else reading

    def _same_task_twice(self, reading: Understanding, unit_kind: str | None) -> Understanding:
        """实施方案啥时候交 from a 县市委: every deadline of the asker's own kind whose task names the term the
        question shares with a deadline found (制定 by 5月10日 and 上报 by 5月15日), not only the best one; asked
        in the first person beside a named kind (我们和下面支部各自…), the asker's kind too (class: role-aware,
        compound: a task with two deadlines for one kind)."""
        slots = reading.slots
        text = reading.normalized
        if reading.intent != "deadline" or not unit_kind or slots.get("unit_kinds") and not _FIRST_PERSON.search(text) \
                or cue("still", text) or MONTH_DAY.search(text):  # 还来得及吗 / 5月10号前: that deadline alone
            return reading
        found = [d for d in map(self.index.deadline, slots["ids"]) if d]
        words = [w for w in self.tokenize(reading.normalized) if len(w) > 1 and "阶段" not in w]
        organiser = self._engine.sentences.campaign_names[1]  # 州委 names who set the tasks, not a task
        shared = [w for w in words if w not in organiser and any(self._task_names(d, w) for d in found)]
        more = [d.id for d in self.index.deadlines()
                if unit_kind in doers(d) and d.id not in slots["ids"] and any(self._task_names(d, w) for w in shared)]
        if not more:
            return reading
        kinds = slots.get("unit_kinds")
        return dataclasses.replace(reading, slots={**slots, "ids": [*slots["ids"], *more]}
                                   | ({"unit_kinds": [*kinds, unit_kind]} if kinds else {}))

    def _task_names(self, deadline, word: str) -> bool:
        """True when the deadline's task names the word (in any of its spellings)."""
        task = self.normalize(deadline.task)
        return any(s in task for s in spellings(word))

    def _due_that_day(self, reading: Understanding, today) -> Understanding:
        """明天要交啥 / 方案明天交还行不 / 今天要开啥会: the deadlines falling on the day named from today, those
        the question names by task if any (class: time-aware, a day relative to when it is asked)."""
        text = reading.normalized
        day = _DAY_NAMED.search(text)
        if reading.intent in ("bad_input", *PERSONAL_INTENTS) or not day or "阶段" in text:
            return reading
        that_day = today + timedelta(days=_DAYS_FROM_TODAY[day.group(0)])
        due = [d for d in self.index.deadlines() if d.due == that_day and d.date_in_source]
        words = [w for w in self.tokenize(text) if len(w) > 1]
        named = [d for d in due if any(self._task_names(d, w) for w in words)]  # 方案明天交还行不: by its task
        if not due or not (named or cue("task", text) or cue("still", text) or reading.intent in ("deadline", "deadlines")):
            return reading
        ids = [d.id for d in named or due]
        return Understanding("deadline", 1.0, text, {"ids": ids} | ({"still": True} if cue("still", text) else {}))

    def _in_time(self, reading: Understanding, today) -> Understanding:
        """这个阶段 / 下个阶段 / 上个阶段 read as the phase they are today, 今年 / 明年 as the year it is asked in
        (class: time-aware)."""
        if reading.intent in ("bad_input", *PERSONAL_INTENTS):
            return reading
        text = reading.normalized
        year = _RELATIVE_YEAR.search(text)
        if year:  # 今年七一前有啥大事: 今年 is the year it is asked in (class: time-aware)
            text = _RELATIVE_YEAR.sub(lambda m: f"{today.year + _RELATIVE_YEARS[m.group(0)]}年", text)
            reading = self._engine.reader.read(text, self.tokenize(text))
        phase = self.campaign.phase_at(today) or self.campaign.last_ended_phase(today)  # between phases: just ended
        if phase is None or not relative_phase_named(text) \
                or self._engine.reader.names_topic(text) and not cue("date_asked", text):
            return reading  # 进入下一阶段 names the source's rule on moving on, not a phase; 什么时候进下一阶段 does
        ended = PHASE_ENDED.search(text)  # 第二阶段结束了 下一阶段干啥: the next after the one said to have ended
        resolved = with_phase_numbers(text, int(ended.group(1)) if ended else phase.number)
        return self._engine.reader.read(resolved, self.tokenize(resolved))

    def _compose(self, reading: Understanding, today, unit_kind: str | None, role: str | None) -> str:
        c, slots = self._composer, reading.slots
        match reading.intent:
            case "current_phase" if slots.get("next_month"):
                first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
                return c.current_phase(first, unit_kind, role, True, label="下个月")
            case "current_phase" if slots.get("day_offset"):
                return c.current_phase(today + timedelta(days=slots["day_offset"]), unit_kind, role, label="明天")
            case "current_phase":
                return c.current_phase(today, unit_kind, role, slots.get("tasks", False))
            case "phase" if "phase" in slots:
                kinds = tuple(slots.get("unit_kinds", ())) or tuple(filter(None, [unit_kind]))
                return c.phase(slots["phase"], today, kinds, slots.get("tasks", False), slots.get("day"))
            case "phase":
                return c.current_phase(today, unit_kind, role)
            case "phases":
                return c.phases()
            case "campaign_period":
                return c.campaign_period(today)
            case "days_left":
                return c.days_left(slots.get("target"), today, unit_kind, role, slots.get("start", False))
            case "deadlines":
                return c.deadlines(today, unit_kind, role, slots.get("count", 0))
            case "deadline":
                kinds = tuple(slots.get("unit_kinds", ())) or tuple(filter(None, [unit_kind]))
                return c.named_deadlines(slots["ids"], today, kinds, slots.get("still", False))
            case "unit_tasks":
                said_kinds = tuple(slots.get("unit_kinds", ()))
                return c.unit_tasks(today, said_kinds or tuple(filter(None, [unit_kind])), role, bool(said_kinds))
            case "month_tasks":
                return c.month_tasks(today, unit_kind, role)
            case "topic":
                return c.topic(self.campaign.topic(slots["topic"]))
            case "source":
                return c.quote(slots["sentences"], self._engine.sentences)
            case "greeting":
                return "您好！我是创先争优活动助手。您可以这样问：\n" + "\n".join(f"· {q}" for q in DEFAULT_SUGGESTIONS)
            case "thanks":
                return "不客气！还有问题随时问我。"
        if reading.intent in PERSONAL_REPLIES:
            return PERSONAL_REPLIES[reading.intent]
        raise ValueError(f"unknown intent {reading.intent}")

    def decline(self, reading: Understanding) -> Answer:
        """Says why no answer is given and offers three questions the engine can answer, related ones first."""
        c = self.campaign
        reason = DECLINE_REASONS.get(reading.slots.get("reason", ""), DECLINE_REASONS[""])
        reply = reason.format(campaign=f"{c.organiser}部署的{c.name}", period=f"{c.start_text}起到{c.end_text}",
                              term=reading.slots.get("term", ""))
        if reading.slots.get("english"):
            reply += "\n" + gist(reply, c.english, reading.slots.get("reason", ""))
        return self._with_suggestions(reply, reading, self.suggestions_for(reading.normalized))

    def _with_suggestions(self, reply: str, reading: Understanding, suggestions: tuple[str, ...]) -> Answer:
        text = reply + "\n您可以这样问：\n" + "\n".join(f"· {q}" for q in suggestions)
        bad = reading.intent == "bad_input"
        return Answer(text, "bad_input" if bad else "unknown", reading.confidence, suggestions,
                      asked="" if bad else reading.normalized)

    def suggestions_for(self, normalized: str) -> tuple[str, ...]:
        """Three questions the engine answers: about entries near the question first, then the defaults."""
        related = []
        if normalized and len(normalized) <= MAX_QUESTION_CHARS:
            for hit in self.index.search(normalized, self.tokenize(normalized))[:3]:
                entry = hit.entry
                if entry.kind == "topic":
                    related.append(f"{entry.title}是什么？")
                elif entry.kind == "phase":
                    related.append(f"{phase_label(int(entry.key))}是什么时候？")
        return tuple(dict.fromkeys([*related, *DEFAULT_SUGGESTIONS]))[:3]


def _about_another_campaign(answer: Answer) -> bool:
    return answer.intent == "unknown" and answer.text.startswith(DECLINE_REASONS["other_campaign"].split("{")[0])


def _joined(answers: list[Answer]) -> Answer:
    """One answer to a message of several questions: every part answered, a part with no answer said so."""
    found = [a for a in answers if a.intent not in ("unknown", "bad_input")]
    if not found:
        return answers[0]
    shown: set[str] = set()
    texts = []
    for a in answers:
        if a not in found and a.text.startswith(DECLINE_REASONS[""]):
            continue  # a part with no answer and no reason to give says nothing beside the answered ones
        lines = a.text.splitlines() if a in found else a.text.splitlines()[:1]
        new = [line for line in lines if line not in shown or line.startswith("依据")]
        said = [line for line in new if not line.startswith("依据")]
        if said and a.intent in ("source", "topic") and _mostly_said("".join(said), "".join(shown)):
            continue  # the same passage in other words (a quote and the topic holding it) is said once
        if said:  # a part all said already adds nothing
            texts.append("\n".join(new))
            shown.update(new)
    return Answer("\n\n".join(texts), found[0].intent, min(a.confidence for a in found), (), found[-1].asked)


SAID_ALREADY = 0.6  # a part whose character pairs are this much among those shown says nothing new


def _mostly_said(text: str, shown: str) -> bool:
    """True when most of text's character pairs are in what the answer shows already."""
    pairs = {text[i:i + 2] for i in range(len(text) - 1)}
    return bool(pairs) and len(pairs & {shown[i:i + 2] for i in range(len(shown) - 1)}) >= SAID_ALREADY * len(pairs)


def _question_after_context(clean: str) -> str | None:
    """The question of a message that opens with a statement set off by a space or comma (我是校长 我们学校…),
    or None when there is no such statement (class: colloquial, filler)."""
    head, sep, rest = clean.partition(" ") if " " in clean else clean.partition("，")
    if not sep or not rest.strip() or ASKS.search(head):
        return None
    return rest.strip()


def _screen(clean: str) -> str | None:
    """Why a message cannot be a question (empty, too long, symbols only, another script), or None."""
    if not clean:
        return "empty"
    if len(clean) > MAX_QUESTION_CHARS:
        return "too_long"
    letters = [ch for ch in clean if ch.isalnum()]
    if not letters or all(ch.isdigit() for ch in letters):
        return "symbols"
    if CJK.search(clean):
        return None
    if any(unicodedata.name(ch, "").startswith(("LATIN", "DIGIT")) for ch in letters):
        return None  # English or digits: the normaliser may still find a question
    return "language"
