"""Reading a TOML file the user edits, with errors that name the file in Chinese."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any


def read_toml(path: str | Path, error: type[Exception], noun: str) -> dict[str, Any]:
    """Parses the TOML file at path; a missing or malformed file raises `error` naming the noun (e.g. 配置文件)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError as exc:
        raise error(f"找不到{noun}：{path}") from exc
    except IsADirectoryError as exc:
        raise error(f"{noun}路径是一个文件夹：{path}") from exc
    except UnicodeDecodeError as exc:
        raise error(f"{noun}不是 UTF-8 编码（{path}）") from exc
    except tomllib.TOMLDecodeError as exc:
        raise error(f"{noun}格式有误（{path}）：{exc}") from exc
