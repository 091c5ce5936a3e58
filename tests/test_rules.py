"""Rules with one home: the countdown to hari H, where a stored file lives, safe file names."""

from __future__ import annotations

from pathlib import Path

import pytest

from kla_bot.file_names import safe_file_name
from kla_bot.i18n import translator
from kla_bot.services.intake_record import sanitize_name
from kla_bot.storage import evidence_key, evidence_path

SHA = "ab" + "c" * 62


@pytest.mark.parametrize(("days", "indonesian", "english"), [
    (11, "H-11", "D-11"), (1, "H-1", "D-1"), (0, "hari H", "D-day"), (-2, "H+2", "D+2")])
def test_the_countdown_to_the_verification_day(days: int, indonesian: str, english: str) -> None:
    assert translator("id").countdown(days) == indonesian
    assert translator("en").countdown(days) == english


@pytest.mark.parametrize(("days", "indonesian"), [
    (11, "11 hari lagi"), (1, "1 hari lagi"), (0, "verifikasi hari ini"),
    (-2, "verifikasi sudah lewat 2 hari")])
def test_the_countdown_in_words_for_the_command_line(days: int, indonesian: str) -> None:
    assert translator("id").countdown_plain(days) == indonesian


def test_a_stored_file_lives_under_the_first_two_characters_of_its_hash(tmp_path: Path) -> None:
    assert evidence_key(SHA) == f"ab/{SHA}"
    assert evidence_path(tmp_path, evidence_key(SHA)) == tmp_path / "ab" / SHA
    assert evidence_path(tmp_path, SHA) == tmp_path / "ab" / SHA  # a bare hash, too


@pytest.mark.parametrize("key", ["../ab/x", "ab/../../etc/passwd", "/etc/passwd"])
def test_a_key_that_leaves_the_store_is_refused(tmp_path: Path, key: str) -> None:
    with pytest.raises(ValueError, match="bad evidence key"):
        evidence_path(tmp_path, key)


@pytest.mark.parametrize(("text", "expected"), [
    ("Perbup KTR<final>.pdf", "Perbup KTR_final_.pdf"),  # forbidden on Windows
    ("perda: final/v2.pdf", "perda_ final_v2.pdf"),  # no folder can be climbed or made
    ('a\\b|c?d*e"f.pdf', "a_b_c_d_e_f.pdf"),  # a run of them is one _
    ("laporan & rekap, 2024 (final).pdf", "laporan & rekap, 2024 (final).pdf"),  # kept
    ("line\nbreak\tand  spaces.pdf", "line break and spaces.pdf"),
    ("invoice\u202efdp.exe", "invoicefdp.exe"),  # a right-to-left override is dropped
    ("ＳＫ　Ｂｕｐａｔｉ.pdf", "SK Bupati.pdf"),  # full-width forms folded (NFKC)
    ("  ..hidden. ", "hidden"), ("...", "_"), ("", "_")])
def test_one_set_of_file_name_rules(text: str, expected: str) -> None:
    assert safe_file_name(text) == expected
    assert safe_file_name(safe_file_name(text)) == safe_file_name(text)  # stable


def test_a_long_name_is_cut_before_its_extension() -> None:
    cut = safe_file_name("laporan " * 30 + ".pdf", 40)
    assert cut == "laporan laporan laporan laporan lapo.pdf"
    assert safe_file_name("x" * 50, 40) == "x" * 40


def test_intake_keeps_the_name_without_folders_and_with_the_real_extension() -> None:
    assert sanitize_name("C:\\Users\\rina\\Perda KTR.docx", "K3-17a-abc", "pdf") \
        == "Perda KTR.pdf"
    assert sanitize_name("../Perbup KTR<final>.pdf", "K3-17a-abc", "pdf") \
        == "Perbup KTR_final_.pdf"
    assert sanitize_name(None, "K3-17a-abc", "pdf") == "K3-17a-abc.pdf"
    assert sanitize_name("<>", "K3-17a-abc", "jpg") == "K3-17a-abc.jpg"
