"""Refusals: what the console answers a request it will not serve, as a clear Chinese page, and why in the log."""

from __future__ import annotations

RELOGIN_HINT = "请在聊天里给机器人发送“后台”，获取新的登录链接。"


class Refused(Exception):
    """A request the console refuses: `status`, a Chinese `title` and `message` for the page, `reason` for the log."""

    def __init__(self, status: int, title: str, message: str, reason: str):
        super().__init__(reason)
        self.status = status
        self.title = title
        self.message = message
        self.reason = reason


def not_found(reason: str) -> Refused:
    """404: the page does not exist, or is outside the administrator's scope (the two look the same)."""
    return Refused(404, "找不到这个页面", "页面不存在，或不在您管理的单位范围内。请从导航栏重新进入。", reason)


def login_needed(reason: str, title: str = "请先登录") -> Refused:
    """401: no valid session; the page says how to get a login link."""
    return Refused(401, title, RELOGIN_HINT, reason)


def bad_form(reason: str) -> Refused:
    """400 for a form the console did not produce (a missing or wrong CSRF token)."""
    return Refused(400, "表单已失效", "这个表单已过期或不是从本后台提交的，没有做任何改动。请刷新页面后重新操作。", reason)


def no_such_page(reason: str) -> Refused:
    """404 for a list page that does not exist (a tampered or stale page link)."""
    return Refused(404, "没有这一页", "这一页不存在或已没有内容。请回到第一页。", reason)
