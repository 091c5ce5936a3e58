"""The words of docs/glossary.md: forbidden words cannot come back into the catalogs or the
indicator names, times read "pukul 13.19 WITA", and a due date is told in days, not as H-n."""

from __future__ import annotations

import re
import string
import tomllib
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from kla_bot.i18n import Translator, load_catalog, zone_name

INDICATORS = Path(__file__).resolve().parent.parent / "kla_bot" / "data" / "indicators.toml"

# Indonesian words the glossary replaces, with the reason a reader would stumble.
FORBIDDEN_ID: dict[str, str] = {
    r"\bsidik\b": "the file's fingerprint is 'kode berkas'",
    r"\bditinjau\b": "reads as already reviewed: 'menunggu tinjauan'",
    r"\bbukti dukung\b": "the content is 'data dukung'",
    r"\bterlambat\b": "past the due date is 'lewat tenggat'",
    r"\btertinggal\b": "it shames: 'perlu perhatian'",
    r"✅\s*Diterima": "reads as approved: 'berkas masuk … menunggu tinjauan'",
    r"(?<!tidak )\bditerima\b": "the state is 'disetujui'; a received file is 'sudah kami terima'",
    r"\bTerima\b(?! kasih)": "the approve button is 'Setujui'",
    r"(?<![:\w])file\b": "a file is 'berkas' in Indonesian (':file' is a console verb)",
    r"\btak terjangkau\b|\bbisa dihubungi\b": "unreachable is 'tidak dapat dihubungi'",
    r"\bAnda\b": "people are addressed as 'Bapak/Ibu'",
}
ABBREVIATIONS = (r"\bdgn\b", r"\bOrtu\b", r"\bWajar 12 Th\b", r"\bIPS Rokok\b")


def _words(text: str) -> str:
    """The text without its placeholders ({file} is a name, not a word the reader sees)."""
    return "".join(literal for literal, *_ in string.Formatter().parse(text))


def _offences(texts: dict[str, str], patterns: dict[str, str]) -> list[str]:
    return [f"{key}: {re.search(p, _words(text)).group(0)!r} ({why})"  # type: ignore[union-attr]
            for key, text in sorted(texts.items())
            for p, why in patterns.items() if re.search(p, _words(text))]


def test_the_indonesian_catalog_uses_the_glossary_words() -> None:
    assert _offences(load_catalog("id"), FORBIDDEN_ID) == []


@pytest.mark.parametrize("lang", ["id", "en"])
def test_no_abbreviations_in_any_catalog(lang: str) -> None:
    assert _offences(load_catalog(lang), {p: "abbreviation" for p in ABBREVIATIONS}) == []


def test_the_checks_catch_the_old_words() -> None:
    old = {"receipt": "✅ Diterima untuk {code}\nSidik SHA-256: {hash}",
           "state": "ditinjau", "late": "⚠️ terlambat", "button": "✅ Terima",
           "files": "{files:int} file bukti", "thanks": "Terima kasih, {name}!"}
    found = {line.split(":")[0] for line in _offences(old, FORBIDDEN_ID)}
    assert found == {"receipt", "state", "late", "button", "files"}


def test_indicator_names_are_in_full() -> None:
    indicators = tomllib.loads(INDICATORS.read_text("utf-8"))["indicators"]
    names = {f"{n}.{lang}": i[key] for n, i in indicators.items()
             for lang, key in (("id", "name"), ("en", "name_en"))}
    assert _offences(names, {p: "abbreviation" for p in ABBREVIATIONS}) == []
    # The three "served" indicators of cluster V were cut to two words before.
    assert indicators["21"]["name"] == ("Anak Korban Kekerasan, Penelantaran dan Eksploitasi "
                                        "(termasuk Pekerja Anak) yang Terlayani")
    assert indicators["22"]["name"] == ("Anak Korban Pornografi, NAPZA, Terinfeksi HIV/AIDS dan "
                                        "Anak dalam Situasi Darurat yang Terlayani")
    assert indicators["23"]["name"] == ("Anak Penyandang Disabilitas, Kelompok Minoritas dan "
                                        "Terisolasi yang Terlayani")
    # They fit the database columns (String(160) and String(200)).
    assert max(len(i["name"]) for i in indicators.values()) <= 160
    assert max(len(i["name_en"]) for i in indicators.values()) <= 200


def test_the_upload_receipt_does_not_read_like_an_approval() -> None:
    params = {"code": "K3-17a", "title": "Perda KTR", "name": "perda.pdf", "size": "1 KB",
              "hash": "d5467a948f67"}
    receipt = Translator("id")("evidence.receipt", **params)
    assert receipt.startswith("📥 Berkas masuk untuk <b>K3-17a</b>")
    assert "sudah kami terima, menunggu tinjauan koordinator" in receipt
    assert "Kode berkas: <code>d5467a948f67</code>" in receipt
    english = Translator("en")("evidence.receipt", **params)
    assert "✅" not in receipt + english and "waiting for the coordinator's review" in english


@pytest.mark.parametrize(("zone", "indonesian", "english"), [
    ("Asia/Makassar", "pukul 13.19 WITA", "at 13:19 WITA"),
    ("Asia/Jakarta", "pukul 13.19 WIB", "at 13:19 WIB"),
    ("Asia/Pontianak", "pukul 13.19 WIB", "at 13:19 WIB"),
    ("Asia/Jayapura", "pukul 13.19 WIT", "at 13:19 WIT"),
    ("Europe/Berlin", "pukul 13.19 UTC+2", "at 13:19 UTC+2"),
    ("Asia/Kolkata", "pukul 13.19 UTC+5:30", "at 13:19 UTC+5:30"),
    ("America/Sao_Paulo", "pukul 13.19 UTC-3", "at 13:19 UTC-3"),
])
def test_times_are_written_with_the_zone_name(zone: str, indonesian: str, english: str) -> None:
    moment = datetime(2025, 5, 5, 13, 19, tzinfo=ZoneInfo(zone))
    assert Translator("id").time(moment) == indonesian
    assert Translator("en").time(moment) == english


def test_a_time_is_shown_in_its_own_zone_and_never_without_one() -> None:
    utc = datetime(2025, 5, 5, 1, 5, tzinfo=UTC)
    assert Translator("id").time(utc.astimezone(ZoneInfo("Asia/Makassar"))) == "pukul 09.05 WITA"
    assert zone_name(utc) == "UTC"
    assert zone_name(utc.astimezone(timezone(timedelta(hours=-9, minutes=-30)))) == "UTC-9:30"
    with pytest.raises(ValueError):
        Translator("id").time(datetime(2025, 5, 5, 9, 0))
    # Inside a text, through the {…:time} placeholder.
    text = Translator("id")("review.already_accepted", task="K3-17a", reviewer="dr. Ahmad",
                            day=utc, time=utc.astimezone(ZoneInfo("Asia/Makassar")))
    assert "pada Senin, 5 Mei 2025 pukul 09.05 WITA." in text


@pytest.mark.parametrize(("days", "indonesian", "english"), [
    (3, "3 hari lagi", "3 days left"), (1, "1 hari lagi", "1 day left"),
    (0, "hari ini", "today"), (-1, "lewat 1 hari", "1 day overdue"),
    (-2, "lewat 2 hari", "2 days overdue"),
])
def test_a_due_date_is_told_in_days_not_as_h_minus_n(days: int, indonesian: str,
                                                      english: str) -> None:
    assert Translator("id").due(days) == indonesian
    assert Translator("en").due(days) == english
    assert "H" not in Translator("id").due(days)
