"""Reads what a normalised question asks for: rules for the common questions, retrieval for the rest."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta

from bot.understanding.lexicon import UNIT_KIND_WORDS, kind_named_in, kinds_named_in, part_of_unit_name
from bot.understanding.model import CONFIDENCE_THRESHOLD, Understanding
from bot.understanding.passages import SentenceIndex
from bot.understanding.retrieval import Hit, Index

RULE_CONFIDENCE = 0.9
NEAR_SCORE = 0.5  # hits scoring at least this share of the best one are offered with it (e.g. both 表彰 dates)
STRICT_QUOTE_THRESHOLD = 0.6  # …and this share when it asks when, or names a thing the source never mentions
QUOTE_THRESHOLD = 0.5  # a source sentence must hold this share of the question's weighted words to be quoted
QUOTE_MARGIN = 0.15  # …and this much more than a topic that only partly fits, to be quoted instead of it
QUOTE_NEAR = 0.05  # a second sentence about as good as the first is quoted with it
KIND_MARGIN = 0.2  # a sentence naming the unit kind asked about may hold this much less and still come first
SURE_QUOTE = 0.8  # a sentence holding this much of a question about a campaign the source names answers it

# 活动 is this campaign, except in 学习实践活动 (the earlier campaign the file refers to).
_THIS = "(?<!学习实践)活动"

# Cues: the words (each a regular expression) that mark what a question asks. A cue matches when any of its
# words occurs in the normalised question.
CUES = {
    "first_person": ("我", "俺", "本人", "咱"),
    "definition": ("是什么", "什么是", "什么意思", "含义", "定义", "要求", "怎么", "做什么", "要做", "怎样", "如何", "多久",
                   "几次", "频率", "什么时候", "应该", "为什么", "(帮|做|干|管|抓)些?什么"),
    "unbind": ("解绑", "解除绑定", "取消绑定", "unbind"),
    "help": ("^(帮助|help|菜单|功能|说明|使用说明|使用帮助|求助|帮我)$", "怎么用", "如何使用", "怎么使用", "使用方法",
             "你能做什么", "能做什么", "能干什么", "你会什么", "有什么功能", "有哪些功能", "能帮我做什么", "可以做什么",
             "^帮助一下", "(怎么|如何)\\S{0,2}(上报|报|发|交)\\S{0,2}(走访|照片|相片)", "(怎么|如何)\\S{0,2}绑定", "绑定\\S{0,3}(怎么|如何)",
             "绑定码\\S{0,2}(在哪|哪里|哪儿|怎么|找谁|问谁)"),
    "visits": ("我的走访", "走访记录", "走访情况", "走访了几次", "走访过", "我走访", "入户记录", "我的入户", "走访历史",
               "走访次数", "我的照片"),
    "households": ("(联系|结对|帮扶|包|联)的?(农牧户|农户|牧户|户)", "(联系|结对|帮扶|包)了?(哪|几|多少)\\S{0,2}户",
                   "帮扶对象", "我的农户", "我联系谁", "我联系的$", "联系户", "我的户", "我的联系人"),
    "pairings": ("我的结对", "我的结队", "结对情况", "结对关系", "我的帮扶关系", "我的联系点",
                 "(我|我们|本|咱们)(单位)?(联系|结对|包)的?(村|学校|点|示范点|组织|团组织)",
                 "单位(联系|结对)的?(村|学校|点|示范点)", "我联系的(村|学校)"),
    "greeting": ("^(你好|您好|hi|hello|嗨|哈喽|在吗|在不在|早上好|上午好|下午好|晚上好|早)[!.~啊呀]*$",),
    "thanks": ("^(谢谢|多谢|感谢|thanks|thank you|好的|收到|明白了|知道了|ok|好)[!.~啊呀您你了]*$",),
    "last_phase": ("最后一?个?阶段", "最末一?个?阶段"),
    "phases": ("几个阶段", "哪些阶段", "哪几个阶段", "多少个阶段", "四个阶段", "阶段划分", "分为", "分成", "分几", "各阶段",
               "各个阶段", "所有阶段", "方法步骤", "活动步骤", "几步", "步骤"),
    "current": ("现在", "目前", "当前", "现阶段", "本阶段", "这个阶段", "这阶段", "今天", "眼下", "此刻", "这会", "如今",
                "哪个阶段", "什么阶段", "哪一阶段", "哪个时期", "进行到", "到哪", "进度", "处于", "下一阶段", "下个阶段"),
    "progress": ("进行到哪", "到哪一步", "现在什么进度"),
    "days": ("几天", "多少天", "多少日", "几日", "还有多久", "还剩多久", "倒计时", "还有多长时间", "还剩多长时间", "多长时间(结束|截止|到期)"),
    # "Can we still make it?" / "has it passed?" about a deadline (class: time-aware).
    "still": ("来得及", "赶得上", "赶得及", "还能", "还可以", "还算数", "还算不算", "还有效", "补还", "过了没", "过期", "截止了没", "截止了吗", "到期了", "晚了",
              "(结束|截止|过)了?没有"),
    "month": ("这个月", "本月", "这月", "当月", "这一个月", "本周", "这周", "这个星期", "最近要做", "近期要做"),
    "unit": ("(我们|我|本|咱们|咱)(单位|县委|市委|县市委|县|支部|党支部|党委|党工委|组织|村|乡|镇|部门|机关)", "单位",
             "^(我们|咱们|俺们|咱|我)(还|现在|这边|下一步|接下来)?(要|该|得|需要)",
             "^(现在|目前|眼下|下一步|接下来|最近)(我们|咱们)?(还)?(该|要|得|需要)(做|干)"),
    "task": ("做什么", "要做", "要开", "开的是", "要召开", "要报", "要交", "要定", "要搞", "任务", "事项", "什么工作", "要求", "截止", "完成什么", "负责", "干什么", "有什么事", "安排"),
    "deadlines": ("截止", "deadline"),
    # Facts the source never gives, each with why it is declined (class: decline-no-number): answered before any
    # rule can half-answer them with a near fact.
    "no_money": ("多少钱", "补助", "补贴", "经费", "预算", "资金", "奖金", "工资", "拨款", "(多少|几)(元|块|万)"),
    "no_place": ("在哪(里|儿)?(开会|召开|开$|开呢|开啊)", "什么地方开", "地点", "会场", "在哪里举行", "在哪举行", "设在哪", "地址",
                 "在哪办公", "在哪里办公"),
    "no_person": ("(书记|县长|州长|主任|部长|局长|乡长|镇长|村长|组长)(是谁|叫什么|姓什么|名字)", "叫什么名字"),
    "no_number": ("名额", "(多少|几)个?(份|名|位|家|所|批)", "比例", "百分之", "百分比", "多少比例",
                  "(多少|几)个?(单位|党员|先进|支部|党组织|村|学校|干部|典型|集体|个人|党委|工委|人次|场|期)",
                  "(一年|每年|每月|每周|每季度|一个月|一周)\\S{0,6}(几|多少)次"),
    # …and phones and head counts, which the roster holds for a cadre's own households: unsourced unless asked
    # in the first person.
    "roster_facts": ("电话", "手机号", "联系方式", "(多少|几)个?人", "(多少|几)个?户"),
    # Another campaign than this one named (class: decline-other-campaign) …
    "other_campaign": ("群众路线", "两学一做", "三严三实", "不忘初心", "牢记使命", "主题教育", "党史学习教育",
                       "先进性教育", "四风", "八项规定", "扫黑除恶", "脱贫攻坚", "精准扶贫", "乡村振兴", "讲党性",
                       "学习型党组织", "学习实践活动", "学习实践科学发展观活动", "三讲", "党的群众路线", "四史"),
    # … unless the question asks how this campaign relates to it (the source compares it with 学习实践活动).
    "relation": ("关系", "区别", "联系", "成果", "经验", "借鉴", "相比", "和创先争优", "与创先争优", "跟创先争优"),
    # A question that wants a date: only phases, deadlines and dated topics can answer it.
    "date_asked": ("什么时候", "哪年", "哪一年", "几月", "哪个月", "日期"),
    "next": ("下一个", "下个", "下一项", "最近", "接下来", "即将", "马上", "快到", "临近", "近期", "还有什么", "还有哪些"),
    "when": ("什么时候", "之前", "以前", "前要", "日期", "几月", "多久", "多长时间", "哪年", "哪个月", "最晚", "最迟"),
    "campaign_span": (rf"({_THIS}|创先争优|整个)\S*(什么时候|多久|多长时间|哪年|几月)\S*(开始|结束|截止|完事|算完)",
                      rf"(什么时候|哪年)\S*({_THIS}|创先争优)\S*(开始|结束)",
                      rf"({_THIS}|创先争优)\S{{0,2}}(开始|结束)\S{{0,3}}(还有|还剩)",
                      rf"({_THIS}|创先争优)\S{{0,4}}(还在|还搞|还在搞|还在进行|完事|结束了没|完了没|还有没有)",
                      rf"({_THIS}|创先争优|整个)\S*(开始|结束)\S*(什么时候|时间|哪年)", "持续多久", "持续多长", "搞多久",
                      "搞到什么时候", f"{_THIS}还有几天", f"{_THIS}还剩几天", rf"({_THIS}|创先争优)\S*(结束|开始)(了吗|了没有?|没有|吗|了)",
                      rf"({_THIS}|创先争优|整个)\S*(多长时间|多久|多长|时间跨度|几年|多少年)"),
}
# 这个阶段 / 下个阶段 / 上个阶段: a phase named by where it stands from today (class: time-aware). Not 下一阶段 in
# "能不能先干下一阶段" (moving on before a phase is done), which the source's rule on moving on answers.
_RELATIVE_PHASE = {
    0: re.compile(r"(这个?|本|现|当前|目前|眼下)(一个?)?阶段(?!是|吗|呢)"),
    1: re.compile(r"(下一?个?|(?<!最)后一?个?|接下来的?)阶段"),
    -1: re.compile(r"(上一?个?|前一?个?)阶段"),
}
_MOVE_ON = re.compile(r"(没|未)(做|干|搞)?完|(能不能|可不可以|能否|可以|行不行)\S{0,4}(先|提前|进入|转入|转到)")
_CUE_PATTERNS = {name: re.compile("|".join(words)) for name, words in CUES.items()}
_PHASE = re.compile(r"第(\d+)阶段")
_PHASE_WORD = re.compile(r"第\d+|阶段")
_MONTH_DAY = re.compile(r"(\d{1,2})月(\d{1,2})日")
_GENERIC_DEADLINE_WORDS = frozenset(("截止", "任务", "事项", "单位", "完成", "负责", "目标要求"))


def cue(name: str, text: str) -> bool:
    """True when the normalised text carries the cue (see CUES)."""
    return _CUE_PATTERNS[name].search(text) is not None


def relative_phase_named(text: str) -> bool:
    """True when the question names a phase relative to today (这个阶段, 下个阶段) and asks about it, not which it is."""
    if _MOVE_ON.search(text) or cue("phases", text) or re.search(r"(哪个|什么|哪一|第几)(个)?阶段", text):
        return False
    return any(pattern.search(text) for pattern in _RELATIVE_PHASE.values())


def with_phase_numbers(text: str, current: int) -> str:
    """The text with 这个阶段 / 下个阶段 / 上个阶段 written as 第N阶段, counting from the current phase."""
    for step, pattern in _RELATIVE_PHASE.items():
        if current + step > 0:
            text = pattern.sub(f"第{current + step}阶段", text)
    return text


def personal_intent(text: str) -> str | None:
    """my_households / my_pairings / my_visits / help / unbind when the text asks for one of them, else None."""
    bare = text.strip("?!.。，, ")
    if cue("unbind", bare):
        return "unbind"
    if cue("help", bare):
        return "help"
    if cue("visits", bare):
        return "my_visits"
    mine = cue("first_person", bare)
    households_text = bare if mine else bare.replace("干部联户", "").replace("联户", "")
    if cue("households", households_text) and (mine or not cue("definition", bare)):
        return "my_households"
    if cue("pairings", bare):
        return "my_pairings"
    return None


def decline_reason(text: str, in_source: Callable[[str], bool] = lambda name: False) -> str | None:
    """Why the source cannot answer: another campaign, or money, a place, a name, a number it never gives; else None.

    A question relating this campaign to another is answered only when the source speaks of that one (学习实践活动).
    A cadre's own households' phones and sizes are in the roster, so a first-person question about them is not one."""
    other = _CUE_PATTERNS["other_campaign"].search(text)
    if other and not (cue("relation", text) and in_source(other.group(0))):
        return "other_campaign"
    for reason in ("no_money", "no_place", "no_person", "no_number"):
        if cue(reason, text):
            return reason
    if cue("roster_facts", text) and not cue("first_person", text):
        return "no_number"
    if asks_uncounted_number(text) and not cue("first_person", text):  # 我联系几户: the roster says
        return "no_number"
    return None


# How many: the source counts its phases, steps, lists (五个好, 三项教育, 四联) and commendations, nothing else
# (class: decline-no-number). 几个专家, 多少个基层党组织, 多少个要评成五个好 are numbers it never gives.
_HOW_MANY = re.compile(r"(多少|(?<!哪)几)(个|名|位|家|所|批|户|项|条|种|类|次|步|方面|大)?(?P<noun>[\u4e00-\u9fff]{0,4})")
_COUNTED_MEASURES = ("项", "条", "种", "类", "次", "步", "方面", "大")
_COUNTED_NOUNS = re.compile(r"^(阶段|步|好|带头|联|工程|教育|节点|方面|要求|目标|意义|内容|部分|点|句|同|是$|有$|呢|啊|吗|$)")
_NOT_COUNTS = re.compile(r"^(天|号|日|月|年|点钟|时|岁)")  # dates and times are asked with 几 too


def asks_uncounted_number(text: str) -> bool:
    """True for a how-many question about something the source does not count (people, units, places, money)."""
    for match in _HOW_MANY.finditer(text):
        noun, measure = match.group("noun"), match.group(2)
        if _NOT_COUNTS.match(noun) or measure in _COUNTED_MEASURES:
            continue
        if measure in (None, "个") and _COUNTED_NOUNS.match(noun):
            continue
        return True
    return False


def _task_words(words: list[str]) -> list[str]:
    """The words of a question that name a task (动员大会, 实施方案), not 截止 or a unit."""
    return [w for w in words if w not in _GENERIC_DEADLINE_WORDS and not part_of_unit_name(w)]


class IntentReader:
    """Turns a normalised question and its tokens into an Understanding."""

    def __init__(self, index: Index, sentences: SentenceIndex):
        self.index = index
        self.sentences = sentences

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
        return self._campaign_question(text, words)

    def _campaign_question(self, text: str, words: list[str]) -> Understanding:
        phase = _PHASE.search(text)
        last = cue("last_phase", text)
        if (phase or last) and not _MOVE_ON.search(text):  # 没干完能进第二阶段不: the rule on moving on answers
            number = int(phase.group(1)) if phase else self.index.last_phase()
            if cue("days", text):
                due = self._deadline_in_phase(text, words, number)  # 第二阶段的表彰还有多少天: the commendation
                return self._rule("days_left", text, target=f"deadline:{due}" if due else f"phase:{number}",
                                  start=("开始" in text and "结束" not in text) or None)
            return self._rule("phase", text, phase=number, tasks=cue("task", text) or None,
                              unit_kinds=list(kinds_named_in(text)) or None)
        dated = self._dated_deadlines(text, words)
        if dated:
            return dated
        if cue("phases", text) and ("阶段" in text or "步骤" in text or "几步" in text):
            return self._rule("phases", text)
        if cue("progress", text) or "阶段" in text and cue("current", text) and not self._names_topic(text) \
                and not _MOVE_ON.search(text):
            return self._rule("current_phase", text, tasks=cue("task", text) or None)
        if cue("campaign_span", text):
            return self._rule("days_left" if cue("days", text) else "campaign_period", text, target="campaign")
        if cue("days", text):
            return self._days_left(text, words)
        if cue("month", text):
            return self._rule("month_tasks", text)
        kinds = kinds_named_in(text)
        if (kinds or cue("unit", text)) and cue("task", text) and not self._names_topic(text):
            named_task = self._named_deadlines(text, words)
            if named_task:
                return named_task
            if _task_words(words):  # 我们党委负责人要联系哪类学校: a fact about the unit, not its list of deadlines
                found = self._retrieve(text, words)
                if found.intent != "unknown":
                    return found
            return self._rule("unit_tasks", text, unit_kinds=list(kinds) or None)
        if cue("when", text) and not self._names(text, "phase"):
            named_task = self._named_deadlines(text, words)
            if named_task:
                return named_task
        if cue("deadlines", text) or cue("next", text) and cue("when", text):
            return self._deadlines(text, words)
        return self._retrieve(text, words)

    def _rule(self, intent: str, text: str, **slots) -> Understanding:
        return Understanding(intent, RULE_CONFIDENCE, text, {k: v for k, v in slots.items() if v is not None})

    def _names_in_source(self, text: str) -> bool:
        """True when the other campaign the text names is one the source itself speaks of."""
        other = _CUE_PATTERNS["other_campaign"].search(text)
        return bool(other) and self.sentences.mentions(other.group(0))

    def names_topic(self, text: str) -> bool:
        """True when the text names a topic of the file whole (its title or an alias)."""
        return self._names_topic(text)

    def _names_topic(self, text: str) -> bool:
        return self._names(text, "topic")

    def _names(self, text: str, kind: str) -> bool:
        """True when the text names an entry of that kind whole (a topic's title or alias, a phase's name)."""
        return any(self.index.entries[i].kind == kind for i in self.index.named_in(text))

    def _deadline_in_phase(self, text: str, words: list[str], number: int) -> str | None:
        """The deadline a question names besides its phase, if one falls in that phase (or on the day after it)."""
        phase = self.index.phase(number)
        task_words = [w for w in _task_words(words) if not _PHASE_WORD.fullmatch(w)]
        if phase is None or phase.start is None or not task_words:
            return None
        for hit in self._good(self.index.search(text, task_words, ("deadline",))):
            d = self.index.deadline(hit.entry.key)
            if d and d.due and phase.start <= d.due <= phase.end + timedelta(days=1) and d.due != phase.end:
                return d.id
        return None

    def _days_left(self, text: str, words: list[str]) -> Understanding:
        hit = self._best(text, _task_words(words), ("deadline",))
        target = f"deadline:{hit.entry.key}" if hit else None
        return self._rule("days_left", text, target=target)

    def _deadline_hits(self, text: str, words: list[str]) -> list[Hit]:
        """Deadlines the question names by task, those binding a unit kind it names first (那基层的呢 …开动员大会)."""
        task_words = _task_words(words)
        hits = self.index.search(text, task_words, ("deadline",)) if task_words else []
        found: list[Hit] = []
        for kind in kinds_named_in(text):  # each unit kind named gets its own best deadlines
            bound = [h for h in hits if kind in self.index.deadline(h.entry.key).binds]
            # a second kind's task is named in the first kind's words (县委的动员大会…基层的呢): a lower bar
            found += self._good(bound) or (bound[:1] if found and bound and bound[0].coverage >= QUOTE_THRESHOLD else [])
        return list(dict.fromkeys(found)) or self._good(hits)

    def _dated_deadlines(self, text: str, words: list[str]) -> Understanding | None:
        """A 'deadline' reading for a question naming a deadline's day (方案5月10日前没弄完还算数吗), with the
        deadlines it names by task."""
        days = {(int(m), int(d)) for m, d in _MONTH_DAY.findall(text)}
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
        kinds = ("topic", "deadline") if _MOVE_ON.search(text) else ()  # moving on is a rule, not a phase's text
        hits = self._good(self.index.search(text, words, kinds))
        quote = self._quote(text, words)
        if not hits:
            return quote or Understanding("unknown", round(self._best_coverage(text, words), 3), text)
        top = hits[0]
        confidence = round(top.coverage, 3)
        if quote and top.entry.kind == "topic" and not top.named and quote.confidence >= confidence + QUOTE_MARGIN:
            return quote  # a sentence of the source says more of what is asked than the topic does
        if top.entry.kind == "topic" and not top.entry.dated and cue("date_asked", text):
            return quote or Understanding("unknown", confidence, text)  # the topic says nothing about when
        if top.entry.kind == "deadline":
            return self._deadline_reading(text, words, [h for h in hits if h.entry.kind == "deadline"], quote)
        if top.entry.kind == "phase":
            return Understanding("phase", confidence, text, {"phase": int(top.entry.key)})
        return Understanding("topic", confidence, text, {"topic": top.entry.key})

    def _quote(self, text: str, words: list[str]) -> Understanding | None:
        """A 'source' reading: the one or two sentences of the source that hold most of the question, or None.

        A question asking when is answered only by sentences that name a date."""
        hits = self.sentences.search(words, limit=5)
        strict = cue("date_asked", text) or any(self.sentences.unknown(w) for w in words)
        if cue("date_asked", text):
            hits = [h for h in hits if self.sentences.dated(h.index)]
        if not hits or hits[0].coverage < (STRICT_QUOTE_THRESHOLD if strict else QUOTE_THRESHOLD):
            return None
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

    def _named_deadlines(self, text: str, words: list[str]) -> Understanding | None:
        """A 'deadline' reading when the question names a task (动员大会, 实施方案) besides a unit and 截止."""
        hits = self._deadline_hits(text, words)
        if not hits:
            return None
        return self._deadline_reading(text, words, hits)

    def _deadline_reading(self, text: str, words: list[str], hits: list[Hit],
                          quote: Understanding | None = None) -> Understanding:
        """A 'deadline' reading of the hits, unless they bind none of the unit kinds the question names and a
        sentence of the source answers as well (我们村支部也要表彰吗: 各基层党组织也要…表彰奖励)."""
        confidence = round(hits[0].coverage, 3)
        if not self._binds_named_kind(text, hits):
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
