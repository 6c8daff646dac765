"""The Excel report an office hands up: cadres' visit progress, the visits themselves, and what did not arrive."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import sqlite_utils
from openpyxl import Workbook

from bot.excel import append_row
from bot.store.progress import Summary, cadre_progress, in_unit_subtree, summarise
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES

_VISITS_SQL = """
SELECT v.visited_at, c.id, c.name, u.name, h.id, h.head_name, h.village,
       (SELECT COUNT(*) FROM photos p WHERE p.visit_id = v.id), v.latitude, v.longitude, v.note
FROM visits v JOIN cadres c ON c.id = v.cadre_id JOIN units u ON u.id = c.unit_id
JOIN households h ON h.id = v.household_id
{scope}
ORDER BY v.visited_at
"""

_UNDELIVERED_SQL = """
SELECT d.due_at, c.id, c.name, d.kind, d.channel, d.status, d.last_error
FROM deliveries d JOIN cadres c ON c.id = d.cadre_id
WHERE d.status IN ('failed', 'undeliverable', 'expired') {scope}
ORDER BY d.due_at
"""

_INACTIVE_SQL = """
SELECT b.channel, c.id, c.name, b.inactive_reason, b.last_seen_at
FROM bindings b JOIN cadres c ON c.id = b.cadre_id
WHERE b.active = 0 {scope}
ORDER BY c.id
"""

_SUBTREE = in_unit_subtree("c.unit_id")


def write_report(db: sqlite_utils.Database, path: Path, *, root_unit: str | None, now: datetime,
                 interval_days: int, tz, since: datetime | None = None) -> dict[str, int]:
    """Writes the workbook for root_unit's subtree (all units when None); returns the row count of each sheet.

    `since` is the campaign's start: a household never visited is overdue only once interval_days have run."""
    params = {} if root_unit is None else {"root": root_unit}

    def local(text: str | None) -> str:
        return datetime.fromisoformat(text).astimezone(tz).strftime("%Y-%m-%d %H:%M") if text else ""

    book = Workbook(write_only=True)
    counts = {}

    def sheet(title, header, rows):
        ws = book.create_sheet(title)
        ws.append(header)
        n = 0
        for row in rows:
            append_row(ws, row)
            n += 1
        counts[title] = n

    progress = cadre_progress(db, root_unit, now, interval_days, since)
    where = "" if root_unit is None else "WHERE " + _SUBTREE
    visits = db.execute(f"SELECT COUNT(*) FROM visits v JOIN cadres c ON c.id = v.cadre_id {where}", params).fetchone()[0]
    summary = book.create_sheet("汇总")  # what the reader of a handed-up report looks at first: scope, date, totals
    as_of = f"{local(now.isoformat())}（{'北京时间' if str(tz) == 'Asia/Shanghai' else tz}）"
    for line in summary_lines(db, root_unit, as_of, interval_days, summarise(progress), visits):
        append_row(summary, line)
    sheet("干部走访进度", ["干部编号", "姓名", "单位", "联系户数", "已走访户数", f"超过{interval_days}天未走访户数",
                       "最近走访", "已绑定"],
          ((r.cadre_id, r.name, r.unit_name, r.households, r.visited, r.overdue,
            local(r.last_visit.isoformat()) if r.last_visit else "", "是" if r.bound else "否") for r in progress))
    sheet("走访记录", ["走访时间", "干部编号", "干部", "单位", "户编号", "户主", "村", "照片数", "纬度", "经度", "说明"],
          ((local(r[0]), *r[1:]) for r in db.execute(_VISITS_SQL.format(scope=where), params)))
    also = "" if root_unit is None else "AND " + _SUBTREE
    sheet("未送达提醒", ["应发时间", "干部编号", "干部", "类型", "渠道", "状态", "原因"],
          ((local(r[0]), r[1], r[2], KIND_NAMES.get(r[3], r[3]), r[4], STATUS_NAMES.get(r[5], r[5]), r[6])
           for r in db.execute(_UNDELIVERED_SQL.format(scope=also), params)))
    sheet("失效绑定", ["渠道", "干部编号", "干部", "原因", "最后联系"],
          ((*r[:4], local(r[4])) for r in db.execute(_INACTIVE_SQL.format(scope=also), params)))
    tmp = path.with_name(path.name + ".part")
    book.save(tmp)
    tmp.replace(path)  # a half-written report never carries the real name
    return counts


def summary_lines(db: sqlite_utils.Database, root_unit: str | None, as_of: str, interval_days: int,
                  total: Summary, visits: int) -> list[list]:
    """The 汇总 sheet: which units, as of when, and the totals of the detail sheets."""
    name = db.execute("SELECT name FROM units WHERE id = ?", (root_unit,)).fetchone() if root_unit else None
    scope = f"{name[0]}（{root_unit}）及下属单位" if name else "全州"
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
