"""Passwordless login: one-time links bound to an administrator, and the sessions they open (tokens kept hashed)."""

from __future__ import annotations

import dataclasses
import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from bot.console.errors import RELOGIN_HINT, Refused, login_needed
from bot.db import transaction
from bot.store import console as store
from bot.store.cadres import Cadre, cadre_by_id
from bot.store.scopes import Scope, scope_of
from bot.vocabulary import OFFICE_ADMIN, UNIT_ADMIN

logger = logging.getLogger(__name__)

ADMIN_ROLES = (UNIT_ADMIN, OFFICE_ADMIN)
FOR_ADMINS_ONLY = "网页后台只对单位管理员和活动办管理员开放。您自己的走访情况请发送“我的联系户”。"
LOGIN_FAILURE_WINDOW = timedelta(minutes=10)
LOGIN_FAILURES_ALLOWED = 10
TOUCH_EVERY = timedelta(minutes=1)  # last_seen_at is written at most once a minute per session
# Why a session ended, as the log and the table say it.
ENDED_LOGOUT = "退出登录"
ENDED_IDLE = "长时间未操作"
ENDED_UNBOUND = "聊天已解绑"
ENDED_NOT_ADMIN = "已不是管理员"


class LinkRefused(Exception):
    """No login link for this cadre; str() is the Chinese reason (for the chat or the CLI)."""


@dataclass(frozen=True)
class LoginLink:
    """A login link just issued: the URL to send, and when it stops working (UTC)."""

    url: str
    expires_at: datetime


@dataclass(frozen=True)
class Admin:
    """The administrator behind a console session, and what the session needs (its id hash, its CSRF token)."""

    cadre_id: str
    name: str
    role: str
    unit_id: str
    unit_name: str
    session_id: str
    csrf_token: str
    scope: Scope

    @property
    def is_office(self) -> bool:
        """Whether this is the campaign office (scope: every unit)."""
        return self.role == OFFICE_ADMIN

    @property
    def scope_label(self) -> str:
        """What the pages call the scope: 全州 for the office, else the unit 及下属单位."""
        return "全州" if self.is_office else self.unit_name + "及下属单位"

    @property
    def scope_root(self) -> str | None:
        """The unit whose subtree this administrator oversees; None for the office (everything)."""
        return self.scope.root_unit


def hash_token(token: str) -> str:
    """The sha256 under which a token is stored: a stolen database gives no usable link or cookie."""
    return hashlib.sha256(token.encode()).hexdigest()


def console_base_url(settings) -> str:
    """The console's public address: [server] public_url (or http://host:port) followed by [console] path."""
    base = settings.server.public_url or f"http://{settings.server.host}:{settings.server.port}"
    return base.rstrip("/") + settings.console.path.rstrip("/")


def issue_login_link(db: sqlite_utils.Database, settings, cadre_id: str, now: datetime,
                     channel: str | None = None, chat_id: str | None = None) -> LoginLink:
    """A one-time login link for an administrator, bound to the chat that asked (None: the CLI); raises LinkRefused."""
    cadre = cadre_by_id(db, cadre_id)
    if cadre is None:
        raise LinkRefused(f"找不到干部编号“{cadre_id}”。")
    if cadre.role not in ADMIN_ROLES:
        logger.warning("console link refused: cadre %s is not an administrator", cadre_id)
        raise LinkRefused(FOR_ADMINS_ONLY)
    console = settings.console
    recent = store.links_issued_since(db, cadre_id, now - timedelta(hours=1))
    if recent >= console.links_per_hour:
        logger.warning("console link refused: cadre %s asked %d times within an hour", cadre_id, recent)
        raise LinkRefused(f"一小时内最多申请 {console.links_per_hour} 次登录链接，请稍后再试。"
                          f"已收到的链接在 {console.link_ttl_minutes} 分钟内仍可使用。")
    token = secrets.token_urlsafe(32)
    expires = now + timedelta(minutes=console.link_ttl_minutes)
    store.insert_link(db, hash_token(token), cadre_id, channel, chat_id, now, expires)
    logger.info("console link issued to cadre %s (%s)", cadre_id, channel or "cli")
    return LoginLink(f"{console_base_url(settings)}/login?t={token}", expires)


def _link_problem(db: sqlite_utils.Database, token: str, now: datetime) -> tuple[Refused | None, store.LinkRow | None]:
    """Why a link cannot log in (a Refused), or None with the link."""
    row = store.link_by_hash(db, hash_token(token)) if token else None
    if row is None:
        return Refused(403, "登录链接无效", "这个链接不完整，或不是本系统发出的。" + RELOGIN_HINT,
                       "unknown login link"), None
    if row.used_at is not None:
        return Refused(410, "登录链接已用过", "每个登录链接只能用一次。" + RELOGIN_HINT, "login link already used"), None
    if row.expires_at <= now.isoformat():
        return Refused(410, "登录链接已过期", "这个登录链接已过了有效期（有效期从发出时算起）。" + RELOGIN_HINT,
                       "login link expired"), None
    return None, row


def check_login_rate(db: sqlite_utils.Database, client: str, now: datetime) -> None:
    """Refuses (429) a client that presented too many bad links lately: links cannot be guessed by trying."""
    failures = store.login_failures_since(db, client, now - LOGIN_FAILURE_WINDOW)
    if failures >= LOGIN_FAILURES_ALLOWED:
        raise Refused(429, "尝试次数过多", "这台电脑短时间内用了太多无效的登录链接，请 10 分钟后再试。",
                      f"too many bad login links from {client} ({failures} in 10 minutes)")


def peek_link(db: sqlite_utils.Database, token: str, client: str, now: datetime) -> Cadre:
    """The cadre a still-usable link belongs to, without using it up (chat apps open links to preview them)."""
    check_login_rate(db, client, now)
    problem, link = _link_problem(db, token, now)
    if problem is not None:
        _count_failure(db, client, now, problem)
        raise problem
    return cadre_by_id(db, link.cadre_id)


def _count_failure(db: sqlite_utils.Database, client: str, now: datetime, problem: Refused) -> None:
    if problem.status == 403:  # only unknown tokens count as guessing; an old link of one's own does not
        store.record_login_failure(db, client, now)


def open_session(db: sqlite_utils.Database, token: str, client: str, now: datetime) -> tuple[str, Admin]:
    """Uses up the link and opens a session; returns the cookie value (shown once, stored hashed) and the Admin."""
    check_login_rate(db, client, now)
    with transaction(db):
        problem, link = _link_problem(db, token, now)
        if problem is None and not store.use_link(db, hash_token(token), now):
            problem = Refused(410, "登录链接已用过", "每个登录链接只能用一次。" + RELOGIN_HINT, "login link already used")
        if problem is None:
            cadre_id, channel, chat_id = link.cadre_id, link.channel, link.chat_id
            refusal = _no_longer_admin(db, cadre_id, channel, chat_id)
            if refusal is None:
                cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
                store.insert_session(db, hash_token(cookie), cadre_id, channel, chat_id, csrf, client, now)
    if problem is not None:
        _count_failure(db, client, now, problem)
        raise problem
    if refusal is not None:
        raise login_needed(f"login refused: {refusal}", "不能登录")
    logger.info("console session opened for cadre %s", cadre_id)
    return cookie, _admin(db, cadre_id, hash_token(cookie), csrf)


def _no_longer_admin(db: sqlite_utils.Database, cadre_id: str, channel: str | None, chat_id: str | None) -> str | None:
    """Why this cadre may no longer use the console (not an administrator, the chat unbound), or None."""
    cadre = cadre_by_id(db, cadre_id)
    if cadre is None or cadre.role not in ADMIN_ROLES:
        return ENDED_NOT_ADMIN
    if channel is not None and not store.chat_bound_to(db, channel, chat_id, cadre_id):
        return ENDED_UNBOUND
    return None


def _admin(db: sqlite_utils.Database, cadre_id: str, session_id: str, csrf: str) -> Admin:
    cadre = cadre_by_id(db, cadre_id)
    return Admin(cadre_id, cadre.name, cadre.role, cadre.unit_id, cadre.unit_name, session_id, csrf,
                 scope_of(db, cadre_id))


def session_admin(db: sqlite_utils.Database, cookie: str | None, now: datetime, idle: timedelta) -> Admin:
    """The administrator of a live session; ends a session gone idle or whose cadre lost the right, and refuses."""
    if not cookie:
        raise login_needed("no session cookie")
    session_id = hash_token(cookie)
    row = store.session_by_hash(db, session_id)
    if row is None:
        raise login_needed("unknown session cookie", "登录状态无效")
    cadre_id, channel, chat_id, csrf, last_seen, ended_at, end_reason = dataclasses.astuple(row)
    if ended_at is not None:
        raise login_needed(f"session already ended ({end_reason})", "登录已失效")
    last = datetime.fromisoformat(last_seen)
    reason = ENDED_IDLE if now - last > idle else _no_longer_admin(db, cadre_id, channel, chat_id)
    if reason is not None:
        end_session(db, session_id, reason, now)
        raise login_needed(f"session of cadre {cadre_id} ended: {reason}", "登录已失效")
    if now - last > TOUCH_EVERY:
        store.touch_session(db, session_id, now)
    return _admin(db, cadre_id, session_id, csrf)


def end_session(db: sqlite_utils.Database, session_id: str, reason: str, now: datetime) -> None:
    """Ends a session (logout, idle, binding removed, role lost); its cookie opens nothing any more."""
    store.end_session(db, session_id, reason, now)
    logger.info("console session ended: %s", reason)
