"""Splits a message that asks several things (主题是什么 目标要求又是什么) into its questions, in order."""

from __future__ import annotations

import re

from bot.understanding.normalize import CJK_CHARS

MIN_SPACED_WORDS = 5  # a message of this many pieces set off by spaces…
SPACED_WORD_CHARS = 2  # …this short on average is one question typed word by word (voice input, habit)
MIN_QUESTION = 9  # a part this long is a question of its own even without a question word (培树一批典型 is context)
_STOPS = re.compile(r"[?？!！;；。\n]+")
# said without a pause (voice input): a question's closing 吧 / 吗 and a second question after it (最后一天了吧明天…)
_SPOKEN_STOP = re.compile(rf"(?<=[了是对行好]吧|[了是对行好没有]吗)(?={CJK_CHARS}{{4,}})")
_CJK_SPACE = re.compile(rf"(?<={CJK_CHARS}|[?？])\s+(?={CJK_CHARS})")
_COMMA = re.compile(r"[,，、]")
ASKS = re.compile(r"了没|什么|啥|哪|几|吗|吧|怎|咋|阿么|谁|多少|如何|为何|为什么|呢|多久|没有|不|么|\?|？")
# 动员大会昨天没开成 / 第三阶段完了: what has (not) happened, said before the question it is about
_TOLD_STATE = re.compile(r"没|未|完了|结束了|过了|开完|错过")
_WHAT_NOW_ONLY = re.compile(r"^(那|那么|现在|这下|这|那现在)?(咋办|怎么办|咋弄|怎么弄|咋整|如何是好|怎么处理)[?？!！。]*$")
# Words that join two questions and belong to neither (完了下个阶段干啥 asks about the next phase).
_JOINER = re.compile(r"^(完了|然后|另外|还有就是|再就是|以及|并且|而且|同时|顺便问一下|顺便问|再问一下|再问)[,，]?")


# 我是县直机关的党员 / 我们是乡里的党委: who asks, said before the question, is context (class: role-aware)
INTRODUCTION = re.compile(r"^(我|我们|俺|俺们|咱|咱们|本人)(是|在|属于)")


def _asks(part: str) -> bool:
    if ASKS.search(part):
        return True
    return len(part) >= MIN_QUESTION and not INTRODUCTION.match(part)


def split_questions(text: str) -> list[str]:
    """The questions of a cleaned message; one item when it asks one thing. Non-questions (你好, 请问) stay with
    the question they introduce; commas split only between two questions."""
    words = text.split()
    if len(words) >= MIN_SPACED_WORDS and sum(map(len, words)) <= SPACED_WORD_CHARS * len(words):
        text = "".join(words)  # 表彰 我们 怎么 评 先进: a space after every word or two breaks words, not questions
    pieces = []
    for sentence in _STOPS.split(_SPOKEN_STOP.sub("\n", _CJK_SPACE.sub("\n", text))):
        clauses = [c for c in _COMMA.split(sentence) if c.strip()]
        if len(clauses) > 1 and sum(bool(ASKS.search(c)) for c in clauses) == len(clauses):
            pieces += clauses
        elif sentence.strip():
            pieces.append(sentence)
    questions: list[str] = []
    waiting = ""
    for piece in (p.strip() for p in pieces):
        rest = _JOINER.sub("", piece)
        if questions and not waiting and rest.strip("呢吗啊呀?？!！ ") == "" and rest != piece:
            questions[-1] += piece  # …就结束了 然后呢: "and then?" asks on about the question before it
            continue
        piece = rest or piece
        if questions and not waiting and _WHAT_NOW_ONLY.match(piece):
            questions[-1] += " " + piece  # 动员会议还没开 现在咋办: what now, about the statement before it
            continue
        if _asks(piece) and not (_TOLD_STATE.search(piece) and not ASKS.search(piece)):
            questions.append(waiting + piece)
            waiting = ""
        else:
            waiting += piece + " "  # the space kept: names set off by spaces are a list (三项教育 三大工程 …)
    if waiting:
        if questions:
            questions[-1] += " " + waiting.strip()
        else:
            questions.append(waiting.strip())
    return questions
