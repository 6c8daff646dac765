"""What administrators ask the bot: the progress of visits in the units they oversee."""

from bot.app import Context
from bot.messages import Incoming, Outgoing
from bot.store.progress import CadreProgress, admin_scope, cadre_progress, summarise
from bot.rules import normalized_text

SHOWN_BEHIND = 10
PROGRESS_WORDS = ("进度", "谁没走访", "谁还没走访", "落后")
DOCUMENT_PHRASES = ("服从",)  # 进度服从效果 is the campaign document's own words: a question about it is no request
LONGEST_REQUEST = 12  # a longer text naming 进度 is a question for the answer engine


def asks_progress(msg: Incoming, ctx: Context) -> bool:
    """Rule: someone asks for progress (/progress, 进度, 谁没走访 …), not about the document's 进度服从效果."""
    if not msg.text.strip():
        return False
    text = normalized_text(msg, ctx)  # simplified and half-width: 進度 and 誰沒走訪 count too
    if any(p in text for p in DOCUMENT_PHRASES):
        return False
    return text.startswith("/progress") or (len(text) <= LONGEST_REQUEST and any(w in text for w in PROGRESS_WORDS))


async def progress(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Summarises visits in the administrator's units and names the cadres most behind."""
    interval = ctx.app.settings.reminders.visit_interval_days
    scope = admin_scope(ctx.cadre)
    rows = cadre_progress(ctx.db, scope, ctx.now, interval, ctx.app.campaign_start)
    where = "全州" if scope is None else f"{ctx.cadre.unit_name}及下属单位"
    if not rows:
        return [Outgoing(f"{where}没有登记干部联户结对。")]
    lines = _summary(ctx, where, rows, interval)
    lines.append("Excel 明细表请活动办导出：campaign-bot report" + (f" --unit {scope}" if scope else "") + " --out 进度.xlsx")
    return [Outgoing("\n".join(lines))]


def _summary(ctx: Context, where: str, rows: list[CadreProgress], interval: int) -> list[str]:
    """The totals, then the cadres most behind (and how many more the report lists)."""
    total = summarise(rows)
    lines = [
        f"{where}走访进度（{ctx.app.local(ctx.now):%Y-%m-%d}）：",
        f"结对干部 {total.cadres} 人，联系户 {total.households} 户，已走访过 {total.visited} 户；",
        f"超过{interval}天未走访：{total.overdue} 户，涉及干部 {total.cadres_behind} 人；未绑定聊天的干部 {total.unbound} 人。",
    ]
    behind = [r for r in rows if r.overdue]
    if behind:
        lines.append("走访落后的干部：")
        lines += [f"· {r.name}（{r.unit_name}）{r.overdue}/{r.households} 户未按期走访" + ("，未绑定" if not r.bound else "")
                  for r in behind[:SHOWN_BEHIND]]
    if len(behind) > SHOWN_BEHIND:
        lines.append(f"……另有 {len(behind) - SHOWN_BEHIND} 人，见明细表。")
    return lines
