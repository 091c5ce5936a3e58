"""What a file really is, decided by its content (never by its name or the client's MIME type).

Accepted: PDF (must open, at least one page), JPEG/PNG/WebP (must fully decode), HEIC/HEIF
(complete ISO-BMFF box structure: Pillow cannot decode it without a plugin), DOCX/XLSX/PPTX
(a sound zip with the right ``[Content_Types].xml`` parts) and legacy DOC/XLS (OLE2 header).
Everything else is refused; ``reason`` is a catalog key of the ``evidence`` area.
"""

from __future__ import annotations

import struct
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path

import filetype
from PIL import Image, UnidentifiedImageError
from pypdf import PdfReader
from pypdf.errors import PdfReadError

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
HEIC_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1", b"avif"}
_OOXML = {
    "word/": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document",
              "docx"),
    "xl/": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "ppt/": ("application/vnd.openxmlformats-officedocument.presentationml.presentation",
             "pptx"),
}
_IMAGES = {"image/jpeg": "jpg", "image/png": "png", "image/webp": "webp"}
# The list shown to the user when a file is refused.
ACCEPTED_TYPES = "PDF, JPG, PNG, HEIC, WebP, DOCX, XLSX, PPTX, DOC, XLS"


@dataclass(frozen=True)
class Validation:
    """The verdict: ``ok`` with the detected MIME type and extension, or a reason key."""

    ok: bool
    mime: str = "application/octet-stream"
    extension: str = ""
    reason: str = ""


def _refuse(reason: str) -> Validation:
    return Validation(False, reason=reason)


def validate_file(path: Path) -> Validation:
    """Decide by content whether ``path`` is evidence we accept (blocking: run in a thread)."""
    size = path.stat().st_size
    if size == 0:
        return _refuse("evidence.empty_file")
    with path.open("rb") as f:
        head = f.read(8192)
    if head.startswith(OLE2_MAGIC):
        return _check_ole2(path)
    brand = _iso_brand(head)
    if brand is not None:
        return _check_heic(path, size) if brand in HEIC_BRANDS else _refuse(
            "evidence.bad_type")
    kind = filetype.guess(head)
    mime = kind.mime if kind is not None else ""
    if mime == "application/pdf" or head.startswith(b"%PDF-"):
        return _check_pdf(path)
    if mime in _IMAGES:
        return _check_image(path, mime)
    if mime == "application/zip" or head.startswith(b"PK\x03\x04") or mime in {
            v[0] for v in _OOXML.values()}:
        return _check_ooxml(path)
    return _refuse("evidence.bad_type")


def _check_pdf(path: Path) -> Validation:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # A file object, not a path: pypdf would read a path whole into memory.
            with path.open("rb") as f:
                reader = PdfReader(f)
                if reader.is_encrypted and not reader.decrypt(""):
                    return _refuse("evidence.bad_pdf")
                if len(reader.pages) < 1:
                    return _refuse("evidence.bad_pdf")
    except (PdfReadError, ValueError, KeyError, TypeError, OSError, AttributeError,
            IndexError, RecursionError, NotImplementedError):
        return _refuse("evidence.bad_pdf")
    return Validation(True, "application/pdf", "pdf")


def _check_image(path: Path, mime: str) -> Validation:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            with Image.open(path) as image:
                if mime == "image/png":
                    image.verify()  # walks every chunk and its CRC, without the pixels
                else:
                    # JPEG: decode at 1/8 scale (reads all the data, holds few pixels);
                    # a truncated file raises either way.
                    image.draft("RGB", (max(1, image.width // 8), max(1, image.height // 8)))
                    image.load()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError,
            Image.DecompressionBombError):
        return _refuse("evidence.bad_image")
    return Validation(True, mime, _IMAGES[mime])


def _check_ole2(path: Path) -> Validation:
    """Legacy Word or Excel: told apart by the stream names in the OLE2 directory."""
    word, excel = "WordDocument".encode("utf-16-le"), "Workbook".encode("utf-16-le")
    tail = b""
    with path.open("rb") as f:
        while chunk := f.read(1024 * 1024):
            window = tail + chunk
            if excel in window:
                return Validation(True, "application/vnd.ms-excel", "xls")
            if word in window:
                return Validation(True, "application/msword", "doc")
            tail = window[-64:]
    return Validation(True, "application/x-ole-storage", "doc")


def _iso_brand(head: bytes) -> bytes | None:
    """The major brand of an ISO-BMFF file (HEIC, MP4, ...) or None."""
    if len(head) >= 12 and head[4:8] == b"ftyp":
        return head[8:12]
    return None


def _check_heic(path: Path, size: int) -> Validation:
    """Walk the top-level boxes: each must fit in the file, and ``meta``/``mdat`` must exist."""
    seen: set[bytes] = set()
    offset = 0
    with path.open("rb") as f:
        while offset < size:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return _refuse("evidence.bad_image")
            box_size, box_type = struct.unpack(">I4s", header[:8])
            if box_size == 1:
                if len(header) < 16:
                    return _refuse("evidence.bad_image")
                box_size = struct.unpack(">Q", header[8:16])[0]
            elif box_size == 0:
                box_size = size - offset  # runs to the end of the file
            if box_size < 8 or offset + box_size > size:
                return _refuse("evidence.bad_image")
            seen.add(box_type)
            offset += box_size
    if not {b"ftyp", b"meta", b"mdat"} <= seen:
        return _refuse("evidence.bad_image")
    return Validation(True, "image/heic", "heic")


def _check_ooxml(path: Path) -> Validation:
    try:
        with zipfile.ZipFile(path) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" not in names or archive.testzip() is not None:
                return _refuse("evidence.bad_type")
            content_types = archive.read("[Content_Types].xml").decode("utf-8", "replace")
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, RuntimeError):
        return _refuse("evidence.bad_type")
    for prefix, (mime, extension) in _OOXML.items():
        main_part = f"/{prefix}"
        if any(name.startswith(prefix) for name in names) and main_part in content_types:
            return Validation(True, mime, extension)
    return _refuse("evidence.bad_type")
