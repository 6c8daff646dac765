"""`campaign-bot check`: all well against the fake Bot API and fake WeChat API gives exit 0; each broken thing it
checks, broken alone, fails that check only, with exit 1 and a Chinese line saying what to do."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import re
import shutil
import sqlite3
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.health_check import run_checks
from tests.fakes.wechat_api import APP_ID, APP_SECRET, AES_KEY, CALLBACK_TOKEN


def toml(sections: dict) -> str:
    """A config file's text from {section: {key: value}}."""
    lines = []
    for section, values in sections.items():
        lines.append(f"[{section}]")
        for key, value in values.items():
            lines.append(f"{key} = {json.dumps(value, ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


class Deployment:
    """A config for the roster's database with Telegram and the WeChat Official Account pointed at the fakes."""

    def __init__(self, settings, bot_api, wechat_api, folder: Path):
        self.folder = folder
        self.sections = {
            "database": {"path": settings.database.path}, "photos": {"dir": settings.photos.dir},
            "telegram": {"enabled": True, "token": bot_api.token, "base_url": bot_api.base_url,
                         "base_file_url": bot_api.base_file_url},
            "wechat": {"enabled": True, "kind": "official", "app_id": APP_ID, "secret": APP_SECRET,
                       "token": CALLBACK_TOKEN, "encoding_aes_key": AES_KEY, "api_base_url": wechat_api.url},
        }

    def set(self, section: str, **values) -> Deployment:
        self.sections.setdefault(section, {}).update(values)
        return self

    def write(self) -> Path:
        path = self.folder / "config.toml"
        path.write_text(toml(self.sections), encoding="utf-8")
        return path

    async def check(self) -> tuple[int, set[str], dict]:
        """Runs `campaign-bot check --json` (in a thread: it runs its own event loop); exit code, failed items, report."""
        result = await asyncio.to_thread(CliRunner().invoke, cli, ["check", "--config", str(self.write()), "--json"])
        report = json.loads(result.output)
        return result.exit_code, {c["item"] for c in report["checks"] if not c["ok"]}, report

    async def fails_only(self, item: str, words: str) -> None:
        """Asserts the check fails with exit 1, on this item alone, with these words in its line."""
        code, failed, report = await self.check()
        assert (code, failed) == (1, {item}), report
        [line] = [c["message"] for c in report["checks"] if c["item"] == item]
        assert words in line, line


@pytest.fixture
def deployment(roster, settings, fake_bot_api, fake_wechat_api, tmp_path) -> Deployment:
    Path(settings.photos.dir).mkdir(parents=True, exist_ok=True)
    return Deployment(settings, fake_bot_api, fake_wechat_api, tmp_path)


async def test_all_well_exits_zero_with_plain_lines(deployment):
    code, failed, report = await deployment.check()
    assert (code, failed) == (0, set()), report
    items = [c["item"] for c in report["checks"]]
    assert items == ["config", "database", "migrations", "reminders_sending", "reminders_failed", "wal", "photos",
                     "disk", "telegram", "telegram_webhook", "wechat", "clock"]
    plain = await asyncio.to_thread(CliRunner().invoke, cli, ["check", "--config", str(deployment.write())])
    assert plain.exit_code == 0 and plain.output.splitlines()[-1] == "全部正常。"
    assert "机器人 @" in plain.output and "与Telegram服务器相差" in plain.output


async def test_a_config_that_does_not_parse(deployment, tmp_path):
    config = tmp_path / "broken.toml"
    config.write_text("[database\npath = 'x'\n", encoding="utf-8")
    result = await asyncio.to_thread(CliRunner().invoke, cli, ["check", "--config", str(config)])
    assert result.exit_code == 1 and result.output.startswith("✗ 配置文件读不了")


@pytest.mark.parametrize("section, values, words", [
    ("__root__", {"timezone": "Asia/Gannan"}, "不是时区名"),
    ("reminders", {"send_time": "9点"}, "send_time"),
    ("logging", {"format": "xml"}, "[logging] format"),
    ("telegram", {"mode": "webhook"}, "webhook_url 和 secret_token"),
    ("wechat", {"app_id": ""}, "缺少 app_id"),
], ids=["time zone", "time of day", "log format", "webhook without url", "missing credential"])
async def test_config_values_are_judged(deployment, section, values, words):
    if section == "__root__":  # top-level keys go before every table
        deployment.sections = {"": {}, **deployment.sections}
        deployment.write = lambda: _with_top_level(deployment, values)
    else:
        deployment.set(section, **values)
    code, failed, report = await deployment.check()
    assert code == 1 and "config" in failed
    assert words in report["checks"][0]["message"]


def _with_top_level(deployment: Deployment, values: dict) -> Path:
    path = deployment.folder / "config.toml"
    top = "".join(f"{k} = {json.dumps(v)}\n" for k, v in values.items())
    path.write_text(top + toml({k: v for k, v in deployment.sections.items() if k}), encoding="utf-8")
    return path


async def test_missing_database(deployment, tmp_path):
    await deployment.set("database", path=str(tmp_path / "nowhere.db")).fails_only("database", "数据库文件不存在")


async def test_damaged_database(deployment, roster, tmp_path):
    damaged = tmp_path / "damaged.db"
    with contextlib.closing(sqlite3.connect(damaged)) as copy:
        roster.db.conn.backup(copy)
        copy.execute("PRAGMA journal_mode = DELETE")
    data = bytearray(damaged.read_bytes())
    page = 4096
    data[3 * page + 16: 4 * page] = bytes(len(data[3 * page + 16: 4 * page]))  # a table's page wiped
    damaged.write_bytes(bytes(data))
    await deployment.set("database", path=str(damaged)).fails_only("database", "损坏")


async def test_migrations_behind(deployment, roster):
    roster.db.execute("DELETE FROM schema_migrations WHERE version = (SELECT MAX(version) FROM schema_migrations)")
    await deployment.fails_only("migrations", "启动时会自动迁移")


async def test_wal_too_large(deployment, roster):
    roster.db.execute("UPDATE households SET notes = 'x'")  # the open connection keeps its WAL
    assert Path(roster.settings.database.path + "-wal").stat().st_size > 0
    await deployment.set("check", max_wal_mb=0).fails_only("wal", "WAL")


async def test_photos_folder_not_writable(deployment, read_only_dir):
    deployment.set("check", min_free_disk_mb=0)  # the read-only folder may be a tiny tmpfs: its size is not the point
    await deployment.set("photos", dir=str(read_only_dir)).fails_only("photos", "不可写")


async def test_disk_nearly_full(deployment):
    free = shutil.disk_usage(deployment.folder).free // (1024 * 1024)
    await deployment.set("check", min_free_disk_mb=free + 10_000).fails_only("disk", "磁盘只剩")


async def test_telegram_token_refused(deployment):
    await deployment.set("telegram", token="123456:not-the-token").fails_only("telegram", "token 无效")


async def test_telegram_unreachable(deployment):
    await deployment.set("telegram", base_url="http://127.0.0.1:9/bot").fails_only("telegram", "连不上 Bot API")


async def test_webhook_not_registered(deployment):
    deployment.set("telegram", mode="webhook", webhook_url="https://bot.example.org/telegram", secret_token="s3cret")
    await deployment.fails_only("telegram_webhook", "（没有）")


async def test_webhook_left_behind_while_polling(deployment, fake_bot_api):
    fake_bot_api.webhook["url"] = "https://old.example.org/telegram"
    await deployment.fails_only("telegram_webhook", "轮询收不到消息")


async def test_webhook_deliveries_failing(deployment, fake_bot_api):
    url = "https://bot.example.org/telegram"
    deployment.set("telegram", mode="webhook", webhook_url=url, secret_token="s3cret")
    fake_bot_api.webhook.update(url=url, last_error_date=int(time.time()) - 60,
                                last_error_message="SSL error {error:0A000086:SSL routines::certificate verify failed}")
    await deployment.fails_only("telegram_webhook", "certificate verify failed")


async def test_wechat_secret_refused(deployment):
    await deployment.set("wechat", secret="wrong-secret").fails_only("wechat", "access_token 失败")


async def test_clock_off(deployment):
    findings = await asyncio.to_thread(run_checks, deployment.write(), lambda: time.time() + 600)
    assert [f.item for f in findings if not f.ok] == ["clock"]
    # the Date header has whole seconds and a loaded machine may take a second to answer: 600 give or take one
    skew = re.search(r"本机比Telegram服务器快 (\d+) 秒", findings[-1].message)
    assert skew and abs(int(skew.group(1)) - 600) <= 1, findings[-1].message


def delivery(roster, key: str, status: str, claimed: datetime, error: str | None = None) -> None:
    iso = claimed.isoformat(timespec="seconds")
    roster.db.execute("INSERT INTO deliveries (reminder_key, kind, cadre_id, channel, chat_id, due_at, text, status, "
                      "last_error, created_at, claimed_at) VALUES (?, 'deadline', 'C1', 'console', 'C1', ?, 't', ?, ?, "
                      "?, ?)", (key, iso, status, error, iso, iso))


async def test_reminder_stuck_in_sending(deployment, roster):
    now = datetime.now(timezone.utc)
    delivery(roster, "deadline:a:1d", "sending", now - timedelta(minutes=1))  # being sent right now: fine
    delivery(roster, "deadline:b:1d", "sending", now - timedelta(hours=1))
    await deployment.fails_only("reminders_sending", "有 1 条提醒停在“发送中”")


async def test_reminders_failed_in_the_last_day(deployment, roster):
    now = datetime.now(timezone.utc)
    delivery(roster, "deadline:old:1d", "failed", now - timedelta(days=3), "很久以前")  # older than a day: fine
    delivery(roster, "deadline:a:1d", "failed", now - timedelta(hours=2), "Forbidden: bot was blocked")
    delivery(roster, "deadline:b:1d", "failed", now - timedelta(hours=3), "Forbidden: bot was blocked")
    await deployment.fails_only("reminders_failed", "最近一天有 2 条提醒发送失败（最多的原因：Forbidden: bot was blocked）")


async def test_a_database_far_behind_is_behind_not_damaged(deployment, tmp_path):
    import sqlite_utils

    from bot.migrations import MIGRATIONS

    old = sqlite_utils.Database(tmp_path / "old.db")
    old.execute("CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT, applied_at TEXT)")
    version, name, apply = sorted(MIGRATIONS)[0]
    apply(old)
    old.execute("INSERT INTO schema_migrations (version, name) VALUES (?, ?)", (version, name))
    old.close()
    code, failed, report = await deployment.set("database", path=str(tmp_path / "old.db")).check()
    assert code == 1 and "migrations" in failed and "database" not in failed, report
    [database] = [c["message"] for c in report["checks"] if c["item"] == "database"]
    assert "通过" in database


@pytest.mark.parametrize("flags, words", [([], "快速完整性检查通过"), (["--full"], "数据库：完整性检查通过")],
                         ids=["quick by default", "full when asked"])
async def test_the_integrity_check_is_quick_unless_full(deployment, flags, words):
    result = await asyncio.to_thread(CliRunner().invoke, cli,
                                     ["check", "--config", str(deployment.write()), "--json", *flags])
    [database] = [c["message"] for c in json.loads(result.output)["checks"] if c["item"] == "database"]
    assert words in database


@pytest.mark.skipif(os.geteuid() != 0, reason="judging for the folder's owner is what root needs")
async def test_as_root_the_photos_folder_is_judged_for_its_owner(deployment, tmp_path):
    folder = tmp_path / "owned-by-nobody"
    folder.mkdir()
    os.chown(folder, 65534, 65534)
    folder.chmod(0o555)  # root could still write here; its owner cannot
    await deployment.set("photos", dir=str(folder)).fails_only("photos", "没有写权限")
