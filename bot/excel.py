"""Writing rows of workbooks the office opens in Excel, where text never turns into a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@")


def append_row(sheet, values: Iterable[Any]) -> None:
    """Appends values to the sheet; a text that Excel would read as a formula (=, +, -, @) is stored as text."""
    sheet.append([_as_text(sheet, v) if isinstance(v, str) and v.startswith(FORMULA_STARTS) else v for v in values])


def _as_text(sheet, value: str):
    # A cadre's caption such as =HYPERLINK(…) must reach the office as the words typed, not as a live formula.
    cell = WriteOnlyCell(sheet, value=value) if isinstance(sheet, WriteOnlyWorksheet) else Cell(sheet, value=value)
    cell.data_type = "s"
    return cell
