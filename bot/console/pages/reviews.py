"""走访审核: the scope's visits with their photos and evidence flags, filtered and paged by keyset; a visit full size
with its photos' EXIF time and place; 合格 / 需补充 with a comment, then on to the next visit awaiting review."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode
from datetime import date, datetime, time, timedelta, timezone

from starlette.responses import RedirectResponse, Response

from bot.console import audit
from bot.console.errors import Refused, no_such_page, not_found
from bot.console.pagination import decode_cursor, keyset_page
from bot.console.serving import PageRequest
from bot.db import transaction
from bot.store.console_views import child_units, scope_root_unit, unit_in_scope
from bot.store.evidence import FLAG_NAMES, NEAR_DUPLICATE
from bot.store.reviews import ReviewFilter, ReviewRow, next_pending, review_grid, sessions_in_scope, visit_in_scope
from bot.store.supervision import NEEDS_MORE, PASSED, PENDING_REVIEW as PENDING, REVIEW_STATES, review_visit

GRID_SIZE = 24
UNITS_LISTED = 200  # the unit filter lists the units below the scope's root up to this many, else takes an id
MAX_COMMENT = 200


@dataclass(frozen=True)
class FlagText:
    """An evidence flag as the reviewer reads it."""

    name: str
    text: str
    other_session_id: int | None  # a near-duplicate's other visit, when it is in the viewer's scope


def flag_texts(req: PageRequest, rows: list[ReviewRow]) -> dict[int, list[FlagText]]:
    """Each visit's flags in words built here from ids: a near-duplicate names the other visit's household only when
    that visit is in the viewer's scope (the stored detail may name a household of another county)."""
    others = [f.other_session_id for r in rows for f in r.flags if f.other_session_id]
    visible = sessions_in_scope(req.db, req.admin.scope, others) if others else {}
    texts = {}
    for row in rows:
        texts[row.session_id] = [_flag_text(f, visible) for f in row.flags]
    return texts


def _flag_text(flag, visible: dict[int, str]) -> FlagText:
    name = FLAG_NAMES.get(flag.flag, flag.flag)
    if flag.flag == NEAR_DUPLICATE:
        if flag.other_session_id in visible:
            return FlagText(name, f"与{visible[flag.other_session_id]}户的另一次走访照片几乎相同", flag.other_session_id)
        return FlagText(name, "与其他单位一次走访的照片几乎相同", None)
    if flag.flag == "no_exif":
        return FlagText(name, "照片没有拍摄时间（可能经过转发或压缩）", None)
    if flag.flag == "taken_long_before":
        return FlagText(name, f"拍摄时间比发送早约 {flag.value:.0f} 小时" if flag.value else "拍摄时间比发送早很多", None)
    return FlagText(name, f"拍摄位置离村约 {flag.value:.0f} 公里" if flag.value else "拍摄位置离村较远", None)


def read_filters(req: PageRequest) -> tuple[ReviewFilter, dict]:
    """The grid's filters from the query string; an unknown unit, state, flag or date is a 404 page."""
    query = req.request.query_params
    chosen = {key: query.get(key, "") for key in ("unit", "state", "flag", "from", "to")}
    if chosen["unit"] and unit_in_scope(req.db, req.admin.scope, chosen["unit"]) is None:
        raise not_found(f"review filter on unit {chosen['unit']!r} outside the scope")
    if chosen["state"] and chosen["state"] not in REVIEW_STATES:
        raise no_such_page(f"unknown review state {chosen['state']!r}")
    if chosen["flag"] and chosen["flag"] not in FLAG_NAMES:
        raise no_such_page(f"unknown evidence flag {chosen['flag']!r}")
    start, end = (_day_bound(req, chosen["from"], 0), _day_bound(req, chosen["to"], 1))
    return ReviewFilter(chosen["unit"] or None, chosen["state"] or None, chosen["flag"] or None, start, end), chosen


def _day_bound(req: PageRequest, text: str, days_after: int) -> str | None:
    """The UTC start of a local day (or of the day after it), for a date filter."""
    if not text:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise no_such_page(f"unreadable date {text!r}") from None
    local = datetime.combine(day + timedelta(days=days_after), time(0, 0), req.app.tz)
    return local.astimezone(timezone.utc).isoformat()


def reviews(req: PageRequest) -> Response:
    """The grid: newest visits first, 24 a page, each with its first photo, flags and state."""
    filters, chosen = read_filters(req)
    cursor = req.request.query_params.get("after")
    after = decode_cursor(cursor, ("at", "id"))
    key = (after["after_at"], after["after_id"]) if cursor else None
    rows = review_grid(req.db, req.admin.scope, filters, key, GRID_SIZE + 1)
    page = keyset_page(rows, GRID_SIZE, lambda r: (r.started_at, r.session_id), cursor)
    root = scope_root_unit(req.db, req.admin.scope)
    below = child_units(req.db, root, UNITS_LISTED + 1)
    units = ([root] if root else []) + below if len(below) <= UNITS_LISTED else None  # None: type the unit's id
    params = urlencode({k: v for k, v in chosen.items() if v})
    return req.render("reviews.html", page=page, flags=flag_texts(req, page.rows), chosen=chosen, params=params,
                      units=units, states=REVIEW_STATES, flag_names=FLAG_NAMES)


def review_page(req: PageRequest) -> Response:
    """One visit full size: its photos with EXIF time and place, its flags, the review form, the next in the queue."""
    row = _visit(req)
    return req.render("review.html", visit=row, flags=flag_texts(req, [row])[row.session_id],
                      next_id=next_pending(req.db, req.admin.scope, (row.started_at, row.session_id)),
                      states=(PASSED, NEEDS_MORE), max_comment=MAX_COMMENT)


def review_submit(req: PageRequest) -> Response:
    """Records 合格 / 需补充 with the comment (and in 操作记录), then opens the next visit awaiting review."""
    row = _visit(req)
    state, comment = req.form.get("state"), req.form.get("comment", "")
    if state not in (PASSED, NEEDS_MORE) or not isinstance(comment, str):
        raise Refused(400, "无法审核", "请选择“合格”或“需补充”后再提交。", f"review with state {state!r}")
    comment = comment.strip()
    if len(comment) > MAX_COMMENT:
        raise Refused(400, "意见太长", f"审核意见最多 {MAX_COMMENT} 字，请删减后再提交。", f"review comment of {len(comment)}")
    if state == NEEDS_MORE and not comment:
        raise Refused(400, "请写明需补充什么", "标为“需补充”时请写上意见，告诉干部要补充什么。", "需补充 without a comment")
    with transaction(req.db):
        review_visit(req.db, row.session_id, state, req.admin.cadre_id, comment, req.now)
        audit.record_action(req.db, req.admin, audit.VISIT_REVIEW, f"{row.cadre_name}走访{row.head_name}户",
                            req.now, f"{state}{'：' + comment if comment else ''}")
    following = next_pending(req.db, req.admin.scope, (row.started_at, row.session_id))
    target = f"/reviews/{following}?done={row.session_id}" if following else f"/reviews?{urlencode({'state': PENDING})}"
    return RedirectResponse(req.console.base + target, status_code=303)


def _visit(req: PageRequest) -> ReviewRow:
    text = req.request.path_params["session_id"]
    row = visit_in_scope(req.db, req.admin.scope, int(text)) if text.isdigit() and len(text) < 19 else None
    if row is None:
        raise not_found(f"visit {text!r} outside the scope of {req.admin.cadre_id} or unknown")
    return row

