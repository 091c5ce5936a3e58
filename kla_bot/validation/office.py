"""Office files: OOXML packages (zip) and legacy compound files (OLE2).

A package passes only if it is a sound zip read within fixed bounds (members stored or
deflated, sizes and ratios capped, every CRC checked while streaming) whose main part is a
Word, Excel or PowerPoint document. A compound file passes only if ``olefile`` parses it and it
holds the streams of its type. Password-protected and macro-enabled files are refused: the
verifier could not open the first and should not have to open the second.
"""

from __future__ import annotations

import struct
import zipfile
import zlib
from pathlib import Path
from typing import BinaryIO
from xml.etree import ElementTree

import olefile

from kla_bot.validation.verdict import (
    BAD_TYPE,
    ENCRYPTED,
    MACROS,
    UNPACKS_TOO_BIG,
    Refused,
    Validation,
)

MAX_CENTRAL_DIRECTORY = 1024 * 1024  # ~13,000 parts; read whole by zipfile before anything
MAX_UNPACKED = 512 * 1024 * 1024  # all members together, as declared and as read
MAX_RATIO = 200  # a real sheet's XML packs 10-30x; deflate bombs reach 1000x
MAX_CONTENT_TYPES = 1024 * 1024  # the one part read whole (a real one is a few KB)
_RATIO_FROM = 1024 * 1024  # small parts of repeated whitespace may pack better
_CHUNK = 256 * 1024

_MAIN_PARTS = {  # main part content type -> (MIME, extension)
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml":
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.template.main+xml":
        ("application/vnd.openxmlformats-officedocument.wordprocessingml.template", "dotx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml":
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.template.main+xml":
        ("application/vnd.openxmlformats-officedocument.spreadsheetml.template", "xltx"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml":
        ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    "application/vnd.openxmlformats-officedocument.presentationml.slideshow.main+xml":
        ("application/vnd.openxmlformats-officedocument.presentationml.slideshow", "ppsx"),
    "application/vnd.openxmlformats-officedocument.presentationml.template.main+xml":
        ("application/vnd.openxmlformats-officedocument.presentationml.template", "potx"),
}
# .docm/.xlsm/.pptm and templates, VBA projects, Excel 4 macro sheets, binary workbooks.
_MACRO_TYPES = ("macroenabled", "vbaproject", "macrosheet", "sheet.binary")
_MACRO_PARTS = ("xl/macrosheets/", "xl/intlmacrosheets/")
_CT = "{http://schemas.openxmlformats.org/package/2006/content-types}"


def check_ooxml(path: Path, size: int) -> Validation:
    """A Word, Excel or PowerPoint package, read within bounds."""
    with path.open("rb") as f:
        _check_central_directory(f, size)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            _check_members(infos, size)
            names = {info.filename for info in infos}
            if any(n.lower().endswith("vbaproject.bin") or n.lower().startswith(_MACRO_PARTS)
                   for n in names):
                raise Refused(MACROS)
            if "[Content_Types].xml" not in names or archive.getinfo(
                    "[Content_Types].xml").file_size > MAX_CONTENT_TYPES:
                raise Refused(BAD_TYPE)
            for info in infos:  # CRC and sizes of every member, as declared
                with archive.open(info) as member:
                    while member.read(_CHUNK):
                        pass
            content_types = archive.read("[Content_Types].xml")
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError,
            NotImplementedError, RuntimeError, struct.error, zlib.error):
        raise Refused(BAD_TYPE) from None
    return _main_part(content_types, names)


def _check_central_directory(f: BinaryIO, size: int) -> None:
    """Bound what zipfile reads whole: the central directory named by the end record."""
    tail_len = min(size, 22 + 65535)
    f.seek(size - tail_len)
    tail = f.read(tail_len)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < 22:
        raise Refused(BAD_TYPE)
    if at >= 20 and tail[at - 20:at - 16] == b"PK\x06\x07":
        raise Refused(BAD_TYPE)  # zip64: no office file under our size limit needs it
    (cd_size,) = struct.unpack_from("<I", tail, at + 12)
    if cd_size > MAX_CENTRAL_DIRECTORY:
        raise Refused(UNPACKS_TOO_BIG)


def _check_members(infos: list[zipfile.ZipInfo], size: int) -> None:
    """Declared sizes within bounds, before a single byte is inflated."""
    if sum(info.compress_size for info in infos) > size:
        raise Refused(UNPACKS_TOO_BIG)  # members overlap: the trick of non-recursive bombs
    if sum(info.file_size for info in infos) > MAX_UNPACKED:
        raise Refused(UNPACKS_TOO_BIG)
    for info in infos:
        if info.flag_bits & 0x1:
            raise Refused(BAD_TYPE)  # zip encryption: no office application writes it
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            raise Refused(BAD_TYPE)  # office files are deflated; bzip2/lzma only in bombs
        if info.file_size > _RATIO_FROM and info.file_size > MAX_RATIO * max(
                info.compress_size, 1):
            raise Refused(UNPACKS_TOO_BIG)


def _main_part(content_types: bytes, names: set[str]) -> Validation:
    if b"<!DOCTYPE" in content_types or b"<!ENTITY" in content_types:
        raise Refused(BAD_TYPE)
    try:
        root = ElementTree.fromstring(content_types)
    except ElementTree.ParseError:
        raise Refused(BAD_TYPE) from None
    declared: list[tuple[str, str]] = []
    for element in root:
        kind = element.get("ContentType", "")
        if any(word in kind.lower() for word in _MACRO_TYPES):
            raise Refused(MACROS)
        if element.tag == f"{_CT}Override":
            declared.append((element.get("PartName", "").lstrip("/"), kind))
    for part, kind in declared:
        if kind in _MAIN_PARTS and part in names:
            mime, extension = _MAIN_PARTS[kind]
            return Validation(True, mime, extension)
    raise Refused(BAD_TYPE)


# --- legacy compound files -------------------------------------------------------------

_WORD_IDENTS = {0xA5EC, 0xA5DC}  # Word 97-2019, Word 6/95
_WORD_ENCRYPTED = 0x0100 | 0x8000  # FIB fEncrypted, fObfuscated (XOR)
_BIFF_BOF, _BIFF_EOF, _BIFF_FILEPASS, _BIFF_BOUNDSHEET = 0x0809, 0x000A, 0x002F, 0x0085
_SHEET_MACRO_TYPES = {0x01, 0x06}  # BOUNDSHEET dt: Excel 4 macro sheet, VBA module
_PPT_ENCRYPTED_TOKEN = 0xF3D1C4DF
_PPT_DOCUMENT, _PPT_VBA_INFO = 0x03E8, 0x03FF
_VBA_STORAGES = {"macros", "_vba_project_cur", "vba"}


def check_ole2(path: Path, size: int) -> Validation:
    """A legacy .doc, .xls or .ppt (or an encrypted OOXML, which is refused)."""
    try:
        with olefile.OleFileIO(str(path)) as ole:
            entries = ole.listdir(streams=True, storages=True)
            streams = {"/".join(e).lower(): e for e in ole.listdir(streams=True,
                                                                   storages=False)}
            if any(ole.get_size(e) > size for e in streams.values()):
                raise Refused(BAD_TYPE)  # a stream larger than the file: broken or hostile

            def read(name: str) -> bytes:
                return bytes(ole.openstream(streams[name]).read())

            if {"encryptioninfo", "encryptedpackage"} <= set(streams):
                raise Refused(ENCRYPTED)  # an OOXML file saved with a password
            if any(part.lower() in _VBA_STORAGES for e in entries for part in e) or any(
                    e[-1].lower() == "_vba_project" for e in entries):
                raise Refused(MACROS)
            if "worddocument" in streams:
                return _word(read("worddocument"))
            for name in ("workbook", "book"):
                if name in streams:
                    return _excel(read(name))
            if "powerpoint document" in streams and "current user" in streams:
                return _powerpoint(read("current user"), read("powerpoint document"),
                                   "encryptedsummary" in streams)
    except (OSError, struct.error, ValueError, IndexError, KeyError):
        raise Refused(BAD_TYPE) from None
    raise Refused(BAD_TYPE)  # a compound file of another kind (installer, Outlook, ...)


def _word(stream: bytes) -> Validation:
    if len(stream) < 12:
        raise Refused(BAD_TYPE)
    ident, flags = struct.unpack_from("<H", stream, 0)[0], struct.unpack_from("<H", stream, 10)[0]
    if ident not in _WORD_IDENTS:
        raise Refused(BAD_TYPE)
    if flags & _WORD_ENCRYPTED:
        raise Refused(ENCRYPTED)
    return Validation(True, "application/msword", "doc")


def _excel(stream: bytes) -> Validation:
    """Walk the workbook globals (BOF ... EOF) for a password or a macro sheet."""
    offset = 0
    while offset + 4 <= len(stream):
        kind, length = struct.unpack_from("<HH", stream, offset)
        body = stream[offset + 4:offset + 4 + length]
        if offset == 0 and kind != _BIFF_BOF:
            raise Refused(BAD_TYPE)
        if kind == _BIFF_FILEPASS:
            raise Refused(ENCRYPTED)
        if kind == _BIFF_BOUNDSHEET and len(body) >= 6 and body[5] in _SHEET_MACRO_TYPES:
            raise Refused(MACROS)
        if kind == _BIFF_EOF:
            return Validation(True, "application/vnd.ms-excel", "xls")
        offset += 4 + length
    raise Refused(BAD_TYPE)  # the globals never end: truncated


def _powerpoint(current_user: bytes, document: bytes, encrypted_summary: bool) -> Validation:
    if len(current_user) < 16:
        raise Refused(BAD_TYPE)
    if encrypted_summary or struct.unpack_from("<I", current_user, 12)[0] == (
            _PPT_ENCRYPTED_TOKEN):
        raise Refused(ENCRYPTED)
    offset = 0
    while offset + 8 <= len(document):  # top-level records; VBA hangs off the document
        kind, length = struct.unpack_from("<HI", document, offset + 2)
        if kind == _PPT_DOCUMENT and _has_child(document, offset + 8, length, _PPT_VBA_INFO):
            raise Refused(MACROS)
        offset += 8 + length
    return Validation(True, "application/vnd.ms-powerpoint", "ppt")


def _has_child(data: bytes, start: int, length: int, wanted: int) -> bool:
    offset, end = start, min(start + length, len(data))
    while offset + 8 <= end:
        kind, child_length = struct.unpack_from("<HI", data, offset + 2)
        if kind == wanted:
            return True
        offset += 8 + child_length
    return False
