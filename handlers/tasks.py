"""Unit tasks: an administrator reports one done with its evidence ("上报 实施方案", "已召开动员大会"), and "任务"
shows which units of the scope have done each task."""

from __future__ import annotations

from dataclasses import asdict

from bot.app import Context
from bot.campaign import Deadline
from bot.campaign_tasks import matching_tasks, reported_words
from bot.messages import NO, Choice, Incoming, Outgoing
from bot.rules import said
from bot.store.supervision import Evidence, report_task_done, task_status
from bot.task_evidence import EvidenceRejected, has_evidence, store_evidence
from handlers.supervision_views import admin_scope, scope_words

CHOOSING_TASK, AWAITING_EVIDENCE = "CHOOSING_TASK", "AWAITING_TASK_EVIDENCE"
TASK_PREFIX, CANCEL_TASK = "task:", "task-cancel"
CANCEL_CHOICE = Choice("取消", CANCEL_TASK, NO)
TASK_WORDS = ("任务", "任务情况", "/tasks")
MISSING_SHOWN = 8


def reports_task(msg: Incoming, ctx: Context) -> bool:
    """Rule: 上报 实施方案 / 已召开动员大会 naming a task of the campaign file (a text, or a photo's caption)."""
    words = reported_words(msg.text)
    return words is not None and bool(matching_tasks(ctx.campaign, words))


def sends_evidence(msg: Incoming, ctx: Context) -> bool:
    """Rule (while evidence is awaited): a photo, a file, or an attachment the channel could not take."""
    return has_evidence(msg) or msg.refused_media is not None


asks_tasks = said(*TASK_WORDS)  # Rule: 任务 (/tasks)


async def report_task(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records the unit's task with the evidence sent along, or asks for it (or which task is meant)."""
    tasks = matching_tasks(ctx.campaign, reported_words(msg.text), ctx.cadre.unit_kind)
    if not tasks:
        return [Outgoing(f"{ctx.cadre.unit_name}没有“{msg.text.strip()[:20]}”这项任务。发送“任务”查看要完成的任务。")]
    evidence = None
    if sends_evidence(msg, ctx):
        try:
            evidence = _store(msg, ctx)
        except EvidenceRejected as exc:
            return [Outgoing(str(exc))]
    if len(tasks) == 1:
        return _record_or_ask(ctx, tasks[0], evidence)
    ctx.set_state(CHOOSING_TASK, {"evidence": asdict(evidence) if evidence else None})
    choices = tuple(Choice(d.task[:30], TASK_PREFIX + d.id) for d in tasks) + (CANCEL_CHOICE,)
    return [Outgoing("您要上报的是哪一项任务？", choices=choices)]


async def choose_task(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Goes on with the task chosen from several that matched."""
    deadline = ctx.campaign.deadline(msg.choice[len(TASK_PREFIX):])
    if deadline is None or ctx.cadre.unit_kind not in deadline.reporters:
        ctx.clear_state()
        return [Outgoing("这个选项已经失效。请重新发送，例如“上报 实施方案”。")]
    evidence = ctx.state_data.get("evidence")
    return _record_or_ask(ctx, deadline, Evidence(**evidence) if evidence else None)


async def receive_evidence(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Takes the photo or file sent after the command as the task's evidence."""
    deadline = ctx.campaign.deadline(ctx.state_data["deadline"])
    try:
        evidence = _store(msg, ctx)
    except EvidenceRejected as exc:
        return [Outgoing(str(exc) + "发送“取消”可以不上报。", choices=(CANCEL_CHOICE,))]
    return _record_or_ask(ctx, deadline, evidence)


async def cancel(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Drops a task report that was waiting for a choice or evidence."""
    ctx.clear_state()
    return [Outgoing("已取消，没有上报。需要时请重新发送，例如“上报 实施方案”并附上文件。")]


def _store(msg: Incoming, ctx: Context) -> Evidence:
    settings = ctx.app.settings
    return store_evidence(msg, ctx.app.photos_dir, settings.photos.max_bytes, settings.timezone, ctx.now)


def _record_or_ask(ctx: Context, deadline: Deadline, evidence: Evidence | None) -> list[Outgoing]:
    """Records the task done when there is evidence; else waits for it."""
    if evidence is None:
        ctx.set_state(AWAITING_EVIDENCE, {"deadline": deadline.id})
        return [Outgoing(f"请发送“{deadline.task}”的证明：实施方案的文件（PDF、Word 或 WPS），或文件、会议的照片。",
                         choices=(CANCEL_CHOICE,))]
    first = report_task_done(ctx.db, ctx.cadre.unit_id, deadline.id, ctx.cadre.id, ctx.now, evidence)
    ctx.clear_state()
    again = "" if first else "（这项任务之前已上报过，本次材料已另行保存）"
    return [Outgoing(f"已记录：{ctx.cadre.unit_name}完成“{deadline.task}”{again}，证明材料“{evidence.name}”，"
                     f"{ctx.cadre.name} {ctx.app.local_text(ctx.now)} 上报。本单位这项任务的提醒不再发送。"
                     "发送“任务”查看各单位完成情况。")]


async def show_tasks(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Shows, for the scope, which units have done each task and which have not."""
    scope = admin_scope(ctx)
    lines = []
    for deadline in ctx.campaign.unit_tasks():
        status = task_status(ctx.db, scope, deadline.id, deadline.reporters)
        if not status:
            continue
        missing = [s.unit_name for s in status if s.done_at is None]
        line = f"· {deadline.task}（{deadline.due_text}）：已完成 {len(status) - len(missing)}/{len(status)}"
        if missing:
            more = f"等 {len(missing)} 个" if len(missing) > MISSING_SHOWN else ""
            line += "；未完成：" + "、".join(missing[:MISSING_SHOWN]) + more
        lines.append(line)
    if not lines:
        return [Outgoing(f"{scope_words(ctx, scope)}没有需要上报的单位任务。")]
    return [Outgoing(f"{scope_words(ctx, scope)}的单位任务：\n" + "\n".join(lines)
                     + "\n完成后请发送“上报 任务名”并附上文件或照片，例如“上报 实施方案”。")]
