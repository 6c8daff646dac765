"""`campaign-bot reminders preview|send|status`: print what the library functions return."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import Counter, defaultdict

import click

from bot.app import BotApp
from bot.channels.console import ConsoleSender
from bot.store.deliveries import KIND_NAMES, STATUS_NAMES
from schedules.dispatch import HELD, NOT_CLAIMED, dispatch
from schedules.overview import Preview, status_counts
from schedules.overview import preview as build_preview
from schedules.plan import plan

logger = logging.getLogger(__name__)

OUTCOME_NAMES = {**STATUS_NAMES, "pending": "稍后重试", HELD: "免打扰暂缓", NOT_CLAIMED: "未发（已被另一进程领取或绑定已变）",
                 "error": "记录出错"}
SHOWN_PER_REMINDER = 10


def reminder_label(key: str) -> str:
    """A reminder key as a clerk reads it: deadline:x:7d -> 截止提醒（提前7天）, visit:2010-W18 -> 走访提醒（2010年第18周）."""
    kind, _, rest = key.partition(":")
    if kind == "deadline":
        offset = rest.rsplit(":", 1)[-1].rstrip("d")
        return f"{KIND_NAMES[kind]}（当天）" if offset == "0" else f"{KIND_NAMES[kind]}（提前{offset}天）"
    year, _, week = rest.partition("-W")
    return f"{KIND_NAMES.get(kind, kind)}（{year}年第{int(week)}周）" if week.isdigit() else KIND_NAMES.get(kind, key)


def render_preview(app: BotApp, result: Preview) -> str:
    """The preview as lines: each reminder with its text and recipients, then waiting rows and problems."""
    lines = [f"时刻：{app.local_text(result.now)}（{app.settings.timezone}）"]
    if result.quiet_until:
        lines.append(f"现在是免打扰时段，下列提醒将于 {app.local_text(result.quiet_until)} 后发出。")
    by_key = defaultdict(list)
    for row in result.due:
        by_key[row.reminder_key].append(row)
    lines.append(f"将发送 {len(result.due)} 条提醒。" if result.due else "此刻没有要发送的提醒。")
    for key, rows in by_key.items():
        texts = {row.text for row in rows}
        lines.append(f"\n■ {reminder_label(key)}：{len(rows)} 人")
        if len(texts) == 1:
            lines += ["  " + line for line in rows[0].text.splitlines()]
        for row in rows[:SHOWN_PER_REMINDER]:
            lines.append(f"  → {row.name}（{row.cadre_id}，{row.channel}:{row.chat_id}）")
            if len(texts) > 1:
                lines += ["      " + line for line in row.text.splitlines()]
        if len(rows) > SHOWN_PER_REMINDER:
            lines.append(f"  ……另有 {len(rows) - SHOWN_PER_REMINDER} 人")
    if result.unbound:
        waiting = Counter((r.name, r.cadre_id) for r in result.unbound)
        names = "、".join(f"{name}（{cadre_id}）{count} 条" for (name, cadre_id), count in
                         list(waiting.items())[:SHOWN_PER_REMINDER])
        more = f"等 {len(waiting)} 人" if len(waiting) > SHOWN_PER_REMINDER else ""
        lines.append(f"\n未绑定，暂不能发送（绑定后补发，到期仍未绑定记为无法送达）：{names}{more}")
    if result.problems:
        lines.append("\n问题：")
        lines += [f"  · {problem}" for problem in result.problems]
    return "\n".join(lines)


def preview(app: BotApp) -> None:
    """Prints what would be sent at the app's clock, without sending or keeping anything."""
    click.echo(render_preview(app, build_preview(app)))


@contextlib.asynccontextmanager
async def _senders(app: BotApp):
    """The console sender plus the channels the config enables, ready to send; closed afterwards."""
    app.senders.setdefault("console", ConsoleSender())
    from bot.runner import build_channels  # the HTTP server's modules, only when something is sent

    opened = []
    try:
        for channel in build_channels(app):
            await channel.open_for_sending()
            opened.append(channel.stop)
        yield app.senders
    finally:
        for close in reversed(opened):
            with contextlib.suppress(Exception):
                await close()


async def send_due(app: BotApp) -> tuple:
    """Plans and dispatches what is due at the app's clock: the same code the scheduler runs."""
    now = app.clock.now()
    report = plan(app, now)
    report.log()
    async with _senders(app):
        return report, await dispatch(app, now)


def send(app: BotApp) -> None:
    """Sends what is due now and prints what became of it; running it twice sends nothing new."""
    try:
        planned, sent = asyncio.run(send_due(app))
    except Exception as exc:  # a channel that cannot start (bad token, no network) is reported, not a traceback
        logger.exception("reminders send failed")
        raise click.ClickException(f"发送失败：{exc}") from None
    click.echo(f"新计划 {planned.total} 条提醒。")
    if sent.quiet:
        click.echo("现在是免打扰时段，提醒将在免打扰结束后发送。")
    outcomes = "，".join(f"{OUTCOME_NAMES.get(k, k)} {v}" for k, v in sent.outcomes.items()) or "没有到期的提醒"
    click.echo(f"本次发送：{outcomes}。")
    for channel, count in sent.no_sender.items():
        click.echo(f"{count} 条提醒要经 {channel} 发送，但配置中没有启用该渠道，仍在待发送。")
    for problem in planned.problems:
        click.echo(f"问题：{problem}")


def status(app: BotApp) -> None:
    """Prints the deliveries by status, and the reasons of those not sent."""
    by_status, by_reason = status_counts(app)
    click.echo("  ".join(f"{STATUS_NAMES[s]} {n}" for s, n in by_status.items()))
    for (state, reason), count in sorted(by_reason.items(), key=lambda item: -item[1]):
        click.echo(f"  {STATUS_NAMES.get(state, state)}：{reason} —— {count} 条")
