"""Settings from config.toml and POLICYLIB_* variables: a value that cannot be used is named with
where it came from, before anything runs, and the file is left as it was."""

from __future__ import annotations

from pathlib import Path

import pytest

from library.config import ConfigError, load_settings
from tests.ops.support import run_cli


def write(home: Path, text: str) -> Path:
    home.mkdir(parents=True, exist_ok=True)
    path = home / "config.toml"
    path.write_text('secret_key = "k"\n' + text, encoding="utf-8")
    return path


def test_typed_values_are_read(tmp_path: Path) -> None:
    write(tmp_path, 'port = 8080\nworkers = 3\nwithdraw_vanished = true\nsource_folders = ["/a"]\n')
    settings = load_settings(tmp_path)
    assert (settings.port, settings.workers) == (8080, 3)
    assert settings.withdraw_vanished is True and settings.source_folders == ["/a"]


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ('workers = "many"', "workers = 'many' should be a whole number"),
        ("port = 70000", "port = 70000 should be from 1 to 65535"),
        ("workers = -1", "workers = -1 should be from 0 to 1024"),
        ("port = true", "port = True should be a whole number"),
        ('withdraw_vanished = "yes"', "should be true or false"),
        ('source_folders = "/srv/docs"', "should be a list of strings"),
        ("host = 8", "host = 8 should be a string"),
        ('search_backend = "solr"', "unknown search_backend 'solr'"),
    ],
)
def test_a_bad_value_in_the_file_is_named_and_the_file_kept(
    tmp_path: Path, line: str, said: str
) -> None:
    path = write(tmp_path, line + "\n")
    before = path.read_bytes()
    with pytest.raises(ConfigError) as err:
        load_settings(tmp_path)
    assert said in str(err.value)
    assert path.read_bytes() == before


def test_a_bad_variable_is_named(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, "")
    monkeypatch.setenv("POLICYLIB_PORT", "eighty")
    with pytest.raises(ConfigError, match="POLICYLIB_PORT='eighty' is not a whole number"):
        load_settings(tmp_path)
    monkeypatch.setenv("POLICYLIB_PORT", "0")
    with pytest.raises(ConfigError, match="POLICYLIB_PORT: port = 0 should be from 1"):
        load_settings(tmp_path)


def test_a_file_that_is_not_toml_is_named(tmp_path: Path) -> None:
    path = write(tmp_path, "port = \n")
    with pytest.raises(ConfigError, match=r"config\.toml is not valid TOML .*line 2"):
        load_settings(tmp_path)
    assert path.read_text(encoding="utf-8") == 'secret_key = "k"\nport = \n'


def test_the_command_line_says_it_in_one_line(tmp_path: Path) -> None:
    write(tmp_path, 'workers = "many"\n')
    result = run_cli(tmp_path, "search", "工伤")
    assert result.returncode == 1
    assert "配置错误 / configuration error" in result.stderr and "workers" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_said_without_a_traceback(tmp_path: Path) -> None:
    write(tmp_path, "")
    url = "postgresql+psycopg://nobody@127.0.0.1:1/none"
    result = run_cli(tmp_path, "search", "工伤", POLICYLIB_DATABASE_URL=url)
    assert result.returncode == 1
    assert "数据库错误 / database error" in result.stderr and "database_url" in result.stderr
    assert "Traceback" not in result.stderr
