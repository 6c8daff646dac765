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
