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
from datetime import date, datetime, time
from ipaddress import ip_address
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from kla_bot.channels.whatsapp.templates import TEMPLATE_KEYS
from kla_bot.domain import PREDICATE_THRESHOLDS, WEEKDAYS
from kla_bot.errors import Reason, UserError
from kla_bot.services.outbox_kinds import OutboxKind

# What @BotFather hands out: the bot's numeric id, a colon, then the secret.
TOKEN_SHAPE = re.compile(r"^\d{1,20}:[A-Za-z0-9_-]{1,100}$")
# Never shown in an error and redacted from every log line; from the environment they are
# taken as written (never parsed as TOML, so a numeric verify token stays text).
_SECRET_KEYS = frozenset({"bot.token", "bot.webhook_secret", "whatsapp.token",
                          "whatsapp.app_secret", "whatsapp.verify_token"})
_TOML_POSITION = re.compile(r"^(?P<detail>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$")


class ConfigError(UserError):
    """A configuration value is missing or wrong: a ``cli.config.*`` text naming the key
    (exit status 2, one line in the operator's language). Never carries the token."""

    def __init__(self, key: str, /, **params: Any) -> None:
        super().__init__(f"cli.config.{key}", **params)


@dataclass(frozen=True)
class BotSettings:
    token: str = ""
    base_url: str = "https://api.telegram.org/bot"
    base_file_url: str = "https://api.telegram.org/file/bot"
    language: str = "id"
    # Telegram by webhook (several workers behind a load balancer): empty means long polling.
    webhook_url: str = ""
    webhook_secret: str = ""  # Telegram's X-Telegram-Bot-Api-Secret-Token; never logged


@dataclass(frozen=True)
class DatabaseSettings:
    url: str = "sqlite+aiosqlite:///data/kla_bot.db"
    connections: int = 15  # PostgreSQL connections each worker keeps open (all of them)


# The object store's secrets, read by boto3 from the environment; redacted from every log.
S3_SECRET_ENV = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


@dataclass(frozen=True)
class StorageSettings:
    """Where evidence is kept: the local folder ``path`` (``backend = "local"``), or an
    S3-compatible ``bucket`` (``backend = "s3"``; credentials from the environment, never
    here). ``path`` holds the temp files in both cases."""

    path: str = "data/evidence"
    max_file_mb: int = 20
    backend: str = "local"
    bucket: str = ""
    endpoint_url: str = ""  # empty: AWS itself; e.g. http://127.0.0.1:9000 for MinIO
    region: str = ""


@dataclass(frozen=True)
class VerificationSettings:
    regency: str = ""
    name: str = "Verifikasi Lapangan Virtual KLA"
    date: date = date(2025, 5, 16)
    timezone: str = "Asia/Makassar"
    last_score: float = 0
    target_predicate: str = "Nindya"


@dataclass(frozen=True)
class ReminderPhase:
    """``[[reminders.phases]]``: from H-``from_days`` on (until the next phase starts) the
    reminders go at ``at`` (default: ``daily_at``) on ``weekdays`` (default: ``working_days``;
    holidays skipped), or on every day, holidays included, with ``every_day``."""

    from_days: int
    at: list[str] = field(default_factory=list)
    weekdays: list[str] = field(default_factory=list)
    every_day: bool = False


@dataclass(frozen=True)
class ReminderSettings:
    daily_at: list[str] = field(default_factory=lambda: ["08:00"])
    working_days: list[str] = field(default_factory=lambda: ["mon", "tue", "wed", "thu", "fri"])
    # Indonesian public holidays and cuti bersama come from the ``holidays`` library
    # (kla_bot.scheduler); these add regional days off, or make a listed day a working day.
    holidays: list[date] = field(default_factory=list)
    working_dates: list[date] = field(default_factory=list)
    countdown_days: list[int] = field(default_factory=lambda: [7, 3, 1, 0])
    escalate_after_days: int = 1
    # The cadence growing toward the verification day (kla_bot.scheduler.phase_on); none: the
    # keys above apply every day.
    phases: list[ReminderPhase] = field(default_factory=list)


@dataclass(frozen=True)
class GroupSettings:
    """The task-force group (Telegram): ``announce_approvals`` posts "K3-17a disetujui —
    terima kasih, …" there when a file is approved (rejections never are)."""

    announce_approvals: bool = True


@dataclass(frozen=True)
class LogSettings:
    level: str = "INFO"


@dataclass(frozen=True)
class WhatsAppSettings:
    """The WhatsApp Cloud API channel (``[whatsapp]``; absent: Telegram only). ``templates``:
    approved template names by outbox kind, for messages outside the 24-hour window."""

    phone_number_id: str = ""
    token: str = ""
    app_secret: str = ""
    verify_token: str = ""
    base_url: str = "https://graph.facebook.com"
    api_version: str = "v23.0"
    path: str = "/whatsapp"
    # The business number as people dial it (digits, e.g. 6281100000000): invite links
    # (https://wa.me/<number>?text=<code>) and how the bot is named; optional.
    number: str = ""
    templates: dict[OutboxKind, str] = field(default_factory=dict)


@dataclass(frozen=True)
class ServerSettings:
    """The webhook server; ``listen`` is ``host:port`` (an IPv6 host in brackets)."""

    listen: str = "127.0.0.1:8443"

    @property
    def host(self) -> str:
        return self.listen.rpartition(":")[0].strip("[]")

    @property
    def port(self) -> int:
        return int(self.listen.rpartition(":")[2])


@dataclass(frozen=True)
class Settings:
    bot: BotSettings = field(default_factory=BotSettings)
    database: DatabaseSettings = field(default_factory=DatabaseSettings)
    storage: StorageSettings = field(default_factory=StorageSettings)
    verification: VerificationSettings = field(default_factory=VerificationSettings)
    reminders: ReminderSettings = field(default_factory=ReminderSettings)
    log: LogSettings = field(default_factory=LogSettings)
    group: GroupSettings = field(default_factory=GroupSettings)
    whatsapp: WhatsAppSettings | None = None
    server: ServerSettings = field(default_factory=ServerSettings)

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every configured secret, for the log redaction."""
        values = [self.bot.token, self.bot.webhook_secret]
        if self.whatsapp is not None:
            values += [self.whatsapp.token, self.whatsapp.app_secret, self.whatsapp.verify_token]
        if self.storage.backend == "s3":  # the bucket's credentials: the environment's
            values += [os.environ.get(name, "") for name in S3_SECRET_ENV]
        return tuple(v for v in values if v)

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
            name: dataclasses.replace(current, **values) if current is not None
            else _SECTIONS[name](**values)  # an optional section not configured yet
            for name, values in sections.items()
            for current in [getattr(self, name)]
        }
        return dataclasses.replace(self, **changed)


def _section_type(hint: Any) -> type:
    """``WhatsAppSettings | None`` (an optional section) is read as ``WhatsAppSettings``."""
    return typing.get_args(hint)[0] if isinstance(hint, types.UnionType) else hint  # type: ignore[no-any-return]


_SECTIONS: dict[str, type] = {name: _section_type(hint)
                              for name, hint in typing.get_type_hints(Settings).items()}
# Sections that exist only when written in the file or named by an environment variable.
_OPTIONAL_SECTIONS = frozenset({"whatsapp"})


def default_config_path() -> Path:
    """``$KLA_BOT_CONFIG``, else ``./config.toml``."""
    return Path(os.environ.get("KLA_BOT_CONFIG", "config.toml"))


def load_settings(path: Path, env: Mapping[str, str] | None = None) -> Settings:
    """Read ``path``, apply environment overrides, validate everything."""
    env = os.environ if env is None else env
    raw = _read_toml(path)
    for section in raw:
        if section not in _SECTIONS:
            raise ConfigError("unknown_section", key=section)
    sections: dict[str, Any] = {}
    for name, cls in _SECTIONS.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError("not_table", key=name)  # the value may be the token: not shown
        values = dict(table)
        hints = typing.get_type_hints(cls)
        for key in values:
            if key not in hints:
                raise ConfigError("unknown_key", key=f"{name}.{key}")
        for key in hints:
            env_value = env.get(f"KLA_BOT_{name.upper()}_{key.upper()}")
            if env_value is not None:
                secret = f"{name}.{key}" in _SECRET_KEYS
                values[key] = env_value if secret else _parse_env(env_value)
        if name in _OPTIONAL_SECTIONS and name not in raw and not values:
            continue
        if name == "whatsapp" and "templates" in values:
            values["templates"] = _templates(values["templates"])
        if name == "reminders" and "phases" in values:
            values["phases"] = _phases(values["phases"])
        if name == "bot" and env.get("KLA_BOT_TOKEN"):
            values["token"] = env["KLA_BOT_TOKEN"]
        sections[name] = cls(**{k: _coerce(f"{name}.{k}", v, hints[k]) for k, v in values.items()})
    settings = Settings(**sections)
    _validate(settings)
    return settings


def _read_toml(path: Path) -> dict[str, Any]:
    """The file's tables; a missing file says how to create one, bad TOML where it is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("no_file", path=str(path.absolute())) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("unreadable", path=str(path), problem=exc.__class__.__name__) from None
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        where = _TOML_POSITION.match(str(exc))
        if where is None:
            raise ConfigError("bad_toml_somewhere", path=str(path), detail=str(exc)) from None
        raise ConfigError("bad_toml", path=str(path), line=where["line"],
                          column=where["column"], detail=where["detail"]) from None


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
            raise ConfigError("expected", key=key, expected=Reason.of("cli.config.type.list"),
                              value=_shown(value))
        return [_coerce(key, v, item) for v in value]
    if isinstance(hint, types.UnionType):
        hint = typing.get_args(hint)[0]
    if typing.get_origin(hint) is dict:
        return value  # already checked, key by key (_templates)
    try:
        if hint is date:
            return _date(key, value)
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
        raise ConfigError("expected", key=key, expected=Reason.of(f"cli.config.type.{name}"),
                          value="***" if key in _SECRET_KEYS else _shown(value)) from exc
    return value


# WhatsApp's rule for a template name.
TEMPLATE_NAME = re.compile(r"^[a-z0-9_]{1,512}$")


def _templates(value: Any) -> dict[OutboxKind, str]:
    """``[whatsapp.templates]``: each key an outbox kind that uses a template, each value a
    name WhatsApp accepts."""
    if not isinstance(value, dict):
        raise ConfigError("not_table", key="whatsapp.templates")
    names: dict[OutboxKind, str] = {}
    for key, name in value.items():
        where = f"whatsapp.templates.{key}"
        if key not in TEMPLATE_KEYS:
            raise ConfigError("template_kind", key=where, choices=", ".join(TEMPLATE_KEYS))
        if not isinstance(name, str) or not TEMPLATE_NAME.match(name):
            raise ConfigError("template_name", key=where, value=_shown(name))
        names[TEMPLATE_KEYS[key]] = name
    return names


def _phases(value: Any) -> list[ReminderPhase]:
    """``[[reminders.phases]]``: a list of tables, each key typed like any other."""
    if not isinstance(value, list):
        raise ConfigError("not_table", key="reminders.phases")
    hints = typing.get_type_hints(ReminderPhase)
    phases = []
    for index, table in enumerate(value):
        where = f"reminders.phases[{index}]"
        if not isinstance(table, dict):
            raise ConfigError("not_table", key=where)
        for key in table:
            if key not in hints:
                raise ConfigError("unknown_key", key=f"{where}.{key}")
        if "from_days" not in table:
            raise ConfigError("phase_from_days", key=where)
        phases.append(ReminderPhase(**{k: _coerce(f"{where}.{k}", v, hints[k])
                                       for k, v in table.items()}))
    return phases


def _date(key: str, value: Any) -> date:
    """A calendar date; a date with a time (TOML datetime or ``…T08:00``) is refused by name."""
    if isinstance(value, datetime):
        raise ConfigError("date_with_time", key=key, date=value.date().isoformat())
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        moment = _datetime_or_none(text)
        if moment is not None:
            raise ConfigError("date_with_time", key=key, date=moment.date().isoformat()) from None
        raise


def _datetime_or_none(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def _shown(value: Any) -> str:
    """A wrong value as the operator wrote it (dates in ISO form, strings quoted)."""
    return repr(value) if isinstance(value, str) else str(value)


_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


def _validate(s: Settings) -> None:
    if s.bot.token and not TOKEN_SHAPE.match(s.bot.token):
        raise ConfigError("token_shape")  # the value itself is never shown
    if s.bot.language not in ("id", "en"):
        raise ConfigError("language", value=_shown(s.bot.language))
    _validate_webhook(s.bot)
    if not s.database.url.startswith(("sqlite+aiosqlite://", "postgresql+asyncpg://")):
        raise ConfigError("database_url")
    if not 1 <= s.database.connections <= 100:
        raise ConfigError("database_connections")
    if not 1 <= s.storage.max_file_mb <= 2000:
        raise ConfigError("max_file_mb")
    if not s.storage.path:
        raise ConfigError("storage_path")
    if s.storage.backend not in ("local", "s3"):
        raise ConfigError("storage_backend", value=_shown(s.storage.backend))
    if s.storage.backend == "s3" and not s.storage.bucket.strip():
        raise ConfigError("storage_bucket")
    if not s.verification.regency.strip():
        raise ConfigError("regency_missing")
    try:
        ZoneInfo(s.verification.timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ConfigError("timezone", value=_shown(s.verification.timezone)) from exc
    if s.verification.target_predicate not in PREDICATE_THRESHOLDS:
        raise ConfigError("target_predicate", choices=", ".join(PREDICATE_THRESHOLDS))
    if not 0 <= s.verification.last_score <= 1000:
        raise ConfigError("last_score")
    _validate_reminders(s.reminders)
    if s.whatsapp is not None:
        _validate_whatsapp(s.whatsapp)
        if s.bot.webhook_url and webhook_path(s.bot) == s.whatsapp.path:  # one server, two apps
            raise ConfigError("webhook_path_taken", value=_shown(s.whatsapp.path))
    _validate_listen(s.server.listen)
    if s.log.level.upper() not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("log_level")


def _validate_reminders(r: ReminderSettings) -> None:
    for t in r.daily_at:
        if not _HHMM.match(t):
            raise ConfigError("daily_at", value=_shown(t))
    for d in r.working_days:
        if d not in WEEKDAYS:
            raise ConfigError("working_days", value=_shown(d))
    if any(n < 0 for n in r.countdown_days):
        raise ConfigError("countdown_days")
    if r.escalate_after_days < 0:
        raise ConfigError("escalate_after_days")
    starts = [p.from_days for p in r.phases]
    if any(n < 0 for n in starts) or len(set(starts)) != len(starts):
        raise ConfigError("phase_from_days", key="reminders.phases")
    for phase in r.phases:
        for t in phase.at:
            if not _HHMM.match(t):
                raise ConfigError("daily_at", value=_shown(t))
        for d in phase.weekdays:
            if d not in WEEKDAYS:
                raise ConfigError("working_days", value=_shown(d))
    both = sorted(set(r.holidays) & set(r.working_dates))
    if both:
        raise ConfigError("holiday_and_working", date=both[0].isoformat())


# Telegram's rule for setWebhook's secret_token.
WEBHOOK_SECRET_SHAPE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
_LOOPBACK = frozenset({"127.0.0.1", "::1", "localhost"})


def _validate_webhook(b: BotSettings) -> None:
    """``webhook_url``: https (Telegram posts only there), or http on this machine (the
    stand-in in tests); with it a secret Telegram's rule accepts, or anyone could post."""
    if not b.webhook_url:
        return
    url = urlsplit(b.webhook_url)
    plain_local = url.scheme == "http" and url.hostname in _LOOPBACK
    if (url.scheme != "https" and not plain_local) or not url.hostname or url.query \
            or url.fragment or not _WEBHOOK_PATH.match(url.path or "/"):
        raise ConfigError("webhook_url", value=_shown(b.webhook_url))
    if not WEBHOOK_SECRET_SHAPE.match(b.webhook_secret):
        raise ConfigError("webhook_secret")  # the value itself is never shown


def webhook_path(b: BotSettings) -> str:
    """Where the webhook server takes Telegram's posts: the path of ``webhook_url``."""
    return urlsplit(b.webhook_url).path or "/"


_API_VERSION = re.compile(r"^v\d+\.\d+$")
_WEBHOOK_PATH = re.compile(r"^/[A-Za-z0-9._~/-]*$")


def _validate_whatsapp(w: WhatsAppSettings) -> None:
    if w.phone_number_id and not w.phone_number_id.isdigit():
        raise ConfigError("whatsapp_phone_number_id", value=_shown(w.phone_number_id))
    for key in ("token", "app_secret", "verify_token"):
        if any(c.isspace() or not c.isprintable() for c in getattr(w, key)):
            raise ConfigError("whatsapp_secret_shape", key=f"whatsapp.{key}")  # never shown
    url = urlsplit(w.base_url)
    if url.scheme not in ("http", "https") or not url.netloc or url.query:
        raise ConfigError("whatsapp_base_url", value=_shown(w.base_url))
    if not _API_VERSION.match(w.api_version):
        raise ConfigError("whatsapp_api_version", value=_shown(w.api_version))
    if not _WEBHOOK_PATH.match(w.path):
        raise ConfigError("whatsapp_path", value=_shown(w.path))


def whatsapp_missing(w: WhatsAppSettings) -> str | None:
    """The first key serving WhatsApp needs that is still empty (``None``: ready). Checked
    when the channel starts, not at load, so the other commands run without the secrets."""
    for key in ("phone_number_id", "token", "app_secret", "verify_token"):
        if not getattr(w, key):
            return f"whatsapp.{key}"
    return None


_HOSTNAME = re.compile(r"^(?!-)[A-Za-z0-9-]{1,63}(?<!-)(\.(?!-)[A-Za-z0-9-]{1,63}(?<!-))*$")


def _validate_listen(listen: str) -> None:
    host, colon, port = listen.rpartition(":")
    bracketed = host.startswith("[") and host.endswith("]")
    try:
        if not colon or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ValueError(port)
        if bracketed:
            ip_address(host[1:-1])
        elif not _HOSTNAME.match(host):
            ip_address(host)  # an IPv6 address must be written in brackets: refused here
            raise ValueError(host)
    except ValueError:
        raise ConfigError("server_listen", value=_shown(listen)) from None
