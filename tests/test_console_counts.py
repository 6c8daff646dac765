"""The counts the console's pages read (migration 71): kept by triggers, equal to a recount, and the figures over
them equal to counting the pairings themselves."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from bot.db import open_db
from bot.migrations import rebuild_console_counts
from bot.store.console_views import Clockwork, fresh_counts, subtree_figures
from tests.console_helpers import insert_two_counties

CLOCK = Clockwork(datetime(2010, 6, 20, 2, tzinfo=timezone.utc), 30, date(2010, 4, 1))


@pytest.fixture
def db(tmp_path):
    db = open_db(tmp_path / "counts.db")
    insert_two_counties(db)
    fresh_counts(db)  # the first reader counts what the roster import wrote
    return db


def visit(db, cadre, household, at):
    db.execute("INSERT INTO visits (cadre_id, household_id, reported_at, visited_at) VALUES (?, ?, ?, ?)",
               (cadre, household, at, at))


def kept(db):
    return [sorted(db.execute(f"SELECT * FROM {table} WHERE {count} <> 0"))
            for table, count in (("cadre_clocks", "households"), ("cadre_counts", "cadres"),
                                 ("visit_hour_counts", "visits"))]


def test_counts_kept_by_triggers_equal_a_recount(db):
    visit(db, "C1", "H1", "2010-06-01T02:00:00+00:00")
    visit(db, "C1", "H1", "2010-06-01T03:00:00+00:00")  # the same visit (session), a second photo
    visit(db, "C2", "H4", "2010-04-10T02:00:00+00:00")
    visit(db, "C5", "H5", "2010-06-18T02:00:00+00:00")
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE household_id = 'H5'")  # no longer counts
    db.execute("UPDATE cadres SET unit_id = 'U03' WHERE id = 'C2'")  # a cadre moves to the other county
    db.execute("DELETE FROM pairings WHERE household_id = 'H3'")
    db.execute("DELETE FROM visits WHERE household_id = 'H4'")
    counted = kept(db)
    rebuild_console_counts(db)
    assert kept(db) == counted
    assert counted[2] == [("U00", "2010-06-01T02", 1), ("U00", "2010-06-18T02", 1), ("U01", "2010-06-01T02", 1),
                          ("U0101", "2010-06-01T02", 1), ("U03", "2010-06-18T02", 1)]


def test_figures_count_cadres_households_coverage_and_those_behind(db):
    visit(db, "C1", "H1", "2010-06-01T02:00:00+00:00")  # within 30 days: covered
    visit(db, "C2", "H4", "2010-04-10T02:00:00+00:00")  # long ago: overdue
    figures = subtree_figures(db, ["U00", "U01", "U03"], CLOCK)
    # U01: C1 (H1 covered, H2 H3 never visited: overdue) and C2 (H4 overdue): both behind
    assert figures["U01"].astuple() == (2, 4, 1, 3, 2)
    assert figures["U03"].astuple() == (1, 1, 0, 1, 1)
    assert figures["U00"].astuple() == (3, 5, 1, 4, 3)
    # on 4-20 nobody is late yet (the campaign is 19 days old) and H4's visit of 4-10 is recent
    early = Clockwork(datetime(2010, 4, 20, 2, tzinfo=timezone.utc), 30, date(2010, 4, 1))
    assert subtree_figures(db, ["U00"], early)["U00"].astuple() == (3, 5, 2, 0, 0)


def test_migration_73_counts_a_database_of_72_by_beijing_days(tmp_path, monkeypatch):
    from bot import migrations

    monkeypatch.setattr(migrations, "MIGRATIONS", [m for m in migrations.MIGRATIONS if m[0] <= 72])
    old = open_db(tmp_path / "old.db")
    insert_two_counties(old)
    fresh_counts(old)
    visit(old, "C2", "H4", "2010-05-20T17:00:00+00:00")  # 05-21 01:00 in Beijing
    assert old.execute("SELECT oldest_visited FROM cadre_clocks WHERE cadre_id = 'C2'").fetchone()[0] == "2010-05-20"
    old.close()
    monkeypatch.undo()

    upgraded = open_db(tmp_path / "old.db")
    assert upgraded.execute("SELECT oldest_visited FROM cadre_clocks WHERE cadre_id = 'C2'").fetchone()[0] \
        == "2010-05-21"
    # cutoff 05-21 on 06-20: C2's only household (H4) is covered and C2 is not behind (by the UTC day C2 was);
    # C1's three never-visited households are overdue
    assert subtree_figures(upgraded, ["U0101"], CLOCK)["U0101"].astuple() == (2, 4, 1, 3, 1)
    counted = kept(upgraded)
    rebuild_console_counts(upgraded)
    assert kept(upgraded) == counted
    upgraded.close()
