"""campaign-bot demo: the shipped roster loads, the first line says where the clock is, and every run starts fresh."""

from click.testing import CliRunner

from bot.cli import cli
from bot.demo import DEMO_DIR


def test_demo_runs_from_scratch_twice(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    script = f"我的联系户\n/photo {DEMO_DIR / 'visit.jpg'} 入户\n1\n"
    for _ in range(2):  # the second run must not find the first run's visit
        result = CliRunner().invoke(cli, ["demo"], input=script, catch_exceptions=False)
        assert result.exit_code == 0
        first = result.output.splitlines()[0]
        assert "演示模式" in first and "2010-05-12 09:00" in first and "第1阶段" in first
        assert "您的联系户共 4 户" in result.output and "已记录走访" in result.output
        assert "已经提交过" not in result.output
    assert (tmp_path / "data" / "demo.db").exists()


def test_demo_with_other_moment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--now", "2012-08-01T10:00"], input="", catch_exceptions=False)
    assert "2012-08-01 10:00" in result.output and "不在已写明的阶段内" in result.output


def test_demo_bad_moment(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["demo", "--now", "soon"], input="")
    assert result.exit_code == 2 and "不是 ISO 时间" in result.output


def test_demo_takes_the_configs_campaign_but_keeps_its_own_database(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config.toml").write_text('[database]\npath = "real.db"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["demo", "--config", "config.toml"], input="我的联系户\n", catch_exceptions=False)
    assert result.exit_code == 0 and "您的联系户共 4 户" in result.output
    assert (tmp_path / "data" / "demo.db").exists() and not (tmp_path / "real.db").exists()
