"""The campaign's own words: terms jieba must keep whole, their synonyms, stop words, and how units are named."""

from __future__ import annotations

import functools
import logging
import os
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable
from pathlib import Path

import jieba

from bot.campaign import Campaign
from bot.understanding.normalize import CJK
from bot.vocabulary import (CAMPAIGN_OFFICE, COUNTY_COMMITTEE, GRASSROOTS, PREFECTURE_COMMITTEE,
                            UNIT_KIND_ALIASES)

logger = logging.getLogger(__name__)

# Terms of the campaign that are not already titles, aliases or items in the campaign file.
CAMPAIGN_TERMS = (
    "创先争优", "四联一带", "干部联户", "联系户", "结对户", "帮扶户", "实施方案", "动员大会", "动员会议", "动员会",
    "党(工)委", "州直党(工)委", "党工委", "州直党工委", "州委", "县市委", "基层党组织", "村支部", "乡党委", "镇党委", "乡镇党委", "州直单位", "活动办", "活动办公室", "领导小组", "第一责任人",
    "七一", "十八大", "十七大", "建党90周年", "截止", "截止日期", "表彰", "集中表彰", "专项表彰", "上报",
    "党务工作者", "优秀共产党员", "先进基层党组织", "农牧村", "农牧户", "党支部", "党总支", "大学生村官",
    "五个好", "五带头", "三项教育", "三大工程", "党建带团建", "学习实践活动", "科学发展观",
    "非公有制企业", "非公企业", "民营企业", "私营企业", "民企", "说一声", "讲一声", "知会", "负总责", "挂点",
    # bodies and things the source names that jieba would split (机关工委 is no 机关 + 工委)
    "机关工委", "机关党委", "县市直机关工委", "非公有制企业党工委", "教育局党组织", "卫生局党组织", "民族关系",
    "表彰大会", "团组织", "团县委", "团支部", "活动方案", "结对子", "学法", "学法律",
)

# Variant -> the word the index uses. Applied to single tokens after segmentation.
SYNONYMS = {
    "截止日期": "截止", "期限": "截止", "截至": "截止", "最后期限": "截止", "到期": "截止", "deadline": "截止",
    "动员大会": "动员会", "动员会议": "动员会",
    "报": "上报", "报到": "上报", "报送": "上报", "提交": "上报", "交": "上报", "报给": "上报", "上交": "上报",
    "方案": "实施方案", "计划": "实施方案",
    "表扬": "表彰", "奖励": "表彰", "评先": "表彰", "评优": "表彰", "集中表彰": "表彰", "专项表彰": "表彰",
    "表彰奖励": "表彰",
    "县委": "县市委", "市委": "县市委", "县市党委": "县市委",
    "支部": "基层党组织", "党支部": "基层党组织", "村支部": "基层党组织", "乡党委": "基层党组织", "镇党委": "基层党组织",
    "乡镇党委": "基层党组织", "州直单位": "州直", "村党支部": "基层党组织", "党总支": "基层党组织",
    "农户": "农牧户", "牧户": "农牧户", "户": "农牧户",
    "村": "农牧村", "村子": "农牧村", "农村": "农牧村", "牧村": "农牧村",
    "校": "学校", "中学": "学校", "小学": "学校", "高中": "学校", "初中": "学校", "一中": "学校", "二中": "学校",
    "目标": "目标要求", "争创主题": "主题",
    "完": "结束", "收尾": "结束", "启动": "开始",
    "共青团": "团建", "老师": "教职工", "教师": "教职工",
    # colloquial and near words for the file's terms (class: synonyms and colloquial words)
    "监督检查": "督查", "表彰大会": "表彰", "规划": "实施方案",
    "工作方案": "实施方案", "口号": "主题", "标语": "主题", "目的": "目标要求", "一把手": "主要领导",
    "第一负责人": "第一责任人", "老百姓": "群众", "百姓": "群众", "村官": "大学生村官", "开会": "会议",
    "县里": "县市委", "县上": "县市委", "市里": "县市委", "村里": "基层党组织", "乡里": "基层党组织", "乡上": "基层党组织",
    "镇里": "基层党组织", "镇上": "基层党组织", "村上": "基层党组织",
    "感觉": "感到", "觉得": "感到", "拉胯": "不力", "差劲": "不力", "落后": "不力", "落在后头": "不力", "掉队": "不力", "完事": "结束", "完事儿": "结束",
    "蹲点": "联系", "包点": "联系", "担责": "责任", "负责任": "责任",
    "内容": "主要内容", "交到": "上报", "收齐": "上报", "交齐": "上报", "报齐": "上报", "交上去": "上报", "报上去": "上报", "报上": "上报", "送到": "上报",
    "冲突": "服从", "矛盾": "服从", "一样": "不同", "相同": "不同", "差别": "不同",
    "医院": "医疗卫生", "卫生院": "医疗卫生", "不行": "不力", "干不好": "不力", "懒散": "不力",
    "意义何在": "意义", "结对子": "结对", "学法": "法制教育", "学法律": "法制教育", "组织部": "组织", "宣传部": "宣传",
    "花样": "多样", "新花样": "多样", "说法": "意见", "看法": "意见",
    # roles and bodies as cadres name them (class: role-aware): a secretary is a unit's 主要领导; the league's and
    # women's federation's branches are what 党建带团建 builds with the Party's
    "县委书记": "主要领导", "党委书记": "主要领导", "支部书记": "主要领导", "角色": "责任", "职责": "责任",
    "团委": "团建", "团县委": "团建", "团组织": "团建", "团支部": "团建", "共青团员": "团建",
    # spoken names of the source's terms (class: colloquial, role-aware: a sector named as cadres shorten it)
    "挂点": "联系", "非公企业": "非公有制企业", "民营企业": "非公有制企业", "私营企业": "非公有制企业", "民企": "非公有制企业", "说一声": "通报", "讲一声": "通报", "知会": "通报", "负总责": "第一责任人", "总负责": "第一责任人", "总责": "第一责任人", "好处": "意义", "步子": "步骤", "牧民": "农牧户", "农民": "农牧户", "牧户": "农牧户",
}

def _spellings() -> dict[str, tuple[str, ...]]:
    """Each word the index uses -> itself and the variants that map to it (方案 for 实施方案, 老百姓 for 群众)."""
    found: dict[str, list[str]] = {}
    for variant, word in SYNONYMS.items():
        found.setdefault(word, [word]).append(variant)
    return {word: tuple(v for v in variants if len(v) >= 2) for word, variants in found.items()}


# A paraphrase a cadre uses -> the source's own terms for it, for matching the source's sentences only (the words
# themselves stay apart in the index: 十八大 is also a date). 党代会: the congresses the source names by number.
PARAPHRASES = {"党代会": ("党代会", "代表大会", "十七大", "十八大"), "甘南": ("甘南", "我州", "全州"),
               "学校": ("学校", "中小学"), "确定": ("确定", "明确", "定下")}  # 明确…实践重点: to set is 明确 in the source

SPELLINGS = _spellings() | PARAPHRASES


def spellings(word: str) -> tuple[str, ...]:
    """The ways the source may write a word the index unified (实施方案: 实施方案, 方案, 计划 …)."""
    return SPELLINGS.get(word, (word,))


STOPWORDS = frozenset(
    "的 了 吗 呢 吧 啊 呀 嘛 么 是 有 在 和 与 及 或 要 就 都 也 还 又 我 你 您 他 她 它 我们 你们 咱们 大家 "
    "什么 哪些 哪个 哪 怎么 怎样 怎么样 如何 多少 几 几个 个 这 那 这个 那个 这些 那些 一下 请问 请 问 想 知道 "
    "告诉 说说 讲讲 介绍 一下子 具体 主要 到底 究竟 能 可以 应该 需要 得 该 会 谁 给 把 被 让 对 "
    "从 到 向 为 以 于 之 其 中 里 里面 上 下 时候 什么时候 时间 现在 目前 当前 今天 哪天 日期 一共 总共 共 "
    "分别 都是 就是 还是 以及 等 等等 方面 问题 情况 事 事情 东西 意思 含义 指 指的是 叫 叫做 称 所谓 关于 "
    "活动 创先争优 开展 工作 做 干 搞 办 安排 达到 实现 包括 属于 进行 有关 相关 怎么办 一些 应当 必须 是否 "
    "要不要 是不是 有没有 能不能 可不可以 不要 不是 没有 一定 最晚 最迟 之前 以前 之后 以后 "
    # every answer names its source, so asking for it adds nothing to match on
    "来源 出处 出自 依据 根据 原文 文件 规定 "
    # filler: politeness, hesitation and asking words that never change what is asked (class: filler)
    "名称 名字 一下下 麻烦 帮忙 问下 问问 咨询 了解 详细 详细点 说下 讲下 说一下 讲一下 看下 看一下 查下 查一下 "
    "这会儿 这会 会儿 这阵子 这阵儿 这段时间 这几天 眼下 如今 "
    "查询 单位 老师 领导 同志 大哥 大姐 哦 嗯 呃 啦 哈 呗 噢 唉 嘞 那么 然后 的话 好吗 行吗 谢谢 您好 你好 急 "
    "在线 在线等 帮我 全称 简称 全名 叫法 关系 区别 负责 不能 一句 一句话 后头 前头 这次 这事 这事儿 这个事 里头 月底 月初 年底 年初 收拾 阿么 哩 咋弄 咋整 说了算 看看 下来 上面 活儿 往 走 还有 来得 来得及 来不及 赶得上 赶得及 赶不上 过期 晚了 多久 多长 弄好 搞好 做好 定好 上去 下去 过来 出来 起来 性质 处理 处置 对待 搞法 弄 啥样 介绍一下 具体点 内容是 简单 简单说 大概 大致 一般 还请 想问 想请教 请教 这边 那边 "
    # who sent someone is not what is asked: 上头派专家下来干啥 asks what the experts do (class: colloquial)
    "上头 上边 上级派 派 "
    # spoken framing that never says what is asked (class: colloquial)
    "说白了 说白 来着 牵头 大事 要事 要紧 要紧事 动静 "
    # 有没有评先的机会 asks whether it may be commended: the chance is how it is asked (class: colloquial)
    "机会 可能 资格 名堂 "
    # 各自目标是啥 asks the same of each of the things before it (class: follow-up)
    "各自 各个 每个 每一个 "
    # "what next" and "tomorrow" say when, read by the rules, not what (class: time-aware, colloquial)
    "接下 接下来 下一步 明天 明日 明儿 为什么 为何".split()
)


def _roster_names(kind: str) -> tuple[str, ...]:
    """The kind and the roster's aliases for it (bot.vocabulary), spelt as normalised (NFKC) text spells them."""
    names = (name for name, named in ((kind, kind), *UNIT_KIND_ALIASES.items()) if named == kind and name)
    return tuple(dict.fromkeys(unicodedata.normalize("NFKC", name) for name in names))


# How cadres name the kinds of unit the deadlines bind (longest first when matched).
UNIT_KIND_WORDS = {
    COUNTY_COMMITTEE: (*_roster_names(COUNTY_COMMITTEE), "县委", "市委", "县市党委", "县里", "县上", "市里", "各县市", "各县"),
    PREFECTURE_COMMITTEE: (*_roster_names(PREFECTURE_COMMITTEE), "州直各党(工)委", "州直机关", "州直单位", "州直部门",
                           "党工委", "州直"),
    GRASSROOTS: (*_roster_names(GRASSROOTS), "党支部", "村党支部", "党总支", "支部", "基层组织", "村里", "基层", "乡党委",
                 "镇党委", "乡镇党委", "村党组织", "乡镇", "乡里", "乡上", "镇里", "镇上", "村上"),
    CAMPAIGN_OFFICE: (*_roster_names(CAMPAIGN_OFFICE), "活动办公室", "创先争优办"),
}

COMMON_WORD_FREQ = 20  # jieba dictionary words rarer than this are left out (faster start, same answers)
MAX_WORD = 6  # longer items (whole clauses) are not words; jieba splits them
# Single characters that carry grammar, time or a common verb, never part of an unknown word of their own.
_FUNCTION_CHARS = frozenset("第离距前后开定交报上下里中内外时候天月日号年要做能会可把被让给对从到向在和与及或就都也还又很最太更再才已"
                            "没不别这那哪谁么吗呢吧啊呀嘛了着过的地得之其而且是有个些每各该本我你他她它们您咱")
_LOOSE_BREAKERS = STOPWORDS | _FUNCTION_CHARS
_QUESTION_MORPHEMES = re.compile(r"谁|什么|哪|怎|为何|几|多少|吗|呢")
_NUMBERED = re.compile(r"^(第\d+|\d{1,2})$")  # 第2 of 第2阶段, a day or month: the rules read them; years stay
_PHRASE_CHARS = re.compile(r"[哪几什么怎为是个的各所这那]")


def kinds_named_in(text: str) -> tuple[str, ...]:
    """The unit kinds a (normalised) text names, in the order named: ('县市委',) for '我们县委要干什么'."""
    found = []
    taken: set[int] = set()
    for kind, word in sorted(((k, w) for k, ws in UNIT_KIND_WORDS.items() for w in ws), key=lambda kw: -len(kw[1])):
        at = text.find(word)
        if at >= 0 and not taken.intersection(range(at, at + len(word))):
            taken.update(range(at, at + len(word)))
            found.append((at, kind))
    return tuple(dict.fromkeys(kind for _, kind in sorted(found)))


def part_of_unit_name(word: str) -> bool:
    """True for a word that is (part of) a way of naming a kind of unit: 县委, 基层, 党组织 …"""
    return any(word in name for names in UNIT_KIND_WORDS.values() for name in names)


def file_terms(campaign: Campaign) -> set[str]:
    """Every multi-character name in the campaign file: titles, aliases, items, phase names."""
    names = set(CAMPAIGN_TERMS)
    for topic in campaign.topics:
        names.update((topic.title, *topic.aliases, *topic.items))
    names.update(p.name for p in campaign.phases if p.name)
    return {n for n in names if len(n) >= 2 and CJK.search(n)}


def source_words(campaign: Campaign, indexed: Iterable[str]) -> set[str]:
    """Every word of the campaign file and the source (indexed: the indexes' words), for slips to be corrected to;
    a name made of parts (对标定位、晋档升级阶段) gives its parts too."""
    terms = file_terms(campaign)
    parts = {p.removesuffix("阶段") for t in terms for p in re.split(r"[、，,（）()“”]+", t) if len(p) >= 2}
    return {w for w in indexed if len(w) >= 2 and CJK.fullmatch(w[0])} | terms | parts


def correctable_terms(campaign: Campaign) -> set[str]:
    """Names a one-character slip may be corrected to: proper terms, not everyday phrases such as 哪些阶段."""
    names = set(CAMPAIGN_TERMS)
    for topic in campaign.topics:
        names.update((topic.title, *topic.items))
        names.update(a for a in topic.aliases if not _PHRASE_CHARS.search(a))
    names.update(p.name for p in campaign.phases if p.name)
    # the phases by number as typed (第三阶级, 第一届段 are the phase misheard; class: typo, homophone)
    names.update(f"第{'一二三四五六七八九'[n - 1]}阶段" for n in sorted({p.number for p in campaign.phases}) if n < 10)
    return names


_COUNTED_START = re.compile(r"^[两三四五六七八九十]个?\S{2,}")


def unlisted_counted_names(campaign: Campaign, normalize) -> frozenset[str]:
    """Counted names (五个基本建设) that are an item of a topic's list but whose own members no topic gives: asked
    which they are, the bot says the source does not list them (class: plain-fact, decline)."""
    titled = {normalize(t.title) for t in campaign.topics}
    items = {normalize(i) for t in campaign.topics for i in t.items}
    return frozenset(i for i in items if _COUNTED_START.match(i) and i not in titled)


def common_words_dictionary() -> Path:
    """jieba's dictionary without its rare words, written once to the temporary folder (jieba caches it there too).

    The full dictionary takes about a second to load; the common fifth of it loads in a fraction of that and still
    tells everyday words (天气, 州长) from the campaign's."""
    common = lambda lines: (line for line in lines if int(line.split(" ", 2)[1]) >= COMMON_WORD_FREQ)  # noqa: E731
    return _derived_from_dictionary(f"jieba-{COMMON_WORD_FREQ}", common)


def _derived_from_dictionary(name: str, keep: Callable[[Iterable[str]], Iterable[str]]) -> Path:
    """A file of the lines keep() derives from jieba's dictionary, written once to the temporary folder (the
    dictionary itself when it cannot be written)."""
    source = Path(jieba.__file__).parent / "dict.txt"
    stamp = f"{source.stat().st_size}-{int(source.stat().st_mtime)}"
    target = Path(tempfile.gettempdir()) / f"campaign-bot-{name}-{stamp}.txt"
    if target.exists():
        return target
    try:
        with open(source, encoding="utf-8") as fh:
            kept = list(keep(fh))
        partial = target.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text("".join(kept), encoding="utf-8")
        os.replace(partial, target)  # atomic: a concurrent start never reads half a file
    except OSError as exc:
        logger.warning("cannot write %s derived from jieba's dictionary (%s); using the dictionary", name, exc)
        return source
    return target


# Parts of speech (jieba's tags) of words that only frame a question: pronouns, adverbs, time words, measure words,
# particles, conjunctions, prepositions. An unknown word of this kind (这边, 到底, 一下子) is how a thing is asked,
# while an unknown noun or verb (天气, 党费, 当选) makes it another question.
_FRAMING_TAGS = ("r", "d", "t", "q", "f", "u", "y", "e", "o", "c", "p", "z")
_COUNTED = re.compile(r"^[几两一二三四五六七八九十多]+[种个项条点次类样件方面]+$")  # 三种, 几个, 四项
FILLER_WEIGHT = 0.15  # the share of an unknown word's weight that an unknown word of another kind keeps
SAYING_WEIGHT = 0.5  # …and the share an unknown verb, adjective or spoken fragment keeps
_THING_TAGS = ("n", "vn", "m", "eng", "nr", "ns", "nt", "nz")  # jieba's tags of words that name things


@functools.lru_cache(maxsize=1)
def word_tags() -> dict[str, str]:
    """jieba's part-of-speech tag of each common word (from the trimmed dictionary)."""
    tags = {}
    with open(common_words_dictionary(), encoding="utf-8") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 3:
                tags[parts[0]] = parts[2]
    return tags


def frames_a_question(word: str) -> bool:
    """True for a word that only frames a question (a pronoun, adverb, count such as 三种 …), not what it asks."""
    tag = word_tags().get(word)
    return bool(_COUNTED.match(word)) or tag is not None and tag.startswith(_FRAMING_TAGS)


def names_a_thing(word: str) -> bool:
    """True for a word that names a thing (a noun, a name, a number, a Latin word: 天气, 工资, 2013), so that a
    question holding it and unknown to the file asks about something else; a verb, an adjective or a glued
    fragment jieba does not know (打分, 瞎, 活跟) is how a cadre says it (class: colloquial)."""
    if not CJK.search(word) or any(ch.isdigit() for ch in word):
        return True
    tag = word_tags().get(word)
    return tag.startswith(_THING_TAGS) if tag else word in rare_nouns()


def a_word(word: str) -> bool:
    """True for a word of jieba's dictionary (打分, 党费), not characters glued only because they stood next to
    each other in the question (那块说 -> 块说)."""
    return not CJK.search(word) or word in word_tags() or word in rare_nouns()


@functools.lru_cache(maxsize=1)
def rare_nouns() -> frozenset[str]:
    """The nouns, names and numbers of jieba's full dictionary that the common words leave out (党费, 几点),
    derived once, so that reading them costs little at start."""
    def nouns(lines: Iterable[str]) -> Iterable[str]:
        for parts in map(str.split, lines):
            if len(parts) == 3 and int(parts[1]) < COMMON_WORD_FREQ and parts[2].startswith(_THING_TAGS):
                yield parts[0] + "\n"
    path = _derived_from_dictionary(f"nouns-{COMMON_WORD_FREQ}", nouns)
    text = path.read_text(encoding="utf-8")
    return frozenset(text.split("\n") if path.name.startswith("campaign-bot-") else
                     (line.split(" ", 1)[0] for line in text.splitlines()))


def word_weight(word: str, known: float | None, unknown: float) -> float:
    """A question word's weight: its own in the file, but a count (五条, 三个) always little, and a word the file
    never uses (unknown) by what it is (see unknown_word_weight)."""
    if known is not None and not _COUNTED.match(word):
        return known
    return unknown_word_weight(word, unknown)


def unknown_word_weight(word: str, full: float) -> float:
    """The weight of a word the campaign file never uses: a small share for framing words and glued fragments,
    half for a way of saying (a verb, an adjective), full for a word naming a thing."""
    if frames_a_question(word) or not a_word(word):
        return full * FILLER_WEIGHT
    return full if names_a_thing(word) else full * SAYING_WEIGHT


@functools.lru_cache(maxsize=4)
def build_tokenizer(terms: frozenset[str]) -> jieba.Tokenizer:
    """A jieba tokenizer (default dictionary from jieba's cache) that keeps every campaign term whole.

    Loading jieba's dictionary is most of the engine's start-up, so one tokenizer serves every Answerer of the
    process built with the same terms; it is only read after it is built."""
    logging.getLogger("jieba").setLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer(str(common_words_dictionary()))
    tokenizer.initialize()
    for term in sorted(terms):
        # jieba's dictionary cannot hold words with spaces or punctuation splitting them; keep the pieces.
        for piece in re.split(r"[\s，、,。“”\"()（）]+", term):
            if 2 <= len(piece) <= MAX_WORD:
                tokenizer.add_word(piece, freq=200000)
    return tokenizer


def tokens(tokenizer: jieba.Tokenizer, text: str) -> list[str]:
    """Search-mode tokens of a normalised text, synonyms unified; stop words, question words dropped.

    Characters jieba leaves single (words it does not know, such as 党费) are joined back into one word, so an
    unknown word still counts against a match instead of vanishing. A word replaced by a paraphrase (一把手 ->
    主要领导) takes its pieces (一把, 把手) with it."""
    out: list[str] = []
    loose: list[str] = []
    replaced: list[str] = []
    rest_of_word: set[str] = set()
    for word in [*tokenizer.cut_for_search(text, HMM=False), ""]:
        mapped = SYNONYMS.get(word, word)
        if len(word) == 1 and mapped == word and word.isalpha() and word not in _LOOSE_BREAKERS:
            loose.append(word)
            continue
        if len(loose) >= 2:
            joined = "".join(loose)
            out.append(SYNONYMS.get(joined, joined))
        loose = []
        if mapped != word and len(word) > 2 and not set(mapped) & set(word):  # a paraphrase, not a shortening
            replaced.append(word)
        elif mapped != word and len(word) > len(mapped) and word.startswith(mapped):  # 表彰大会 is 表彰: not 大会
            rest_of_word.add(word[len(mapped):])
        if len(mapped) < 2 or mapped in STOPWORDS or _QUESTION_MORPHEMES.search(mapped) or not mapped.isalnum() \
                or _NUMBERED.match(mapped):
            continue
        out.append(mapped)
    return [w for w in out if w not in rest_of_word and not any(w != whole and w in whole for whole in replaced)]
