"""Checking every row of a roster before anything is written: required cells, closed vocabularies, phones,
numbers, duplicates, references (to the file or the database) and the unit tree."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date

import sqlite_utils

from bot import vocabulary as v
from bot.plausibility import valid_point
from bot.roster.cells import SHORTEST_LIMIT, too_long
from bot.roster.known import KnownRows
from bot.roster.layout import CADRES, HOUSEHOLDS, PAIRINGS, UNITS, SheetLayout
from bot.roster.phones import PhoneError, normalise_phone
from bot.roster.reading import RosterSource, SheetRows
from bot.roster.report import RowIssue, TableCounts

PROGRESS_EVERY = 10_000
MAX_MEMBERS = 50
MAX_PHONE_WARNINGS = 5
SHARED_PHONE = "：这两人无法用手机号绑定。"
REQUIRED = "必填，不能为空"
SAME_ID = "（编号不分大小写和全角半角，看不见的字符不算）。同一个编号只能有一行：请删去一行，或改成不同的编号"

UNIT_KIND_BY_TEXT = {kind: kind for kind in v.UNIT_KINDS} | v.UNIT_KIND_ALIASES
ROLE_BY_TEXT = {role: role for role in v.ROLES} | {"": v.CADRE}
ONE_OF = "应为 {} 之一"
# 2010-05-01, 2010/5/1, 2010.5.1, 2010年5月1日; an Excel date cell arrives as 2010-05-01
_DAY = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?")


def parse_day(text: str) -> str | None:
    """A date as a clerk types it, as ISO text; None when it is not one."""
    found = _DAY.fullmatch(text.strip())
    try:
        return date(*(int(part) for part in found.groups())).isoformat() if found else None
    except ValueError:  # 2010-02-30
        return None


def unit_id_usable(uid: str) -> bool:
    """A unit id that can sit in a materialised path ('/U00/U01/'): no '/', nothing invisible."""
    return "/" not in uid and uid.isprintable()


@dataclass
class CheckedRoster:
    """Every row of the roster, checked and normalised, in the order it can be written; plus the counts so far."""

    units: list[tuple] = field(default_factory=list)  # (id, name, parent_id, kind), parents before children
    cadres: list[tuple] = field(default_factory=list)  # (id, name, phone, unit_id, title, role)
    # (id, head_name, county, township, village, members, phone, notes, latitude, longitude)
    households: list[tuple] = field(default_factory=list)
    # (pair_key, kind, cadre_id, unit_id, household_id, target_name, notes, paired_on)
    pairings: list[tuple] = field(default_factory=list)
    missing_pairings: list[str] = field(default_factory=list)  # stored pair_keys of a party the file lists, not in it
    counts: dict[str, TableCounts] = field(default_factory=dict)
    errors: list[RowIssue] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


class Progress:
    """Counts rows through the import's phases and tells the caller's callback now and then."""

    def __init__(self, callback: Callable[[int, int], None] | None, total: int):
        self.callback, self.total, self.done = callback, max(total, 1), 0

    def advance(self, rows: int) -> None:
        """Adds rows to the count and reports it (never past the total, which is only an estimate)."""
        self.done += rows
        if self.callback is not None:
            self.callback(min(self.done, self.total), self.total)

    def finish(self) -> None:
        """Reports completion, unless the last step already did."""
        if self.callback is not None and self.done < self.total:
            self.callback(self.total, self.total)
        self.done = self.total


def check_roster(db: sqlite_utils.Database, source: RosterSource, progress: Progress) -> CheckedRoster:
    """Checks every sheet of the source against itself and the database; problems land in the result's errors."""
    return _Checker(db, progress).run(source)


class _Checker:
    def __init__(self, db: sqlite_utils.Database, progress: Progress):
        self.known = KnownRows(db)
        self.progress = progress
        self.out = CheckedRoster()
        self.file_units: dict[str, int] = {}  # id -> row number, every row with an id (even a bad one)
        self.file_cadres: dict[str, int] = {}
        self.file_households: dict[str, int] = {}

    def run(self, source: RosterSource) -> CheckedRoster:
        steps = ((UNITS, self._units), (CADRES, self._cadres), (HOUSEHOLDS, self._households), (PAIRINGS, self._pairings))
        for name, check in steps:  # in this order whatever the workbook's: later sheets refer to earlier ones
            sheet = source.sheets.get(name)
            if sheet is not None:
                self.out.counts[name] = TableCounts()
                check(sheet, self._counted(sheet))
        return self.out

    # ---- helpers ----

    def _counted(self, sheet: SheetRows) -> Iterator[tuple[int, list[str]]]:
        counts = self.out.counts[sheet.layout.name]
        pending = 0
        columns = sheet.layout.columns
        for number, cells in sheet.rows:
            counts.rows += 1
            pending += 1
            if pending == PROGRESS_EVERY:
                self.progress.advance(pending)
                pending = 0
            if max(map(len, cells)) > SHORTEST_LIMIT and self._too_long(sheet.layout.name, number, columns, cells):
                continue
            yield number, cells
        self.progress.advance(pending)

    def _too_long(self, sheet: str, number: int, columns: tuple[str, ...], cells: list[str]) -> bool:
        """Records every cell of the row over its column's limit; True when there was one."""
        found = False
        for column, text in zip(columns, cells):
            if (reason := too_long(column, text)) is not None:
                self._error(sheet, number, column, reason)
                found = True
        return found

    def _error(self, sheet: str, row: int | None, column: str, reason: str) -> None:
        self.out.errors.append(RowIssue(sheet, row, column, reason))

    def _lacks_required(self, layout: SheetLayout, number: int, cells: list[str], positions: list[int]) -> bool:
        missing = [i for i in positions if not cells[i]]
        for i in missing:
            self._error(layout.name, number, layout.columns[i], REQUIRED)
        return bool(missing)

    def _first_seen(self, seen: dict[str, int], key: str, sheet: str, number: int, column: str,
                    shown: str = "") -> bool:
        """Records key's row; False (with an error naming it as `shown`, else the key) when an earlier row has it."""
        earlier = seen.setdefault(key, number)
        if earlier != number:
            self._error(sheet, number, column, f"{shown or '“' + key + '”'}与第 {earlier} 行重复"
                        + ("" if shown else SAME_ID))
            return False
        return True

    def _known(self, key: str, in_file: dict[str, int], table: str) -> bool:
        return key in in_file or key in self.known.keys(table)

    def _phone(self, sheet: str, number: int, column: str, text: str, mobile_only: bool) -> str | None:
        if not text:
            return None
        try:
            return normalise_phone(text, mobile_only)
        except PhoneError as exc:
            self._error(sheet, number, column, f"“{text}”{exc}")
            return None

    @staticmethod
    def _required_positions(layout: SheetLayout) -> list[int]:
        return [layout.columns.index(c) for c in layout.required]

    # ---- 单位 ----

    def _units(self, sheet: SheetRows, rows: Iterator[tuple[int, list[str]]]) -> None:
        layout, required = sheet.layout, self._required_positions(sheet.layout)
        parents: dict[str, tuple] = {}
        for number, cells in rows:
            uid, name, parent, kind_text = cells
            if uid and not self._first_seen(self.file_units, uid, UNITS, number, "单位编号"):
                continue
            if not unit_id_usable(uid):
                self._error(UNITS, number, "单位编号", f"“{uid}”含有“/”或看不见的字符，不能作单位编号。请改成字母和数字")
                continue
            kind = UNIT_KIND_BY_TEXT.get(kind_text.replace("（", "(").replace("）", ")"))
            if kind is None:
                self._error(UNITS, number, "单位类型", f"“{kind_text}”" + ONE_OF.format(" / ".join(v.UNIT_KINDS)))
            if self._lacks_required(layout, number, cells, required) or kind is None:
                continue
            parents[uid] = (uid, name, parent or None, kind)
        self._check_parents(parents)
        self.out.units = [parents[uid] for uid in self._tree_order(parents)]
        self.out.counts[UNITS].added = sum(1 for uid in parents if uid not in self.known.unit_parents)

    def _check_parents(self, units: dict[str, tuple]) -> None:
        stored = self.known.unit_parents
        for uid, (_, _, parent, _) in list(units.items()):
            if parent is None:
                continue
            if parent == uid:
                self._error(UNITS, self.file_units[uid], "上级单位编号", "上级单位不能是它自己")
            elif parent not in self.file_units and parent not in stored:
                self._error(UNITS, self.file_units[uid], "上级单位编号", f"找不到单位“{parent}”：表里和数据库里都没有")
            else:
                continue
            del units[uid]

    def _tree_order(self, units: dict[str, tuple]) -> list[str]:
        """The file's units with parents first; a cycle in the tree (file over database) is an error."""
        parent_of = self.known.unit_parents | {uid: row[2] for uid, row in units.items()}
        state: dict[str, int] = {}  # 1: on the current path, 2: done
        order: list[str] = []
        for start in units:
            path, node = [], start
            while node is not None and node in parent_of and node not in state:
                state[node] = 1
                path.append(node)
                node = parent_of[node]
            if node is not None and state.get(node) == 1:
                self._report_cycle(path[path.index(node):])
            for uid in reversed(path):
                state[uid] = 2
                if uid in units:
                    order.append(uid)
        return order

    def _report_cycle(self, cycle: list[str]) -> None:
        rows = [self.file_units[uid] for uid in cycle if uid in self.file_units]
        chain = " → ".join(cycle + [cycle[0]])
        self._error(UNITS, min(rows) if rows else None, "上级单位编号", f"上级关系绕成了一个圈：{chain}")

    # ---- 干部 ----

    def _cadres(self, sheet: SheetRows, rows: Iterator[tuple[int, list[str]]]) -> None:
        layout, required = sheet.layout, self._required_positions(sheet.layout)
        phones: dict[str, int] = {}
        stored = self.known.keys("cadres")
        for number, cells in rows:
            cid, name, phone_text, unit_id, title, role_text = cells
            if cid and not self._first_seen(self.file_cadres, cid, CADRES, number, "干部编号"):
                continue
            bad = self._lacks_required(layout, number, cells, required)
            phone = self._phone(CADRES, number, "手机号", phone_text, mobile_only=True)
            bad |= bool(phone_text) and phone is None
            role = ROLE_BY_TEXT.get(role_text)
            if role is None:
                self._error(CADRES, number, "角色", f"“{role_text}”" + ONE_OF.format(" / ".join(v.ROLES)))
                bad = True
            if unit_id and not self._known(unit_id, self.file_units, "units"):
                self._error(CADRES, number, "单位编号", f"找不到单位“{unit_id}”：“单位”表和数据库里都没有")
                bad = True
            if bad:
                continue
            if phone is not None and phones.setdefault(phone, number) != number:
                self._shared_phone(f"“干部”表中手机号 {phone} 在第 {phones[phone]} 行和第 {number} 行都出现了")
            self.out.cadres.append((cid, name, phone, unit_id, title or None, role))
            if cid not in stored:
                self.out.counts[CADRES].added += 1
        self._phones_of_stored_cadres(phones)

    def _phones_of_stored_cadres(self, phones: dict[str, int]) -> None:
        """Warns of a phone in the file that a stored cadre, whom the file leaves as is, already has."""
        for cid, phone in self.known.cadre_phones.items():
            if phone in phones and cid not in self.file_cadres:
                self._shared_phone(f"“干部”表第 {phones[phone]} 行的手机号 {phone} 已是数据库中干部 {cid} 的号码")

    def _shared_phone(self, where: str) -> None:
        shared = [w for w in self.out.warnings if w.endswith(SHARED_PHONE)]
        if len(shared) < MAX_PHONE_WARNINGS:
            self.out.warnings.append(where + SHARED_PHONE)

    # ---- 农户 ----

    def _households(self, sheet: SheetRows, rows: Iterator[tuple[int, list[str]]]) -> None:
        layout, required = sheet.layout, self._required_positions(sheet.layout)
        stored = self.known.keys("households")
        for number, cells in rows:
            hid, head, county, township, village, members_text, phone_text, notes, lon_text, lat_text = cells
            if hid and not self._first_seen(self.file_households, hid, HOUSEHOLDS, number, "户编号"):
                continue
            bad = self._lacks_required(layout, number, cells, required)
            phone = self._phone(HOUSEHOLDS, number, "联系电话", phone_text, mobile_only=False)
            bad |= bool(phone_text) and phone is None
            members = self._members(number, members_text)
            bad |= bool(members_text) and members is None
            point = self._point(number, lon_text, lat_text)
            bad |= bool(lon_text or lat_text) and point is None
            if bad:
                continue
            latitude, longitude = point or (None, None)
            self.out.households.append((hid, head, county or None, township or None, village, members, phone,
                                        notes or None, latitude, longitude))
            if hid not in stored:
                self.out.counts[HOUSEHOLDS].added += 1

    def _members(self, number: int, text: str) -> int | None:
        if not text:
            return None
        digits = text.removesuffix("人").removesuffix("口")
        if digits.isascii() and digits.isdigit() and 1 <= int(digits) <= MAX_MEMBERS:
            return int(digits)
        self._error(HOUSEHOLDS, number, "人口", f"“{text}”应为 1 到 {MAX_MEMBERS} 之间的整数")
        return None

    def _point(self, number: int, lon_text: str, lat_text: str) -> tuple[float, float] | None:
        """经度/纬度 (WGS-84 decimal degrees, both or neither) as (latitude, longitude)."""
        if not (lon_text or lat_text):
            return None
        try:
            lon, lat = float(lon_text), float(lat_text)
        except ValueError:
            lon = lat = float("nan")
        if not valid_point(lat, lon):
            self._error(HOUSEHOLDS, number, "经度" if lon_text else "纬度",
                        f"经度“{lon_text}”、纬度“{lat_text}”应同时填写，为十进制度数（如 102.91、34.98）")
            return None
        return lat, lon

    def _paired_on(self, number: int, text: str) -> str | None:
        """结对日期 as an ISO date; None when empty or not a date (an error then)."""
        if not text:
            return None
        day = parse_day(text)
        if day is None:
            self._error(PAIRINGS, number, "结对日期", f"“{text}”不是日期，应写成 2010-05-01 这样")
        return day

    # ---- 结对 ----

    def _pairings(self, sheet: SheetRows, rows: Iterator[tuple[int, list[str]]]) -> None:
        layout, required = sheet.layout, self._required_positions(sheet.layout)
        seen: dict[str, int] = {}
        stored = self.known.keys("pairings")
        for number, cells in rows:
            kind, party, target_id, target_name, notes, paired_text = cells
            if self._lacks_required(layout, number, cells, required):
                continue
            if kind not in v.PAIRING_KINDS:
                self._error(PAIRINGS, number, "结对类型", f"“{kind}”" + ONE_OF.format(" / ".join(v.PAIRING_KINDS)))
                continue
            by_unit = kind in v.PAIRED_BY_UNIT
            bad = not self._party_known(number, kind, party, by_unit)
            target = target_id if kind == v.CADRE_HOUSEHOLD else target_name
            bad |= not self._target_known(number, kind, target)
            paired_on = self._paired_on(number, paired_text)
            bad |= bool(paired_text) and paired_on is None
            if bad:
                continue
            pair_key = f"{kind}|{party}|{target}"
            column = "对象编号" if kind == v.CADRE_HOUSEHOLD else "对象名称"
            if not self._first_seen(seen, pair_key, PAIRINGS, number, column, f"这条结对（{kind}，{party}，{target}）"):
                continue
            household = target if kind == v.CADRE_HOUSEHOLD else None
            self.out.pairings.append((pair_key, kind, None if by_unit else party, party if by_unit else None,
                                      household, None if household else target, notes or None, paired_on))
            if pair_key not in stored:
                self.out.counts[PAIRINGS].added += 1
        self._missing_pairings(seen)

    def _missing_pairings(self, seen: dict[str, int]) -> None:
        """Finds stored pairings of the parties the file lists that the file no longer has (a pairing corrected)."""
        parties = {(row[3] is not None, row[3] or row[2]) for row in self.out.pairings}
        self.out.missing_pairings = [key for key, party in self.known.pairing_parties.items()
                                     if key not in seen and party in parties]

    def _party_known(self, number: int, kind: str, party: str, by_unit: bool) -> bool:
        if by_unit and self._known(party, self.file_units, "units"):
            return True
        if not by_unit and self._known(party, self.file_cadres, "cadres"):
            return True
        if by_unit:
            hint = "（这是干部编号，而此类结对的联系方是单位）" if self._known(party, self.file_cadres, "cadres") else ""
            reason = f"{kind}的联系方应为单位编号，找不到单位“{party}”{hint}"
        else:
            hint = "（这是单位编号，而此类结对的联系方是干部）" if self._known(party, self.file_units, "units") else ""
            reason = f"{kind}的联系方应为干部编号，找不到干部“{party}”{hint}"
        self._error(PAIRINGS, number, "联系方编号", reason)
        return False

    def _target_known(self, number: int, kind: str, target: str) -> bool:
        if kind != v.CADRE_HOUSEHOLD:
            if target:
                return True
            self._error(PAIRINGS, number, "对象名称", f"{kind}要填对象名称（{v.TARGET_NOUN[kind]}的名称）")
            return False
        if not target:
            self._error(PAIRINGS, number, "对象编号", "干部联户要填对象编号（农户的户编号）")
        elif not self._known(target, self.file_households, "households"):
            self._error(PAIRINGS, number, "对象编号", f"找不到户编号“{target}”：“农户”表和数据库里都没有")
        else:
            return True
        return False
