"""The workbook an office hands up, for one scope: 汇总 by unit tree with subtotals and a coverage chart, overdue
households, visits (photo files, evidence flags, review), pairings of all five kinds, unit tasks, notices with
receipts, undelivered reminders, inactive bindings. `campaign-bot report` and an administrator's 导出 in chat both
call write_scope_report. No household phone or note is in it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import sqlite_utils

from bot.campaign import Campaign
from bot.db import read_snapshot
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES
from bot.store.evidence import FLAG_NAMES, NEAR_DUPLICATE
from bot.errors import NotFound, UsageError
from bot.store.overdue import OverdueRule, rule_of
from bot.store.prefetch import Prefetched
from bot.store.report_rows import (Period, UnitRow, inactive_binding_lines, notice_lines, overdue_query,
                                   pairing_query, task_lines, undelivered_lines, unit_rows, visit_flags, visit_query)
from bot.store.scopes import Scope, unit_scope
from bot.store.units import unit_by_id
from bot.workbook import (DATE, DATETIME, INTEGER, Book, Column, UnitFigures, unit_tree_rows, write_coverage_sheet,
                          write_sheet, write_sheets)

CHART_UNITS = 40  # bars of the coverage chart (not 14,000): the units right below the scope's root, largest first
SUMMARY_COLUMNS = (Column("单位"), Column("单位编号"), Column("干部", INTEGER), Column("联系户", INTEGER),
                   Column("已走访户", INTEGER), Column("逾期未走访户", INTEGER), Column("期间走访（次）", INTEGER),
                   Column("合格", INTEGER), Column("需补充", INTEGER))


@dataclass(frozen=True)
class ReportScope:
    """What the workbook covers, for its 说明 sheet."""

    label: str  # 全州 / 示例县委（U01）及下属单位
    cut_off: datetime
    period: Period


def write_scope_report(db: sqlite_utils.Database, path: Path, scope: Scope, now: datetime, period: Period, *,
                       rule: OverdueRule, campaign: Campaign, label: str, tz: ZoneInfo = ZoneInfo("Asia/Shanghai")
                       ) -> dict[str, int]:
    """Writes the scope's workbook at path (atomically, through a .part file); returns each sheet's data rows.

    `now` is the cut-off: nothing after it is counted; `period` limits visits, notices and reminders. The three long
    sheets (overdue households, visits, pairings) are each read whole in one read of the database, on a connection
    of their own, ahead, beside the summary and the writing of the sheets before them; the others in another."""
    path.parent.mkdir(parents=True, exist_ok=True)
    part = path.with_name(path.name + ".part")
    book = Book(part)  # nothing is written to the file before book.close()
    ahead: list[Prefetched] = []
    try:
        ahead.append(Prefetched(db, overdue_query(scope, rule, now)))
        ahead.append(Prefetched(db, visit_query(scope, now, period)))
        ahead.append(Prefetched(db, pairing_query(scope, now), after=ahead[1]))
        with read_snapshot(db):
            _report_sheets(book, db, scope, now, period, rule, campaign, ReportScope(label, now, period), tz, *ahead)
            counts = book.close()
        part.replace(path)  # a half-written workbook never carries the real name
    finally:
        for query in ahead:
            query.close()
        part.unlink(missing_ok=True)
    return counts


def _report_sheets(book: Book, db: sqlite_utils.Database, scope: Scope, now: datetime, period: Period,
                   rule: OverdueRule, campaign: Campaign, info: ReportScope, tz: ZoneInfo, overdue: Prefetched,
                   visits: Prefetched, pairings: Prefetched) -> None:
    """The sheets in order; the three long ones from the queries run ahead (each its own read of the database)."""
    write_sheet(book, "说明", [Column("项目"), Column("内容")], _about(info, rule, tz), tz)
    _summary(book, unit_rows(db, scope, rule, now, period), tz)
    overdue.counted()
    write_sheets(book, "逾期农户", [
        Column("单位"), Column("干部编号"), Column("干部"), Column("户编号"), Column("户主"), Column("村"),
        Column("最近走访", DATETIME), Column("计时起点", DATE), Column("已过天数", INTEGER)],
        overdue.rows(), overdue.count, tz, widths_from=overdue.sample)
    visits.counted()
    write_sheets(book, "走访记录", [
        Column("走访编号", INTEGER), Column("走访时间", DATETIME), Column("干部编号"), Column("干部"), Column("单位"),
        Column("户编号"), Column("户主"), Column("村"), Column("照片文件"), Column("疑点"), Column("审核"),
        Column("审核意见"), Column("干部的说明")],
        map(_visit_row, visits.rows()), visits.count, tz, widths_from=map(_visit_row, visits.sample))
    pairings.counted()
    write_sheets(book, "结对", [
        Column("结对类型"), Column("联系方编号"), Column("联系方"), Column("单位"), Column("对象"), Column("备注"),
        Column("结对日期", DATE)], pairings.rows(), pairings.count, tz, widths_from=pairings.sample)
    write_sheet(book, "单位任务", [
        Column("任务"), Column("截止日期", DATE), Column("单位编号"), Column("单位"), Column("完成"),
        Column("上报时间", DATETIME), Column("上报人"), Column("佐证类型"), Column("佐证文件名"), Column("佐证存放")],
        _task_rows(db, scope, now, campaign), tz)
    write_sheet(book, "通知", [
        Column("发送时间", DATETIME), Column("发送人"), Column("内容"), Column("范围内收件人", INTEGER),
        Column("已送达", INTEGER), Column("已读", INTEGER), Column("未读", INTEGER), Column("无法送达", INTEGER),
        Column("无法送达原因")], notice_lines(db, scope, now, period), tz)
    write_sheet(book, "未送达提醒", [
        Column("应发时间", DATETIME), Column("干部编号"), Column("干部"), Column("类型"), Column("渠道"), Column("状态"),
        Column("原因")],
        ((d[0], d[1], d[2], KIND_NAMES.get(d[3], d[3]), d[4], STATUS_NAMES.get(d[5], d[5]), d[6])
         for d in undelivered_lines(db, scope, now, period)), tz)
    write_sheet(book, "失效绑定", [
        Column("渠道"), Column("干部编号"), Column("干部"), Column("单位"), Column("原因"), Column("最后联系", DATETIME)],
        inactive_binding_lines(db, scope), tz)


def _visit_row(row: tuple) -> tuple:
    """A row of visit_query as the sheet shows it: its flags in words."""
    return row if row[9] is None else (*row[:9], flags_text(visit_flags(row[9])), *row[10:])


def flags_text(flags: list[tuple[str, float | None, int | None]]) -> str:
    """The evidence flags of a visit as the office reads them; a near-duplicate names the other visit's 走访编号
    only when that visit is in the workbook's scope."""
    parts = []
    for flag, value, other in sorted(set(flags), key=lambda f: (f[0], f[2] or 0)):
        if flag == NEAR_DUPLICATE:
            parts.append(f"{FLAG_NAMES[flag]}（{'与走访编号 ' + str(other) if other else '与其他单位的走访'}）")
        elif value is not None:
            unit = "公里" if flag == "far_from_village" else "小时"
            parts.append(f"{FLAG_NAMES[flag]}（{value:g} {unit}）")
        else:
            parts.append(FLAG_NAMES[flag])
    return "；".join(parts)


def _about(info: ReportScope, rule: OverdueRule, tz: ZoneInfo) -> list[tuple]:
    start, end = info.period.start, info.period.end
    local = lambda m: m.astimezone(tz).strftime("%Y-%m-%d %H:%M")  # noqa: E731
    return [("范围", info.label), ("截止时刻（北京时间）", local(info.cut_off) + "：此后的走访、上报、通知都不计入"),
            ("期间", f"{local(start) if start else '活动开始'} 至 {local(end) if end else '截止时刻'}"),
            ("逾期规则", f"最近一次有效走访（或结对日期、活动开始）起超过 {rule.interval_days} 天；需补充的走访不计"),
            ("隐私", "本表不含农户电话和备注")]


def _summary(book: Book, units: list[UnitRow], tz: ZoneInfo) -> None:
    """汇总: the unit tree with subtotals; then 覆盖率: coverage by the units below the root, with its bar chart."""
    figures = [UnitFigures(u.unit_id, u.name, u.parent_id, (u.cadres, u.households, u.visited, u.overdue, u.visits,
                                                               u.passed, u.needing_more)) for u in units]
    write_sheet(book, "汇总", SUMMARY_COLUMNS, unit_tree_rows(figures), tz)
    write_coverage_sheet(book, "覆盖率", _coverage_by_branch(units), tz)


def _coverage_by_branch(units: list[UnitRow]) -> list[tuple[str, int, int]]:
    """(name, households, visited) of each unit right below the root (of each root, when the scope has several),
    its subtree added up, the root's own cadres as a bar of their own; the CHART_UNITS with most households."""
    if not units:
        return []
    top = min(u.path.count("/") for u in units)  # '/U00/' has 2: its id is parts[top - 2]
    level = top - 1 if sum(1 for u in units if u.path.count("/") == top) == 1 else top - 2
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for u in units:
        parts = u.path.strip("/").split("/")
        key = parts[level] if len(parts) > level else u.unit_id
        totals[key][0] += u.households
        totals[key][1] += u.visited
    names = {u.unit_id: u.name for u in units}
    order = {u.unit_id: i for i, u in enumerate(units)}
    largest = sorted((k for k in totals if totals[k][0]), key=lambda k: -totals[k][0])[:CHART_UNITS]
    return [(names.get(k, k), *totals[k]) for k in sorted(largest, key=lambda k: order.get(k, 0))]


def _task_rows(db: sqlite_utils.Database, scope: Scope, now: datetime, campaign: Campaign):
    for deadline in campaign.unit_tasks():
        for unit_id, name, reported_at, by, kind, file_name, stored in task_lines(db, scope, now, deadline.id,
                                                                                    deadline.reporters):
            yield (deadline.task, deadline.due, unit_id, name, "已完成" if reported_at else "未完成", reported_at, by,
                   {"document": "文件", "photo": "照片"}.get(kind, kind), file_name, stored)


def period_of_days(from_day: date | None, to_day: date | None, tz: ZoneInfo) -> Period:
    """The moments of the local days from_day..to_day, both included, either open."""
    midnight = lambda day: datetime.combine(day, time(0, 0), tz)  # noqa: E731
    return Period(midnight(from_day) if from_day else None, midnight(to_day + timedelta(days=1)) if to_day else None)


def office_report(app, path: Path, unit_id: str | None, from_day: date | None, to_day: date | None) -> dict[str, int]:
    """`campaign-bot report`: the workbook of unit_id and everything below it (all units when None), at the app's
    clock as cut-off, for the days from_day..to_day (Beijing, both included, either open)."""
    scope = unit_scope(app.db, unit_id)
    if scope is None:
        raise NotFound(f"找不到单位编号“{unit_id}”。")
    if from_day and to_day and from_day > to_day:
        raise UsageError(f"--from {from_day} 在 --to {to_day} 之后，请对调。")
    period = period_of_days(from_day, to_day, app.tz)
    unit = unit_by_id(app.db, unit_id) if unit_id else None
    label = f"{unit.name}（{unit_id}）及下属单位" if unit else "全州"
    return write_scope_report(app.db, path, scope, app.clock.now(), period, rule=rule_of(app), campaign=app.campaign,
                              label=label, tz=app.tz)

