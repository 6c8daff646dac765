"""The shipped campaign file: faithful to the source, clean simplified Chinese, every entry traceable to a paragraph."""

from __future__ import annotations

import re
import shutil
from dataclasses import fields, is_dataclass
from datetime import date
from pathlib import Path

import opencc
import pytest

from bot.campaign import DEFAULT_CAMPAIGN_FILE, CampaignError, load_campaign

SOURCE = (Path(__file__).parent / "data" / "source_simplified.txt").read_text(encoding="utf-8")
CENTRAL_OPINION = "中共中央办公厅《关于在党的基层组织和党员中深入开展创先争优活动的意见》"
# The source's scanning errors (seed README), and 整政落实 (for 整改落实), found while writing the file.
TYPOS = ("讲儿点", "学书记", "永藻", "耍", "叁与", "促迸", "惟迸", "争刨", "2O11", "深人", "限朗", "面临著", "整政落实")
SECTIONS = "一二三四"


@pytest.fixture(scope="module")
def campaign():
    return load_campaign()


def all_strings(value) -> list[str]:
    """Every string held by a campaign object."""
    if isinstance(value, str):
        return [value]
    if is_dataclass(value):
        return [s for f in fields(value) for s in all_strings(getattr(value, f.name))]
    if isinstance(value, (tuple, list)):
        return [s for item in value for s in all_strings(item)]
    return []


def section(number: str) -> str:
    """The text of top-level section 一..四 of the source."""
    start = SOURCE.index(f"\n{number}、")
    later = [SOURCE.find(f"\n{n}、", start + 1) for n in SECTIONS[SECTIONS.index(number) + 1:]]
    end = min([i for i in later if i > 0], default=len(SOURCE))
    return SOURCE[start:end]


def paragraph_exists(ref: str) -> bool:
    """True when a ref such as 二(四), 三(二)3, 四(一), 一 or 开头 names a paragraph of the source."""
    match = re.fullmatch(r"(开头)|([一二三四])(?:\(([一二三四])\))?(\d)?", ref)
    if not match:
        return False
    if match.group(1):
        return "这次会议的主要任务" in SOURCE
    text = section(match.group(2))
    sub, item = match.group(3), match.group(4)
    if sub:
        # Section 四 numbers its parts 一要…四要; the others write (一)…(四).
        marker = f"{sub}要" if match.group(2) == "四" else f"({sub})"
        if marker not in text:
            return False
        text = text[text.index(marker):]
    return item is None or f"\n{item}、" in text


def test_every_entry_refers_to_an_existing_paragraph(campaign):
    refs = [campaign.ref, *(p.ref for p in campaign.phases), *(d.ref for d in campaign.deadlines),
            *(t.ref for t in campaign.topics)]
    bad = [r for ref in refs for r in ref.split("、") if not paragraph_exists(r)]
    assert not bad


@pytest.mark.parametrize("ref, exists", [("二(四)", True), ("三(二)3", True), ("四(四)", True), ("一(三)", True),
                                         ("二(五)", False), ("三(二)4", False), ("五", False), ("2.4", False)])
def test_paragraph_check_can_fail(ref, exists):
    assert paragraph_exists(ref) is exists


def test_no_typo_of_the_source_is_repeated(campaign):
    text = "\n".join(all_strings(campaign))
    assert [t for t in TYPOS if t in text] == []
    assert "、。" not in text


def test_everything_is_simplified_chinese(campaign):
    t2s = opencc.OpenCC("t2s")
    assert [s for s in all_strings(campaign) if t2s.convert(s) != s] == []


def test_numbers_in_texts_come_from_the_source(campaign):
    """Texts may only use numbers the source prints (2010 is the source's 今年); dates live in date fields."""
    known = set(re.findall(r"\d+", SOURCE)) | {"2010"}
    texts = [t.text for t in campaign.topics] + [p.summary for p in campaign.phases]
    texts += [d.task for d in campaign.deadlines]
    assert {n for t in texts for n in re.findall(r"\d+", t)} <= known


def test_phases_match_the_source(campaign):
    dates = [(p.number, p.start, p.end) for p in campaign.phases if p.described]
    assert dates == [(1, date(2010, 4, 1), date(2010, 5, 31)), (2, date(2010, 6, 1), date(2011, 6, 30)),
                     (3, date(2011, 7, 1), date(2012, 6, 30))]
    assert [p.name for p in campaign.phases][:3] == ["广泛发动、安排部署阶段", "全面争创、扎实推进阶段", "对标定位、晋档升级阶段"]


def test_fourth_phase_is_announced_not_described(campaign):
    fourth = campaign.phase(4)
    assert not fourth.described and fourth.start is None and fourth.end is None
    assert "没有写第四阶段的名称、内容和时间" in fourth.summary
    assert "十八大召开前基本结束" in fourth.summary
    assert campaign.end_text == "2012年党的十八大召开前基本结束"


@pytest.mark.parametrize("deadline_id, due, binds", [
    ("county-plan-meeting", date(2010, 5, 10), {"县市委", "州直党(工)委"}),
    ("grassroots-plan-meeting", date(2010, 5, 15), {"基层党组织"}),
    ("plan-report", date(2010, 5, 15), {"县市委", "州直党(工)委"}),
    ("commendation-2011", date(2011, 7, 1), {"活动办"}),
    ("commendation-2012", date(2012, 7, 1), {"活动办"}),
    ("campaign-end", date(2012, 11, 8), {"基层党组织", "县市委"}),
])
def test_deadlines_match_the_source(campaign, deadline_id, due, binds):
    deadline = campaign.deadline(deadline_id)
    assert deadline.due == due and binds <= set(deadline.binds) and not deadline.problem


def test_grassroots_plan_deadline_does_not_bind_counties_alone(campaign):
    assert "县市委" not in campaign.deadline("county-plan-meeting").task
    assert "基层党组织" not in campaign.deadline("county-plan-meeting").binds


def test_unit_tasks_are_the_deadlines_units_report_not_the_phase_ends(campaign):
    assert [d.id for d in campaign.unit_tasks()] == [
        "county-plan-meeting", "grassroots-plan-meeting", "plan-report", "commendation-2011", "commendation-2012"]
    assert campaign.deadline("phase1-end").binds  # still a date every unit is reminded of
    grassroots = campaign.deadline("grassroots-plan-meeting")
    assert grassroots.reporters == ("基层党组织",) and "县市委" in grassroots.binds  # counties reminded to supervise


REQUIRED_TOPICS = {
    "theme": None, "goals": 4, "main-content": 2, "five-good": 5, "five-lead": 5, "significance": 3,
    "three-educations": 3, "three-projects": 3, "project-vanguard": 5, "project-fortress": 5, "project-innovation": 5,
    "four-links": 5, "link-village": 7, "link-household": 4, "teacher-five-good": 5, "interaction": 3,
    "organisation": 4, "phases-overview": 3, "practice-principle": 4,
    "classified-guidance": None, "local-features": 3, "responsibility-chain": None,
}


@pytest.mark.parametrize("topic_id, items", REQUIRED_TOPICS.items(), ids=list(REQUIRED_TOPICS))
def test_required_topics_exist_with_their_items(campaign, topic_id, items):
    topic = campaign.topic(topic_id)
    assert topic is not None and topic.text and topic.ref
    if items is not None:
        assert len(topic.items) == items
        assert all(re.sub("[“”，、]", "", item) in re.sub("[“”，、]", "", topic.text) for item in topic.items)


@pytest.mark.parametrize("parent, children", [
    ("significance", 3), ("three-educations", 3), ("three-projects", 3), ("four-links", 5), ("organisation", 5),
])
def test_parents_have_their_parts(campaign, parent, children):
    assert len([t for t in campaign.topics if t.parent == parent]) == children


def test_parents_exist(campaign):
    ids = {t.id for t in campaign.topics}
    assert {t.parent for t in campaign.topics if t.parent} <= ids


def test_five_good_and_five_lead_name_their_source_and_differ_from_teachers_five_good(campaign):
    for topic_id in ("five-good", "five-lead"):
        assert campaign.topic(topic_id).source == CENTRAL_OPINION
    assert campaign.topic("five-good").items == ("领导班子好", "党员队伍好", "工作机制好", "工作业绩好", "群众反映好")
    assert campaign.topic("five-lead").items == ("带头学习提高", "带头争创佳绩", "带头服务群众", "带头遵纪守法", "带头弘扬正气")
    teachers = campaign.topic("teacher-five-good")
    assert not teachers.source and not set(teachers.items) & set(campaign.topic("five-good").items)


def test_source_texts_are_quoted_faithfully(campaign):
    """Lists taken from the source appear in it word for word."""
    for topic_id in ("goals", "project-vanguard", "project-fortress", "project-innovation", "link-village",
                     "link-household", "teacher-five-good"):
        for item in campaign.topic(topic_id).items:
            assert item.replace("“", "‘").replace("”", "’") in SOURCE or item in SOURCE, (topic_id, item)


def test_another_campaign_file_can_be_used(tmp_path):
    other = tmp_path / "other.toml"
    text = DEFAULT_CAMPAIGN_FILE.read_text(encoding="utf-8").replace('id = "gannan-cxzy-2010"', 'id = "other"', 1)
    other.write_text(text, encoding="utf-8")
    assert load_campaign(other).id == "other"


def test_a_bad_deadline_date_is_reported_not_fatal(tmp_path):
    bad = tmp_path / "bad.toml"
    shutil.copy(DEFAULT_CAMPAIGN_FILE, bad)
    bad.write_text(bad.read_text(encoding="utf-8").replace('due = "2010-05-10"', 'due = "2010-05-32"', 1),
                   encoding="utf-8")
    deadline = load_campaign(bad).deadline("county-plan-meeting")
    assert deadline.due is None and "YYYY-MM-DD" in deadline.problem


def test_a_missing_file_is_a_clear_error(tmp_path):
    with pytest.raises(CampaignError, match="找不到活动文件"):
        load_campaign(tmp_path / "none.toml")


def test_the_whole_source_is_kept_sentence_by_sentence(campaign):
    """Every sentence of the minutes is in the file (corrected), each under an existing paragraph."""
    kept = "".join(s.text for s in campaign.sentences)
    body = SOURCE[SOURCE.index("这次会议的主要任务"):]
    for wrong, right in (("耍", "要"), ("永藻", "永葆"), ("限朗", "限期"), ("深人", "深入"), ("2O11", "2011"),
                         ("叁与", "参与"), ("促迸", "促进"), ("惟迸", "推进"), ("争刨", "争创"), ("整政", "整改"),
                         ("学书记", "学习贯彻总书记"), ("今年", "今年2010年")):
        body = body.replace(wrong, right)
    for sentence in re.findall(r"[^。；\n]{12,}", body):
        probe = re.sub(r"[\"“”:：,，、()（）著着\s]", "", sentence)[:12]
        assert probe in re.sub(r"[\"“”:：,，、()（）著着\s]", "", kept), sentence
    assert not [s.ref for s in campaign.sentences if not paragraph_exists(s.ref)]
