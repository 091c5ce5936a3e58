"""Configuration: TOML plus environment overrides, validated with the key named."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from kla_bot.cli_text import error_text
from kla_bot.config import ConfigError, load_settings
from kla_bot.i18n import translator

EXAMPLE = Path(__file__).resolve().parent.parent / "config.example.toml"


def refusal(path: Path, env: dict[str, str], lang: str = "id") -> str:
    """The one line the operator reads when ``path`` with ``env`` is refused."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    text = error_text(translator(lang), caught.value)
    assert "\n" not in text
    return text


def test_example_config_loads_with_documented_values() -> None:
    s = load_settings(EXAMPLE, env={})
    assert s.verification.date == date(2025, 5, 16)
    assert s.target_score == 701
    assert s.reminders.holidays == [] and s.reminders.working_dates == []  # from the library
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
    ({"KLA_BOT_DATABASE_CONNECTIONS": "0"}, "database.connections"),
    ({"KLA_BOT_DATABASE_CONNECTIONS": "500"}, "database.connections"),
    ({"KLA_BOT_BOT_LANGUAGE": "fr"}, "bot.language"),
    ({"KLA_BOT_VERIFICATION_REGENCY": " "}, "verification.regency"),
    ({"KLA_BOT_STORAGE_BACKEND": "ftp"}, "storage.backend"),
    ({"KLA_BOT_STORAGE_BACKEND": "s3"}, "storage.bucket"),  # a bucket must be named
])
def test_a_wrong_value_names_its_key(env: dict[str, str], key: str) -> None:
    assert refusal(EXAMPLE, env).startswith(f"{key}: ")
    assert refusal(EXAMPLE, env, "en").startswith(f"{key}: ")


def test_wrong_values_are_explained_in_the_operators_words() -> None:
    assert refusal(EXAMPLE, {"KLA_BOT_VERIFICATION_DATE": "16-05-2025"}) == (
        "verification.date: seharusnya tanggal TTTT-BB-HH, mis. 2025-05-16, bukan '16-05-2025'")
    assert refusal(EXAMPLE, {"KLA_BOT_STORAGE_MAX_FILE_MB": "lots"}, "en") == (
        "storage.max_file_mb: expected a whole number, got 'lots'")


def test_unknown_key_in_file_is_named(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[verification]\nregency = "X"\ndeadline = 2025-01-01\n')
    assert refusal(f, {}).startswith("verification.deadline: kunci yang tidak dikenal")


@pytest.mark.parametrize("written", ["2025-05-16T08:00:00", "2025-05-16 08:00:00+08:00",
                                     '"2025-05-16T08:00:00"', '"2025-05-16T08:00"'])
def test_a_date_written_with_a_time_is_refused_by_name(tmp_path: Path, written: str) -> None:
    f = tmp_path / "c.toml"
    f.write_text(f'[verification]\nregency = "X"\ndate = {written}\n')
    assert refusal(f, {}) == "verification.date: tulis tanggalnya saja, tanpa jam (mis. 2025-05-16)"
    assert refusal(EXAMPLE, {"KLA_BOT_REMINDERS_HOLIDAYS": f"[{written}]"}, "en") == (
        "reminders.holidays: write the date only, without a time (e.g. 2025-05-16)")


def test_a_missing_file_says_which_and_how_to_create_one(tmp_path: Path) -> None:
    text = refusal(tmp_path / "config.toml", {})
    assert text.startswith(f"tidak ada berkas konfigurasi {tmp_path / 'config.toml'}; ")
    assert "salin config.example.toml menjadi config.toml" in text


def test_unreadable_toml_names_line_and_column(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('[verification]\nregency = "X"\nname = Verifikasi\n')
    assert refusal(f, {}).startswith(f"{f}: baris 3, kolom 8: bukan TOML yang sah (")


@pytest.mark.parametrize("token", ["123456", "bot123456:ABCdef", "123456:ABC def",
                                   "123456:ABC\u2026xyz", " 123456:ABCdef"])
def test_a_token_of_the_wrong_shape_is_refused_without_showing_it(token: str) -> None:
    text = refusal(EXAMPLE, {"KLA_BOT_TOKEN": token})
    assert text.startswith("bot.token: bentuknya bukan token dari @BotFather")
    assert token.strip() not in text


def test_the_same_date_cannot_be_both_a_holiday_and_a_working_date() -> None:
    env = {"KLA_BOT_REMINDERS_HOLIDAYS": "[2025-05-13]",
           "KLA_BOT_REMINDERS_WORKING_DATES": "[2025-05-13]"}
    assert refusal(EXAMPLE, env) == ("reminders: 2025-05-13 ada di holidays dan juga di "
                                     "working_dates; hapus dari salah satunya")


def test_a_section_written_as_a_value_is_named(tmp_path: Path) -> None:
    f = tmp_path / "c.toml"
    f.write_text('bot = "123456:ABCdef"\n[verification]\nregency = "X"\n')
    assert refusal(f, {}) == ("bot: seharusnya sebuah bagian [bot] berisi kunci; lihat "
                              "config.example.toml")
    f.write_text('[bot]\ntoken = 123456\n[verification]\nregency = "X"\n')
    assert refusal(f, {}) == "bot.token: seharusnya teks di antara tanda kutip, bukan ***"


def test_the_bucket_is_configured_and_its_secret_is_redacted(
        monkeypatch: pytest.MonkeyPatch) -> None:
    env = {"KLA_BOT_STORAGE_BACKEND": "s3", "KLA_BOT_STORAGE_BUCKET": "kla-evidence",
           "KLA_BOT_STORAGE_ENDPOINT_URL": "http://127.0.0.1:9000",
           "KLA_BOT_STORAGE_REGION": "ap-southeast-3"}
    s = load_settings(EXAMPLE, env=env)
    assert (s.storage.backend, s.storage.bucket, s.storage.endpoint_url, s.storage.region) == (
        "s3", "kla-evidence", "http://127.0.0.1:9000", "ap-southeast-3")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG")
    assert "wJalrXUtnFEMI/K7MDENG" in s.secrets  # the log filter hides it
    assert "wJalrXUtnFEMI/K7MDENG" not in load_settings(EXAMPLE, env={}).secrets
