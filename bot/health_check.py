"""`campaign-bot check`: what is wrong with a deployment, in plain Chinese, before a cadre notices.

Each check returns Findings; nothing here writes to the database (it is opened read-only) or to the platforms (only
getMe, getWebhookInfo and an access-token fetch). Runs outside the bot's event loop: it is a command of its own.
"""

from __future__ import annotations

import asyncio
import contextlib
import email.utils
import os
import re
import shutil
import sqlite3
import stat
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from bot.config import ConfigError, Settings, load_settings
from bot.files import nearest_existing, user_name
from bot.store import database_file
from bot.store.delivery_upkeep import SENDING_LEASE

TELEGRAM_API = "https://api.telegram.org/bot"
MAX_CLOCK_SKEW = 60  # seconds; WeChat refuses callbacks 5 minutes off, reminders and quiet hours need the hour right
HTTP_TIMEOUT = 10.0
_HH_MM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


@dataclass(frozen=True)
class Finding:
    """One line of the report: what was checked, whether it is well, and what to do if not."""

    item: str  # config, database, migrations, wal, photos, disk, telegram, telegram_webhook, wechat, clock, reminders…
    ok: bool
    message: str


@dataclass
class _Remote:
    """How far our clock is from a platform server's, from the Date header of its answer."""

    source: str = ""
    skew: float | None = None  # seconds our clock is ahead

    def note(self, source: str, response: httpx.Response, sent_at: float, received_at: float) -> None:
        """Takes the skew from the first answer with a Date header."""
        if self.skew is not None or "date" not in response.headers:
            return
        with contextlib.suppress(TypeError, ValueError):
            stamped = email.utils.parsedate_to_datetime(response.headers["date"]).timestamp()
            # whole seconds, stamped about halfway between our request and its answer
            self.source, self.skew = source, (sent_at + received_at) / 2 - (stamped + 0.5)


def run_checks(config_path: str | Path | None, wall_clock: Callable[[], float] = time.time,
               full: bool = False) -> list[Finding]:
    """Every check, in the order an operator reads them; stops after the config when it cannot be read.

    full: the database's integrity_check (reads every page; slow on a big file) instead of quick_check."""
    try:
        settings = load_settings(config_path)
    except ConfigError as exc:
        return [Finding("config", False, f"配置文件读不了：{str(exc).rstrip('。')}。其余各项没法检查，请先改好配置文件。")]
    findings = [check_config(settings)]
    findings += check_database(settings, wall_clock, full)
    findings += check_storage(settings)
    remote = _Remote()
    if settings.telegram.enabled and settings.telegram.token:
        findings += check_telegram(settings, remote, wall_clock)
    if settings.wechat.enabled:
        findings.append(check_wechat(settings, remote, wall_clock))
    findings.append(check_clock(settings, remote, wall_clock))
    return findings


# ---- config ----

def check_config(settings: Settings) -> Finding:
    """The values that load_settings cannot judge: time zone, times of day, modes, the credentials each channel needs."""
    from bot.channels.wechat.api import missing_settings
    from bot.logging_setup import check_logging
    from bot.monitoring import allow_list

    problems = []
    try:
        ZoneInfo(settings.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"timezone “{settings.timezone}”不是时区名（例如 Asia/Shanghai）")
    for key in ("send_time", "quiet_start", "quiet_end"):
        if not _HH_MM.match(getattr(settings.reminders, key)):
            problems.append(f"[reminders] {key} 应为 时:分，例如 09:00")
    for check in (lambda: check_logging(settings.logging), lambda: allow_list(settings.server.monitoring_allow)):
        try:
            check()
        except ConfigError as exc:
            problems.append(str(exc).rstrip("。"))
    telegram, wechat = settings.telegram, settings.wechat
    if telegram.enabled:
        if not telegram.token:
            problems.append("[telegram] 已启用但没有 token")
        if telegram.mode not in ("polling", "webhook"):
            problems.append("[telegram] mode 应为 polling 或 webhook")
        elif telegram.mode == "webhook" and not (telegram.webhook_url and telegram.secret_token):
            problems.append("[telegram] webhook 模式需要 webhook_url 和 secret_token")
    if wechat.enabled:
        if wechat.kind not in ("official", "work"):
            problems.append('[wechat] kind 应为 "official" 或 "work"')
        elif missing := missing_settings(wechat):
            problems.append(f"[wechat] 已启用但缺少 {'、'.join(missing)}")
    if not (telegram.enabled or wechat.enabled):
        problems.append("没有启用任何渠道（[telegram] 或 [wechat] enabled = true），干部收不到消息")
    if problems:
        return Finding("config", False, "配置文件有问题：" + "；".join(problems) + "。")
    return Finding("config", True, "配置文件：正常。")


# ---- database ----

def check_database(settings: Settings, wall_clock: Callable[[], float], full: bool = False) -> list[Finding]:
    """Integrity (quick_check, or integrity_check when full), migrations, reminders stuck or failed, the WAL's size.

    Each of these answers on its own: a database a few migrations behind is behind, not damaged."""
    path = Path(settings.database.path)
    if not path.is_file():
        return [Finding("database", False, f"数据库文件不存在：{path}。请检查 [database] path，"
                                           "或先导入花名册（campaign-bot import）或恢复备份（campaign-bot restore）。")]
    now = datetime.fromtimestamp(wall_clock(), timezone.utc)
    try:
        with database_file.read_only(path) as conn:
            verdict = database_file.integrity(conn, full)
    except sqlite3.Error as exc:
        return [Finding("database", False, f"数据库打不开或已损坏（{exc}）。请停止机器人，从备份恢复。")]
    if verdict != "ok":
        return [Finding("database", False, f"数据库已损坏（{verdict}）。请停止机器人，从备份恢复。")]
    findings = [Finding("database", True, f"数据库：{'完整性检查' if full else '快速完整性检查'}通过。")]
    findings.append(_guarded("migrations", "数据库结构", path, _migrations))
    findings += _reminders(path, now)
    findings.append(_wal(path, settings.check.max_wal_mb))
    return findings


def _guarded(item: str, what: str, path: Path, check: Callable[[sqlite3.Connection], Finding]) -> Finding:
    """One check on its own read-only connection; its error becomes its own finding, not the database's."""
    try:
        with database_file.read_only(path) as conn:
            return check(conn)
    except sqlite3.Error as exc:
        return Finding(item, False, f"{what}：检查时出错（{exc}）。请先看上面的数据库和迁移两项。")


def _migrations(conn: sqlite3.Connection) -> Finding:
    from bot.migrations import MIGRATIONS

    known = {version for version, _, _ in MIGRATIONS}
    applied = database_file.applied_migrations(conn)
    if applied - known:
        return Finding("migrations", False, f"数据库的版本（{max(applied)}）比这个程序新：请安装与数据库相符的新版本，"
                                            "不要用旧程序运行它。")
    if missing := sorted(known - applied):
        return Finding("migrations", False, f"数据库还差 {len(missing)} 个迁移（{', '.join(map(str, missing))}）："
                                            "先备份（campaign-bot backup），再启动机器人，启动时会自动迁移。")
    return Finding("migrations", True, f"数据库结构：已是最新（版本 {max(applied)}）。")


def _reminders(path: Path, now: datetime) -> list[Finding]:
    def sending(conn: sqlite3.Connection) -> Finding:
        stuck = database_file.stuck_sending(conn, now - SENDING_LEASE)
        return Finding("reminders_sending", not stuck,
                       f"有 {stuck} 条提醒停在“发送中”超过 {SENDING_LEASE.seconds // 60} 分钟：发送时机器人可能中断了。"
                       "机器人在运行时会把它们记为失败（不会重发）；若机器人没在运行，请启动它。" if stuck
                       else "提醒：没有卡在“发送中”的。")

    def failed(conn: sqlite3.Connection) -> Finding:
        reasons = database_file.failures_since(conn, now - timedelta(days=1))
        total = sum(count for _, count in reasons)
        return Finding("reminders_failed", not total,
                       f"最近一天有 {total} 条提醒发送失败（最多的原因：{reasons[0][0]}）。"
                       "用 campaign-bot reminders status 查看详情。" if total else "提醒：最近一天没有发送失败的。")

    return [_guarded("reminders_sending", "提醒", path, sending), _guarded("reminders_failed", "提醒", path, failed)]


def _wal(path: Path, max_mb: int) -> Finding:
    wal = path.with_name(path.name + "-wal")
    size = wal.stat().st_size if wal.exists() else 0
    if size > max_mb * 1024 * 1024:
        return Finding("wal", False, f"数据库的 WAL 文件有 {size / 1024 / 1024:.0f} MB（上限 {max_mb} MB）："
                                     "有读操作长时间没结束，写入的数据并不回数据库。重启机器人后会缩小；若反复出现请报告。")
    return Finding("wal", True, f"WAL 文件：{size / 1024 / 1024:.1f} MB。")


# ---- files ----

def check_storage(settings: Settings) -> list[Finding]:
    """The photos folder can be written, and the disks of the database and the photos have room."""
    photos = Path(settings.photos.dir)
    findings = []
    existing = nearest_existing(photos)
    try:
        with tempfile.NamedTemporaryFile(dir=existing, prefix=".campaign-bot-check-"):
            pass
        refusal = _owner_cannot_write(existing) if os.geteuid() == 0 else None
    except OSError as exc:
        refusal = os.strerror(exc.errno or 0)
    if refusal:
        findings.append(Finding("photos", False, f"照片文件夹 {photos} 不可写（{refusal}）："
                                                 "干部发来的走访照片存不下。请检查文件夹权限或磁盘。"))
    else:
        as_root = f"；以 root 运行，按文件夹属主 {user_name(existing.stat().st_uid)} 的权限判断" if os.geteuid() == 0 else ""
        findings.append(Finding("photos", True, f"照片文件夹：可写（{photos}{as_root}）。"))
    need = settings.check.min_free_disk_mb
    for place in dict.fromkeys((nearest_existing(Path(settings.database.path).parent), existing)):
        free = shutil.disk_usage(place).free // (1024 * 1024)
        if free < need:
            findings.append(Finding("disk", False, f"{place} 所在磁盘只剩 {free} MB（至少要 {need} MB）："
                                                   "请清理磁盘或扩容，否则照片和数据会写不进去。"))
            return findings
    findings.append(Finding("disk", True, f"磁盘空间：充足（至少 {need} MB）。"))
    return findings


def _owner_cannot_write(folder: Path) -> str | None:
    """Run as root, every folder is writable: judge it for its owner (the bot's user) instead; None when it may."""
    info = folder.stat()
    if info.st_uid == 0 or (info.st_mode & stat.S_IWUSR and info.st_mode & stat.S_IXUSR):
        return None
    return f"属主 {user_name(info.st_uid)} 没有写权限"


# ---- platforms ----

def check_telegram(settings: Settings, remote: _Remote, wall_clock: Callable[[], float]) -> list[Finding]:
    """getMe (the token works) and getWebhookInfo (what the Bot API delivers to, against our mode)."""
    telegram = settings.telegram
    base = f"{telegram.base_url or TELEGRAM_API}{telegram.token}"
    try:
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            sent = wall_clock()
            me = client.get(f"{base}/getMe")
            remote.note("Telegram", me, sent, wall_clock())
            if me.status_code in (401, 404):
                return [Finding("telegram", False, "Telegram：token 无效（Bot API 不认）。请向 @BotFather 核对 [telegram] token。")]
            username = me.json()["result"]["username"]
            info = client.get(f"{base}/getWebhookInfo").json().get("result") or {}
    except (httpx.HTTPError, ValueError, KeyError, TypeError) as exc:
        return [Finding("telegram", False, f"Telegram：连不上 Bot API（{type(exc).__name__}）。请检查网络、代理或 [telegram] base_url。")]
    return [Finding("telegram", True, f"Telegram：机器人 @{username} 可用。"), _webhook(telegram, info, wall_clock)]


def _webhook(telegram, info: dict, wall_clock: Callable[[], float]) -> Finding:
    url = info.get("url", "")
    if telegram.mode == "webhook" and url != telegram.webhook_url:
        return Finding("telegram_webhook", False,
                       f"Telegram：Bot API 登记的 webhook 是“{url or '（没有）'}”，配置的是“{telegram.webhook_url}”。"
                       "重启机器人会重新登记；若机器人在运行，请检查是否另有程序用同一个 token。")
    if telegram.mode == "polling" and url:
        return Finding("telegram_webhook", False, f"Telegram：Bot API 还登记着 webhook“{url}”，轮询收不到消息。"
                                                  "请检查是否另有程序用同一个 token 以 webhook 方式运行。")
    error_at = info.get("last_error_date")
    if telegram.mode == "webhook" and error_at and wall_clock() - error_at < 3600:
        return Finding("telegram_webhook", False,
                       f"Telegram：最近一小时推送 webhook 失败：{info.get('last_error_message', '')}。"
                       "请检查 nginx 转发和 HTTPS 证书。")
    pending = info.get("pending_update_count", 0)
    return Finding("telegram_webhook", True, f"Telegram：{'webhook 已登记' if url else '轮询模式'}，待取消息 {pending} 条。")


def check_wechat(settings: Settings, remote: _Remote, wall_clock: Callable[[], float]) -> Finding:
    """Fetches a fresh access token with the configured credentials (the cached one in the database is not used)."""
    from bot.channels.wechat.api import WeChatApi, WeChatApiError, api_root
    from bot.db import open_db

    async def fetch() -> None:
        scratch = open_db(":memory:")  # an empty token cache: the fetch really goes to WeChat
        api = WeChatApi(settings.wechat, scratch)
        try:
            await api.access_token()
        finally:
            await api.close()
            scratch.close()

    try:
        asyncio.run(fetch())
    except WeChatApiError as exc:
        return Finding("wechat", False, f"微信：取 access_token 失败——{exc.meaning}。请核对 [wechat] 的 "
                                        f"{'corp_id、secret' if settings.wechat.kind == 'work' else 'app_id、secret'}"
                                        "，以及服务器 IP 是否在白名单里。")
    with contextlib.suppress(httpx.HTTPError):  # any answer of WeChat's server carries its time
        with httpx.Client(timeout=HTTP_TIMEOUT) as client:
            sent = wall_clock()
            remote.note("微信", client.get(f"{api_root(settings.wechat)}/cgi-bin/getcallbackip"), sent, wall_clock())
    return Finding("wechat", True, f"微信（{'企业微信' if settings.wechat.kind == 'work' else '公众号'}）：access_token 取得正常。")


def check_clock(settings: Settings, remote: _Remote, wall_clock: Callable[[], float]) -> Finding:
    """Our clock against the time a platform's server gave; the configured zone's offset shown for a glance."""
    try:
        local = datetime.fromtimestamp(wall_clock(), ZoneInfo(settings.timezone))
        shown = f"{local:%Y-%m-%d %H:%M} {settings.timezone}（UTC{local:%z}）"
    except (ZoneInfoNotFoundError, ValueError):
        shown = "时区无效"
    if remote.skew is None:
        return Finding("clock", True, f"时钟：现在是 {shown}；没有可对时的渠道，未与服务器核对。")
    skew = remote.skew
    if abs(skew) > MAX_CLOCK_SKEW:
        return Finding("clock", False, f"时钟：本机比{remote.source}服务器{'快' if skew > 0 else '慢'} {abs(skew):.0f} 秒。"
                                       "请开启自动校时（timedatectl set-ntp true），否则微信会拒收回调、提醒时间会错。")
    return Finding("clock", True, f"时钟：现在是 {shown}，与{remote.source}服务器相差 {abs(skew):.0f} 秒。")


# ---- output ----

def report_lines(findings: list[Finding]) -> str:
    """The findings as Chinese lines, problems marked, with a closing verdict."""
    lines = [f"{'✓' if f.ok else '✗'} {f.message}" for f in findings]
    problems = sum(not f.ok for f in findings)
    lines.append("全部正常。" if not problems else f"发现 {problems} 个问题，见标 ✗ 的行。")
    return "\n".join(lines)


def report_json(findings: list[Finding]) -> dict:
    """The findings for machines: ok overall, and each check."""
    return {"ok": all(f.ok for f in findings), "checks": [asdict(f) for f in findings]}
