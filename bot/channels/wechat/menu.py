"""The WeChat custom menu and what its CLICK buttons mean: the same questions a cadre would type."""

from __future__ import annotations

from dataclasses import dataclass

import sqlite_utils

from bot.channels.wechat.api import WeChatApi
from bot.channels.wechat.settings import WeChatSettings


@dataclass(frozen=True)
class MenuButton:
    """A CLICK button: its label, its event key, and the question it asks (None: a handler answers the key)."""

    label: str
    key: str
    question: str | None = None


PHASE = MenuButton("活动阶段", "PHASE", question="现在是哪个阶段")
DEADLINES = MenuButton("截止日期", "DEADLINES", question="截止日期")
MY_HOUSEHOLDS = MenuButton("我的联系户", "MY_HOUSEHOLDS", question="我的联系户")
REPORT_VISIT = MenuButton("上报走访", "REPORT_VISIT")  # handlers.visits answers this key
HELP = MenuButton("帮助", "HELP", question="帮助")

BUTTONS = {b.key: b for b in (PHASE, DEADLINES, MY_HOUSEHOLDS, REPORT_VISIT, HELP)}

# WeChat allows 3 top-level buttons, so the five sit in two groups and one button.
MENU_LAYOUT: tuple[tuple[str, tuple[MenuButton, ...]], ...] = (
    ("活动", (PHASE, DEADLINES)),
    ("走访", (MY_HOUSEHOLDS, REPORT_VISIT)),
    ("帮助", (HELP,)),
)


def _click(button: MenuButton, name: str | None = None) -> dict:
    return {"type": "click", "name": name or button.label, "key": button.key}


def menu_payload() -> dict:
    """The body of menu/create (the same for the Official Account and WeCom)."""
    top = []
    for name, buttons in MENU_LAYOUT:
        if len(buttons) == 1:
            top.append(_click(buttons[0], name))
        else:
            top.append({"name": name, "sub_button": [_click(b) for b in buttons]})
    return {"button": top}


def menu_summary() -> str:
    """The menu as one line, for the command's report: 活动（活动阶段、截止日期） / …"""
    parts = []
    for name, buttons in MENU_LAYOUT:
        labels = "、".join(b.label for b in buttons)
        parts.append(name if labels == name else f"{name}（{labels}）")
    return " / ".join(parts)


async def create_menu(settings: WeChatSettings, db: sqlite_utils.Database) -> None:
    """Creates the menu through menu/create (for WeCom: on the configured application)."""
    api = WeChatApi(settings, db)
    try:
        params = {"agentid": settings.agent_id} if settings.kind == "work" else None
        await api.post("menu/create", menu_payload(), params)
    finally:
        await api.close()
