"""The verdict of a content check, and the refusal every checker raises."""

from __future__ import annotations

from dataclasses import dataclass

from kla_bot.errors import Refusal

# The list shown to the user when a file is refused.
ACCEPTED_TYPES = "PDF, JPG, PNG, HEIC, WebP, AVIF, DOCX, XLSX, PPTX, DOC, XLS, PPT"

# What an accepted file carries that a reviewer should know before opening it
# (catalog keys ``evidence.content_note.<name>``).
NOTE_JAVASCRIPT = "javascript"
NOTE_LAUNCH = "launch"
NOTE_EMBEDDED_FILES = "embedded_files"


@dataclass(frozen=True)
class Validation:
    """``ok`` with the detected MIME type, extension and notes; or a refusal reason key."""

    ok: bool
    mime: str = "application/octet-stream"
    extension: str = ""
    reason: str = ""
    notes: tuple[str, ...] = ()


class Refused(Refusal):
    """The file's content is not accepted (a catalog key of the ``evidence`` area)."""


# Refusal reasons (catalog keys).
BAD_TYPE = "evidence.bad_type"
BAD_PDF = "evidence.bad_pdf"
BAD_IMAGE = "evidence.bad_image"
EMPTY = "evidence.empty_file"
ENCRYPTED = "evidence.encrypted"
MACROS = "evidence.macros"
TOO_MANY_PIXELS = "evidence.too_many_pixels"
UNPACKS_TOO_BIG = "evidence.unpacks_too_big"
CHECK_FAILED = "evidence.check_failed"
