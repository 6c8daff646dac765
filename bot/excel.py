"""Writing rows of workbooks the office opens in Excel, where text never turns into a formula."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.worksheet._write_only import WriteOnlyWorksheet

FORMULA_STARTS = ("=", "+", "-", "@")


def append_row(sheet, values: Iterable[Any]) -> None:
    """Appends values to the sheet; a text that Excel would read as a formula (=, +, -, @) is stored as text."""
    sheet.append([cell(sheet, v) if looks_like_formula(v) else v for v in values])


def looks_like_formula(value: Any) -> bool:
    """Whether Excel would read this value, typed into a cell, as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def cell(sheet, value: Any) -> Cell:
    """A cell for sheet (write-only or not) holding value; a text that looks like a formula stays text."""
    # A cadre's caption such as =HYPERLINK(…) must reach the office as the words typed, not as a live formula.
    made = WriteOnlyCell(sheet, value=value) if isinstance(sheet, WriteOnlyWorksheet) else Cell(sheet, value=value)
    if looks_like_formula(value):
        made.data_type = "s"
    return made
