"""Supervision through the real channels: "导出" arrives as a Telegram document (python-telegram-bot against the
fake Bot API) and as a WeCom file message (the fake WeChat API); a plan sent as a Telegram file is a task's evidence."""

from __future__ import annotations

import dataclasses
import io

import pytest
from openpyxl import load_workbook

from bot.channels.telegram.adapter import TelegramChannel
from bot.channels.wechat.adapter import WeChatChannel
from bot.config import TelegramSettings
from bot.messages import DeliveryOutcome, Outgoing
from bot.store.bindings import bind_chat
from tests.conftest import jpeg
from tests.fakes.telegram_api import private_message
from tests.fakes.wechat_api import configure

ADMIN_CHAT = 103  # C3, 示例县委's administrator


@pytest.fixture
async def telegram(roster, fake_bot_api):
    """C3 bound on Telegram, the channel polling the fake Bot API."""
    bind_chat(roster.db, "telegram", str(ADMIN_CHAT), str(ADMIN_CHAT), "C3", roster.clock.now())
    roster.settings = dataclasses.replace(roster.settings, telegram=TelegramSettings(
        enabled=True, token=fake_bot_api.token, base_url=fake_bot_api.base_url,
        base_file_url=fake_bot_api.base_file_url))
    channel = TelegramChannel(roster, poll_timeout=0.2)
    await channel.start()
    try:
        yield fake_bot_api
    finally:
        await channel.stop()


async def test_export_arrives_as_a_telegram_document_of_the_scope(roster, telegram):
    telegram.push_update(private_message(ADMIN_CHAT, text="导出"))
    [call] = await telegram.wait_for("sendDocument", chat_id=ADMIN_CHAT, count=1, timeout=10)
    assert "示例县委及下属单位走访进度报表" in call.params["caption"]
    book = load_workbook(io.BytesIO(call.files["document"]))
    # the scope workbook: the county's units and its cadres' pairings only
    assert {row[1] for row in book["汇总"].iter_rows(min_row=2, values_only=True) if row[1]} == {"U01", "U0101"}
    parties = {row[1] for row in book["结对"].iter_rows(min_row=2, values_only=True) if row[0] == "干部联户"}
    assert parties == {"C1", "C2"}  # the county's paired cadres


async def test_a_plan_sent_as_a_telegram_file_with_the_command_as_caption_is_the_evidence(roster, telegram):
    telegram.add_file("plan-pdf", b"%PDF-1.4 the county plan", "documents/plan.pdf")
    telegram.push_update(private_message(ADMIN_CHAT, caption="上报 实施方案", document={
        "file_id": "plan-pdf", "file_unique_id": "uplan", "file_name": "示例县实施方案.pdf",
        "mime_type": "application/pdf", "file_size": 24}))
    [call] = await telegram.wait_for("sendMessage", chat_id=ADMIN_CHAT, count=1, timeout=10)
    assert "已记录：示例县委完成“将实施方案上报" in call.params["text"]
    [(name, kind)] = roster.db.execute("SELECT evidence_name, evidence_kind FROM unit_task_completions").fetchall()
    assert (name, kind) == ("示例县实施方案.pdf", "document")


async def test_a_file_goes_to_wecom_as_uploaded_media_then_a_file_message(roster, fake_wechat_api, tmp_path):
    configure(roster, "work", fake_wechat_api.url)
    channel = WeChatChannel(roster)
    workbook = tmp_path / "走访进度.xlsx"
    workbook.write_bytes(b"PK workbook bytes")
    try:
        result = await channel.send("user-9", Outgoing("走访进度报表，请查收附件。", file=workbook))
    finally:
        await channel.stop()
    assert result.outcome is DeliveryOutcome.SENT
    [upload] = [c for c in fake_wechat_api.calls if c.path == "/cgi-bin/media/upload"]
    assert upload.params["type"] == "file" and b"PK workbook bytes" in upload.body["multipart"]
    sent = fake_wechat_api.sent("message/send")
    assert [m["msgtype"] for m in sent] == ["text", "file"]
    assert sent[1]["file"]["media_id"].startswith("MEDIA-") and "无法通过微信发送" not in sent[0]["text"]["content"]


async def test_the_official_account_names_the_file_it_cannot_send(roster, fake_wechat_api, tmp_path):
    configure(roster, "official", fake_wechat_api.url, template_id="tmpl-1")
    channel = WeChatChannel(roster)
    workbook = tmp_path / "走访进度.xlsx"
    workbook.write_bytes(b"PK")
    try:
        await channel.send("user-9", Outgoing("走访进度报表", file=workbook))
    finally:
        await channel.stop()
    assert not [c for c in fake_wechat_api.calls if c.path == "/cgi-bin/media/upload"]
    [template] = fake_wechat_api.sent("message/template/send")
    assert "走访进度.xlsx" in template["data"]["content"]["value"] and "campaign-bot" not in template["data"]["content"]["value"]


async def test_a_review_photo_goes_to_the_official_account_as_an_image(roster, fake_wechat_api, tmp_path):
    configure(roster, "official", fake_wechat_api.url)
    roster.db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, active, bound_at, last_seen_at) "
                      "VALUES ('wechat', 'user-9', 'user-9', 'C3', 1, ?, ?)",
                      (roster.clock.now().isoformat(), roster.clock.now().isoformat()))
    photo = tmp_path / "visit.jpg"
    photo.write_bytes(jpeg())
    channel = WeChatChannel(roster)
    try:
        result = await channel.send("user-9", Outgoing("1. 走访 示例户一", file=photo))
    finally:
        await channel.stop()
    assert result.outcome is DeliveryOutcome.SENT
    [upload] = [c for c in fake_wechat_api.calls if c.path == "/cgi-bin/media/upload"]
    assert upload.params["type"] == "image"
    sent = fake_wechat_api.sent("message/custom/send")
    assert [m["msgtype"] for m in sent] == ["text", "image"] and "无法通过" not in sent[0]["text"]["content"]
