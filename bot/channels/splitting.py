"""Cutting a long answer into messages a platform accepts, at line boundaries where possible."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from bot.messages import Choice


def utf16_len(text: str) -> int:
    """Length as Telegram counts it: UTF-16 code units (an emoji counts two)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int, measure: Callable[[str], int] = utf16_len) -> list[str]:
    """Splits text into pieces of at most `limit` (by `measure`), breaking between lines; a longer line is cut."""
    pieces: list[str] = []
    current = ""
    for line in _fitting_lines(text.split("\n"), limit, measure):
        candidate = f"{current}\n{line}" if current else line
        if current and measure(candidate) > limit:
            pieces.append(current)
            candidate = line
        current = candidate
    if current.strip() or not pieces:
        pieces.append(current)
    return [piece for piece in pieces if piece.strip()] or [text[:limit]]


def _fitting_lines(lines: Iterable[str], limit: int, measure: Callable[[str], int]) -> Iterable[str]:
    for line in lines:
        while measure(line) > limit:
            cut = limit
            while measure(line[:cut]) > limit:
                cut -= 1
            yield line[:cut]
            line = line[cut:]
        yield line


def numbered_choices(choices: Iterable[Choice]) -> str:
    """Choices as numbered lines with a hint, for where buttons cannot carry them."""
    lines = [f"{n}. {c.label}" for n, c in enumerate(choices, start=1)]
    return "\n".join(lines + ["（回复数字选择）"])
