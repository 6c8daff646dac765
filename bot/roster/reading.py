"""Reading a roster: an .xlsx workbook or a folder of CSV files (UTF-8, UTF-8 with BOM, GB18030), sheet by sheet.

Each sheet comes out as rows of stripped text in the layout's column order, with the row number Excel shows."""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.roster.cells import ID_COLUMNS, cleaner
from bot.roster.layout import INSTRUCTIONS, SHEET_BY_NAME, SHEETS, SheetLayout
from bot.roster.oversized import oversized_cells
from bot.roster.report import RosterError, RowIssue, rejection

logger = logging.getLogger(__name__)

HEADER_SEARCH_ROWS = 5  # a title line or two above the header is common in Chinese spreadsheets
CSV_FIELD_LIMIT = 1_000_000  # characters: longer cells get a length message from the checker, beyond this one here
ABSENT = 1 << 30  # position of a column the sheet does not have: always read as ""
_HEADER_NOISE = re.compile(r"[\s*＊]")
KNOWN_NAMES = "、".join(sheet.name for sheet in SHEETS)


@dataclass
class SheetRows:
    """One sheet of the roster, ready to check: (row number, cells in layout order) pairs."""

    layout: SheetLayout
    rows: Iterator[tuple[int, list[str]]]
    estimated_rows: int


@dataclass
class RosterSource:
    """The sheets found in a workbook or folder, with the problems and remarks about its shape."""

    label: str
    sheets: dict[str, SheetRows] = field(default_factory=dict)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    _workbook: object = None

    def __enter__(self) -> RosterSource:
        return self

    def __exit__(self, *exc) -> None:
        if self._workbook is not None:
            self._workbook.close()


def open_source(path: Path) -> RosterSource:
    """Opens a roster at path: an .xlsx file, a folder of 单位/干部/农户/结对 .csv files, or one such .csv file."""
    if path.is_dir():
        return _open_folder(path)
    suffix = path.suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _open_workbook(path)
    if suffix == ".csv":
        if _HEADER_NOISE.sub("", path.stem) not in SHEET_BY_NAME:
            raise RosterError(f"CSV 文件要以表名命名：{KNOWN_NAMES.replace('、', '.csv、')}.csv（现在是 {path.name}）。")
        return _open_csv_files(path.name, [path])
    if suffix in (".xls", ".et", ".wps"):
        raise RosterError(f"{path.name} 是旧版 Excel/WPS 格式，读不了。请在 Excel 或 WPS 中“另存为” .xlsx 工作簿后再导入。")
    raise RosterError(f"{path.name} 不是花名册：请给出 .xlsx 工作簿，或装有 {KNOWN_NAMES}.csv 的文件夹。")


# ---- workbook ----

def _open_workbook(path: Path) -> RosterSource:
    import openpyxl

    oversized = oversized_cells(path, _sheet_name)
    if oversized:
        raise rejection(oversized)
    try:
        workbook = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds (BadZipFile, KeyError, XML errors…); all mean the same here
        logger.info("cannot open workbook %s: %r", path, exc)
        raise RosterError(f"打不开工作簿 {path.name}：文件已损坏，或不是真正的 .xlsx。请用 Excel/WPS 打开后重新保存为 .xlsx 再导入。") from None
    source = RosterSource(path.name, _workbook=workbook)
    for title in workbook.sheetnames:
        name = _HEADER_NOISE.sub("", title)
        layout = SHEET_BY_NAME.get(name)
        if layout is None:
            if name != INSTRUCTIONS:
                source.warnings.append(f"工作表“{title}”不是 {KNOWN_NAMES} 之一，已忽略。")
            continue
        sheet = workbook[title]
        declared_rows = sheet.max_row or 0  # an estimate for progress only: some generators write it wrong
        sheet.reset_dimensions()  # read-only mode trusts <dimension>; without it every row and column is read
        rows = ((n, [_cell_text(v) for v in values]) for n, values in
                enumerate(sheet.iter_rows(min_row=1, values_only=True), start=1))
        _add_sheet(source, layout, _guarded(rows, f"工作表“{title}”"), declared_rows)
    _require_some_sheet(source, f"工作簿 {path.name} 里没有名为 {KNOWN_NAMES} 的工作表（可先用 campaign-bot template 生成模板）。")
    return source


def _sheet_name(title: str) -> str:
    """The roster's name for a sheet title (“ 农户* ” is 农户), or the title as it is."""
    name = _HEADER_NOISE.sub("", title)
    return name if name in SHEET_BY_NAME else title


def _cell_text(value) -> str:
    """A cell as text: whole numbers without '.0' (Excel stores 13800000000 and 5 as floats), dates as ISO."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    return str(value)


# ---- CSV ----

def _open_folder(folder: Path) -> RosterSource:
    files = sorted(p for p in folder.iterdir() if p.suffix.lower() == ".csv" and p.is_file())
    return _open_csv_files(folder.name + "/", files, folder_name=folder.name)


def _open_csv_files(label: str, files: list[Path], folder_name: str = "") -> RosterSource:
    source = RosterSource(label)
    for path in files:
        layout = SHEET_BY_NAME.get(_HEADER_NOISE.sub("", path.stem))
        if layout is None:
            source.warnings.append(f"文件 {path.name} 不是 {KNOWN_NAMES}.csv 之一，已忽略。")
            continue
        text = decode_csv(path)
        csv.field_size_limit(CSV_FIELD_LIMIT)  # process-wide, and the same for every roster read
        rows = enumerate(csv.reader(io.StringIO(text, newline=""), dialect=_dialect(text)), start=1)
        _add_sheet(source, layout, _guarded(rows, f"文件 {path.name}"), text.count("\n"))
    where = f"文件夹 {folder_name}" if folder_name else label
    _require_some_sheet(source, f"{where} 里没有 {KNOWN_NAMES}.csv 中的任何一个文件。")
    return source


def decode_csv(path: Path) -> str:
    """The CSV's text, whichever of UTF-8 (with or without BOM), UTF-16 or GB18030 Excel saved it in."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise RosterError(f"读不了文件 {path.name}：{exc.strerror or exc}") from None
    if data.startswith(b"PK\x03\x04"):
        raise RosterError(f"{path.name} 其实是一个 Excel 工作簿，请把它的扩展名改为 .xlsx 再导入。")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    if b"\x00" in data:
        raise RosterError(f"{path.name} 不是文本文件（CSV）。请在 Excel 中“另存为 CSV”后再导入。")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError:
        raise RosterError(f"{path.name} 的文字编码认不出来。请另存为“CSV UTF-8（逗号分隔）”后再导入。") from None


def _dialect(text: str) -> type[csv.Dialect]:
    first_line = text[: text.find("\n")] if "\n" in text else text
    return csv.excel_tab if "\t" in first_line and "," not in first_line else csv.excel


# ---- header and rows, for both kinds ----

def _require_some_sheet(source: RosterSource, message: str) -> None:
    """Refuses a source in which not one of the four sheets was found."""
    if not source.sheets and not source.errors:
        source.__exit__(None, None, None)
        raise RosterError(message)


def _add_sheet(source: RosterSource, layout: SheetLayout, rows: Iterator[tuple[int, list[str]]], estimate: int) -> None:
    if layout.name in source.sheets:
        source.warnings.append(f"“{layout.name}”出现了不止一次，只读了第一个。")
        return
    header = _find_header(layout, rows)
    if header is None:
        source.errors.append(RowIssue(layout.name, None, "", f"找不到表头。第一行应是：{'、'.join(layout.columns)}"))
        return
    header_row, names = header
    positions = _positions(source, layout, names)
    if positions is not None:
        source.sheets[layout.name] = SheetRows(layout, _project(rows, positions, layout), max(estimate - header_row, 0))


def _guarded(rows: Iterator[tuple[int, list[str]]], where: str) -> Iterator[tuple[int, list[str]]]:
    """The rows, with a damaged file's error (at whatever row it shows) turned into a RosterError."""
    number = 0
    try:
        for number, cells in rows:
            yield number, cells
    except csv.Error as exc:
        if "field larger than field limit" not in str(exc):
            raise _damaged(where, number, exc) from None
        raise RosterError(f"{where}第 {number + 1} 行有一格超过 {CSV_FIELD_LIMIT:,} 字，比花名册任何一列允许的都长得多。"
                          "请检查这一行（是否误粘贴了整篇文字）后重新导入。") from None
    except Exception as exc:  # openpyxl and csv raise many kinds on damaged input; each means the same to the user
        raise _damaged(where, number, exc) from None


def _damaged(where: str, number: int, exc: Exception) -> RosterError:
    logger.info("cannot read %s after row %d: %r", where, number, exc)
    return RosterError(f"{where}第 {number + 1} 行的内容损坏，读不下去。请用 Excel/WPS 打开后重新保存，再导入。")


def _find_header(layout: SheetLayout, rows: Iterator[tuple[int, list[str]]]) -> tuple[int, list[str]] | None:
    seen = 0
    for number, cells in rows:
        if not any(cells):
            continue
        names = [_HEADER_NOISE.sub("", c) for c in cells]
        if layout.key in names:
            return number, names
        seen += 1
        if seen >= HEADER_SEARCH_ROWS:
            return None
    return None


def _positions(source: RosterSource, layout: SheetLayout, names: list[str]) -> list[int] | None:
    """Where each of the layout's columns is in this sheet; None (with errors) when the header is unusable."""
    errors = []
    for name in sorted({n for n in names if n and names.count(n) > 1}):
        errors.append(RowIssue(layout.name, None, name, "表头里这一列出现了不止一次"))
    for name in layout.required:
        if name not in names:
            errors.append(RowIssue(layout.name, None, name, "缺少这一必填列"))
    extra = [n for n in names if n and n not in layout.columns]
    if extra:
        source.warnings.append(f"“{layout.name}”表中的列 {'、'.join(extra)} 不在花名册格式里，已忽略。")
    if errors:
        source.errors.extend(errors)
        return None
    return [names.index(c) if c in names else ABSENT for c in layout.columns]


def _project(rows: Iterator[tuple[int, list[str]]], positions: list[int],
             layout: SheetLayout) -> Iterator[tuple[int, list[str]]]:
    """Each non-empty row as its cells in layout order, cleaned (cells.clean_text, 编号 upper case); columns the sheet
    lacks read as ""."""
    cleaners = [cleaner(c) for c in layout.columns]
    ids = [i for i, c in enumerate(layout.columns) if c in ID_COLUMNS]
    for number, cells in rows:
        width = len(cells)
        picked = [cells[i].strip() if i < width else "" for i in positions]
        joined = "".join(picked)
        if joined.isprintable() and (joined.isascii() or unicodedata.is_normalized("NFKC", joined)):
            for i in ids:  # nothing else to clean: the common case, kept fast
                picked[i] = picked[i].upper()
        else:
            picked = [clean(c) for clean, c in zip(cleaners, picked)]
        if any(picked):
            yield number, picked
