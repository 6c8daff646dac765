"""Reporting a home visit by photo (choosing the household when there are several), and listing one's visits."""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re

from bot.app import Context
from bot.db import transaction
from bot.messages import NO, Choice, Event, Incoming, Outgoing
from bot.photos import PhotoRejected, check_photo, store_photo
from bot.plausibility import valid_point
from bot.rules import normalized_text
from bot.store.evidence import perceptual_hash
from bot.store.households import PairedHousehold, households_of
from bot.store.scopes import NEEDS_MORE
from handlers.review import offer_supplement
from bot.store.visits import (PendingPhoto, add_photos, album_visit, append_note, find_submitted, photo_count,
                              recent_visit, recent_visits, record_visit, set_location, visit_time, withdraw_visit)

logger = logging.getLogger(__name__)

CHOICE_PREFIX = "visit:"
CANCEL_CHOICE = "visit-cancel"
CHOOSING_HOUSEHOLD = "CHOOSING_HOUSEHOLD"

NO_HOUSEHOLDS = "您目前没有结对联系户，无法记录走访，照片没有保存。如有出入，请联系本单位管理员。"
IMPOSSIBLE_PLACE = "这个位置不存在（纬度应在 -90 到 90、经度在 -180 到 180 之间），没有保存。请重新发送您所在的位置。"
STALE_CHOICE = "这个选项已经失效。请重新发送走访照片。"
CANCEL_WORDS = ("取消", "算了", "不要了", "不用了", "不报了", "撤销", "撤消")
UNDO_WORDS = ("撤销", "撤消", "撤回", "选错", "记错", "报错了")
UNDO_HINT = "记错了请在一小时内发送“撤销”。"
AS_FILE_HINT = ("提示：照片经过压缩，没有拍摄时间和地点。下次请点回形针，选“文件”以文件发送原图，"
                "可以保留时间和地点，审核时更有说服力。")
NUMBERED = re.compile(r"第?(\d{1,3})[户戶号號个個]?")  # 第2户, 2号: what a cadre types instead of the bare number
REPORT_VISIT_MENU_KEY = "REPORT_VISIT"
REPORT_VISIT_HELP = (
    "上报走访：请直接在对话框里点“+”，拍照或从相册选一张走访照片发给我，可再发一句文字说明；"
    "我会请您从联系户中选择是哪一户（回复数字），位置可以用“+”里的“位置”发送。"
    "还没绑定的干部请先发送“绑定 绑定码”。"
)


def asks_how_to_report(msg: Incoming, ctx: Context) -> bool:
    """Rule: the menu button that asks how to report a visit."""
    return msg.event is Event.MENU_CLICK and msg.menu_key == REPORT_VISIT_MENU_KEY


async def how_to_report(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Explains how to report a visit with a photo."""
    return [Outgoing(REPORT_VISIT_HELP)]


async def receive_photo(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Checks the photos and records the visit, or asks which household it was when there are several."""
    households = households_of(ctx.db, ctx.cadre.id)
    if not households:
        return [Outgoing(NO_HOUSEHOLDS)]
    photos, problems = await _accept_photos(msg, ctx)
    if not photos:
        return [Outgoing("\n".join(problems))]
    return _with_as_file_hint(msg, photos, _file_photos(msg, ctx, households, photos, problems))


def _file_photos(msg: Incoming, ctx: Context, households: list[PairedHousehold], photos: list[PendingPhoto],
                 problems: list[str]) -> list[Outgoing]:
    """Puts accepted photos where they belong: an album's visit, the visit just recorded, a new one, or a question."""
    if _added_to_album_visit(msg, ctx, photos):
        return [Outgoing(p) for p in problems]
    if len(households) == 1 and (joined := _join_recent_visit(msg, ctx, households[0], photos)):
        return [Outgoing(p) for p in problems] + joined
    if len(households) == 1:
        return _record(ctx, households[0], photos, note=msg.text, album_id=msg.album_id, extra=problems)
    return _ask_household(ctx, households, photos, msg, problems)


async def receive_pending_photo(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Adds photos sent while the household is being chosen to the visit being reported."""
    photos, problems = await _accept_photos(msg, ctx)
    if not photos:
        return [Outgoing("\n".join(problems))]
    if _added_to_album_visit(msg, ctx, photos):
        return [Outgoing(p) for p in problems]
    return _with_as_file_hint(msg, photos, _add_to_pending(msg, ctx, photos, problems))


def _with_as_file_hint(msg: Incoming, photos: list[PendingPhoto], replies: list[Outgoing]) -> list[Outgoing]:
    """Adds, to the last reply, the invitation to send photos as files when the platform stripped their time and
    place (a compressed Telegram photo): the evidence flag 无拍摄信息 is then avoidable next time."""
    compressed = any(p.compressed for p in msg.photos)
    if not replies or not compressed or all(p.exif_time for p in photos):
        return replies
    last = replies[-1]
    return replies[:-1] + [dataclasses.replace(last, text=f"{last.text}\n{AS_FILE_HINT}")]


def _added_to_album_visit(msg: Incoming, ctx: Context, photos: list[PendingPhoto]) -> bool:
    """Adds a later photo of an album already recorded to its visit; False when the album has no visit yet."""
    visit_id = album_visit(ctx.db, ctx.cadre.id, msg.album_id) if msg.album_id else None
    if visit_id:
        add_photos(ctx.db, visit_id, photos, ctx.now)
    return bool(visit_id)


async def choose_household(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Records the pending visit for the household the cadre chose."""
    chosen = msg.choice[len(CHOICE_PREFIX):]
    household = next((h for h in households_of(ctx.db, ctx.cadre.id) if h.id == chosen), None)
    if household is None:  # a forged or outdated button: never record against someone else's household
        return [Outgoing("这一户不是您的联系户，不能记录。请从列出的农户中选择。")]
    data = ctx.state_data
    photos = [PendingPhoto(**p) for p in data["photos"]]
    return _record(ctx, household, photos, note=data.get("note", ""), album_id=data.get("album_id"),
                   location=tuple(data["location"]) if data.get("location") else None)


async def stale_choice(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers a household button pressed when no visit is waiting for one."""
    return [Outgoing(STALE_CHOICE)]


async def cancel_pending(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Drops the pending photos without recording a visit."""
    ctx.clear_state()
    return [Outgoing("已取消，这次的照片没有计入走访。需要时请重新发送照片。")]


def cancels(msg: Incoming, ctx: Context) -> bool:
    """Rule: a short word of cancelling (取消, 算了, 不对，取消 …), but not 取消绑定, which is unbinding."""
    text = normalized_text(msg, ctx).strip("。.!！ ")  # 撤銷 reads as 撤销
    return 0 < len(text) <= 6 and any(w in text for w in CANCEL_WORDS) and not any(c in text for c in "绑綁")


def typed_choice(msg: Incoming, ctx: Context) -> bool:
    """Rule (while a household is being chosen): a typed answer the router could not match to a choice."""
    if msg.choice is not None or not msg.text.strip():
        return False
    return cancels(msg, ctx) or bool(NUMBERED.fullmatch(msg.text.strip())) or bool(_named(msg.text, ctx))


async def answer_typed_choice(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Understands a typed answer to "which household" (a name, 第2户, 取消), or asks again how to answer."""
    named = _named(msg.text, ctx)
    if cancels(msg, ctx):
        return await cancel_pending(msg, ctx)
    if len(named) == 1:
        return await choose_household(dataclasses.replace(msg, choice=named[0]), ctx)
    hint = "有同名的农户，" if len(named) > 1 else ""
    return [Outgoing(f"{hint}请回复 1 到 {len(ctx.offered)} 之间的数字选择农户，或回复“取消”。", choices=ctx.offered)]


async def nothing_to_cancel(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Answers 取消 when nothing is waiting to be cancelled (pointing to 撤销 when a visit was just recorded)."""
    if ctx.cadre and recent_visit(ctx.db, ctx.cadre.id, ctx.now):
        return [Outgoing("刚才的走访已经记录，没有待取消的照片。" + UNDO_HINT)]
    return [Outgoing("现在没有正在上报的走访，不需要取消。发送“帮助”查看可以做什么。")]


def wants_undo(msg: Incoming, ctx: Context) -> bool:
    """Rule: 撤销 / 选错了 … (short): the cadre wants the visit just recorded withdrawn."""
    text = normalized_text(msg, ctx)
    return 0 < len(text) <= 8 and any(w in text for w in UNDO_WORDS) and "绑" not in text


async def undo_last_visit(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Withdraws the visit the cadre recorded within the last hour, so a wrong choice can be put right."""
    visit = recent_visit(ctx.db, ctx.cadre.id, ctx.now)
    if visit is None:
        return [Outgoing("一小时内没有您上报的走访可撤销。更早的记录如有错误，请联系本单位管理员。")]
    photos = withdraw_visit(ctx.db, visit.id)
    return [Outgoing(f"已撤销刚才对 {visit.head_name} 的走访记录（照片 {photos} 张）。需要时请重新发送照片上报。")]


async def receive_location(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Attaches a shared location to the visit just recorded."""
    if not valid_point(msg.location.latitude, msg.location.longitude):
        return [Outgoing(IMPOSSIBLE_PLACE)]
    visit = recent_visit(ctx.db, ctx.cadre.id, ctx.now)
    if visit is None:
        return [Outgoing("没有找到刚上报的走访。请先发送走访照片，再发送位置。")]
    set_location(ctx.db, visit.id, msg.location.latitude, msg.location.longitude)
    return [Outgoing(f"已把位置添加到对 {visit.head_name} 的走访记录。")]


async def receive_pending_location(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Keeps a location shared while the household is being chosen, for the visit being reported."""
    if not valid_point(msg.location.latitude, msg.location.longitude):
        return [Outgoing(IMPOSSIBLE_PLACE)]
    ctx.set_state(CHOOSING_HOUSEHOLD, {**ctx.state_data, "location": [msg.location.latitude, msg.location.longitude]})
    return [Outgoing("位置已收到。请选择这次走访的农户（回复上面的数字或点按钮）。")]


async def my_visits(msg: Incoming, ctx: Context) -> list[Outgoing]:
    """Lists the cadre's ten latest visits."""
    visits = recent_visits(ctx.db, ctx.cadre.id)
    if not visits:
        return [Outgoing("您还没有上报过走访。走访时拍一张照片发给我即可上报。")]
    lines = [f"您最近的 {len(visits)} 次走访（两小时内同一户的照片算一次）："]
    for v in visits:
        lines.append(f"· {ctx.app.local(v.visited_at):%Y-%m-%d} {v.head_name}（{v.village}），照片 {v.photos} 张"
                     + ("，有位置" if v.located else "") + (f"；{v.note}" if v.note else "") + f"【{v.review_state}】")
        if v.review_state == NEEDS_MORE:
            lines.append(f"   审核意见：{v.review_comment or '无'}。请补发这一户的走访照片，补发后重新计入。")
    return [Outgoing("\n".join(lines))]


async def _accept_photos(msg: Incoming, ctx: Context) -> tuple[list[PendingPhoto], list[str]]:
    """Checks, de-duplicates, stores and hashes (in a worker thread) the message's photos; returns those to record
    and what to tell the cadre."""
    pending_shas = {p["sha256"] for p in ctx.state_data.get("photos", [])}  # photos of the visit being reported
    accepted, problems = [], []
    for incoming in msg.photos:
        try:
            photo = check_photo(incoming.data, ctx.app.settings.photos.max_bytes, ctx.app.settings.timezone,
                                msg.sent_at)
        except PhotoRejected as exc:
            problems.append(str(exc))
            continue
        prior = find_submitted(ctx.db, photo.sha256)
        if prior is not None and prior.cadre_id != ctx.cadre.id:  # never name another cadre's household
            problems.append("这张照片已由其他干部提交过，不重复计数。请发送您自己拍的走访照片。")
        elif prior is not None:
            when = ctx.app.local(prior.visited_at)
            problems.append(f"这张照片已经提交过（{when:%Y-%m-%d} 走访 {prior.head_name}），不重复计数。")
        elif photo.sha256 in pending_shas or photo.sha256 in {p.sha256 for p in accepted}:
            problems.append("这张照片刚才已经收到。")
        else:
            path = store_photo(photo, ctx.app.photos_dir)
            accepted.append(PendingPhoto.of(photo, path, incoming.source_id, await _phash(photo.data)))
    return accepted, problems


async def _phash(data: bytes) -> int | None:
    """The photo's perceptual hash, computed off the event loop; None if the image will not hash."""
    try:
        return await asyncio.to_thread(perceptual_hash, data)
    except Exception:  # an evidence flag is a help to reviewers, never a reason to lose the visit
        logger.exception("could not hash a visit photo")
        return None


def _join_recent_visit(msg: Incoming, ctx: Context, household: PairedHousehold,
                       photos: list[PendingPhoto]) -> list[Outgoing] | None:
    """Adds photos sent one by one (a slow phone, no album) to the visit recorded within the hour, not a new visit."""
    recent = recent_visit(ctx.db, ctx.cadre.id, ctx.now)
    if recent is None or recent.household_id != household.id:
        return None
    with transaction(ctx.db):
        add_photos(ctx.db, recent.id, photos, ctx.now)
        if msg.text.strip():
            append_note(ctx.db, recent.id, msg.text.strip())
    total = photo_count(ctx.db, recent.id)
    return [Outgoing(f"已补充到刚才对 {household.head_name} 的走访记录，现有照片 {total} 张。")]


def _named(text: str, ctx: Context) -> list[str]:
    """The offered households whose head's name the cadre typed (李乙, 李乙家, 是李乙户), as choice values."""
    text = text.strip()
    heads = [(c.label.split("（")[0], c.value) for c in ctx.offered if c.value != CANCEL_CHOICE]
    return [value for head, value in heads if head and head in text and len(text) - len(head) <= 3]


def _ask_household(ctx: Context, households: list[PairedHousehold], photos: list[PendingPhoto], msg: Incoming,
                   problems: list[str]) -> list[Outgoing]:
    """Keeps the photos pending (in the database, so a restart loses nothing) and asks which household."""
    choices = [Choice(f"{h.head_name}（{h.village}）", CHOICE_PREFIX + h.id) for h in households]
    choices.append(Choice("取消", CANCEL_CHOICE, NO))
    ctx.set_state(CHOOSING_HOUSEHOLD, {
        "photos": [p.to_json() for p in photos], "note": msg.text.strip(), "album_id": msg.album_id,
        "location": None,
    })
    question = f"收到 {len(photos)} 张照片。这次走访的是哪一户？"
    return [Outgoing(p) for p in problems] + [Outgoing(question, choices=tuple(choices))]


def _add_to_pending(msg: Incoming, ctx: Context, photos: list[PendingPhoto], problems: list[str]) -> list[Outgoing]:
    """Adds more photos to the visit being reported; an album's later photos need no new question."""
    data = ctx.state_data
    ctx.set_state(CHOOSING_HOUSEHOLD, {**data, "photos": data["photos"] + [p.to_json() for p in photos],
                                       "note": data.get("note") or msg.text.strip()})
    if msg.album_id and msg.album_id == data.get("album_id"):
        return [Outgoing(p) for p in problems]
    total = len(ctx.state_data["photos"])
    question = f"已收到 {total} 张照片。这次走访的是哪一户？"
    return [Outgoing(p) for p in problems] + [Outgoing(question, choices=ctx.offered)]


def _record(ctx: Context, household: PairedHousehold, photos: list[PendingPhoto], *, note: str,
            album_id: str | None, location: tuple[float, float] | None = None, extra=()) -> list[Outgoing]:
    """Records the visit and clears the pending state in one transaction, then confirms it."""
    with transaction(ctx.db):
        visit_id = record_visit(ctx.db, cadre_id=ctx.cadre.id, household_id=household.id, photos=photos,
                                received_at=ctx.now, note=note.strip(), channel=ctx.channel, chat_id=ctx.chat_id,
                                album_id=album_id, location=location)
        ctx.clear_state()
    if visit_id is None:
        return [Outgoing("这些照片已经提交过，不重复计数。")]
    visited_at, from_exif = visit_time(photos, ctx.now)
    lines = [f"已记录走访：{ctx.app.local_text(visited_at)} {household.head_name}（{household.place}），"
             f"照片 {len(photos)} 张。"]
    if note.strip():
        lines.append(f"说明：{note.strip()}")
    if not from_exif and any(p.exif_time for p in photos):
        lines.append("注意：照片的拍摄时间与上报时间相差较大，已按上报时间记录。")
    lines.append("如需补充位置，请发送位置；" + UNDO_HINT)
    return [Outgoing(p) for p in extra] + [Outgoing("\n".join(lines))] + offer_supplement(ctx, household.id, visit_id)
