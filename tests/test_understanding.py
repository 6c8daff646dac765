"""The answer engine: normalisation, intents, the question set (≥ 98 % right), time and unit, figures, bad input."""

from __future__ import annotations

import dataclasses
import io
import json
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.ask_batch import answer_batch
from bot.campaign import load_campaign
from bot.understanding import CONFIDENCE_THRESHOLD, Answerer
from bot.understanding.spelling import TermCorrector
from tests.answer_figures import CampaignFigures
from tests.question_set import DECLINED, ask, judge, load_questions

TZ = ZoneInfo("Asia/Shanghai")
REQUIRED_ACCURACY = 0.98


def at(day: str, hour: int = 9) -> datetime:
    """A local moment on that day."""
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=TZ)


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


@pytest.fixture(scope="module")
def answerer(campaign) -> Answerer:
    return Answerer(campaign)


@pytest.fixture(scope="module")
def figures(campaign) -> CampaignFigures:
    return CampaignFigures(campaign)


@pytest.fixture(scope="module")
def question_set():
    return load_questions()


# ---- the question set ----

def test_question_set_is_large_and_varied(question_set):
    texts = [q.text for q in question_set]
    assert len(question_set) >= 150
    assert sum(q.decline for q in question_set) >= 15
    assert any(ch in "".join(texts) for ch in "個幾麼聯階")  # traditional script
    assert sum(t.isascii() and any(c.isalpha() for c in t) for t in texts) >= 5  # English


def test_question_set_is_answered_right(answerer, question_set):
    failures = []
    for q in question_set:
        why = judge(q, ask(answerer, q), answerer.classify(q.text).intent)
        if why:
            failures.append(f"{q.label()}: {why}")
    accuracy = 1 - len(failures) / len(question_set)
    assert accuracy >= REQUIRED_ACCURACY, f"{accuracy:.1%} right; wrong:\n" + "\n".join(failures)


def test_no_answer_carries_a_figure_the_file_does_not_state(answerer, question_set, figures):
    invented = {}
    for q in question_set:
        found = figures.unsupported(ask(answerer, q).text, q.now.astimezone(TZ).date())
        if found:
            invented[q.label()] = found
    assert not invented


def test_every_campaign_answer_names_its_source(answerer, question_set):
    unsourced = [q.label() for q in question_set
                 if (a := ask(answerer, q)).intent not in (*DECLINED, "greeting", "thanks", "my_households",
                                                           "my_pairings", "my_visits", "help", "unbind")
                 and "依据：" not in a.text]
    assert not unsourced


# ---- the figures checker itself ----

@pytest.mark.parametrize("text, bad", [
    ("2010年5月16日前上报", ["2010年5月16日"]),
    ("2010-05-16 截止", ["2010-05-16"]),
    ("2013年7月开始", ["2013年7月"]),
    ("还有4天", ["4天"]),
    ("共有37个阶段", ["37"]),
    ("2010年5月15日前（还有3天）：依据二(四)", []),
    ("今天是2010年5月12日，2011年6月底结束，建党90周年", []),
], ids=["wrong-day", "wrong-iso-day", "wrong-month", "wrong-count", "wrong-number", "right", "today-and-file"])
def test_figures_checker_flags_what_the_file_does_not_say(figures, text, bad):
    assert figures.unsupported(text, date(2010, 5, 12)) == bad


# ---- normalisation ----

@pytest.mark.parametrize("raw, normal", [
    ("實施方案幾號前要報", "实施方案什么时候前要报"),
    ("二阶段啥时候完", "第2阶段什么时候结束"),
    ("第二阶段", "第2阶段"), ("第2阶段", "第2阶段"), ("阶段二", "第2阶段"), ("第三个阶段", "第3阶段"),
    ("下一阶段", "下一阶段"), ("四个阶段", "四个阶段"),
    ("ＡＢＣ１２３？", "abc123?"), ("多会儿开会", "什么时候开会"), ("咋办", "怎么办"),
    ("五月十号", "5月10日"), ("2O11年", "2011年"), ("四连一带", "四联一带"), ("实施方按", "实施方案"),
    ("现在是哪个阶段", "现在是哪个阶段"), ("“五个好”", "五个好"),
    ("cxzy主题", "创先争优主题"), ("slyd", "四联一带"), ("2jd", "第2阶段"), ("3项教育", "三项教育"),
    ("5个好", "五个好"), ("12年七一", "2012年七一"), ("2012年七一", "2012年七一"),
    ("我们镇党委", "我们镇党委"), ("动员会啥时候开", "动员会什么时候开"),
], ids=lambda v: v if isinstance(v, str) and len(v) < 12 else None)
def test_normalize(answerer, raw, normal):
    assert answerer.normalize(raw) == normal


def test_corrector_leaves_correct_terms_and_fixes_one_slip():
    corrector = TermCorrector({"四联一带", "干部联户", "机关联村"})
    assert corrector.correct("四连一带和干部联户") == "四联一带和干部联户"
    assert corrector.correct("干部联户") == "干部联户"
    assert corrector.correct("干部连连") == "干部连连"  # two slips: not corrected


def test_corrector_does_not_eat_into_everyday_words():
    corrector = TermCorrector({"动员会议", "乡镇党委"})
    assert corrector.correct("动员会什么时候开") == "动员会什么时候开"
    assert corrector.correct("我们镇党委") == "我们镇党委"
    assert corrector.correct("动员会仪") == "动员会议"


# ---- intents the router acts on ----

@pytest.mark.parametrize("text, intent", [
    ("我的联系户", "my_households"), ("结对户", "my_households"), ("帮扶户", "my_households"),
    ("联系的农户", "my_households"), ("我联系的户", "my_households"), ("我的結對戶", "my_households"),
    ("联系户有哪些", "my_households"), ("我的干部联户", "my_households"),
    ("我的结对", "my_pairings"), ("我们单位结对的村", "my_pairings"),
    ("我的走访", "my_visits"), ("走访记录", "my_visits"),
    ("帮助", "help"), ("怎么用", "help"), ("help", "help"), ("你能做什么", "help"),
    ("怎么上报走访", "help"), ("咋发照片", "help"), ("怎么绑定", "help"), ("绑定怎么弄", "help"), ("绑定码在哪里要", "help"),
    ("帮助一下", "help"), ("我的联系人", "my_households"), ("看看我的户", "my_households"),
    ("我的结队", "my_pairings"),
    ("解绑", "unbind"), ("解除绑定", "unbind"),
])
def test_personal_intents(answerer, text, intent):
    assert answerer.classify(text).intent == intent


@pytest.mark.parametrize("text", [
    "干部联户是什么", "四联一带有哪些", "干部联户要做什么", "联系户是什么意思", "技术上常帮助是什么意思",
    "干部联户", "机关联村是什么", "四联一带中的干部联户",
])
def test_questions_about_pairing_are_not_personal(answerer, text):
    assert answerer.classify(text).intent not in ("my_households", "my_pairings", "my_visits", "help", "unbind")


# ---- time ----

@pytest.mark.parametrize("day, expected", [
    ("2010-03-31", "还没有开始"),
    ("2010-04-01", "第一阶段"),
    ("2010-05-31", "第一阶段"),
    ("2010-06-01", "第二阶段"),
    ("2011-06-30", "第二阶段"),
    ("2011-07-01", "第三阶段"),
    ("2012-06-30", "第三阶段"),
    ("2012-07-01", "没有写第四阶段"),
    ("2012-11-07", "没有写第四阶段"),
    ("2012-11-08", "活动已经结束"),
])
def test_current_phase_follows_the_clock(answerer, day, expected):
    assert expected in answerer.answer("现在是哪个阶段", at(day)).text


def test_time_of_day_is_local(answerer):
    """23:30 UTC on 31 May is already 1 June in Gannan: phase two."""
    late = datetime(2010, 5, 31, 23, 30, tzinfo=ZoneInfo("UTC"))
    assert "第二阶段" in answerer.answer("现在是哪个阶段", late).text


def test_days_left_counts_from_now(answerer):
    assert "还有3天" in answerer.answer("还有几天截止", at("2010-05-12"), unit_kind="基层党组织").text
    assert "还有8天" in answerer.answer("还有几天截止", at("2010-05-02"), unit_kind="县市委").text


# ---- unit ----

def test_unit_kind_changes_the_deadlines(answerer):
    county = answerer.answer("我们单位要做什么", at("2010-05-02"), unit_kind="县市委").text
    grassroots = answerer.answer("我们单位要做什么", at("2010-05-02"), unit_kind="基层党组织").text
    assert "2010年5月10日前" in county and "2010年5月10日前" not in grassroots
    assert "将实施方案上报" in county and "将实施方案上报" not in grassroots


def test_visitor_gets_every_unit_kind_and_is_told_why(answerer):
    text = answerer.answer("我们单位要做什么", at("2010-05-02")).text
    assert "还没有绑定单位" in text
    assert "【县市委、州直党(工)委】" in text and "基层党组织" in text


def test_a_unit_hears_of_a_deadline_of_this_phase_it_has_missed(answerer):
    text = answerer.answer("我们县委要干啥", at("2010-05-12")).text
    assert "2010年5月10日前（已经过去2天）" in text and "2010年5月15日前（还有3天）" in text
    assert "2010年5月10日前" not in answerer.answer("我们县委要干啥", at("2010-06-12")).text  # earlier phase


@pytest.mark.parametrize("text, unit, expected", [
    ("州直单位动员大会几号前开", None, "2010年5月10日前"),
    ("我们乡党委实施方案啥时候定", "基层党组织", "2010年5月15日前"),
    ("我们乡里动员会啥时候开", None, "2010年5月15日前"),
    ("12年七一表彰哪些", None, "2012年7月1日前"),
])
def test_when_a_named_task_is_due(answerer, text, unit, expected):
    reply = answerer.answer(text, at("2010-05-12"), unit_kind=unit)
    assert reply.intent == "deadline" and reply.text.startswith(expected)


def test_how_many_years_is_the_campaign_span(answerer):
    assert answerer.answer("活动搞几年", at("2010-05-12")).text.startswith("活动从2010年4月起")


@pytest.mark.parametrize("text", [
    "动员大会在哪开", "联系户每户补助多少钱", "活动经费有多少", "县委书记是谁", "领导小组组长叫什么",
    "学习实践活动是哪年开始的", "三项教育什么时候搞", "表彰多少人", "实施方案要报几份",
])
def test_facts_the_source_never_gives_are_declined(answerer, text):
    assert answerer.answer(text, at("2010-05-12")).intent == "unknown"


@pytest.mark.parametrize("text", ["我联系户的电话", "我的联系户有多少人"])
def test_first_person_roster_question_is_still_personal(answerer, text):
    assert answerer.classify(text).intent == "my_households"


def test_the_end_day_the_source_does_not_give_is_never_shown(answerer):
    for question, day in (("活动啥时候结束", "2010-05-12"), ("接下来有什么截止", "2012-09-10"), ("十八大几号开", "2012-09-10")):
        text = answerer.answer(question, at(day)).text
        assert "11月8日" not in text and "十八大召开前" in text


# ---- answers' form ----

def test_fact_comes_first_and_source_last(answerer):
    text = answerer.answer("实施方案几号前要报", at("2010-05-12")).text
    assert text.startswith("2010年5月15日前")
    assert text.splitlines()[-1] == "依据：《州创先争优动员部署会议纪要》四(一)"


def test_five_good_names_the_central_opinion_and_is_not_the_teachers_five_good(answerer):
    text = answerer.answer("五个好是什么", at("2010-05-12")).text
    assert "中共中央办公厅《关于在党的基层组织和党员中深入开展创先争优活动的意见》" in text
    assert "师表作用好" not in text
    teachers = answerer.answer("教师五好是什么", at("2010-05-12")).text
    assert "师表作用好" in teachers and "中共中央办公厅" not in teachers


def test_decline_offers_three_questions_the_engine_answers(answerer):
    declined = answerer.answer("明天天气怎么样", at("2010-05-12"))
    assert declined.intent == "unknown" and "没有找到" in declined.text
    assert len(declined.suggestions) == 3
    for question in declined.suggestions:
        assert question in declined.text
        assert answerer.answer(question, at("2010-05-12")).intent not in DECLINED


def test_related_suggestions_come_first(answerer):
    declined = answerer.answer("五好家庭怎么评", at("2010-05-12"))
    assert declined.intent == "unknown"
    assert any("五好" in s for s in declined.suggestions)
    for question in declined.suggestions:
        assert answerer.classify(question).confidence >= CONFIDENCE_THRESHOLD


def test_router_intent_overrides_reading(answerer):
    answer = answerer.answer("/phase", at("2010-08-01"), intent="current_phase")
    assert answer.intent == "current_phase" and "第二阶段" in answer.text


def test_answers_follow_the_campaign_file(campaign):
    """Change a phase's dates in the file and the answer changes: no date lives in the code."""
    moved = dataclasses.replace(campaign.phases[1], period_text="2010年7月到2011年6月底")
    edited = dataclasses.replace(campaign, phases=(campaign.phases[0], moved, *campaign.phases[2:]))
    assert "2010年7月到2011年6月底" in Answerer(edited).answer("第二阶段是什么时候", at("2010-05-12")).text


# ---- bad input ----

@pytest.mark.parametrize("text, reason", [
    ("", "empty"), ("  \n\t ", "empty"), ("问" * 10_000, "too_long"), ("😀" * 3, "symbols"),
    ("\x00\x01\x1b[31m", "empty"), ("ད་ལྟ་རིམ་པ་གང་ཡིན།", "language"), ("Как дела?", "language"),
    ("What is the meaning of life", "language"), ("42", "symbols"),
], ids=["empty", "blank", "10000-chars", "emoji", "control", "tibetan", "russian", "english-unknown", "digits"])
def test_bad_input_gets_a_polite_answer(answerer, text, reason):
    reading = answerer.classify(text)
    answer = answerer.answer(text, at("2010-05-12"))
    assert (reading.intent, reading.slots.get("reason")) == ("bad_input", reason)
    assert answer.intent == "bad_input" and "请" in answer.text and len(answer.suggestions) == 3
    assert len(answer.text) < 200


def test_control_characters_inside_a_question_are_ignored(answerer):
    assert answerer.classify("现在是\u200b哪个阶段\x07").intent == "current_phase"


# ---- through the bot: the ask handler and `ask --batch` ----

async def test_ask_handler_answers_for_the_cadres_unit(chat):
    grassroots = await chat("C1").text("我们单位要做什么")  # C1 sits in a village branch
    county = await chat("C3").text("我们单位要做什么")  # C3 sits in the county committee
    assert "您的单位（基层党组织）" in grassroots and "将实施方案上报" not in grassroots
    assert "您的单位（县市委）" in county and "将实施方案上报" in county


async def test_ask_handler_answers_a_visitor_with_public_information(chat):
    reply = await chat("someone").text("四联一带是哪四联")
    assert "领导联校抓源头" in reply and "依据：《州创先争优动员部署会议纪要》三(二)3" in reply


async def test_phase_command_uses_the_clock(chat, roster):
    assert "第一阶段" in await chat("C1").text("/phase")


def test_ask_batch_prints_one_json_object_a_line(roster):
    out = io.StringIO()
    answer_batch(roster, io.StringIO("现在是哪个阶段\n\n明天天气怎么样\n實施方案幾號前要報\n"), out, cadre_id="C3")
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["intent"] for r in records] == ["current_phase", "unknown", "deadline"]
    assert set(records[0]) == {"question", "answer", "intent", "confidence"}
    assert "第一阶段" in records[0]["answer"] and records[1]["confidence"] < CONFIDENCE_THRESHOLD
    # C3 is a 县市委: its 实施方案 has two deadlines (制定 by 5月10日, 上报 by 5月15日), both given in date order
    assert records[2]["answer"].startswith("2010年5月10日前") and "将实施方案上报" in records[2]["answer"].splitlines()[1]


def test_ask_batch_sends_personal_requests_through_the_router(roster):
    out = io.StringIO()
    answer_batch(roster, io.StringIO("我的联系户\n"), out, cadre_id="C1")
    record = json.loads(out.getvalue())
    assert record["intent"] == "my_households" and "请在聊天中发" not in record["answer"]


# ---- the source's own sentences ----

@pytest.mark.parametrize("text, quoted", [
    ("甘南面临什么双重任务", "推进经济社会跨越式发展和长治久安的双重任务"),
    ("两项活动是什么关系", "联系密切、相辅相成"),
], ids=["inside-paragraph", "relation"])
def test_a_sentence_of_the_source_answers_what_no_entry_does(answerer, text, quoted):
    reply = answerer.answer(text, at("2010-05-12"))
    assert reply.intent in ("source", "topic") and quoted in reply.text and "依据：" in reply.text


def test_a_when_question_is_not_answered_by_an_undated_sentence(answerer):
    assert answerer.answer("双重任务什么时候完成", at("2010-05-12")).intent == "unknown"


# ---- slips, fillers and synonyms ----

@pytest.mark.parametrize("raw, normal", [
    ("东员大会啥时候开", "动员大会什么时候开"), ("限期正改", "限期整改"), ("思想正治教育", "思想政治教育"),
    ("支部堡垒供程", "支部堡垒工程"), ("还有几天截止", "还有几天截止"), ("活动分几步走", "活动分几步走"),
    ("组织领导的四个要求", "组织领导的四个要求"), ("督察", "督查"),
], ids=["dong-yuan", "zheng-gai", "zheng-zhi", "gong-cheng", "ji-tian-kept", "bu-zou-kept", "de-si-kept", "variant"])
def test_a_slip_that_sounds_like_a_campaign_word_is_corrected_and_real_words_are_kept(answerer, raw, normal):
    assert answerer.normalize(raw) == normal


@pytest.mark.parametrize("plain, padded", [
    ("三大工程是什么", "请问一下那个三大工程的名称是什么"),
    ("第二阶段是什么", "麻烦问一下第二阶段的具体内容是什么呢"),
    ("五带头是什么", "老师您好，想了解一下五带头"),
])
def test_filler_words_do_not_lower_the_confidence(answerer, plain, padded):
    assert answerer.classify(padded).intent == answerer.classify(plain).intent
    assert answerer.classify(padded).confidence >= answerer.classify(plain).confidence


# ---- follow-ups ----

@pytest.mark.parametrize("before, text, expected", [
    (["第一阶段什么时候结束"], "那第二阶段呢", "2010年6月到2011年6月底"),
    (["第二阶段是什么时候"], "具体要做啥", "全面开展创建活动"),
    (["三项教育是什么"], "那三大工程呢", "党员先锋工程"),
    (["县市委实施方案什么时候报"], "那基层党组织呢", "2010年5月15日前"),
    (["下一个截止日期是什么"], "还有呢", "2010年5月31日"),
], ids=["what-about-phase", "predicate", "what-about-topic", "what-about-unit", "more-deadlines"])
def test_a_follow_up_uses_the_chats_previous_question(answerer, before, text, expected):
    previous = None
    for earlier in before:
        previous = answerer.answer(earlier, at("2010-05-12"), previous=previous).asked
    assert expected in answerer.answer(text, at("2010-05-12"), previous=previous).text


def test_a_question_of_its_own_ignores_the_previous_one(answerer):
    alone = answerer.answer("五带头是什么", at("2010-05-12")).text
    assert answerer.answer("五带头是什么", at("2010-05-12"), previous="第1阶段什么时候结束").text == alone


async def test_the_chat_keeps_its_last_question_ten_minutes(chat, roster):
    c3 = chat("C3")
    await c3.text("第二阶段是什么时候")
    assert "全面开展创建活动" in await c3.text("具体要做啥")
    assert "全面开展创建活动" not in await chat("C1").text("具体要做啥")  # another chat has no previous question
    await c3.text("第二阶段是什么时候")
    roster.clock.set(roster.clock.now() + timedelta(minutes=11))
    assert "全面开展创建活动" not in await c3.text("具体要做啥")  # too long ago to be a follow-up


# ---- declines that say why ----

@pytest.mark.parametrize("text, why", [
    ("两学一做什么时候开始", "只回答中共甘南州委部署的创先争优活动"),
    ("群众路线教育实践活动分几个阶段", "另一项活动"),
    ("表彰多少个先进基层党组织", "原文没有给出这个数字"),
    ("每个县评几名优秀党员", "原文没有给出这个数字"),
    ("活动经费多少", "原文没有写任何金额"),
], ids=["two-studies", "mass-line", "how-many-units", "how-many-members", "money"])
def test_a_decline_says_why(answerer, text, why):
    reply = answerer.answer(text, at("2010-05-12"))
    assert reply.intent == "unknown" and why in reply.text and "第一阶段" not in reply.text


def test_the_relation_to_the_earlier_campaign_is_still_answered(answerer):
    assert "相辅相成" in answerer.answer("创先争优和学习实践活动什么关系", at("2010-05-12")).text


# ---- English ----

@pytest.mark.parametrize("text, fact, english", [
    ("When does the second phase end?", "2011年6月底", "end of June 2011"),
    ("What are the five goods for grassroots party organizations?", "领导班子好", "Five Goods"),
    ("where do county committees send their implementation plan and by when", "州委创先争优活动办公室",
     "15 May 2010"),
], ids=["phase-end", "five-goods", "plan-report"])
def test_an_english_question_gets_the_facts_in_chinese_and_an_english_gist(answerer, text, fact, english):
    reply = answerer.answer(text, at("2010-05-12"))
    assert fact in reply.text
    assert reply.text.splitlines()[-1].startswith("In English:") and english in reply.text.splitlines()[-1]


def test_an_english_question_about_another_campaign_is_declined_for_that_reason(answerer):
    reply = answerer.answer("Tell me about the Mass Line education campaign", at("2010-05-12"))
    assert reply.intent == "unknown" and "另一项活动" in reply.text and "only about this" in reply.text


@pytest.mark.parametrize("before, text, expected", [
    (["四联一带是哪些"], "第三个具体说说", "思想上常引导"),
    (["活动分几个阶段"], "第二个要干啥", "全面开展创建活动"),
], ids=["topic-item", "phase-item"])
def test_an_ordinal_follow_up_takes_that_item_of_the_last_list(answerer, before, text, expected):
    previous = answerer.answer(before[0], at("2010-05-12")).asked
    assert expected in answerer.answer(text, at("2010-05-12"), previous=previous).text


@pytest.mark.parametrize("raw, normal", [
    ("基层dongyuan会议", "基层动员会议"), ("实施方案shang报给谁", "实施方案上报给谁"),
], ids=["whole-word", "with-its-character"])
def test_pinyin_typed_among_chinese_becomes_the_campaign_word(answerer, raw, normal):
    assert answerer.normalize(raw) == normal


@pytest.mark.parametrize("day, lead", [("2010-05-13", "还没到截止日期"), ("2010-05-16", "已经过了截止日期")])
def test_can_we_still_says_plainly_whether_the_deadline_has_passed(answerer, day, lead):
    text = answerer.answer("实施方案现在报还来得及吗", at(day), unit_kind="县市委").text
    assert text.startswith(lead) and "2010年5月15日前" in text


def test_a_compound_question_gets_every_part_once(answerer):
    text = answerer.answer("县委方案什么时候定 什么时候报上去", at("2010-05-12"), unit_kind="县市委").text
    assert "2010年5月10日前" in text and "将实施方案上报" in text
    assert text.count("将实施方案上报州委创先争优活动办公室") == 1


def test_relating_this_campaign_to_one_the_source_never_names_is_declined_as_another_campaign(answerer):
    reply = answerer.answer("三严三实和创先争优啥关系", at("2010-05-12"))
    assert reply.intent == "unknown" and "另一项活动" in reply.text


def test_a_part_of_a_message_asking_only_the_deadline_takes_its_subject_from_the_part_before(answerer):
    text = answerer.answer("咱们县里方案交了没有，截止是哪天", at("2010-05-20"), unit_kind="县市委").text
    assert "将实施方案上报" in text and "第三阶段" not in text


def test_days_to_a_task_named_with_its_phase_count_to_the_task(answerer):
    text = answerer.answer("第二阶段的表彰还有多少天", at("2011-06-01")).text
    assert text.startswith("2011年7月1日前（还有30天") and "七一" in text


@pytest.mark.parametrize("text", ["我们还要做什么", "现在该干啥了"])
def test_what_to_do_now_lists_the_askers_unit_tasks(answerer, text):
    reply = answerer.answer(text, at("2010-05-12"), unit_kind="基层党组织")
    assert reply.intent == "unit_tasks" and "2010年5月15日前" in reply.text


def test_a_slash_command_keeps_its_text_for_the_router(answerer):
    assert answerer.classify("/progress").normalized == "/progress"


@pytest.mark.parametrize("text, fact", [
    ("What is the Branch Fortress Project?", "书记有本领"),
    ("How many days until the end of phase one?", "还有19天"),
    ("Does the source say how much money?", "原文没有写任何金额"),
], ids=["file-english-term", "days-until", "money"])
def test_english_reads_the_files_own_english_terms_and_common_phrases(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-12")).text


def test_days_to_a_phase_that_has_not_started_count_to_its_start(answerer):
    text = answerer.answer("第二阶段还有几天开始", at("2010-05-20")).text
    assert text.startswith("第二阶段（全面争创、扎实推进阶段）从2010年6月起，还有12天")


def test_what_about_another_unit_kind_replaces_the_unit_of_the_last_question(answerer):
    previous = answerer.answer("县委要干啥", at("2010-05-12")).asked
    text = answerer.answer("那州直单位呢", at("2010-05-12"), previous=previous).text
    assert text.startswith("州直党(工)委要做的事") and "【县市委】" not in text


def test_a_units_tasks_in_a_phase_list_its_deadlines_in_that_phase(answerer):
    text = answerer.answer("我们县委第一阶段有哪些任务", at("2010-05-12"), unit_kind="县市委").text
    assert "广泛开展动员部署" in text and "县市委在这个阶段的截止事项" in text and "2010年5月10日前" in text


def test_a_day_the_question_names_finds_the_deadline_of_that_day(answerer):
    text = answerer.answer("方案5月10号前没弄完，现在补还算数吗", at("2010-05-12"), unit_kind="县市委").text
    assert text.startswith("已经过了截止日期") and "2010年5月10日前" in text


def test_deadlines_of_every_unit_kind_the_question_names(answerer):
    text = answerer.answer("县委和基层的动员会分别几号前开", at("2010-05-12")).text
    assert "2010年5月10日前" in text and "2010年5月15日前" in text


@pytest.mark.parametrize("text", ["全州有多少个基层党组织", "专家联点要给每个村派几个专家"])
def test_a_count_the_source_never_gives_is_declined_even_when_a_topic_is_named(answerer, text):
    reply = answerer.answer(text, at("2010-05-12"))
    assert reply.intent == "unknown" and "原文没有给出这个数字" in reply.text


@pytest.mark.parametrize("text", ["五个好有几个", "活动分儿个阶段", "州委一共表彰几次", "四联一带有几联"])
def test_counts_the_source_gives_are_answered(answerer, text):
    assert answerer.answer(text, at("2010-05-12")).intent not in DECLINED


@pytest.mark.parametrize("text, unit, quoted", [
    ("2011年七一以前我们支部自己也要搞表彰吗", "基层党组织", "各基层党组织也要采取适当方式进行表彰奖励"),
    ("学习实践活动总结大会上总书记讲话是几月几号", None, "4月6日"),
    ("县委组织部宣传部在这次活动中负啥责任", "县市委", "领导和指导责任"),
], ids=["unit-kind-sentence", "campaign-the-source-names", "paraphrase"])
def test_the_source_sentence_that_answers_is_quoted(answerer, text, unit, quoted):
    assert quoted in answerer.answer(text, at("2010-05-12"), unit_kind=unit).text


def test_a_part_after_one_about_another_campaign_is_not_answered_with_this_one(answerer):
    text = answerer.answer("学习实践科学发展观活动分几个阶段，第一阶段叫啥", at("2010-05-12")).text
    assert "另一项活动" in text and "广泛发动" not in text


@pytest.mark.parametrize("text, fact", [
    ("How long does the campaign last?", "十八大召开前基本结束"),
    ("What should grassroots branches do in phase two?", "全面开展创建活动"),
], ids=["how-long", "what-should-do"])
def test_english_questions_about_time_and_tasks(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-12")).text


def test_moving_on_before_a_phase_is_done_is_answered_by_the_rule(answerer):
    text = answerer.answer("今天5月底了第一阶段的事没弄完能进第二阶段不", at("2010-05-31")).text
    assert "每个阶段的任务必须完成后才能转入下一阶段" in text


@pytest.mark.parametrize("text, facts", [
    ("五个好和五带头分别是啥", ("领导班子好", "带头学习提高")),
    ("2011年和2012年七一前州委分别表彰啥", ("优秀党务工作者", "专项表彰")),
    ("目标要求和争创主题各是什么", ("推动科学发展", "构建和谐新甘南")),
    ("wgh wdt分别啥意思", ("群众反映好", "带头弘扬正气")),
], ids=["two-lists", "two-years", "two-topics", "initials"])
def test_a_question_about_two_subjects_answers_each(answerer, text, facts):
    reply = answerer.answer(text, at("2010-05-12")).text
    assert all(fact in reply for fact in facts)


@pytest.mark.parametrize("text, normal", [("四联联一带", "四联一带"), ("第二接段", "第2阶段")])
def test_a_doubled_character_and_a_slip_that_completes_a_phase(answerer, text, normal):
    assert answerer.normalize(text) == normal


def test_a_framing_word_is_not_a_terms_slip(answerer):
    assert answerer.normalize("教育局和卫生局党组织分别指导哪些单位").endswith("分别指导哪些单位")


def test_a_units_deadline_list_names_what_it_just_missed_in_this_phase(answerer):
    text = answerer.answer("我们有哪些截止时间", at("2010-05-12"), unit_kind="县市委").text
    assert "2010年5月10日前（已经过去2天）" in text and "2010年5月15日前" in text


def test_then_a_generic_subject_asks_it_of_the_last_question(answerer):
    previous = answerer.answer("领导联校抓什么", at("2010-05-12")).asked
    assert "教风正" in answerer.answer("那要达到什么目标", at("2010-05-12"), previous=previous).text


def test_the_office_is_named_in_full(answerer):
    assert "州委创先争优活动办公室" in answerer.answer("活动办的全称是啥", at("2010-05-12")).text


def test_after_the_described_phases_a_units_tasks_say_what_the_source_says(answerer):
    text = answerer.answer("现在该干啥", at("2012-07-15"), unit_kind="县市委").text
    assert "没有写第四阶段" in text


def test_a_long_message_of_several_questions_is_still_too_long(answerer):
    text = "？".join(["五个好是什么" + "啊" * 80] * 3)  # 260 characters, each part under 200
    assert answerer.answer(text, at("2010-05-12")).intent == "bad_input"


# ---- issue 11, after blind batch 4 ----

@pytest.mark.parametrize("text, fact", [
    ("创先争优第三阶级啥时候", "2011年7月"),  # 阶级 is a word, but 第三阶级 is 第三阶段 misheard
    ("创先争有活动的主题", "构建和谐新甘南"),  # 有 sounds like 优 inside 创先争优
    ("五个好先进基层党组只是哪五好", "领导班子好"),  # 党组只 is 党组织 cut through 只是
    ("争刨活动在哪里开展", "群众团体"),  # the sentence holding 争创活动 as typed
], ids=["jieji", "zhengyou", "dangzuzhi", "zhengchuang"])
def test_a_slip_is_judged_by_the_whole_term(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-12")).text


@pytest.mark.parametrize("text, unit, fact, other", [
    ("东员大会啥时候开", "基层党组织", "5月15日", "5月10日"),
    ("动员大会啥时候开", "县市委", "5月10日", "5月15日"),
    ("When must county party committees hold the mobilization meeting?", None, "5月10日", "5月15日"),
], ids=["grassroots-asks", "county-asks", "english-county"])
def test_a_deadline_is_the_one_the_askers_kind_of_unit_does_itself(answerer, text, unit, fact, other):
    reply = answerer.answer(text, at("2010-05-03"), unit_kind=unit).text
    assert fact in reply and other not in reply


def test_what_now_without_a_campaign_term_gives_todays_phase(answerer):
    assert "第一阶段" in answerer.answer("现在干啥", at("2010-05-12")).text


def test_a_statement_before_a_question_is_only_context(answerer):
    assert "五个好" in answerer.answer("我刚到乡镇上班 创先争优是个啥", at("2010-05-12")).text


def test_names_set_off_by_spaces_are_each_answered(answerer):
    text = answerer.answer("我在写材料 麻烦把三项教育 三大工程 四联一带的全称都列一下", at("2010-05-12")).text
    assert all(fact in text for fact in ("形势任务教育", "支部堡垒工程", "领导联校"))


def test_an_english_question_may_spell_a_term_in_pinyin(answerer):
    assert "领导班子好" in answerer.answer("what does wu ge hao mean", at("2010-05-12")).text


@pytest.mark.parametrize("day, start", [("2010-05-31", "是的"), ("2010-05-21", "不是")])
def test_whether_today_is_a_phases_last_day_is_answered_yes_or_no_first(answerer, day, start):
    assert answerer.answer("今天是不是第一阶段最后一天", at(day)).text.startswith(start)


def test_a_task_missed_asks_what_now_and_gets_the_rule_on_moving_on(answerer):
    text = answerer.answer("我们支部动员会议还没开 现在咋办", at("2010-06-02"), unit_kind="基层党组织").text
    assert text.startswith("已经过了截止日期") and "第二阶段" in text and "转入下一阶段" in text


def test_a_counted_name_the_source_never_lists_is_declined_saying_so(answerer):
    reply = answerer.answer("五个基本建设是哪五个", at("2010-05-12"))
    assert reply.intent == "unknown" and "没有列出" in reply.text


def test_a_units_tasks_quote_its_undated_duties(answerer):
    text = answerer.answer("我们机关党委要做哪些事", at("2010-05-03"), unit_kind="州直党(工)委").text
    assert "5月10日" in text and "成立领导小组" in text


@pytest.mark.parametrize("text, fact", [
    ("典型要符合啥标准", "经得起推敲"),  # the quoted list of qualities before 先进典型
    ("确定活动主题要达到什么效果", "目标看得见"),  # the step and what it is for (…，使…)
], ids=["qualities", "effect"])
def test_a_part_answered_by_one_sentence_gets_that_sentence(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-12")).text


def test_a_unit_asking_whether_it_may_be_commended_gets_the_commendation_naming_it(answerer):
    text = answerer.answer("我们党工委有没有评先的机会", at("2010-05-12"), unit_kind="州直党(工)委").text
    assert "成绩显著的先进党(工)委" in text


@pytest.mark.parametrize("text, day, unit, expected", [
    ("今天要开啥会", "2010-05-10", "县市委", "2010年5月10日前（就是今天）"),  # a day named from today (time-aware)
    ("后天要交啥", "2010-05-13", "基层党组织", "2010年5月15日前（还有2天）"),
    ("这阵子我们该干啥", "2010-08-01", "县市委", "第二阶段"),  # 这阵子 is now (what now)
    ("全面争创扎实推进是哪个阶段", "2010-05-12", None, "第二阶段是全面争创、扎实推进阶段"),  # a phase by its name
    ("州直的方案该报齐了吧", "2010-05-20", "活动办", "已经过了截止日期"),  # presumed done: has it passed
    ("方案什么时候弄", "2010-05-03", "州直党(工)委", "2010年5月10日前"),  # both deadlines of one task
    ("方案什么时候弄", "2010-05-03", "州直党(工)委", "2010年5月15日前"),
    ("请问咱们这个活动的目标要求有哪些", "2010-05-12", None, "推动科学发展"),  # …活动的X is X (filler)
    ("开展情况要给群众知会一下吗", "2010-05-12", None, "通报"),  # 说一声/知会 is 通报 (colloquial)
])
def test_round_seven_mechanisms(answerer, text, day, unit, expected):
    assert expected in answerer.answer(text, at(day), unit_kind=unit).text


def test_those_few_items_is_not_a_count(answerer):
    answer = answerer.answer("五带头那几个是啥", at("2010-05-12"))
    assert answer.intent not in ("unknown", "bad_input") and "带头" in answer.text


# ---- batch 9's mechanisms, in words of their own ----

def test_an_unknown_word_weighs_by_what_it_is():
    from bot.understanding.lexicon import a_word, names_a_thing
    assert names_a_thing("工资") and names_a_thing("党费") and names_a_thing("2013")  # another thing asked about
    assert not names_a_thing("打分") and not names_a_thing("瞎")  # how it is said
    assert a_word("打分") and not a_word("块说")  # a fragment glued from single characters


def test_a_spoken_verb_the_file_never_uses_does_not_turn_an_answer_into_a_decline(answerer):
    text = answerer.answer("群众能给我们评议打分吗", at("2010-05-12")).text
    assert "请群众评议" in text
    assert answerer.answer("党费怎么交", at("2010-05-12")).intent == "unknown"  # a thing the file never names


@pytest.mark.parametrize("text, now, fact", [
    ("第二阶段都过完了 后面还有啥", "2011-08-01", "对标定位"),
    ("第三阶段完了以后还有啥阶段", "2012-08-01", "十八大"),
    ("七一表彰过了下一步干什么", "2011-07-10", "对标定位"),
])
def test_what_comes_after_a_named_phase_or_passed_deadline(answerer, text, now, fact):
    assert fact in answerer.answer(text, at(now)).text


def test_and_after_that_follows_the_last_questions_subject(answerer):
    first = answerer.answer("第一阶段什么时候结束", at("2010-05-20"))
    assert "全面争创" in answerer.answer("完了以后呢", at("2010-05-20"), previous=first.asked).text


def test_a_statement_naming_a_unit_before_the_question_keeps_its_kind(answerer):
    assert "5月10日" in answerer.answer("我们这是县委 动员大会几号开", at("2010-05-06")).text


def test_what_a_thing_is_called_is_no_question_about_a_person(answerer):
    reply = answerer.answer("第三个工程叫什么名字来着", at("2010-05-12"))
    assert reply.intent != "unknown" and "组织创新工程" in reply.text


@pytest.mark.parametrize("text, fact", [
    ("By when do grassroots branches have to finish the plan?", "5月15日"),
    ("Which leaders are mainly responsible?", "第一责任人"),
])
def test_english_finishing_a_plan_and_responsibility(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-06")).text


# ---- batches 10 and 11's mechanisms, in words of their own ----

@pytest.mark.parametrize("text, fact", [
    ("县上开的那个会是干撒的", "主要任务"),  # 撒 said for 啥, the meeting named as the cadre saw it
    ("第三阶什么时候开始", "2011年7月"),  # 第三阶 cut short
    ("五带个头都是啥", "带头遵纪守法"),  # a filler inside a short term
    ("三大程工是什么", "组织创新工程"),  # two characters swapped
    ("创先争优跟学习实践活动是个啥关系", "相辅相成"),  # a heading's words: the paragraph it heads answers
    ("活动的内容形式载体咋要求的", "更加多样"),  # a sentence holding more of the question than the topic named
    ("我是中学老师 我得做到哪五好", "家长反映好"),  # a teacher's 五好
    ("机关工委管哪些单位", "机关单位"),
])
def test_slips_and_paragraphs_of_batches_ten_and_eleven(answerer, text, fact):
    assert fact in answerer.answer(text, at("2010-05-12")).text


def test_a_unit_asked_again_in_the_same_message_gets_its_own_deadline(answerer):
    text = answerer.answer("县委啥时候开动员大会 那下面的支部呢", at("2010-05-03"), unit_kind="县市委").text
    assert "5月10日" in text and "5月15日" in text


def test_time_asked_after_a_phase_was_named(answerer):
    first = answerer.answer("第二阶段叫啥", at("2010-05-12"))
    assert "2011年6月底" in answerer.answer("时间呢", at("2010-05-12"), previous=first.asked).text


def test_an_hour_of_the_day_is_declined_saying_the_source_gives_days(answerer):
    reply = answerer.answer("动员大会几点开", at("2010-05-06"))
    assert reply.intent == "unknown" and "没有写几点钟" in reply.text


def test_two_commendations_asked_together_are_both_answered(answerer):
    text = answerer.answer("2011年七一前跟2012年七一前各表彰谁", at("2010-05-12")).text
    assert "优秀党务工作者" in text and "成绩显著" in text


# ---- batches 12 to 18: their mechanisms, in words of their own (each row names the batch whose class it serves) ----

LATER_BATCH_QUESTIONS = [  # (text, local day asked, asker's unit kind, a fact the answer must give)
    ("学习实践活动在甘南都解决了啥", "2010-05-12", None, "党性、党风、党纪"),  # 12: 甘南 is the source's 全州
    ("老百姓可以监督我们吗", "2010-05-12", None, "民主监督"),  # 12: the topic gives its whole paragraph
    ("第一阶段今天就结束了吗", "2010-05-31", None, "是的"),  # 12: today is its last day
    ("领导下来都看些啥", "2010-05-12", None, "点评"),  # 12
    ("双联行动要求干部联几户", "2012-04-01", None, "另一项活动"),  # 12: another campaign of the province
    ("第二阶段最后一天了吧后天干什么", "2011-06-30", None, "是的"),  # 13: said without a pause, two questions
    ("第二阶段结束了 下一阶段干啥", "2011-07-10", None, "对标定位"),  # 13: next after the one said to have ended
    ("表张会啥时候开", "2011-06-10", None, "2011年7月1日"),  # 13: 表彰会, and its 会 no 动员大会
    ("我是尕海乡的书记我们乡党委要干些啥", "2010-05-12", None, "5月15日"),  # 13: an introduction without a pause
    ("我们县委的动员会开晚了 还算按期吗", "2010-05-11", "县市委", "已经过了截止日期"),  # 13
    ("评先进典型有啥标准", "2010-05-12", None, "经得起推敲"),  # 13: the qualities sentence, not the topic
    ("州委搞三项教育四联一带这些是为了啥", "2010-05-12", None, "两不误"),  # 13: the purpose of all together
    ("督导每个阶段讲究什么原则", "2010-05-12", None, "时间服从质量"),  # 13
    ("What should student members of the Party become?", "2010-05-12", None, "品学兼优"),  # 13
    ("动员大会前天没开上 现在开还算数吗", "2010-05-12", "县市委", "已经过了截止日期"),  # 14: the statement before
    ("县市委动员大会要在5月几前开", "2010-05-06", "县市委", "5月10日"),  # 14: 5月几 asks a day, not a number
    ("包户的干部要干些撒", "2010-05-12", None, "思想上常引导"),  # 14: the pairing, not the cadre's own list
    ("基层党组织的动员会还剩几天", "2010-05-12", None, "还有3天"),  # 15: the kind named picks its deadline
    ("前一个阶段没整完 可以先进下一阶段不", "2010-06-02", None, "必须完成后才能转入下一阶段"),  # 15
    ("下个月要干什么", "2011-06-20", None, "对标定位"),  # 15
    ("活动完了没有", "2012-08-20", None, "第三阶段已于2012年6月底结束"),  # 15: after the described phases
    ("俺是垂直管理部门的 这咋弄", "2010-05-12", None, "本系统"),  # 15: a short question is about who asks
    ("三大程都叫啥", "2010-05-12", None, "组织创新工程"),  # 16: a character left out of a term
    ("四联带都有啥", "2010-05-12", None, "专家联点"),  # 16
    ("三讲教育是怎么回事", "2010-05-12", None, "另一项活动"),  # 16: another campaign is no slip of 三项教育
    ("我是村官 这活动里我干点啥", "2010-05-12", None, "村官"),  # 16: "I" is the one introduced
    ("乡党委现在该干啥", "2010-06-15", "基层党组织", "全面争创"),  # 17: now + a unit: its list
    ("基层组织建设年是咋回事", "2012-03-01", None, "另一项活动"),  # 17
    ("下一个阶段几时开始", "2012-03-01", None, "2012年6月底结束"),  # 17: where the described ones end
    ("创先争优和学习实践活动有啥不一样", "2010-05-12", None, "相辅相成"),  # 17
    ("整个活动时间范围多大", "2010-05-12", None, "十八大召开前"),  # 18: the campaign's span as a range
    ("支部党员学法学点撒", "2010-05-12", None, "宪法"),  # 18
]


@pytest.mark.parametrize("text, day, unit, fact", LATER_BATCH_QUESTIONS)
def test_later_batches_mechanisms(answerer, text, day, unit, fact):
    assert fact in answerer.answer(text, at(day), unit_kind=unit).text


LATER_BATCH_FOLLOW_UPS = [  # (first question, the follow-up, local day, asker's unit kind, facts the follow-up gives)
    ("支部堡垒工程的目标是啥", "还有呢", "2010-05-12", None, ("党员先锋工程", "组织创新工程")),  # 13: the list
    ("四联一带都有哪几个", "各自目标是啥", "2010-05-12", None, ("领导联校", "专家联点")),  # 14
    ("第三阶段啥时候结束", "那到时候要表彰哪些", "2010-11-20", None, ("专项表彰",)),  # 15
    ("动员大会几号开", "开完以后报给谁", "2010-05-06", "县市委", ("州委创先争优活动办公室",)),  # 16
    ("机关联村指的啥", "具体要做到哪些", "2010-05-12", None, ("阵地联建",)),  # 17
]


@pytest.mark.parametrize("first, text, day, unit, facts", LATER_BATCH_FOLLOW_UPS)
def test_later_batches_follow_ups(answerer, first, text, day, unit, facts):
    before = answerer.answer(first, at(day), unit_kind=unit)
    reply = answerer.answer(text, at(day), unit_kind=unit, previous=before.asked).text
    assert all(fact in reply for fact in facts), reply


def test_and_more_before_a_question_is_not_answered_on_its_own(answerer):
    first = answerer.answer("第一阶段要干啥", at("2010-05-04"))
    text = answerer.answer("还有呢 具体要干啥", at("2010-05-04"), previous=first.asked).text
    assert text.splitlines()[0].startswith(("第一阶段", "现在")) and "细化工作任务" in text


def test_what_follows_in_a_list_is_not_the_next_phase(answerer):
    text = answerer.answer("服务大局 典型带动 后面那两个是啥", at("2010-05-12")).text
    assert "五个基本建设" in text and "接下来" not in text
