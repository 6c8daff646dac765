"""campaign-bot notify: a thin layer over the notice library; the same checks as in chat, before anything is sent."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.db import open_db
from tests.conftest import insert_roster


@pytest.fixture
def config(tmp_path):
    """A database with the small roster and an office administrator C7."""
    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    db["cadres"].insert({"id": "C7", "name": "活动办老王", "unit_id": "U00", "role": "活动办管理员"})
    db.close()
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n', encoding="utf-8")
    return path


def rows(config, sql):
    db = open_db(config.parent / "bot.db")
    try:
        return db.execute(sql).fetchall()
    finally:
        db.close()


def test_notify_a_unit_plans_one_delivery_per_cadre_below_it(config):
    result = CliRunner().invoke(cli, ["notify", "--unit", "U01", "--text", "周五前上报走访情况", "--yes",
                                      "--config", str(config), "--now", "2010-05-12T09:00"])
    assert result.exit_code == 0, result.output
    assert "将发给 3 名干部" in result.output  # C1, C2 and the county's administrator C3; not the sender
    assert sorted(r[0] for r in rows(config, "SELECT cadre_id FROM deliveries WHERE kind = 'notice'")) == \
        ["C1", "C2", "C3"]


def test_notify_from_a_file_can_be_cancelled_at_the_question(config, tmp_path):
    text = tmp_path / "通知.txt"
    text.write_text("明天上午九点开会", encoding="utf-8")
    result = CliRunner().invoke(cli, ["notify", "--file", str(text), "--config", str(config)], input="n\n")
    assert "已取消" in result.output
    assert rows(config, "SELECT status FROM notices") == [("cancelled",)]
    assert rows(config, "SELECT COUNT(*) FROM notice_receipts") == [(0,)]


@pytest.mark.parametrize("args, message", [
    (["--text", ""], "通知内容是空的"),
    (["--text", "通" * 1001], "通知太长"),
    (["--unit", "U99", "--text", "开会"], "找不到单位编号"),
    (["--unit", "U02", "--text", "开会", "--from", "C3"], "不在 C3 管理的范围内"),
    (["--text", "开会", "--file", "{file}"], "--text 或 --file"),
], ids=["empty", "oversized", "unknown-unit", "outside-sender-scope", "both"])
def test_notify_refuses_bad_input_before_anything_is_written(config, args, message, tmp_path):
    (tmp_path / "x.txt").write_text("x", encoding="utf-8")
    args = [a.format(file=tmp_path / "x.txt") for a in args]
    result = CliRunner().invoke(cli, ["notify", *args, "--yes", "--config", str(config)])
    assert result.exit_code != 0 and message in result.output
    assert rows(config, "SELECT COUNT(*) FROM notices") == [(0,)]
