"""How a console page is served: the session and CSRF checked, the page run in a worker thread with its own
database connection, rendered with autoescaping Jinja2, refusals turned into Chinese pages, every request logged."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from urllib.parse import urlsplit

import jinja2
import sqlite_utils
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.formparsers import MultiPartException
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response

from bot.app import BotApp
from bot.console.auth import Admin, session_admin
from bot.console.database import ConsoleDatabase
from bot.console.errors import Refused, bad_form, not_found
from bot.console.nav import NAV
from bot.db import roll_back_open_transaction
from bot.store.console_views import Clockwork

logger = logging.getLogger(__name__)

COOKIE = "campaign_console"
FORM_OVERHEAD = 64 * 1024  # multipart boundaries and the small fields besides an uploaded file
TEMPLATES = Path(__file__).parent / "templates"


@dataclass
class Console:
    """The console's shared parts: the bot, its own database connections, the templates, its URL prefix."""

    app: BotApp
    database: ConsoleDatabase
    base: str  # the path the console is mounted at, e.g. /console
    templates: jinja2.Environment = field(init=False)

    def __post_init__(self):
        self.templates = jinja2.Environment(loader=jinja2.FileSystemLoader(TEMPLATES), autoescape=True,
                                            undefined=jinja2.StrictUndefined, trim_blocks=True, lstrip_blocks=True)
        self.templates.filters.update(local=self.local_text, day=lambda d: f"{d:%Y-%m-%d}" if d else "",
                                      local_text=lambda text: self.local_text(datetime.fromisoformat(text)) if text else "",
                                      percent=lambda share: f"{share:.0%}")
        self.templates.globals.update(base=self.base, nav=NAV)

    @property
    def secure_cookie(self) -> bool:
        """Whether the session cookie is sent over HTTPS only (when the public address is https)."""
        return self.app.settings.server.public_url.lower().startswith("https://")

    @property
    def idle_limit(self) -> timedelta:
        """How long a session lives without a request."""
        return timedelta(hours=self.app.settings.console.session_idle_hours)

    def local_text(self, moment: datetime | None) -> str:
        """A UTC moment as local date and minute; empty for None."""
        return self.app.local_text(moment) if moment else ""

    def render(self, request: Request, admin: Admin | None, template: str, status: int = 200,
               **context) -> HTMLResponse:
        """The template rendered (autoescaped) as an HTML response, with the layout's context: who is logged in,
        their CSRF token, which page is current."""
        current = request.url.path.removeprefix(self.base) or "/"
        html = self.templates.get_template(template).render(
            admin=admin, current=current, csrf_token=admin.csrf_token if admin else "", **context)
        return HTMLResponse(html, status_code=status, headers=SECURITY_HEADERS)

    def set_session_cookie(self, response: Response, cookie: str) -> None:
        """Gives the browser its session: HttpOnly, SameSite=Lax, Secure behind HTTPS, for the console's path only."""
        response.set_cookie(COOKIE, cookie, path=self.base or "/", httponly=True, samesite="lax",
                            secure=self.secure_cookie)

    def clear_session_cookie(self, response: Response) -> None:
        """Tells the browser to forget the session cookie."""
        response.delete_cookie(COOKIE, path=self.base or "/", httponly=True, samesite="lax", secure=self.secure_cookie)


# No page may be framed or sniffed, and nothing is loaded from anywhere but the console itself.
SECURITY_HEADERS = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "frame-ancestors 'none'; form-action 'self'",
    "Cache-Control": "no-store",
}


@dataclass
class PageRequest:
    """What a page function gets: the console, the request, this thread's database, who asks, when, the form."""

    console: Console
    request: Request
    db: sqlite_utils.Database
    admin: Admin | None
    now: datetime
    form: FormData | None = None
    client: str = ""

    @property
    def app(self) -> BotApp:
        """The bot."""
        return self.console.app

    def clockwork(self) -> Clockwork:
        """This request's moment with the overdue rule of the settings and the campaign."""
        return Clockwork(self.now, self.app.settings.reminders.visit_interval_days, self.app.campaign.start)

    def render(self, template: str, status: int = 200, **context) -> HTMLResponse:
        """Renders a page for this request's administrator."""
        return self.console.render(self.request, self.admin, template, status, **context)


PageFunction = Callable[[PageRequest], Response]


def page(func: PageFunction, *, office_only: bool = False, public: bool = False):
    """A Starlette endpoint serving func: session (unless public), office-only check, CSRF on POST, in a thread."""

    async def endpoint(request: Request) -> Response:
        console: Console = request.app.state.console
        form = None
        try:
            if request.method == "POST":
                form = await read_form(request, console)
        except Refused as refused:
            return await run_in_threadpool(refusal_response, console, request, refused, None)
        try:
            return await run_in_threadpool(serve, console, request, func, form, office_only, public)
        finally:
            if form is not None:
                await form.close()

    endpoint.__name__ = func.__name__
    return endpoint


def serve(console: Console, request: Request, func: PageFunction, form: FormData | None, office_only: bool,
          public: bool) -> Response:
    """Runs one page in this worker thread and logs what became of the request."""
    db = console.database.connection()
    now = console.app.clock.now()
    client = request.client.host if request.client else ""
    admin = None
    try:
        if not public:
            admin = session_admin(db, request.cookies.get(COOKIE), now, console.idle_limit)
            if office_only and not admin.is_office:
                raise not_found(f"office-only page asked by {admin.role}")
            if form is not None:
                check_csrf(form, admin)
        response = func(PageRequest(console, request, db, admin, now, form, client))
    except Refused as refused:
        return refusal_response(console, request, refused, admin)
    except Exception:
        logger.exception("console %s %s failed (admin %s)", request.method, request.url.path,
                         admin.cadre_id if admin else "-")
        roll_back_open_transaction(db)
        return console.render(request, admin, "error.html", 500, title="出错了",
                              message="处理这个页面时出了错，没有做任何改动。请稍后再试；如果一直不行，请联系系统管理员。")
    logger.info("console %s %s -> %d (admin %s)", request.method, request.url.path, response.status_code,
                admin.cadre_id if admin else "-")
    return response


def refusal_response(console: Console, request: Request, refused: Refused, admin: Admin | None) -> Response:
    """The Chinese page for a refusal, logged with the reason (never a token: paths only, no query strings)."""
    logger.warning("console refused %s %s -> %d (admin %s): %s", request.method, request.url.path, refused.status,
                   admin.cadre_id if admin else "-", refused.reason)
    response = console.render(request, admin, "error.html", refused.status, title=refused.title,
                              message=refused.message)
    if refused.status == 401 and request.cookies.get(COOKIE):
        console.clear_session_cookie(response)
    return response


async def read_form(request: Request, console: Console) -> FormData:
    """The POSTed form, refused when it comes from another site or is larger than an upload may be."""
    origin = request.headers.get("origin")
    if origin and origin != "null" and urlsplit(origin).netloc != request.headers.get("host"):
        raise Refused(403, "请求来源不对", "这个请求不是从本后台的页面发出的，没有做任何改动。", f"foreign origin {origin}")
    limit = console.app.settings.console.max_upload_bytes + FORM_OVERHEAD
    length = request.headers.get("content-length")
    if length is None or not length.isdigit():
        raise Refused(411, "无法接收", "浏览器没有说明上传内容的大小，请换用常见浏览器重试。", "POST without content-length")
    if int(length) > limit:
        raise too_large(console, f"POST of {length} bytes")
    try:
        return await request.form(max_files=1, max_fields=20)
    except MultiPartException as exc:
        raise Refused(400, "无法接收", "上传的内容不完整，请重新选择文件上传。", f"bad multipart form: {exc}") from None


def too_large(console: Console, reason: str) -> Refused:
    """413: an upload larger than [console] max_upload_bytes."""
    megabytes = console.app.settings.console.max_upload_bytes / 1024 / 1024
    return Refused(413, "文件太大", f"上传的文件不能超过 {megabytes:.0f} MB，没有导入任何数据。", reason)


def check_csrf(form: FormData, admin: Admin) -> None:
    """Refuses a form whose CSRF token is not this session's."""
    sent = form.get("csrf_token")
    if not isinstance(sent, str) or not hmac.compare_digest(sent.encode(), admin.csrf_token.encode()):
        raise bad_form("missing or wrong CSRF token")
