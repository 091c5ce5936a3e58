"""One refusal type: every polite "no" is an ``errors.Refusal`` (a catalog key and its values)."""

from __future__ import annotations

import ast
import pickle
from pathlib import Path

import pytest

from kla_bot.config import ConfigError
from kla_bot.errors import Reason, Refusal, UserError
from kla_bot.i18n import translator
from kla_bot.services.access import AccessDenied
from kla_bot.services.imports import ImportRejected
from kla_bot.services.language import UnknownLanguage
from kla_bot.storage import StorageRefused
from kla_bot.validation.verdict import Refused

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("cls", [AccessDenied, StorageRefused, UnknownLanguage, Refused,
                                 UserError, ImportRejected, ConfigError])
def test_every_refusal_is_one_type(cls: type[Exception]) -> None:
    assert issubclass(cls, Refusal)


def test_a_refusal_carries_its_key_and_values_and_survives_pickling() -> None:
    refusal = AccessDenied("assign.unknown_task", code="K9-99")
    assert refusal.key == "assign.unknown_task" and refusal.params == {"code": "K9-99"}
    assert refusal.reason == Reason.of("assign.unknown_task", code="K9-99")
    again = pickle.loads(pickle.dumps(refusal))  # e.g. from the validation child process
    assert type(again) is AccessDenied and again.reason == refusal.reason
    assert "K9-99" in translator("id")(again.key, **again.params)


def test_no_other_exception_carries_a_catalog_key() -> None:
    """A new refusal subclasses Refusal instead of growing its own ``key``."""
    offenders = []
    for folder in ("kla_bot", "handlers"):
        for path in (ROOT / folder).rglob("*.py"):
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for node in ast.walk(tree):
                if not isinstance(node, ast.ClassDef) or node.name == "Refusal":
                    continue
                bases = {getattr(b, "id", getattr(b, "attr", "")) for b in node.bases}
                if not bases & {"Exception", "ValueError", "LookupError"}:
                    continue
                names = {t.attr if isinstance(t, ast.Attribute) else getattr(t, "id", "")
                         for n in ast.walk(node) if isinstance(n, ast.Assign | ast.AnnAssign)
                         for t in (n.targets if isinstance(n, ast.Assign) else [n.target])}
                if names & {"key", "reason"}:
                    offenders.append(f"{path.relative_to(ROOT)}: {node.name}")
    assert offenders == []
