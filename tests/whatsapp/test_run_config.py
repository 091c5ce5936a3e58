"""``run`` and the ``[whatsapp]`` section: an incomplete one stops start-up with one line naming
the key; without a Telegram token and without ``[whatsapp]`` there is nothing to run."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from kla_bot.cli import main
from tests.conftest import ROOT


def _config(tmp_path: Path, extra: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text((ROOT / "config.example.toml").read_text() + extra)
    return path


@pytest.fixture(autouse=True)
def _no_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("KLA_BOT_"):
            monkeypatch.delenv(name)


def test_an_incomplete_whatsapp_section_names_the_missing_key(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = _config(tmp_path, '\n[whatsapp]\nphone_number_id = "106540352242922"\n')
    assert main(["--config", str(path), "run"]) == 2
    assert "whatsapp.token" in capsys.readouterr().err


def test_no_token_and_no_whatsapp_is_nothing_to_run(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--config", str(_config(tmp_path, "")), "run"]) == 2
    assert "bot.token" in capsys.readouterr().err
