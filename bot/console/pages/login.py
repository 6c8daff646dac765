"""Logging in through a one-time link, and out."""

from __future__ import annotations

from starlette.responses import RedirectResponse, Response

from bot.console import audit
from bot.console.auth import ENDED_LOGOUT, end_session, open_session, peek_link
from bot.console.serving import PageRequest
from bot.db import transaction


def login_form(req: PageRequest) -> Response:
    """Shows whose link this is and a button: a chat app opening the link for a preview does not use it up."""
    token = req.request.query_params.get("t", "")
    cadre = peek_link(req.db, token, req.client, req.now)
    return req.render("login.html", cadre=cadre, token=token)


def login(req: PageRequest) -> Response:
    """Uses up the link, opens the session and sets its cookie."""
    token = req.form.get("t", "")
    cookie, admin = open_session(req.db, token if isinstance(token, str) else "", req.client, req.now)
    audit.record_action(req.db, admin, audit.LOGIN, admin.unit_name, req.now)
    response = RedirectResponse(f"{req.console.base}/", status_code=303)
    req.console.set_session_cookie(response, cookie)
    return response


def logout(req: PageRequest) -> Response:
    """Ends the session and forgets its cookie."""
    with transaction(req.db):
        end_session(req.db, req.admin.session_id, ENDED_LOGOUT, req.now)
        audit.record_action(req.db, req.admin, audit.LOGOUT, req.admin.unit_name, req.now)
    response = req.console.render(req.request, None, "error.html", 200, title="已退出登录",
                                  message="您已退出后台。需要再次登录时，请在聊天里给机器人发送“后台”。")
    req.console.clear_session_cookie(response)
    return response
