"""Reading the configuration: defaults, overrides, and clear refusals."""

import pytest

from bot.config import ConfigError, Settings, load_settings


def write(tmp_path, text):
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_no_file_gives_defaults():
    assert load_settings(None) == Settings()


def test_file_overrides_only_what_it_names(tmp_path):
    s = load_settings(write(tmp_path, 'timezone = "UTC"\n[database]\npath = "x.db"\n[reminders]\noffsets_days = [2]\n'))
    assert (s.timezone, s.database.path, s.reminders.offsets_days) == ("UTC", "x.db", (2,))
    assert s.photos == Settings().photos


@pytest.mark.parametrize("text, message", [
    ("[databse]\npath = 'x'\n", "配置项未知：databse"),
    ("[database]\npaht = 'x'\n", "配置项未知：database.paht"),
    ("[server]\nport = 'eighty'\n", "server.port 应为整数"),
    ("[telegram]\nenabled = 'yes'\n", "telegram.enabled 应为 true 或 false"),
    ("database = 3\n", "[database] 应当是一节"),
    ("[server\n", "配置文件格式有误"),
], ids=["unknown-section", "unknown-key", "bad-int", "bad-bool", "not-a-table", "bad-toml"])
def test_bad_config_is_refused_clearly(tmp_path, text, message):
    with pytest.raises(ConfigError, match=message.replace("[", r"\[").replace("]", r"\]")):
        load_settings(write(tmp_path, text))


def test_missing_file(tmp_path):
    with pytest.raises(ConfigError, match="找不到配置文件"):
        load_settings(tmp_path / "nope.toml")


def test_secrets_are_not_in_repr():
    s = Settings().__class__(telegram=Settings().telegram.__class__(token="123:SECRET"))
    assert "SECRET" not in repr(s)
