"""Finding workbook cells too long for any roster column before openpyxl reads the file.

openpyxl holds every shared string whole (and builds each inline string whole), so a 300 MB cell in a 300 KB
.xlsx would take gigabytes. Here the workbook's XML parts are read as streams: a quick byte scan for any run of
text longer than a cell may be, and only when one is found, a parse (still streamed) that names its sheet, row and
column. Memory stays at a few megabytes whatever the cell."""

from __future__ import annotations

import contextlib
import logging
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree
from xml.parsers import expat

from openpyxl.utils import get_column_letter

from bot.roster.cells import CELL_CEILING
from bot.roster.report import RowIssue

logger = logging.getLogger(__name__)

CHUNK = 1 << 20
MAX_BYTES_PER_CHAR = 6  # a character escaped as an XML entity (&#x4E2D;) takes up to this many bytes, most take 1-3
_LONG_RUN = re.compile(rb"[^<]{%d,}" % (CELL_CEILING * MAX_BYTES_PER_CHAR // 3))
HEADER_ROWS = 10  # rows kept to name a column by its header
MAX_REPORTED = 50
SMALL_PART = 4 << 20  # workbook.xml and its relations are small; larger ones are not read for titles
REASON = f"这一格超过 {CELL_CEILING:,} 字，比花名册任何一列允许的都长得多，没有读入。请检查这一格（是否误粘贴了整篇文字）后重新导入"
_REL_ID = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"


def oversized_cells(path: Path, sheet_name: Callable[[str], str] = str) -> list[RowIssue]:
    """The workbook's cells longer than CELL_CEILING characters, each with its sheet, row and column ([] if none).

    sheet_name turns a sheet's title into the name reported. A file that is not a sound zip gives [] here: opening
    it is refused right after, with its own message."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zf.namelist()
            shared = next((n for n in names if n.lower().endswith("sharedstrings.xml")), None)
            sheets = sorted(n for n in names if n.startswith("xl/worksheets/") and n.endswith(".xml"))
            suspects = {n for n in sheets + [shared] if n and _has_long_run(zf, n)}
            if not suspects:
                return []
            long_strings = _long_shared_strings(zf, shared) if shared in suspects else set()
            titles = _sheet_titles(zf)
            issues = []
            for part in sheets:
                if long_strings or part in suspects:
                    with contextlib.suppress(expat.ExpatError):  # a damaged sheet is reported when it is read
                        issues += _issues_in_sheet(zf, part, shared, long_strings, sheet_name(titles.get(part, part)))
            if long_strings and not issues:  # openpyxl would load the string whole even if no cell shows it
                issues.append(RowIssue(path.name, None, "", "工作簿的共享文字表里有" + REASON.removeprefix("这一格")))
            return issues[:MAX_REPORTED]
    except (zipfile.BadZipFile, zlib.error, OSError, EOFError, expat.ExpatError) as exc:
        logger.info("workbook %s not scanned for long cells: %r", path, exc)
        return []


def _stream(zf: zipfile.ZipFile, part: str) -> Iterator[bytes]:
    with zf.open(part) as fh:
        while chunk := fh.read(CHUNK):
            yield chunk


def _has_long_run(zf: zipfile.ZipFile, part: str) -> bool:
    """Whether the part has a run of bytes without '<' that may hold more than CELL_CEILING characters."""
    carry = b""
    for chunk in _stream(zf, part):
        data = carry + chunk
        if _LONG_RUN.search(data):
            return True
        carry = data[data.rfind(b"<"):]  # the text after the last tag may go on in the next chunk
    return False


def _parse(zf: zipfile.ZipFile, part: str, start, end, text) -> None:
    """Streams the part through expat with the three handlers, which see local names (no namespace prefix)."""
    parser = expat.ParserCreate()
    parser.buffer_text = False  # character data reaches the handler piece by piece, never gathered whole
    parser.StartElementHandler = lambda name, attrs: start(name.rpartition(":")[2], attrs)
    parser.EndElementHandler = lambda name: end(name.rpartition(":")[2])
    parser.CharacterDataHandler = text
    for chunk in _stream(zf, part):
        parser.Parse(chunk, False)
    parser.Parse(b"", True)


def _long_shared_strings(zf: zipfile.ZipFile, part: str) -> set[int]:
    """The indexes of the shared strings longer than CELL_CEILING characters."""
    found: set[int] = set()
    state = {"index": -1, "length": 0, "in_text": False}

    def start(name, attrs):
        if name == "si":
            state["index"] += 1
            state["length"] = 0
        state["in_text"] = name == "t"

    def end(name):
        state["in_text"] = False

    def text(data):
        if state["in_text"]:
            state["length"] += len(data)
            if state["length"] > CELL_CEILING:
                found.add(state["index"])

    _parse(zf, part, start, end, text)
    return found


def _shared_strings(zf: zipfile.ZipFile, part: str, wanted: set[int], keep: int = 40) -> dict[int, str]:
    """The first `keep` characters of the wanted shared strings (header cells)."""
    found: dict[int, str] = {}
    state = {"index": -1, "in_text": False}

    def start(name, attrs):
        if name == "si":
            state["index"] += 1
        state["in_text"] = name == "t"

    def end(name):
        state["in_text"] = False

    def text(data):
        index = state["index"]
        if state["in_text"] and index in wanted and len(found.get(index, "")) < keep:
            found[index] = (found.get(index, "") + data)[:keep]

    _parse(zf, part, start, end, text)
    return found


@dataclass
class _SheetScan:
    """What one pass over a worksheet finds: the long cells, and the first rows' cells to name columns by."""

    long_strings: set[int]
    row: int = 0
    column: int = 0
    kind: str = "n"
    digits: str = ""
    length: int = 0
    collecting: bool = False
    long_cells: list[tuple[int, int]] = field(default_factory=list)
    first_rows: dict[int, dict[int, str | int]] = field(default_factory=dict)  # row -> column -> text or string index

    def start(self, name: str, attrs: dict) -> None:
        if name == "row":
            self.row = int(attrs["r"]) if attrs.get("r", "").isdigit() else self.row + 1
            self.column = 0
        elif name == "c":
            letters = "".join(ch for ch in attrs.get("r", "") if ch.isalpha())
            self.column = _column_index(letters) if letters else self.column + 1
            self.kind, self.digits, self.length = attrs.get("t", "n"), "", 0
        elif name in ("v", "t"):
            self.collecting = True

    def end(self, name: str) -> None:
        if name in ("v", "t"):
            self.collecting = False
        elif name == "c":
            index = int(self.digits) if self.kind == "s" and self.digits.isdigit() else None
            if self.length > CELL_CEILING or index in self.long_strings:
                self.long_cells.append((self.row, self.column))
            elif self.row <= HEADER_ROWS:
                self.first_rows.setdefault(self.row, {})[self.column] = index if index is not None else self.digits

    def text(self, data: str) -> None:
        if not self.collecting:
            return
        self.length += len(data)
        if len(self.digits) < 40:  # a shared string's index, or the start of a header's text
            self.digits += data


def _issues_in_sheet(zf: zipfile.ZipFile, part: str, shared: str | None, long_strings: set[int],
                     sheet: str) -> list[RowIssue]:
    scan = _SheetScan(long_strings)
    _parse(zf, part, scan.start, scan.end, scan.text)
    if not scan.long_cells:
        return []
    header = _header_names(zf, shared, scan.first_rows)
    return [RowIssue(sheet, row, header.get(column) or f"{get_column_letter(column)} 列", REASON)
            for row, column in scan.long_cells[:MAX_REPORTED]]


def _header_names(zf: zipfile.ZipFile, shared: str | None, first_rows: dict[int, dict[int, str | int]]) -> dict[int, str]:
    """Column -> its header text, from the first row among the first few that reads like a roster header."""
    indexes = {v for row in first_rows.values() for v in row.values() if isinstance(v, int)}
    strings = _shared_strings(zf, shared, indexes) if shared and indexes else {}
    for number in sorted(first_rows):
        texts = {col: (strings.get(v, "") if isinstance(v, int) else v).strip() for col, v in first_rows[number].items()}
        if any(text.endswith("编号") or text == "结对类型" for text in texts.values()):
            return {col: text.strip("*＊ ") for col, text in texts.items() if text}
    return {}


def _column_index(letters: str) -> int:
    index = 0
    for ch in letters.upper():
        index = index * 26 + ord(ch) - ord("A") + 1
    return index


def _sheet_titles(zf: zipfile.ZipFile) -> dict[str, str]:
    """Worksheet part (xl/worksheets/sheet3.xml) -> the sheet's title, from the workbook and its relations."""
    try:
        if max(zf.getinfo(n).file_size for n in ("xl/workbook.xml", "xl/_rels/workbook.xml.rels")) > SMALL_PART:
            return {}
        workbook = ElementTree.fromstring(zf.read("xl/workbook.xml"))
        relations = ElementTree.fromstring(zf.read("xl/_rels/workbook.xml.rels"))
    except (KeyError, ElementTree.ParseError):
        return {}
    targets = {rel.get("Id"): rel.get("Target", "") for rel in relations}
    titles = {}
    for sheet in workbook.iter():
        if sheet.tag.rpartition("}")[2] == "sheet" and (target := targets.get(sheet.get(_REL_ID))):
            titles[target.lstrip("/") if target.startswith("/") else "xl/" + target] = sheet.get("name", "")
    return titles
