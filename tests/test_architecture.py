"""The layers hold: adapters own their SDK, handlers and schedules never reach for channels or the runner, the core
never imports handlers or schedules, click lives in the CLI, SQL in the store, and no import cycle anywhere."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SDK_OWNERS = {"telegram": "bot/channels/telegram/", "wechatpy": "bot/channels/wechat/", "click": "bot/cli/"}
# The modules that put the program together: only they may import every layer.
COMPOSERS = ("bot/cli/", "bot/runner.py")
# Where SQL may be written: the store, the database and its migrations; and, until they move to the store, the
# roster import's bulk reads and writes and the dispatcher's claim statements (both being reworked elsewhere).
SQL_PLACES = ("bot/store/", "bot/db.py", "bot/migrations.py", "bot/roster/", "schedules/dispatch.py")
SQL = re.compile(r"""\b(SELECT\s.+\sFROM|INSERT\s+(OR\s+\w+\s+)?INTO|UPDATE\s+\w+\s+SET|DELETE\s+FROM)\b|\.execute(many)?\(""")


def imported_roots(source: str) -> set[str]:
    """The top-level package names a module imports (absolute imports only; relative ones stay in the project)."""
    return {name.split(".")[0] for name in imported_names(source)}


def imported_names(source: str) -> set[str]:
    """The dotted names a module imports (from a.b import c gives a.b and a.b.c), wherever the import stands."""
    names = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) in (
                "__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant):
            names.add(str(node.args[0].value))
    return names


def project_modules() -> list[Path]:
    return sorted(p for folder in ("bot", "handlers", "schedules") for p in (ROOT / folder).rglob("*.py"))


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def importers_of(prefixes: tuple[str, ...]) -> dict[str, set[str]]:
    """Each project module and the names it imports that start with one of prefixes."""
    found = {}
    for path in project_modules():
        hits = {n for n in imported_names(path.read_text(encoding="utf-8"))
                if any(n == p or n.startswith(p + ".") for p in prefixes)}
        if hits:
            found[relative(path)] = hits
    return found


@pytest.mark.parametrize("sdk, owner", SDK_OWNERS.items())
def test_only_the_owner_imports_its_library(sdk, owner):
    importers = [relative(p) for p in project_modules() if sdk in imported_roots(p.read_text(encoding="utf-8"))]
    assert [p for p in importers if not p.startswith(owner)] == []


@pytest.mark.parametrize("layer", ["handlers/", "schedules/"])
def test_handlers_and_schedules_never_import_channels_the_runner_or_the_cli(layer):
    leaks = {m: n for m, n in importers_of(("bot.channels", "bot.runner", "bot.cli")).items() if m.startswith(layer)}
    assert leaks == {}


def test_the_core_never_imports_handlers_or_schedules():
    leaks = {m: n for m, n in importers_of(("handlers", "schedules")).items()
             if m.startswith("bot/") and not m.startswith(COMPOSERS)}
    assert leaks == {}


def test_sql_is_written_only_in_the_store_and_the_bulk_layers():
    writers = [relative(p) for p in project_modules() if SQL.search(p.read_text(encoding="utf-8"))]
    assert [w for w in writers if not w.startswith(SQL_PLACES)] == []


def import_graph() -> dict[str, set[str]]:
    """Project module -> the project modules it imports (a name is resolved to the longest module it names)."""
    modules = {module_name(p): p for p in project_modules()}

    def resolve(name: str) -> str | None:
        while name and name not in modules:
            name = name.rpartition(".")[0]
        return name or None

    graph = {}
    for name, path in modules.items():
        targets = {resolve(n) for n in imported_names(path.read_text(encoding="utf-8"))}
        graph[name] = {t for t in targets if t and t != name}
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that import one another round in a circle (strongly connected, more than one)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            group = []
            while (member := stack.pop()) != node:
                group.append(member)
            if group:
                found.append(sorted(group + [node]))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_cycles():
    assert cycles(import_graph()) == []


@pytest.mark.parametrize("graph, expected", [
    ({"a": {"b"}, "b": {"a"}}, [["a", "b"]]),
    ({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}, [["a", "b", "c"]]),
    ({"a": {"b"}, "b": set()}, []),
], ids=["two modules", "a ring of three", "a line"])
def test_the_cycle_finder_sees_a_cycle(graph, expected):
    assert cycles(graph) == expected


@pytest.mark.parametrize("source, found", [
    ('db.execute("SELECT 1 FROM t")', True),
    ('"INSERT OR IGNORE INTO t VALUES (1)"', True),
    ('"UPDATE bindings SET active = 0"', True),
    ('"请选择要更新的内容"', False),
    ('"select a household from the list"', False),
], ids=["execute", "insert or ignore", "update", "chinese text", "english prose"])
def test_the_sql_scan(source, found):
    assert bool(SQL.search(source)) is found


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
