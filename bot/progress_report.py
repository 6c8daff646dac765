"""The Excel report an office hands up: cadres' visit progress, the visits themselves, and what did not arrive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlite_utils
from openpyxl import Workbook

from bot.excel import append_row
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES
from bot.store.progress import Summary, cadre_progress, summarise
from bot.store.report_rows import inactive_bindings, undelivered_reminders, visit_count, visit_records
from bot.store.units import unit_by_id


def write_report(db: sqlite_utils.Database, path: Path, *, root_unit: str | None, now: datetime,
                 interval_days: int, tz, since: datetime | None = None) -> dict[str, int]:
    """Writes the workbook for root_unit's subtree (all units when None); returns the row count of each sheet.

    `since` is the campaign's start: a household never visited is overdue only once interval_days have run."""
    def local(moment: datetime | None) -> str:
        return moment.astimezone(tz).strftime("%Y-%m-%d %H:%M") if moment else ""

    book = Workbook(write_only=True)
    counts = {}

    def sheet(title, header, rows):
        counts[title] = write_sheet(book, title, header, rows)

    progress = cadre_progress(db, root_unit, now, interval_days, since)
    summary = book.create_sheet("汇总")  # what the reader of a handed-up report looks at first: scope, date, totals
    as_of = f"{local(now)}（{'北京时间' if str(tz) == 'Asia/Shanghai' else tz}）"
    for line in summary_lines(db, root_unit, as_of, interval_days, summarise(progress), visit_count(db, root_unit)):
        append_row(summary, line)
    sheet("干部走访进度", ["干部编号", "姓名", "单位", "联系户数", "已走访户数", f"超过{interval_days}天未走访户数",
                       "最近走访", "已绑定"],
          ((r.cadre_id, r.name, r.unit_name, r.households, r.visited, r.overdue, local(r.last_visit),
            "是" if r.bound else "否") for r in progress))
    sheet("走访记录", ["走访时间", "干部编号", "干部", "单位", "户编号", "户主", "村", "照片数", "纬度", "经度", "说明"],
          ((local(v.visited_at), v.cadre_id, v.cadre_name, v.unit_name, v.household_id, v.head_name, v.village,
            v.photos, v.latitude, v.longitude, v.note) for v in visit_records(db, root_unit)))
    sheet("未送达提醒", ["应发时间", "干部编号", "干部", "类型", "渠道", "状态", "原因"],
          ((local(d.due_at), d.cadre_id, d.cadre_name, KIND_NAMES.get(d.kind, d.kind), d.channel,
            STATUS_NAMES.get(d.status, d.status), d.last_error) for d in undelivered_reminders(db, root_unit)))
    sheet("失效绑定", ["渠道", "干部编号", "干部", "原因", "最后联系"],
          ((b.channel, b.cadre_id, b.cadre_name, b.reason, local(b.last_seen_at)) for b in inactive_bindings(db, root_unit)))
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)  # a half-written report never carries the real name
    return counts


def write_sheet(book: Workbook, title: str, header: list, rows) -> int:
    """Adds a sheet of a header and rows; returns how many rows it has."""
    ws = book.create_sheet(title)
    ws.append(header)
    n = 0
    for row in rows:
        append_row(ws, row)
        n += 1
    return n


def summary_lines(db: sqlite_utils.Database, root_unit: str | None, as_of: str, interval_days: int,
                  total: Summary, visits: int) -> list[list]:
    """The 汇总 sheet: which units, as of when, and the totals of the detail sheets."""
    unit = unit_by_id(db, root_unit) if root_unit else None
    scope = f"{unit.name}（{root_unit}）及下属单位" if unit else "全州"
    return [
        ["创先争优活动 干部联户走访进度"],
        ["范围", scope],
        ["统计时间", as_of],
        ["结对干部（人）", total.cadres],
        ["联系户（户）", total.households],
        ["已走访过的联系户（户）", total.visited],
        [f"超过{interval_days}天未走访的联系户（户）", total.overdue],
        ["有未按期走访联系户的干部（人）", total.cadres_behind],
        ["未绑定聊天的干部（人）", total.unbound],
        ["走访记录（次）", visits],
    ]
