"""The docs tell the truth: every config key is in config.example.toml, every command has help with an example,
and the README starts with the two commands."""

import re
import tomllib
from pathlib import Path

import click
import pytest

from bot.cli import cli
from bot.config import iter_keys

ROOT = Path(__file__).parent.parent


def example_keys(table, prefix=""):
    for key, value in table.items():
        if isinstance(value, dict):
            yield from example_keys(value, f"{prefix}{key}.")
        else:
            yield f"{prefix}{key}"


def test_every_config_key_is_in_the_example():
    with open(ROOT / "config.example.toml", "rb") as fh:
        documented = set(example_keys(tomllib.load(fh)))
    assert documented == set(iter_keys())


def test_every_example_key_has_a_comment():
    lines = (ROOT / "config.example.toml").read_text(encoding="utf-8").splitlines()
    for n, line in enumerate(lines):
        if re.match(r"^[a-z_]+ = ", line) and not lines[n - 1].startswith("#"):
            # keys that share one comment line sit right below another key
            assert re.match(r"^[a-z_]+ = ", lines[n - 1]), f"no comment above: {line}"


def all_commands(group=cli, prefix=""):
    for name, command in group.commands.items():
        if isinstance(command, click.Group):
            yield from all_commands(command, f"{prefix}{name} ")
        else:
            yield f"{prefix}{name}", command


@pytest.mark.parametrize("name, command", list(all_commands()), ids=[n for n, _ in all_commands()])
def test_every_command_has_help_with_an_example(name, command):
    assert command.help and "例：" in command.help, name
    assert "campaign-bot " + name.split()[0] in command.help


@pytest.mark.parametrize("name, command", list(all_commands()), ids=[n for n, _ in all_commands()])
def test_every_command_takes_config(name, command):
    assert "--config" in {opt for param in command.params for opt in getattr(param, "opts", [])}, name


def test_readme_starts_with_the_two_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert blocks and "make demo" in blocks[0] and "make test" in blocks[0]
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci


def test_readme_names_every_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, _ in all_commands():
        assert f"campaign-bot {name}" in readme, name
