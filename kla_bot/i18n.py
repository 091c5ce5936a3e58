"""Texts from the Indonesian and English catalogs, formatted after lookup and HTML-escaped
(chat texts) or as they are (``Translator.plain``: terminal output of the command line).

Catalogs live in ``kla_bot/locales/<lang>/<area>.toml``; a key ``welcome`` in ``start.toml``
is looked up as ``start.welcome``. Placeholders are ``{name}`` or ``{name:spec}`` where spec is
``date`` (Jumat, 16 Mei 2025), ``sdate`` (16 Mei), ``ldate`` (16 Mei 2025), ``num`` (1.234,5),
``int`` or ``time`` (an aware datetime as "pukul 13.19 WITA" / "at 13:19 WITA", in the
datetime's own zone).
"""

from __future__ import annotations

import html
import string
import tomllib
from collections.abc import Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import cache, lru_cache
from importlib import resources
from typing import Any

from babel import Locale
from babel.dates import format_date
from babel.numbers import format_decimal, parse_pattern

LANGUAGES: tuple[str, ...] = ("id", "en")
DEFAULT_LANGUAGE = "id"


class Raw(str):
    """An already-rendered HTML fragment: inserted into a text without escaping."""

    __slots__ = ()


def _as_date(value: Any) -> date:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# Indonesia names its three zones; the glossary writes times with these names, not offsets.
ZONE_NAMES: dict[str, str] = {
    "Asia/Jakarta": "WIB", "Asia/Pontianak": "WIB",
    "Asia/Makassar": "WITA",
    "Asia/Jayapura": "WIT",
}


def zone_name(moment: datetime) -> str:
    """WIB, WITA or WIT for Indonesia's zones; otherwise the UTC offset (``UTC+2``)."""
    name = ZONE_NAMES.get(str(getattr(moment.tzinfo, "key", "")))
    if name:
        return name
    offset = moment.utcoffset() or timedelta(0)
    minutes = int(offset.total_seconds()) // 60
    if minutes == 0:
        return "UTC"
    hours, rest = divmod(abs(minutes), 60)
    sign = "+" if minutes > 0 else "-"
    return f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "")


# Parsed once (both are immutable): Babel would parse the locale name and the pattern again
# on every number and date, a good part of what rendering a task list costs.
_NUMBER = parse_pattern("#,##0.##")


@cache
def _locale(lang: str) -> Locale:
    return Locale.parse(lang)


_DATE_PATTERNS = {"date": "EEEE, d MMMM y", "sdate": "d MMM", "ldate": "d MMMM y"}


# The same few dates and numbers come back in every message (a due date, points, counts):
# Babel formats each once per language.
@lru_cache(maxsize=4096)
def _date_text(lang: str, spec: str, value: date) -> str:
    return str(format_date(value, _DATE_PATTERNS[spec], locale=_locale(lang)))


@lru_cache(maxsize=4096, typed=True)  # 1 and Decimal(1) are equal keys otherwise
def _number_text(lang: str, value: Decimal | int) -> str:
    if isinstance(value, int):
        return str(format_decimal(value, locale=_locale(lang)))
    return str(_NUMBER.apply(value.normalize(), _locale(lang)))


class _Formatter(string.Formatter):
    def __init__(self, lang: str, *, escape: bool = True) -> None:
        self.lang = lang
        self.locale = _locale(lang)
        self.escape = escape

    def format_field(self, value: Any, format_spec: str) -> str:
        if format_spec in _DATE_PATTERNS:
            return _date_text(self.lang, format_spec, _as_date(value))
        if format_spec == "num":
            return _number_text(self.lang, Decimal(str(value)))
        if format_spec == "int":
            return _number_text(self.lang, int(value))
        if format_spec == "time":
            return self._time(value)
        text: str = super().format_field(value, format_spec)
        if not self.escape or isinstance(value, Raw):
            return text
        return html.escape(text, quote=False)

    def _time(self, moment: datetime) -> str:
        if moment.tzinfo is None:
            raise ValueError("a time is shown only with its zone: pass an aware datetime")
        template = dict(_load_catalog(self.lang))["common.time"]
        return _Formatter(self.lang, escape=False).vformat(
            template, (), {"hour": f"{moment.hour:02d}", "minute": f"{moment.minute:02d}",
                           "zone": zone_name(moment)})


def load_catalog(lang: str) -> dict[str, str]:
    """Every key of one language, flattened to ``area.key``."""
    return dict(_load_catalog(lang))


@cache
def _load_catalog(lang: str) -> tuple[tuple[str, str], ...]:
    folder = resources.files("kla_bot").joinpath("locales", lang)
    entries: dict[str, str] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if not item.name.endswith(".toml"):
            continue
        area = item.name.removesuffix(".toml")
        for key, text in _flatten(tomllib.loads(item.read_text("utf-8"))).items():
            entries[f"{area}.{key}"] = text
    return tuple(entries.items())


def _flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in data.items():
        if isinstance(value, Mapping):
            out.update(_flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = str(value)
    return out


class Translator:
    """Texts of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = lang if lang in LANGUAGES else DEFAULT_LANGUAGE
        self._texts = dict(_load_catalog(self.lang))
        self._formatter = _Formatter(self.lang)
        self._plain = _Formatter(self.lang, escape=False)

    def __call__(self, key: str, /, **params: Any) -> str:
        """The text for ``key`` with ``params`` filled in (escaped unless ``Raw``)."""
        return self._formatter.vformat(self._template(key), (), params)

    def plain(self, key: str, /, **params: Any) -> str:
        """The text for ``key`` with ``params`` filled in as they are: for a terminal, not HTML."""
        return self._plain.vformat(self._template(key), (), params)

    def _template(self, key: str) -> str:
        template = self._texts.get(key)
        if template is None:
            raise KeyError(f"no text {key!r} in the {self.lang} catalog")
        return template

    def has(self, key: str) -> bool:
        return key in self._texts

    def date(self, value: date) -> str:
        return self._formatter.format_field(value, "date")

    def num(self, value: Decimal | float | int) -> str:
        return self._formatter.format_field(value, "num")

    def time(self, moment: datetime) -> str:
        """``pukul 13.19 WITA`` / ``at 13:19 WITA``: the moment in its own zone (convert first)."""
        return self._formatter.format_field(moment, "time")

    def due(self, days_left: int) -> str:
        """How far a task's due date is: ``3 hari lagi``, ``hari ini``, ``lewat 2 hari``.

        Not "H-n": the glossary keeps H-n for the count to the verification day (hari H)."""
        if days_left == 0:
            return self("common.due_today")
        key = "common.due_in" if days_left > 0 else "common.due_past"
        return self(key + ("_one" if abs(days_left) == 1 else ""), days=abs(days_left))

    def countdown(self, days_left: int) -> str:
        """How far the verification day is, in chat and chart: ``H-11``, ``hari H``, ``H+2``."""
        if days_left == 0:
            return self("common.day_of")
        if days_left > 0:
            return self("common.days_left", days=days_left)
        return self("common.days_after", days=-days_left)

    def countdown_plain(self, days_left: int) -> str:
        """The same count in words, for the command line: ``11 hari lagi``, ``verifikasi hari
        ini``, ``verifikasi sudah lewat 2 hari``."""
        if days_left > 1:
            return self.plain("cli.status.days_left", days=days_left)
        if days_left == 1:
            return self.plain("cli.status.day_left")
        if days_left == 0:
            return self.plain("cli.status.verification_today")
        return self.plain("cli.status.verification_past", days=-days_left)

    def size(self, size_bytes: int) -> str:
        """A file size for people: ``834 KB``, ``1,2 MB`` (numbers written the reader's way)."""
        if size_bytes < 1024 * 1024:
            return f"{self.num(max(1, round(size_bytes / 1024)))} KB"
        return f"{self.num(round(Decimal(size_bytes) / (1024 * 1024), 1))} MB"


@cache
def translator(lang: str) -> Translator:
    return Translator(lang)


def resolve_language(stored: str | None, telegram_code: str | None, default: str) -> str:
    """A member's own choice first, then their Telegram language, then the configured default."""
    if stored in LANGUAGES:
        return stored
    if telegram_code:
        base = telegram_code.split("-")[0].lower()
        if base in LANGUAGES:
            return base
    return default
