"""Shared by the console's server and browser tests: a roster of two counties and an office, and logging in."""

from __future__ import annotations

import re

import httpx

from bot.channels.console import bind_console
from bot.console import issue_login_link
from bot.web import build_web_app
from tests.conftest import insert_roster

OFFICE = "C0"  # 活动办管理员 at U00
COUNTY = "C3"  # 单位管理员 of 示例县委 (U01, with U0101 below it)
OTHER_COUNTY = "C4"  # 单位管理员 of 另一县委 (U03)


def insert_two_counties(db) -> None:
    """The conftest roster plus the office's administrator and a second county with an administrator and a cadre."""
    insert_roster(db)
    db["units"].insert({"id": "U03", "name": "另一县委", "parent_id": "U00", "kind": "县市委"})
    db["cadres"].insert_all([
        {"id": "C0", "name": "活动办主任", "phone": "13800000000", "unit_id": "U00", "title": "主任", "role": "活动办管理员"},
        {"id": "C4", "name": "另一县管理员", "phone": "13800000004", "unit_id": "U03", "title": "", "role": "单位管理员"},
        {"id": "C5", "name": "另一县干部", "phone": "13800000005", "unit_id": "U03", "title": "", "role": "干部"},
    ])
    db["households"].insert({"id": "H5", "head_name": "另一县农户", "county": "另一县", "township": "某乡",
                             "village": "北村", "members": 3, "phone": "13900000005", "notes": "另一县备注"})
    db["pairings"].insert({"pair_key": "干部联户|C5|H5", "kind": "干部联户", "cadre_id": "C5", "household_id": "H5"})


def client_for(app) -> httpx.AsyncClient:
    """An httpx client talking to the bot's real ASGI app (the console mounted on it)."""
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_web_app(app, [])), base_url="http://testserver")


def link_token(url: str) -> str:
    """The token of a login link."""
    return url.split("?t=", 1)[1]


async def login(client: httpx.AsyncClient, app, cadre_id: str) -> str:
    """Logs the cadre in through a link issued for their console chat; returns the session's CSRF token."""
    chat_id = bind_console(app, cadre_id)
    link = issue_login_link(app.db, app.settings, cadre_id, app.clock.now(), "console", chat_id)
    token = link_token(link.url)
    assert (await client.get("/console/login", params={"t": token})).status_code == 200
    response = await client.post("/console/login", data={"t": token})
    assert response.status_code == 303, response.text
    return csrf_of((await client.get("/console/")).text)


def csrf_of(html: str) -> str:
    """The CSRF token a page's forms carry."""
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def add_visit(app, cadre_id: str, household_id: str, at: str, photo: bytes | None = None, number: int = 0) -> int:
    """Records a visit with one photo (a drawn one unless given) and its evidence flags, as the bot does; returns
    the visit's session id."""
    from pathlib import Path

    from bot.clock import parse_moment
    from bot.demo import demo_photo
    from bot.photos import check_photo, store_photo
    from bot.store.evidence import assess_photo
    from bot.store.reviews import session_of_visit
    from bot.store.visits import PendingPhoto, record_visit

    moment = parse_moment(at)
    data = photo or demo_photo(number, None)
    checked = check_photo(data, app.settings.photos.max_bytes, sent_at=moment)
    pending = PendingPhoto.of(checked, store_photo(checked, Path(app.settings.photos.dir)), f"test-{number}")
    visit_id = record_visit(app.db, cadre_id=cadre_id, household_id=household_id, photos=[pending], received_at=moment,
                            note="", channel="console", chat_id=cadre_id, album_id=None)
    session = session_of_visit(app.db, visit_id)
    assess_photo(app.db, data=data, sha256=checked.sha256, taken_at=None, gps=None, received_at=moment,
                 household_id=household_id, session_id=session, now=moment)
    return session
