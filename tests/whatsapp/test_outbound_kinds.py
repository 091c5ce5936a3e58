"""Every outbox kind can go on every channel: a renderer per channel (a test fails when one is
missing), and on WhatsApp a template or a reason to wait, with its parameters filled."""

from __future__ import annotations

import re

import pytest

from kla_bot.channels.telegram.sender import renderer_tables
from kla_bot.channels.whatsapp import template_params
from kla_bot.channels.whatsapp.render import Outgoing
from kla_bot.channels.whatsapp.templates import NO_TEMPLATE, TEMPLATES
from kla_bot.i18n import translator
from kla_bot.services.outbox_kinds import OutboxKind, load
from tests.test_outbox_kinds import STORED


@pytest.mark.parametrize("channel", ["telegram", "whatsapp"])
def test_every_kind_has_a_renderer_on_every_channel(channel: str) -> None:
    tables = renderer_tables()
    assert set(tables) == {"telegram", "whatsapp"}
    assert set(tables[channel]) == set(OutboxKind)


def test_every_kind_has_a_template_or_waits_on_whatsapp() -> None:
    for kind in OutboxKind:
        assert (kind in TEMPLATES) != (kind in NO_TEMPLATE), kind
    assert set(template_params.BUTTON_COMMAND) == set(TEMPLATES)


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", list(OutboxKind))
def test_a_stored_payload_renders_on_whatsapp_in_its_markup(kind: OutboxKind, lang: str) -> None:
    shown = renderer_tables()["whatsapp"][kind](load(kind, STORED[kind]), translator(lang))
    assert isinstance(shown, list) and shown
    assert all(isinstance(message, Outgoing) for message in shown)
    text = "\n".join(message.text for message in shown)
    assert not re.search(r"</?(b|i|code|a)\b", text) and "&lt;" not in text
    assert "{" not in text


@pytest.mark.parametrize("lang", ["id", "en"])
@pytest.mark.parametrize("kind", list(TEMPLATES))
def test_template_parameters_are_filled_flat_and_in_order(kind: OutboxKind, lang: str) -> None:
    values = template_params.values(load(kind, STORED[kind]), "Rina\nMarlina", translator(lang))
    assert len(values) == len(TEMPLATES[kind].params)
    assert values[0] == "Rina Marlina"
    for value in values:
        assert value and value == " ".join(value.split()) and "<" not in value
    assert template_params.button_payload(kind).startswith("cmd:")
