"""The roster import: good files (workbook, CSV folder, any of Excel's encodings), each kind of bad row, re-import,
edits, dry runs, the template, and the shipped demo roster."""

from __future__ import annotations

import copy
import csv
import zipfile
from pathlib import Path

import openpyxl
import pytest
from click.testing import CliRunner

from bot import vocabulary as v
from bot.cli import cli
from bot.db import open_db
from bot.roster import RosterError, import_roster, write_template
from bot.roster.phones import PhoneError, normalise_phone

DEMO = Path(__file__).resolve().parent.parent / "bot" / "data" / "demo"
TABLES = ("units", "cadres", "households", "targets", "pairings")

# A small roster with all four sheets and all five pairing kinds; header first, as in Excel.
BASE = {
    "单位": [
        ["单位编号", "单位名称", "上级单位编号", "单位类型"],
        ["U1", "测试州活动办", "", "活动办"],
        ["U2", "测试县委", "U1", "县市委"],
        ["U3", "测试村党支部", "U2", ""],
        ["U4", "测试州直党工委", "U1", "州直党工委"],
    ],
    "干部": [
        ["干部编号", "姓名", "手机号", "单位编号", "职务", "角色"],
        ["G1", "甲干部", "138 0000 0001", "U3", "支书", "单位管理员"],
        ["G2", "乙干部", "+86 138-0000-0002", "U3", "", ""],
    ],
    "农户": [
        ["户编号", "户主姓名", "县市", "乡镇", "村", "人口", "联系电话", "备注"],
        ["H1", "丙户主", "测试县", "测试乡", "测试村", "5", "0941-8212345", "虚构"],
        ["H2", "丁户主", "", "", "测试村", "", "", ""],
    ],
    "结对": [
        ["结对类型", "联系方编号", "对象编号", "对象名称", "备注"],
        ["干部联户", "G1", "H1", "", ""],
        ["干部联户", "G2", "H2", "", "每月一次"],
        ["机关联村", "U3", "", "测试村", ""],
        ["领导联校", "G1", "", "测试小学", ""],
        ["专家联点", "G2", "", "测试示范点", ""],
        ["党建带团建", "U3", "", "测试团支部", ""],
    ],
}


def roster(**changes: list[list[str]]) -> dict[str, list[list[str]]]:
    """BASE with rows appended to the named sheets."""
    sheets = copy.deepcopy(BASE)
    for name, rows in changes.items():
        sheets[name] += rows
    return sheets


def write_folder(folder: Path, sheets: dict, encoding: str = "utf-8") -> Path:
    """Writes the sheets as 单位.csv … in folder, in the given encoding."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in sheets.items():
        with (folder / f"{name}.csv").open("w", encoding=encoding, newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def write_workbook(path: Path, sheets: dict) -> Path:
    """Writes the sheets into one .xlsx workbook."""
    workbook = openpyxl.Workbook()
    workbook.remove(workbook.active)
    for name, rows in sheets.items():
        ws = workbook.create_sheet(name)
        for row in rows:
            ws.append(row)
    workbook.save(path)
    return path


def read_folder(folder: Path) -> dict:
    """The CSV sheets of a folder, as lists of rows."""
    return {p.stem: list(csv.reader(p.open(encoding="utf-8"))) for p in sorted(folder.glob("*.csv"))}


def dump(db) -> dict[str, list[tuple]]:
    """Every roster table's rows, sorted, for comparing databases; a pairing's first_imported_at (the moment of the
    import that brought it) is left out, as two imports of one file happen at different moments."""
    def columns(table):
        names = [r[1] for r in db.execute(f"PRAGMA table_info({table})") if r[1] != "first_imported_at"]
        return ", ".join(names)
    return {t: sorted(db.execute(f"SELECT {columns(t)} FROM {t}").fetchall(), key=repr) for t in TABLES}


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite file."""
    database = open_db(tmp_path / "roster.db")
    yield database
    database.close()


@pytest.fixture
def loaded(db, tmp_path):
    """The database after importing BASE."""
    import_roster(db, write_folder(tmp_path / "base", BASE))
    return db


# ---- good files ----

def test_demo_roster_has_what_the_demo_needs(db):
    report = import_roster(db, DEMO)
    counts = {name: c.added for name, c in report.counts.items()}
    assert counts["单位"] >= 5 and counts["干部"] >= 5 and counts["农户"] >= 12
    kinds = {row[0] for row in db.execute("SELECT DISTINCT kind FROM units")}
    assert kinds == set(v.UNIT_KINDS)
    assert db.execute("SELECT count(*) FROM units WHERE kind = ?", (v.GRASSROOTS,)).fetchone()[0] >= 2
    roles = {row[0] for row in db.execute("SELECT DISTINCT role FROM cadres")}
    assert roles == set(v.ROLES)
    assert {row[0] for row in db.execute("SELECT DISTINCT kind FROM pairings")} == set(v.PAIRING_KINDS)
    g001 = db.execute("SELECT u.kind, c.role FROM cadres c JOIN units u ON u.id = c.unit_id WHERE c.id = 'G001'").fetchone()
    assert g001 == (v.GRASSROOTS, v.CADRE)
    per_cadre = dict(db.execute("SELECT cadre_id, count(*) FROM pairings WHERE household_id IS NOT NULL GROUP BY cadre_id"))
    assert 3 <= per_cadre["G001"] <= 4
    assert 1 in per_cadre.values()


def test_import_leaves_every_reference_sound_and_foreign_keys_on(db):
    import_roster(db, DEMO)
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_demo_roster_is_marked_fictional():
    notes = [row[-1] for row in read_folder(DEMO)["农户"][1:]]
    assert all("虚构" in note for note in notes)
    assert "虚构" in (DEMO / "README.md").read_text(encoding="utf-8")


def test_workbook_and_csv_folder_give_the_same_database(tmp_path):
    from_csv = open_db(tmp_path / "csv.db")
    from_xlsx = open_db(tmp_path / "xlsx.db")
    import_roster(from_csv, DEMO)
    report = import_roster(from_xlsx, write_workbook(tmp_path / "demo.xlsx", read_folder(DEMO)))
    assert report.counts["结对"].added == len(read_folder(DEMO)["结对"]) - 1
    assert dump(from_xlsx) == dump(from_csv)
    assert dump(from_csv)["pairings"]


def test_rows_are_normalised(loaded):
    phones = dict(loaded.execute("SELECT id, phone FROM cadres"))
    assert phones == {"G1": "13800000001", "G2": "13800000002"}
    assert loaded.execute("SELECT phone, members, county FROM households WHERE id = 'H1'").fetchone() == ("09418212345", 5, "测试县")
    assert loaded.execute("SELECT phone, members, county, notes FROM households WHERE id = 'H2'").fetchone() == (None, None, None, None)
    assert loaded.execute("SELECT kind FROM units WHERE id = 'U3'").fetchone()[0] == v.GRASSROOTS
    assert loaded.execute("SELECT kind FROM units WHERE id = 'U4'").fetchone()[0] == v.PREFECTURE_COMMITTEE
    assert loaded.execute("SELECT role FROM cadres WHERE id = 'G2'").fetchone()[0] == v.CADRE
    village = loaded.execute(
        "SELECT p.unit_id, p.cadre_id, t.kind, t.name FROM pairings p JOIN targets t ON t.id = p.target_id "
        "WHERE p.pair_key = '机关联村|U3|测试村'").fetchone()
    assert village == ("U3", None, v.AGENCY_VILLAGE, "测试村")


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gb18030", "gbk", "utf-16"])
def test_csv_in_any_encoding_excel_saves(db, tmp_path, encoding):
    import_roster(db, write_folder(tmp_path / "r", BASE, encoding=encoding))
    assert db.execute("SELECT name FROM units WHERE id = 'U3'").fetchone()[0] == "测试村党支部"
    assert db.execute("SELECT head_name FROM households WHERE id = 'H1'").fetchone()[0] == "丙户主"


def test_gb18030_file_is_really_not_utf8(tmp_path):
    folder = write_folder(tmp_path / "r", BASE, encoding="gb18030")
    with pytest.raises(UnicodeDecodeError):
        (folder / "单位.csv").read_bytes().decode("utf-8")


def test_workbook_with_numbers_title_row_and_blank_rows(db, tmp_path):
    workbook = openpyxl.Workbook()
    ws = workbook.active
    ws.title = "农户"
    ws.append(["测试村农户花名册"])  # a title line above the header, as Chinese spreadsheets often have
    ws.append(BASE["农户"][0])
    ws.append(["H9", "戊户主", "", "", "测试村", 4.0, 13900000009, ""])
    ws.append([])
    ws.append(["H10", "己户主", "", "", "测试村", "很多", "", ""])
    workbook.save(tmp_path / "h.xlsx")
    with pytest.raises(RosterError) as caught:
        import_roster(db, tmp_path / "h.xlsx")
    assert [(e.sheet, e.row, e.column) for e in caught.value.errors] == [("农户", 5, "人口")]
    ws.delete_rows(5)
    workbook.save(tmp_path / "h.xlsx")
    import_roster(db, tmp_path / "h.xlsx")
    assert db.execute("SELECT members, phone FROM households WHERE id = 'H9'").fetchone() == (4, "13900000009")


def test_csv_row_numbers_count_blank_lines_as_excel_does(db, tmp_path):
    folder = write_folder(tmp_path / "r", roster(农户=[[], ["H9", "某", "", "", "村", "九", "", ""]]))
    with pytest.raises(RosterError) as caught:
        import_roster(db, folder)
    assert [(e.sheet, e.row, e.column) for e in caught.value.errors] == [("农户", 5, "人口")]


def test_cadre_may_refer_to_a_unit_already_in_the_database(loaded, tmp_path):
    folder = write_folder(tmp_path / "more", {"干部": [BASE["干部"][0], ["G9", "新干部", "", "U2", "", ""]]})
    report = import_roster(loaded, folder)
    assert report.counts == {"干部": report.counts["干部"]} and report.counts["干部"].added == 1
    assert loaded.execute("SELECT unit_id FROM cadres WHERE id = 'G9'").fetchone()[0] == "U2"


# ---- bad rows ----

BAD_ROWS = {
    "missing required": ("干部", [["G9", "", "", "U3", "", ""]], "姓名", "必填"),
    "unknown unit": ("干部", [["G9", "某", "", "U99", "", ""]], "单位编号", "找不到单位“U99”"),
    "unknown household": ("结对", [["干部联户", "G1", "H99", "", ""]], "对象编号", "找不到户编号“H99”"),
    "unknown cadre": ("结对", [["领导联校", "G99", "", "某校", ""]], "联系方编号", "找不到干部“G99”"),
    "unit as cadre party": ("结对", [["专家联点", "U3", "", "某点", ""]], "联系方编号", "这是单位编号"),
    "cadre as unit party": ("结对", [["机关联村", "G1", "", "某村", ""]], "联系方编号", "这是干部编号"),
    "household without target": ("结对", [["干部联户", "G1", "", "", ""]], "对象编号", "要填对象编号"),
    "village without name": ("结对", [["机关联村", "U3", "", "", ""]], "对象名称", "要填对象名称"),
    "bad pairing kind": ("结对", [["干部联村", "G1", "H1", "", ""]], "结对类型", "应为"),
    "bad unit kind": ("单位", [["U9", "某单位", "U1", "乡镇党委"]], "单位类型", "应为"),
    "bad role": ("干部", [["G9", "某", "", "U3", "", "管理员"]], "角色", "应为"),
    "short mobile": ("干部", [["G9", "某", "1380000001", "U3", "", ""]], "手机号", "10 位"),
    "landline as mobile": ("干部", [["G9", "某", "0941-8212345", "U3", "", ""]], "手机号", "以 1 开头"),
    "letters in phone": ("农户", [["H9", "某", "", "", "村", "", "电话没有", ""]], "联系电话", "不能有别的字符"),
    "two phones": ("农户", [["H9", "某", "", "", "村", "", "13800000001/13800000002", ""]], "联系电话", "一个号码"),
    "duplicate unit": ("单位", [["U2", "又一个", "U1", ""]], "单位编号", "与第 3 行重复"),
    "duplicate cadre": ("干部", [["G1", "又一个", "", "U3", "", ""]], "干部编号", "与第 2 行重复"),
    "duplicate household": ("农户", [["H2", "又一个", "", "", "村", "", "", ""]], "户编号", "与第 3 行重复"),
    "duplicate pairing": ("结对", [["干部联户", "G1", "H1", "", "又一次"]], "对象编号", "这条结对（干部联户，G1，H1）与第 2 行重复"),
    "unknown parent": ("单位", [["U9", "某", "U99", ""]], "上级单位编号", "找不到单位“U99”"),
    "own parent": ("单位", [["U9", "某", "U9", ""]], "上级单位编号", "不能是它自己"),
    "cycle": ("单位", [["U8", "甲", "U9", ""], ["U9", "乙", "U8", ""]], "上级单位编号", "U8 → U9 → U8"),
    "zero members": ("农户", [["H9", "某", "", "", "村", "0", "", ""]], "人口", "1 到 50"),
    "fraction of members": ("农户", [["H9", "某", "", "", "村", "3.5", "", ""]], "人口", "整数"),
    "words for members": ("农户", [["H9", "某", "", "", "村", "很多", "", ""]], "人口", "整数"),
}


@pytest.mark.parametrize("case", BAD_ROWS.values(), ids=BAD_ROWS.keys())
def test_bad_row_is_reported_where_it_is_and_nothing_is_written(loaded, tmp_path, case):
    sheet, rows, column, reason = case
    before = dump(loaded)
    edited = roster(**{sheet: rows})
    edited["农户"][1][1] = "改过的户主"  # a good edit in the same file must not be written either
    edited["干部"].append(["G50", "新干部", "", "U3", "", ""])
    with pytest.raises(RosterError) as caught:
        import_roster(loaded, write_folder(tmp_path / "bad", edited))
    first_bad_row = len(BASE[sheet]) + 1
    assert [(e.sheet, e.row, e.column) for e in caught.value.errors] == [(sheet, first_bad_row, column)]
    assert reason in caught.value.errors[0].reason
    assert f"“{sheet}”表第 {first_bad_row} 行「{column}」" in str(caught.value)
    assert "没有导入任何数据" in str(caught.value)
    assert dump(loaded) == before


def test_every_bad_row_in_every_sheet_is_reported(db, tmp_path):
    edited = roster(
        单位=[["U9", "", "", ""]],
        干部=[["G9", "某", "12345", "U3", "", ""], ["G10", "某", "", "U77", "", ""]],
        结对=[["干部联户", "G1", "H404", "", ""]],
    )
    with pytest.raises(RosterError) as caught:
        import_roster(db, write_workbook(tmp_path / "bad.xlsx", edited))
    places = [(e.sheet, e.row, e.column) for e in caught.value.errors]
    assert places == [("单位", 6, "单位名称"), ("干部", 4, "手机号"), ("干部", 5, "单位编号"), ("结对", 8, "对象编号")]
    assert all(dump(db)[t] == [] for t in TABLES)


def test_a_long_list_of_errors_is_capped_but_counted(db, tmp_path):
    edited = roster(农户=[[f"H{i}", "某", "", "", "村", "-1", "", ""] for i in range(100, 400)])
    with pytest.raises(RosterError) as caught:
        import_roster(db, write_folder(tmp_path / "bad", edited))
    assert len(caught.value.errors) == 300
    assert "另有 100 处错误未列出" in str(caught.value) and "「人口」100 处" in str(caught.value)


def test_missing_required_column_is_named(db, tmp_path):
    sheets = copy.deepcopy(BASE)
    for row in sheets["干部"]:
        del row[1]  # no 姓名 column
    with pytest.raises(RosterError) as caught:
        import_roster(db, write_folder(tmp_path / "r", sheets))
    assert [(e.sheet, e.row, e.column) for e in caught.value.errors] == [("干部", None, "姓名")]
    assert "“干部”表「姓名」：缺少这一必填列" in str(caught.value)


def test_extra_column_and_unknown_sheet_are_warnings(db, tmp_path):
    sheets = copy.deepcopy(BASE)
    for row, extra in zip(sheets["农户"], ["微信号", "wx1", "wx2"]):
        row.append(extra)
    sheets["附表"] = [["随便"], ["什么"]]
    report = import_roster(db, write_workbook(tmp_path / "r.xlsx", sheets))
    assert report.counts["农户"].added == 2
    assert any("微信号" in w for w in report.warnings) and any("附表" in w for w in report.warnings)
    assert "微信号" in report.summary()


def test_phone_shared_within_the_file_is_a_warning(db, tmp_path):
    report = import_roster(db, write_folder(tmp_path / "r", roster(干部=[["G3", "丙干部", "13800000001", "U3", "", ""]])))
    assert report.counts["干部"].added == 3
    assert report.warnings == ["“干部”表中手机号 13800000001 在第 2 行和第 4 行都出现了：这两人无法用手机号绑定。"]


def test_phone_of_a_stored_cadre_is_a_warning_on_a_later_partial_import(loaded, tmp_path):
    only_new = {"干部": [BASE["干部"][0], ["G3", "丙干部", "13800000002", "U3", "", ""]]}
    report = import_roster(loaded, write_folder(tmp_path / "new", only_new))
    assert report.warnings == ["“干部”表第 2 行的手机号 13800000002 已是数据库中干部 G2 的号码：这两人无法用手机号绑定。"]
    moved = {"干部": [BASE["干部"][0], ["G2", "乙干部", "13800000009", "U3", "", ""],
                      ["G3", "丙干部", "13800000002", "U3", "", ""]]}  # G2's number changes hands: no warning
    assert import_roster(loaded, write_folder(tmp_path / "moved", moved)).warnings == []


def test_header_with_required_marks_is_accepted(db, tmp_path):
    sheets = copy.deepcopy(BASE)
    sheets["单位"][0] = ["单位编号*", "单位名称 *", "上级单位编号", "单位类型"]
    import_roster(db, write_folder(tmp_path / "r", sheets))
    assert db.execute("SELECT count(*) FROM units").fetchone()[0] == 4


# ---- files that are not rosters ----

@pytest.mark.parametrize("name, content, words", [
    ("roster.txt", b"hello", "不是花名册"),
    ("roster.xlsx", b"PK\x03\x04 this is not a real zip", "打不开工作簿"),
    ("roster.xlsx", b"\x00\x01garbage", "打不开工作簿"),
    ("roster.xls", b"\xd0\xcf\x11\xe0", "另存为"),
    ("农户.csv", b"\x89PNG\r\n\x1a\n\x00\x00", "不是文本文件"),
], ids=["text file", "broken zip", "not a zip", "old excel", "binary csv"])
def test_a_file_that_is_not_a_roster_gets_a_clear_error(db, tmp_path, name, content, words):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(RosterError) as caught:
        import_roster(db, tmp_path / name)
    assert words in str(caught.value)


def test_workbook_damaged_inside_a_sheet(db, tmp_path):
    good = write_workbook(tmp_path / "good.xlsx", roster(农户=[[f"H{i}", "某", "", "", "村", "", "", ""] for i in range(100, 200)]))
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(tmp_path / "damaged.xlsx", "w") as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            zout.writestr(item, data[: len(data) // 2] if item.filename.endswith("sheet3.xml") else data)
    with pytest.raises(RosterError, match="“农户”第 \\d+ 行的内容损坏"):
        import_roster(db, tmp_path / "damaged.xlsx")
    assert all(dump(db)[t] == [] for t in TABLES)


def test_single_csv_file_must_be_named_after_its_sheet(db, tmp_path):
    write_folder(tmp_path / "r", BASE)
    import_roster(db, tmp_path / "r" / "单位.csv")
    assert db.execute("SELECT count(*) FROM units").fetchone()[0] == 4
    (tmp_path / "r" / "单位.csv").rename(tmp_path / "r" / "units.csv")
    with pytest.raises(RosterError, match="要以表名命名"):
        import_roster(db, tmp_path / "r" / "units.csv")


def test_workbook_renamed_to_csv_is_recognised(db, tmp_path):
    write_workbook(tmp_path / "农户.csv", BASE)
    with pytest.raises(RosterError, match="扩展名改为 .xlsx"):
        import_roster(db, tmp_path / "农户.csv")


def test_workbook_without_roster_sheets(db, tmp_path):
    with pytest.raises(RosterError, match="没有名为"):
        import_roster(db, write_workbook(tmp_path / "x.xlsx", {"Sheet1": [["a", "b"]]}))


def test_folder_without_roster_files(db, tmp_path):
    (tmp_path / "empty").mkdir()
    with pytest.raises(RosterError, match="没有"):
        import_roster(db, tmp_path / "empty")


# ---- re-import, edits, dry run ----

def test_reimporting_the_same_file_changes_nothing(loaded, tmp_path):
    before = dump(loaded)
    changes = loaded.conn.total_changes
    report = import_roster(loaded, write_workbook(tmp_path / "same.xlsx", BASE))
    assert all(c.added == 0 and c.updated == 0 and c.unchanged == c.rows for c in report.counts.values())
    assert "没有任何改动" in report.summary()
    assert dump(loaded) == before
    # only the import's own record (begun, advanced, done) and the progress counts' flag: stale while it wrote, then
    # true again without a recount
    assert loaded.conn.total_changes - changes == 5
    assert loaded.execute("SELECT stale FROM progress_state").fetchone()[0] == 0


def test_edited_file_updates_in_place(loaded, tmp_path):
    ids_before = dict(loaded.execute("SELECT pair_key, id FROM pairings"))
    edited = roster(农户=[["H3", "新户主", "", "", "测试村", "2", "", ""]],
                    结对=[["干部联户", "G1", "H3", "", ""]])
    edited["农户"][1][6] = "139 0000 0001"  # H1 gets a mobile
    edited["干部"][2][3] = "U4"  # G2 moves unit
    edited["结对"][2][4] = ""  # notes cleared
    report = import_roster(loaded, write_folder(tmp_path / "edited", edited))
    counts = {name: (c.added, c.updated, c.unchanged) for name, c in report.counts.items()}
    assert counts == {"单位": (0, 0, 4), "干部": (0, 1, 1), "农户": (1, 1, 1), "结对": (1, 1, 5)}
    assert loaded.execute("SELECT phone FROM households WHERE id = 'H1'").fetchone()[0] == "13900000001"
    assert loaded.execute("SELECT unit_id FROM cadres WHERE id = 'G2'").fetchone()[0] == "U4"
    assert loaded.execute("SELECT notes FROM pairings WHERE pair_key = '干部联户|G2|H2'").fetchone()[0] is None
    ids_after = dict(loaded.execute("SELECT pair_key, id FROM pairings"))
    assert {k: ids_after[k] for k in ids_before} == ids_before
    assert "更新 1" in report.summary()


def test_unit_moved_under_its_own_child_in_the_database_is_a_cycle(loaded, tmp_path):
    folder = write_folder(tmp_path / "move", {"单位": [BASE["单位"][0], ["U2", "测试县委", "U3", "县市委"]]})
    with pytest.raises(RosterError, match="U2 → U3 → U2"):
        import_roster(loaded, folder)


def test_failure_while_writing_leaves_the_database_as_it_was(db, tmp_path):
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON pairings WHEN NEW.pair_key = '干部联户|G2|H2' "
               "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END")
    with pytest.raises(RosterError, match="已全部撤销"):
        import_roster(db, write_folder(tmp_path / "r", BASE))
    assert all(dump(db)[t] == [] for t in TABLES)
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def has_clock_index(db) -> bool:
    return db.execute("SELECT 1 FROM sqlite_master WHERE name = 'idx_pairings_kind_clock_day'").fetchone() is not None


def test_a_large_import_writes_its_pairings_without_the_clock_index_and_makes_it_again(db, tmp_path, monkeypatch):
    from bot.roster import writing

    monkeypatch.setattr(writing, "LARGE_PAIRINGS", 1)
    dropped = []
    real_drop = writing.drop_clock_day_index
    monkeypatch.setattr(writing, "drop_clock_day_index", lambda d: (dropped.append(True), real_drop(d)))
    import_roster(db, write_folder(tmp_path / "r", BASE))
    assert dropped and has_clock_index(db)
    plan = " ".join(r[-1] for r in db.execute(
        "EXPLAIN QUERY PLAN SELECT id FROM pairings INDEXED BY idx_pairings_kind_clock_day WHERE kind = '干部联户'"))
    assert "idx_pairings_kind_clock_day" in plan


def test_a_large_import_that_fails_while_writing_leaves_the_clock_index(db, tmp_path, monkeypatch):
    from bot.roster import writing

    monkeypatch.setattr(writing, "LARGE_PAIRINGS", 1)
    monkeypatch.setattr(writing, "HOLD_SECONDS", 0)  # every write commits on its own: the drop is committed
    monkeypatch.setattr(writing, "PAUSE_SECONDS", 0)
    db.execute("CREATE TRIGGER refuse BEFORE INSERT ON pairings WHEN NEW.pair_key = '干部联户|G2|H2' "
               "BEGIN SELECT RAISE(ABORT, 'refused by test trigger'); END")
    with pytest.raises(RosterError):
        import_roster(db, write_folder(tmp_path / "r", BASE))
    assert has_clock_index(db)


def test_a_small_import_keeps_the_clock_index_row_by_row(loaded, tmp_path, monkeypatch):
    from bot.roster import writing

    monkeypatch.setattr(writing, "drop_clock_day_index", lambda d: pytest.fail("a small import dropped the index"))
    import_roster(loaded, write_folder(tmp_path / "r", roster(农户=[["H9", "某", "", "", "村", "", "", ""]])))
    assert has_clock_index(loaded)


def test_busy_database_is_a_clear_error(loaded, tmp_path):
    before = dump(loaded)
    other = open_db(tmp_path / "roster.db")
    loaded.execute("PRAGMA busy_timeout = 50")
    other.execute("BEGIN IMMEDIATE")
    try:
        with pytest.raises(RosterError, match="数据库正忙"):
            import_roster(loaded, write_folder(tmp_path / "r", roster(农户=[["H9", "某", "", "", "村", "", "", ""]])))
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert dump(loaded) == before


def test_dry_run_checks_and_writes_nothing(db, tmp_path):
    report = import_roster(db, write_folder(tmp_path / "r", BASE), dry_run=True)
    assert "试运行" in report.summary() and report.counts["农户"].added == 2
    assert all(dump(db)[t] == [] for t in TABLES)
    with pytest.raises(RosterError):
        import_roster(db, write_folder(tmp_path / "bad", roster(农户=[["H9", "", "", "", "", "", "", ""]])), dry_run=True)


def test_progress_is_reported_up_to_the_total(db, tmp_path):
    seen = []
    many = roster(农户=[[f"H{i}", "某", "", "", "村", "", "", ""] for i in range(100, 25_100)])
    import_roster(db, write_folder(tmp_path / "r", many), progress=lambda done, total: seen.append((done, total)))
    assert len(seen) >= 4
    assert all(a[0] <= b[0] for a, b in zip(seen, seen[1:]))
    assert seen[-1][0] == seen[-1][1] > 50_000


# ---- template ----

def test_template_round_trip(db, tmp_path):
    write_template(tmp_path / "t.xlsx")
    workbook = openpyxl.load_workbook(tmp_path / "t.xlsx")
    assert set(workbook.sheetnames) == {"说明", "单位", "干部", "农户", "结对"}
    assert workbook["干部"].column_dimensions["C"].number_format == "@"  # 手机号 kept as text, never 1.38E+10
    for name, rows in BASE.items():
        header = [c.value for c in workbook[name][1]]
        assert header[:len(rows[0])] == rows[0]
        assert header[len(rows[0]):] == {"农户": ["经度", "纬度"], "结对": ["结对日期"]}.get(name, [])
        for row in rows[1:]:
            workbook[name].append(row)
    workbook.save(tmp_path / "filled.xlsx")
    report = import_roster(db, tmp_path / "filled.xlsx")
    assert {name: c.added for name, c in report.counts.items()} == {"单位": 4, "干部": 2, "农户": 2, "结对": 6}
    assert report.warnings == []


def test_empty_template_imports_nothing(db, tmp_path):
    write_template(tmp_path / "t.xlsx")
    assert import_roster(db, tmp_path / "t.xlsx").rows == 0


# ---- phones ----

@pytest.mark.parametrize("text, mobile_only, expected", [
    ("13800000001", True, "13800000001"),
    ("138 0000 0001", True, "13800000001"),
    ("138-0000-0001", True, "13800000001"),
    ("+86 138 0000 0001", True, "13800000001"),
    ("0086-13800000001", True, "13800000001"),
    ("8613800000001", True, "13800000001"),
    ("１３８００００００01", True, "13800000001"),
    ("0941-8212345", False, "09418212345"),
    ("(0941) 821 2345", False, "09418212345"),
    ("+86 941 8212345", False, "09418212345"),
    ("+86 0941 8212345", False, "09418212345"),
    ("8212345", False, "8212345"),
])
def test_phone_is_normalised(text, mobile_only, expected):
    assert normalise_phone(text, mobile_only) == expected


@pytest.mark.parametrize("text, mobile_only", [
    ("1380000001", True), ("138000000012", True), ("0941-8212345", True), ("12345", False),
    ("138O0000001", False), ("13800000001；13800000002", False), ("+86 12345", False), ("1.38E+10", True),
])
def test_phone_is_refused(text, mobile_only):
    with pytest.raises(PhoneError):
        normalise_phone(text, mobile_only)


def test_phone_mangled_by_excel_gets_a_hint():
    with pytest.raises(PhoneError, match="科学计数法"):
        normalise_phone("1.38E+10", True)


# ---- the command ----

def test_import_command(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(f'[database]\npath = "{(tmp_path / "cli.db").as_posix()}"\n', encoding="utf-8")
    runner = CliRunner()
    folder = write_folder(tmp_path / "r", BASE)
    result = runner.invoke(cli, ["import", str(folder), "--dry-run", "--config", str(config)])
    assert result.exit_code == 0 and "试运行" in result.output
    result = runner.invoke(cli, ["import", str(folder), "--config", str(config)])
    assert result.exit_code == 0 and "新增 6" in result.output
    bad = write_folder(tmp_path / "bad", roster(干部=[["G9", "某", "", "U404", "", ""]]))
    result = runner.invoke(cli, ["import", str(bad), "--config", str(config)])
    assert result.exit_code == 1 and "找不到单位“U404”" in result.output and "Traceback" not in result.output
    result = runner.invoke(cli, ["template", str(tmp_path / "模板.xlsx")])
    assert result.exit_code == 0 and (tmp_path / "模板.xlsx").exists()
    result = runner.invoke(cli, ["template", str(tmp_path / "无此文件夹" / "模板.xlsx")])
    assert result.exit_code == 1 and "写不了模板" in result.output and "Traceback" not in result.output


def test_template_never_overwrites_a_filled_roster(tmp_path):
    filled = tmp_path / "花名册.xlsx"
    filled.write_bytes(b"a week of work")
    with pytest.raises(RosterError, match="已经存在，没有覆盖"):
        write_template(filled)
    assert filled.read_bytes() == b"a week of work"


def test_template_must_be_an_xlsx(tmp_path):
    with pytest.raises(RosterError, match=r"以 \.xlsx 结尾"):
        write_template(tmp_path / "花名册.csv")
    assert not (tmp_path / "花名册.csv").exists()


# ---- correcting a pairing ----

def corrected(folder: Path) -> Path:
    """BASE with G1's household pairing moved to G2: the clerk's correction of a wrong pairing."""
    sheets = copy.deepcopy(BASE)
    sheets["结对"][1] = ["干部联户", "G2", "H1", "", ""]
    return write_folder(folder, sheets)


def household_pairings(db) -> list[str]:
    return sorted(r[0] for r in db.execute("SELECT pair_key FROM pairings WHERE kind = '干部联户'"))


def test_a_corrected_pairing_left_in_the_database_is_named(loaded, tmp_path):
    report = import_roster(loaded, corrected(tmp_path / "fix"))
    assert household_pairings(loaded) == ["干部联户|G1|H1", "干部联户|G2|H1", "干部联户|G2|H2"]
    [warning] = report.warnings
    assert "仍然保留：干部联户 G1 → H1" in warning and "--prune-pairings" in warning


def test_prune_pairings_deletes_what_the_file_no_longer_lists(loaded, tmp_path):
    folder = corrected(tmp_path / "fix")
    dry = import_roster(loaded, folder, dry_run=True, prune_pairings=True)
    assert "将删除 1" in dry.summary() and len(household_pairings(loaded)) == 2
    report = import_roster(loaded, folder, prune_pairings=True)
    assert household_pairings(loaded) == ["干部联户|G2|H1", "干部联户|G2|H2"]
    assert "删除 1" in report.summary() and report.warnings == []


def test_prune_pairings_leaves_parties_the_file_does_not_list(loaded, tmp_path):
    only_g2 = {"结对": [BASE["结对"][0], ["干部联户", "G2", "H2", "", "每月一次"]]}
    import_roster(loaded, write_folder(tmp_path / "g2", only_g2), prune_pairings=True)
    keys = {r[0] for r in loaded.execute("SELECT pair_key FROM pairings")}
    assert {"干部联户|G1|H1", "领导联校|G1|测试小学", "机关联村|U3|测试村"} <= keys  # G1 and U3 are not in the file
    assert "专家联点|G2|测试示范点" not in keys  # G2 is, without it
