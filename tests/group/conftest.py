"""The task-force group tests: after every test, nothing the bot ever showed in a group (first
versions of edited posts included) holds a phone number or a rejection reason."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from kla_bot.i18n import load_catalog
from kla_bot.standin import BotApiStandin

PHONE = re.compile(r"(\+?62|\b0)\s?8\d{2}[\d\s.-]{5,}")
TYPED_REASON = "Belum ada tanda tangan kepala dinas"  # what the tests type when rejecting


def _reasons() -> list[str]:
    return [TYPED_REASON] + [text for lang in ("id", "en")
                             for key, text in load_catalog(lang).items()
                             if key.startswith("review.reasons.")]


def group_texts(state: BotApiStandin) -> list[str]:
    """Every text the bot ever showed in a group (each edit's earlier versions too)."""
    texts: list[str] = []
    for sent in state.sent:
        if sent.chat_id < 0:
            texts.append(sent.body)
            texts += [str(old.get("text") or old.get("caption") or "") for old in sent.history]
    return texts


@pytest.fixture(autouse=True)
def nothing_private_in_groups(standin: BotApiStandin) -> Iterator[None]:
    yield
    reasons = _reasons()
    for text in group_texts(standin):
        assert PHONE.search(text) is None, text
        assert not any(reason in text for reason in reasons), text
