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
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.files import atomic_file, nearest_existing, user_name
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
SAMPLE_NIGHTS = 16  # the store is re-read whole over this many nights (one hex digit's worth each night)
_PHOTO_NAME = re.compile(r"^[0-9a-f]{2}/([0-9a-f]{64})\.[a-z]+$")
_CHUNK = 1024 * 1024
BEIJING = ZoneInfo("Asia/Shanghai")


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
    repaired: list[str] = field(default_factory=list)
    keep: int | None = None

    def summary(self) -> str:
        """What was done, in Chinese lines for the clerk (and cron's mail)."""
        m = self.manifest
        rows = sum(m["tables"].values())
        lines = [f"已备份到 {self.snapshot}（{shown_time(m['created_at'])}，用时 {m['seconds']:.1f} 秒）",
                 f"数据库：{len(m['tables'])} 张表，共 {rows} 行，{_mb(m['database']['bytes'])}，架构版本 {m['schema_version']}",
                 f"照片：共 {m['photos']['count']} 张（{_mb(m['photos']['bytes'])}），本次新复制 {self.photos_copied} 张"
                 f"（{_mb(self.bytes_copied)}）"]
        if self.repaired:
            lines.append(f"备份里有 {len(self.repaired)} 张照片已损坏，已从照片文件夹重新复制：{_some(self.repaired)}")
        if self.pruned:
            lines.append(f"按 --keep 删除了旧快照：{'、'.join(self.pruned)}")
        elif self.problems and self.keep:
            lines.append("这次有问题，没有按 --keep 删除旧快照。")
        lines += [f"问题：{p}" for p in self.problems]
        return "\n".join(lines)


# ---- backup ----

def take_backup(db_path: str | Path, photos_dir: str | Path, out_dir: str | Path,
                now: datetime | None = None, keep: int | None = None) -> BackupResult:
    """Adds a snapshot of the database to out_dir and copies photos the store lacks; never disturbs the bot.

    keep: afterwards, only the newest `keep` snapshots stay (the photo store is shared and is never pruned); nothing
    is pruned when the run had a problem. Everything written is readable by its owner only."""
    db_path, photos_dir, out_dir = Path(db_path), Path(photos_dir), Path(out_dir)
    if not db_path.is_file():
        raise BackupError(f"数据库文件不存在：{db_path}。请检查配置文件里的 [database] path。")
    started = time.monotonic()
    now = now or datetime.now(timezone.utc)
    prepare_backup_dir(out_dir)
    with _exclusive(out_dir):
        snapshots = out_dir / SNAPSHOTS
        _private_dir(snapshots)
        _private_dir(out_dir / PHOTOS)
        for leftover in snapshots.glob(PARTIAL + "*"):  # from a run that died; we hold the lock, so it is no one's
            shutil.rmtree(leftover, ignore_errors=True)
        name = _free_name(snapshots, now)
        partial = snapshots / (PARTIAL + name)
        try:
            _private_dir(partial)
            database = _copy_database(db_path, partial / DB_FILE)
            store = update_photo_store(photos_dir, out_dir / PHOTOS, database.pop("photo_paths"), now)
            manifest = {"format": FORMAT, "version": FORMAT_VERSION, "snapshot": name,
                        "created_at": now.astimezone(timezone.utc).isoformat(timespec="microseconds"),
                        "seconds": round(time.monotonic() - started, 3),
                        "schema_version": database.pop("schema_version"), "tables": database.pop("tables"),
                        "database": database, "photos": store.manifest(), "problems": store.problems}
            _write_durably(partial / MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=1).encode())
            os.rename(partial, snapshots / name)
            _fsync_dir(snapshots)
            pruned = prune_snapshots(out_dir, keep, spare=name) if keep and not store.problems else []
        except OSError as exc:
            shutil.rmtree(partial, ignore_errors=True)
            raise BackupError(f"写备份失败（{_reason(exc)}）：{out_dir}。这次的快照已删除，旧的快照不受影响。") from None
        except BaseException:
            shutil.rmtree(partial, ignore_errors=True)
            raise
    return BackupResult(snapshots / name, manifest, store.copied, store.copied_bytes, store.problems, pruned,
                        store.repaired, keep)


def prune_snapshots(out_dir: Path, keep: int, spare: str | None = None) -> list[str]:
    """Deletes all but the newest `keep` complete snapshots (by their manifests' time), never `spare`; returns the
    names deleted."""
    old = [name for name in list_snapshots(out_dir)[:-keep] if name != spare] if keep > 0 else []
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
        _private_dir(out_dir)
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
        fd = os.open(out_dir / ".lock", os.O_RDWR | os.O_CREAT, 0o600)
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
    """The snapshot's name: its UTC time, with -2, -3… after the highest one already taken in the same second."""
    base = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    taken = [_sequence(p.name) for p in snapshots.iterdir() if p.name.removeprefix(PARTIAL).split("-")[0] == base]
    return base if not taken else f"{base}-{max(taken) + 1}"


def _sequence(name: str) -> int:
    """A snapshot name's number within its second: 1 for the first, n for NAME-n."""
    _, _, number = name.partition("-")
    return int(number) if number.isdigit() else 1


def _copy_database(db_path: Path, target: Path) -> dict:
    """Copies the live database with the online backup API; returns its checksum, counts and photo paths."""
    os.close(os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # SQLite keeps an existing file's mode
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


@dataclass
class PhotoStoreRun:
    """What bringing the shared photo store up to date did, and the photos this snapshot holds."""

    files: dict[str, int] = field(default_factory=dict)  # relative path -> size, every photo the snapshot holds
    copied: int = 0
    copied_bytes: int = 0
    repaired: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def manifest(self) -> dict:
        """The manifest's photos part."""
        return {"count": len(self.files), "bytes": sum(self.files.values()), "files": self.files}


def update_photo_store(photos_dir: Path, store: Path, referenced: list[str], now: datetime) -> PhotoStoreRun:
    """Copies photos the store lacks, each checked against its name; re-checks tonight's sample of the store (and
    recopies a damaged one from the live folder); keeps the store's copy of a referenced photo the folder lost."""
    run = PhotoStoreRun()
    live = _live_photos(photos_dir)
    for relative, source in live.items():
        target = store / relative
        size = source.stat().st_size
        if target.is_file() and target.stat().st_size == size:
            if not in_tonights_sample(relative, now) or _sound(target):
                run.files[relative] = size
                continue
            run.repaired.append(relative)
        if _copy_checked(source, target):
            run.files[relative] = size
            run.copied, run.copied_bytes = run.copied + 1, run.copied_bytes + size
        elif target.is_file() and _sound(target):
            run.files[relative] = target.stat().st_size
            run.problems.append(f"照片文件夹里的 {relative} 已损坏（内容与文件名里的 sha256 不符）；备份里的完好副本已保留。")
        else:
            run.problems.append(f"照片 {relative} 的内容与文件名里的 sha256 不符（文件已损坏），没有备份。")
    lost, missing = [], []
    for relative in sorted(set(referenced) - set(live)):
        kept = store / relative
        if _PHOTO_NAME.match(relative) and kept.is_file() and (not in_tonights_sample(relative, now) or _sound(kept)):
            run.files[relative] = kept.stat().st_size
            lost.append(relative)
        else:
            missing.append(relative)
    if lost:
        run.problems.append(f"照片文件夹里丢了 {len(lost)} 张，备份里还有（已留在这次快照里，恢复时会放回）：{_some(lost)}")
    if missing:
        run.problems.append(f"数据库记录的照片有 {len(missing)} 张在照片文件夹 {photos_dir} 和备份里都找不到：{_some(missing)}")
    return run


def in_tonights_sample(relative: str, now: datetime) -> bool:
    """Whether a stored photo is re-read tonight: one of SAMPLE_NIGHTS slices by its first hex digit, so the whole
    store is re-checked every SAMPLE_NIGHTS nights without reading all of it on any one."""
    return int(relative[0], 16) % SAMPLE_NIGHTS == now.toordinal() % SAMPLE_NIGHTS


def _live_photos(photos_dir: Path) -> dict[str, Path]:
    """The photos in [photos] dir by relative path (files being written, or not ours, left out)."""
    found = {}
    for source in sorted(photos_dir.glob("*/*")) if photos_dir.is_dir() else []:
        relative = f"{source.parent.name}/{source.name}"
        if _PHOTO_NAME.match(relative) and source.is_file():
            found[relative] = source
    return found


def _sound(path: Path) -> bool:
    """Whether a stored photo's content still has the sha256 its name says."""
    match = _PHOTO_NAME.match(f"{path.parent.name}/{path.name}")
    return match is not None and file_sha256(path) == match.group(1)


def _copy_checked(source: Path, target: Path) -> bool:
    """Copies a photo into the store only when its content has the sha256 its name says; False (target untouched)
    otherwise."""
    _private_dir(target.parent)
    expected = _PHOTO_NAME.match(f"{source.parent.name}/{source.name}").group(1)
    try:
        _copy_file(source, target, expected)
    except _Mismatch:
        return False
    return True


def _some(paths: list[str], shown: int = 10) -> str:
    """The first few paths of a list, and how many more."""
    more = f" 等（共 {len(paths)} 张）" if len(paths) > shown else ""
    return "、".join(paths[:shown]) + more


# ---- restore ----

@dataclass
class RestoreResult:
    """What a restore did."""

    snapshot: str
    db_path: Path
    manifest: dict
    photos_copied: int
    replaced: Path | None
    photos_missing: list[str] = field(default_factory=list)

    def summary(self) -> str:
        """What was done, in Chinese lines."""
        m = self.manifest
        lines = [f"已从快照 {self.snapshot}（{shown_time(m['created_at'])}）恢复到 {self.db_path}",
                 f"数据库：{len(m['tables'])} 张表，共 {sum(m['tables'].values())} 行，与清单一致",
                 f"照片：清单 {m['photos']['count']} 张，本次复制 {self.photos_copied} 张"]
        if self.photos_missing:
            lines.append(f"备份里缺失或损坏、没有恢复的照片 {len(self.photos_missing)} 张：{'、'.join(self.photos_missing)}")
        if self.replaced:
            lines.append(f"原来的数据库已改名保存为 {self.replaced}")
        return "\n".join(lines)


def restore_backup(backup_dir: str | Path, db_path: str | Path, photos_dir: str | Path,
                   snapshot: str | None = None, force: bool = False,
                   allow_missing_photos: bool = False) -> RestoreResult:
    """Checks a snapshot whole (manifest, checksums, counts) and only then puts it in place of db_path.

    Photos missing from the backup or damaged stop the restore unless allow_missing_photos; then the database and
    the sound photos are restored and the others listed. Files restored belong to the owner of the folder they go to."""
    backup_dir, db_path, photos_dir = Path(backup_dir), Path(db_path), Path(photos_dir)
    if not backup_dir.is_dir():
        raise BackupError(f"备份文件夹不存在：{backup_dir}")
    read_marker(backup_dir)
    name = snapshot or newest_snapshot(backup_dir)
    manifest, damaged = verify_snapshot(backup_dir, name)
    if damaged and not allow_missing_photos:
        raise BackupError(f"快照 {name} 里有 {len(damaged)} 张照片在备份中缺失或已损坏：{_some(damaged)}。"
                          "数据库本身完好：要先恢复数据库和其余照片，请加 --allow-missing-photos（缺的照片会列出来）。")
    db_owner, photos_owner = folder_owner(db_path.parent), folder_owner(photos_dir)
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
        db_owner.give(staged)
        try:
            lock = hold_run_lock(db_path)  # and no bot starts on it while the files are swapped
        except DatabaseInUse:
            raise BackupError(in_use) from None
        try:
            sound = {relative: size for relative, size in manifest["photos"]["files"].items() if relative not in damaged}
            copied = _restore_photos(backup_dir / PHOTOS, photos_dir, sound, photos_owner)
            replaced = _move_aside(db_path)
            os.replace(staged, db_path)
            _fsync_dir(db_path.parent)
        finally:
            release_run_lock(lock)
    except OSError as exc:
        raise BackupError(f"恢复时写入失败（{_reason(exc)}）。数据库没有被替换。") from None
    finally:
        staged.unlink(missing_ok=True)
    return RestoreResult(name, db_path, manifest, copied, replaced, damaged)


@dataclass(frozen=True)
class FolderOwner:
    """Who owns the folder restored files go to: they are handed to that user when we run as root."""

    uid: int
    gid: int

    def give(self, path: Path) -> None:
        """Hands a file or folder we wrote to the folder's owner (only root can; anyone else already is the owner)."""
        if os.geteuid() == 0 and (path.stat().st_uid, path.stat().st_gid) != (self.uid, self.gid):
            os.chown(path, self.uid, self.gid)


def folder_owner(folder: Path) -> FolderOwner:
    """The owner of the folder (or of its nearest existing parent); a BackupError when we run as another user than
    root or that owner, since the bot could not read or replace what we would write."""
    place = nearest_existing(folder)
    info = place.stat()
    me = os.geteuid()
    if me not in (0, info.st_uid):
        owner = user_name(info.st_uid)
        raise BackupError(f"{place} 属于用户 {owner}，而恢复是以用户 {user_name(me)} 运行的：恢复出的文件机器人会读写不了。"
                          f"请以该用户运行：sudo -u {owner} campaign-bot restore …（或用 root 运行，文件会交给 {owner}）。")
    return FolderOwner(info.st_uid, info.st_gid)


def _stage(backup_dir: Path, name: str, manifest: dict, staged: Path) -> None:
    """Copies the snapshot's database next to its destination and checks it opens with the manifest's counts."""
    _copy_file(backup_dir / SNAPSHOTS / name / DB_FILE, staged)
    with contextlib.closing(sqlite3.connect(staged)) as conn:
        facts = database_facts(conn)
    if facts["tables"] != manifest["tables"]:
        raise BackupError(f"快照 {name} 的数据库行数与清单不符，不能恢复。")


def list_snapshots(backup_dir: Path) -> list[str]:
    """The complete snapshots in the folder, oldest first by the time their manifests give (then by name number)."""
    folder = backup_dir / SNAPSHOTS
    if not folder.is_dir():
        return []
    names = [p.name for p in folder.iterdir() if p.is_dir() and not p.is_symlink() and not p.name.startswith(".")]
    return sorted(names, key=lambda name: (_created_at(folder / name), _sequence(name), name))


def _created_at(snapshot: Path) -> datetime:
    """When a snapshot was taken, from its manifest; the earliest time when the manifest cannot be read."""
    try:
        stamp = datetime.fromisoformat(json.loads((snapshot / MANIFEST).read_text(encoding="utf-8"))["created_at"])
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    except (OSError, ValueError, KeyError, TypeError):
        return datetime.min.replace(tzinfo=timezone.utc)


def newest_snapshot(backup_dir: Path) -> str:
    """The name of the newest complete snapshot, or a BackupError when there is none."""
    names = list_snapshots(backup_dir)
    if not names:
        raise BackupError(f"{backup_dir} 里还没有任何完整的快照。")
    return names[-1]


def verify_snapshot(backup_dir: Path, name: str) -> tuple[dict, list[str]]:
    """Reads the snapshot's manifest and checks the database file and every photo against it; returns the manifest
    and the photos that are missing from the store or damaged. Only a name listed in the folder is accepted."""
    listed = list_snapshots(backup_dir)
    if name not in listed:
        raise BackupError(f"没有名为 {name} 的快照（只能给快照的名字，不能给路径）。现有快照：{'、'.join(listed) or '无'}")
    folder = backup_dir / SNAPSHOTS / name
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
    damaged = [relative for relative in photos["files"]
               if not (_PHOTO_NAME.match(relative) and (store / relative).is_file() and _sound(store / relative))]
    return manifest, damaged


def _restore_photos(store: Path, photos_dir: Path, files: dict[str, int], owner: FolderOwner) -> int:
    """Copies the snapshot's photos the folder lacks, handing them (and folders made for them) to its owner."""
    copied = 0
    for relative in files:
        target = photos_dir / relative
        if not target.is_file():
            made = not target.parent.exists()
            _copy_file(store / relative, target)
            for path in (photos_dir, target.parent) if made else ():
                owner.give(path)
            owner.give(target)
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


class _Mismatch(Exception):
    """A copy's content did not have the sha256 it should: the copy was thrown away."""


def _copy_file(source: Path, target: Path, expected: str | None = None) -> str:
    """Copies atomically (temporary file, fsync, rename) as a file only its owner reads; returns the sha256 of what
    was copied. With `expected`, a copy of other content raises _Mismatch and leaves target as it was."""
    digest = hashlib.sha256()
    with atomic_file(target, prefix=".copying-") as out, open(source, "rb") as src:
        while chunk := src.read(_CHUNK):
            digest.update(chunk)
            out.write(chunk)
        if expected is not None and digest.hexdigest() != expected:
            raise _Mismatch(str(source))
    return digest.hexdigest()


def _private_dir(path: Path) -> None:
    """Creates a folder only its owner may enter (0700), or makes an existing one so."""
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    path.chmod(0o700)


def shown_time(stamp: str) -> str:
    """A manifest's UTC time as Beijing time, for the summaries."""
    return datetime.fromisoformat(stamp).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S 北京时间")


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
