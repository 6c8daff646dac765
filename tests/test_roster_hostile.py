"""Hostile and unusual rosters: a sheet declaring a wrong size, over-long cells, invisible characters and 编号 that
differ only in case or width, each read in full or refused with the sheet, row and column named."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from bot.db import open_db
from bot.roster import RosterError, import_roster
from tests.test_roster_import import BASE, TABLES, dump, roster, write_folder, write_workbook

MORE_HOUSEHOLDS = [[f"H{i}", f"户主{i}", "", "", "测试村", "", "", ""] for i in range(10, 18)]


@pytest.fixture
def db(tmp_path):
    """A fresh SQLite file."""
    database = open_db(tmp_path / "roster.db")
    yield database
    database.close()


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
    report = import_roster(db, lying)
    assert report.counts["农户"].rows == 10 and report.counts["结对"].rows == 6
    expected = open_db(tmp_path / "expected.db")
    import_roster(expected, write_folder(tmp_path / "csv", sheets))
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
