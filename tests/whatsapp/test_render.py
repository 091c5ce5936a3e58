"""Neutral replies in WhatsApp's terms: markup, buttons, lists, long texts."""

from __future__ import annotations

from kla_bot.channels.whatsapp.render import Row, outgoing, wa_text
from kla_bot.conversation.replies import Choice, Reply
from kla_bot.i18n import translator


def test_html_becomes_whatsapp_markup_and_entities_are_decoded() -> None:
    assert wa_text("<b>K3-17a</b> &amp; <code>abc123</code>") == "*K3-17a* & `abc123`"
    assert wa_text("Halo <b>Siti </b>!") == "Halo *Siti* !"
    assert wa_text("<b></b>kosong") == "kosong"
    assert wa_text("1 &lt; 2") == "1 < 2"


def test_three_short_choices_are_reply_buttons() -> None:
    reply = Reply("Berkas <b>K3-17a</b>", ((Choice("✅ Setujui", "rv:ok:1"),
                                           Choice("❌ Tolak", "rv:no:1")),))
    [message] = outgoing(reply, translator("id"))
    assert message.text == "Berkas *K3-17a*"
    assert message.buttons == (("✅ Setujui", "rv:ok:1"), ("❌ Tolak", "rv:no:1"))
    assert message.rows == ()


def test_long_labels_or_many_choices_become_lists_of_ten() -> None:
    choices = tuple((Choice(f"📎 Kirim berkas K3-{n} Perbup Kawasan Tanpa Rokok", f"tk:send:{n}"),)
                    for n in range(23))
    messages = outgoing(Reply("Tugas Anda", choices), translator("id"))
    assert [len(m.rows) for m in messages] == [10, 10, 3]
    assert messages[0].text == "Tugas Anda" and messages[0].list_button == "Pilih"
    assert messages[1].text == "Pilihan lainnya (2/3):"
    first = messages[0].rows[0]
    assert isinstance(first, Row) and len(first.title) <= 24 and first.id == "tk:send:0"
    assert first.description.startswith("📎 Kirim berkas K3-0")


def test_a_text_too_long_for_an_interactive_body_goes_first() -> None:
    long = "\n".join(f"baris {n} " + "x" * 60 for n in range(40))
    messages = outgoing(Reply(long, ((Choice("OK", "a:1"),),)), translator("en"))
    assert all(len(m.text) <= 4096 for m in messages)
    assert messages[-1].text == "Please choose:" and messages[-1].buttons == (("OK", "a:1"),)
    assert "".join(m.text for m in messages[:-1]).count("baris") == 40


def test_plain_text_longer_than_a_message_is_split_on_lines() -> None:
    long = "\n".join("y" * 1000 for _ in range(9))
    messages = outgoing(Reply(long), translator("id"))
    assert len(messages) == 3 and all(len(m.text) <= 4096 for m in messages)
