"""English questions (class: english): read through a glossary into the Chinese question they ask, and answered in
Chinese with a one-line English gist of the key terms and dates (the terms' English comes from the campaign file)."""

from __future__ import annotations

import re

# English phrase (a regular expression over lower-case text) -> the Chinese words the engine reads; longest first.
GLOSSARY = (
    (r"\bis the campaign (over|finished|ended)\b|\bhas the campaign (ended|finished)\b", "活动结束了吗"),
    (r"\bhow long (does|will|is) (the )?campaign( last| run| take| going on)?\b", "活动持续多久"),
    (r"\bwhat (should|must|do|does|will|to)\b(.*?)\bdo\b", r"\2要做什么"), (r"\bhow long\b", "多久"),
    (r"\bhow many days\b.{0,12}\b(until|till|before|to|left)\b|\bdays (until|till|before|left)\b", "还有几天"),
    (r"\bcan (we|i|they|you) still\b|\bstill (possible|in time)\b|\btoo late\b|\bmissed\b", "还来得及吗"),
    # the teachers' 五好 are not the organisations' 五个好; students who are Party members are 学生党员
    (r"(\bfive goods?\b|五个好).{0,30}\bteachers?\b|\bteachers?\b.{0,40}(\bfive goods?\b|五个好)", "教职工党员五好"),
    (r"\bstudents?( who are)?( party members?)?\b|\bparty members? (who are )?students?\b", "学生党员"),
    (r"\bteachers?( who are)?( party members?)?\b|\bparty members? (who are )?teachers?\b", "教职工党员"),
    # the four links said with hyphens or verbs (leaders-link-schools)
    *((rf"\b{who}[- ]+link(s|ed|ing)?[- ]+(to[- ]+|with[- ]+)?{what}\b", link) for who, what, link in (
        ("leaders?", "schools?", "领导联校"), ("(organs?|agenc(y|ies))", "villages?", "机关联村"),
        ("cadres?", "households?", "干部联户"), ("experts?", "(demonstration )?sites?", "专家联点"))),
    (r"\bmoney\b|\bfund\w*|\bbudget\w*|\bcosts?\b|\bsubsid\w*", "经费"),
    (r"\bimportan\w*|\bsignifican\w*|\bpoint of\b|\bpurpose\b", "意义"),
    (r"\bset up\b|\bestablish\w*", "成立"), (r"\binvolve\w*|\binclude\w*|\bconsist\w*", "包括"),
    (r"\b(the )?scientific outlook on development( study| studying)?( and practice)?( campaign| activity)?\b",
     "学习实践科学发展观活动"),
    (r"\b(main|chief|key) tasks?\b", "主要任务"), (r"\b(this|the) meeting\b", "这次会议"),
    (r"\blike\b|\bsimilar\b|\bsame as\b|\bdiffer\w*|\bcompared?\b", "区别"),
    (r"\bmass[- ]line\b", "群众路线"), (r"\btwo stud(y|ies)\b|\btwo learn\w*", "两学一做"),
    (r"\bthree stricts?\b", "三严三实"), (r"\b(advanced )?nature education\b|\bvanguard education\b", "先进性教育"),
    (r"\bmobili[sz]ation (meeting|conference|rally|assembly)s?\b", "动员会议"), (r"\bmobili[sz]\w*", "动员"),
    # finishing a plan is drawing it up (制定), not the campaign's end
    (r"\b(finish|complete|draw up|draft|write|make|prepare)\w* (the |their |its |an? |our )?(implementation |work )?"
     r"(plans?\b|实施方案)",
     "制定实施方案"),
    (r"\bimplementation plans?\b|\bwork plans?\b|\bplans?\b", "实施方案"),
    (r"\boutstanding party[- ]affairs workers?\b|\boutstanding party workers?\b", "优秀党务工作者"),
    (r"\b(outstanding|excellent|model) (communist )?party members?\b", "优秀共产党员"),
    (r"\badvanced grass-?roots party organi[sz]ations?\b", "先进基层党组织"),
    (r"\bgrass-?roots (party )?(organi[sz]ations?|branch(es)?|units?)\b|\bparty branch(es)?\b|\bbranch(es)?\b",
     "基层党组织"),
    (r"\bprefecture[- ]level (party )?(organs?|departments?)\b|\bprefecture organs?\b", "州直党(工)委"),
    (r"\bcounty (and city )?(party )?committees?\b|\bcount(y|ies)\b", "县市委"),
    (r"\bprefectur(e|al) (party )?committee\b|\bprefecture\b", "州委"),
    (r"\bcampaign office\b|\boffice\b", "活动办公室"),
    (r"\bleading (small )?group\b", "领导小组"), (r"\b(first|chief) (responsible )?person( responsible)?\b", "第一责任人"),
    (r"\b(person|one|leader)s? (primarily |mainly |chiefly )?responsible\b|\b(primarily|mainly|chiefly) responsible\b",
     "第一责任人"), (r"\bresponsib\w*", "负责"),
    *((rf"\b{nth} (phase|stage)\b|\b(phase|stage) ?({word}|{n})(?![a-z\d])", f"第{cn}阶段")
      for n, (nth, word, cn) in enumerate((("first", "one", "一"), ("second", "two", "二"), ("third", "three", "三"),
                                           ("fourth", "four", "四")), start=1)),
    (r"\b(last|final) (phase|stage)\b", "最后一个阶段"), (r"\bnext (phase|stage)\b", "下一阶段"),
    (r"\bhow many (phases|stages)\b", "几个阶段"), (r"\b(the )?(phases|stages|steps)\b", "哪些阶段"),
    (r"\b(current|which|what) (phase|stage)\b|\b(phase|stage) (is it )?now\b", "现在是哪个阶段"),
    (r"\bfive goods?\b", "五个好"), (r"\bfive (leads?|take[s]?[- ]the[- ]leads?|exemplar\w*|vanguards?)\b", "五带头"),
    (r"\bthree (major |big |great )?(projects?|programmes?|programs?)\b", "三大工程"),
    (r"\bthree (kinds of )?educations?\b", "三项教育"),
    (r"\bfour links?\b|\bfour ties\b|\bfour connections?\b", "四联一带"),
    (r"\btheme\b|\bslogan\b", "主题"), (r"\bgoals?\b|\bobjectives?\b|\baims?\b|\btargets?\b", "目标要求"),
    (r"\bmain contents?\b|\bcontents?\b", "主要内容"), (r"\bsignificance\b|\bimportance\b", "意义"),
    (r"\bcommend\w*|\bawards?\b|\bhonou?r\w*", "表彰"),
    (r"\b(primary|middle|secondary) (and (primary|middle|secondary) )?schools?\b", "中小学"),
    (r"\bschools?\b", "学校"), (r"\bhospitals?\b|\bhealth\b", "医疗卫生"),
    (r"\bguides?\b|\bguidance\b|\bguiding\b|\bsupervis\w*", "指导"),
    (r"\b(not|n't|dont|don't) take\b.{0,30}\bseriously\b|\bnot serious\w*|\bslack\w*|\blag\w*|\bperform\w* poorly", "思想不重视、工作不力"),
    (r"\brectif\w*", "整改"), (r"\binspect\w*", "督查"),
    (r"\bsubmit\w*|\bsend\w*|\breport\w* to\b|\bhand\w* in\b", "上报"), (r"\bhold\w*|\bconven\w*", "召开"),
    (r"\bdays? left\b", "还剩几天"), (r"\bnext deadlines?\b", "下一个截止日期"), (r"\bdeadlines?\b", "截止日期"),
    (r"\bby when\b|\bwhen\b|\bwhat date\b|\bwhich date\b", "什么时候"),
    (r"\bend\w*|\bfinish\w*|\bclos\w*|\bover\b", "结束"), (r"\bstart\w*|\bbegin\w*|\bbegun\b", "开始"),
    (r"\bhow many\b|\bhow much\b", "多少"), (r"\bwho\b", "谁"), (r"\bwhy\b", "为什么"), (r"\bwhere\b", "哪里"),
    (r"\bmean(s|ing)?\b|\bstands? for\b", "是什么意思"),
    (r"\bhow\b", "怎么"), (r"\bwhat\b|\bwhich\b", "什么"),
    (r"\bmasses\b|\bthe public\b", "群众"), (r"\bgannan\b", "甘南"), (r"\bparty members?\b", "党员"),
    (r"\bcadres?\b", "干部"), (r"\bthe campaign\b|\bcampaign\b", "活动"), (r"\bhouseholds?\b", "农牧户"), (r"\bvillages?\b", "农牧村"),
)
_GLOSSARY = tuple((re.compile(pattern), chinese) for pattern, chinese in GLOSSARY)
_LATIN_WORD = re.compile(r"[a-z][a-z'-]*")
_ENGLISH = re.compile(r"[A-Za-z]{2,}")
_FULL_DATE = re.compile(r"(\d{4})年(\d{1,2})月(\d{1,2})日")
_MONTH_END = re.compile(r"(\d{4})年(\d{1,2})月底")
_MONTH = re.compile(r"(\d{4})年(\d{1,2})月(?![底\d])")
MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December")
MAX_TERMS = 5  # terms glossed in the gist at most
MIN_ENGLISH_WORDS = 3  # this many English words, more letters than Chinese characters: an English question
STEM = 5  # English words are matched on their first letters (responsible, responsibility)
MIN_STEM = 4  # …when they are this long (of, the, and are not matched)
MIN_GLOSS = 5  # an English gloss shorter than this (Phase) is left to the glossary
_BRITISH = re.compile(r"(?<=[a-z])iz(?=(e|ed|es|ing|ation|ations)\b)")  # mobilization -> mobilisation, as the file spells
_GLOSS_NOTE = re.compile(r"\s*\(.*?\)")  # "(the campaign)" in a gloss explains; it is not said
_MONTH_NAMES = r"(jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*"
_MONTH_DAY = re.compile(rf"\b{_MONTH_NAMES}\.? (\d{{1,2}})(st|nd|rd|th)?\b")
_DAY_MONTH = re.compile(rf"\b(\d{{1,2}})(st|nd|rd|th)? (of )?{_MONTH_NAMES}\b")
_MONTH_ONLY = re.compile(rf"\b(?:in |by |end of )?{_MONTH_NAMES}\b(?! \d)")
# What a decline means, for an English reader (Understanding.slots["reason"]).
DECLINE_GISTS = {
    "other_campaign": "This bot answers only about this 创先争优 (Create Advanced, Strive for Excellence) campaign.",
    "no_number": "The source gives no such number.",
    "no_money": "The source gives no amounts of money.",
    "no_place": "The source names no place.",
    "no_person": "The source names offices, not people.",
    "no_list": "The source names this but never lists what it is made of.",
}


def is_english(text: str) -> bool:
    """True for a question written in English words (a Chinese term in brackets may be among them)."""
    words = _ENGLISH.findall(text)
    return len(words) >= MIN_ENGLISH_WORDS and sum(map(len, words)) > 2 * len(re.findall(r"[\u4e00-\u9fff]", text)) \
        or bool(words) and not re.search(r"[\u4e00-\u9fff]", text)


def translate(text: str) -> str:
    """Lower-case text with the glossary's English phrases written as the Chinese words they stand for."""
    text = text.lower()
    if not _LATIN_WORD.search(text):
        return text  # every phrase has Latin letters: a Chinese question (the hot path) skips the glossary
    for pattern, chinese in _GLOSSARY:
        text = pattern.sub(chinese, text)
    return text


def _campaign_terms(text: str, terms: tuple[tuple[str, str], ...]) -> str:
    """The campaign file's own English for its terms (Branch Fortress Project) written as the Chinese terms."""
    for chinese, english in sorted(terms, key=lambda pair: -len(pair[1])):
        core = _GLOSS_NOTE.sub("", english).lower().removeprefix("the ").strip()
        if len(core) >= MIN_GLOSS:
            text = re.sub(rf"\b(the )?{re.escape(core)}s?\b", chinese, text)
    stems = {w[:STEM] for w in _LATIN_WORD.findall(text)}
    for chinese, english in terms:  # the person with first responsibility: the gloss's words in another order
        words = [w[:STEM] for w in _LATIN_WORD.findall(_GLOSS_NOTE.sub("", english).lower()) if len(w) >= MIN_STEM]
        if len(words) >= 2 and chinese not in text and all(w in stems for w in words):
            text += f" {chinese}"
    return text


def _dates(text: str) -> str:
    """English dates (May 10, 10 May) written as the Chinese the engine reads (5月10日)."""
    text = _MONTH_DAY.sub(lambda m: f"{_month(m.group(1))}月{int(m.group(2))}日", text)
    text = _DAY_MONTH.sub(lambda m: f"{_month(m.group(4))}月{int(m.group(1))}日", text)
    return _MONTH_ONLY.sub(lambda m: f"{_month(m.group(1))}月", text)


def _month(name: str) -> int:
    return next(i for i, month in enumerate(MONTHS, start=1) if month.lower().startswith(name[:3]))


def to_chinese(text: str, terms: tuple[tuple[str, str], ...] = ()) -> str:
    """The Chinese words an English question asks about (the file's English terms, then the glossary's phrases,
    dates), other English words dropped."""
    text = _dates(_campaign_terms(_BRITISH.sub("is", text.lower()), terms))
    return _LATIN_WORD.sub("", translate(text)).replace(" ", "")


def _english_dates(text: str) -> list[str]:
    found = [f"{int(d)} {MONTHS[int(m) - 1]} {y}" for y, m, d in _FULL_DATE.findall(text)]
    found += [f"end of {MONTHS[int(m) - 1]} {y}" for y, m in _MONTH_END.findall(text)]
    found += [f"{MONTHS[int(m) - 1]} {y}" for y, m in _MONTH.findall(_FULL_DATE.sub("", text))]
    return list(dict.fromkeys(found))


def gist(answer: str, terms: tuple[tuple[str, str], ...], reason: str = "") -> str:
    """One English line under a Chinese answer: what a decline means, or the key terms and dates it gives."""
    if reason in DECLINE_GISTS:
        return f"In English: {DECLINE_GISTS[reason]}"
    answer = "\n".join(line for line in answer.splitlines() if not line.startswith("依据"))
    found, seen = [], answer
    for chinese, english in sorted(terms, key=lambda pair: -len(pair[0])):  # a longer term before its parts
        if chinese in seen:
            found.append((answer.find(chinese), f"{chinese} = {english}"))
            seen = seen.replace(chinese, "")
    glossed = [text for _, text in sorted(found)[:MAX_TERMS]]
    dates = _english_dates(answer)
    parts = ["; ".join(glossed)] if glossed else []
    if dates:
        parts.append("dates: " + ", ".join(dates[:4]))
    return "In English: " + (" | ".join(parts) if parts else "see the Chinese answer above, quoted from the source.")
