"""Evidence flags recorded as visit photos arrive, end to end through Telegram (python-telegram-bot against the fake
Bot API, the router, a real SQLite file): a resized, re-encoded copy is flagged, an unrelated picture is not, a
compressed photo brings the invitation to send files; and what a reviewer of each scope reads of the flags."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest

from bot.store import evidence
from bot.store.evidence import NEAR_DUPLICATE, NO_EXIF
from bot.store.scopes import scope_of
from tests.conftest import local
from tests.fakes.telegram_api import callback, photo_sizes, private_message
from tests.test_evidence import encoded, scene
from tests.test_telegram import CADRE, answerer, exchange, fake, telegram  # noqa: F401 (fixtures)

pytestmark = pytest.mark.filterwarnings("ignore:.*retry_after.*timedelta")


def session_of(db, file_unique_prefix: str) -> int:
    return db.execute("SELECT v.session_id FROM photos p JOIN visits v ON v.id = p.visit_id "
                      "WHERE p.source_id LIKE ?", (f"u{file_unique_prefix}%",)).fetchone()[0]


async def report(fake, roster, file_id: str, household: str, when: str) -> list:
    """C1 sends the photo from Telegram at `when` (Beijing) and picks the household; returns the bot's calls."""
    roster.clock.set(local(when))
    asked = await exchange(fake, private_message(CADRE, photo=photo_sizes(file_id)))
    chosen = await exchange(fake, callback(CADRE, f"visit:{household}", f"q-{file_id}"))
    return asked + chosen


async def test_a_near_duplicate_is_flagged_and_an_unrelated_photo_is_not(telegram, fake, roster):
    fake.add_file("scene-1", encoded(scene(1)))
    fake.add_file("scene-1-copy", encoded(scene(1), quality=40, size=(320, 240)))  # resized and re-encoded
    fake.add_file("scene-2", encoded(scene(2)))
    await report(fake, roster, "scene-1", "H1", "2010-05-13T00:30")  # 2010-05-12 16:30 UTC
    await report(fake, roster, "scene-1-copy", "H2", "2010-05-15T10:00")
    await report(fake, roster, "scene-2", "H3", "2010-05-16T10:00")
    first, copy, other = (session_of(roster.db, f) for f in ("scene-1", "scene-1-copy", "scene-2"))
    assert len({first, copy, other}) == 3
    flags = {f.flag: f for f in evidence.flags_of_session(roster.db, copy)}
    assert flags[NEAR_DUPLICATE].other_session_id == first and flags[NEAR_DUPLICATE].value <= 6
    assert NEAR_DUPLICATE not in {f.flag for f in evidence.flags_of_session(roster.db, other)}
    assert NEAR_DUPLICATE not in {f.flag for f in evidence.flags_of_session(roster.db, first)}
    # the visit was recorded as usual: a flag informs the reviewer, it never refuses
    assert roster.db.execute("SELECT COUNT(*) FROM visit_sessions WHERE cadre_id = 'C1'").fetchone()[0] == 3
    # C3 administers 示例县委, which holds C1's branch: the household is named, the day is Beijing's
    [line] = [t for t in evidence.describe_flags(roster.db, copy, scope_of(roster.db, "C3")) if "重复" in t]
    assert line == "疑似重复照片：与 2010-05-13 测试干部甲走访示例户一户的照片几乎相同"


def test_a_reviewer_outside_the_first_visits_scope_is_not_told_its_household(db):
    from tests.test_evidence import visit_with

    db.execute("INSERT INTO units (id, name, parent_id, kind) VALUES ('U02A', '州直支部', 'U02', '基层党组织')")
    db.execute("INSERT INTO cadres (id, name, unit_id, role) VALUES ('D1', '州直干部', 'U02A', '干部'), "
               "('A2', '州直管理员', 'U02', '单位管理员'), ('O1', '活动办管理员', 'U00', '活动办管理员')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('x', '干部联户', 'D1', 'H4')")
    visit_with(db, encoded(scene(3)), household="H1", cadre="C1")  # county 示例县
    _, copy = visit_with(db, encoded(scene(3), quality=50, size=(400, 300)), household="H4", cadre="D1",
                         at=local("2010-05-20T10:00"))
    outsider = evidence.describe_flags(db, copy, scope_of(db, "A2"))
    office = evidence.describe_flags(db, copy, scope_of(db, "O1"))
    assert any("其他单位的一次走访" in line for line in outsider)
    assert not any("示例户一" in line or "测试干部甲" in line for line in outsider)
    assert any("测试干部甲走访示例户一户" in line for line in office)
    stored = db.execute("SELECT group_concat(COALESCE(detail, ''), '|') FROM photo_flags").fetchone()[0]
    assert "示例户一" not in stored  # the stored rows hold ids, never another household's name


async def test_a_compressed_photo_invites_sending_files_and_a_file_does_not(telegram, fake, roster):
    fake.add_file("plain", encoded(scene(4)))  # no EXIF, as Telegram leaves a compressed photo
    compressed = await exchange(fake, private_message(CADRE, photo=photo_sizes("plain")))
    assert "以文件发送" in compressed[-1][1]["text"] and "哪一户" in compressed[-1][1]["text"]
    await exchange(fake, callback(CADRE, "visit:H1", "q-plain"))
    roster.clock.set(roster.clock.now() + timedelta(days=1))
    fake.add_file("as-file", encoded(scene(5)), "documents/IMG_0002.JPG")
    as_file = await exchange(fake, private_message(CADRE, document={
        "file_id": "as-file", "file_unique_id": "uas-file", "file_name": "IMG_0002.JPG", "mime_type": "image/jpeg",
        "file_size": 5000}))
    assert "哪一户" in as_file[-1][1]["text"] and "以文件发送" not in as_file[-1][1]["text"]
    # both lack a camera time: both carry the flag, whatever the hint said
    assert NO_EXIF in {f.flag for f in evidence.flags_of_session(roster.db, session_of(roster.db, "plain"))}


async def test_the_hash_is_computed_off_the_event_loop(chat, monkeypatch):
    threads = []
    real = evidence.perceptual_hash

    def spying(data: bytes) -> int:  # the real hash, noting the thread it ran on
        threads.append(threading.get_ident())
        return real(data)

    monkeypatch.setattr("handlers.visits.perceptual_hash", spying)
    await chat("C2").photo(encoded(scene(6)))
    assert threads and threading.get_ident() not in threads
    assert chat("C2").app.db.execute("SELECT COUNT(*) FROM photo_hashes").fetchone()[0] == 1
