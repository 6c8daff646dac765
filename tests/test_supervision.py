"""Supervision records: reviews flow to what counts, unit tasks by scope, notices reach their scope once."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from bot.store import scopes, supervision
from bot.store.supervision import NEEDS_MORE, PASSED, Evidence

NOW = datetime(2010, 5, 12, 2, 0, tzinfo=timezone.utc)


def add_visit(db, visit_id, cadre, household, at):
    db.execute("INSERT INTO visits (id, cadre_id, household_id, reported_at, visited_at) VALUES (?, ?, ?, ?, ?)",
               (visit_id, cadre, household, at.isoformat(), at.isoformat()))
    return db.execute("SELECT session_id FROM visits WHERE id = ?", (visit_id,)).fetchone()[0]


def last_visit(db, household):
    return db.execute("SELECT last_visit_at FROM pairings WHERE household_id = ?", (household,)).fetchone()[0]


def test_a_visit_needing_more_stops_counting_until_a_new_photo_is_attached(db):
    session = add_visit(db, 1, "C1", "H1", NOW)
    assert supervision.review_visit(db, session, NEEDS_MORE, "C3", "照片看不清", NOW + timedelta(hours=5))
    assert last_visit(db, "H1") is None
    assert supervision.needing_more(db, "C1") == [(session, "示例户一", NOW.isoformat(), "照片看不清")]
    later = add_visit(db, 2, "C1", "H1", NOW + timedelta(days=2))
    assert supervision.supplement_visit(db, 2, session)
    assert db.execute("SELECT review_state FROM visit_sessions WHERE id = ?", (session,)).fetchone()[0] == "待审核"
    assert last_visit(db, "H1") == NOW.isoformat()  # counts again, as of the visit itself
    assert db.execute("SELECT COUNT(*) FROM visit_sessions WHERE id = ?", (later,)).fetchone()[0] == 0
    history = db.execute("SELECT state, reviewer_id FROM visit_reviews WHERE session_id = ? ORDER BY id",
                         (session,)).fetchall()
    assert history == [(NEEDS_MORE, "C3"), ("待审核", None)]


def test_a_review_is_pass_or_needs_more_and_of_an_existing_visit(db):
    session = add_visit(db, 1, "C1", "H1", NOW)
    assert supervision.review_visit(db, session, PASSED, "C3", "", NOW)
    assert not supervision.review_visit(db, 999, PASSED, "C3", "", NOW)
    with pytest.raises(ValueError):
        supervision.review_visit(db, session, "待审核", "C3", "", NOW)


def test_task_status_lists_the_scope_units_of_the_bound_kinds_not_done_first(db):
    evidence = Evidence("ab" * 32, "document", "实施方案.docx", "ab/abab.docx")
    assert supervision.report_task_done(db, "U01", "plan-report", "C3", NOW, evidence)
    assert not supervision.report_task_done(db, "U01", "plan-report", "C3", NOW + timedelta(hours=1))  # a re-report
    office = scopes.Scope("O", "活动办管理员", None, None)
    status = supervision.task_status(db, office, "plan-report", ("县市委", "州直党(工)委"))
    assert [(s.unit_id, s.done_at is not None) for s in status] == [("U02", False), ("U01", True)]
    county = scopes.scope_of(db, "C3")
    assert [s.unit_id for s in supervision.task_status(db, county, "plan-report", ("县市委", "州直党(工)委"))] == ["U01"]
    assert supervision.units_done(db, "plan-report") == {"U01"}


def test_a_notice_reaches_its_scope_but_its_sender_once_and_receipts_add_up(db):
    scope = scopes.scope_of(db, "C3")  # 示例县委's administrator: C1 and C2 are below
    notice = supervision.create_notice(db, scope, " 周五前上报走访情况 ", False, NOW)
    assert supervision.confirm_notice(db, notice, NOW) == 2
    assert supervision.confirm_notice(db, notice, NOW) == 2  # confirming twice adds nobody
    assert {r[0] for r in db.execute("SELECT cadre_id FROM notice_receipts")} == {"C1", "C2"}
    supervision.mark_delivered(db, notice, "C1", NOW)
    supervision.mark_undeliverable(db, notice, "C2", "未绑定")
    assert supervision.unread_to_remind(db, NOW + timedelta(days=1)) == [(notice, "C1")]
    assert supervision.mark_read(db, "C1", NOW + timedelta(hours=2)) == notice
    assert supervision.mark_read(db, "C1", NOW + timedelta(hours=3)) is None  # nothing unread left
    summary = supervision.notice_summary(db, notice)
    assert summary == supervision.NoticeSummary(2, 0, 1, 0, {"未绑定": 1})


@pytest.mark.parametrize("text", ["", "   ", "通" * 1001], ids=["empty", "blank", "too-long"])
def test_an_empty_or_oversized_notice_is_refused_before_anything_is_written(db, text):
    with pytest.raises(ValueError):
        supervision.create_notice(db, scopes.scope_of(db, "C3"), text, False, NOW)
    assert db.execute("SELECT COUNT(*) FROM notices").fetchone()[0] == 0


@pytest.mark.parametrize("cadre, household", [("C2", "H1"), ("C1", "H2")], ids=["other-cadre", "other-household"])
def test_a_supplement_must_be_the_same_cadres_visit_of_the_same_household(db, cadre, household):
    session = add_visit(db, 1, "C1", "H1", NOW)
    supervision.review_visit(db, session, NEEDS_MORE, "C3", "看不清", NOW)
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('x', '干部联户', 'C2', 'H1')")
    other = add_visit(db, 2, cadre, household, NOW + timedelta(days=1))
    assert not supervision.supplement_visit(db, 2, session)
    assert db.execute("SELECT review_state FROM visit_sessions WHERE id = ?", (session,)).fetchone()[0] == NEEDS_MORE
    assert db.execute("SELECT session_id FROM visits WHERE id = 2").fetchone()[0] == other


def test_confirming_derives_recipients_from_the_notice_not_from_the_caller(db):
    db.execute("INSERT INTO cadres (id, name, unit_id, role) VALUES ('C4', '州直干部', 'U02', '干部')")
    notice = supervision.create_notice(db, scopes.scope_of(db, "C3"), "开会", False, NOW)
    db.execute("UPDATE notices SET scope_unit_id = 'U02' WHERE id = ?", (notice,))  # stored for another unit
    assert supervision.confirm_notice(db, notice, NOW) == 1
    assert {r[0] for r in db.execute("SELECT cadre_id FROM notice_receipts")} == {"C4"}


def test_a_cancelled_notice_gets_no_receipts_even_if_confirmed_later(db):
    notice = supervision.create_notice(db, scopes.scope_of(db, "C3"), "开会", False, NOW)
    assert supervision.cancel_notice(db, notice)
    assert supervision.confirm_notice(db, notice, NOW) == 0
    assert db.execute("SELECT status FROM notices WHERE id = ?", (notice,)).fetchone()[0] == "cancelled"


def test_read_by_button_before_the_delivery_is_recorded_and_read_twice_is_fine(db):
    notice = supervision.create_notice(db, scopes.scope_of(db, "C3"), "开会", False, NOW)
    supervision.confirm_notice(db, notice, NOW)
    assert supervision.mark_read(db, "C1", NOW, notice) == notice  # still 'pending': the button came first
    assert supervision.mark_read(db, "C1", NOW + timedelta(minutes=1), notice) == notice  # already read: success
    assert db.execute("SELECT read_at FROM notice_receipts WHERE cadre_id = 'C1'").fetchone()[0] == NOW.isoformat()
    assert supervision.mark_read(db, "C3", NOW, notice) is None  # the sender is no recipient
    assert supervision.notice_summary(db, notice).read == 1


def test_a_re_report_keeps_the_first_evidence_and_the_history(db):
    first = Evidence("ab" * 32, "document", "实施方案.docx", "ab/abab.docx")
    second = Evidence("cd" * 32, "photo", "scan.jpg", "cd/cdcd.jpg")
    assert supervision.report_task_done(db, "U01", "plan-report", "C3", NOW, first)
    assert not supervision.report_task_done(db, "U01", "plan-report", "C3", NOW + timedelta(hours=1), second)
    kept = db.execute("SELECT evidence_name, reported_at FROM unit_task_completions").fetchall()
    assert kept == [("实施方案.docx", NOW.isoformat())]
    assert [r[2] for r in supervision.task_reports(db, "U01", "plan-report")] == ["实施方案.docx", "scan.jpg"]


def test_a_second_confirmation_adds_nobody_who_joined_the_scope_since(db):
    notice = supervision.create_notice(db, scopes.scope_of(db, "C3"), "周五前上报走访情况", False, NOW)
    assert supervision.confirm_notice(db, notice, NOW) == 2
    db["cadres"].insert({"id": "C9", "name": "新来的干部", "phone": "13800000009", "unit_id": "U0101", "title": "",
                         "role": "干部"})
    assert supervision.confirm_notice(db, notice, NOW + timedelta(minutes=1)) == 2
    assert "C9" not in {r[0] for r in db.execute("SELECT cadre_id FROM notice_receipts")}


def test_recipients_follow_the_notices_own_sender_and_unit(db):
    notice = supervision.create_notice(db, scopes.scope_of(db, "C3"), "周五前上报走访情况", False, NOW)
    db.execute("UPDATE notices SET scope_unit_id = 'U0101' WHERE id = ?", (notice,))  # a notice for one branch
    db["cadres"].insert({"id": "C8", "name": "县委干部", "phone": "13800000008", "unit_id": "U01", "title": "",
                         "role": "干部"})  # in the sender's county, not in the notice's branch
    supervision.confirm_notice(db, notice, NOW)
    assert {r[0] for r in db.execute("SELECT cadre_id FROM notice_receipts")} == {"C1", "C2"}
    assert supervision.notice_scope(db, notice).viewer_id == "C3"
