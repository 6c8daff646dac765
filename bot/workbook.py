"""Sheets of the workbooks the office hands up: fitted widths, bold frozen header, filters, Excel dates, subtotals, charts.

Written with XlsxWriter in constant-memory mode (a province's visits are millions of rows; each row goes to disk as it
is written): widths are fitted to the header and the first SAMPLE_ROWS rows, because a row once written is final.
Every cell is written by its column's kind, so a text is always a string cell and never a formula.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import xlsxwriter
from xlsxwriter.utility import xl_col_to_name

TEXT, INTEGER, NUMBER, PERCENT, DATE, DATETIME = "text", "integer", "number", "percent", "date", "datetime"
NUMBER_FORMATS = {INTEGER: "0", NUMBER: "0.0", PERCENT: "0.0%", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}
SHOWN_WIDTH = {DATE: 10, DATETIME: 16, PERCENT: 6}  # what Excel shows for these kinds, whatever the value
SAMPLE_ROWS = 1000
MAX_WIDTH = 60
CM = 37.8  # pixels per centimetre, as Excel sizes charts at 96 dpi


class Book:
    """An .xlsx file being written (XlsxWriter, constant memory), with the cell formats its sheets share."""

    def __init__(self, path: Path | str):
        # No string is ever turned into a formula, a number or a link: a cadre's "=HYPERLINK(…)" stays their words.
        self.xlsx = xlsxwriter.Workbook(str(path), {
            "constant_memory": True, "strings_to_formulas": False, "strings_to_numbers": False,
            "strings_to_urls": False})
        self._formats: dict[tuple[str | None, bool], Any] = {}

    def format(self, kind: str | None, bold: bool = False):
        """The shared cell format of a column kind's number format, bold or not (None: the default format)."""
        key = (NUMBER_FORMATS.get(kind or ""), bold)
        if key not in self._formats:
            spec = ({"num_format": key[0]} if key[0] else {}) | ({"bold": True} if bold else {})
            self._formats[key] = self.xlsx.add_format(spec) if spec else None
        return self._formats[key]

    def sheet(self, title: str):
        """The sheet written under this title."""
        return self.xlsx.get_worksheet_by_name(title)

    def close(self) -> None:
        """Finishes the file: nothing is on disk as a workbook before this."""
        self.xlsx.close()


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header and what kind of value it holds."""

    header: str
    kind: str = TEXT


@dataclass(frozen=True)
class Emphasised:
    """A row shown in bold (a subtotal or total)."""

    values: tuple


def display_width(value: Any) -> int:
    """How many character cells a value takes in Excel: CJK and full-width characters count double."""
    text = "" if value is None else str(value)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def local_naive(value: Any, tz: ZoneInfo) -> datetime | date | None:
    """A stored moment (aware datetime, or ISO text; naive means UTC as stored) as naive local time for Excel; a
    calendar day (a date, or 'YYYY-MM-DD' text) stays that day."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        value = date.fromisoformat(value) if len(value) == 10 else datetime.fromisoformat(value)
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=timezone.utc)
        return aware.astimezone(tz).replace(tzinfo=None)
    return value  # a date is already a calendar day


def column_widths(columns: Sequence[Column], rows: Iterable[Sequence]) -> list[float]:
    """Each column's width: its widest header or value (dates as Excel shows them), plus padding, at most MAX_WIDTH."""
    widths = [display_width(c.header) for c in columns]
    for row in rows:
        for i, (column, value) in enumerate(zip(columns, row)):
            shown = SHOWN_WIDTH.get(column.kind) if value not in (None, "") else 0
            widths[i] = max(widths[i], shown if shown is not None else display_width(_shown(value, column.kind)))
    return [min(w + 2, MAX_WIDTH) for w in widths]


def _shown(value: Any, kind: str) -> Any:
    return f"{value:.1f}" if kind == NUMBER and isinstance(value, float) else value


def write_sheet(book: Book, title: str, columns: Sequence[Column], rows: Iterable[Sequence | Emphasised],
                tz: str | ZoneInfo = "Asia/Shanghai") -> int:
    """Adds a sheet with a bold frozen header, auto-filter, fitted widths and typed cells; returns its data rows.

    Rows are sequences in column order, or Emphasised(...) for a bold row. Dates and datetimes are stored naive in
    local time (tz), as Excel has no zones; text never becomes a formula."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    sheet = book.xlsx.add_worksheet(title)
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    plain = [r.values if isinstance(r, Emphasised) else r for r in sample]
    for i, width in enumerate(column_widths(columns, plain)):
        sheet.set_column_pixels(i, i, width * 7)  # stored as exactly `width` characters of 7 px (Calibri 11)
    sheet.freeze_panes(1, 0)
    bold = book.format(None, bold=True)
    for i, column in enumerate(columns):
        sheet.write_string(0, i, column.header, bold)
    writers = [_cell_writer(sheet, book, column.kind, zone) for column in columns]
    emphasised = [_cell_writer(sheet, book, column.kind, zone, bold=True) for column in columns]
    count = 0
    for count, row in enumerate(itertools.chain(sample, rows), 1):
        if isinstance(row, Emphasised):
            row, cells = row.values, emphasised
        else:
            cells = writers
        for i, (write, value) in enumerate(zip(cells, row)):
            if value is not None and value != "":
                write(count, i, value)
    sheet.autofilter(0, 0, count, max(len(columns), 1) - 1)
    return count


def _cell_writer(sheet, book: Book, kind: str, zone: ZoneInfo, bold: bool = False) -> Callable[[int, int, Any], Any]:
    """How a column of this kind writes a (non-empty) value: text as a string cell, numbers and dates typed."""
    plain, typed = book.format(None, bold), book.format(kind, bold)
    write_string, write_number, write_datetime = sheet.write_string, sheet.write_number, sheet.write_datetime

    def as_text(row: int, col: int, value: Any) -> Any:
        if isinstance(value, str):
            return write_string(row, col, value, plain)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return write_string(row, col, str(value), plain)
        return write_number(row, col, value, plain)

    def as_number(row: int, col: int, value: Any) -> Any:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return write_number(row, col, value, typed)
        return as_text(row, col, value)

    def as_moment(row: int, col: int, value: Any) -> Any:
        moment = local_naive(value, zone)
        return write_datetime(row, col, moment, typed) if moment is not None else None

    if kind in (DATE, DATETIME):
        return as_moment
    return as_number if kind in NUMBER_FORMATS else as_text


MAX_ROWS = 1_048_575  # Excel's rows per sheet, less the header


def write_sheets(book: Book, title: str, columns: Sequence[Column], rows: Iterable[Sequence | Emphasised],
                 tz: str | ZoneInfo = "Asia/Shanghai") -> dict[str, int]:
    """write_sheet, continued on "title (2)", "title (3)"… past Excel's rows per sheet; returns each sheet's rows.
    The first sheet is written even when there are no rows."""
    rows = iter(rows)
    counts: dict[str, int] = {}
    for part in itertools.count(1):
        chunk = list(itertools.islice(rows, 1)) if part > 1 else []
        if part > 1 and not chunk:
            break
        name = title if part == 1 else f"{title} ({part})"
        part_rows = itertools.chain(chunk, itertools.islice(rows, MAX_ROWS - len(chunk)))
        counts[name] = write_sheet(book, name, columns, part_rows, tz)
        if counts[name] < MAX_ROWS:
            break
    return counts


# ---- a unit tree with subtotals ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class UnitFigures:
    """A unit's own figures (numbers, added up in subtotals), with where it sits in the tree."""

    unit_id: str
    name: str
    parent_id: str | None
    figures: tuple[int | float, ...]


def unit_tree_rows(units: Sequence[UnitFigures], total_label: str = "合计") -> list[tuple | Emphasised]:
    """Rows (name indented by depth, unit id, *figures) depth-first; after each unit with units below it, a bold
    "小计" row adding up its whole subtree; a bold total row last. Units whose parent is absent are roots."""
    by_id = {u.unit_id: u for u in units}
    children: dict[str | None, list[UnitFigures]] = defaultdict(list)
    for unit in units:
        children[unit.parent_id if unit.parent_id in by_id else None].append(unit)
    width = max((len(u.figures) for u in units), default=0)
    rows: list[tuple | Emphasised] = []

    def visit(unit: UnitFigures, depth: int, seen: frozenset) -> list[int | float]:
        rows.append(("　" * depth + unit.name, unit.unit_id, *unit.figures))
        sums = list(unit.figures) + [0] * (width - len(unit.figures))
        below = [c for c in sorted(children[unit.unit_id], key=lambda c: c.unit_id) if c.unit_id not in seen]
        for child in below:
            sums = [a + b for a, b in zip(sums, visit(child, depth + 1, seen | {child.unit_id}))]
        if below:
            rows.append(Emphasised(("　" * depth + f"{unit.name} 小计", unit.unit_id, *sums)))
        return sums

    total = [0] * width
    for root in sorted(children[None], key=lambda u: u.unit_id):
        total = [a + b for a, b in zip(total, visit(root, 0, frozenset({root.unit_id})))]
    rows.append(Emphasised((total_label, "", *total)))
    return rows


# ---- charts -------------------------------------------------------------------------------------------------------

def add_bar_chart(book: Book, title_of_sheet: str, *, title: str, label_column: int, value_column: int,
                  first_row: int, last_row: int, anchor: str, percent: bool = False, y_title: str = ""):
    """Adds a native Excel bar chart of value_column by label_column over rows first_row..last_row (1-based)."""
    chart = book.xlsx.add_chart({"type": "bar"})  # horizontal: unit names are long
    where = "'" + title_of_sheet.replace("'", "''") + "'"
    column = lambda n: xl_col_to_name(n - 1)  # noqa: E731
    chart.add_series({
        "values": f"={where}!${column(value_column)}${first_row}:${column(value_column)}${last_row}",
        "categories": f"={where}!${column(label_column)}${first_row}:${column(label_column)}${last_row}"})
    chart.set_title({"name": title})
    chart.set_legend({"none": True})
    value_axis = {"name": y_title} if y_title else {}
    if percent:
        value_axis |= {"num_format": "0%", "min": 0, "max": 1}
    chart.set_x_axis(value_axis)  # a bar chart's values run along its horizontal (x) axis
    # one bar's label must stay readable: 0.6 cm a bar, at least 7.5 cm; 18 cm wide
    chart.set_size({"width": 18 * CM, "height": max(7.5, 0.6 * (last_row - first_row + 1)) * CM})
    book.sheet(title_of_sheet).insert_chart(anchor, chart)
    return chart


def write_coverage_sheet(book: Book, title: str, coverage: Sequence[tuple[str, int, int]],
                         tz: str | ZoneInfo = "Asia/Shanghai") -> int:
    """A sheet of (unit, households, visited, coverage) with a bar chart of coverage by unit; returns its rows."""
    rows = [(name, households, visited, visited / households if households else 0.0)
            for name, households, visited in coverage]
    count = write_sheet(book, title, [Column("单位"), Column("联系户", INTEGER), Column("已走访", INTEGER),
                                      Column("覆盖率", PERCENT)], rows, tz)
    if count:
        add_bar_chart(book, title, title="走访覆盖率（按单位）", label_column=1, value_column=4, first_row=2,
                      last_row=count + 1, anchor="F2", percent=True)
    return count
