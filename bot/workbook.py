"""Sheets of the workbooks the office hands up: fitted widths, bold frozen header, filters, Excel dates, subtotals, charts.

Works on write-only workbooks (a province's visits are millions of rows): widths are fitted to the header and the
first SAMPLE_ROWS rows, because a write-only sheet must know its columns before its first row.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from bot.excel import cell, looks_like_formula

TEXT, INTEGER, NUMBER, PERCENT, DATE, DATETIME = "text", "integer", "number", "percent", "date", "datetime"
NUMBER_FORMATS = {INTEGER: "0", NUMBER: "0.0", PERCENT: "0.0%", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}
SHOWN_WIDTH = {DATE: 10, DATETIME: 16, PERCENT: 6}  # what Excel shows for these kinds, whatever the value
SAMPLE_ROWS = 1000
MAX_WIDTH = 60
BOLD = Font(bold=True)


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


def write_sheet(book, title: str, columns: Sequence[Column], rows: Iterable[Sequence | Emphasised],
                tz: str | ZoneInfo = "Asia/Shanghai") -> int:
    """Adds a sheet with a bold frozen header, auto-filter, fitted widths and typed cells; returns its data rows.

    Rows are sequences in column order, or Emphasised(...) for a bold row. Dates and datetimes are stored naive in
    local time (tz), as Excel has no zones; text never becomes a formula."""
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    sheet = book.create_sheet(title)
    rows = iter(rows)
    sample = list(itertools.islice(rows, SAMPLE_ROWS))
    plain = [r.values if isinstance(r, Emphasised) else r for r in sample]
    for i, width in enumerate(column_widths(columns, plain), 1):
        sheet.column_dimensions[get_column_letter(i)].width = width
    sheet.freeze_panes = "A2"  # before the first row: a write-only sheet writes its views first
    header = []
    for column in columns:
        made = cell(sheet, column.header)
        made.font = BOLD
        header.append(made)
    sheet.append(header)
    count = 0
    for row in itertools.chain(sample, rows):
        sheet.append(_typed_row(sheet, columns, row, zone))
        count += 1
    last = get_column_letter(max(len(columns), 1))
    sheet.auto_filter.ref = f"A1:{last}{count + 1}"
    return count


MAX_ROWS = 1_048_575  # Excel's rows per sheet, less the header


def write_sheets(book, title: str, columns: Sequence[Column], rows: Iterable[Sequence | Emphasised],
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


def _typed_row(sheet, columns: Sequence[Column], row, zone: ZoneInfo) -> list:
    bold = isinstance(row, Emphasised)
    values = row.values if bold else row
    out = []
    for column, value in zip(columns, values):
        if column.kind in (DATE, DATETIME):
            value = local_naive(value, zone)
        formatted = column.kind in NUMBER_FORMATS and value is not None and not isinstance(value, str)
        if not (bold or formatted or looks_like_formula(value)):
            out.append(value)  # a plain value: openpyxl writes it without a cell object of ours
            continue
        made = cell(sheet, value)
        if formatted:
            made.number_format = NUMBER_FORMATS[column.kind]
        if bold:
            made.font = BOLD
        out.append(made)
    return out


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

def add_bar_chart(sheet, *, title: str, label_column: int, value_column: int, first_row: int, last_row: int,
                  anchor: str, percent: bool = False, y_title: str = "") -> BarChart:
    """Adds a native Excel bar chart of value_column by label_column over rows first_row..last_row (1-based)."""
    chart = BarChart()
    chart.type = "bar"  # horizontal: unit names are long
    chart.title = title
    chart.legend = None
    chart.y_axis.title = y_title
    if percent:
        chart.y_axis.numFmt = "0%"
        chart.y_axis.scaling.min, chart.y_axis.scaling.max = 0, 1
    chart.add_data(Reference(sheet, min_col=value_column, min_row=first_row, max_row=last_row), titles_from_data=False)
    chart.set_categories(Reference(sheet, min_col=label_column, min_row=first_row, max_row=last_row))
    chart.height = max(7.5, 0.6 * (last_row - first_row + 1))  # cm: one bar's label must stay readable
    chart.width = 18
    sheet.add_chart(chart, anchor)
    return chart


def write_coverage_sheet(book, title: str, coverage: Sequence[tuple[str, int, int]],
                         tz: str | ZoneInfo = "Asia/Shanghai") -> int:
    """A sheet of (unit, households, visited, coverage) with a bar chart of coverage by unit; returns its rows."""
    rows = [(name, households, visited, visited / households if households else 0.0)
            for name, households, visited in coverage]
    count = write_sheet(book, title, [Column("单位"), Column("联系户", INTEGER), Column("已走访", INTEGER),
                                      Column("覆盖率", PERCENT)], rows, tz)
    if count:
        add_bar_chart(book[title], title="走访覆盖率（按单位）", label_column=1, value_column=4, first_row=2,
                      last_row=count + 1, anchor="F2", percent=True)
    return count
