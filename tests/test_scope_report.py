"""The workbook an office hands up (`campaign-bot report`, bot/scope_report.write_scope_report), read back with
openpyxl: every sheet with its bold frozen header and filter, the chart, Excel dates, the cut-off, the period,
the scope (a county administrator against the office) and privacy (no household phone or note anywhere)."""

from __future__ import annotations

from datetime import datetime

import pytest
from click.testing import CliRunner
from openpyxl import load_workbook

from bot.cli import cli
from bot.db import open_db
from tests.conftest import insert_roster

SHEETS = ["说明", "汇总", "覆盖率", "逾期农户", "走访记录", "结对", "单位任务", "通知", "未送达提醒", "失效绑定"]
PRIVATE = ("13900000001", "缺劳力", "13900000003", "独居老人")  # households' phones and notes


def visit(db, cadre, household, at, path=None, state="待审核"):
    cursor = db.execute("INSERT INTO visits (cadre_id, household_id, reported_at, visited_at, note) "
                        "VALUES (?, ?, ?, ?, '春耕')", (cadre, household, at, at))
    if path:
        db.execute("INSERT INTO photos (sha256, visit_id, path, bytes, received_at) VALUES (?, ?, ?, 10, ?)",
                   (path[:8], cursor.lastrowid, path, at))
    session = db.execute("SELECT session_id FROM visits WHERE id = ?", (cursor.lastrowid,)).fetchone()[0]
    db.execute("UPDATE visit_sessions SET review_state = ? WHERE id = ?", (state, session))
    return session


@pytest.fixture
def config(tmp_path):
    """Two counties under the office; visits, a duplicate across counties, a task, notices, a failed reminder."""
    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    db.execute("INSERT INTO units (id, name, parent_id, kind) VALUES ('U03', '别县县委', 'U00', '县市委')")
    db.execute("INSERT INTO cadres (id, name, unit_id, role) VALUES ('C9', '别县干部', 'U03', '干部'), "
               "('O1', '活动办管理员', 'U00', '活动办管理员')")
    db.execute("INSERT INTO households (id, head_name, village, phone, notes) VALUES ('H9', '别县户', '北村', "
               "'13900000009', '别县的备注')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id, paired_on) "
               "VALUES ('干部联户|C9|H9', '干部联户', 'C9', 'H9', '2010-05-01')")
    other = visit(db, "C9", "H9", "2010-05-09T02:00:00+00:00", "ffffffff/other.jpg")
    mine = visit(db, "C1", "H1", "2010-05-10T02:00:00+00:00", "aaaaaaaa/visit.jpg", state="合格")
    visit(db, "C1", "H2", "2010-05-13T02:00:00+00:00", "bbbbbbbb/later.jpg")  # after the cut-off
    db.execute("INSERT INTO photo_flags (sha256, flag, value, other_sha256, other_session_id, flagged_at) "
               "VALUES ('aaaaaaaa', 'near_duplicate', 2, 'ffffffff', ?, '2010-05-10T02:00:00+00:00'), "
               "('aaaaaaaa', 'no_exif', NULL, NULL, NULL, '2010-05-10T02:00:00+00:00')", (other,))
    db.execute("INSERT INTO unit_task_completions (unit_id, deadline_id, reported_by, reported_at, evidence_kind, "
               "evidence_name, evidence_path) VALUES ('U0101', 'grassroots-plan-meeting', 'C3', "
               "'2010-05-11T03:00:00+00:00', 'photo', '动员会.jpg', 'cc/cc.jpg')")
    db.execute("INSERT INTO notices (id, sender_id, scope_unit_id, text, created_at, status) VALUES "
               "(1, 'C3', 'U01', '县里通知：周五前完成走访', '2010-05-11T01:00:00+00:00', 'sent'), "
               "(2, 'O1', NULL, '全州通知', '2010-05-11T02:00:00+00:00', 'sent')")
    db.execute("INSERT INTO notice_receipts (notice_id, cadre_id, status, reason) VALUES "
               "(1, 'C1', 'read', NULL), (1, 'C2', 'undeliverable', '未绑定'), (2, 'C1', 'delivered', NULL), "
               "(2, 'C9', 'read', NULL)")
    db.execute("INSERT INTO bindings (channel, chat_id, cadre_id, active, bound_at, inactive_reason) VALUES "
               "('telegram', '42', 'C2', 0, '2010-05-01T00:00:00+00:00', '用户已屏蔽机器人'), "
               "('telegram', '43', 'C9', 0, '2010-05-01T00:00:00+00:00', '用户已屏蔽机器人')")
    db.execute("INSERT INTO deliveries (reminder_key, kind, cadre_id, text, due_at, status, last_error, created_at) "
               "VALUES ('visit:2010-W19', 'visit', 'C1', '…', '2010-05-10T01:00:00+00:00', 'undeliverable', '未绑定', "
               "'2010-05-10T01:00:00+00:00')")
    db.close()
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    return path


def report(config, out, *args):
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--config", str(config),
                                      "--now", "2010-05-12T09:00", *args])
    assert result.exit_code == 0, result.output
    return load_workbook(out)


def rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def every_text(book) -> str:
    return "\n".join(str(v) for name in book.sheetnames for row in rows(book[name]) for v in row if v is not None)


def test_every_sheet_has_a_bold_frozen_filtered_header_and_the_chart(config, tmp_path):
    book = report(config, tmp_path / "全州.xlsx")
    assert book.sheetnames == SHEETS
    for name in SHEETS:
        sheet = book[name]
        assert sheet.freeze_panes == "A2", name
        assert sheet.auto_filter.ref and sheet.auto_filter.ref.startswith("A1:"), name
        assert all(cell.font.b for cell in sheet[1] if cell.value), name
        assert sheet.column_dimensions["A"].width > 8, name
    [chart] = book["覆盖率"]._charts
    assert [r[0] for r in rows(book["覆盖率"])[1:]] == ["示例县委", "别县县委"]  # the units below the office


def test_summary_is_the_unit_tree_with_subtotals_as_of_the_cut_off(config, tmp_path):
    summary = rows(report(config, tmp_path / "全州.xlsx")["汇总"])
    assert summary[0] == ["单位", "单位编号", "干部", "联系户", "已走访户", "逾期未走访户", "期间走访（次）", "合格", "需补充"]
    by_id = {r[1]: r for r in summary[1:]}
    assert by_id["U0101"][2:] == [2, 4, 1, 3, 1, 1, 0]  # H2's visit of 05-13 is after the cut-off: not counted
    county_total = next(r for r in summary if r[0].strip() == "示例县委 小计")
    assert county_total[2:] == [3, 4, 1, 3, 1, 1, 0]  # + C3, the county's administrator
    assert summary[-1][0] == "合计" and summary[-1][3] == 5


def test_visits_carry_photo_files_flags_review_and_excel_dates(config, tmp_path):
    book = report(config, tmp_path / "全州.xlsx")
    visits = rows(book["走访记录"])
    assert [r[5] for r in visits[1:]] == ["H9", "H1"]  # oldest first; nothing after the cut-off
    mine = visits[2]
    assert mine[1] == datetime(2010, 5, 10, 10, 0)  # an Excel date, Beijing time
    assert book["走访记录"]["B3"].is_date
    assert mine[8] == "aaaaaaaa/visit.jpg" and mine[10] == "合格"
    assert mine[9] == f"疑似重复照片（与走访编号 {visits[1][0]:.0f}）；无拍摄信息"  # (a number cell reads back as float)
    pairing_day = next(r for r in rows(book["结对"])[1:] if r[1] == "C9")[6]
    assert pairing_day == datetime(2010, 5, 1, 0, 0)  # a calendar day stays midnight, not 08:00
    overdue = rows(book["逾期农户"])
    assert {r[3] for r in overdue[1:]} == {"H2", "H3", "H4"}
    assert next(r for r in overdue[1:] if r[3] == "H2")[8] == 41  # days since the campaign's start, 2010-04-01


def test_every_pairing_kind_tasks_notices_reminders_and_bindings(config, tmp_path):
    book = report(config, tmp_path / "全州.xlsx")
    assert {r[0] for r in rows(book["结对"])[1:]} == {"干部联户", "领导联校", "机关联村", "党建带团建"}
    task = next(r for r in rows(book["单位任务"])[1:] if r[2] == "U0101" and r[0].startswith(("召开", "制定")))
    assert {r[0] for r in rows(book["单位任务"])[1:]} >= {"将实施方案上报州委创先争优活动办公室"}
    assert not [r[0] for r in rows(book["单位任务"])[1:] if "阶段" in r[0] or "基本结束" in r[0]]  # dates, not tasks
    assert task[4:10] == ["已完成", datetime(2010, 5, 11, 11, 0), "测试干部丙", "照片", "动员会.jpg", "cc/cc.jpg"]
    notices = {r[2]: r for r in rows(book["通知"])[1:]}
    assert notices["县里通知：周五前完成走访"][3:9] == [2, 1, 1, 0, 1, "未绑定 1"]
    assert notices["全州通知"][3:8] == [2, 2, 1, 1, 0]
    assert rows(book["未送达提醒"])[1][3:6] == ["走访提醒", None, "无法送达"]
    assert {r[1] for r in rows(book["失效绑定"])[1:]} == {"C2", "C9"}


def test_a_county_administrators_workbook_stays_in_the_county(config, tmp_path):
    county, office = report(config, tmp_path / "县.xlsx", "--unit", "U01"), report(config, tmp_path / "州.xlsx")
    text = every_text(county)
    for other in ("C9", "H9", "别县"):
        assert other not in text, other
    assert "别县户" in every_text(office)
    mine = next(r for r in rows(county["走访记录"])[1:] if r[5] == "H1")
    assert mine[9] == "疑似重复照片（与其他单位的走访）；无拍摄信息"  # the other county's visit is not named
    assert rows(county["说明"])[1][1] == "示例县委（U01）及下属单位"
    notices = {r[2]: r[3:8] for r in rows(county["通知"])[1:]}  # the office's notice counted over C1 only
    assert notices == {"县里通知：周五前完成走访": [2, 1, 1, 0, 1], "全州通知": [1, 1, 0, 1, 0]}


@pytest.mark.parametrize("args", [[], ["--unit", "U01"]], ids=["office", "county"])
def test_no_household_phone_or_note_in_any_workbook(config, tmp_path, args):
    text = every_text(report(config, tmp_path / "r.xlsx", *args))
    assert "示例户一" in text  # the household is there ...
    for private in PRIVATE + ("13900000009", "别县的备注"):
        assert private not in text, private  # ... its phone and notes are not


def test_the_period_limits_visits_notices_and_reminders(config, tmp_path):
    book = report(config, tmp_path / "期间.xlsx", "--from", "2010-05-11", "--to", "2010-05-31")
    assert rows(book["走访记录"])[1:] == [] and rows(book["未送达提醒"])[1:] == []
    assert len(rows(book["通知"])[1:]) == 2
    earlier = report(config, tmp_path / "早.xlsx", "--to", "2010-05-09")
    assert [r[5] for r in rows(earlier["走访记录"])[1:]] == ["H9"]


def test_early_in_the_campaign_nobody_is_overdue(config, tmp_path):
    book = report(config, tmp_path / "早期.xlsx", "--now", "2010-04-20T09:00")  # the later --now wins
    assert rows(book["逾期农户"])[1:] == [] and rows(book["走访记录"])[1:] == []


@pytest.mark.parametrize("args, message", [
    (["--unit", "NOPE"], "找不到单位编号“NOPE”"),
    (["--from", "2010-06-01", "--to", "2010-05-01"], "请对调"),
], ids=["unknown unit", "from after to"])
def test_a_report_that_cannot_be_made_says_why_and_writes_nothing(config, tmp_path, args, message):
    out = tmp_path / "x.xlsx"
    result = CliRunner().invoke(cli, ["report", "--out", str(out), "--config", str(config), *args])
    assert result.exit_code != 0 and message in result.output
    assert not out.exists()


def test_a_long_sheet_continues_on_the_next(monkeypatch, tmp_path):
    from bot import workbook

    monkeypatch.setattr(workbook, "MAX_ROWS", 3)
    book = workbook.Book(tmp_path / "long.xlsx")
    workbook.write_sheets(book, "走访记录", [workbook.Column("n", workbook.INTEGER)], ([n] for n in range(7)), 7)
    assert book.close() == {"走访记录": 3, "走访记录 (2)": 3, "走访记录 (3)": 1}
    assert [r[0] for r in rows(load_workbook(tmp_path / "long.xlsx")["走访记录 (3)"])] == ["n", 6]
