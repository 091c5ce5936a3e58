"""What a file really is, decided by its content (never by its name or the client's MIME type).

Accepted: PDF that opens without a password (with a page), JPEG/PNG/WebP/AVIF/HEIC/HEIF that
decode, DOCX/XLSX/PPTX (and their templates) that unpack soundly, legacy DOC/XLS/PPT compound
files with the streams of their type. Refused with a reason the member can act on: passwords,
macros, decompression bombs, anything that only looks like an accepted type. Each file is
checked in a child process with a memory and time limit (``sandbox``); an unexpected error is
a refusal with a WARNING and the traceback, never "try again".
"""

from __future__ import annotations

import logging
from pathlib import Path

from kla_bot.validation.check import check_file
from kla_bot.validation.sandbox import CheckCrashed, run_isolated
from kla_bot.validation.verdict import ACCEPTED_TYPES, CHECK_FAILED, Validation

__all__ = ["ACCEPTED_TYPES", "Validation", "check_file", "validate_file"]

log = logging.getLogger(__name__)


def validate_file(path: Path, *, isolated: bool = True) -> Validation:
    """Decide by content whether ``path`` is evidence we accept (blocking: run in a thread)."""
    try:
        return run_isolated(check_file, path) if isolated else check_file(path)
    except CheckCrashed as crash:
        log.warning("evidence check failed, file refused: %s", crash)
    except Exception:
        log.warning("evidence check failed, file refused", exc_info=True)
    return Validation(False, reason=CHECK_FAILED)
