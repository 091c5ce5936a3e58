"""Both catalogs are complete and consistent, and handlers take every text from them."""

from __future__ import annotations

import ast
import string
import tomllib
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from kla_bot.i18n import LANGUAGES, Translator, load_catalog

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "kla_bot" / "locales"

# Methods whose text reaches the user; the value is where the text sits when passed by position.
SENDING_METHODS: dict[str, tuple[str, int]] = {
    "reply_text": ("text", 0),
    "reply_html": ("text", 0),
    "reply_markdown": ("text", 0),
    "edit_text": ("text", 0),
    "edit_message_text": ("text", 0),
    "edit_caption": ("caption", 0),
    "edit_message_caption": ("caption", 1),
    "answer": ("text", 0),
    "answer_callback_query": ("text", 1),
    "send_message": ("text", 1),
    "reply_document": ("caption", 1),
    "reply_photo": ("caption", 1),
    "send_document": ("caption", 2),
    "send_photo": ("caption", 2),
}
BUTTONS = {"InlineKeyboardButton", "KeyboardButton"}


def _placeholders(text: str) -> set[tuple[str, str]]:
    return {(name, spec or "") for _, name, spec, _ in string.Formatter().parse(text)
            if name is not None}


def test_every_catalog_file_exists_in_every_language() -> None:
    files = {lang: sorted(p.name for p in (LOCALES / lang).glob("*.toml")) for lang in LANGUAGES}
    assert files["en"] == files["id"]
    for lang in LANGUAGES:
        for path in (LOCALES / lang).glob("*.toml"):
            tomllib.loads(path.read_text("utf-8"))  # raises on a broken file


def test_both_catalogs_have_the_same_keys() -> None:
    indonesian, english = load_catalog("id"), load_catalog("en")
    assert sorted(set(indonesian) - set(english)) == [], "keys missing from the English catalog"
    assert sorted(set(english) - set(indonesian)) == [], "keys missing from the Indonesian catalog"


def test_every_text_has_the_same_placeholders_in_both_languages() -> None:
    indonesian, english = load_catalog("id"), load_catalog("en")
    differing = {key: (_placeholders(text), _placeholders(english[key]))
                 for key, text in indonesian.items()
                 if key in english and _placeholders(text) != _placeholders(english[key])}
    assert differing == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_text_formats_with_sample_values(lang: str) -> None:
    samples = {"date": date(2025, 5, 16), "sdate": date(2025, 5, 16),
               "ldate": date(2025, 5, 16), "num": Decimal("1234.5"),
               "int": 1234, "time": datetime(2025, 5, 16, 5, 19, tzinfo=UTC), "": "x"}
    t = Translator(lang)
    for key, text in load_catalog(lang).items():
        params = {name: samples.get(spec, "x") for name, spec in _placeholders(text)}
        t(key, **params)


def test_dates_and_numbers_are_written_the_indonesian_way() -> None:
    t = Translator("id")
    assert t.date(date(2025, 5, 16)) == "Jumat, 16 Mei 2025"
    assert t.num(Decimal("1234.5")) == "1.234,5"
    assert Translator("en").date(date(2025, 5, 16)) == "Friday, 16 May 2025"


def test_plain_texts_for_the_terminal_are_not_html_escaped() -> None:
    t = Translator("id")
    assert t("imports.reason.bad_code", code="<K&1>") == \
        "kode '&lt;K&amp;1&gt;': pakai paling banyak 32 huruf, angka, '-', '_' atau '.'"
    assert t.plain("imports.reason.bad_code", code="<K&1>") == \
        "kode '<K&1>': pakai paling banyak 32 huruf, angka, '-', '_' atau '.'"
    assert t.plain("cli.status.points", approved=1234.5, submitted=0, open=1, projected=2,
                   needed=3).startswith("Poin: disetujui 1.234,5 · menunggu tinjauan 0")


def _literal_text(node: ast.expr) -> bool:
    """A hand-written text: a string with letters, an f-string, or something built from one."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and any(ch.isalpha() for ch in node.value)
    if isinstance(node, ast.JoinedStr):
        return any(_literal_text(part) for part in node.values
                   if isinstance(part, ast.Constant))
    if isinstance(node, ast.BinOp):
        return _literal_text(node.left) or _literal_text(node.right)
    if isinstance(node, ast.IfExp):
        return _literal_text(node.body) or _literal_text(node.orelse)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        # "…".format(…) and "…".join(…) build texts from the literal they are called on.
        return node.func.attr in {"format", "join"} and _literal_text(node.func.value)
    return False


def literal_texts_sent(source: str) -> list[tuple[int, str]]:
    """(line, call) for every user-facing text in ``source`` that is not from the translator."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if not isinstance(node, ast.Call):
            continue
        func = node.func
        name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
        texts: list[ast.expr] = []
        if name in SENDING_METHODS:
            keyword, position = SENDING_METHODS[name]
            texts += [kw.value for kw in node.keywords if kw.arg == keyword]
            if len(node.args) > position:
                texts.append(node.args[position])
        elif name in BUTTONS:
            texts += [kw.value for kw in node.keywords if kw.arg == "text"] + node.args[:1]
        found += [(node.lineno, name) for text in texts if _literal_text(text)]
    return found


def test_the_literal_check_catches_hand_written_texts() -> None:
    source = (
        "async def f(m, t, bot, q, name):\n"
        "    await m.reply_text('Halo')\n"
        "    await m.reply_text(f'Halo {name}')\n"
        "    await bot.send_message(1, text='Hi ' + name)\n"
        "    await q.answer('Sudah')\n"
        "    InlineKeyboardButton('Kirim', callback_data='tk:1')\n"
        "    await m.reply_text(t('start.welcome', name=name))\n"
        "    await m.reply_text('\\n'.join([t('a'), t('b')]))\n"
        "    await q.answer()\n"
    )
    assert sorted(line for line, _ in literal_texts_sent(source)) == [2, 3, 4, 5, 6]


def test_handlers_send_no_hand_written_text() -> None:
    offenders = [f"{path.name}:{line} {call}"
                 for path in sorted((ROOT / "handlers").glob("*.py"))
                 for line, call in literal_texts_sent(path.read_text("utf-8"))]
    assert offenders == []
