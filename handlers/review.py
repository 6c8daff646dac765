"""Visit review by administrators (审核走访: 合格 / 需补充 with a comment), and the cadre supplementing a visit."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from pathlib import Path

from bot.app import Context
from bot.messages import NO, YES, Choice, Incoming, Outgoing
from bot.store.deliveries import Reminder, insert_personal
from bot.store.review_rows import Flag, open_request_for, session_flags, session_info, session_photos
from bot.store.scopes import Scope, VisitRow, session_in_scope, visits_in_scope
from bot.store.supervision import NEEDS_MORE, PASSED, review_visit, supplement_visit
from handlers.paging import BROWSING, paged
from handlers.supervision_views import admin_scope, scope_words

REVIEW_PAGE = 5
REVIEW_DAYS = 30
PHOTOS_SHOWN = 3
REVIEW_PREFIX = "review:"
COMMENTING, SUPPLEMENTING = "REVIEW_COMMENT", "SUPPLEMENTING"
SUPPLEMENT_PREFIX = "supplement:"
TYPED_REVIEW = re.compile(r"^\s*(合格|需补充)\s*第?(\d{1,2})\s*[:：,，]?\s*(.*)$", re.S)
OUTSIDE_SCOPE = "这次走访不在您管理的范围内，不能审核。请发送“审核走访”，从列出的走访中选择。"
HOW_TO_REVIEW = "点按钮，或回复“合格 编号”“需补充 编号 意见”，例如：需补充 2 照片看不清户主。"
FLAG_TEXTS = {"no_exif": "照片没有拍摄信息（可能是转发或压缩过的图片）",
              "taken_long_before": "照片拍摄于发送前约 {value:.0f} 小时", "far_from_village": "拍摄地点距村约 {value:.1f} 公里"}


def asks_review(msg: Incoming, ctx: Context) -> bool:
    """Rule: 审核走访 (/review)."""
    return msg.text.strip() in ("审核走访", "审核", "/review", "审核走访记录")


def writes_comment(msg: Incoming, ctx: Context) -> bool:
    """Rule (while a 需补充 comment is awaited): a text, or 取消."""
    return bool(msg.text.strip()) or msg.choice == "review-cancel"


async def list_visits(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the scope's recent visits with their photos and evidence flags, a page at a time."""
    return review_page(ctx, 0)


def review_page(ctx: Context, offset: int) -> list[Outgoing]:
    """One page of 审核走访: each visit with its photos, then how to answer (and 下一页)."""
    scope = admin_scope(ctx)
    after = ctx.state_data.get("after") if offset else None
    rows = visits_in_scope(ctx.db, scope, ctx.now - timedelta(days=REVIEW_DAYS), limit=REVIEW_PAGE + 1,
                           after=VisitRow(after[0], "", "", "", "", "", after[1], 0, "") if after else None)
    shown = rows[:REVIEW_PAGE]
    if not shown:
        return [Outgoing(f"{scope_words(ctx, scope)}近 {REVIEW_DAYS} 天没有走访记录。" if not offset else "没有更多了。")]
    replies = [reply for number, row in enumerate(shown, start=offset + 1) for reply in _visit(ctx, scope, number, row)]
    numbers = {str(n): row.session_id for n, row in enumerate(shown, start=offset + 1)}
    data = {"numbers": numbers, "after": [shown[-1].session_id, shown[-1].started_at]}
    return replies + [paged(ctx, "review", offset + len(shown), HOW_TO_REVIEW, len(rows) > REVIEW_PAGE, data)]


def _visit(ctx: Context, scope: Scope, number: int, row: VisitRow) -> list[Outgoing]:
    """A visit as the reviewer sees it: one line, the flags, its first photos as files, the two buttons."""
    when = ctx.app.local_text(datetime.fromisoformat(row.started_at))
    flags = [flag_text(ctx, scope, f) for f in session_flags(ctx.db, row.session_id)]
    text = (f"{number}. {when} {row.cadre_name} 走访 {row.head_name}（{row.village}），照片 {row.photos} 张，"
            f"{row.review_state}" + "".join(f"\n   ⚠ {f}" for f in flags))
    photos = [Outgoing("", file=Path(ctx.app.photos_dir) / p.path) for p in session_photos(ctx.db, row.session_id)]
    buttons = (Choice(f"{number} 合格", f"{REVIEW_PREFIX}{row.session_id}:ok"),
               Choice(f"{number} 需补充", f"{REVIEW_PREFIX}{row.session_id}:more"))
    return [Outgoing(text)] + photos[:PHOTOS_SHOWN] + [Outgoing(f"第 {number} 条：", choices=buttons)]


def flag_text(ctx: Context, scope: Scope, flag: Flag) -> str:
    """A flag in words, built now for this viewer: a near-duplicate names the other household only when that visit
    is in the viewer's scope."""
    if flag.flag != "near_duplicate":
        return FLAG_TEXTS.get(flag.flag, flag.flag).format(value=flag.value or 0)
    other = session_info(ctx.db, flag.other_session_id) if flag.other_session_id else None
    if other is None or not session_in_scope(ctx.db, scope, other.id):
        return "与另一次走访（不在您的范围内）的照片几乎相同"
    return f"与 {ctx.app.local(datetime.fromisoformat(other.started_at)):%m-%d} 对 {other.head_name} 的走访照片几乎相同"


async def review_by_button(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """合格 records at once; 需补充 asks what is to be supplemented."""
    session_id, verdict = msg.choice[len(REVIEW_PREFIX):].rsplit(":", 1)
    if verdict == "ok":
        return _review(ctx, int(session_id), PASSED, "")
    if not session_in_scope(ctx.db, admin_scope(ctx), int(session_id)):
        return [Outgoing(OUTSIDE_SCOPE)]
    ctx.set_state(COMMENTING, {**ctx.state_data, "session": int(session_id)})  # the page's numbers stay
    return [Outgoing("请写出需要补充什么（例如：照片看不清户主，请补拍），我会转告干部。",
                     choices=(Choice("取消", "review-cancel", NO),))]


def typed_review(msg: Incoming, ctx: Context) -> bool:
    """Rule: 合格 2 / 需补充 2 意见 (a visit of the page being read, by its number)."""
    return msg.choice is None and bool(TYPED_REVIEW.match(msg.text))


async def review_by_text(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Reviews the visit of that number on the page shown last."""
    verdict, number, comment = TYPED_REVIEW.match(msg.text).groups()
    numbers = ctx.state_data.get("numbers", {}) if ctx.state == BROWSING else {}
    if number not in numbers:
        return [Outgoing(f"没有第 {number} 条走访。请先发送“审核走访”，再按列出的编号审核。")]
    if verdict == NEEDS_MORE and not comment.strip():
        return [Outgoing(f"请写明需要补充什么，例如：需补充 {number} 照片看不清户主。")]
    return _review(ctx, numbers[number], verdict, comment.strip())


async def receive_comment(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records 需补充 with the comment just written (or drops it on 取消)."""
    page = {k: v for k, v in ctx.state_data.items() if k != "session"}
    session_id = ctx.state_data["session"]
    ctx.set_state(BROWSING, page) if page.get("listing") else ctx.clear_state()
    if msg.choice == "review-cancel" or not msg.text.strip():
        return [Outgoing("已取消，这次走访没有审核。")]
    return _review(ctx, session_id, NEEDS_MORE, msg.text.strip()[:200])


def _review(ctx: Context, session_id: int, verdict: str, comment: str) -> list[Outgoing]:
    """Records the review of a visit of the scope and tells its cadre."""
    if not session_in_scope(ctx.db, admin_scope(ctx), session_id):
        return [Outgoing(OUTSIDE_SCOPE)]
    visit = session_info(ctx.db, session_id)
    if visit is None or not review_visit(ctx.db, session_id, verdict, ctx.cadre.id, comment, ctx.now):
        return [Outgoing("这次走访已被撤销，不需要审核了。")]
    when = f"{ctx.app.local(datetime.fromisoformat(visit.started_at)):%m月%d日}"
    told = (f"您{when}对 {visit.head_name} 的走访已审核为“合格”。" if verdict == PASSED else
            f"您{when}对 {visit.head_name} 的走访需要补充：{comment}。请再到户拍一张照片发给我并选这一户，"
            "我会把它补充到这次走访；补充前这次走访不计数。")
    key = f"review:{session_id}:{ctx.now.isoformat()}"
    insert_personal(ctx.db, Reminder(key, key, "review", ctx.now, ctx.now + timedelta(days=7)),
                    {visit.cadre_id: told}, ctx.now)
    return [Outgoing(f"已记录：{when} {visit.head_name} 的走访 {verdict}" + (f"（{comment}）" if comment else "")
                     + "。已通知干部。")]


def offer_supplement(ctx: Context, household_id: str, visit_id: int) -> list[Outgoing]:
    """After a new photo of a household whose earlier visit was marked 需补充: offers to supplement that visit."""
    wanted = open_request_for(ctx.db, ctx.cadre.id, household_id)
    if wanted is None:
        return []
    ctx.set_state(SUPPLEMENTING, {"visit": visit_id, "session": wanted.id})
    when = f"{ctx.app.local(datetime.fromisoformat(wanted.started_at)):%m月%d日}"
    return [Outgoing(f"您{when}对 {wanted.head_name} 的走访被要求补充照片。这张照片是补充那次走访的吗？",
                     choices=(Choice("是，补充那次走访", SUPPLEMENT_PREFIX + "yes", YES),
                              Choice("不，算新的走访", SUPPLEMENT_PREFIX + "no", NO)))]


async def answer_supplement(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Moves the photo just recorded to the visit that needed more, or keeps it a visit of its own."""
    visit_id, session_id = ctx.state_data["visit"], ctx.state_data["session"]
    ctx.clear_state()
    if msg.choice != SUPPLEMENT_PREFIX + "yes":
        return [Outgoing("好的，这张照片记为一次新的走访。被要求补充的那次走访仍不计数。")]
    if not supplement_visit(ctx.db, visit_id, session_id):
        return [Outgoing("这张照片不能补充到那次走访（不是同一户或已被撤销）。它已记为一次新的走访。")]
    return [Outgoing("已补充到那次走访，它重新计数，等待管理员再次审核。")]


async def stale_supplement(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a supplement button pressed when no photo waits to be attached."""
    return [Outgoing("这个选项已经失效。要补充被退回的走访，请重新发送这一户的走访照片。")]
