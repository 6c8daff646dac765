"""Adapters own their SDK: only bot/channels/telegram/ imports `telegram`, only bot/channels/wechat/ `wechatpy`."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDK_OWNERS = {"telegram": "bot/channels/telegram/", "wechatpy": "bot/channels/wechat/"}


def imported_roots(source: str) -> set[str]:
    """The top-level package names a module imports (absolute imports only; relative ones stay in the project)."""
    roots = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            roots.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant):
            roots.add(str(node.args[0].value).split(".")[0])
    return roots


def project_modules() -> list[Path]:
    return sorted(p for folder in ("bot", "handlers", "schedules") for p in (ROOT / folder).rglob("*.py"))


@pytest.mark.parametrize("sdk, owner", SDK_OWNERS.items())
def test_only_the_adapter_imports_its_sdk(sdk, owner):
    importers = [str(p.relative_to(ROOT)) for p in project_modules()
                 if sdk in imported_roots(p.read_text(encoding="utf-8"))]
    assert [p for p in importers if not p.startswith(owner)] == []


@pytest.mark.parametrize("source, found", [
    ("import telegram", {"telegram"}),
    ("from telegram.ext import Application", {"telegram"}),
    ("import telegram.error as e", {"telegram"}),
    ("def f():\n    import wechatpy\n", {"wechatpy"}),
    ("importlib.import_module('telegram.ext')", {"telegram"}),
    ("from . import telegram", set()),
    ("from bot.channels import telegram", {"bot"}),
], ids=["import", "from import", "aliased submodule", "inside a function", "import_module", "relative",
        "our module of the same name"])
def test_the_scan_sees_every_kind_of_import(source, found):
    assert imported_roots(source) == found
