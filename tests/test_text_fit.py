"""The fitting rules, checked against the stand-in's own HTML parser (Telegram's rules)."""

from __future__ import annotations

import html
import random

import pytest

from kla_bot.i18n import translator
from kla_bot.standin.html import parse_html
from kla_bot.standin.html import utf16_len as telegram_len
from kla_bot.text_fit import (
    CAPTION_LIMIT,
    TEXT_LIMIT,
    fit_list,
    label,
    shorten,
    split_text,
    toast,
    visible_len,
)

ID = translator("id")
PIECES = ["a", "b", " ", "&amp;", "&lt;", "😀", "é", "\n"]


def _random_html(rng: random.Random) -> str:
    """Lines of escaped text, some bold, some inside a blockquote spanning lines."""
    lines = []
    for _ in range(rng.randint(1, 60)):
        body = "".join(rng.choice(PIECES[:-1]) for _ in range(rng.choice([0, 5, 80, 700, 5000])))
        if rng.random() < 0.3:
            body = f"<b>{body}</b>"
        lines.append(body)
    if len(lines) > 2:
        start = rng.randrange(len(lines) - 1)
        lines[start] = "<blockquote>" + lines[start]
        lines[-1] += "</blockquote>"
    return "\n".join(lines)


def _squeezed(text: str) -> str:
    return "".join(text.split())


@pytest.mark.parametrize("limit", [200, CAPTION_LIMIT, TEXT_LIMIT])
def test_split_parts_are_valid_html_within_the_limit_and_lose_nothing(limit: int) -> None:
    rng = random.Random(limit)
    for _ in range(25):
        text = _random_html(rng)
        whole = parse_html(text).plain
        if not whole.strip():
            continue
        parts = split_text(text, limit)
        plains = [parse_html(part).plain for part in parts]  # raises on broken HTML
        assert all(0 < telegram_len(p) <= limit and p.strip() for p in plains)
        assert _squeezed("".join(plains)) == _squeezed(whole)


def test_split_prefers_line_boundaries_and_reopens_tags() -> None:
    lines = [f"<b>baris {n}</b> " + "x" * 30 for n in range(10)]
    parts = split_text("<i>" + "\n".join(lines) + "</i>", 100)
    assert len(parts) > 1
    for part in parts:
        assert part.startswith("<i>") and part.endswith("</i>")
        assert all(line.count("<b>") == line.count("</b>") for line in part.split("\n"))


def test_visible_length_counts_what_telegram_counts() -> None:
    text = "<b>K3&amp;1</b> 😀 &lt;x&gt;"
    assert visible_len(text) == telegram_len(parse_html(text).plain) == 11


@pytest.mark.parametrize("count", [1, 30, 200])
@pytest.mark.parametrize("width", [10, 500, 5000])
def test_fit_list_keeps_what_fits_and_counts_the_rest(count: int, width: int) -> None:
    items = [f"• <b>K3-{n:03d}</b> " + html.escape("&" * width) for n in range(count)]
    text, shown = fit_list(["<b>Judul</b>"], items, ["", "petunjuk"],
                           lambda n: ID("reminders.more", count=n), hidden=5)
    assert visible_len(text) <= TEXT_LIMIT
    parse_html(text)
    assert all(f"K3-{n:03d}" in text for n in range(shown))
    assert f"K3-{shown:03d}" not in text
    assert f"… dan {count - shown + 5} lainnya" in text
    assert text.endswith("petunjuk")
    if width == 10:
        assert shown == count


def test_labels_are_plain_text_and_short() -> None:
    assert label(ID("evidence.pick_button", code="K3-1", title="Dinas P3A & KB <2025>")) == (
        "K3-1 · Dinas P3A & KB <2025>")
    long = label(ID("evidence.pick_button", code="K3-1", title="judul " * 1000))
    assert len(long) == 64 and long.endswith("…")
    assert toast("<b>Maaf</b> &amp; " + "x" * 500).startswith("Maaf & ")
    assert len(toast("x" * 500)) == 200
    assert shorten("pendek", 10) == "pendek" and shorten("panjang sekali", 8) == "panjang…"
