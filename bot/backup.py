"""Backups while the bot runs: dated snapshots of the database (SQLite's online backup API) with a manifest, and one
shared photo store, by sha256, that each run brings up to date.

A backup folder looks like this:

    campaign-bot-backup.json          marks the folder as ours (nothing else is ever written into a foreign folder)
    photos/ab/ab12….jpg               every photo once, under the same relative path as in [photos] dir
    snapshots/20260129T021500Z/       one per run: campaign.db (a consistent copy) and manifest.json

A snapshot is written under snapshots/.partial-NAME and renamed when complete, so a snapshot with a name is whole.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from bot.errors import UserError
from bot.files import atomic_file
from bot.run_lock import DatabaseInUse, bot_is_running, hold_run_lock, release_run_lock
from bot.store import database_file

MARKER = "campaign-bot-backup.json"
FORMAT = "campaign-bot-backup"
FORMAT_VERSION = 1
SNAPSHOTS = "snapshots"
PHOTOS = "photos"
DB_FILE = "campaign.db"
MANIFEST = "manifest.json"
PARTIAL = ".partial-"
_PHOTO_NAME = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.[a-z]+$")
_CHUNK = 1024 * 1024


class BackupError(UserError):
    """A backup or restore cannot go on; the message (Chinese) says what to do. Nothing was changed."""


@dataclass
class BackupResult:
    """What one backup run did."""

    snapshot: Path
    manifest: dict
    photos_copied: int = 0
    bytes_copied: int = 0
    problems: list[str] = field(default_factory=list)
    pruned: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What was done, in Chinese lines for the clerk (and cron's mail)."""
        m = self.manifest
        rows = sum(m["tables"].values())
        lines = [f"已备份到 {self.snapshot}（{m['seconds']:.1f} 秒）",
                 f"数据库：{len(m['tables'])} 张表，共 {rows} 行，{_mb(m['database']['bytes'])}，架构版本 {m['schema_version']}",
                 f"照片：共 {m['photos']['count']} 张（{_mb(m['photos']['bytes'])}），本次新复制 {self.photos_copied} 张"
                 f"（{_mb(self.bytes_copied)}）"]
        if self.pruned:
            lines.append(f"按 --keep 删除了旧快照：{'、'.join(self.pruned)}")
        lines += [f"问题：{p}" for p in self.problems]
        return "\n".join(lines)


# ---- backup ----

def take_backup(db_path: str | Path, photos_dir: str | Path, out_dir: str | Path,
                now: datetime | None = None, keep: int | None = None) -> BackupResult:
    """Adds a snapshot of the database to out_dir and copies photos the store lacks; never disturbs the bot.

    keep: afterwards, only the newest `keep` snapshots stay (the photo store is shared and is never pruned)."""
    db_path, photos_dir, out_dir = Path(db_path), Path(photos_dir), Path(out_dir)
    if not db_path.is_file():
        raise BackupError(f"数据库文件不存在：{db_path}。请检查配置文件里的 [database] path。")
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    prepare_backup_dir(out_dir)
    with _exclusive(out_dir):
        snapshots = out_dir / SNAPSHOTS
        for leftover in snapshots.glob(PARTIAL + "*"):  # from a run that died; we hold the lock, so it is no one's
            shutil.rmtree(leftover, ignore_errors=True)
        name = _free_name(snapshots, now)
        partial = snapshots / (PARTIAL + name)
        try:
            partial.mkdir(parents=True)
            database = _copy_database(db_path, partial / DB_FILE)
            photos, copied, copied_bytes, problems = _update_photo_store(photos_dir, out_dir / PHOTOS,
                                                                          database.pop("photo_paths"))
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "snapshot": name,
                        "created_at": now.isoformat(timespec="seconds"),
                        "seconds": round(time.monotonic() - started, 3),
                        "schema_version": database.pop("schema_version"), "tables": database.pop("tables"),
                        "database": database, "photos": photos, "problems": problems}
            _write_durably(partial / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            os.rename(partial, snapshots / name)
            _fsync_dir(snapshots)
            pruned = prune_snapshots(out_dir, keep) if keep else []
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise BackupError(f"写备份失败（{_reason(exc)}）：{out_dir}。这次的快照已删除，旧的快照不受影响。") from None
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return BackupResult(snapshots / name, manifest, copied, copied_bytes, problems, pruned)


def prune_snapshots(out_dir: Path, keep: int) -> list[str]:
    """Deletes all but the newest `keep` complete snapshots; returns the names deleted."""
    old = list_snapshots(out_dir)[:-keep] if keep > 0 else []
    for name in old:
        # renamed first, so a snapshot is either whole under its name or gone (a crash leaves a .partial- to sweep)
        doomed = out_dir / SNAPSHOTS / (PARTIAL + name)
        os.rename(out_dir / SNAPSHOTS / name, doomed)
        shutil.rmtree(doomed)
    return old


def prepare_backup_dir(out_dir: Path) -> None:
    """Creates the folder or checks it is one of ours; refuses a folder holding anything else."""
    marker = out_dir / MARKER
    try:
        if out_dir.exists() and not out_dir.is_dir():
            raise BackupError(f"{out_dir} 是一个文件，不是文件夹。请给一个空文件夹或以前的备份文件夹。")
        if marker.exists():
            read_marker(out_dir)
            if not os.access(out_dir, os.W_OK | os.X_OK):
                raise BackupError(f"备份文件夹不可写：{out_dir}。请检查权限（运行备份的用户要能写入）。")
            return
        if out_dir.exists() and any(out_dir.iterdir()):
            raise BackupError(f"{out_dir} 里已有别的文件，不是 campaign-bot 的备份文件夹；为免混淆，不往里写。"
                              "请换一个空文件夹（或新文件夹）。")
        out_dir.mkdir(parents=True, exist_ok=True)
        _write_durably(marker, json.dumps({"format": FORMAT, "version": FORMAT_VERSION}).encode())
    except OSError as exc:
        raise BackupError(f"无法使用备份文件夹 {out_dir}（{_reason(exc)}）。请检查路径和权限。") from None


def read_marker(out_dir: Path) -> dict:
    """The folder's marker, or a BackupError saying the folder is not a backup folder."""
    try:
        marker = json.loads((out_dir / MARKER).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise BackupError(f"{out_dir} 不是 campaign-bot 的备份文件夹（缺少 {MARKER}）。") from None
    except (OSError, ValueError) as exc:
        raise BackupError(f"{out_dir / MARKER} 读不出来（{_reason(exc)}），这个文件夹不能当作备份使用。") from None
    if not isinstance(marker, dict) or marker.get("format") != FORMAT:
        raise BackupError(f"{out_dir} 不是 campaign-bot 的备份文件夹（{MARKER} 内容不对）。")
    if marker.get("version") != FORMAT_VERSION:
        raise BackupError(f"{out_dir} 是另一版本（{marker.get('version')}）的备份，这个版本的程序读不了。")
    return marker


@contextlib.contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """Holds the folder's lock: two backups never write the same folder at once (cron overlapping a manual run)."""
    try:
        fd = os.open(out_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise BackupError(f"备份文件夹不可写：{out_dir}（{_reason(exc)}）。请检查权限。") from None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BackupError(f"另一个备份正在写 {out_dir}，请等它结束后再运行。") from None
        yield
    finally:
        os.close(fd)


def _free_name(snapshots: Path, now: datetime) -> str:
    base = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    name, n = base, 1
    while (snapshots / name).exists():
        n += 1
        name = f"{base}-{n}"
    return name


def _copy_database(db_path: Path, target: Path) -> dict:
    """Copies the live database with the online backup API; returns its checksum, counts and photo paths."""
    try:
        database_file.copy_online(db_path, target)
        with contextlib.closing(sqlite3.connect(target)) as copy:
            facts = database_facts(copy)
    except sqlite3.Error as exc:
        raise BackupError(f"数据库 {db_path} 无法备份（{exc}）。请先运行 campaign-bot check 查看数据库。") from None
    facts.update(file=DB_FILE, bytes=target.stat().st_size, sha256=file_sha256(target))
    return facts


def database_facts(conn: sqlite3.Connection) -> dict:
    """Integrity, schema version, rows per table and the photo paths of a database; BackupError if it is damaged."""
    check = database_file.integrity(conn)
    if check != "ok":
        raise BackupError(f"数据库完整性检查未通过：{check}")
    return {"schema_version": max(database_file.applied_migrations(conn), default=None),
            "tables": database_file.table_counts(conn), "photo_paths": database_file.photo_paths(conn)}


def _update_photo_store(photos_dir: Path, store: Path, referenced: list[str]) -> tuple[dict, int, int, list[str]]:
    """Copies photos the store lacks (checking each against its name); returns the manifest's part and problems."""
    files: dict[str, int] = {}
    copied = copied_bytes = 0
    problems: list[str] = []
    for source in sorted(photos_dir.glob("*/*")) if photos_dir.is_dir() else []:
        relative = f"{source.parent.name}/{source.name}"
        match = _PHOTO_NAME.match(relative)
        if match is None or not source.is_file():
            continue  # .incoming- files being written, or something that is not ours
        target = store / relative
        size = source.stat().st_size
        if not (target.is_file() and target.stat().st_size == size):
            digest = _copy_file(source, target)
            if digest != match.group(1):
                target.unlink(missing_ok=True)
                problems.append(f"照片 {relative} 的内容与文件名里的 sha256 不符（文件已损坏），没有备份。")
                continue
            copied, copied_bytes = copied + 1, copied_bytes + size
        files[relative] = size
    missing = sorted(set(referenced) - set(files))
    problems += [f"数据库记录的照片 {path} 在照片文件夹 {photos_dir} 里找不到。" for path in missing[:20]]
    if len(missing) > 20:
        problems.append(f"……另有 {len(missing) - 20} 张记录的照片找不到。")
    return {"count": len(files), "bytes": sum(files.values()), "files": files}, copied, copied_bytes, problems


# ---- restore ----

@dataclass
class RestoreResult:
    """What a restore did."""

    snapshot: str
    db_path: Path
    manifest: dict
    photos_copied: int
    replaced: Path | None

    def summary(self) -> str:
        """What was done, in Chinese lines."""
        m = self.manifest
        lines = [f"已从快照 {self.snapshot}（{m['created_at']}）恢复到 {self.db_path}",
                 f"数据库：{len(m['tables'])} 张表，共 {sum(m['tables'].values())} 行，与清单一致",
                 f"照片：清单 {m['photos']['count']} 张，本次复制 {self.photos_copied} 张"]
        if self.replaced:
            lines.append(f"原来的数据库已改名保存为 {self.replaced}")
        return "\n".join(lines)


def restore_backup(backup_dir: str | Path, db_path: str | Path, photos_dir: str | Path,
                   snapshot: str | None = None, force: bool = False) -> RestoreResult:
    """Checks a snapshot whole (manifest, checksums, counts) and only then puts it in place of db_path."""
    backup_dir, db_path, photos_dir = Path(backup_dir), Path(db_path), Path(photos_dir)
    if not backup_dir.is_dir():
        raise BackupError(f"备份文件夹不存在：{backup_dir}")
    read_marker(backup_dir)
    name = snapshot or newest_snapshot(backup_dir)
    manifest = verify_snapshot(backup_dir, name)
    in_use = f"机器人正在使用 {db_path}，不能在它运行时恢复。请先停止机器人（systemctl stop campaign-bot）。"
    if bot_is_running(db_path):
        raise BackupError(in_use)
    if db_path.exists() and not force:
        raise BackupError(f"{db_path} 已经存在。恢复会替换它：确认要替换，请加 --force（原文件会改名保留）。")
    try:
        db_path.parent.mkdir(parents=True, exist_ok=True)
        fd, staged = tempfile.mkstemp(dir=db_path.parent, prefix=f".{db_path.name}.restoring-")
        os.close(fd)
    except OSError as exc:
        raise BackupError(f"无法写入 {db_path.parent}（{_reason(exc)}）。数据库没有被替换。") from None
    staged = Path(staged)
    try:
        _stage(backup_dir, name, manifest, staged)
        try:
            lock = hold_run_lock(db_path)  # and no bot starts on it while the files are swapped
        except DatabaseInUse:
            raise BackupError(in_use) from None
        try:
            copied = _restore_photos(backup_dir / PHOTOS, photos_dir, manifest["photos"]["files"])
            replaced = _move_aside(db_path)
            os.replace(staged, db_path)
            _fsync_dir(db_path.parent)
        finally:
            release_run_lock(lock)
    except OSError as exc:
        raise BackupError(f"恢复时写入失败（{_reason(exc)}）。数据库没有被替换。") from None
    finally:
        staged.unlink(missing_ok=True)
    return RestoreResult(name, db_path, manifest, copied, replaced)


def _stage(backup_dir: Path, name: str, manifest: dict, staged: Path) -> None:
    """Copies the snapshot's database next to its destination and checks it opens with the manifest's counts."""
    _copy_file(backup_dir / SNAPSHOTS / name / DB_FILE, staged)
    with contextlib.closing(sqlite3.connect(staged)) as conn:
        facts = database_facts(conn)
    if facts["tables"] != manifest["tables"]:
        raise BackupError(f"快照 {name} 的数据库行数与清单不符，不能恢复。")


def list_snapshots(backup_dir: Path) -> list[str]:
    """The complete snapshots in the folder, oldest first."""
    folder = backup_dir / SNAPSHOTS
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def newest_snapshot(backup_dir: Path) -> str:
    """The name of the newest complete snapshot, or a BackupError when there is none."""
    names = list_snapshots(backup_dir)
    if not names:
        raise BackupError(f"{backup_dir} 里还没有任何完整的快照。")
    return names[-1]


def verify_snapshot(backup_dir: Path, name: str) -> dict:
    """Reads the snapshot's manifest and checks the database file and every photo against it; returns it."""
    folder = backup_dir / SNAPSHOTS / name
    if not folder.is_dir() or name.startswith("."):
        raise BackupError(f"没有名为 {name} 的快照。现有快照：{'、'.join(list_snapshots(backup_dir)) or '无'}")
    try:
        manifest = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
        database, photos, tables = manifest["database"], manifest["photos"], manifest["tables"]
        if manifest.get("format") != FORMAT or not isinstance(tables, dict) or not isinstance(photos["files"], dict):
            raise ValueError("format")
    except FileNotFoundError:
        raise BackupError(f"快照 {name} 没有清单（{MANIFEST}），不完整，不能恢复。") from None
    except (OSError, ValueError, KeyError, TypeError):
        raise BackupError(f"快照 {name} 的清单（{MANIFEST}）损坏或不是本程序写的，不能恢复。") from None
    db_file = folder / DB_FILE
    if not db_file.is_file() or file_sha256(db_file) != database.get("sha256"):
        raise BackupError(f"快照 {name} 的数据库文件校验和不符（文件缺失或已损坏），不能恢复。请换一个快照（--snapshot）。")
    store = backup_dir / PHOTOS
    for relative in photos["files"]:
        match = _PHOTO_NAME.match(relative)
        path = store / relative
        if match is None or not path.is_file() or file_sha256(path) != match.group(1):
            raise BackupError(f"备份里的照片 {relative} 缺失或校验和不符，快照 {name} 不能完整恢复。")
    return manifest


def _restore_photos(store: Path, photos_dir: Path, files: dict[str, int]) -> int:
    copied = 0
    for relative in files:
        target = photos_dir / relative
        if not target.is_file():
            _copy_file(store / relative, target)
            copied += 1
    return copied


def _move_aside(db_path: Path) -> Path | None:
    """Renames the database being replaced, with its WAL and shared memory, out of the way; returns its new name.

    A WAL left without its database is moved too: SQLite would replay it onto the restored file and corrupt it."""
    stamp = datetime.now(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    aside = db_path.with_name(f"{db_path.name}.replaced-{stamp}")
    for suffix in ("-wal", "-shm"):
        companion = db_path.with_name(db_path.name + suffix)
        if companion.exists():
            os.replace(companion, aside.with_name(aside.name + suffix))
    if not db_path.exists():
        return None
    os.replace(db_path, aside)
    return aside


# ---- files ----

def file_sha256(path: Path) -> str:
    """The sha256 of a file's content, read in chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _copy_file(source: Path, target: Path) -> str:
    """Copies atomically (temporary file, fsync, rename); returns the sha256 of what was copied."""
    digest = hashlib.sha256()
    with atomic_file(target, prefix=".copying-") as out, open(source, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
    return digest.hexdigest()


def _write_durably(path: Path, data: bytes) -> None:
    with atomic_file(path) as fh:
        fh.write(data)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _reason(exc: Exception) -> str:
    if isinstance(exc, OSError) and exc.errno:
        return os.strerror(exc.errno)
    return str(exc)


def _mb(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} MB"
