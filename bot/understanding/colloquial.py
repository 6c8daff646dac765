"""Spoken and north-western (Gansu, Qinghai) words written as the standard words the campaign file uses, so that a
dialect word never stops a known topic (class: colloquial): 尕娃娃 -> 学生, 阿么 -> 怎么, 弄成啥样子 -> 成为什么样,
没弄好 -> 不力, 下来弄啥哩 -> 接下来做什么. Applied to questions and the source alike, so only forms the source
never uses are listed (a test checks that the source reads the same either way)."""

from __future__ import annotations

import re

# (regular expression, standard form); applied in order, before the engine's own spoken forms.
DIALECT = (
    # sentence-final particles that only colour a question: 哩, 咧, 嘛 (…咋处理哩), and 么 asking yes or no (开了么)
    (r"(哩|咧|嘞)(?=$|[\s,，。.!！?？])", ""),
    (r"(?<=[了过完没好开报])么(?=$|[\s,，。.!！?？])", "吗"),
    # how / what / where / why in north-western speech
    (r"阿么个|阿么|阿门|咋个|咋么|咋样子", "怎么"),
    # 撒 is how 啥 is written as it is said (干撒的, 有撒说法, 撒时候)
    (r"(?<=[干弄搞整做有是为说叫些])撒|撒(?=时|意思|样|子|呢|么|的)", "什么"), (r"啥子|甚么|么子", "什么"), (r"阿达|阿搭|哪搭", "哪里"),
    (r"为啥子|为啥|为甚|为个啥|咋要", "为什么"),
    # children and the young: 尕娃娃, 娃娃们, 碎娃 are pupils when a school or student is the setting
    (r"尕娃娃|娃娃们|尕娃|碎娃|娃娃", "学生"), (r"学生学生", "学生"), (r"尕", "小"),
    # what a group should become: 弄成啥样子, 搞成什么样, 整成个啥
    (r"(弄|搞|整|变|培养)成(个)?(什么|啥)(样子|样儿|样)?", "成为什么样的人才"),
    # a job done badly: 没弄好, 搞不好, 干得不好, 整得差
    (r"(没|没有|不曾)(弄|搞|整|干|做|抓)(好|成|到位)|(弄|搞|整|干|做)(得)?不好|(弄|搞|整|干|做)得(差|不行)", "不力"),
    # what next: 下来弄啥 (Gansu 下来 = after this), 下一步, 往后
    (r"^下来|(?<=[\s,，。?？吗了])下来(?=[弄搞干做整要该])", "接下来"),
    (r"往后(?=[弄搞干做整要该])", "接下来"),
    # verbs of doing said loosely: 弄/搞/整/闹 + 啥 is 做什么 (闹啥 is Gansu for 干啥)
    (r"(闹|整|弄|搞)(啥|什么)", "做什么"),
    # which congress: 哪次大会 / 哪届党代会 asks for a Party congress (the source writes 十七大: see lexicon.PARAPHRASES)
    (r"(哪次|哪届|哪一次|哪一届|第几次|第几届)(党的)?(全国)?(党员)?(代表)?(大会|党代会)", "哪次党代会"),
    # to be commended: 评上, 评得上, 能评啥, 拿啥奖
    (r"评得?上|能评(选)?(?=[啥什先优])|(拿|得)(啥|什么)奖", "表彰"),
    # the meeting the source records, named as the cadre saw it (州上开的这个会)
    (r"(这个|这次|那个|那次|上次|州上开的|州里开的)会(?![议上里])", "这次会议"),
    # 先进第二阶段 is going ahead into it (先 + 进), not 先进 (advanced)
    (r"先进(?=第|下一|下个|后一)", "先进入"),
    # choosing the advanced is 评选先进 (选先进是谁说了算)
    (r"(?<!评)选先进", "评选先进"),
)
_DIALECT = tuple((re.compile(pattern), standard) for pattern, standard in DIALECT)


def standardize(text: str) -> str:
    """The text with spoken and dialect words written as the standard words (see DIALECT)."""
    for pattern, standard in _DIALECT:
        text = pattern.sub(standard, text)
    return text
