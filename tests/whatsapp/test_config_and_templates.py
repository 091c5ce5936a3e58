"""The ``[whatsapp]`` and ``[server]`` settings, and ``python bot.py whatsapp templates``."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import re
from collections.abc import Callable
from pathlib import Path

import pytest

from kla_bot.channels.whatsapp.templates import (
    BODY_MAX,
    BUTTON_MAX,
    NO_TEMPLATE,
    TEMPLATES,
    config_key,
)
from kla_bot.cli import main
from kla_bot.cli_text import error_text
from kla_bot.config import ConfigError, Settings, load_settings, whatsapp_missing
from kla_bot.i18n import load_catalog, translator
from kla_bot.logs import RedactingFormatter
from kla_bot.services.outbox_kinds import OutboxKind

TOKEN = "EAAGsecretWhatsAppAccessToken0123456789"
APP_SECRET = "0123456789abcdef0123456789abcdef"
VERIFY = "verify-me-please"
SECRETS = {"KLA_BOT_WHATSAPP_TOKEN": TOKEN, "KLA_BOT_WHATSAPP_APP_SECRET": APP_SECRET}

BASE = '[verification]\nregency = "Kabupaten Banjar"\n'
SECTION = BASE + f"""
[whatsapp]
phone_number_id = "106540352242922"
verify_token = "{VERIFY}"

[whatsapp.templates]
digest = "pengingat_banjar"
review_rejected = "berkas_ditolak_v2"

[server]
listen = "0.0.0.0:9000"
"""
PARAM = re.compile(r"\{\{(\d+)\}\}")


def config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


def refusal(path: Path, env: dict[str, str]) -> tuple[str, str]:
    """The one line the operator reads, in Indonesian and in English."""
    with pytest.raises(ConfigError) as caught:
        load_settings(path, env=env)
    lines = tuple(error_text(translator(lang), caught.value) for lang in ("id", "en"))
    assert all("\n" not in line for line in lines)
    return lines[0], lines[1]


def test_the_section_is_read_with_the_secrets_from_the_environment(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, SECTION),
                      env={**SECRETS, "KLA_BOT_WHATSAPP_API_VERSION": "v24.0"})
    assert s.whatsapp is not None
    assert (s.whatsapp.phone_number_id, s.whatsapp.token, s.whatsapp.app_secret,
            s.whatsapp.verify_token) == ("106540352242922", TOKEN, APP_SECRET, VERIFY)
    assert (s.whatsapp.base_url, s.whatsapp.api_version, s.whatsapp.path) == (
        "https://graph.facebook.com", "v24.0", "/whatsapp")
    assert s.whatsapp.templates == {OutboxKind.DIGEST: "pengingat_banjar",
                                    OutboxKind.REVIEW_REJECTED: "berkas_ditolak_v2"}
    assert (s.server.host, s.server.port) == ("0.0.0.0", 9000)
    assert whatsapp_missing(s.whatsapp) is None
    assert set(s.secrets) == {TOKEN, APP_SECRET, VERIFY}


def test_the_environment_beats_the_file_and_a_numeric_secret_stays_text(tmp_path: Path) -> None:
    text = SECTION.replace('[whatsapp]\n', '[whatsapp]\ntoken = "from-the-file"\n')
    s = load_settings(config(tmp_path, text),
                      env={**SECRETS, "KLA_BOT_WHATSAPP_VERIFY_TOKEN": "12345678"})
    assert s.whatsapp is not None
    assert (s.whatsapp.token, s.whatsapp.verify_token) == (TOKEN, "12345678")


def test_without_the_section_the_bot_is_telegram_only(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, BASE), env={})
    assert s.whatsapp is None
    assert (s.server.host, s.server.port) == ("127.0.0.1", 8443)
    example = Path(__file__).resolve().parents[2] / "config.example.toml"
    assert load_settings(example, env={}).whatsapp is None  # the section is commented out


def test_the_example_documents_every_key_of_the_commented_sections(tmp_path: Path) -> None:
    example = (Path(__file__).resolve().parents[2] / "config.example.toml").read_text("utf-8")
    opened = re.sub(r"^# (\[whatsapp|\[server|[a-z_]+ = )", r"\1", example, flags=re.M)
    s = load_settings(config(tmp_path, opened), env={})
    assert s.whatsapp is not None and s.whatsapp.templates == {OutboxKind.DIGEST:
                                                               "kla_pengingat_harian"}
    for key in ("phone_number_id", "token", "app_secret", "verify_token", "base_url",
                "api_version", "path", "listen"):
        assert re.search(rf"^# {key} = ", example, flags=re.M), key


def test_tests_and_the_demo_can_add_the_section_to_settings_without_it() -> None:
    s = Settings().replace(whatsapp={"phone_number_id": "1", "token": TOKEN})
    assert s.whatsapp is not None and s.whatsapp.token == TOKEN and s.whatsapp.path == "/whatsapp"
    assert s.replace(whatsapp={"path": "/wa"}).whatsapp == dataclasses.replace(s.whatsapp,
                                                                               path="/wa")


def test_an_environment_variable_alone_opens_the_section(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, BASE), env=SECRETS)
    assert s.whatsapp is not None
    assert whatsapp_missing(s.whatsapp) == "whatsapp.phone_number_id"


def test_serving_needs_every_credential_and_names_the_first_missing(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, SECTION), env={"KLA_BOT_WHATSAPP_TOKEN": TOKEN})
    assert s.whatsapp is not None
    assert whatsapp_missing(s.whatsapp) == "whatsapp.app_secret"
    line = error_text(translator("en"), ConfigError("whatsapp_missing", key="whatsapp.app_secret"))
    assert line.startswith("whatsapp.app_secret: not set;")


@pytest.mark.parametrize(("edit", "env", "key"), [
    (('phone_number_id = "106540352242922"', 'phone_number_id = "+62 812"'), {},
     "whatsapp.phone_number_id"),
    (None, {"KLA_BOT_WHATSAPP_TOKEN": TOKEN + " \n"}, "whatsapp.token"),
    (None, {"KLA_BOT_WHATSAPP_APP_SECRET": APP_SECRET + "\t"}, "whatsapp.app_secret"),
    (("[whatsapp]\n", f"[whatsapp]\ntoken = {len(TOKEN)}\n"), {"KLA_BOT_WHATSAPP_TOKEN": ""},
     "whatsapp.token"),
    (None, {"KLA_BOT_WHATSAPP_BASE_URL": "graph.facebook.com"}, "whatsapp.base_url"),
    (None, {"KLA_BOT_WHATSAPP_API_VERSION": "23.0"}, "whatsapp.api_version"),
    (None, {"KLA_BOT_WHATSAPP_PATH": "whatsapp"}, "whatsapp.path"),
    (('digest = "pengingat_banjar"', 'digest = "Pengingat-Banjar"'), {},
     "whatsapp.templates.digest"),
    (('digest = "pengingat_banjar"', f'digest = "{"a" * 513}"'), {},
     "whatsapp.templates.digest"),
    (('digest = "pengingat_banjar"', 'digest = 7'), {}, "whatsapp.templates.digest"),
    (('digest = "pengingat_banjar"', 'pengingat = "x"'), {}, "whatsapp.templates.pengingat"),
    (('digest = "pengingat_banjar"', '"reminder.digest" = "x"'), {},
     "whatsapp.templates.reminder.digest"),
    (('digest = "pengingat_banjar"', 'evidence_submitted = "x"'), {},
     "whatsapp.templates.evidence_submitted"),
    (('listen = "0.0.0.0:9000"', 'listen = "9000"'), {}, "server.listen"),
    (('listen = "0.0.0.0:9000"', 'listen = "localhost:99999"'), {}, "server.listen"),
    (('listen = "0.0.0.0:9000"', 'listen = "::1:8443"'), {}, "server.listen"),
    (('listen = "0.0.0.0:9000"', 'listen = "bad host:80"'), {}, "server.listen"),
])
def test_every_wrong_value_is_one_line_naming_its_key_without_secrets(
        tmp_path: Path, edit: tuple[str, str] | None, env: dict[str, str], key: str) -> None:
    text = SECTION if edit is None else SECTION.replace(*edit)
    assert text != SECTION or edit is None
    merged = {name: value for name, value in {**SECRETS, **env}.items() if value}  # "": unset
    for line in refusal(config(tmp_path, text), merged):
        assert line.startswith(f"{key}: ")
        assert TOKEN not in line and APP_SECRET not in line and VERIFY not in line


def test_a_listen_address_in_brackets_is_ipv6(tmp_path: Path) -> None:
    text = SECTION.replace('listen = "0.0.0.0:9000"', 'listen = "[::1]:8443"')
    s = load_settings(config(tmp_path, text), env=SECRETS)
    assert (s.server.host, s.server.port) == ("::1", 8443)


def test_the_logs_never_show_whatsapp_secrets(tmp_path: Path) -> None:
    s = load_settings(config(tmp_path, SECTION), env=SECRETS)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(RedactingFormatter("%(message)s", *s.secrets))
    log = logging.getLogger("test.whatsapp.redaction")
    log.addHandler(handler)
    try:
        log.warning("GET /whatsapp?hub.verify_token=%s with Bearer %s signed by %s",
                    VERIFY, TOKEN, APP_SECRET)
    finally:
        log.removeHandler(handler)
    assert stream.getvalue() == (
        "GET /whatsapp?hub.verify_token=<token> with Bearer <token> signed by <token>\n")


# --- every outbox kind is decided ---

def test_every_outbox_kind_has_a_template_or_a_reason_it_needs_none() -> None:
    """Fails when a kind is added without deciding: a template, or a line in NO_TEMPLATE."""
    assert set(TEMPLATES).isdisjoint(NO_TEMPLATE)
    assert set(TEMPLATES) | set(NO_TEMPLATE) == set(OutboxKind)
    for lang in ("id", "en"):
        catalog = load_catalog(lang)
        assert all(key in catalog for key in NO_TEMPLATE.values())


# --- python bot.py whatsapp templates ---

Run = Callable[..., str]


@pytest.fixture
def templates(tmp_path: Path, capsys: pytest.CaptureFixture[str],
              monkeypatch: pytest.MonkeyPatch) -> Run:
    """``whatsapp templates ARGS`` in-process, with the operator's language; its stdout."""
    path = config(tmp_path, SECTION)

    def run(*args: str, language: str = "id") -> str:
        monkeypatch.setenv("KLA_BOT_BOT_LANGUAGE", language)
        assert main(["--config", str(path), "whatsapp", "templates", *args]) == 0
        out, err = capsys.readouterr()
        assert err == ""
        return out

    return run


def check_body(body: str, examples: list[str]) -> None:
    """WhatsApp's rules: {{1}}…{{n}} in order without gaps, an example each, never at the
    start or end, never two with nothing but punctuation between, within the limit."""
    numbers = [int(n) for n in PARAM.findall(body)]
    assert numbers == list(range(1, len(numbers) + 1)) and numbers
    assert len(examples) == len(numbers) and all(v.strip() for v in examples)
    assert not body.startswith("{{") and not body.rstrip(".").endswith("}}")
    for between in PARAM.split(body)[2:-1:2]:
        assert re.search(r"\w", between), f"two parameters side by side in {body!r}"
    filled = PARAM.sub(lambda m: examples[int(m.group(1)) - 1], body)
    assert len(body) <= BODY_MAX and len(filled) <= BODY_MAX
    assert "<" not in body and "\n" not in "".join(examples)


def test_json_is_one_create_request_per_kind_and_language(templates: Run) -> None:
    requests = json.loads(templates("--json"))
    assert len(requests) == 2 * len(TEMPLATES)
    seen = set()
    for request in requests:
        assert request["category"] == "UTILITY"
        body, buttons = request["components"]
        assert body["type"] == "BODY" and buttons["type"] == "BUTTONS"
        check_body(body["text"], body["example"]["body_text"][0])
        (button,) = buttons["buttons"]
        assert button["type"] == "QUICK_REPLY" and 0 < len(button["text"]) <= BUTTON_MAX
        seen.add((request["name"], request["language"]))
    names = {request["name"] for request in requests}
    assert "pengingat_banjar" in names and "berkas_ditolak_v2" in names  # as configured
    assert "kla_pengingat_harian" not in names and "kla_berkas_disetujui" in names
    assert {lang for _, lang in seen} == {"id", "en"} and len(seen) == len(requests)
    assert {b["buttons"][0]["text"] for b in (r["components"][1] for r in requests)} == {
        "Buka tugas", "Open my tasks"}


@pytest.mark.parametrize("language", ["id", "en"])
def test_the_text_names_every_kind_its_parameters_and_why_some_need_none(
        templates: Run, language: str) -> None:
    out = templates(language=language)
    for kind in TEMPLATES:
        assert f"{kind.value} · [whatsapp.templates] {config_key(kind)}" in out
    for kind, reason in NO_TEMPLATE.items():
        assert f"  {kind.value}: {load_catalog(language)[reason]}" in out
    blocks = out.split("\n\n")
    bodies = [b for b in blocks if "{{1}}" in b]
    assert len(bodies) == 2 * len(TEMPLATES)
    for block in bodies:
        lines = block.splitlines()
        body = lines[2].strip()
        examples = [line.split(" = ", 1)[1] for line in lines if line.startswith("  {{")]
        check_body(body, examples)
    assert "Buka tugas" in out and "Open my tasks" in out


def test_lang_prints_one_language(templates: Run) -> None:
    requests = json.loads(templates("--json", "--lang", "en"))
    assert {r["language"] for r in requests} == {"en"} and len(requests) == len(TEMPLATES)
    out = templates("--lang", "en", language="en")
    assert "Open my tasks" in out and "Buka tugas" not in out
