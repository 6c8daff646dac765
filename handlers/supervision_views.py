"""What administrators read in chat about their scope: progress by unit (进度), who has not visited (谁没走访),
and the report workbook (导出)."""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import groupby

from bot.app import Context
from bot.messages import Incoming, Outgoing
from bot.report_export import export_report
from bot.rules import normalized_text
from bot.store.scopes import OverdueRow, Scope, overdue_households, progress_by_unit, scope_of, total_progress
from handlers.paging import paged

SHOWN_UNITS = 30
OVERDUE_PAGE = 10
PROGRESS_WORDS = ("进度",)
OVERDUE_WORDS = ("谁没走访", "谁还没走访", "谁没有走访", "没走访的", "落后")
EXPORT_WORDS = ("导出", "导出报表", "导出进度", "报表")
DOCUMENT_PHRASES = ("服从",)  # 进度服从效果 is the campaign document's own words: a question about it is no request
LONGEST_REQUEST = 12  # a longer text naming 进度 is a question for the answer engine


def admin_scope(ctx: Context) -> Scope:
    """The scope of the administrator writing (routes requiring UNIT_ADMIN guarantee there is one)."""
    return scope_of(ctx.db, ctx.cadre.id)


def scope_words(ctx: Context, scope: Scope) -> str:
    """How the scope is named to its administrator: 全州, or 示例县委及下属单位."""
    return "全州" if scope.everything else f"{ctx.cadre.unit_name}及下属单位"


def _short_request(msg: Incoming, ctx: Context, words: tuple[str, ...], command: str) -> bool:
    if not msg.text.strip():
        return False
    text = normalized_text(msg, ctx)  # simplified and half-width: 進度 and 誰沒走訪 count too
    if any(p in text for p in DOCUMENT_PHRASES):
        return False
    return text.startswith(command) or (len(text) <= LONGEST_REQUEST and any(w in text for w in words))


def asks_overdue(msg: Incoming, ctx: Context) -> bool:
    """Rule: 谁没走访 (/overdue): which cadres have overdue households."""
    return _short_request(msg, ctx, OVERDUE_WORDS, "/overdue")


def asks_progress(msg: Incoming, ctx: Context) -> bool:
    """Rule: 进度 (/progress), not a question about the document's 进度服从效果."""
    return _short_request(msg, ctx, PROGRESS_WORDS, "/progress")


def asks_export(msg: Incoming, ctx: Context) -> bool:
    """Rule: 导出 (/export): the report workbook as a file."""
    return _short_request(msg, ctx, EXPORT_WORDS, "/export") and "怎么" not in msg.text


async def progress(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Gives the households' counts by unit of the scope, with the scope's total."""
    scope, interval = admin_scope(ctx), ctx.app.settings.reminders.visit_interval_days
    rows = progress_by_unit(ctx.db, scope, ctx.now, interval, ctx.campaign.start)
    where = scope_words(ctx, scope)
    if not rows:
        return [Outgoing(f"{where}没有登记干部联户结对。结对请在花名册的“结对”表里填写后导入。")]
    total = total_progress(rows)
    lines = [f"{where}走访进度（{ctx.app.local(ctx.now):%Y-%m-%d}），按单位：联系户／已走访／超过{interval}天未走访"]
    lines += [f"· {r.name}：{r.households}／{r.visited}／{r.overdue}" for r in rows[:SHOWN_UNITS]]
    if len(rows) > SHOWN_UNITS:
        lines.append(f"……另有 {len(rows) - SHOWN_UNITS} 个单位，见“导出”的报表。")
    lines.append(f"合计：联系户 {total.households} 户，已走访 {total.visited} 户，超期未走访 {total.overdue} 户。")
    lines.append("发送“谁没走访”查看超期的农户和干部，发送“导出”获取 Excel 报表。")
    return [Outgoing("\n".join(lines))]


async def who_has_not_visited(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Names the scope's cadres with overdue households and those households, worst first, a page at a time."""
    return [overdue_page(ctx, 0)]


def overdue_page(ctx: Context, offset: int) -> Outgoing:
    """One page of 谁没走访, from the offset-th overdue household."""
    scope, interval = admin_scope(ctx), ctx.app.settings.reminders.visit_interval_days
    rows = overdue_households(ctx.db, scope, ctx.now, interval, ctx.campaign.start, OVERDUE_PAGE + 1, offset)
    where, shown = scope_words(ctx, scope), rows[:OVERDUE_PAGE]
    if not shown:
        return Outgoing(f"{where}没有超过{interval}天未走访的联系户。" if not offset else "没有更多了。")
    lines = [f"{where}超过{interval}天未走访的联系户（第 {offset + 1}-{offset + len(shown)} 户，最久的在前）："]
    for (cadre, unit), group in groupby(shown, key=lambda r: (r.cadre_name, r.unit_name)):
        lines.append(f"{cadre}（{unit}）：")
        lines += [f"  · {r.head_name}（{r.village}）{_since(ctx, r)}" for r in group]
    return paged(ctx, "overdue", offset + OVERDUE_PAGE, "\n".join(lines), len(rows) > OVERDUE_PAGE)


def _since(ctx: Context, row: OverdueRow) -> str:
    if row.last_visit is None:
        return "从未走访"
    days = (ctx.today - ctx.app.local(datetime.fromisoformat(row.last_visit)).date()).days
    return f"{days} 天未走访"


async def export(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Sends the scope's report workbook as a file (written in a worker thread, so others are answered meanwhile)."""
    scope = admin_scope(ctx)
    path = await asyncio.to_thread(export_report, ctx.app, scope, scope_words(ctx, scope), ctx.now)
    return [Outgoing(f"{scope_words(ctx, scope)}走访进度报表（截至 {ctx.app.local_text(ctx.now)}），请查收附件。", file=path)]
