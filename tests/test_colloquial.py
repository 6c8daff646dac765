"""Dialect and spoken words, why-questions, what comes next, differences, and passages kept across a follow-up."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import opencc
import pytest

from bot.campaign import load_campaign
from bot.understanding import Answerer
from bot.understanding.colloquial import standardize

TZ = ZoneInfo("Asia/Shanghai")


def at(day: str, hour: int = 10) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture(scope="module")
def campaign():
    return load_campaign(None)


@pytest.fixture(scope="module")
def answerer(campaign) -> Answerer:
    return Answerer(campaign, "Asia/Shanghai")


@pytest.mark.parametrize("spoken, standard", [
    ("尕娃娃学生党员要弄成啥样子", "学生党员要成为什么样的人才"),
    ("工作没弄好 州上阿么处理哩", "工作不力 州上怎么处理"),
    ("动员会开过了么", "动员会开过了吗"),
    ("下来弄啥哩", "接下来做什么"),
    ("我们工委能评上啥", "我们工委能表彰啥"),
    ("创先争优是哪次大会提出的", "创先争优是哪次党代会提出的"),
], ids=["children", "done-badly", "yes-no-me", "next", "commended", "which-congress"])
def test_dialect_words_are_written_as_standard_words(spoken, standard):
    assert standardize(spoken) == standard


def test_the_dialect_table_never_changes_the_source(campaign):
    to_simplified = opencc.OpenCC("t2s")
    changed = [s.text for s in campaign.sentences if standardize(to_simplified.convert(s.text)) != to_simplified.convert(s.text)]
    assert not changed


@pytest.mark.parametrize("text, day, must", [
    ("尕娃娃学生党员要弄成啥样子", "2011-04-14", "品学兼优"),
    ("工作没弄好 州上咋处理哩", "2011-08-23", "限期整改"),
    ("这个活动到底为啥要搞哩", "2010-05-13", "重要意义"),
    ("实践重点怎么确定", "2010-05-17", "部门职能"),
    ("创先争优活动是哪次大会提出的", "2010-06-29", "十七大"),
    ("Who is the person with first responsibility?", "2010-05-25", "第一责任人"),
], ids=["dialect-students", "dialect-lagging", "why", "paraphrase-set", "which-congress", "english-gloss-order"])
def test_colloquial_and_paraphrased_questions_find_their_passage(answerer, text, day, must):
    answer = answerer.answer(text, at(day))
    assert answer.intent not in ("unknown", "bad_input") and must in answer.text


def test_tomorrows_phase_is_named_without_counting_days_from_tomorrow(answerer):
    answer = answerer.answer("今天第二阶段最后一天是吧，明天开始啥阶段", at("2011-06-30", 18)).text
    assert "是的" in answer and "明天（2011年7月1日）是第三阶段" in answer and "就是今天" not in answer


def test_what_next_after_the_last_described_phase_says_what_the_source_says(answerer):
    answer = answerer.answer("第三阶段结束了吗 接下来干啥", at("2012-07-10")).text
    assert "已经结束" in answer and "十八大召开前基本结束" in answer


def test_a_difference_between_two_parts_answers_both(answerer):
    answer = answerer.answer("机关联村跟干部联户有啥区别", at("2010-08-30")).text
    assert "结对共建" in answer and "结对帮扶" in answer


def test_a_difference_between_two_campaigns_is_not_split(answerer):
    answer = answerer.answer("学习实践活动和创先争优活动有什么区别", at("2010-05-12")).text
    assert "经常性工作" in answer


def test_months_left_are_said_beside_the_days(answerer):
    assert "还有334天，约11个月" in answerer.answer("第三阶段还剩多少个月", at("2011-08-01")).text


def test_what_about_stays_on_the_passage_that_speaks_of_it(answerer):
    first = answerer.answer("医疗卫生单位谁指导", at("2010-07-02"))
    answer = answerer.answer("学校呢", at("2010-07-02"), previous=first.asked).text
    assert "教育局党组织" in answer


def test_words_typed_one_by_one_are_one_question(answerer):
    answer = answerer.answer("表彰 我们 怎么 评 先进 群众 要 参加 吗", at("2011-05-24")).text
    assert "请群众参与推荐" in answer and "2011年7月1日前" not in answer


# ---- batch 6's classes: spoken names, indirect wording, "and then", passed and open deadlines ----

@pytest.mark.parametrize("text, unit, expected", [
    ("校长问 领导挂点学校叫个啥", None, "领导联校"),  # 挂点 is 联系 (spoken name of a term)
    ("州里谁牵头负总责", None, "第一责任人"),  # 负总责 is 第一责任人
    ("非公企业党工委要干些啥", "州直党(工)委", "非公有制经济组织"),  # a sector said short, before the unit's list
    ("咱们督查的时候讲究啥原则", "活动办", "时间服从质量"),  # a topic named whole, the rest spoken framing
    ("这活动到底要弄个啥", None, "五带头"),  # the campaign itself asked what it is about
    ("一二三阶段分别叫什么", None, "对标定位"),  # several phases by number: all phases
], ids=["link-school", "first-responsible", "non-public", "supervision-principle", "campaign-itself", "phases"])
def test_spoken_and_indirect_wording_finds_the_source(answerer, text, unit, expected):
    answer = answerer.answer(text, at("2010-05-08"), unit_kind=unit)
    assert answer.intent != "unknown" and expected in answer.text, answer.text


def test_a_self_introduction_stands_for_us(answerer):
    answer = answerer.answer("我是妇联干部 这活动和我们有啥关系", at("2010-05-08"))
    assert "妇联" in answer.text, answer.text


def test_this_year_is_the_year_asked_in(answerer):
    assert "2011年“七一”前" in answerer.answer("今年七一前有什么要紧事", at("2011-02-01")).text
    assert "2012年“七一”前" in answerer.answer("今年七一前有什么要紧事", at("2012-02-01")).text


def test_a_unit_asking_its_own_duty_hears_the_sentence_about_its_kind(answerer):
    answer = answerer.answer("我们村支部也得自己奖励先进吗", at("2010-11-10"), unit_kind="基层党组织")
    assert "各基层党组织也要采取适当方式进行表彰奖励" in answer.text, answer.text


@pytest.mark.parametrize("text, day, expected", [
    ("七一表彰完了 下一步干啥", "2011-07-05", "第三阶段是对标定位、晋档升级阶段"),
    ("第一阶段月底就完了吧 然后呢", "2010-05-25", "第二阶段是全面争创、扎实推进阶段"),
], ids=["after-event", "after-phase"])
def test_and_then_names_the_next_phase(answerer, text, day, expected):
    assert expected in answerer.answer(text, at(day)).text


def test_a_passed_deadline_comes_with_the_next_one_still_open(answerer):
    answer = answerer.answer("动员大会期限过了没", at("2010-05-12"), unit_kind="县市委")
    assert "已经过去2天" in answer.text and "2010年5月15日前（还有3天）" in answer.text, answer.text


def test_is_it_near_says_how_near(answerer):
    assert "还有10天" in answerer.answer("集中表彰是不是快到了", at("2011-06-21")).text
