"""The layering holds: services know no channel; the conversation (handlers/) is written once,
for every channel; only the channel adapters know Telegram or WhatsApp."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Channel-side code that lives in the package: the adapters and the stand-ins and console.
TRANSPORT_TOOLING = {"channels", "standin", "standin_whatsapp", "console"}
CHANNEL_LIBRARIES = {"telegram", "pywa", "pywa_async"}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_domain_code_never_imports_telegram_or_handlers() -> None:
    offenders = []
    for path in (ROOT / "kla_bot").rglob("*.py"):
        relative = path.relative_to(ROOT / "kla_bot")
        if relative.parts[0] in TRANSPORT_TOOLING or relative.name in {"cli.py"}:
            continue
        for name in _imports(path):
            if name.split(".")[0] in {*CHANNEL_LIBRARIES, "handlers"}:
                offenders.append(f"{relative}: {name}")
    assert offenders == []


def test_the_conversation_is_written_once_for_every_channel() -> None:
    paths = [*(ROOT / "kla_bot" / "conversation").glob("*.py"),
             *(ROOT / "handlers").glob("*.py")]
    offenders = [f"{path.name}: {name}" for path in paths for name in _imports(path)
                 if name.split(".")[0] in CHANNEL_LIBRARIES
                 or name.startswith(("kla_bot.channels", "kla_bot.channels.telegram.context"))]
    assert offenders == []


def test_handlers_contain_no_sql() -> None:
    offenders = []
    for path in (ROOT / "handlers").glob("*.py"):
        for name in _imports(path):
            if name.startswith("sqlalchemy"):
                offenders.append(f"{path.name}: {name}")
    assert offenders == []
