"""Chart geometry for server-rendered SVG (templates/_charts.html draws it): no chart library, no JavaScript."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    """One bar: where it is drawn, its label and the value it shows."""

    x: float
    y: float
    width: float
    height: float
    label: str
    value: str
    show_label: bool = True


@dataclass(frozen=True)
class Chart:
    """A chart's size, bars and horizontal grid lines (y, value)."""

    width: int
    height: int
    bars: list[Bar]
    grid: list[tuple[float, str]]
    title: str


def nice_step(value: float) -> int:
    """The smallest of 1, 2, 5 × 10^n that is at least value: a grid step that reads well."""
    if value <= 1:
        return 1
    power = 10 ** int(math.floor(math.log10(value)))
    return next(step * power for step in (1, 2, 5, 10) if step * power >= value)


def weekly_columns(weeks: list[tuple[date, int]], title: str, width: int = 640, height: int = 220) -> Chart:
    """A column per week (Monday's date under it), with a scale of four grid lines."""
    left, right, top, bottom = 40, 8, 12, 30
    plot_w, plot_h = width - left - right, height - top - bottom
    highest = max((n for _, n in weeks), default=0)
    step = nice_step(highest / 4)
    lines = max(1, math.ceil(highest / step))
    top_value = step * lines
    slot = plot_w / max(len(weeks), 1)
    label_every = max(1, math.ceil(len(weeks) / 8))  # at most eight dates fit under the axis
    bars = []
    for i, (monday, count) in enumerate(weeks):
        h = plot_h * count / top_value
        bars.append(Bar(round(left + i * slot + slot * 0.15, 1), round(top + plot_h - h, 1), round(slot * 0.7, 1),
                        round(h, 1), f"{monday.month}/{monday.day}", str(count), i % label_every == 0))
    grid = [(round(top + plot_h - plot_h * k / lines, 1), str(step * k)) for k in range(lines + 1)]
    return Chart(width, height, bars, grid, title)


def coverage_rows(rows: list[tuple[str, float]], title: str, width: int = 640, label_width: int = 200) -> Chart:
    """A horizontal bar per unit: its coverage from 0 to 100 %, the percentage written after the bar."""
    row_h, top = 28, 8
    plot_w = width - label_width - 56
    bars = [Bar(label_width, top + i * row_h + 5, round(plot_w * share, 1), row_h - 10, name, f"{share:.0%}")
            for i, (name, share) in enumerate(rows)]
    height = top * 2 + row_h * max(len(rows), 1)
    grid = [(label_width + plot_w * k / 4, f"{k * 25}%") for k in range(5)]
    return Chart(width, height, bars, grid, title)

