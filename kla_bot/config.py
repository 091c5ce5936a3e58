"""Typed settings from a TOML file with ``KLA_BOT_<SECTION>_<KEY>`` environment overrides."""

from __future__ import annotations

import dataclasses
import os
import re
import tomllib
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kla_bot.domain import PREDICATE_THRESHOLDS, WEEKDAYS


class ConfigError(Exception):
    """A configuration value is missing or wrong; the message names the key."""


@dataclass(frozen=True)
class BotSettings:
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    language: str = "id"


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/kla_bot.db"


@dataclass(frozen=True)
class StorageSettings:
    path: str = "data/evidence"
    max_file_mb: int = 20


@dataclass(frozen=True)
class VerificationSettings:
    regency: str = ""
    name: str = "Verifikasi Lapangan Virtual KLA"
    date: date = date(2025, 5, 16)
    timezone: str = "Asia/Makassar"
    last_score: float = 0
    target_predicate: str = "Nindya"


@dataclass(frozen=True)
class ReminderSettings:
    daily_at: list[str] = field(default_factory=lambda: ["08:00"])
    working_days: list[str] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    holidays: list[date] = field(default_factory=list)
    countdown_days: list[int] = field(default_factory=lambda: [7, 3, 1, 0])
    escalate_after_days: int = 1


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"


@dataclass(frozen=True)
class Settings:
    bot: BotSettings = field(default_factory=BotSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    log: LogSettings = field(default_factory=LogSettings)

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.verification.timezone)

    @property
    def target_score(self) -> int:
        return PREDICATE_THRESHOLDS[self.verification.target_predicate]

    @property
    def reminder_times(self) -> list[time]:
        return [time.fromisoformat(t) for t in self.reminders.daily_at]

    @property
    def max_file_bytes(self) -> int:
        return self.storage.max_file_mb * 1024 * 1024

    def replace(self, **sections: Mapping[str, Any]) -> Settings:
        """A copy with some keys of some sections changed (used by the demo and tests)."""
        changed = {
            name: dataclasses.replace(getattr(self, name), **values)
            for name, values in sections.items()
        }
        return dataclasses.replace(self, **changed)


_SECTIONS: dict[str, type] = {f.name: typing.get_type_hints(Settings)[f.name]
                              for f in dataclasses.fields(Settings)}


def default_config_path() -> Path:
    """``$KLA_BOT_CONFIG``, else ``./config.toml``."""
    return Path(os.environ.get("KLA_BOT_CONFIG", "config.toml"))


def load_settings(path: Path | None, env: Mapping[str, str] | None = None,
                  *, require_file: bool = False) -> Settings:
    """Read ``path`` (if it exists), apply environment overrides, validate everything."""
    env = os.environ if env is None else env
    raw: dict[str, Any] = {}
    if path is not None and path.exists():
        try:
            raw = tomllib.loads(path.read_text(encoding="utf-8"))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{path}: not valid TOML: {exc}") from exc
    elif require_file:
        raise ConfigError(f"config file not found: {path}")
    for section in raw:
        if section not in _SECTIONS:
            raise ConfigError(f"{section}: unknown section")
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        values = dict(raw.get(name, {}))
        hints = typing.get_type_hints(cls)
        for key in values:
            if key not in hints:
                raise ConfigError(f"{name}.{key}: unknown key")
        for key in hints:
            env_value = env.get(f"KLA_BOT_{name.upper()}_{key.upper()}")
            if env_value is not None:
                values[key] = _parse_env(env_value)
        if name == "bot" and env.get("KLA_BOT_TOKEN"):
            values["token"] = env["KLA_BOT_TOKEN"]
        sections[name] = cls(**{k: _coerce(f"{name}.{k}", v, hints[k]) for k, v in values.items()})
    settings = Settings(**sections)
    _validate(settings)
    return settings


def _parse_env(value: str) -> Any:
    """An env value is TOML when it parses as such (``[1, 2]``, ``2025-05-16``), else a string."""
    try:
        return tomllib.loads(f"v = {value}")["v"]
    except tomllib.TOMLDecodeError:
        return value


def _coerce(key: str, value: Any, hint: Any) -> Any:
    origin = typing.get_origin(hint)
    if origin is list:
        (item,) = typing.get_args(hint)
        if isinstance(value, str):
            value = [v.strip() for v in value.split(",") if v.strip()]
        if not isinstance(value, list):
            raise ConfigError(f"{key}: expected a list, got {value!r}")
        return [_coerce(key, v, item) for v in value]
    if isinstance(hint, types.UnionType):
        hint = typing.get_args(hint)[0]
    try:
        if hint is date:
            return value if isinstance(value, date) else date.fromisoformat(str(value))
        if hint is bool:
            if isinstance(value, bool):
                return value
            raise ValueError(value)
        if hint is int:
            if isinstance(value, bool) or (isinstance(value, float) and not value.is_integer()):
                raise ValueError(value)
            return int(value)
        if hint is float:
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if hint is str:
            if not isinstance(value, str):
                raise ValueError(value)
            return value
    except (TypeError, ValueError) as exc:
        name = getattr(hint, "__name__", str(hint))
        raise ConfigError(f"{key}: expected {name}, got {value!r}") from exc
    return value


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _validate(s: Settings) -> None:
    if s.bot.language not in ("id", "en"):
        raise ConfigError(f"bot.language: expected 'id' or 'en', got {s.bot.language!r}")
    if not s.database.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError("database.url: expected sqlite+aiosqlite:// or postgresql+asyncpg://")
    if not 1 <= s.storage.max_file_mb <= 2000:
        raise ConfigError("storage.max_file_mb: expected 1..2000")
    if not s.storage.path:
        raise ConfigError("storage.path: must not be empty")
    if not s.verification.regency.strip():
        raise ConfigError("verification.regency: missing")
    try:
        ZoneInfo(s.verification.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError(f"verification.timezone: unknown time zone "
                          f"{s.verification.timezone!r}") from exc
    if s.verification.target_predicate not in PREDICATE_THRESHOLDS:
        raise ConfigError("verification.target_predicate: expected one of "
                          + ", ".join(PREDICATE_THRESHOLDS))
    if not 0 <= s.verification.last_score <= 1000:
        raise ConfigError("verification.last_score: expected 0..1000")
    for t in s.reminders.daily_at:
        if not _HHMM.match(t):
            raise ConfigError(f"reminders.daily_at: expected HH:MM, got {t!r}")
    for d in s.reminders.working_days:
        if d not in WEEKDAYS:
            raise ConfigError(f"reminders.working_days: expected mon..sun, got {d!r}")
    if any(n < 0 for n in s.reminders.countdown_days):
        raise ConfigError("reminders.countdown_days: days must be >= 0")
    if s.reminders.escalate_after_days < 0:
        raise ConfigError("reminders.escalate_after_days: must be >= 0")
    if s.log.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("log.level: expected DEBUG, INFO, WARNING or ERROR")
