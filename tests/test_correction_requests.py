"""The correction commands read into requests (plain Python, no database): each form, and a
refusal naming the expected form for anything else."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from kla_bot.services import correction_requests as r
from kla_bot.services.access import AccessDenied

TODAY = date(2025, 5, 5)


def test_edit_reads_each_field_in_both_languages() -> None:
    assert r.edit(("K3-17a", "tenggat", "2025-05-10")) == r.EditTask("K3-17a", "due",
                                                                     date(2025, 5, 10))
    assert r.edit(("K3-17a", "due", "10/05/2025")).value == date(2025, 5, 10)
    assert r.edit(("K3-17a", "poin", "1,5")).value == Decimal("1.50")
    assert r.edit(("K3-17a", "points", "2")).value == Decimal("2.00")
    assert r.edit(("K3-17a", "judul", "Perda", " KTR")).value == "Perda KTR"


@pytest.mark.parametrize(("args", "key"), [
    ((), "corrections.usage.edit"),
    (("K3-17a", "warna", "merah"), "corrections.usage.edit"),
    (("K3-17a", "tenggat", "besok"), "corrections.usage.edit_due"),
    (("K3-17a", "poin", "1,555"), "corrections.usage.edit_points"),
    (("K3-17a", "poin", "-1"), "corrections.usage.edit_points"),
    (("K3-17a", "judul", "x" * 301), "corrections.usage.edit_title"),
    (("K3-17a", "judul", "a\x07b"), "corrections.usage.edit_title"),
])
def test_edit_refuses_with_the_expected_form(args: tuple[str, ...], key: str) -> None:
    with pytest.raises(AccessDenied) as refused:
        r.edit(args)
    assert refused.value.key == key


def test_add_takes_an_optional_due_date_before_the_title() -> None:
    with_due = r.add(("K3-20", "17", "1,5", "0812-0000-0003", "2025-05-10", "SK", "KTR"))
    assert (with_due.due, with_due.title) == ("2025-05-10", "SK KTR")
    without = r.add(("K3-20", "17", "1,5", "0812-0000-0003", "SK", "KTR"))
    assert (without.due, without.title) == ("", "SK KTR")
    with pytest.raises(AccessDenied):
        r.add(("K3-20", "17", "1,5", "0812-0000-0003", "2025-05-10"))


def test_move_and_away_read_a_phone_typed_with_spaces() -> None:
    assert r.move(("0812", "0000", "0003", "K4;k5")) == r.MoveMember("+6281200000003",
                                                                    ("K4", "K5"))
    assert r.away(("0812-0000-0003", "2025-05-09"), TODAY).until == date(2025, 5, 9)
    assert r.away(("0812-0000-0003", "selesai"), TODAY).until is None
    for bad in (("0812-0000-0003",), ("0812-0000-0003", "K9"), ("K4",)):
        with pytest.raises(AccessDenied):
            r.move(bad)
    with pytest.raises(AccessDenied) as past:
        r.away(("0812-0000-0003", "2025-05-04"), TODAY)
    assert past.value.key == "corrections.away_past"
    with pytest.raises(AccessDenied):
        r.away(("bukan-nomor", "2025-05-09"), TODAY)
