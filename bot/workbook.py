"""Sheets of the workbooks the office hands up: fitted widths, bold frozen header, filters, Excel dates, subtotals, charts.

Written with rustpy-xlsxwriter (Python bindings to the Rust rust_xlsxwriter; nothing else in the bot imports it): a
Book collects its sheets, each with its rows as an iterator, and close() writes them all in one pass, each row going
to disk as it is written (a province's visits are millions of rows). So widths are fitted to the header and the first
SAMPLE_ROWS rows, and what a sheet holds is only known, and counted, when the book is closed. A text is always a
string cell, never a formula, a number or a link.
"""

from __future__ import annotations

import itertools
import operator
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import rustpy_xlsxwriter
from openpyxl.utils.cell import coordinate_to_tuple

TEXT, INTEGER, NUMBER, PERCENT, DATE, DATETIME = "text", "integer", "number", "percent", "date", "datetime"
NUMBER_FORMATS = {INTEGER: "0", NUMBER: "0.0", PERCENT: "0.0%", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}
SHOWN_WIDTH = {DATE: 10, DATETIME: 16, PERCENT: 6}  # what Excel shows for these kinds, whatever the value
SAMPLE_ROWS = 1000
MAX_WIDTH = 60
CM = 37.8  # pixels per centimetre, as Excel sizes charts at 96 dpi
MAX_ROWS = 1_048_575  # Excel's rows per sheet, less the header
CELL_TEXT_LIMIT = 32_767  # Excel's characters in a cell: a longer text is cut there
# Excel keeps a width of w characters as w plus 5 pixels of padding (at 7 pixels a character); asking for this much
# less stores exactly w, as the sheets always have.
PADDING = 5 / 7
_PLAIN = frozenset({str, int, float, type(None)})  # what a text or number cell takes as it is


class Book:
    """An .xlsx file being written: sheets are added in order, and close() writes them all, row by row."""

    def __init__(self, path: Path | str):
        self.path = Path(path)
        self._sheets: list[_Sheet] = []

    def sheet(self, title: str) -> _Sheet:
        """The sheet added under this title."""
        return next(s for s in self._sheets if s.title == title)

    def close(self) -> dict[str, int]:
        """Writes the file (nothing is on disk before); returns each sheet's data rows, in order."""
        bold = rustpy_xlsxwriter.Format().set_bold()
        formats = {kind: rustpy_xlsxwriter.Format().set_num_format(code) for kind, code in NUMBER_FORMATS.items()}
        emphasised = {s.title: {row: bold for row in s.bold_rows} for s in self._sheets if s.bold_rows}
        rustpy_xlsxwriter.write_worksheets(
            [(s.title, s.records) for s in self._sheets], str(self.path),
            freeze_panes={"general": {"row": 1, "col": 0}}, bold_headers=True, autofit=False,
            column_widths={s.title: [w - PADDING for w in s.widths] for s in self._sheets},
            column_formats={s.title: [formats.get(c.kind) for c in s.columns] for s in self._sheets},
            autofilter={s.title: True for s in self._sheets},
            # a bold row's format must reach rows not yet written: such a (small) sheet is kept in memory instead
            row_formats=emphasised or None, dedupe_strings={title: True for title in emphasised} or None,
            charts={s.title: s.charts for s in self._sheets if s.charts} or None)
        return {s.title: s.rows for s in self._sheets}


@dataclass(frozen=True)
class Column:
    """A column of a sheet: its header and what kind of value it holds."""

    header: str
    kind: str = TEXT


@dataclass(frozen=True)
class Emphasised:
    """A row shown in bold (a subtotal or total)."""

    values: tuple


@dataclass(eq=False)
class _Sheet:
    """A sheet of a Book: what close() writes, and how many data rows it wrote."""

    title: str
    columns: Sequence[Column]
    widths: list[float]
    bold_rows: list[int]
    records: Iterator[dict] | None = None
    charts: list[dict] = field(default_factory=list)
    rows: int = 0


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


def _local_moments(zone: ZoneInfo) -> Callable[[Any], datetime | date | None]:
    """local_naive for a column's values, quicker for the stored UTC text ('…+00:00'): the zone's offset is found once
    an hour (an hour within which the offset changes is converted value by value)."""
    offsets: dict[str, timedelta | None] = {}

    def convert(value: Any) -> datetime | date | None:
        if type(value) is str and len(value) > 19 and value.endswith("+00:00"):
            hour = value[:13]
            if hour not in offsets:
                start = datetime.fromisoformat(hour + ":00:00+00:00")
                first, last = (moment.astimezone(zone).utcoffset() for moment in (start, start + _HOUR_END))
                offsets[hour] = first if first == last else None
            if offsets[hour] is not None:
                return datetime.fromisoformat(value[:-6]) + offsets[hour]
        return local_naive(value, zone)

    return convert


_HOUR_END = timedelta(hours=1, microseconds=-1)


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
                tz: str | ZoneInfo = "Asia/Shanghai") -> None:
    """Adds a sheet with a bold frozen header, auto-filter, fitted widths and typed cells (Book.close() writes it
    and counts its rows).

    Rows are sequences in column order; in a list, also Emphasised(...) for a bold row. Dates and datetimes are
    stored naive in local time (tz), as Excel has no zones; text never becomes a formula. The rows are read when the
    book is closed, but for the first SAMPLE_ROWS, read now to fit the widths."""
    _add_sheets(book, [title], columns, rows, tz, None)


def write_sheets(book: Book, title: str, columns: Sequence[Column], rows: Iterable[Sequence], total: int,
                 tz: str | ZoneInfo = "Asia/Shanghai", widths_from: Iterable[Sequence] | None = None) -> None:
    """write_sheet for `total` rows, continued on "title (2)", "title (3)"… past Excel's rows per sheet (the sheets
    must be named before their rows are read, hence the total). The first sheet is written even when there are no
    rows; rows beyond the total would not fit and fail the book.

    widths_from: rows to fit the widths to instead of the first rows, which are then not read before the book is
    closed (a sorted query's first row waits for all of them)."""
    parts = max(1, -(-total // MAX_ROWS))
    _add_sheets(book, [title] + [f"{title} ({part})" for part in range(2, parts + 1)], columns, rows, tz, widths_from)


def _add_sheets(book: Book, titles: list[str], columns: Sequence[Column], rows: Iterable[Sequence | Emphasised],
                tz: str | ZoneInfo, widths_from: Iterable[Sequence] | None) -> None:
    """Sheets of the same columns taking MAX_ROWS of the rows each, their widths fitted to the first rows."""
    headers = [c.header for c in columns]
    if len(set(headers)) != len(headers):
        raise ValueError(f"sheet {titles[0]!r}: two columns have the same header")
    zone = tz if isinstance(tz, ZoneInfo) else ZoneInfo(tz)
    bold_rows: list[int] = []
    if isinstance(rows, Sequence):  # the bold rows are known before any is written
        bold_rows = [n for n, row in enumerate(rows, 1) if isinstance(row, Emphasised)]  # 0-based, after the header
        rows = [row.values if isinstance(row, Emphasised) else row for row in rows]
    rows = iter(rows)
    sample = list(itertools.islice(rows if widths_from is None else iter(widths_from), SAMPLE_ROWS))
    widths = column_widths(columns, [r.values if isinstance(r, Emphasised) else r for r in sample])
    if widths_from is None:
        rows = itertools.chain(sample, rows)
    for part, title in enumerate(titles):
        sheet = _Sheet(title, columns, widths, bold_rows if part == 0 else [])
        last = part == len(titles) - 1
        sheet.records = _records(sheet, rows if last else itertools.islice(rows, MAX_ROWS), zone)
        book._sheets.append(sheet)


def _records(sheet: _Sheet, rows: Iterator[Sequence], zone: ZoneInfo) -> Iterator[dict]:
    """The sheet's rows as the writer takes them (one dict a row, by header), counted into sheet.rows as they go.

    Moments become local naive datetimes; a text or number goes as it is (the writer keeps a str a string cell); a
    missing value leaves the cell empty; anything else is written as its text. A sheet without rows still gets
    its header, from a row of empty cells."""
    headers = [c.header for c in sheet.columns]
    width = len(headers)
    moments = [i for i, c in enumerate(sheet.columns) if c.kind in (DATE, DATETIME)]
    others = [i for i in range(width) if i not in moments]
    rest = operator.itemgetter(*others) if len(others) > 1 else (lambda row: tuple(row[i] for i in others))
    local, moment_headers = _local_moments(zone), [headers[i] for i in moments]
    count = 0
    for count, row in enumerate(rows, 1):
        if isinstance(row, Emphasised):
            raise TypeError(f"sheet {sheet.title!r}: a bold row needs the rows as a list")
        if len(row) != width:
            row = (list(row) + [None] * width)[:width]
        if not _PLAIN.issuperset(map(type, rest(row))):
            row = [row[i] if i in moments else _cell_value(row[i]) for i in range(width)]
        record = dict(zip(headers, row))
        for header in moment_headers:
            record[header] = local(record[header])
        yield record
    sheet.rows = count
    if count == 0:
        yield dict.fromkeys(headers)


def _cell_value(value: Any) -> Any:
    """A value of a text or number column as the writer takes it: str (cut at Excel's limit), int, float or None."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return value[:CELL_TEXT_LIMIT]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)[:CELL_TEXT_LIMIT]
    return value


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

def add_bar_chart(book: Book, title_of_sheet: str, *, title: str, label_column: int, value_column: int, bars: int,
                  anchor: str, y_title: str = "") -> None:
    """Adds a native Excel bar chart of value_column by label_column (1-based) over the sheet's data rows, placed at
    anchor ("F2"); its value axis shows the values' own number format."""
    sheet = book.sheet(title_of_sheet)
    row, column = coordinate_to_tuple(anchor)
    chart = {"type": "bar",  # horizontal: unit names are long
             "series": [sheet.columns[value_column - 1].header], "categories": sheet.columns[label_column - 1].header,
             "title": title, "legend": False, "row": row - 1, "col": column - 1,
             # one bar's label must stay readable: 0.6 cm a bar, at least 7.5 cm; 18 cm wide
             "width": round(18 * CM), "height": round(max(7.5, 0.6 * bars) * CM)}
    if y_title:
        chart["x_axis"] = y_title  # a bar chart's values run along its horizontal (x) axis
    sheet.charts.append(chart)


def write_coverage_sheet(book: Book, title: str, coverage: Sequence[tuple[str, int, int]],
                         tz: str | ZoneInfo = "Asia/Shanghai") -> None:
    """A sheet of (unit, households, visited, coverage) with a bar chart of coverage by unit (when there are units)."""
    rows = [(name, households, visited, visited / households if households else 0.0)
            for name, households, visited in coverage]
    write_sheet(book, title, [Column("单位"), Column("联系户", INTEGER), Column("已走访", INTEGER),
                              Column("覆盖率", PERCENT)], rows, tz)
    if rows:
        add_bar_chart(book, title, title="走访覆盖率（按单位）", label_column=1, value_column=4, bars=len(rows),
                      anchor="F2")
