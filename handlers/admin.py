"""What administrators ask the bot: the progress of visits in the units they oversee."""

from bot.app import Context
from bot.messages import Incoming, Outgoing
from bot.progress import admin_scope, cadre_progress, summarise
from bot.vocabulary import OFFICE_ADMIN, UNIT_ADMIN

SHOWN_BEHIND = 10


PROGRESS_WORDS = ("进度", "谁没走访", "谁还没走访", "落后")


def asks_progress(msg: Incoming, ctx: Context) -> bool:
    """Rule: an administrator asks for progress (/progress, 进度, 谁没走访 …)."""
    if not ctx.cadre or ctx.cadre["role"] not in (UNIT_ADMIN, OFFICE_ADMIN):
        return False
    text = msg.text.strip()
    return text.startswith("/progress") or any(word in text for word in PROGRESS_WORDS)


async def progress(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Summarises visits in the administrator's units and names the cadres most behind."""
    interval = ctx.app.settings.reminders.visit_interval_days
    scope = admin_scope(ctx.cadre)
    rows = cadre_progress(ctx.db, scope, ctx.now, interval)
    where = "全州" if scope is None else f"{ctx.cadre['unit_name']}及下属单位"
    if not rows:
        return [Outgoing(f"{where}没有登记干部联户结对。")]
    total = summarise(rows)
    lines = [
        f"{where}走访进度（{ctx.app.local(ctx.now):%Y-%m-%d}）：",
        f"结对干部 {total.cadres} 人，联系户 {total.households} 户；",
        f"超过{interval}天未走访：{total.overdue} 户，涉及干部 {total.cadres_behind} 人；未绑定聊天的干部 {total.unbound} 人。",
    ]
    behind = [r for r in rows if r.overdue][:SHOWN_BEHIND]
    if behind:
        lines.append("走访落后的干部：")
        lines += [f"· {r.name}（{r.unit_name}）{r.overdue}/{r.households} 户未按期走访" + ("，未绑定" if not r.bound else "")
                  for r in behind]
    lines.append("导出明细表：campaign-bot report --out 进度.xlsx")
    return [Outgoing("\n".join(lines))]
