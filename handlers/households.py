"""我的联系户 and 我的结对: the cadre's households and pairings (personal data: only the paired cadre sees them)."""

from bot.app import Context
from bot.store.households import households_of, pairings_of
from bot.store.overdue import rule_of
from bot.messages import Incoming, Outgoing
from bot.vocabulary import CADRE_HOUSEHOLD, PAIRING_KINDS


async def my_households(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the households paired with the cadre, with visits and whether one is overdue."""
    households = households_of(ctx.db, ctx.cadre.id)
    if not households:
        return [Outgoing("您目前没有结对联系户。如有出入，请联系本单位管理员核对花名册。")]
    rule = rule_of(ctx.app)
    lines = [f"您的联系户共 {len(households)} 户："]
    for n, h in enumerate(households, start=1):
        lines.append(f"{n}. {h.head_name} · {h.place}" + (f" · {h.members}人" if h.members else ""))
        if h.phone:
            lines.append(f"   电话 {h.phone}")
        if h.notes:
            lines.append(f"   备注：{h.notes}")
        last = f"最近走访 {ctx.app.local(h.last_visit):%Y-%m-%d}，共 {h.visit_count} 次" if h.last_visit else "尚未走访"
        warn = f"  ⚠ 已超过{rule.interval_days}天未走访" if h.overdue(rule, ctx.now) else ""
        lines.append(f"   {last}{warn}")
    lines.append("走访后直接发送照片即可上报。")
    return [Outgoing("\n".join(lines))]


async def my_pairings(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the cadre's pairings of every kind, and those of the cadre's unit."""
    pairings = pairings_of(ctx.db, ctx.cadre.id, ctx.cadre.unit_id)
    if not pairings:
        return [Outgoing("您和本单位目前没有登记结对。如有出入，请联系本单位管理员核对花名册。")]
    lines = []
    for by_unit, heading in ((False, "您本人的结对："), (True, f"本单位（{ctx.cadre.unit_name}）的结对：")):
        chosen = [p for p in pairings if p.by_unit == by_unit]
        if chosen:
            lines.append(heading)
        for kind in PAIRING_KINDS:
            targets = [p for p in chosen if p.kind == kind]
            if kind == CADRE_HOUSEHOLD and targets:
                lines.append(f"· {kind}：{len(targets)} 户（发送“我的联系户”查看详情）")
            elif targets:
                lines.append(f"· {kind}：" + "；".join(p.target + (f"（{p.notes}）" if p.notes else "") for p in targets))
    return [Outgoing("\n".join(lines))]
