"""The reviewer's card is the caption of the file: it fits with every field at its longest and
every content note the check can add."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from handlers.review import CARD_WIDTHS, card
from kla_bot.i18n import translator
from kla_bot.services.evidence_facts import FileNotes
from kla_bot.services.outbox_kinds import EvidenceSubmitted
from kla_bot.text_fit import CAPTION_LIMIT, visible_len


@pytest.mark.parametrize("kind", ["pdf", "image"])
@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_longest_card_with_every_note_fits_a_caption(lang: str, kind: str) -> None:
    """Content notes come with PDFs, quality flags with images; either with every fact."""
    longest = {key: "Ж" * 5000 for key in CARD_WIDTHS}
    notes = {"pdf": "javascript,launch,embedded_files", "image": None}
    flags = {"pdf": (), "image": ("blurred", "dark", "tiny")}
    payload = EvidenceSubmitted(**longest, evidence_id=1, cluster="K3", points=Decimal("12.75"),
                                bytes=19_999_999, sha256="f" * 64, mime="application/pdf",
                                storage_key="ff/" + "f" * 64,
                                content_notes=notes[kind],
                                facts=FileNotes(
                                    date(2024, 1, 1), date(2024, 12, 30), kind=kind,
                                    pages=99_999, found=date(2021, 9, 30), source="text",
                                    outside=True, quality=flags[kind],
                                    duplicates=("K3-17a-" + "9" * 26,) * 3))
    text = card(payload, translator(lang))
    assert visible_len(text) <= CAPTION_LIMIT
    assert text.count("\n") >= 6 and "K3-17a-9999" in text
    assert ("JavaScript" in text) == (kind == "pdf")
    assert "2021" in text and "2024" in text
