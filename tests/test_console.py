"""The console channel through the real CLI: a piped chat, one-shot ask, photos from a path, and clear errors."""

import json
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from bot.cli import cli
from bot.db import open_db
from tests.conftest import insert_roster, jpeg


@pytest.fixture
def config(tmp_path):
    """A config file on a fresh database holding the small roster."""
    path = tmp_path / "config.toml"
    path.write_text(f'[database]\npath = "{tmp_path / "bot.db"}"\n[photos]\ndir = "{tmp_path / "photos"}"\n',
                    encoding="utf-8")
    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    db.close()
    return path


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input, catch_exceptions=False)


def test_piped_chat_answers_every_line(config):
    result = run("chat", "--as", "C1", "--config", str(config), "--now", "2010-05-12T09:00",
                 input="我的联系户\n\n我的结对\n")
    assert result.exit_code == 0
    assert "您的联系户共 3 户" in result.output and "您本人的结对" in result.output


def test_photo_from_a_path_then_numbered_choice(config, tmp_path):
    picture = tmp_path / "走访 1.jpg"
    picture.write_bytes(jpeg())
    result = run("chat", "--as", "C1", "--config", str(config), "--now", "2010-05-12T09:00",
                 input=f'/photo "{picture}" 送春联\n3\n我的走访\n')
    assert "  3. 示例户三（西村）" in result.output and "（回复数字选择）" in result.output
    assert "已记录走访" in result.output and "示例户三（西村），照片 1 张；送春联" in result.output


@pytest.mark.parametrize("line, expected", [
    ("/photo /no/such/file.jpg", "读不到文件"),
    ("/photo", "用法：/photo"),
    ("/location north", "用法：/location"),
], ids=["missing-file", "no-path", "bad-location"])
def test_console_line_errors_are_explained(config, line, expected):
    result = run("chat", "--as", "C1", "--config", str(config), input=line + "\n")
    assert result.exit_code == 0 and expected in result.output


@pytest.mark.parametrize("make_path, expected", [
    (lambda tmp: "/dev/zero", "不是普通文件"),
    (lambda tmp: str(tmp), "不是普通文件"),
    (lambda tmp: _fifo(tmp / "pipe"), "不是普通文件"),
    (lambda tmp: _sparse(tmp / "huge.jpg", 11 * 1024 * 1024), "照片太大"),
], ids=["dev-zero", "directory", "fifo", "over-the-limit"])
def test_photo_refuses_what_it_must_not_read_whole(config, tmp_path, make_path, expected):
    result = run("chat", "--as", "C2", "--config", str(config), input=f"/photo {make_path(tmp_path)}\n我的走访\n")
    assert result.exit_code == 0 and expected in result.output
    assert "还没有上报过走访" in result.output


def _fifo(path):
    import os

    os.mkfifo(path)  # nobody writes to it: reading it would wait for ever
    return str(path)


def _sparse(path, size):
    with open(path, "wb") as file:
        file.truncate(size)
    return str(path)


@pytest.mark.parametrize("point", ["1000 -1000", "nan nan", "inf 103", "35 -inf"])
def test_an_impossible_location_is_refused_and_not_stored(config, tmp_path, point):
    picture = tmp_path / "visit.jpg"
    picture.write_bytes(jpeg())
    result = run("chat", "--as", "C2", "--config", str(config), "--now", "2010-05-12T09:00",
                 input=f"/photo {picture}\n/location {point}\n")
    assert "已记录走访" in result.output and "这个位置不存在" in result.output
    db = open_db(tmp_path / "bot.db")
    assert db.execute("SELECT latitude, longitude FROM visits").fetchall() == [(None, None)]
    db.close()


def test_unknown_cadre_is_a_clear_error(config):
    result = run("chat", "--as", "NOBODY", "--config", str(config), input="")
    assert result.exit_code == 1 and "找不到干部编号“NOBODY”" in result.output


def test_ask_prints_one_reply(config):
    result = run("ask", "我的联系户", "--as", "C2", "--config", str(config))
    assert result.exit_code == 0 and "示例户四" in result.output


def test_ask_as_visitor_gets_no_personal_data(config):
    result = run("ask", "我的联系户", "--config", str(config))
    assert "绑定" in result.output and "示例户" not in result.output


def test_ask_batch_prints_json_lines(config, tmp_path):
    questions = tmp_path / "q.txt"
    questions.write_text("现在是哪个阶段\n\n下一个截止日期\n", encoding="utf-8")
    result = run("ask", "--batch", str(questions), "--config", str(config), "--now", "2010-05-12T09:00")
    records = [json.loads(line) for line in result.output.splitlines()]
    assert [r["question"] for r in records] == ["现在是哪个阶段", "下一个截止日期"]
    assert all({"answer", "intent", "confidence"} <= set(r) for r in records)
    assert "第一阶段" in records[0]["answer"] or "第1阶段" in records[0]["answer"]


def test_ask_needs_text_or_batch(config):
    assert run("ask", "--config", str(config)).exit_code == 2


def test_bad_now_is_refused(config):
    result = run("ask", "hi", "--now", "yesterday", "--config", str(config))
    assert result.exit_code == 2 and "不是 ISO 时间" in result.output


def test_bad_config_is_refused(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[nope]\n", encoding="utf-8")
    result = run("ask", "hi", "--config", str(bad))
    assert result.exit_code == 1 and "配置项未知：nope" in result.output


def test_chat_as_a_cadre_leaves_no_binding_for_reports_or_reminders(config, tmp_path):
    from bot.store.progress import cadre_progress

    result = run("chat", "--as", "C1", "--config", str(config), "--now", "2010-05-12T09:00", input="我的联系户\n")
    assert "您的联系户共 3 户" in result.output  # acted as C1 ...
    asked = run("ask", "我的联系户", "--as", "C2", "--config", str(config), "--now", "2010-05-12T09:00")
    assert "示例户四" in asked.output
    db = open_db(tmp_path / "bot.db")
    assert db.execute("SELECT COUNT(*) FROM bindings").fetchone()[0] == 0  # ... without binding anyone
    progress = cadre_progress(db, None, datetime(2010, 7, 1, tzinfo=timezone.utc), 30)
    assert {r.cadre_id: r.bound for r in progress} == {"C1": False, "C2": False}
    db.close()
    preview = run("reminders", "preview", "--config", str(config), "--now", "2010-07-05T09:00")
    unbound = next(line for line in preview.output.splitlines() if line.startswith("未绑定"))
    assert "没有要发送的提醒" in preview.output and "测试干部甲（C1）" in unbound and "测试干部乙（C2）" in unbound


def test_an_old_rehearsal_binding_is_dropped_by_the_migration(tmp_path):
    from bot.migrations import _v63_no_rehearsal_bindings

    db = open_db(tmp_path / "bot.db")
    insert_roster(db)
    db.execute("INSERT INTO bindings (channel, chat_id, user_id, cadre_id, bound_at) VALUES "
               "('console', 'C1', 'C1', 'C1', '2010-05-01T00:00:00+00:00'), "
               "('telegram', '7001', '7001', 'C2', '2010-05-01T00:00:00+00:00')")
    _v63_no_rehearsal_bindings(db)
    assert [tuple(r) for r in db.execute("SELECT channel, cadre_id FROM bindings")] == [("telegram", "C2")]
    db.close()
