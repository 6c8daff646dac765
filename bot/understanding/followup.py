"""Reads a follow-up (那第二阶段呢, 具体要做啥, 还有呢) as the full question it stands for, using the chat's last one.

Three shapes (class: follow-up):
- "what about X" (那X呢, 那X怎么样): the last question with X in the place of what it was about;
- a bare predicate (具体要做啥, 什么时候开始, 谁负责): the last question's subject with this predicate;
- "more" (还有呢, 然后呢): more of what the last question found;
- an ordinal (第三个具体说说, 第一项详细说下): that item of the list the last answer gave.
Everything else is read on its own."""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from bot.understanding.lexicon import UNIT_KIND_WORDS
from bot.understanding.normalize import cn_to_int

_MORE = re.compile(r"^(那|那么)?(还有呢|还有吗|还有没有|还有别的吗?|还有其[他它]的?吗?|还有什么|其[他它]呢|别的呢|然后呢|接着呢|"
                   r"后面呢|下面呢|继续|继续说|更多|再说说|再多说点|详细点|展开说说|还有)[?？。!！.]*$")
_WHAT_ABOUT = re.compile(r"^(那|那么|那要是|要是|如果是|换成)(?P<x>.+?)(呢|怎么样|又怎么样|又如何|如何|的呢)?[?？。.]*$"
                         r"|^(?P<y>.+?)(呢|又怎么样|怎么样)[?？。.]*$")
# 下面支部又是什么时候 / 那乡镇党委呢: only a unit and the question asked again
_UNIT_ASKED = re.compile(r"^(那|那么)?(下面|下级|下属|所属)?的?(?P<x>[^的又也是呢]{2,8}?)的?(又|也)?是?(什么时候|呢|的呢)[?？。]*$")
_AT_THAT_TIME = re.compile(r"^(那|那么)?(到时候|那时候|那时|到那时|届时|那会儿)(?P<rest>\S{2,})$")
# 结束以后呢 / 完了之后呢 / 然后干啥: asks only what follows the last question's subject (class: follow-up, time-aware)
_AFTER_ONLY = re.compile(r"^(那|那么)?(结束|完了|完成|过了)?(以后|之后|后面|然后)(呢|还有什么|还有啥|做什么|是什么)?[?？。]*$")
_QUESTION_WORDS = re.compile(r"什么|哪|几|怎|谁|多少|吗|是否|如何|为什么|多久|要不要|是不是|有没有|能不能|还能|做")
_PHASE = re.compile(r"第\d+阶段")
_DATE = re.compile(r"\d{4}年(\d{1,2}月(\d{1,2}日)?|七一)?|\d{1,2}月\d{1,2}日|\d{1,2}月份?")
_JOINED = re.compile(r"和|与|跟|及|以及|、|还有|同")  # what joins two subjects of one question
# …and what joins two dates said with what precedes both (2011年七一前和2012年七一前: the 前 is the second's too)
_JOINED_AFTER = re.compile(rf"(前|以前|之前|后|以后|底)?({_JOINED.pattern})")
_RELATION = re.compile(r"关系|区别|联系|异同|相比|比较")  # …unless it asks how they relate
_EACH = re.compile(r"各自|每个|各个")
_PURPOSE_OF_ALL = re.compile(r"为了|目的|效果|用意|初衷")
_DIFFERENCE = re.compile(r"区别|不同|异同|差别|不一样")
_YEAR = re.compile(r"\d{4}年")
_ORDINAL = re.compile(r"^(那|那么)?第([一二三四五六七八九十]|\d{1,2})(个|项|条|点|是|种|方面)?(?P<rest>.*)$")
# Names that also say what is asked (目标, 要求, 意义 …): after 那 they ask it of the last question's subject.
GENERIC_SUBJECTS = frozenset("目标 目标要求 要求 意义 内容 主要内容 任务 标准 作用 重点 措施".split())
# a question anchored now (or on what comes next from now, or tomorrow) is a question of its own
_NOW = re.compile(r"现在|目前|当前|眼下|如今|今天|接下来|下一步|明天")
MIN_SIDE = 3  # two names side by side (五个好五带头) are two only when each is this long (四联一带 is one)
MAX_SUBJECT = 12  # a "what about" part longer than this is a question of its own
# Words that carry only what is asked, not what it is about (具体要做啥 has no subject of its own).
PREDICATE_WORDS = frozenset(
    "开始 结束 截止 负责 要求 任务 完成 时间 做法 步骤 内容 上报 原因 作用 标准 措施 办法 对象 具体 重点 "
    "区别 联系 关系 不同 相同 异同 截止日期 截止时间 期限 怎么做 做 要做 做到 做好 达到 召开 开 定 制定 报 谁 哪些 哪个 几个 多少 什么时候 为什么 还能 来得及 赶得上 过了 到期".split())


@dataclass(frozen=True)
class FollowUp:
    """How a text relates to the chat's previous question: its shape and the full question it stands for."""

    shape: str  # "more", "what_about", "what_about_other", "predicate", "ordinal" or "" (a question of its own)
    question: str
    number: int = 0  # for an ordinal: which item (1 = the first)
    rest: str = ""  # for an ordinal: what is asked about the item; for "what about": the X put in place


class FollowUpReader:
    """Knows the campaign's subjects (phases, unit kinds, names of entries and terms) to fill a follow-up in."""

    def __init__(self, names: Iterable[str]):
        unit_words = {w for words in UNIT_KIND_WORDS.values() for w in words if len(w) >= 2}
        # 截止 says what is asked, not about what; a way of naming a unit kind is a unit, not a name.
        names = {n for n in names if len(n) >= 2 and n not in PREDICATE_WORDS and n not in unit_words}
        self._subjects = sorted({(n, "name") for n in names} | {(w, "unit") for w in unit_words},
                                key=lambda pair: -len(pair[0]))

    @staticmethod
    def asks_for_more(text: str) -> bool:
        """True for a normalised text that only asks for more (还有呢, 然后呢, 继续)."""
        return bool(_MORE.match(text))

    def resolve(self, text: str, previous: str | None, words: list[str]) -> FollowUp:
        """The full question a normalised text stands for after the normalised previous question."""
        if not previous or not text:
            return FollowUp("", text)
        if _MORE.match(text):
            return FollowUp("more", previous)
        ordinal = _ORDINAL.match(text)
        if ordinal and not any(a < ordinal.start("rest") for a, _, _ in self.spans(text)):  # not 第一责任人
            number = cn_to_int(ordinal.group(2))
            if number:
                return FollowUp("ordinal", previous, number, ordinal.group("rest"))
        unit = _UNIT_ASKED.match(text)
        if unit and {kind for _, _, kind in self.spans(unit.group("x"))} == {"unit"}:
            # 县委几号前开动员大会 — 下面支部又是几号: the same question of the unit named
            return FollowUp("what_about", self._put_in_place(unit.group("x"), previous), rest=unit.group("x"))
        then = _AT_THAT_TIME.match(text)
        if then:  # 第三阶段到啥时候 — 那到时候表彰谁: asked of the last one's subject
            return FollowUp("predicate", self._subject(previous) + then.group("rest"))
        if _AFTER_ONLY.match(text):  # 第二阶段啥时候结束 — 结束以后呢: what comes after the last one's subject
            return FollowUp("predicate", self._subject(previous) + text)
        about = _WHAT_ABOUT.match(text)
        x = about and (about.group("x") or about.group("y") or "").strip("的,，")
        if x in PREDICATE_WORDS:  # 第三阶段叫什么 — 时间呢: that of the last one's subject
            return FollowUp("predicate", self._subject(previous) + x + "是什么")
        if x and len(x) <= MAX_SUBJECT and not _QUESTION_WORDS.search(x) and self.spans(x):
            return FollowUp("what_about", self._put_in_place(x, previous), rest=x)
        if x and len(x) <= MAX_SUBJECT and not _QUESTION_WORDS.search(x):  # 那学校呢: X no name of the file's
            return FollowUp("what_about_other", previous, rest=x)
        generic = all(text[a:b] in GENERIC_SUBJECTS for a, b, _ in self.spans(text))
        # 那要达到什么目标 / 各自目标是啥: a generic name asks it of the last one's subject
        own_subject = self.spans(text) and not ((text.startswith("那") or _EACH.search(text)) and generic)
        if not own_subject and not _NOW.search(text) and _QUESTION_WORDS.search(text) \
                and set(words) <= PREDICATE_WORDS | GENERIC_SUBJECTS:
            # The last question's subject (its phases and named things), or all of it when it names none.
            return FollowUp("predicate", self._subject(previous) + text)
        return FollowUp("", text)

    def _subject(self, previous: str) -> str:
        """The previous question's subject (its phases and named things), or all of it when it names none."""
        return "".join(previous[a:b] for a, b, kind in self.spans(previous) if kind != "unit") or previous

    def conjuncts(self, text: str) -> list[str]:
        """五个好和五带头分别是啥 -> [五个好分别是啥, 五带头分别是啥]: one question per subject joined by 和/与/、
        (class: compound); the text alone when it joins none, or asks how the two relate."""
        spans = [s for s in self.spans(text) if s[2] != "unit"]
        if _RELATION.search(text) and not self._two_of_a_kind(text, spans) or _PURPOSE_OF_ALL.search(text):
            return [text]  # …三项教育、三大工程和四联一带是为了达到什么效果: what they are for together
        for (a1, b1, k1), (a2, b2, k2) in zip(spans, spans[1:]):
            if k1 == k2 and _JOINED_AFTER.fullmatch(text[b1:a2]) and b2 < len(text):
                first, second = text[a1:b1], text[a2:b2]
                if k1 == "date" and _YEAR.fullmatch(first) and second[:5] != first:  # 2011年和2012年七一前
                    first += second[5:]
                return [text[:a1] + first + text[b2:], text[:a1] + second + text[b2:]]
        for a, b, kind in spans:  # one name made of two (the alias 五个好和五带头): its two parts
            parts = self._two_names(text[a:b]) if kind == "name" and b < len(text) else None
            if parts:
                return [text[:a] + part + text[b:] for part in parts]
        return [text]

    @staticmethod
    def _two_of_a_kind(text: str, spans: list[tuple[int, int, str]]) -> bool:
        """A 跟 B 有啥区别 about two parts of this campaign (机关联村, 干部联户): each is answered, so the asker sees
        both; two campaigns compared (学习实践活动和创先争优活动) are one question the source answers as such."""
        names = [text[a:b] for a, b, kind in spans if kind == "name"]
        return _DIFFERENCE.search(text) is not None and len(names) == 2 and not any(n.endswith("活动") for n in names)

    def _two_names(self, name: str) -> tuple[str, str] | None:
        """五个好和五带头 -> (五个好, 五带头) when a name is two names, joined or side by side."""
        names = {n for n, kind in self._subjects if kind == "name"}
        for cut in range(2, len(name) - 1):
            first, rest = name[:cut], name[cut:]
            joiner = next((j for j in ("和", "与", "、", "") if rest.startswith(j) and rest[len(j):] in names), None)
            second = rest[len(joiner):] if joiner is not None else ""
            if first in names and joiner is not None and (joiner or min(len(first), len(second)) >= MIN_SIDE):
                return first, second
        return None

    def spans(self, text: str) -> list[tuple[int, int, str]]:
        """What a text is about, in order: phases, unit kinds and named things, longest names first."""
        found = [(m.start(), m.end(), "phase") for m in _PHASE.finditer(text)]
        found += [(m.start(), m.end(), "date") for m in _DATE.finditer(text)]
        taken = {i for a, b, _ in found for i in range(a, b)}
        for name, kind in self._subjects:
            at = text.find(name)
            if at >= 0 and not taken.intersection(range(at, at + len(name))):
                found.append((at, at + len(name), kind))
                taken.update(range(at, at + len(name)))
        return sorted(found)

    def _put_in_place(self, x: str, previous: str) -> str:
        """previous with x in the place of the subject of the same kind (or of any non-unit subject), else before it."""
        x_spans = self.spans(x)
        kinds = {kind for _, _, kind in x_spans}
        besides = "".join(ch for i, ch in enumerate(x) if not any(a <= i < b for a, b, _ in x_spans)).strip("的")
        kind = next((k for k in ("phase", "date") if k in kinds), "unit" if kinds == {"unit"} and len(besides) < 2
                    else "name")  # 县市委的方案: a unit's thing, asked of as a thing
        spans = self.spans(previous)
        asked = _QUESTION_WORDS.search(previous)
        if kind == "name" and asked and spans and all(s[2] in ("phase", "date") for s in spans):
            return x + asked.group(0)  # 第一阶段什么时候结束 — 那县市委的方案呢: when is the plan due, not its end
        same = [s for s in spans if s[2] == kind] or ([s for s in spans if s[2] not in ("unit", "date")]
                                                      if kind not in ("unit", "date") else [])
        if not same:
            return x + previous
        a, b, _ = same[0]
        return previous[:a] + x + previous[b:]
