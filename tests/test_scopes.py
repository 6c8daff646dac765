"""Scopes as a matrix: administrators of two counties, the office and a cadre; who sees which units, cadres,
households (and their phones) and visits; progress by unit with the pairing's own overdue clock."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from bot.store import scopes
from bot.db import open_db

NOW = datetime(2010, 6, 20, 2, 0, tzinfo=timezone.utc)
START = date(2010, 4, 1)

UNITS = [("U00", "活动办", None, "活动办"), ("UA", "甲县委", "U00", "县市委"), ("UA1", "甲村支部", "UA", "基层党组织"),
         ("UB", "乙县委", "U00", "县市委"), ("UB1", "乙村支部", "UB", "基层党组织"),
         ("UAB", "甲乙联合支部", "U00", "基层党组织"), ("UA-2", "甲外支部", "U00", "基层党组织")]  # ids sharing a prefix
CADRES = [("O1", "活动办管理员甲", "U00", "活动办管理员"), ("AA", "甲县管理员", "UA", "单位管理员"),
          ("AB", "乙县管理员", "UB", "单位管理员"), ("A1", "甲干部", "UA1", "干部"), ("B1", "乙干部", "UB1", "干部"),
          ("X1", "联合支部干部", "UAB", "干部"), ("X2", "甲外干部", "UA-2", "干部")]
HOUSEHOLDS = [("HA1", "甲户一", "A1"), ("HA2", "甲户二", "A1"), ("HB1", "乙户一", "B1"), ("HX1", "联合户", "X1"),
              ("HX2", "甲外户", "X2")]


@pytest.fixture
def db(tmp_path):
    """Two counties under the office, and two units whose ids start like county 甲's."""
    database = open_db(tmp_path / "scopes.db")
    for uid, name, parent, kind in UNITS:
        database.execute("INSERT INTO units (id, name, parent_id, kind) VALUES (?, ?, ?, ?)", (uid, name, parent, kind))
    for cid, name, unit, role in CADRES:
        database.execute("INSERT INTO cadres (id, name, unit_id, role) VALUES (?, ?, ?, ?)", (cid, name, unit, role))
    for hid, head, cadre in HOUSEHOLDS:
        database.execute("INSERT INTO households (id, head_name, village, phone, notes) VALUES (?, ?, ?, ?, ?)",
                         (hid, head, f"{head}村", f"139{hid}", f"{head}的备注"))
        database.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES (?, '干部联户', ?, ?)",
                         (f"干部联户|{cadre}|{hid}", cadre, hid))
    for n, (hid, _, cadre) in enumerate(HOUSEHOLDS, 1):
        visit(database, n, cadre, hid, NOW - timedelta(days=n))
    yield database
    database.close()


def visit(db, visit_id, cadre, household, at):
    db.execute("INSERT INTO visits (id, cadre_id, household_id, reported_at, visited_at) VALUES (?, ?, ?, ?, ?)",
               (visit_id, cadre, household, at.isoformat(), at.isoformat()))


ALL_CADRES = {c[0] for c in CADRES}
MATRIX = {  # viewer: (units, cadres, households, visits' households)
    "O1": ({u[0] for u in UNITS}, ALL_CADRES, {h[0] for h in HOUSEHOLDS}, {h[0] for h in HOUSEHOLDS}),
    "AA": ({"UA", "UA1"}, {"AA", "A1"}, {"HA1", "HA2"}, {"HA1", "HA2"}),
    "AB": ({"UB", "UB1"}, {"AB", "B1"}, {"HB1"}, {"HB1"}),
}


@pytest.mark.parametrize("viewer", list(MATRIX), ids=["office", "county-甲", "county-乙"])
def test_each_administrator_sees_exactly_their_subtree(db, viewer):
    scope = scopes.scope_of(db, viewer)
    units, cadres, households, visited = MATRIX[viewer]
    assert {u.id for u in scopes.units_in_scope(db, scope)} == units
    assert {c.id for c in scopes.cadres_in_scope(db, scope, limit=100)} == cadres
    assert scopes.count_cadres(db, scope) == len(cadres)
    assert {h.id for h in scopes.households_in_scope(db, scope, limit=100)} == households
    assert {v.household_id for v in scopes.visits_in_scope(db, scope, NOW - timedelta(days=30), limit=100)} == visited
    for cadre in ALL_CADRES:
        assert scopes.cadre_in_scope(db, scope, cadre) == (cadre in cadres)
    for unit, *_ in UNITS:
        assert scopes.unit_in_scope(db, scope, unit) == (unit in units)
    for hid, *_ in HOUSEHOLDS:
        assert scopes.household_in_scope(db, scope, hid) == (hid in households)
    sessions = dict(db.execute("SELECT household_id, id FROM visit_sessions"))
    for hid, session in sessions.items():
        assert scopes.session_in_scope(db, scope, session) == (hid in visited)


def test_a_cadre_has_no_scope(db):
    assert scopes.scope_of(db, "A1") is None
    assert scopes.scope_of(db, "nobody") is None


def test_administrators_see_head_village_and_visits_but_not_phone_or_notes(db):
    [seen] = [h for h in scopes.households_in_scope(db, scopes.scope_of(db, "AA")) if h.id == "HA1"]
    assert (seen.head_name, seen.village, seen.last_visit) == ("甲户一", "甲户一村", (NOW - timedelta(days=1)).isoformat())
    assert (seen.phone, seen.notes) == (None, None)
    own = scopes.for_viewer(scopes.HouseholdRow("HA1", "甲户一", None, None, "甲户一村", "A1", "甲干部", None,
                                                "139HA1", "备注"), "A1")
    assert (own.phone, own.notes) == ("139HA1", "备注")


def test_unit_depths_are_counted_from_the_scope_root(db):
    depths = {u.id: u.depth for u in scopes.units_in_scope(db, scopes.scope_of(db, "AA"))}
    assert depths == {"UA": 0, "UA1": 1}
    assert {u.id: u.depth for u in scopes.units_in_scope(db, scopes.scope_of(db, "O1"))}["UA1"] == 2


@pytest.mark.parametrize("share", [0.0, 1.0], ids=["walk-by-time", "sort-the-scope"])
def test_visits_page_newest_first_and_by_review_state(db, monkeypatch, share):
    monkeypatch.setattr(scopes, "LARGE_SCOPE_SHARE", share)
    assert [v.household_id for v in scopes.visits_in_scope(db, scopes.scope_of(db, "AA"), NOW - timedelta(days=30))] \
        == ["HA1", "HA2"]
    scope = scopes.scope_of(db, "O1")
    first = scopes.visits_in_scope(db, scope, NOW - timedelta(days=30), limit=2)
    rest = scopes.visits_in_scope(db, scope, NOW - timedelta(days=30), limit=10, after=first[-1])
    assert [v.household_id for v in first + rest] == ["HA1", "HA2", "HB1", "HX1", "HX2"]
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE household_id = 'HB1'")
    assert [v.household_id for v in scopes.visits_in_scope(db, scope, NOW - timedelta(days=30), state="需补充")] == ["HB1"]


def progress(db, viewer, now=NOW, interval=30):
    return {r.unit_id: (r.households, r.visited, r.overdue)
            for r in scopes.progress_by_unit(db, scopes.scope_of(db, viewer), now, interval, START)}


def test_progress_of_the_office_is_by_top_level_unit(db):
    assert progress(db, "O1") == {"UA": (2, 2, 0), "UB": (1, 1, 0), "UAB": (1, 1, 0), "UA-2": (1, 1, 0)}
    # visited 1, 2 (甲), 3 (乙), 4, 5 days ago: with 3 days, the last two are overdue and 乙 is just in time
    assert progress(db, "O1", interval=3) == {"UA": (2, 2, 0), "UB": (1, 1, 0), "UAB": (1, 1, 1), "UA-2": (1, 1, 1)}
    rows = scopes.progress_by_unit(db, scopes.scope_of(db, "O1"), NOW, 3, START)
    assert [r.unit_id for r in rows][:2] == ["UA-2", "UAB"]  # most overdue first
    assert scopes.total_progress(rows) == scopes.UnitProgress("", "合计", 5, 5, 2)


def test_progress_of_a_county_is_by_its_units_and_its_own(db):
    db.execute("INSERT INTO households (id, head_name, village) VALUES ('HAA', '县直户', '县城')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('k', '干部联户', 'AA', 'HAA')")
    assert progress(db, "AA") == {"UA1": (2, 2, 0), "UA": (1, 0, 1)}


def test_a_visit_needing_more_does_not_count_until_a_new_photo(db):
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE household_id = 'HB1'")
    assert progress(db, "AB") == {"UB1": (1, 0, 1)}
    visit(db, 99, "B1", "HB1", NOW - timedelta(days=3, hours=1))  # a new photo within the visit's two hours
    assert progress(db, "AB") == {"UB1": (1, 1, 0)}


@pytest.mark.parametrize("paired_on, first_imported, overdue", [
    (None, None, 1),                                   # from before pairing dates: the campaign's start
    ("2010-06-01", None, 0),                           # 结对日期 19 days ago: the clock has not run 30 days
    ("2010-05-21", None, 0),                           # 30 days ago: just in time, as a visit 30 days ago is
    ("2010-05-20", None, 1),                           # 31 days ago
    (None, "2010-06-10T00:00:00+00:00", 0),            # first imported ten days ago
    ("2010-05-01", "2010-06-10T00:00:00+00:00", 1),    # the sheet's date wins over the import's
], ids=["legacy", "paired-recently", "paired-30-days-ago", "paired-31-days-ago", "imported-recently", "date-wins"])
def test_the_overdue_clock_of_a_never_visited_household_starts_at_its_pairing(db, paired_on, first_imported, overdue):
    db.execute("INSERT INTO households (id, head_name, village) VALUES ('HN', '新户', '新村')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id, paired_on, first_imported_at) "
               "VALUES ('n', '干部联户', 'B1', 'HN', ?, ?)", (paired_on, first_imported))
    assert progress(db, "AB") == {"UB1": (2, 1, overdue)}


def test_nobody_is_overdue_before_the_campaign_has_run_the_interval(db):
    db.execute("INSERT INTO households (id, head_name, village) VALUES ('HN', '新户', '新村')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('n', '干部联户', 'B1', 'HN')")
    early = datetime(2010, 4, 20, 2, 0, tzinfo=timezone.utc)
    assert progress(db, "AB", now=early) == {"UB1": (2, 1, 0)}


@pytest.mark.parametrize("share, indexed", [(0.0, True), (1.0, True), (0.0, False)],
                         ids=["walk-by-clock", "sort-the-scope", "large-scope-while-an-import-dropped-the-index"])
def test_overdue_households_worst_first_within_the_scope(db, monkeypatch, share, indexed):
    monkeypatch.setattr(scopes, "LARGE_SCOPE_SHARE", share)  # both plans must give the same answer
    if not indexed:
        from bot.migrations import drop_clock_day_index

        drop_clock_day_index(db)  # the walk by clock day needs it: the scope's own pairings are sorted instead
    db.execute("INSERT INTO households (id, head_name, village, phone) VALUES ('HN', '新户', '新村', '13900000000')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id) VALUES ('n', '干部联户', 'A1', 'HN')")

    def listed(viewer, **page):
        return [(r.household_id, r.cadre_id) for r in scopes.overdue_households(
            db, scopes.scope_of(db, viewer), NOW, 2, START, **page)]

    assert listed("O1") == [("HN", "A1"), ("HX2", "X2"), ("HX1", "X1"), ("HB1", "B1")]
    assert listed("O1", limit=2, offset=2) == [("HX1", "X1"), ("HB1", "B1")]
    assert listed("AA") == [("HN", "A1")]
    assert listed("AB") == [("HB1", "B1")]


def counts(db):
    return sorted(db.execute("SELECT unit_id, visited, clock_day, households FROM progress_counts "
                             "WHERE households <> 0"))


def totals(db):
    return sorted(db.execute("SELECT unit_id, visited, households FROM progress_totals WHERE households <> 0"))


def test_progress_counts_kept_by_triggers_equal_a_recount(db):
    from bot.migrations import rebuild_progress_counts

    progress(db, "O1")  # the first reader counts what the fixture wrote
    visit(db, 50, "A1", "HA1", NOW)  # a new visit
    db.execute("UPDATE visit_sessions SET review_state = '需补充' WHERE household_id = 'HB1'")  # a visit not counted
    db.execute("UPDATE cadres SET unit_id = 'UB1' WHERE id = 'X1'")  # a cadre moves to county 乙
    db.execute("DELETE FROM pairings WHERE household_id = 'HX2'")
    db.execute("INSERT INTO households (id, head_name, village) VALUES ('HN', '新户', '新村')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id, paired_on) "
               "VALUES ('n', '干部联户', 'B1', 'HN', '2010-06-01')")
    kept, kept_totals = counts(db), totals(db)
    rebuild_progress_counts(db)
    assert counts(db) == kept
    assert totals(db) == kept_totals and kept_totals == sorted(db.execute(
        "SELECT unit_id, visited, SUM(households) FROM progress_counts GROUP BY 1, 2 HAVING SUM(households) <> 0"))
    # HB1's only visit needs more: unvisited and overdue; HX1 came with its cadre, visited; HN paired recently
    assert progress(db, "AB") == {"UB1": (3, 1, 1)}


def test_moving_a_unit_recounts_on_the_next_read(db):
    assert progress(db, "AA") == {"UA1": (2, 2, 0)}
    db.execute("UPDATE units SET parent_id = 'UA' WHERE id = 'UAB'")
    assert progress(db, "AA") == {"UA1": (2, 2, 0), "UAB": (1, 1, 0)}
    assert progress(db, "O1")["UA"] == (3, 3, 0)


def test_worst_first_is_by_clock_day_whether_visited_or_not(db):
    # HOLD never visited, paired long ago, comes first; HNEW never visited but paired recently: after older visits
    db.execute("INSERT INTO households (id, head_name, village) VALUES ('HOLD', '老户', '村'), ('HNEW', '新户', '村')")
    db.execute("INSERT INTO pairings (pair_key, kind, cadre_id, household_id, paired_on) VALUES "
               "('o', '干部联户', 'A1', 'HOLD', '2010-05-01'), ('n', '干部联户', 'A1', 'HNEW', '2010-06-16')")
    listed = [r.household_id for r in scopes.overdue_households(db, scopes.scope_of(db, "O1"), NOW, 2, START)]
    assert listed == ["HOLD", "HX2", "HX1", "HNEW", "HB1"]  # HNEW ties with HX1 (06-16): pairing order


def test_visits_since_a_local_moment_compare_as_utc(db):
    from zoneinfo import ZoneInfo

    # HB1 was visited 3 days before NOW (2010-06-17 02:00 UTC = 10:00 Beijing); 'since' given in Beijing time
    since = datetime(2010, 6, 17, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))  # 01:00 UTC: HB1 is after it
    assert "HB1" in {v.household_id for v in scopes.visits_in_scope(db, scopes.scope_of(db, "O1"), since, limit=10)}
    later = datetime(2010, 6, 17, 10, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # 02:30 UTC: HB1 is before it
    assert "HB1" not in {v.household_id for v in scopes.visits_in_scope(db, scopes.scope_of(db, "O1"), later, limit=10)}


def test_a_stale_count_is_rebuilt_once_by_a_reader(db):
    db.execute("UPDATE progress_state SET stale = 1")
    db.execute("DELETE FROM progress_counts")
    assert progress(db, "AA") == {"UA1": (2, 2, 0)}
    assert db.execute("SELECT stale FROM progress_state").fetchone()[0] == 0
