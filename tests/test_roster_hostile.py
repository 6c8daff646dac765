"""Hostile and unusual rosters: a sheet declaring a wrong size, over-long cells, invisible characters and 编号 that
differ only in case or width, each read in full or refused with the sheet, row and column named."""

from __future__ import annotations

import re
from datetime import datetime, timezone
import zipfile
from pathlib import Path

import pytest

from bot.db import open_db
from bot.roster import RosterError, import_roster
from tests.test_roster_import import BASE, TABLES, dump, roster, write_folder, write_workbook
from tests.test_roster_import import db  # noqa: F401  (the fixture: a fresh SQLite file)

MORE_HOUSEHOLDS = [[f"H{i}", f"户主{i}", "", "", "测试村", "", "", ""] for i in range(10, 18)]


def patch_sheets(path: Path, change) -> Path:
    """Rewrites every worksheet XML of the workbook at path through change(xml text) -> xml text."""
    patched = path.with_name("patched-" + path.name)
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename)
            if item.filename.startswith("xl/worksheets/sheet"):
                data = change(data.decode()).encode()
            zout.writestr(item, data)
    return patched


# ---- (a) a sheet that declares a wrong size ----

@pytest.mark.parametrize("declared", ["A1:H3", "A1:C3", "A1"], ids=["fewer-rows", "fewer-columns", "A1"])
def test_sheet_declaring_a_smaller_size_is_read_in_full(db, tmp_path, declared):
    sheets = roster(农户=MORE_HOUSEHOLDS)
    good = write_workbook(tmp_path / "r.xlsx", sheets)
    lying = patch_sheets(good, lambda xml: re.sub(r'<dimension ref="[^"]*"', f'<dimension ref="{declared}"', xml))
    assert b'<dimension ref="A1:' in zipfile.ZipFile(good).read("xl/worksheets/sheet3.xml")
    moment = datetime(2010, 5, 1, tzinfo=timezone.utc)  # both imports at one moment: pairings' first_imported_at
    report = import_roster(db, lying, now=moment)
    assert report.counts["农户"].rows == 10 and report.counts["结对"].rows == 6
    expected = open_db(tmp_path / "expected.db")
    import_roster(expected, write_folder(tmp_path / "csv", sheets), now=moment)
    assert dump(db) == dump(expected)


# ---- (b) cells longer than their column allows ----

def test_a_cell_over_its_column_limit_is_named_with_the_limit(db, tmp_path):
    sheets = roster(农户=[["H9", "名" * 51, "", "", "测试村", "", "", "备" * 500]])
    with pytest.raises(RosterError) as caught:
        import_roster(db, write_workbook(tmp_path / "long.xlsx", sheets))
    assert [str(e) for e in caught.value.errors] == [
        "“农户”表第 4 行「户主姓名」：有 51 个字，超过这一列的上限 50 字。请删减后重新导入"]
    assert all(dump(db)[t] == [] for t in TABLES)


def test_a_long_csv_field_gets_the_length_message_not_damaged(db, tmp_path):
    folder = write_folder(tmp_path / "csv", roster(农户=[["H9", "某", "", "", "测试村", "", "", "备" * 200_000]]))
    with pytest.raises(RosterError) as caught:
        import_roster(db, folder)
    assert "损坏" not in str(caught.value)
    assert [str(e) for e in caught.value.errors] == [
        "“农户”表第 4 行「备注」：有 200,000 个字，超过这一列的上限 500 字。请删减后重新导入"]


def test_a_csv_field_beyond_any_limit_names_its_row(db, tmp_path):
    folder = write_folder(tmp_path / "csv", roster(农户=[["H9", "某", "", "", "测试村", "", "", "备" * 1_200_000]]))
    with pytest.raises(RosterError, match="文件 农户.csv第 4 行有一格超过 1,000,000 字"):
        import_roster(db, folder)


SHARED_STRINGS_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"


def huge_cell_workbook(tmp_path: Path, inline: bool, chars: int = 10_000_000) -> Path:
    """BASE as a workbook whose 农户 B2 (户主姓名 of H1) holds `chars` characters, inline or as a shared string."""
    good = write_workbook(tmp_path / "base.xlsx", BASE)
    huge = "丙" * chars
    cell = '<c r="B2" t="inlineStr"><is><t>丙户主</t></is></c>'
    patched = tmp_path / "huge.xlsx"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(patched, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet3.xml":
                assert cell in data
                data = data.replace(cell, cell.replace("丙户主", huge) if inline else '<c r="B2" t="s"><v>0</v></c>')
            elif item.filename == "[Content_Types].xml" and not inline:
                data = data.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                f'ContentType="{SHARED_STRINGS_TYPE}"/></Types>')
            zout.writestr(item, data.encode())
        if not inline:
            zout.writestr("xl/sharedStrings.xml", '<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/'
                                                  f'main" count="1" uniqueCount="1"><si><t>{huge}</t></si></sst>')
    return patched


@pytest.mark.parametrize("inline", [False, True], ids=["shared-string", "inline-string"])
def test_a_huge_cell_is_refused_early_without_holding_it(db, tmp_path, inline):
    import tracemalloc

    path = huge_cell_workbook(tmp_path, inline)
    assert path.stat().st_size < 200_000
    tracemalloc.start()
    try:
        with pytest.raises(RosterError) as caught:
            import_roster(db, path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    issue = caught.value.errors[0]
    assert (issue.sheet, issue.row, issue.column) == ("农户", 2, "户主姓名")
    assert "超过 2,000 字" in issue.reason
    assert peak < 12 * 2**20, f"peak {peak / 2**20:.0f} MiB"  # the cell alone is 30 MB of XML, 20 MB as text
    assert all(dump(db)[t] == [] for t in TABLES)


# ---- (c) invisible characters and 编号 that differ only in spelling ----

@pytest.mark.parametrize("raw, stored", [
    ("\x1b[31m张三\x1b[0m", "张三"),
    ("李四\x07", "李四"),
    ("王\u202e五", "王五"),
    ("赵\u200b六\ufeff", "赵六"),
    ("孙\r\n七", "孙  七"),
    ("\u3000周八\u00a0", "周八"),
    ("ｗｕ九", "wu九"),
    ("牧户，冬季转场；无手机", "牧户，冬季转场；无手机"),
], ids=["escape-sequence", "bell", "right-to-left-override", "zero-width", "carriage-return", "wide-spaces",
        "full-width", "chinese-punctuation-kept"])
def test_invisible_and_control_characters_never_reach_the_database(db, tmp_path, raw, stored):
    sheets = roster(农户=[["H9", raw, "", "", "测试村", "", "", raw]])
    import_roster(db, write_folder(tmp_path / "csv", sheets))  # openpyxl refuses to write control characters
    assert db.execute("SELECT head_name, notes FROM households WHERE id = 'H9'").fetchone() == (stored, stored)


@pytest.mark.parametrize("spelling", ["h1", "Ｈ1", "H1\u200b", " h１ "], ids=["lower", "full-width", "zero-width",
                                                                              "mixed"])
def test_an_id_spelt_differently_is_the_same_household(db, tmp_path, spelling):
    import_roster(db, write_folder(tmp_path / "base", BASE))
    edited = {"农户": [BASE["农户"][0], [spelling, "丙户主", "测试县", "测试乡", "测试村", "6", "", ""]],
              "结对": [BASE["结对"][0], ["干部联户", "g2", spelling, "", ""]]}
    report = import_roster(db, write_folder(tmp_path / "edited", edited))
    assert report.counts["农户"].added == 0 and report.counts["农户"].updated == 1
    assert db.execute("SELECT id, members FROM households ORDER BY id").fetchall() == [("H1", 6), ("H2", None)]
    assert "干部联户|G2|H1" in {r[0] for r in db.execute("SELECT pair_key FROM pairings")}


def test_two_rows_that_are_one_id_once_cleaned_are_refused_by_row(db, tmp_path):
    sheets = roster(农户=[["Ｈ1", "又一户", "", "", "测试村", "", "", ""], ["h2\u200b", "再一户", "", "", "测试村", "", "", ""]])
    with pytest.raises(RosterError) as caught:
        import_roster(db, write_workbook(tmp_path / "r.xlsx", sheets))
    messages = [str(e) for e in caught.value.errors]
    assert [m.split("（")[0] for m in messages] == ["“农户”表第 4 行「户编号」：“H1”与第 2 行重复",
                                                    "“农户”表第 5 行「户编号」：“H2”与第 3 行重复"]
    assert all("不分大小写和全角半角" in m for m in messages)
    assert all(dump(db)[t] == [] for t in TABLES)


def test_a_huge_shared_string_no_cell_shows_is_refused_too(db, tmp_path):
    shared = huge_cell_workbook(tmp_path, inline=False, chars=100_000)
    unreferenced = patch_sheets(shared, lambda xml: xml.replace(
        '<c r="B2" t="s"><v>0</v></c>', '<c r="B2" t="inlineStr"><is><t>丙户主</t></is></c>'))
    with pytest.raises(RosterError, match="共享文字表里有超过 2,000 字"):
        import_roster(db, unreferenced)
    assert all(dump(db)[t] == [] for t in TABLES)
