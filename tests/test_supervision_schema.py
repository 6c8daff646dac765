"""The supervision schema (migrations 50-53): unit paths, visits grouped as sessions, and existing data kept valid."""

from __future__ import annotations

import random

import pytest
import sqlite_utils

from bot import migrations
from bot.db import open_db
from tests.conftest import insert_roster


def _visit(db, visit_id, cadre, household, visited_at, reported_at=None):
    db.execute("INSERT INTO visits (id, cadre_id, household_id, reported_at, visited_at) VALUES (?, ?, ?, ?, ?)",
               (visit_id, cadre, household, reported_at or visited_at, visited_at))


def _sessions(db):
    return {row[0]: row[1] for row in db.execute("SELECT id, session_id FROM visits ORDER BY id")}



def test_visits_of_existing_databases_are_grouped_into_sessions(tmp_path, monkeypatch):
    before = [m for m in migrations.MIGRATIONS if m[0] < 50]
    monkeypatch.setattr(migrations, "MIGRATIONS", before)
    old = open_db(tmp_path / "old.db")
    insert_roster(old)
    _visit(old, 1, "C1", "H1", "2010-05-10T01:00:00+00:00")
    _visit(old, 2, "C1", "H1", "2010-05-10T02:59:00+00:00")  # 1 h 59 after the first: same visit
    _visit(old, 3, "C1", "H1", "2010-05-10T03:01:00+00:00")  # 2 h 01 after the first: a new visit
    _visit(old, 4, "C1", "H2", "2010-05-10T01:30:00+00:00")  # another household
    _visit(old, 5, "C2", "H4", "2010-05-10T01:00:00+00:00")
    old.close()
    monkeypatch.undo()

    upgraded = open_db(tmp_path / "old.db")
    assert _sessions(upgraded) == {1: 1, 2: 1, 3: 3, 4: 4, 5: 5}
    assert upgraded.execute("SELECT started_at, last_at, review_state FROM visit_sessions WHERE id = 1").fetchone() \
        == ("2010-05-10T01:00:00+00:00", "2010-05-10T02:59:00+00:00", "待审核")
    assert upgraded.execute("SELECT path FROM units WHERE id = 'U0101'").fetchone()[0] == "/U00/U01/U0101/"
    upgraded.close()


def test_a_new_visit_within_two_hours_joins_the_session(db):
    _visit(db, 10, "C1", "H1", "2010-05-10T01:00:00+00:00")
    _visit(db, 11, "C1", "H1", "2010-05-10T01:40:00.250000+00:00")
    _visit(db, 12, "C1", "H1", "2010-05-10T00:30:00+00:00")  # an earlier EXIF time, still within two hours
    _visit(db, 13, "C2", "H1", "2010-05-10T01:10:00+00:00")  # another cadre: their own visit
    _visit(db, 14, "C1", "H1", "2010-05-10T04:00:00+00:00")
    assert _sessions(db) == {10: 10, 11: 10, 12: 10, 13: 13, 14: 14}
    assert db.execute("SELECT started_at, last_at FROM visit_sessions WHERE id = 10").fetchone() \
        == ("2010-05-10T00:30:00+00:00", "2010-05-10T01:40:00.250000+00:00")


def test_withdrawing_rows_shrinks_then_removes_the_session(db):
    _visit(db, 20, "C1", "H1", "2010-05-10T01:00:00+00:00")
    _visit(db, 21, "C1", "H1", "2010-05-10T01:30:00+00:00")
    db.execute("INSERT INTO visit_reviews (session_id, state, reviewer_id, reviewed_at) "
               "VALUES (20, '合格', 'C3', '2010-05-11T00:00:00+00:00')")
    db.execute("DELETE FROM visits WHERE id = 21")
    assert db.execute("SELECT last_at FROM visit_sessions WHERE id = 20").fetchone()[0] == "2010-05-10T01:00:00+00:00"
    db.execute("DELETE FROM visits WHERE id = 20")
    assert db.execute("SELECT COUNT(*) FROM visit_sessions").fetchone()[0] == 0
    assert db.execute("SELECT COUNT(*) FROM visit_reviews").fetchone()[0] == 0


def test_a_new_photo_for_a_visit_needing_more_reopens_its_review(db):
    _visit(db, 30, "C1", "H1", "2010-05-10T01:00:00+00:00")
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE id = 30")
    _visit(db, 31, "C1", "H1", "2010-05-13T01:00:00+00:00", reported_at="2010-05-13T01:00:05+00:00")
    assert _sessions(db)[31] == 31  # days later: a session of its own until the bot attaches it
    db.execute("UPDATE visits SET session_id = 30 WHERE id = 31")
    assert db.execute("SELECT review_state, supplemented_at FROM visit_sessions WHERE id = 30").fetchone() \
        == ("待审核", "2010-05-13T01:00:05+00:00")
    assert db.execute("SELECT id FROM visit_sessions ORDER BY id").fetchall() == [(30,)]  # the emptied one is gone


def test_unit_paths_follow_inserts_in_any_order_and_moves(db):
    db.conn.execute("PRAGMA foreign_keys = OFF")  # as the importer writes: a child may come before its parent
    db.execute("INSERT INTO units (id, name, parent_id) VALUES ('X2', 'x2', 'X1')")
    db.execute("INSERT INTO units (id, name, parent_id) VALUES ('X3', 'x3', 'X2')")
    db.execute("INSERT INTO units (id, name, parent_id) VALUES ('X1', 'x1', 'U01')")
    paths = dict(db.execute("SELECT id, path FROM units"))
    assert paths["X3"] == "/U00/U01/X1/X2/X3/"
    db.execute("UPDATE units SET parent_id = 'U02' WHERE id = 'X1'")
    paths = dict(db.execute("SELECT id, path FROM units"))
    assert (paths["X1"], paths["X3"], paths["U0101"]) == ("/U00/U02/X1/", "/U00/U02/X1/X2/X3/", "/U00/U01/U0101/")


def test_unit_paths_kept_by_triggers_equal_a_rebuild(db):
    rng = random.Random(12)
    ids = ["U00", "U01", "U0101", "U02"]
    for n in range(60):
        unit = f"R{n}"
        db.execute("INSERT INTO units (id, name, parent_id) VALUES (?, ?, ?)", (unit, unit, rng.choice(ids)))
        ids.append(unit)
        if n % 7 == 0:  # move a random unit under one that is not below it
            moved = rng.choice(ids[1:])
            below = {row[0] for row in db.execute(
                "SELECT id FROM units WHERE substr(path, 1, length((SELECT path FROM units WHERE id = ?))) = "
                "(SELECT path FROM units WHERE id = ?)", (moved, moved))}
            db.execute("UPDATE units SET parent_id = ? WHERE id = ?",
                       (rng.choice([u for u in ids if u not in below]), moved))
    kept = dict(db.execute("SELECT id, path FROM units"))
    migrations.rebuild_unit_paths(db)
    assert dict(db.execute("SELECT id, path FROM units")) == kept


@pytest.mark.parametrize("table, row", [
    ("visit_reviews", {"session_id": 1, "state": "通过", "reviewed_at": "x"}),
    ("notice_receipts", {"notice_id": 1, "cadre_id": "C1", "status": "已读"}),
    ("unit_task_completions", {"unit_id": "U01", "deadline_id": "d", "reported_by": "C3", "reported_at": "x",
                               "evidence_kind": "video"}),
], ids=["review-state", "receipt-status", "evidence-kind"])
def test_closed_vocabularies_are_enforced(db, table, row):
    with pytest.raises(sqlite_utils.db.sqlite3.IntegrityError):
        db[table].insert(row)


def test_a_pairing_written_after_its_visits_starts_from_the_last_counted_one(db):
    _visit(db, 40, "C2", "H1", "2010-05-10T01:00:00+00:00")  # C2 visits H1 before being paired with it
    _visit(db, 41, "C2", "H1", "2010-05-11T01:00:00+00:00")
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE id = 41")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('k', '干部联户', 'C2', 'H1')")
    assert db.execute("SELECT last_visit_at FROM pairings WHERE pair_key = 'k'").fetchone()[0] \
        == "2010-05-10T01:00:00+00:00"
    assert db.execute("SELECT last_visit_at FROM pairings WHERE pair_key = '干部联户|C1|H1'").fetchone()[0] is None
