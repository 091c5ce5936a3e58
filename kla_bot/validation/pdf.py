"""PDF: it must open without a password and have a page; active content is noted, not refused.

Government forms carry JavaScript (calculations), launch actions and attachments; the reviewer
is told before opening such a file. The page tree is walked by hand, lazily and bounded,
because pypdf's ``pages`` flattens every page into memory first.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from pypdf import PasswordType, PdfReader
from pypdf.errors import DependencyError, PdfReadError
from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject

from kla_bot.validation.verdict import (
    BAD_PDF,
    ENCRYPTED,
    NOTE_EMBEDDED_FILES,
    NOTE_JAVASCRIPT,
    NOTE_LAUNCH,
    Refused,
    Validation,
)

# pypdf logs a WARNING for every repair it makes in a damaged file: the verdict says it all,
# and a hostile file must not be able to flood the bot's log.
logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_TREE_NODES = 20_000  # pages and page-tree nodes looked at for active content
MAX_ANNOTATIONS = 500  # per page
_ACTION_NOTES = {"/JavaScript": NOTE_JAVASCRIPT, "/Launch": NOTE_LAUNCH,
                 "/GoToE": NOTE_EMBEDDED_FILES}
_PARSE_ERRORS = (PdfReadError, DependencyError, ValueError, KeyError, TypeError, OSError,
                 AttributeError, IndexError, RecursionError, NotImplementedError,
                 AssertionError)


def check_pdf(path: Path) -> Validation:
    try:
        # A file object, not a path: pypdf would read a path whole into memory.
        with path.open("rb") as f:
            reader = PdfReader(f)
            encrypted = reader.is_encrypted
            # An empty *owner* password also "decrypts", yet a reader asks for the user
            # password: only an empty user password means the file opens for everyone.
            if encrypted and reader.decrypt("") != PasswordType.USER_PASSWORD:
                raise Refused(ENCRYPTED)
            root = _resolve(reader.trailer["/Root"])
            pages = _pages(root)
            first = next(pages, None)
            if first is None:
                raise Refused(BAD_PDF)
            if encrypted:
                _content_decrypts(first)
            notes = _notes(root, first, pages)
    except Refused:
        raise
    except _PARSE_ERRORS:
        raise Refused(BAD_PDF) from None
    return Validation(True, "application/pdf", "pdf", notes=tuple(sorted(notes)))


def _resolve(value: Any) -> Any:
    return value.get_object() if isinstance(value, IndirectObject) else value


def _get(obj: Any, key: str) -> Any:
    return _resolve(obj.get(key)) if isinstance(obj, DictionaryObject) else None


def _pages(root: Any) -> Iterator[DictionaryObject]:
    """Pages in document order, each tree node visited once, at most MAX_TREE_NODES."""
    stack = [_get(root, "/Pages")]
    seen: set[int] = set()
    while stack and len(seen) < MAX_TREE_NODES:
        node = _resolve(stack.pop())
        if not isinstance(node, DictionaryObject) or id(node) in seen:
            continue
        seen.add(id(node))
        kids = _get(node, "/Kids")
        if isinstance(kids, ArrayObject):
            stack.extend(reversed(kids))
        elif node.get("/Type") != "/Pages":
            yield node


def _content_decrypts(page: DictionaryObject) -> None:
    """A wrong key turns streams into noise that no filter decodes: prove one decodes."""
    contents = _get(page, "/Contents")
    if isinstance(contents, ArrayObject) and contents:
        contents = _resolve(contents[0])
    if contents is None:
        return
    try:
        contents.get_data()
    except Exception:  # whatever pypdf raises on noise: it did not decrypt
        raise Refused(ENCRYPTED) from None


def _notes(root: Any, first: DictionaryObject, rest: Iterator[DictionaryObject]) -> set[str]:
    notes: set[str] = set()
    names = _get(root, "/Names")
    if isinstance(names, DictionaryObject):
        if "/JavaScript" in names:
            notes.add(NOTE_JAVASCRIPT)
        if "/EmbeddedFiles" in names:
            notes.add(NOTE_EMBEDDED_FILES)
    _action(_get(root, "/OpenAction"), notes)
    _triggers(root, notes)
    for page in (first, *rest):
        _triggers(page, notes)
        annotations = _get(page, "/Annots")
        if not isinstance(annotations, ArrayObject):
            continue
        for annotation in annotations[:MAX_ANNOTATIONS]:
            annotation = _resolve(annotation)
            if _get(annotation, "/Subtype") == "/FileAttachment":
                notes.add(NOTE_EMBEDDED_FILES)
            _action(_get(annotation, "/A"), notes)
            _triggers(annotation, notes)
    return notes


def _triggers(obj: Any, notes: set[str]) -> None:
    """Additional actions (``/AA``): open, close, mouse, keystroke, ... each an action."""
    triggers = _get(obj, "/AA")
    if isinstance(triggers, DictionaryObject):
        for value in list(triggers.values())[:32]:
            _action(_resolve(value), notes)


def _action(action: Any, notes: set[str], depth: int = 0) -> None:
    """One action and the ones chained after it with ``/Next``."""
    if not isinstance(action, DictionaryObject) or depth > 8:
        return
    note = _ACTION_NOTES.get(str(_get(action, "/S")))
    if note is not None:
        notes.add(note)
    chained = _get(action, "/Next")
    for following in chained[:8] if isinstance(chained, ArrayObject) else [chained]:
        _action(_resolve(following), notes, depth + 1)
