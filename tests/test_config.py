"""Configuration: TOML plus environment overrides, validated with the key named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kla_bot.config import ConfigError, load_settings

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def test_example_config_loads_with_documented_values() -> None:
    s = load_settings(EXAMPLE, env={})
    assert s.verification.date == date(2025, 5, 16)
    assert s.target_score == 701
    assert s.reminders.holidays == [date(2025, 5, 12), date(2025, 5, 13)]
    assert str(s.tz) == "Asia/Makassar"


def test_environment_overrides_every_kind_of_value() -> None:
    env = {
        "KLA_BOT_TOKEN": "1:secret",
        "KLA_BOT_DATABASE_URL": "postgresql+asyncpg://postgres@127.0.0.1/test",
        "KLA_BOT_VERIFICATION_DATE": "2025-06-01",
        "KLA_BOT_REMINDERS_DAILY_AT": '["07:30", "13:00"]',
        "KLA_BOT_REMINDERS_COUNTDOWN_DAYS": "3,1",
        "KLA_BOT_STORAGE_MAX_FILE_MB": "50",
    }
    s = load_settings(EXAMPLE, env=env)
    assert s.bot.token == "1:secret"
    assert s.database.url.startswith("postgresql+asyncpg://")
    assert s.verification.date == date(2025, 6, 1)
    assert s.reminders.daily_at == ["07:30", "13:00"]
    assert s.reminders.countdown_days == [3, 1]
    assert s.storage.max_file_mb == 50


@pytest.mark.parametrize(("env", "key"), [
    ({"KLA_BOT_VERIFICATION_DATE": "16-05-2025"}, "verification.date"),
    ({"KLA_BOT_VERIFICATION_TIMEZONE": "Mars/Olympus"}, "verification.timezone"),
    ({"KLA_BOT_VERIFICATION_TARGET_PREDICATE": "Emas"}, "verification.target_predicate"),
    ({"KLA_BOT_REMINDERS_DAILY_AT": "8am"}, "reminders.daily_at"),
    ({"KLA_BOT_REMINDERS_WORKING_DAYS": "senin"}, "reminders.working_days"),
    ({"KLA_BOT_STORAGE_MAX_FILE_MB": "lots"}, "storage.max_file_mb"),
    ({"KLA_BOT_DATABASE_URL": "mysql://x"}, "database.url"),
    ({"KLA_BOT_BOT_LANGUAGE": "fr"}, "bot.language"),
    ({"KLA_BOT_VERIFICATION_REGENCY": " "}, "verification.regency"),
])
def test_a_wrong_value_names_its_key(env: dict[str, str], key: str) -> None:
    with pytest.raises(ConfigError, match=key.replace(".", r"\.")):
        load_settings(EXAMPLE, env=env)


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[verification]\nregency = "X"\ndeadline = 2025-01-01\n')
    with pytest.raises(ConfigError, match=r"verification\.deadline"):
        load_settings(f, env={})
