"""Keyset pagination for long lists: a page is the rows after the last one shown, so page 10,000 costs what page 1 does.

A query takes the decoded cursor as parameters (`(col_a, col_b) < (:after_a, :after_b)`, NULLs on the first page),
asks for one row more than a page, and `keyset_page` splits that into the page and the next page's cursor."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.console.errors import no_such_page

PAGE_SIZE = 50


@dataclass(frozen=True)
class Page:
    """One page of a list: its rows, and the cursor of the next page (None on the last one)."""

    rows: list
    next_cursor: str | None
    first: bool  # whether this is the list's first page (no cursor was given)


def encode_cursor(values: Sequence[Any]) -> str:
    """The URL-safe cursor for the row whose sort key is `values`."""
    return base64.urlsafe_b64encode(json.dumps(list(values), ensure_ascii=False).encode()).decode().rstrip("=")


def decode_cursor(text: str | None, names: Sequence[str]) -> dict[str, Any]:
    """Query parameters after_<name> from a cursor (all None when there is none); a tampered cursor is a 404 page."""
    if not text:
        return {f"after_{name}": None for name in names}
    try:
        values = json.loads(base64.urlsafe_b64decode(text + "=" * (-len(text) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        raise no_such_page("page cursor is not readable") from None
    if not isinstance(values, list) or len(values) != len(names) or \
            not all(isinstance(v, (str, int)) and not isinstance(v, bool) for v in values):
        raise no_such_page("page cursor has the wrong shape")
    return {f"after_{name}": value for name, value in zip(names, values)}


def keyset_page(rows: list, size: int, key: Callable[[Any], Sequence[Any]], cursor: str | None) -> Page:
    """Splits rows (up to size + 1 fetched) into a page and the next cursor; a cursor past the end is a 404 page."""
    if cursor and not rows:
        raise no_such_page("page cursor points past the end of the list")
    shown = rows[:size]
    return Page(shown, encode_cursor(key(shown[-1])) if len(rows) > size else None, not cursor)
