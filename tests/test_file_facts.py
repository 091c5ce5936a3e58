"""File facts, read from files built here: dates the file says it was made, pages, and image
measures; the period a task covers; what people are told.

Measured with these builders (variance of the Laplacian at 800 px, mean grey level): a sharp
page 1646 / 235; the same blurred radius 2: 75, radius 3: 22, radius 4: ~9, radius 5: 4;
the sharp page darkened to 12 %: 47 / 28; a 3000x4000 page 681 sharp, 20 blurred radius 6;
a 300x400 page 2231. Thresholds: blurred under 30, dark under 50, tiny under 640 px."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from handlers.facts_text import card_lines, member_lines, period_text
from kla_bot.i18n import translator
from kla_bot.services import file_facts
from kla_bot.services.evidence_facts import judge
from kla_bot.services.file_dates import dates_in_text
from kla_bot.services.file_facts import read_facts, read_facts_safely
from kla_bot.services.periods import Period, default_period, parse_day, parse_period
from tests import factmakers as fm
from tests.filemakers import EXE, deflate_bomb, image_bytes

JPEG, PDF = "image/jpeg", "application/pdf"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
Y2024 = Period(date(2024, 1, 1), date(2024, 12, 31))


def facts_of(tmp_path: Path, data: bytes, mime: str) -> dict[str, object]:
    path = tmp_path / "file"
    path.write_bytes(data)
    return read_facts(path, mime)


def dates(facts: dict[str, object]) -> list[tuple[str, str]]:
    return [(d["source"], d["date"]) for d in facts["dates"]]


# --- dates written in text -----------------------------------------------------------------

def test_dates_in_text_indonesian_numeric_and_iso() -> None:
    text = ("Ditetapkan di Cibinong pada tanggal 3 Maret 2024. Ref. 17/08/2023 dan 2022-12-01; "
            "14 Agt. 2021, 5 Nopember 2020, 1 Mei2019")
    assert dates_in_text(text) == [date(2024, 3, 3), date(2023, 8, 17), date(2022, 12, 1),
                                   date(2021, 8, 14), date(2020, 11, 5)]


def test_dates_in_text_skips_impossible_dates_and_numbers_that_are_not_dates() -> None:
    text = ("31/02/2024, 2024-13-01, 12 marketing 2024, NIP 198503032010012001, "
            "Nomor 123/04/20245, 3 Maret 1945, 3 maret 2024, 3 MARET 2024")
    assert dates_in_text(text) == [date(2024, 3, 3)]  # once, whatever the case


def test_dates_in_text_stops_after_five() -> None:
    text = " ".join(f"{day} Januari 2024" for day in range(1, 20))
    assert len(dates_in_text(text)) == 5


# --- periods -------------------------------------------------------------------------------

def test_the_default_period_is_the_calendar_year_before_the_verification() -> None:
    assert default_period(date(2025, 5, 16)) == Y2024
    assert Y2024.year == 2024 and Y2024.contains(date(2024, 12, 31))
    assert not Y2024.contains(date(2025, 1, 1))


@pytest.mark.parametrize(("text", "period"), [
    ("2024", Y2024),
    ("2024-01-01 s.d. 2024-06-30", Period(date(2024, 1, 1), date(2024, 6, 30))),
    ("01/01/2024 sd 30/06/2024", Period(date(2024, 1, 1), date(2024, 6, 30))),
    ("2024-01-01 s/d 2024-06-30", Period(date(2024, 1, 1), date(2024, 6, 30))),
    ("2024-01-01 - 2024-06-30", Period(date(2024, 1, 1), date(2024, 6, 30))),
    ("2024-01-01 sampai dengan 2024-06-30", Period(date(2024, 1, 1), date(2024, 6, 30))),
    ("2024-06-30 s.d. 2024-01-01", None), ("tahun lalu", None), ("20245", None),
    ("2024-02-30 s.d. 2024-06-30", None),
])
def test_parse_period(text: str, period: Period | None) -> None:
    assert parse_period(text) == period


def test_parse_day() -> None:
    assert parse_day("2024-03-03") == parse_day("03/03/2024") == date(2024, 3, 3)
    assert parse_day("3.3.2024") == date(2024, 3, 3)
    assert parse_day("31/02/2024") is None and parse_day("besok") is None


def test_period_text() -> None:
    t = translator("id")
    assert period_text(Y2024, t) == "2024"
    half = Period(date(2024, 1, 1), date(2024, 6, 30))
    assert period_text(half, t) == "1 Januari 2024 s.d. 30 Juni 2024"
    assert period_text(half, translator("en")) == "1 January 2024 to 30 June 2024"


# --- reading files -------------------------------------------------------------------------

def test_jpeg_exif_capture_date(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, fm.jpeg(taken="2021:03:03 10:15:00"), JPEG)
    assert dates(facts) == [("exif", "2021-03-03")]
    assert facts["kind"] == "image" and (facts["width"], facts["height"]) == (1200, 1600)
    assert facts["quality"] == []
    assert dates(facts_of(tmp_path, fm.jpeg(), JPEG)) == []


def test_pdf_creation_date_and_first_page_text(tmp_path: Path) -> None:
    facts = facts_of(tmp_path, fm.dated_pdf("Ditetapkan tanggal 3 Maret 2024",
                                            "D:20210303101500+07'00'", pages=3), PDF)
    assert facts["kind"] == "pdf" and facts["pages"] == 3
    assert dates(facts) == [("text", "2024-03-03"), ("pdf", "2021-03-03")]


def test_pdf_creation_date_without_day_and_a_broken_one(tmp_path: Path) -> None:
    assert dates(facts_of(tmp_path, fm.dated_pdf(created="D:2021"), PDF)) == [
        ("pdf", "2021-01-01")]
    assert dates(facts_of(tmp_path, fm.dated_pdf(created="kemarin sore"), PDF)) == []


@pytest.mark.parametrize(("kind", "mime"), [("docx", DOCX), ("xlsx", XLSX)])
def test_office_core_properties_created(tmp_path: Path, kind: str, mime: str) -> None:
    facts = facts_of(tmp_path, fm.dated_office(kind, "2021-03-03T10:15:00Z"), mime)
    assert facts["kind"] == "office" and dates(facts) == [("office", "2021-03-03")]


@pytest.mark.parametrize(("image", "flags"), [
    (fm.page(), []),
    (fm.blurred(), ["blurred"]),
    (fm.blurred(radius=3), ["blurred"]),
    (fm.dark(), ["dark"]),
    (fm.page((300, 400)), ["tiny"]),
    (fm.page((3000, 4000)), []),
])
def test_image_quality_flags(tmp_path: Path, image: object, flags: list[str]) -> None:
    facts = facts_of(tmp_path, fm.jpeg(image), JPEG)
    assert facts["quality"] == flags, facts


def test_measured_values_sit_well_apart_from_the_thresholds(tmp_path: Path) -> None:
    sharp = facts_of(tmp_path, fm.jpeg(fm.page()), JPEG)
    blur = facts_of(tmp_path, fm.jpeg(fm.blurred()), JPEG)
    darker = facts_of(tmp_path, fm.jpeg(fm.dark()), JPEG)
    assert sharp["sharpness"] > 10 * file_facts.BLUR_BELOW > 30 * blur["sharpness"]
    assert darker["sharpness"] > file_facts.BLUR_BELOW  # dark, not blurred
    assert darker["luminance"] < file_facts.DARK_BELOW < sharp["luminance"]


def test_a_blank_image_is_not_called_blurred(tmp_path: Path) -> None:
    from PIL import Image

    assert facts_of(tmp_path, fm.jpeg(Image.new("RGB", (1600, 1200), (240, 240, 240))),
                    JPEG)["quality"] == []


def test_png_and_webp_are_measured_too(tmp_path: Path) -> None:
    assert facts_of(tmp_path, image_bytes("PNG"), "image/png")["quality"] == ["tiny"]
    assert "luminance" in facts_of(tmp_path, image_bytes("WEBP"), "image/webp")


@pytest.mark.parametrize(("data", "mime"), [
    (b"%PDF-1.7\n" + b"\x00garbage" * 500, PDF),
    (fm.jpeg()[:400], JPEG),  # cut short
    (EXE, JPEG),
    (EXE, DOCX),
    (deflate_bomb(8), DOCX),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 600, "application/msword"),
    (b"", "image/png"),
])
def test_a_hostile_or_garbled_file_gives_no_facts_and_no_error(
        tmp_path: Path, data: bytes, mime: str) -> None:
    facts = facts_of(tmp_path, data, mime)
    assert facts["dates"] == [] and not facts.get("quality")
    path = tmp_path / "file"
    safe = read_facts_safely(path, mime)
    assert safe is None or safe["dates"] == []


def test_facts_in_the_sandbox_are_those_read_in_process(tmp_path: Path) -> None:
    path = tmp_path / "doc.pdf"
    path.write_bytes(fm.dated_pdf("3 Maret 2024", "D:20210303"))
    assert read_facts_safely(path, PDF) == read_facts(path, PDF)


# --- judging against the period, and the words ---------------------------------------------

def test_a_date_inside_the_period_wins_over_one_outside() -> None:
    facts = {"kind": "pdf", "pages": 2, "dates": [{"source": "pdf", "date": "2025-02-01"},
                                                  {"source": "text", "date": "2024-03-03"}]}
    notes = judge(facts, Y2024)
    assert (notes.found, notes.source, notes.outside) == (date(2024, 3, 3), "text", False)
    assert not notes.worth_telling


def test_outside_the_period_the_most_trusted_date_is_shown() -> None:
    facts = {"kind": "pdf", "dates": [{"source": "pdf", "date": "2021-03-03"},
                                      {"source": "text", "date": "2020-01-05"}]}
    notes = judge(facts, Y2024)
    assert (notes.found, notes.source, notes.outside) == (date(2020, 1, 5), "text", True)


def test_no_date_and_broken_stored_facts_are_not_outside() -> None:
    assert judge(None, Y2024).outside is False
    assert judge({"dates": [{"source": "exif", "date": "nonsense"}, {"x": 1}]},
                 Y2024).found is None


def test_member_and_card_words() -> None:
    t = translator("id")
    notes = judge({"kind": "image", "quality": ["blurred", "dark"],
                   "dates": [{"source": "exif", "date": "2021-03-03"}]}, Y2024, ["K3-12"])
    assert member_lines(notes, t) == [
        "Catatan: foto ini diambil 3 Maret 2021, di luar periode 2024 — tetap kami terima; "
        "pastikan ini berkas yang tepat.",
        "Catatan: gambar ini tampak buram, sangat gelap — tetap kami terima; bila ada, kirim "
        "versi yang lebih jelas agar mudah dibaca verifikator."]
    assert card_lines(notes, t) == [
        "🔎 Gambar · ⚠️ foto diambil 3 Maret 2021 — di luar periode 2024",
        "⚠️ Gambar tampak buram, sangat gelap: periksa apakah masih terbaca.",
        "♻️ Berkas yang sama juga dikirim untuk K3-12."]
    en = card_lines(judge({"kind": "pdf", "pages": 3}, Y2024), translator("en"))
    assert en == ["🔎 PDF · 3 pages · no date found"]
    assert member_lines(judge({"kind": "pdf", "pages": 3}, Y2024), t) == []


def test_heic_exif_date_and_size_without_decoding(tmp_path: Path) -> None:
    import io

    import pillow_heif
    from PIL import Image

    exif = Image.Exif()
    exif.get_ifd(fm.EXIF_IFD)[fm.DATE_TIME_ORIGINAL] = "2021:03:03 10:15:00"
    out = io.BytesIO()
    pillow_heif.from_pillow(fm.page((800, 600))).save(out, quality=60, exif=exif.tobytes())
    facts = facts_of(tmp_path, out.getvalue(), "image/heic")
    assert dates(facts) == [("exif", "2021-03-03")]
    assert (facts["width"], facts["height"], facts["quality"]) == (800, 600, [])
