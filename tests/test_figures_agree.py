"""Chat (进度, 谁没走访), the console (概览, 单位, 干部) and the workbook give the same figures: all of them ask the one
overdue rule of bot/store/overdue.py (Beijing days, pairing start dates, 需补充 visits not counted)."""

from __future__ import annotations

import re

import pytest
from openpyxl import load_workbook

from bot.scope_report import write_scope_report
from bot.store.console_views import (Clockwork, breakdown, cadres_behind, cadres_of_unit, households_of,
                                     subtree_figures, unit_in_scope, weekly_visits)
from bot.store.overdue import rule_of
from bot.store.report_rows import Period
from bot.store.scopes import overdue_households, progress_by_unit, scope_of, total_progress
from bot.store.supervision import review_visit
from bot.channels.console import bind_console
from tests.conftest import Chat
from tests.console_helpers import COUNTY, OFFICE, add_visit, insert_two_counties

# The app's clock is 2010-05-12 09:00 Beijing; the campaign began 2010-04-01; interval 30 days: a household is
# overdue when its clock day (never before 04-01) is before 04-12.


@pytest.fixture
def site(app):
    """Two counties with visits that only the one rule counts right."""
    insert_two_counties(app.db)
    db = app.db
    # C2's second household, first imported 04-12 01:00 Beijing (04-11 in UTC): its clock runs from 04-12
    db["households"].insert({"id": "H6", "head_name": "新结对户", "county": "示例县", "township": "示例乡",
                             "village": "南村", "members": 2, "phone": "13900000006", "notes": "新户备注"})
    db["pairings"].insert({"pair_key": "干部联户|C2|H6", "kind": "干部联户", "cadre_id": "C2", "household_id": "H6",
                           "first_imported_at": "2010-04-11T17:00:00+00:00"})
    # H3 paired with C1 on 05-01 (结对日期): not overdue though never visited
    db.execute("UPDATE pairings SET paired_on = '2010-05-01' WHERE household_id = 'H3'")
    add_visit(app, "C1", "H1", "2010-05-01T10:00", number=1)
    add_visit(app, "C1", "H1", "2010-05-01T11:00", number=2)  # an hour later: the same visit, a second photo
    add_visit(app, "C1", "H2", "2010-04-05T10:00", number=3)  # counted: H2's clock runs from 04-05, overdue
    later = add_visit(app, "C1", "H2", "2010-04-20T10:00", number=4)
    assert review_visit(db, later, "需补充", "C3", "照片看不清", app.clock.now())  # does not count
    add_visit(app, "C2", "H4", "2010-04-12T00:30", number=5)  # 04-12 in Beijing (04-11 in UTC): not overdue
    return app


def workbook_subtrees(app, scope, tmp_path) -> tuple[dict, set, int]:
    """From the scope's workbook: (households, visited, overdue) per unit subtree, the overdue (cadre, household)
    pairs, and the visits counted."""
    path = tmp_path / "report.xlsx"
    write_scope_report(app.db, path, scope, app.clock.now(), Period(), rule=rule_of(app), campaign=app.campaign,
                       label="测试", tz=app.tz)
    book = load_workbook(path)
    own, subtotals, total_visits = {}, {}, 0
    for name, unit_id, _cadres, households, visited, overdue, visits, *_ in book["汇总"].iter_rows(
            min_row=2, values_only=True):
        if not unit_id:  # 合计
            total_visits = visits
        (subtotals if name.endswith("小计") else own)[unit_id] = (households, visited, overdue)
    overdue = {(row[1], row[3]) for row in book["逾期农户"].iter_rows(min_row=2, values_only=True)}
    return own | subtotals, overdue, total_visits


async def chat_total(app, cadre_id: str) -> tuple[int, int, int]:
    """The total line of 进度 as the administrator reads it in chat."""
    text = await Chat(app, bind_console(app, cadre_id)).text("进度")
    found = re.search(r"合计：联系户 (\d+) 户，已走访 (\d+) 户，超期未走访 (\d+) 户", text)
    return tuple(int(n) for n in found.groups())


@pytest.mark.parametrize("admin, root, units", [
    pytest.param(OFFICE, "U00", ["U00", "U01", "U0101", "U03"], id="office"),
    pytest.param(COUNTY, "U01", ["U01", "U0101"], id="county"),
])
async def test_chat_console_and_workbook_agree(site, tmp_path, admin, root, units):
    app, db = site, site.db
    scope, now = scope_of(db, admin), app.clock.now()
    clock = Clockwork(now, app.settings.reminders.visit_interval_days, app.campaign.start)
    interval, start = clock.interval_days, clock.campaign_start

    # chat: 进度 by unit and total, 谁没走访's households
    chat_rows = {r.unit_id: (r.households, r.visited, r.overdue) for r in progress_by_unit(db, scope, now, interval,
                                                                                           start)}
    total = total_progress(progress_by_unit(db, scope, now, interval, start))
    assert await chat_total(app, admin) == (total.households, total.visited, total.overdue)
    chat_overdue = {(r.cadre_id, r.household_id) for r in overdue_households(db, scope, now, interval, start, 100)}

    # the workbook
    book, book_overdue, book_visits = workbook_subtrees(app, scope, tmp_path)

    # the console: 概览 (the root broken down), 单位 (each unit's own cadres), 干部 (each cadre's households)
    figures = subtree_figures(db, units, clock)
    parts = breakdown(db, unit_in_scope(db, scope, root), clock)
    cadres = [c for unit in units for c in cadres_of_unit(db, unit, clock)]
    console_overdue = {(c.cadre_id, h.household_id) for c in cadres for h in households_of(db, c.cadre_id, clock)
                       if h.overdue}

    expected = {"U00": (6, 3, 2), "U01": (5, 3, 1), "U0101": (5, 3, 1), "U03": (1, 0, 1)}
    for unit in units:
        f = figures[unit]
        assert book[unit] == expected[unit], unit
        assert (f.households, f.overdue) == (expected[unit][0], expected[unit][2]), unit
    assert (parts.total.households, parts.total.overdue) == (total.households, total.overdue) == book[root][::2]
    for child in parts.children:  # 进度 names the same units with the same figures
        assert chat_rows.get(child.unit_id, (0, 0, 0)) == book[child.unit_id]  # 进度 leaves out empty units
        assert (parts.figures[child.unit_id].households, parts.figures[child.unit_id].overdue) == book[child.unit_id][::2]

    assert chat_overdue == book_overdue == console_overdue
    assert {h for _, h in chat_overdue} == ({"H2", "H5"} if admin == OFFICE else {"H2"})
    behind = {c for c, _ in chat_overdue}
    assert {c.cadre_id for c in cadres_behind(db, scope, clock, 100)} == behind
    assert figures[root].cadres_behind == parts.total.cadres_behind == len(behind)
    assert {c.cadre_id: c.overdue for c in cadres if c.overdue} == {c: sum(1 for k, _ in chat_overdue if k == c)
                                                                   for c in behind}
    # covered: visited and not overdue (H1, and H4 by its Beijing day), by subtree, in the breakdown and by cadre
    assert figures[root].covered == parts.total.covered == sum(c.covered for c in cadres) == 2
    # visits: sessions, H1's two photos one visit; the 需补充 one is a visit too (reviewed)
    assert sum(n for _, n in weekly_visits(db, scope, clock, app.tz)) == book_visits == 4
