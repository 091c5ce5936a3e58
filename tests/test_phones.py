"""Phone numbers as people type them are one person; non-numbers are refused with a reason."""

from __future__ import annotations

import pytest

from kla_bot.phones import PhoneError, mask_phone, normalize_phone, try_normalize_phone


@pytest.mark.parametrize("typed", [
    "0812-0000-1234",
    "081200001234",
    "62812-0000-1234",
    "6281200001234",
    "+62 812 0000 1234",
    "+62 (0) 812 0000 1234",
    "(0812) 0000 1234",
    "0812.0000.1234",
    "812 0000 1234",  # a number cell in a spreadsheet drops the leading 0
    "  0812 0000 1234  ",
])
def test_the_ways_people_write_one_number_are_one_person(typed: str) -> None:
    assert normalize_phone(typed) == "+6281200001234"


def test_a_number_with_another_country_code_is_kept() -> None:
    assert normalize_phone("+65 6123 4567") == "+6561234567"


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "empty"),
    ("   ", "empty"),
    ("Budi", "not_a_number"),
    ("0812-abc-1234", "not_a_number"),
    ("0812", "too_short"),
    ("12", "too_short"),
    ("0812000012345678901", "not_"),
])
def test_non_numbers_are_refused_with_a_reason(typed: str, reason: str) -> None:
    with pytest.raises(PhoneError, match=reason):
        normalize_phone(typed)


def test_try_normalize_returns_none_for_bad_input() -> None:
    assert try_normalize_phone(None) is None
    assert try_normalize_phone("bukan nomor") is None
    assert try_normalize_phone("6281200001234") == "+6281200001234"


def test_masked_phone_hides_the_middle_digits() -> None:
    assert mask_phone("+6281200001234") == "+62812****1234"
    assert "0000" not in mask_phone("+6281200001234")
    assert mask_phone("+6561234567") == "+65******67"
