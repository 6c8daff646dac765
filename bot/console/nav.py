"""The console's navigation bar: one entry per page, in the order a clerk works through them."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class NavItem:
    """A page in the navigation bar."""

    label: str
    path: str  # relative to the console's base path
    office_only: bool = False


NAV = [
    NavItem("概览", "/"),
    NavItem("单位", "/units"),
    NavItem("走访审核", "/reviews"),
    NavItem("任务", "/tasks"),
    NavItem("通知", "/notices"),
    NavItem("提醒", "/reminders"),
    NavItem("花名册", "/roster", office_only=True),
    NavItem("导出", "/export"),
    NavItem("操作记录", "/audit", office_only=True),
]
