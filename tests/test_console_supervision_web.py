"""The console's 走访审核, 任务 and 通知 against the real ASGI app with httpx: scopes by URL tampering (visits, photos,
evidence, notices), reviews and notices written once with their 操作记录, flags that name nothing outside the scope,
and bad input answered with a Chinese page and nothing written."""

from __future__ import annotations

import io
import re

import pytest
from PIL import Image

from bot.demo import demo_photo
from bot.store import supervision
from bot.store.scopes import scope_of
from bot.store.supervision import Evidence
from tests.console_helpers import COUNTY, OFFICE, OTHER_COUNTY, add_visit, client_for, insert_two_counties, login


@pytest.fixture
def site(app):
    """Two counties and the office; 示例县 has C1's visit to H1, 另一县 has C5's visit to H5 whose photo is a
    re-encoded copy of C1's (a near-duplicate across counties)."""
    insert_two_counties(app.db)
    original = demo_photo(3, None)
    app.own = add_visit(app, "C1", "H1", "2010-05-10T10:00", original, 3)
    app.other = add_visit(app, "C5", "H5", "2010-05-11T10:00", smaller(original), 4)
    return app


def smaller(jpeg: bytes) -> bytes:
    """The same picture resized and re-encoded (not byte-identical)."""
    with Image.open(io.BytesIO(jpeg)) as image:
        out = io.BytesIO()
        image.resize((480, 360)).save(out, "JPEG", quality=70)
    return out.getvalue()


@pytest.fixture
async def client(site):
    async with client_for(site) as c:
        yield c


def photo_of(db, session_id: int) -> str:
    return db.execute("SELECT p.sha256 FROM photos p JOIN visits v ON v.id = p.visit_id WHERE v.session_id = ?",
                      (session_id,)).fetchone()[0]


def count(db, table: str) -> int:
    return db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0]


# ---- scopes by URL ----

@pytest.mark.parametrize("who, whose, status", [
    (COUNTY, "own", 200), (COUNTY, "other", 404), (OTHER_COUNTY, "own", 404), (OTHER_COUNTY, "other", 200),
    (OFFICE, "own", 200), (OFFICE, "other", 200)], ids=lambda v: str(v))
async def test_visits_and_photos_by_url_only_within_the_scope(client, site, who, whose, status):
    await login(client, site, who)
    session = getattr(site, whose)
    sha = photo_of(site.db, session)
    for url in (f"/console/reviews/{session}", f"/console/photos/{sha}", f"/console/photos/{sha}/thumb"):
        response = await client.get(url)
        assert response.status_code == status, url
        if status == 404:
            assert "找不到这个页面" in response.text and "示例户一" not in response.text
        elif "photos" in url:
            assert response.headers["content-type"] == "image/jpeg"


async def test_a_photo_needs_a_session(client, site):
    response = await client.get(f"/console/photos/{photo_of(site.db, site.own)}")
    assert response.status_code == 401 and "请先登录" in response.text


async def test_the_grid_lists_only_the_scope(client, site):
    await login(client, site, COUNTY)
    page = (await client.get("/console/reviews")).text
    assert "示例户一户" in page and "另一县农户" not in page and f"/photos/{photo_of(site.db, site.own)}/thumb" in page


# ---- evidence flags ----

async def test_a_near_duplicate_names_the_other_household_only_inside_the_scope(client, site):
    [flag] = [f for f in supervision_flags(site.db, site.other) if f == "near_duplicate"]
    await login(client, site, OTHER_COUNTY)
    page = (await client.get(f"/console/reviews/{site.other}")).text
    assert "疑似重复照片" in page and "与其他单位一次走访的照片几乎相同" in page
    assert "示例户一" not in page and f"/reviews/{site.own}" not in page


async def test_the_office_sees_which_visit_a_near_duplicate_repeats(site):
    async with client_for(site) as office:
        await login(office, site, OFFICE)
        page = (await office.get(f"/console/reviews/{site.other}")).text
    assert "与示例户一户的另一次走访照片几乎相同" in page and f'href="/console/reviews/{site.own}"' in page


def supervision_flags(db, session_id: int) -> list[str]:
    from bot.store.evidence import flags_of_session

    return [f.flag for f in flags_of_session(db, session_id)]


# ---- review ----

async def test_a_review_is_recorded_with_its_comment_and_audited(client, site):
    csrf = await login(client, site, OFFICE)
    response = await client.post(f"/console/reviews/{site.own}",
                                 data={"csrf_token": csrf, "state": "需补充", "comment": "照片看不清门牌"})
    assert response.status_code == 303  # the oldest visit: no older one awaits review, so back to the queue
    assert response.headers["location"] == "/console/reviews?state=%E5%BE%85%E5%AE%A1%E6%A0%B8"
    assert site.db.execute("SELECT review_state, review_comment, reviewed_by FROM visit_sessions WHERE id = ?",
                           (site.own,)).fetchone() == ("需补充", "照片看不清门牌", OFFICE)
    assert site.db.execute("SELECT action, target, detail FROM console_audit WHERE action = '审核走访'").fetchall() == \
        [("审核走访", "测试干部甲走访示例户一户", "需补充：照片看不清门牌")]
    log = (await client.get("/console/audit")).text
    assert "审核走访" in log and "照片看不清门牌" in log


async def test_after_a_review_the_next_visit_awaiting_review_opens(client, site):
    csrf = await login(client, site, OFFICE)
    response = await client.post(f"/console/reviews/{site.other}", data={"csrf_token": csrf, "state": "合格"})
    assert response.headers["location"] == f"/console/reviews/{site.own}?done={site.other}"  # the older one


@pytest.mark.parametrize("form, status, text", [
    ({"state": "需补充", "comment": ""}, 400, "请写明需补充什么"),
    ({"state": "通过"}, 400, "请选择“合格”或“需补充”"),
    ({"state": "合格", "comment": "长" * 201}, 400, "意见太长"),
    ({"state": "合格", "csrf_token": "forged"}, 400, "表单已失效"),
], ids=["needs-more-without-comment", "unknown-state", "comment-too-long", "wrong-csrf"])
async def test_a_bad_review_writes_nothing(client, site, form, status, text, caplog):
    csrf = await login(client, site, COUNTY)
    response = await client.post(f"/console/reviews/{site.own}", data={"csrf_token": csrf, **form})
    assert response.status_code == status and text in response.text
    assert count(site.db, "visit_reviews") == 0 and count(site.db, "console_audit") == 1  # the login only
    assert "console refused POST" in caplog.text


async def test_a_review_outside_the_scope_is_404_and_writes_nothing(client, site):
    csrf = await login(client, site, COUNTY)
    response = await client.post(f"/console/reviews/{site.other}", data={"csrf_token": csrf, "state": "合格"})
    assert response.status_code == 404 and count(site.db, "visit_reviews") == 0


# ---- grid filters and pages ----

async def test_the_grid_pages_by_keyset_and_filters(client, site):
    for day in range(1, 30):
        add_visit(site, "C2", "H4", f"2010-04-{day:02d}T10:00", number=10 + day)
    await login(client, site, COUNTY)
    first = (await client.get("/console/reviews")).text
    assert first.count('class="visit"') == 24
    after = re.search(r'after=([^"&]+)" class="next"', first).group(1)
    second = (await client.get(f"/console/reviews?after={after}")).text
    assert second.count('class="visit"') == 6 and 'class="next"' not in second  # 30 in scope: 29 + C1's
    flagged = (await client.get("/console/reviews?flag=no_exif&state=待审核&from=2010-04-28&to=2010-04-29")).text
    assert flagged.count('class="visit"') == 2


@pytest.mark.parametrize("query, status", [
    ("unit=U03", 404), ("state=通过", 404), ("flag=blurry", 404), ("from=2010-13-01", 404),
    ("after=WyIwIiwgMV0", 404)], ids=["unit-of-another-county", "state", "flag", "date", "past-the-end"])
async def test_bad_filters_are_a_clear_page(client, site, query, status):
    await login(client, site, COUNTY)
    response = await client.get(f"/console/reviews?{query}")
    assert response.status_code == status and ("没有这一页" in response.text or "找不到这个页面" in response.text)


# ---- notices ----

async def test_a_notice_shows_its_reach_then_is_sent_once_with_receipts(client, site):
    csrf = await login(client, site, COUNTY)
    preview = await client.post("/console/notices/preview", data={"csrf_token": csrf, "text": "周五前上报<b>小结</b>"})
    assert preview.status_code == 200 and re.search(r'class="reach">2<', preview.text)
    assert "周五前上报&lt;b&gt;小结&lt;/b&gt;" in preview.text
    assert count(site.db, "notice_receipts") == 0  # nothing is sent before 确认发送
    notice_id = re.search(r"/notices/(\d+)/send", preview.text).group(1)
    for _ in range(2):  # a double click
        sent = await client.post(f"/console/notices/{notice_id}/send", data={"csrf_token": csrf})
        assert sent.status_code == 303 and sent.headers["location"] == f"/console/notices/{notice_id}"
    assert sorted(r[0] for r in site.db.execute("SELECT cadre_id FROM notice_receipts")) == ["C1", "C2"]
    assert [r[0] for r in site.db.execute("SELECT detail FROM console_audit WHERE action = '发送通知'")] == ["发给 2 人"]
    supervision.mark_delivered(site.db, int(notice_id), "C1", site.clock.now())
    supervision.mark_read(site.db, "C1", site.clock.now())
    page = (await client.get(f"/console/notices/{notice_id}")).text
    assert re.search(r"<b>1</b><span>已读", page) and "示例村党支部" in page and "测试干部乙" in page


@pytest.mark.parametrize("text, message", [("   ", "通知内容是空的"), ("通" * 1001, "通知太长")], ids=["empty", "too-long"])
async def test_an_empty_or_oversized_notice_is_refused(client, site, text, message, caplog):
    csrf = await login(client, site, COUNTY)
    response = await client.post("/console/notices/preview", data={"csrf_token": csrf, "text": text})
    assert response.status_code == 422 and message in response.text and "没有发送" in response.text
    assert count(site.db, "notices") == 0
    assert f"console notice refused (admin {COUNTY}): {message}" in caplog.text


async def test_notices_by_url_only_within_the_scope(client, site):
    county_notice = supervision.create_notice(site.db, scope_of(site.db, COUNTY), "示例县的通知", False, site.clock.now())
    supervision.confirm_notice(site.db, county_notice, site.clock.now())
    office_notice = supervision.create_notice(site.db, scope_of(site.db, OFFICE), "全州的通知", False, site.clock.now())
    supervision.confirm_notice(site.db, office_notice, site.clock.now())
    csrf = await login(client, site, OTHER_COUNTY)
    assert (await client.get(f"/console/notices/{county_notice}")).status_code == 404
    listed = (await client.get("/console/notices")).text
    assert "全州的通知" in listed and "示例县的通知" not in listed
    page = (await client.get(f"/console/notices/{office_notice}")).text  # from above: only this county's receipts
    assert "另一县干部" in page and "测试干部甲" not in page
    refused = await client.post(f"/console/notices/{county_notice}/send", data={"csrf_token": csrf})
    assert refused.status_code == 404


# ---- tasks ----

async def test_tasks_show_the_scope_units_with_their_evidence(client, site, tmp_path):
    evidence_dir = tmp_path / "photos" / "ev"
    evidence_dir.mkdir(parents=True)
    (evidence_dir / "plan.docx").write_bytes(b"PK\x03\x04 plan")
    supervision.report_task_done(site.db, "U01", "plan-report", COUNTY, site.clock.now(),
                                 Evidence("ab" * 32, "document", "实施方案.docx", "ev/plan.docx"))
    await login(client, site, COUNTY)
    page = (await client.get("/console/tasks")).text
    assert "示例县委" in page and "另一县委" not in page and "实施方案.docx" in page
    download = await client.get("/console/tasks/U01/plan-report/evidence")
    assert download.status_code == 200 and download.content == b"PK\x03\x04 plan"
    async with client_for(site) as other:
        await login(other, site, OTHER_COUNTY)
        assert (await other.get("/console/tasks/U01/plan-report/evidence")).status_code == 404
        assert "示例县委" not in (await other.get("/console/tasks")).text
