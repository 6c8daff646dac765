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


def test_demo_web_serves_the_console_and_prints_a_working_link(tmp_path):
    """`campaign-bot demo --web` as a user runs it: a process that prints a link, which logs in to 概览."""
    import re
    import socket
    import subprocess
    import sys
    import time

    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    process = subprocess.Popen([sys.executable, "-m", "bot", "demo", "--web", "--port", str(port)], cwd=tmp_path,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, encoding="utf-8")
    try:
        lines = [process.stdout.readline() for _ in range(3)]
        link = re.search(r"http://127\.0\.0\.1:\d+/console/login\?t=\S+", "".join(lines)).group(0)
        with httpx.Client(timeout=10) as client:
            for _ in range(100):  # the server starts listening just after printing
                try:
                    client.get(f"http://127.0.0.1:{port}/healthz")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            login = client.post(link.split("?")[0], data={"t": link.split("?t=")[1]})
            assert login.status_code == 303
            overview = client.get(f"http://127.0.0.1:{port}/console/")
        assert overview.status_code == 200 and "赵六" in overview.text and "67%" in overview.text
    finally:
        process.terminate()
        process.wait(timeout=10)
