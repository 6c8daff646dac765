"""Puts a cadre's question into one canonical form: simplified script, half-width, Arabic numerals, plain words."""

from __future__ import annotations

import re
import unicodedata

import opencc

from bot.understanding.colloquial import standardize
from bot.understanding.english import translate

MAX_QUESTION_CHARS = 200  # longer messages are not questions; the bot asks for a short one
VAGUE_QUESTION_CHARS = 8  # after a self-introduction, a question this short (这活动咋弄) is about who asks

_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_CN_NUMBER = "[零〇一二两三四五六七八九十]+"
CJK_CHARS = r"[\u4e00-\u9fff]"  # the CJK Unified Ideographs block: a Chinese character
CJK = re.compile(CJK_CHARS)

# Scanning errors of the source and slips cadres make, fixed before anything else (order matters).
TYPOS = (
    ("讲儿点", "讲几点"), ("永藻", "永葆"), ("叁与", "参与"), ("促迸", "促进"), ("惟迸", "推进"), ("争刨", "争创"),
    ("深人基层", "深入基层"), ("限朗", "限期"), ("面临著", "面临着"), ("整政落实", "整改落实"), ("耍", "要"),
    ("四连一带", "四联一带"), ("创先争忧", "创先争优"), ("五代头", "五带头"), ("截至", "截止"), ("动原", "动员"),
)

# Variant spellings of the file's own words, unified in the text so that names match whole (class: synonyms).
VARIANTS = (("党(工)委", "党工委"), ("干完", "完成"), ("做完", "完成"), ("弄完", "完成"), ("搞完", "完成"),
            ("评先进", "评选先进"), ("不一样", "区别"), ("下基层", "深入基层"), ("下乡", "深入基层"), ("不下去", "不深入基层"),
            ("下去调研", "深入基层调研"), ("督察", "督查"), ("表扬", "表彰"), ("嘉奖", "表彰"), ("督促检查", "督查"))

# Spoken forms -> the words the rules and the index know (longest first).
SPOKEN = (
    ("时间节点", "截止日期"), ("时间点", "截止日期"),  # before 啥时: 啥时间节点 asks for the deadlines
    ("几月几号", "什么时候"), ("几月几日", "什么时候"), ("多会儿", "什么时候"), ("多会", "什么时候"),
    ("啥时候", "什么时候"), ("啥时", "什么时候"), ("几时", "什么时候"), ("何时", "什么时候"), ("哪一天", "什么时候"),
    ("哪天", "什么时候"), ("几号", "什么时候"), ("什么时间", "什么时候"), ("什么日子", "什么时候"),
    ("干嘛", "做什么"), ("干啥", "做什么"), ("干什么", "做什么"), ("干些什么", "做什么"), ("做啥", "做什么"),
    ("归谁管", "由谁指导"), ("谁来管", "谁指导"), ("谁管", "谁指导"),
    ("啥", "什么"), ("咋", "怎么"), ("要干", "要做"), ("神马", "什么"),
)

# Pinyin initials cadres type for the campaign's terms on a phone keyboard.
PINYIN_INITIALS = (
    ("cxzy", "创先争优"), ("slyd", "四联一带"), ("sxjy", "三项教育"), ("sdgc", "三大工程"), ("wgh", "五个好"),
    ("wdt", "五带头"), ("ssfa", "实施方案"), ("dydh", "动员大会"), ("jd", "阶段"),
)
_PINYIN = re.compile("|".join(rf"(?<![a-z]){abbr}(?![a-z])" for abbr, _ in PINYIN_INITIALS))
_PINYIN_WORDS = dict(PINYIN_INITIALS)
# Arabic digits in the campaign's counted names (3项教育, 5个好, 4联一带) read as the Chinese numerals the file uses.
_COUNTED_NAME = re.compile(r"(?<![\d.])([1-9])(?=项|大工程|个好|带头|联一带|联|好|无|有|新|常)")
_SHORT_YEAR = re.compile(r"(?<![\d.])(1[0-2])(?=年)")  # 12年 -> 2012年: the campaign's years are 2010-2012
_PHASE_WITH_DI = re.compile(rf"第\s*({_CN_NUMBER}|\d+)\s*个?\s*阶段?")  # 第二阶 is 第二阶段 cut short
_PHASE_BARE = re.compile(rf"(?<![第\d几下上这该本每哪同前后])({_CN_NUMBER}|\d)阶段")
_PHASE_AFTER = re.compile(rf"阶段\s*({_CN_NUMBER}|\d)(?![个月日号年天])")
_MONTH_DAY = re.compile(rf"({_CN_NUMBER})(?=月|日|号|天)")
_UNTIL_END = re.compile(r"什么时候完(?![成善整全])")  # 什么时候完 means 结束, not 完成/完善/完整/完全
_DAY_HAO = re.compile(r"(\d{1,2})号")
_LETTER_O = re.compile(r"(?<=\d)[oO](?=\d)|(?<=\d\d)[oO](?=\d)")
_SPACES = re.compile(r"\s+")
_SEGMENT = re.compile(r"(?<=[上下这本前后一几])(一)?段(?!时间|落|话)")  # 上一段 / 下一段 / 这段: a phase, said short
_ER_FOR_JI = re.compile(r"(?<![女婴孩幼点会哪这那])儿(?=[个项点条天号次种])")  # 分儿个阶段: 儿 scanned for 几
# "I am a township head," before a question says who asks, not what (class: role-aware).
# Said without a pause by voice, it ends where "we" begins (我是扎尕那村的老支书我们村支部要干啥).
_SELF_INTRODUCTION = re.compile(r"^(我是|俺是|本人是)(?P<who>[^,，。!！?？ ]{1,10})[,，。!！ ]"
                                r"|^(我是|俺是|本人是)(?P<who_said>[^,，。!！?？ ]{1,14}?)(?=我们|咱们|俺们)")
# A salutation before the question (老师您好，…) addresses the bot and says nothing about what is asked (class: filler).
_OURSELVES = re.compile(r"(跟|和|与|对)(我们|咱们|我)")  # 创先争优跟我们有啥关系: "us" is who introduced themselves
_US = re.compile(r"我们|咱们|(?<=\S)我(?![们的])")  # 活动里我起啥作用: "I" is the one introduced too
_US_UNIT = re.compile(r"(我们|咱们|俺们)(?=村|乡|镇|县|州|支部|党委|党工委|党组|单位|学校|机关|医院)")
_SALUTATION = re.compile(r"^(老师|领导|同志|大哥|大姐|书记|小助手|助手)?(您好|你好)[,!.~，！。、 ]*(?=\S)")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")
# Invisible format marks (soft hyphen, zero-width spaces and joiners, direction marks, BOM).
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u206a-\u206f\ufeff]")
_ANSI = re.compile(r"\x1b\[[0-9;]*[a-zA-Z]")  # terminal colour codes pasted along with text
# 哪五好 asks which five (the 五个好 named before it), it names no list of its own (教职工党员“五好”)
_TEACHERS = re.compile(r"老师|教师|教职工|学校|校长")
_WHICH_COUNT = re.compile(r"哪([一二三四五六七八九十两几])好")
# 在这个活动里有啥责任: the campaign named as the setting, not as what is asked about (class: role-aware, colloquial)
_SETTING = re.compile(r"在(这个|这次|本次|咱们|我们)?(创先争优)?活动(里|中|当中|里面)(?!的)")
_QUOTES = re.compile(r"[“”‘’\"'「」『』《》]")


def cn_to_int(text: str) -> int | None:
    """'二' -> 2, '十五' -> 15, '二十八' -> 28, '12' -> 12; None when it is not a number below 100."""
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        if len(ones) > 1 or len(tens) > 1:
            return None
        high = _CN_DIGITS.get(tens, None) if tens else 1
        low = _CN_DIGITS.get(ones, None) if ones else 0
        return None if high is None or low is None else high * 10 + low
    if len(text) == 1:
        return _CN_DIGITS.get(text)
    return None


def _arabic(match: re.Match, template: str) -> str:
    value = cn_to_int(match.group(1))
    return match.group(0) if value is None else template.format(value)


class Normalizer:
    """Turns raw text into the canonical form the rules and the index read."""

    def __init__(self):
        self._t2s = opencc.OpenCC("t2s")

    def clean(self, text: str) -> str:
        """Control characters and zero-width marks removed, full width folded to half width, spaces squeezed."""
        text = _CONTROL.sub(" ", _ANSI.sub("", text or ""))
        text = unicodedata.normalize("NFKC", _INVISIBLE.sub("", text))
        return _SPACES.sub(" ", text).strip()

    def normalize(self, text: str, limit: int | None = MAX_QUESTION_CHARS * 2) -> str:
        """The canonical form: simplified, half-width, lower case, typos fixed, spoken forms and numerals unified."""
        text = self._t2s.convert(self.clean(text)[:limit]).lower()
        text = _LETTER_O.sub("0", text)
        text = translate(text)
        text = _PINYIN.sub(lambda m: _PINYIN_WORDS[m.group(0)], text)
        for wrong, right in TYPOS:
            text = text.replace(wrong, right)
        text = _SEGMENT.sub(lambda m: (m.group(1) or "") + "阶段", _ER_FOR_JI.sub("几", text))
        for variant, word in VARIANTS:
            text = text.replace(variant, word)
        text = standardize(text)
        for spoken, plain in SPOKEN:
            text = text.replace(spoken, plain)
        text = _UNTIL_END.sub("什么时候结束", text)
        text = _PHASE_WITH_DI.sub(lambda m: _arabic(m, "第{}阶段"), text)
        text = _PHASE_BARE.sub(lambda m: _arabic(m, "第{}阶段"), text)
        text = _PHASE_AFTER.sub(lambda m: _arabic(m, "第{}阶段"), text)
        text = _COUNTED_NAME.sub(lambda m: "零一二三四五六七八九"[int(m.group(1))], text)
        if not _TEACHERS.search(text):  # a teacher's 哪五好 are the teachers' 五好 (class: role-aware)
            text = _WHICH_COUNT.sub(r"哪\1个", text)
        text = _SETTING.sub("", text)
        text = _SHORT_YEAR.sub(r"20\1", text)
        text = _MONTH_DAY.sub(lambda m: _arabic(m, "{}"), text)
        text = _DAY_HAO.sub(r"\1日", text)
        text = _QUOTES.sub("", text)
        text = _without_introduction(_SALUTATION.sub("", text))
        return text.replace(" ", "") if CJK.search(text) else text


def _without_introduction(text: str) -> str:
    """The question without the asker's self-introduction; where the question asks how the campaign concerns
    "us" (跟我们有啥关系), the one introduced stands for "us" (我是共青团干部 …跟我们…: 跟共青团干部…; class: role-aware)."""
    intro = _SELF_INTRODUCTION.match(text)
    if not intro:
        return text
    rest = text[intro.end():]
    who = intro.group("who") or intro.group("who_said")
    if _OURSELVES.search(rest):
        return _OURSELVES.sub(lambda m: m.group(1) + who, rest, count=1)
    if _US_UNIT.search(rest):
        return rest  # 我们村支部要干啥: the unit is named after "we"
    # 我是乡镇党委专职组织干事，文件里提我们没 / 这活动里有我啥事: "us" is the one introduced, whom the source may
    # name word for word; a question too short to say what it is about is about who asks (垂直管理部门的党组 这活动咋弄)
    if _US.search(rest):
        return _US.sub(who, rest, count=1)
    return who + rest if len(rest) <= VAGUE_QUESTION_CHARS else rest
