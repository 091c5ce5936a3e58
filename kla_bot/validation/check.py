"""Which checker a file goes to, decided by its first bytes (never by name or claimed type)."""

from __future__ import annotations

import warnings
from pathlib import Path

import filetype

from kla_bot.validation import images, office, pdf
from kla_bot.validation.verdict import BAD_TYPE, EMPTY, Refused, Validation

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")


def check_file(path: Path) -> Validation:
    """The verdict on ``path``; raises only on an unexpected error (a bug or a new trick)."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # parsers warn on every odd byte; the verdict counts
            return _dispatch(path)
    except Refused as refusal:
        return Validation(False, reason=refusal.key)


def _dispatch(path: Path) -> Validation:
    size = path.stat().st_size
    if size == 0:
        raise Refused(EMPTY)
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(OLE2_MAGIC):
        return office.check_ole2(path, size)
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return images.check_isobmff(path, head)
    if head.startswith(b"%PDF-"):
        return pdf.check_pdf(path)
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else ""
    if mime == "application/pdf":
        return pdf.check_pdf(path)
    if mime in images.DECODED_BY_PILLOW:
        return images.check_image(path, mime, head)
    if head.startswith(b"PK\x03\x04"):
        return office.check_ooxml(path, size)
    raise Refused(BAD_TYPE)
