"""Hostile rosters, each imported with `campaign-bot import` in a process of its own: the exit status, the first
lines of what the clerk reads, whether the database changed, and the process's peak memory.

    .venv/bin/python benchmarks/hostile_rosters.py              # the 300 MB cell at full size
    .venv/bin/python benchmarks/hostile_rosters.py --huge-mb 30

Targets (issue 10): every refused roster exits non-zero with a message naming sheet, row and column, and leaves the
database as it was; a sheet declaring a wrong size is read in full and control characters are cleaned away (these
two are imported, and what was stored is checked); peak memory stays small whatever the cell.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.test_roster_import import BASE, write_folder, write_workbook  # noqa: E402

CLI = ROOT / ".venv" / "bin" / "campaign-bot"
TABLES = ("units", "cadres", "households", "targets", "pairings")


def with_rows(**rows) -> dict:
    """BASE with rows appended to the named sheets."""
    sheets = copy.deepcopy(BASE)
    for name, extra in rows.items():
        sheets[name] += extra
    return sheets


def rewrite_parts(path: Path, out: Path, change: Callable[[str, bytes], bytes]) -> Path:
    """Copies the workbook at path to out, each part through change(name, data)."""
    with zipfile.ZipFile(path) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            zout.writestr(item.filename, change(item.filename, zin.read(item.filename)))
    return out


def wrong_dimension(work: Path) -> Path:
    """Every sheet declares its size as A1: 10 households and 13 pairings are really there."""
    sheets = with_rows(农户=[[f"H{i}", f"户主{i}", "", "", "测试村", "", "", ""] for i in range(3, 11)],
                       结对=[["干部联户", "G1", f"H{i}", "", ""] for i in range(3, 10)])
    good = write_workbook(work / "dimension-good.xlsx", sheets)
    return rewrite_parts(good, work / "wrong-dimension.xlsx", lambda name, data: re.sub(
        rb'<dimension ref="[^"]*"', b'<dimension ref="A1"', data) if "worksheets/" in name else data)


def huge_cell(work: Path, megabytes: int) -> Path:
    """H1's 户主姓名 as a shared string of `megabytes` MB of one letter: a file of a few hundred KB."""
    good = write_workbook(work / "huge-good.xlsx", BASE)
    out = work / "huge-cell.xlsx"
    cell = '<c r="B2" t="inlineStr"><is><t>丙户主</t></is></c>'
    shared_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"
    with zipfile.ZipFile(good) as zin, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for item in zin.infolist():
            data = zin.read(item.filename).decode()
            if item.filename == "xl/worksheets/sheet3.xml":
                data = data.replace(cell, '<c r="B2" t="s"><v>0</v></c>')
            elif item.filename == "[Content_Types].xml":
                data = data.replace("</Types>", f'<Override PartName="/xl/sharedStrings.xml" '
                                                f'ContentType="{shared_type}"/></Types>')
            zout.writestr(item, data.encode())
        with zout.open("xl/sharedStrings.xml", "w") as fh:  # written in pieces: never whole in this process either
            fh.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" count="1" '
                     b'uniqueCount="1"><si><t>')
            for _ in range(megabytes):
                fh.write(b"A" * 2**20)
            fh.write(b"</t></si></sst>")
    return out


def control_characters(work: Path) -> Path:
    """Names with an escape sequence, a bell, U+202E, a zero-width space and a carriage return (CSV)."""
    return write_folder(work / "control", with_rows(农户=[
        ["H7", "\x1b[31m张三\x1b[0m", "", "", "测试村", "", "", "响铃\x07"],
        ["H8", "王\u202e五", "", "", "测试村\u200b", "", "", "第一行\r第二行"]]))


def ambiguous_ids(work: Path) -> Path:
    """h1, Ｈ1 and H1 followed by a zero-width space: one household written four ways."""
    return write_workbook(work / "ambiguous.xlsx", with_rows(农户=[
        ["h1", "又一户", "", "", "测试村", "", "", ""], ["Ｈ1", "再一户", "", "", "测试村", "", "", ""],
        ["H1\u200b", "三一户", "", "", "测试村", "", "", ""]]))


def truncated_workbook(work: Path) -> Path:
    """The 农户 sheet's XML cut in half inside the zip."""
    good = write_workbook(work / "truncated-good.xlsx", with_rows(
        农户=[[f"H{i}", "某", "", "", "村", "", "", ""] for i in range(100, 300)]))
    return rewrite_parts(good, work / "truncated.xlsx",
                         lambda name, data: data[: len(data) // 2] if name.endswith("sheet3.xml") else data)


def cycle(work: Path) -> Path:
    """U2's parent is U5 and U5's parent is U2."""
    sheets = with_rows(单位=[["U5", "循环单位", "U2", "基层党组织"]])
    sheets["单位"][2][2] = "U5"
    return write_workbook(work / "cycle.xlsx", sheets)


def duplicate_ids(work: Path) -> Path:
    """Two rows with the 户编号 H2."""
    return write_workbook(work / "duplicates.xlsx", with_rows(农户=[["H2", "重复户", "", "", "测试村", "", "", ""]]))


def long_csv_field(work: Path) -> Path:
    """A 备注 of 200,000 characters in a CSV (the csv module's own limit is 131,072)."""
    return write_folder(work / "long-csv", with_rows(农户=[["H9", "某", "", "", "测试村", "", "", "备" * 200_000]]))


def fingerprint(db_path: Path) -> str:
    """A hash of every roster table's rows."""
    conn = sqlite3.connect(db_path)
    digest = hashlib.sha256()
    for table in TABLES:
        for row in sorted(conn.execute(f"SELECT * FROM {table}").fetchall(), key=repr):
            digest.update(repr(row).encode())
    conn.close()
    return digest.hexdigest()


def run_import(path: Path, config: Path) -> tuple[int, str, float, int]:
    """campaign-bot import in a child process: exit status, what it printed, seconds, peak memory (KiB)."""
    started = time.perf_counter()
    child = subprocess.Popen([str(CLI), "import", str(path), "--config", str(config)], stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT)
    output = child.stdout.read().decode()
    _, status, usage = os.wait4(child.pid, 0)
    child.returncode = os.waitstatus_to_exitcode(status)
    return child.returncode, output, time.perf_counter() - started, usage.ru_maxrss


def main() -> None:
    """Builds each hostile roster, imports it over a database holding BASE, prints what happened."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--huge-mb", type=int, default=300, help="size of the huge cell in MB (default 300)")
    args = parser.parse_args()
    refused = [("300 MB cell" if args.huge_mb == 300 else f"{args.huge_mb} MB cell", lambda w: huge_cell(w, args.huge_mb)),
               ("ambiguous 编号", ambiguous_ids), ("truncated workbook", truncated_workbook),
               ("cycle in 上级单位编号", cycle), ("duplicate 编号", duplicate_ids), ("200,000-character CSV field", long_csv_field)]
    imported = [("<dimension> A1", wrong_dimension, "SELECT count(*) FROM households", [(10,)]),
                ("control characters", control_characters, "SELECT head_name, village, notes FROM households "
                 "WHERE id IN ('H7', 'H8') ORDER BY id", [("张三", "测试村", "响铃"), ("王五", "测试村", "第一行 第二行")])]
    with tempfile.TemporaryDirectory(prefix="hostile_rosters_") as tmp:
        work = Path(tmp)
        db_path, config = work / "bot.db", work / "config.toml"
        config.write_text(f'[database]\npath = "{db_path.as_posix()}"\n', encoding="utf-8")
        code, output, _, _ = run_import(write_folder(work / "base", BASE), config)
        assert code == 0, output
        failures = 0
        for name, build in refused:
            path = build(work)
            before = fingerprint(db_path)
            code, output, seconds, peak = run_import(path, config)
            unchanged = fingerprint(db_path) == before
            first = next((line.strip() for line in output.splitlines()[1:] if line.strip()), output.strip())
            named = bool(re.search(r"表第 \d+ 行「[^」]+」|第 \d+ 行", first))
            ok = code != 0 and unchanged and "Traceback" not in output
            failures += not ok
            print(f"{name} ({path.stat().st_size / 1024:,.0f} KB): exit {code}, database "
                  f"{'unchanged' if unchanged else 'CHANGED'}, {seconds:.1f} s, peak {peak / 1024:,.0f} MiB"
                  f"{'' if ok else '  <-- NOT AS EXPECTED'}\n    {first[:160]}{'' if named else '  (no row named)'}")
        for name, build, query, expected in imported:
            code, output, seconds, peak = run_import(build(work), config)
            found = sqlite3.connect(db_path).execute(query).fetchall()
            ok = code == 0 and found == expected
            failures += not ok
            print(f"{name}: exit {code}, stored {found}{'' if ok else f' (expected {expected})'}, {seconds:.1f} s, "
                  f"peak {peak / 1024:,.0f} MiB{'' if ok else '  <-- NOT AS EXPECTED'}")
        print(f"{len(refused) + len(imported) - failures} of {len(refused) + len(imported)} as expected")


if __name__ == "__main__":
    main()
