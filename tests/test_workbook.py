"""The workbook layer of the office's reports (written with rustpy-xlsxwriter), read back with openpyxl (and the chart
from the file itself)."""

from __future__ import annotations

import re
import zipfile
from datetime import date, datetime, timezone

import pytest
from openpyxl import load_workbook

from bot.workbook import (DATE, DATETIME, INTEGER, PERCENT, Book, Column, Emphasised, UnitFigures, display_width,
                          unit_tree_rows, write_coverage_sheet, write_sheet)

COLUMNS = [Column("走访时间", DATETIME), Column("日期", DATE), Column("单位"), Column("户数", INTEGER),
           Column("说明")]
ROWS = [
    (datetime(2010, 5, 12, 1, 30, tzinfo=timezone.utc), date(2010, 5, 12), "州委创先争优活动办公室", 12, "ok"),
    ("2010-05-11T18:00:00+00:00", None, "示例县委", 3, '=HYPERLINK("http://x","点我")'),
    (None, "", "U01", None, "+86 139"),
]


@pytest.fixture
def saved(tmp_path):
    """The sample sheet written, saved and read back."""
    path = tmp_path / "r.xlsx"
    book = Book(path)
    write_sheet(book, "走访记录", COLUMNS, ROWS)
    assert book.close() == {"走访记录": 3}
    return load_workbook(path)["走访记录"]


def test_header_is_bold_frozen_and_filtered(saved):
    assert [c.value for c in saved[1]] == [c.header for c in COLUMNS]
    assert all(c.font.b for c in saved[1]) and not saved["C2"].font.b
    assert saved.freeze_panes == "A2"
    assert saved.auto_filter.ref == "A1:E4"


def test_widths_fit_the_widest_value_with_cjk_counted_double(saved):
    widths = {col: saved.column_dimensions[col].width for col in "ABCDE"}
    assert widths["C"] == display_width("州委创先争优活动办公室") + 2 == 24
    assert widths["A"] == 16 + 2  # a datetime as Excel shows it: yyyy-mm-dd hh:mm
    assert widths["B"] == 10 + 2  # a date: yyyy-mm-dd
    assert widths["E"] == len('=HYPERLINK("http://x","点我")') + 2 + 2  # 点我: two wide characters


def test_moments_are_real_excel_dates_in_beijing_time(saved):
    assert saved["A2"].is_date and saved["A2"].value == datetime(2010, 5, 12, 9, 30)
    assert saved["A2"].number_format == "yyyy-mm-dd hh:mm"
    assert saved["A3"].value == datetime(2010, 5, 12, 2, 0)  # 18:00 UTC is 02:00 the next day in Beijing
    assert saved["B2"].is_date and saved["B2"].value == datetime(2010, 5, 12) and saved["B2"].number_format == "yyyy-mm-dd"
    assert saved["A4"].value is None and saved["B4"].value is None


def test_text_never_becomes_a_formula(saved):
    assert saved["E3"].data_type == "s" and saved["E3"].value == '=HYPERLINK("http://x","点我")'
    assert saved["E4"].data_type == "s" and saved["E4"].value == "+86 139"
    assert saved["D2"].value == 12 and saved["D2"].data_type == "n"


def test_widths_of_numbers_and_missing_values():
    from bot.workbook import column_widths

    assert column_widths([Column("率", PERCENT), Column("数", INTEGER)], [(0.5, 123456789), (None, None)]) == [8, 11]


TREE = [
    UnitFigures("U00", "活动办", None, (0, 0)),
    UnitFigures("U01", "甲县委", "U00", (10, 4)),
    UnitFigures("U0101", "甲一支部", "U01", (5, 5)),
    UnitFigures("U0102", "甲二支部", "U01", (7, 1)),
    UnitFigures("U02", "乙县委", "U00", (3, 3)),
]


def test_unit_tree_rows_add_up_each_subtree():
    rows = unit_tree_rows(TREE)
    shown = [(r.values if isinstance(r, Emphasised) else r, isinstance(r, Emphasised)) for r in rows]
    assert shown == [
        (("活动办", "U00", 0, 0), False),
        (("　甲县委", "U01", 10, 4), False),
        (("　　甲一支部", "U0101", 5, 5), False),
        (("　　甲二支部", "U0102", 7, 1), False),
        (("　甲县委 小计", "U01", 22, 10), True),
        (("　乙县委", "U02", 3, 3), False),
        (("活动办 小计", "U00", 25, 13), True),
        (("合计", "", 25, 13), True),
    ]


def test_a_county_alone_is_its_own_root_and_subtotal_rows_are_bold(tmp_path):
    rows = unit_tree_rows([u for u in TREE if u.unit_id.startswith("U01")])
    assert rows[-1].values == ("合计", "", 22, 10)
    book = Book(tmp_path / "t.xlsx")
    write_sheet(book, "汇总", [Column("单位"), Column("编号"), Column("户", INTEGER), Column("已访", INTEGER)], rows)
    book.close()
    sheet = load_workbook(tmp_path / "t.xlsx")["汇总"]
    assert [sheet.cell(r, 1).font.b for r in range(2, sheet.max_row + 1)] == [False, False, False, True, True]


def test_coverage_sheet_has_a_native_bar_chart_over_its_rows(tmp_path):
    path = tmp_path / "c.xlsx"
    book = Book(path)
    write_coverage_sheet(book, "覆盖率", [("甲县委", 22, 10), ("乙县委", 3, 3), ("丙县委", 0, 0)])
    assert book.close() == {"覆盖率": 3}
    sheet = load_workbook(path)["覆盖率"]
    assert sheet["D2"].value == pytest.approx(10 / 22) and sheet["D2"].number_format == "0.0%"
    assert sheet["D4"].value == 0
    with zipfile.ZipFile(path) as z:
        charts = [n for n in z.namelist() if n.startswith("xl/charts/chart")]
        assert len(charts) == 1
        xml = z.read(charts[0]).decode()
    xml = xml.replace(" />", "/>").replace("<c:", "<").replace("</c:", "</")  # the chart namespace's prefix aside
    assert "<barChart>" in xml and '<barDir val="bar"/>' in xml
    # values, then unit names (a sheet name of letters may stand unquoted, as Excel writes it)
    assert re.search(r"<f>('?)覆盖率\1!\$D\$2:\$D\$4</f>", xml) and re.search(r"<f>('?)覆盖率\1!\$A\$2:\$A\$4</f>", xml)


def test_a_calendar_day_stays_that_day_and_a_moment_turns_local():
    from zoneinfo import ZoneInfo

    from bot.workbook import local_naive

    zone = ZoneInfo("Asia/Shanghai")
    assert local_naive("2010-05-01", zone) == date(2010, 5, 1)  # not 2010-05-01 08:00
    assert local_naive("2010-05-01T16:30:00+00:00", zone) == datetime(2010, 5, 2, 0, 30)


def test_a_sheet_without_rows_has_its_header_and_long_sheets_can_fit_widths_to_other_rows(tmp_path):
    from bot.workbook import write_sheets

    read = []

    def rows():
        read.append("started")
        yield ("甲", 1)

    book = Book(tmp_path / "w.xlsx")
    write_sheet(book, "空", COLUMNS, [])
    write_sheets(book, "长", [Column("单位"), Column("户数", INTEGER)], rows(), 1, widths_from=[("州委创先争优活动办公室", 1)])
    assert read == []  # the rows are read only when the book is written
    assert book.close() == {"空": 0, "长": 1}
    saved = load_workbook(tmp_path / "w.xlsx")
    assert [c.value for c in saved["空"][1]] == [c.header for c in COLUMNS] and saved["空"].max_row == 1
    assert saved["长"].column_dimensions["A"].width == 24 and saved["长"]["A2"].value == "甲"


def test_a_bold_row_needs_the_rows_as_a_list(tmp_path):
    book = Book(tmp_path / "b.xlsx")
    write_sheet(book, "汇总", [Column("单位")], (r for r in [("甲",), Emphasised(("合计",))]))
    with pytest.raises(TypeError, match="list"):
        book.close()


@pytest.mark.parametrize("zone", ["Asia/Shanghai", "Europe/Berlin", "Asia/Kathmandu", "America/St_Johns"])
def test_moments_of_a_column_turn_local_as_local_naive_does_across_summer_time(zone):
    from datetime import timedelta
    from zoneinfo import ZoneInfo

    from bot.workbook import _local_moments, local_naive

    tz, local = ZoneInfo(zone), _local_moments(ZoneInfo(zone))
    start = datetime(2010, 3, 13, tzinfo=timezone.utc)  # before the spring changes of 2010, through the autumn ones
    moments = [(start + timedelta(minutes=17 * n)).isoformat() for n in range(25_000)]
    moments += ["2010-05-11T18:00:00Z", "2010-05-11T18:00:00", "2010-05-01", None, ""]
    assert [local(m) for m in moments] == [local_naive(m, tz) for m in moments]
