"""The reviewer's card is the caption of the file: it fits with every field at its longest and
every content note the check can add."""

from __future__ import annotations

from decimal import Decimal

import pytest

from handlers.review import CARD_WIDTHS, card
from kla_bot.i18n import translator
from kla_bot.services.outbox_kinds import EvidenceSubmitted
from kla_bot.text_fit import CAPTION_LIMIT, visible_len


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_longest_card_with_every_note_fits_a_caption(lang: str) -> None:
    longest = {key: "Ж" * 5000 for key in CARD_WIDTHS}
    payload = EvidenceSubmitted(**longest, evidence_id=1, cluster="K3", points=Decimal("12.75"),
                                bytes=19_999_999, sha256="f" * 64, mime="application/pdf",
                                storage_key="ff/" + "f" * 64,
                                content_notes="javascript,launch,embedded_files")
    text = card(payload, translator(lang))
    assert visible_len(text) <= CAPTION_LIMIT
    assert text.count("\n") >= 4 and "JavaScript" in text
