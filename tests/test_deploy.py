"""The files under deploy/ stay true: the commands the systemd unit and the cron line run parse as campaign-bot
commands, and nginx forwards the paths the bot serves by default to the address it listens on."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import click
import pytest

from bot.cli import cli
from bot.config import Settings

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"


def command_args(line: str) -> list[str]:
    """The arguments after the campaign-bot executable in a command line."""
    words = shlex.split(line)
    start = next(i for i, word in enumerate(words) if word.endswith("/campaign-bot"))
    return words[start + 1:]


def parses(args: list[str]) -> str:
    """The subcommand's name, once click has parsed the whole line (a wrong option raises UsageError)."""
    name, *rest = args
    cli.commands[name].make_context(name, rest)
    return name


def test_the_service_runs_the_bot():
    unit = (DEPLOY / "campaign-bot.service").read_text(encoding="utf-8")
    [exec_start] = re.findall(r"^ExecStart=(.+)$", unit, re.M)
    assert parses(command_args(exec_start)) == "run"


def test_the_cron_line_backs_up_into_a_folder_the_service_may_write():
    cron = (DEPLOY / "campaign-bot.cron").read_text(encoding="utf-8")
    [line] = [line for line in cron.splitlines() if line and not line.startswith(("#", "MAILTO"))]
    args = command_args(line)
    assert parses(args) == "backup"
    out = args[args.index("--out") + 1]
    unit = (DEPLOY / "campaign-bot.service").read_text(encoding="utf-8")
    assert out in re.search(r"^ReadWritePaths=(.+)$", unit, re.M).group(1).split()


def test_a_wrong_option_would_be_caught():
    with pytest.raises(click.UsageError):
        parses(["backup", "--into", "/tmp/x"])


def test_nginx_forwards_the_default_paths_to_the_server():
    site = (DEPLOY / "nginx-campaign-bot.conf").read_text(encoding="utf-8")
    defaults = Settings()
    assert f"server {defaults.server.host}:{defaults.server.port};" in site
    for path in (defaults.wechat.path, "/telegram", "/console"):
        block = re.search(rf"location (?:= )?{re.escape(path)} \{{(.*?)\}}", site, re.S)
        assert block and "proxy_pass http://campaign_bot;" in block.group(1), path
    assert re.search(r"location / \{\s*return 404;", site)  # /metrics and /readyz are not public
