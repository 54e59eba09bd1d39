"""`calcispine serve` and `calcispine user`: one clear line for a bad setting or a busy port, never a traceback."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcispine.config import Settings, SettingsError

BAD_ENVIRONMENT = [
    ("CALCISPINE_PORT", "abc", "CALCISPINE_PORT='abc': not a whole number"),
    ("CALCISPINE_PORT", "70000", "CALCISPINE_PORT='70000': must be a port number from 1 to 65535"),
    ("CALCISPINE_MAX_UPLOAD_BYTES", "-5", "CALCISPINE_MAX_UPLOAD_BYTES='-5': must be a positive whole number"),
    ("CALCISPINE_MAX_TEXT_CHARS", "0", "CALCISPINE_MAX_TEXT_CHARS='0': must be a positive whole number"),
    ("CALCISPINE_COOKIE_SECURE", "maybe", "CALCISPINE_COOKIE_SECURE='maybe': must be one of auto, true, false"),
]


@pytest.mark.parametrize(("name", "value", "message"), BAD_ENVIRONMENT)
def test_a_bad_environment_setting_is_named_in_one_line(name: str, value: str, message: str) -> None:
    with pytest.raises(SettingsError) as err:
        Settings.from_env({name: value})
    assert str(err.value) == message


def test_an_argument_is_named_by_its_field() -> None:
    with pytest.raises(SettingsError, match=r"^port=0: must be a port number"):
        Settings.from_env({"CALCISPINE_PORT": "8000"}, port=0)
    assert Settings.from_env({"CALCISPINE_PORT": "abc"}, port=9000).port == 9000  # the argument wins


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CALCISPINE_")}
    env.update(CALCISPINE_DATA_DIR=str(tmp_path / "data"), CALCISPINE_CACHE_DIR=str(tmp_path / "cache"),
               COLUMNS="300", **extra)
    return env


def test_serve_on_a_busy_port_says_so_in_one_line(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        run = subprocess.run([sys.executable, "-c", "from calcispine.cli import main; main()", "serve", "--port", str(port)],
                             env=_env(tmp_path), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1
    assert run.stdout == ""  # no "web app on http://..." first
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and f"port {port} on 127.0.0.1 is already in use" in lines[0], run.stderr
    assert "Traceback" not in run.stderr


def test_user_password_sets_a_new_one(tmp_path: Path) -> None:
    from calcispine.cli import _commands as _  # noqa: F401  registers the commands
    from calcispine.cli import app

    db = f"sqlite:///{tmp_path / 'r.sqlite'}"
    runner = CliRunner()
    env = {"CALCISPINE_DATABASE_URL": db, "CALCISPINE_DATA_DIR": str(tmp_path)}
    assert runner.invoke(app, ["user", "add", "ada", "--password-stdin"], input="first password\n", env=env).exit_code == 0
    r = runner.invoke(app, ["user", "password", "ada", "--password-stdin"], input="second password\n", env=env)
    assert r.exit_code == 0, r.output
    assert "password of ada changed" in r.output
    short = runner.invoke(app, ["user", "password", "ada", "--password-stdin"], input="short\n", env=env)
    assert short.exit_code == 1 and "too short" in short.output
    from calcispine.registry import open_registry
    from calcispine.web import AccountStore

    with open_registry(Settings(database_url=db, data_dir=str(tmp_path)), seed=False) as reg:
        store = AccountStore(reg.engine)
        assert store.authenticate("ada", "second password", "127.0.0.1") is not None
        assert store.authenticate("ada", "first password", "127.0.0.2") is None


@pytest.mark.parametrize(("name", "value", "message"), BAD_ENVIRONMENT[:3] + BAD_ENVIRONMENT[4:])
def test_serve_with_a_bad_environment_setting_prints_one_line(tmp_path: Path, name: str, value: str, message: str) -> None:
    run = subprocess.run([sys.executable, "-c", "from calcispine.cli import main; main()", "serve"],
                         env=_env(tmp_path, **{name: value}), capture_output=True, text=True, timeout=120)
    assert run.returncode == 1 and run.stdout == ""
    assert run.stderr.strip() == f"error: {message}", run.stderr
