"""Roster cells made clean and bounded: invisible and control characters out, 编号 and figures in one width (NFKC) and
编号 in one case, lengths capped. Names and notes keep their full-width Chinese punctuation (NFC only).

A clerk's file may carry what no one sees: a zero-width space after an id, a right-to-left override, an escape
sequence pasted from a terminal, a carriage return. None of it may reach the database or a cadre's phone, and
h2001, Ｈ2001 and H2001 followed by a zero-width space must all be the household H2001."""

from __future__ import annotations

import re
import unicodedata

# The most characters each column may hold. Generous for real names (Tibetan names written in Chinese run long),
# short enough that no cell can carry a document.
MAX_CHARS: dict[str, int] = {
    "单位编号": 32, "上级单位编号": 32, "干部编号": 32, "户编号": 32, "联系方编号": 32, "对象编号": 32,
    "单位名称": 100, "对象名称": 100,
    "姓名": 50, "户主姓名": 50, "职务": 50, "县市": 50, "乡镇": 50, "村": 50,
    "单位类型": 20, "角色": 20, "结对类型": 20, "人口": 20, "手机号": 30, "联系电话": 30,
    "备注": 500, "经度": 30, "纬度": 30, "结对日期": 30,
}
SHORTEST_LIMIT = min(MAX_CHARS.values())  # a row whose every cell is at most this long needs no closer look
CELL_CEILING = 2000  # no column allows more: a longer cell is refused while the file is read, before it is held
ID_COLUMNS = frozenset(c for c in MAX_CHARS if c.endswith("编号"))
# Columns read as codes or figures: full-width letters and digits (Ｈ２００１, １３９…) become their ASCII forms.
COMPATIBILITY_COLUMNS = ID_COLUMNS | {"手机号", "联系电话", "人口", "经度", "纬度", "结对日期"}

_ESCAPE_SEQUENCE = re.compile(r"\x1b(?:\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)?|[@-Z\\-_])")
_SPACE_LIKE = frozenset("\t\n\r\x0b\x0c\x85\u2028\u2029")
# Full-width letters and digits in names and notes read as the ASCII ones; full-width punctuation (，；：) stays, as
# Chinese text is written with it.
_WIDE = re.compile("[０-９Ａ-Ｚａ-ｚ]")
_WIDE_LETTERS_AND_DIGITS = str.maketrans({wide: wide - 0xFEE0 for start, end in (("０", "９"), ("Ａ", "Ｚ"), ("ａ", "ｚ"))
                                          for wide in range(ord(start), ord(end) + 1)})


def clean_text(raw: str, form: str = "NFC") -> str:
    """The cell as it should be stored: normalised (NFC for text, NFKC for codes and figures), escape sequences and
    invisible characters out, line breaks as spaces, trimmed."""
    if raw.isprintable() and (raw.isascii() or (unicodedata.is_normalized(form, raw) and not _WIDE.search(raw))):
        return raw.strip()  # the common case, kept fast for province-sized rosters
    text = unicodedata.normalize(form, _ESCAPE_SEQUENCE.sub("", raw)).translate(_WIDE_LETTERS_AND_DIGITS)
    # Category C: controls (bell, ESC), formats (zero-width space, U+202E), private use, unassigned, surrogates.
    return "".join(" " if ch in _SPACE_LIKE else ch for ch in text
                   if ch in _SPACE_LIKE or unicodedata.category(ch)[0] != "C").strip()


def clean_figure(raw: str) -> str:
    """A code or figure in half-width form: clean_text under NFKC (１３９… and Ｈ2001 as 139… and H2001)."""
    return clean_text(raw, "NFKC")


def clean_id(raw: str) -> str:
    """A 编号 in its one spelling: clean_figure, then upper case (h2001, Ｈ2001 and H2001 are one household)."""
    return clean_figure(raw).upper()


def cleaner(column: str):
    """The function that cleans a cell of this column."""
    if column in ID_COLUMNS:
        return clean_id
    return clean_figure if column in COMPATIBILITY_COLUMNS else clean_text


def too_long(column: str, text: str) -> str | None:
    """The reason a cell is refused for its length (Chinese, with the limit), or None when it fits."""
    limit = MAX_CHARS.get(column, CELL_CEILING)
    if len(text) <= limit:
        return None
    return f"有 {len(text):,} 个字，超过这一列的上限 {limit} 字。请删减后重新导入"
