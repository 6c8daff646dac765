"""Backup and restore: a snapshot taken while the bot answers messages and sends reminders restores into a new folder
with the same rows and photos, and the restored bot answers the same; damaged backups and bad folders are refused
with a Chinese message, a non-zero exit and nothing changed."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import hashlib
import io
import json
import os
import sqlite3
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.app import BotApp
from bot.backup import take_backup
from bot.channels.console import ConsoleSender
from bot.cli import cli
from bot.config import DatabaseSettings, PhotoSettings
from bot.run_lock import hold_run_lock, release_run_lock
from schedules.dispatch import dispatch
from schedules.plan import plan
from tests.conftest import Chat, jpeg

FILLER_ROWS = 150_000  # enough that the copy takes a noticeable while, so messages arrive during it


def counts(db_path: Path) -> dict[str, int]:
    """Rows per table of a database file."""
    with contextlib.closing(sqlite3.connect(db_path)) as conn:
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%'")]
        return {name: conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0] for name in names}


def write_config(folder: Path) -> Path:
    """A config file naming a database and photos folder under folder."""
    folder.mkdir(parents=True, exist_ok=True)
    config = folder / "config.toml"
    config.write_text(f'[database]\npath = "{folder / "bot.db"}"\n[photos]\ndir = "{folder / "photos"}"\n',
                      encoding="utf-8")
    return config


def run_cli(*args: str):
    return CliRunner().invoke(cli, [str(a) for a in args])


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under folder with its content: to show nothing changed."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def busy(roster):
    """The roster with filler rows and reminders going to the console channel."""
    roster.db.conn.execute("BEGIN")
    roster.db.conn.executemany("INSERT INTO processed_messages (channel, message_key, received_at, finished_at) "
                               "VALUES ('filler', ?, '2010-05-01', '2010-05-01')",
                               ((f"k{i:08d}",) for i in range(FILLER_ROWS)))
    roster.db.conn.execute("COMMIT")
    roster.senders["console"] = ConsoleSender(io.StringIO())
    return roster


async def visit(app: BotApp, n: int) -> str:
    """C2 reports a visit with a new photo (C2 has one household, so it is recorded at once)."""
    replies = await Chat(app, "C2").photo(jpeg(color=(n % 250, 90, 200 - n % 200), size=(64 + n, 48)))
    return replies[0].text


async def test_backup_while_the_bot_works_restores_the_same(busy, settings, tmp_path):
    app = busy
    out = tmp_path / "backups"
    assert "示例户四" in await visit(app, 500)  # a photo already there, whatever the copy catches of the rest
    backup = asyncio.create_task(asyncio.to_thread(take_backup, settings.database.path, settings.photos.dir, out))
    during = 0
    plan(app, app.clock.now(), kinds=("deadline", "visit"))
    while not backup.done():  # the loop keeps answering and sending while the copy runs in its thread
        assert "示例户四" in await visit(app, during)
        await dispatch(app, app.clock.now())
        during += 1
        await asyncio.sleep(0)
    first = await backup
    assert during >= 1  # at least one visit and one dispatch ran while the copy was under way
    assert app.db.execute("SELECT COUNT(*) FROM deliveries WHERE status = 'sent'").fetchone()[0] > 0

    # the snapshot taken under load: whole, its counts as the manifest says, every recorded photo in it
    restored = tmp_path / "restored-under-load"
    result = run_cli("restore", out, "--snapshot", first.snapshot.name, "--config", write_config(restored))
    assert result.exit_code == 0, result.output
    assert counts(restored / "bot.db") == first.manifest["tables"]
    assert first.manifest["tables"]["processed_messages"] >= FILLER_ROWS
    with contextlib.closing(sqlite3.connect(restored / "bot.db")) as conn:
        paths = [r[0] for r in conn.execute("SELECT path FROM photos")]
    assert paths and all((restored / "photos" / p).is_file() for p in paths)

    # after the traffic: a second snapshot restores to exactly the live bot, which answers the same
    for n in range(during, during + 3):
        await visit(app, n)
    second = take_backup(settings.database.path, settings.photos.dir, out)
    stored = len(list(Path(settings.photos.dir).rglob("*.jpg")))
    assert first.photos_copied + second.photos_copied == stored  # each photo copied once, by one of the two runs
    again = tmp_path / "restored"
    assert run_cli("restore", out, "--config", write_config(again)).exit_code == 0
    assert counts(again / "bot.db") == counts(Path(settings.database.path))
    assert tree(again / "photos") == tree(Path(settings.photos.dir))
    twin = BotApp.create(dataclasses.replace(settings, database=DatabaseSettings(str(again / "bot.db")),
                                             photos=PhotoSettings(dir=str(again / "photos"))), app.clock,
                          routes=app.routes)
    try:
        for cadre in ("C1", "C2"):
            live = await Chat(app, cadre).text("我的联系户")
            assert "示例户" in live and await Chat(twin, cadre).text("我的联系户") == live
    finally:
        twin.db.close()


def test_nightly_runs_add_snapshots_and_copy_each_photo_once(roster, settings, tmp_path):
    out = tmp_path / "backups"
    photo = Path(settings.photos.dir)
    data = jpeg()
    digest = hashlib.sha256(data).hexdigest()
    (photo / digest[:2]).mkdir(parents=True)
    (photo / digest[:2] / f"{digest}.jpg").write_bytes(data)
    results = [run_cli("backup", "--out", out, "--config", write_config_for(settings, tmp_path)) for _ in range(2)]
    assert [r.exit_code for r in results] == [0, 0]
    assert "本次新复制 1 张" in results[0].output and "本次新复制 0 张" in results[1].output
    snapshots = sorted((out / "snapshots").iterdir())
    assert len(snapshots) == 2
    manifest = json.loads((snapshots[-1] / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["schema_version"] == max(r[0] for r in roster.db.execute("SELECT version FROM schema_migrations"))
    assert manifest["tables"]["cadres"] == 3 and manifest["photos"]["count"] == 1
    assert manifest["database"]["sha256"] == hashlib.sha256((snapshots[-1] / "campaign.db").read_bytes()).hexdigest()


def write_config_for(settings, tmp_path: Path) -> Path:
    config = tmp_path / "live.toml"
    config.write_text(f'[database]\npath = "{settings.database.path}"\n[photos]\ndir = "{settings.photos.dir}"\n',
                      encoding="utf-8")
    return config


@pytest.fixture
def backed_up(roster, settings, tmp_path) -> Path:
    """A backup folder with one snapshot of the roster and one photo."""
    asyncio.run(Chat(roster, "C2").photo(jpeg()))
    out = tmp_path / "backups"
    take_backup(settings.database.path, settings.photos.dir, out)
    return out


def snapshot_of(out: Path) -> Path:
    return next((out / "snapshots").iterdir())


def flip_byte(path: Path, offset: int = 5000) -> None:
    data = bytearray(path.read_bytes())
    data[offset % len(data)] ^= 0xFF
    path.write_bytes(bytes(data))


def edit_manifest(out: Path, change) -> None:
    path = snapshot_of(out) / "manifest.json"
    manifest = json.loads(path.read_text(encoding="utf-8"))
    change(manifest)
    path.write_text(json.dumps(manifest), encoding="utf-8")


CORRUPTIONS = {
    "database byte flipped": (lambda out: flip_byte(snapshot_of(out) / "campaign.db"), "校验和不符"),
    "photo changed": (lambda out: flip_byte(next((out / "photos").rglob("*.jpg")), 200), "照片"),
    "photo missing": (lambda out: next((out / "photos").rglob("*.jpg")).unlink(), "照片"),
    "no manifest": (lambda out: (snapshot_of(out) / "manifest.json").unlink(), "没有清单"),
    "manifest not json": (lambda out: (snapshot_of(out) / "manifest.json").write_text("{", encoding="utf-8"),
                          "清单"),
    "row counts edited": (lambda out: edit_manifest(out, lambda m: m["tables"].update(cadres=4)), "行数与清单不符"),
    "not a backup folder": (lambda out: (out / "campaign-bot-backup.json").unlink(), "不是 campaign-bot 的备份文件夹"),
}


@pytest.mark.parametrize("corrupt, message", CORRUPTIONS.values(), ids=CORRUPTIONS.keys())
def test_a_damaged_backup_is_refused_and_nothing_changes(backed_up, tmp_path, corrupt, message):
    corrupt(backed_up)
    target = tmp_path / "target"
    config = write_config(target)
    before = tree(target)
    result = run_cli("restore", backed_up, "--config", config, "--force")
    assert result.exit_code == 1 and message in result.output, result.output
    assert tree(target) == before


def test_restore_refuses_an_existing_database_without_force(backed_up, tmp_path):
    target = tmp_path / "target"
    config = write_config(target)
    (target / "bot.db").write_bytes(b"the office's database")
    result = run_cli("restore", backed_up, "--config", config)
    assert result.exit_code == 1 and "--force" in result.output
    assert (target / "bot.db").read_bytes() == b"the office's database"

    result = run_cli("restore", backed_up, "--config", config, "--force")
    assert result.exit_code == 0, result.output
    kept = [p for p in target.iterdir() if ".replaced-" in p.name]
    assert [p.read_bytes() for p in kept] == [b"the office's database"]
    assert counts(target / "bot.db")["cadres"] == 3


def test_restore_never_replaces_the_database_of_a_running_bot(backed_up, tmp_path):
    target = tmp_path / "target"
    config = write_config(target)
    (target / "bot.db").write_bytes(b"live")
    lock = hold_run_lock(target / "bot.db")  # what BotRunner.start takes
    try:
        result = run_cli("restore", backed_up, "--config", config, "--force")
    finally:
        release_run_lock(lock)
    assert result.exit_code == 1 and "正在使用" in result.output
    assert (target / "bot.db").read_bytes() == b"live"


def test_restore_names_a_missing_snapshot(backed_up, tmp_path):
    result = run_cli("restore", backed_up, "--snapshot", "20990101T000000Z", "--config", write_config(tmp_path / "t"))
    assert result.exit_code == 1 and "没有名为 20990101T000000Z 的快照" in result.output
    assert snapshot_of(backed_up).name in result.output


def test_backup_refuses_a_folder_that_is_not_a_backup(roster, settings, tmp_path):
    folder = tmp_path / "documents"
    folder.mkdir()
    (folder / "工作总结.docx").write_bytes(b"not ours")
    result = run_cli("backup", "--out", folder, "--config", write_config_for(settings, tmp_path))
    assert result.exit_code == 1 and "不是 campaign-bot 的备份文件夹" in result.output
    assert tree(folder) == {"工作总结.docx": b"not ours"}


def test_backup_into_an_unwritable_folder_fails_clearly(roster, settings, tmp_path, read_only_dir):
    result = run_cli("backup", "--out", read_only_dir, "--config", write_config_for(settings, tmp_path))
    assert result.exit_code == 1 and "无法使用备份文件夹" in result.output, result.output
    assert list(read_only_dir.iterdir()) == []


def test_backup_under_a_file_fails_clearly(roster, settings, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    result = run_cli("backup", "--out", blocker / "backups", "--config", write_config_for(settings, tmp_path))
    assert result.exit_code == 1 and "无法使用备份文件夹" in result.output


def test_backup_with_a_config_that_does_not_parse(tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[database\npath = 1", encoding="utf-8")
    result = run_cli("backup", "--out", tmp_path / "backups", "--config", config)
    assert result.exit_code == 1 and "配置文件" in result.output
    assert not (tmp_path / "backups").exists()


def test_backup_of_a_missing_database_says_so(tmp_path):
    result = run_cli("backup", "--out", tmp_path / "backups", "--config", write_config(tmp_path / "empty"))
    assert result.exit_code == 1 and "数据库文件不存在" in result.output
    assert not (tmp_path / "backups").exists()


def test_a_photo_damaged_on_disk_is_not_backed_up_and_the_run_fails(roster, settings, tmp_path):
    asyncio.run(Chat(roster, "C2").photo(jpeg()))
    stored = next(Path(settings.photos.dir).rglob("*.jpg"))
    flip_byte(stored, 300)
    result = run_cli("backup", "--out", tmp_path / "backups", "--config", write_config_for(settings, tmp_path))
    assert result.exit_code == 1 and "sha256 不符" in result.output
    assert not list((tmp_path / "backups" / "photos").rglob("*.jpg"))


async def test_a_second_bot_on_the_same_database_refuses_to_start(roster):
    from bot.run_lock import DatabaseInUse
    from bot.runner import BotRunner

    first, second = BotRunner(roster, port=0), BotRunner(roster, port=0)
    await first.start()
    try:
        with pytest.raises(DatabaseInUse, match="正被另一个运行中的机器人使用"):
            await second.start()
    finally:
        await first.stop()
    await second.start()  # the first one has stopped: its lock is gone
    await second.stop()


def test_a_wal_left_without_its_database_is_not_replayed_onto_the_restored_one(backed_up, roster, tmp_path):
    target = tmp_path / "target"
    config = write_config(target)
    roster.db.execute("UPDATE cadres SET name = 'x'")  # the live database's WAL now holds frames
    (target / "bot.db-wal").write_bytes(Path(roster.settings.database.path + "-wal").read_bytes())
    result = run_cli("restore", backed_up, "--config", config)
    assert result.exit_code == 0, result.output
    with contextlib.closing(sqlite3.connect(target / "bot.db")) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert {r[0] for r in conn.execute("SELECT name FROM cadres")} == {"测试干部甲", "测试干部乙", "测试干部丙"}


def test_restore_with_a_config_that_does_not_parse(backed_up, tmp_path):
    config = tmp_path / "bad.toml"
    config.write_text("[photos]\ndir = 3\n", encoding="utf-8")
    result = run_cli("restore", backed_up, "--config", config)
    assert result.exit_code == 1 and "配置项 photos.dir 应为字符串" in result.output


def test_keep_deletes_the_oldest_snapshots_and_never_photos(roster, settings, tmp_path):
    asyncio.run(Chat(roster, "C2").photo(jpeg()))
    out, config = tmp_path / "backups", write_config_for(settings, tmp_path)
    names = []
    for night in range(4):
        result = run_cli("backup", "--out", out, "--config", config, "--keep", "2")
        assert result.exit_code == 0, result.output
        names.append(sorted(p.name for p in (out / "snapshots").iterdir())[-1])
    assert sorted(p.name for p in (out / "snapshots").iterdir()) == names[-2:]
    assert "删除了旧快照" in result.output and names[1] in result.output
    assert len(list((out / "photos").rglob("*.jpg"))) == 1
    assert run_cli("restore", out, "--snapshot", names[-2], "--config", write_config(tmp_path / "t")).exit_code == 0


def store_photo(out: Path) -> Path:
    return next((out / "photos").rglob("*.jpg"))


def night_checking(relative: str) -> datetime:
    """A night whose rotating sample re-reads this stored photo."""
    from bot.backup import SAMPLE_NIGHTS, in_tonights_sample

    night = datetime(2026, 3, 1, 18, tzinfo=timezone.utc)
    while not in_tonights_sample(relative, night):
        night += timedelta(days=1)
    assert not in_tonights_sample(relative, night + timedelta(days=1)) and SAMPLE_NIGHTS > 1
    return night


def test_a_damaged_stored_photo_is_recopied_from_the_folder_on_its_night(backed_up, settings, tmp_path):
    damaged = store_photo(backed_up)
    relative = f"{damaged.parent.name}/{damaged.name}"
    flip_byte(damaged, 200)  # same size: only reading it shows the damage
    result = take_backup(settings.database.path, settings.photos.dir, backed_up, now=night_checking(relative))
    assert result.repaired == [relative] and not result.problems
    assert hashlib.sha256(damaged.read_bytes()).hexdigest() == damaged.stem
    assert "重新复制" in result.summary()
    assert run_cli("restore", backed_up, "--config", write_config(tmp_path / "t")).exit_code == 0


def test_restore_with_damaged_photos_needs_a_flag_and_lists_them(backed_up, tmp_path):
    lost = store_photo(backed_up)
    lost.unlink()
    target = tmp_path / "target"
    config = write_config(target)
    refused = run_cli("restore", backed_up, "--config", config)
    assert refused.exit_code == 1 and "--allow-missing-photos" in refused.output and lost.name in refused.output
    assert not (target / "bot.db").exists()
    result = run_cli("restore", backed_up, "--config", config, "--allow-missing-photos")
    assert result.exit_code == 0, result.output
    assert counts(target / "bot.db")["cadres"] == 3
    assert "没有恢复的照片 1 张" in result.output and lost.name in result.output


def test_a_photo_lost_from_the_folder_stays_in_the_backup_and_is_restored(backed_up, settings, tmp_path):
    live = next(Path(settings.photos.dir).rglob("*.jpg"))
    live.unlink()
    result = run_cli("backup", "--out", backed_up, "--config", write_config_for(settings, tmp_path))
    assert result.exit_code == 1 and "照片文件夹里丢了 1 张，备份里还有" in result.output
    newest = max((backed_up / "snapshots").iterdir(), key=lambda p: p.stat().st_mtime)
    manifest = json.loads((newest / "manifest.json").read_text(encoding="utf-8"))
    assert f"{live.parent.name}/{live.name}" in manifest["photos"]["files"]
    target = tmp_path / "target"
    assert run_cli("restore", backed_up, "--snapshot", newest.name, "--config", write_config(target)).exit_code == 0
    assert (target / "photos" / live.parent.name / live.name).is_file()


def test_backups_are_readable_by_their_owner_only(backed_up):
    modes = {p.relative_to(backed_up).as_posix(): p.stat().st_mode & 0o777 for p in [backed_up, *backed_up.rglob("*")]}
    assert {path: mode for path, mode in modes.items() if mode not in (0o600, 0o700)} == {}
    assert modes["."] == 0o700 and modes[f"snapshots/{snapshot_of(backed_up).name}/campaign.db"] == 0o600


@pytest.mark.parametrize("given", ["../../elsewhere/{name}", "{root}/elsewhere/{name}", "./{name}/."],
                         ids=["dot dot", "absolute path", "dots around the name"])
def test_restore_accepts_only_a_snapshot_name_listed_in_the_folder(backed_up, tmp_path, given):
    import shutil

    name = snapshot_of(backed_up).name
    shutil.copytree(snapshot_of(backed_up), tmp_path / "elsewhere" / name)
    target = tmp_path / "target"
    result = run_cli("restore", backed_up, "--snapshot", given.format(name=name, root=tmp_path),
                     "--config", write_config(target))
    assert result.exit_code == 1 and "只能给快照的名字" in result.output and name in result.output
    assert not (target / "bot.db").exists()


def test_a_run_with_a_problem_prunes_nothing(backed_up, settings, tmp_path):
    config = write_config_for(settings, tmp_path)
    assert run_cli("backup", "--out", backed_up, "--config", config).exit_code == 0
    before = sorted(p.name for p in (backed_up / "snapshots").iterdir())
    next(Path(settings.photos.dir).rglob("*.jpg")).unlink()
    result = run_cli("backup", "--out", backed_up, "--config", config, "--keep", "1")
    assert result.exit_code == 1 and "没有按 --keep 删除旧快照" in result.output
    assert set(before) < {p.name for p in (backed_up / "snapshots").iterdir()}


def test_snapshots_are_ordered_by_their_time_then_their_number(roster, settings, tmp_path):
    from bot.backup import list_snapshots, newest_snapshot

    out, night = tmp_path / "backups", datetime(2026, 1, 29, 2, 15, tzinfo=timezone.utc)
    taken = [take_backup(settings.database.path, settings.photos.dir, out, now=night).snapshot.name for _ in range(11)]
    assert taken[-1] == "20260129T021500Z-11"
    assert list_snapshots(out) == taken and newest_snapshot(out) == taken[-1]


def test_the_snapshot_just_written_is_never_pruned(roster, settings, tmp_path):
    out, later = tmp_path / "backups", datetime(2026, 1, 29, 2, 15, tzinfo=timezone.utc)
    take_backup(settings.database.path, settings.photos.dir, out, now=later)
    earlier = take_backup(settings.database.path, settings.photos.dir, out, now=later - timedelta(hours=1), keep=1)
    assert earlier.snapshot.is_dir() and earlier.pruned == []


def test_summaries_show_beijing_time(roster, settings, tmp_path):
    out = tmp_path / "backups"
    result = take_backup(settings.database.path, settings.photos.dir, out,
                         now=datetime(2026, 1, 29, 18, 15, tzinfo=timezone.utc))
    assert "2026-01-30 02:15:00 北京时间" in result.summary()
    restored = run_cli("restore", out, "--config", write_config(tmp_path / "t"))
    assert "2026-01-30 02:15:00 北京时间" in restored.output


@pytest.mark.skipif(os.geteuid() != 0, reason="only root can hand files to another user")
def test_restore_as_root_hands_the_files_to_the_folders_owner(backed_up, tmp_path):
    target = tmp_path / "target"
    config = write_config(target)
    (target / "photos").mkdir()
    for folder in (target, target / "photos"):
        os.chown(folder, 65534, 65534)
    assert run_cli("restore", backed_up, "--config", config).exit_code == 0
    written = [target / "bot.db", *(target / "photos").rglob("*")]
    assert len(written) >= 3 and {(p.stat().st_uid, p.stat().st_gid) for p in written} == {(65534, 65534)}


@pytest.mark.parametrize("failure", ["port taken", "channel fails"])
async def test_a_bot_that_fails_to_start_lets_go_of_its_database(roster, failure):
    import socket

    from bot.runner import BotRunner

    class Broken:
        name = "broken"

        def routes(self):
            return []

        async def start(self):
            raise RuntimeError("cannot reach the platform")

        async def stop(self):
            pass

    with socket.socket() as taken:
        taken.bind((roster.settings.server.host, 0))
        taken.listen()
        port = taken.getsockname()[1] if failure == "port taken" else 0
        runner = BotRunner(roster, channels=[Broken()] if failure == "channel fails" else [], port=port)
        with pytest.raises(Exception):
            await runner.start()
    release_run_lock(hold_run_lock(roster.settings.database.path))  # raises DatabaseInUse if it was kept
