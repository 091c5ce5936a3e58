"""Every kind of evidence file the validator meets, good and hostile, built in code.

Nothing is downloaded or committed: PDFs come from pypdf, images from Pillow and pillow-heif,
OOXML packages from zipfile, legacy Office compound files from the small writer below (olefile
only reads), password-protected OOXML from msoffcrypto-tool. Bombs are built so that they cost
the test almost nothing to make (a solid lossless WebP whose header is widened, a PNG of 1-bit
rows), yet are what an attacker would send.
"""

from __future__ import annotations

import io
import struct
import zipfile
import zlib

import pillow_heif
from msoffcrypto.format.ooxml import OOXMLFile
from PIL import Image, ImageDraw
from pypdf import PdfWriter
from pypdf._encryption import AlgV5
from pypdf.generic import (
    ArrayObject,
    ByteStringObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    TextStringObject,
)

OLE2_MAGIC = bytes.fromhex("D0CF11E0A1B11AE1")
EXE = b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56 + b"PE\x00\x00" + b"\x90" * 2000

# --- PDF -------------------------------------------------------------------------------


def pdf(text: str = "Perbup KTR", pages: int = 1) -> PdfWriter:
    """A writer holding ``pages`` pages, each with a line of real (compressed) text."""
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    for n in range(pages):
        page = writer.add_blank_page(300, 200)
        body = DecodedStreamObject()
        body.set_data(f"BT /F1 12 Tf 20 100 Td ({text} {n + 1}) Tj ET".encode())
        page[NameObject("/Contents")] = writer._add_object(body.flate_encode())
        page[NameObject("/Resources")] = DictionaryObject({NameObject("/Font"): DictionaryObject(
            {NameObject("/F1"): font})})
    return writer


def pdf_bytes(writer: PdfWriter) -> bytes:
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def plain_pdf() -> bytes:
    return pdf_bytes(pdf())


def encrypted_pdf(user: str, owner: str, algorithm: str = "AES-256") -> bytes:
    """A PDF encrypted with ``algorithm`` (AES-256, AES-128, RC4-128, RC4-40)."""
    writer = pdf()
    writer.encrypt(user_password=user, owner_password=owner, algorithm=algorithm,
                   permissions_flag=0)  # owner restrictions: no printing, no copying
    return pdf_bytes(writer)


def pdf_user_password_empty_owner() -> bytes:
    """AES-256 with a user password and an *empty owner* password (pypdf's writer never
    makes one: it reuses the user password), rebuilt from the same file key."""
    writer = pdf()
    writer.encrypt(user_password="rahasia", owner_password="x", algorithm="AES-256")
    encryption, entry = writer._encryption, writer._encrypt_entry
    assert encryption is not None and entry is not None and encryption._key is not None
    values = AlgV5.generate_values(6, b"rahasia", b"", encryption._key, encryption.P, True)
    for name, value in values.items():
        entry[NameObject(name)] = ByteStringObject(value)
    return pdf_bytes(writer)


def _js_action(code: str) -> DictionaryObject:
    return DictionaryObject({NameObject("/S"): NameObject("/JavaScript"),
                             NameObject("/JS"): TextStringObject(code)})


def pdf_with_javascript() -> bytes:
    """A form with a document-level script (the names tree), as calculation forms have."""
    writer = pdf()
    scripts = DictionaryObject({NameObject("/Names"): ArrayObject([
        TextStringObject("hitung"), writer._add_object(_js_action("var total = 0;"))])})
    writer._root_object[NameObject("/Names")] = DictionaryObject(
        {NameObject("/JavaScript"): writer._add_object(scripts)})
    return pdf_bytes(writer)


def pdf_with_launch() -> bytes:
    """Opening the PDF asks the reader to start a program."""
    writer = pdf()
    writer._root_object[NameObject("/OpenAction")] = DictionaryObject({
        NameObject("/S"): NameObject("/Launch"),
        NameObject("/F"): TextStringObject("cmd.exe")})
    return pdf_bytes(writer)


def pdf_with_attachment() -> bytes:
    writer = pdf()
    writer.add_attachment("lampiran.xlsx", b"PK\x03\x04 not really")
    return pdf_bytes(writer)


def pdf_with_page_script() -> bytes:
    """A script on a link annotation of the second page, chained after a harmless action."""
    writer = pdf(pages=2)
    annotation = DictionaryObject({
        NameObject("/Type"): NameObject("/Annot"), NameObject("/Subtype"): NameObject("/Link"),
        NameObject("/Rect"): ArrayObject([NumberObject(0)] * 4),
        NameObject("/A"): DictionaryObject({
            NameObject("/S"): NameObject("/GoTo"),
            NameObject("/D"): ArrayObject([NumberObject(0)]),
            NameObject("/Next"): _js_action("app.alert(1)")})})
    writer.pages[1][NameObject("/Annots")] = ArrayObject([writer._add_object(annotation)])
    return pdf_bytes(writer)


def pdf_without_pages() -> bytes:
    return pdf_bytes(PdfWriter())


# --- images ----------------------------------------------------------------------------


def photo(size: tuple[int, int] = (320, 240)) -> Image.Image:
    image = Image.new("RGB", size, (30, 120, 200))
    ImageDraw.Draw(image).rectangle((10, 10, size[0] // 2, size[1] // 2), fill=(250, 200, 0))
    return image


def image_bytes(fmt: str, size: tuple[int, int] = (320, 240), **options: object) -> bytes:
    """JPEG, PNG, WEBP, AVIF (Pillow) or HEIF (pillow-heif) of a small drawing."""
    out = io.BytesIO()
    if fmt == "HEIF":
        pillow_heif.from_pillow(photo(size)).save(out, quality=60)
    else:
        photo(size).save(out, fmt, **options)
    return out.getvalue()


def webp_pixel_bomb(width: int = 13000, height: int = 13000) -> bytes:
    """A lossless WebP of ``width`` x ``height`` red pixels in 30 bytes: every prefix code has
    one symbol, so each pixel costs zero bits (RFC 9649), and decoding needs w*h*4 bytes."""
    fields = [(0x2F, 8), (width - 1, 14), (height - 1, 14), (0, 1), (0, 3),  # header
              (0, 1), (0, 1), (0, 1)]  # no transform, no colour cache, no meta prefix codes
    for symbol in (0, 200, 30, 255, 0):  # green, red, blue, alpha, distance
        fields += [(1, 1), (0, 1), (1, 1), (symbol, 8)]  # simple code: one 8-bit symbol
    bits = sum(value << sum(n for _, n in fields[:i]) for i, (value, _) in enumerate(fields))
    total = sum(n for _, n in fields)
    body = bits.to_bytes((total + 7) // 8, "little")
    body += b"\0" * (len(body) % 2)
    chunk = b"VP8L" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(
        ">I", zlib.crc32(kind + body))


def png_pixel_bomb(width: int = 13000, height: int = 13000) -> bytes:
    """A whole, valid 1-bit PNG of ``width`` x ``height`` black pixels (~20 KB)."""
    row = b"\x00" * (1 + (width + 7) // 8)
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + _png_chunk(b"IHDR", header) + _png_chunk(b"IDAT", idat)
            + _png_chunk(b"IEND", b""))


def jpeg_claiming(width: int, height: int) -> bytes:
    """A small JPEG whose frame header claims ``width`` x ``height``."""
    data = bytearray(image_bytes("JPEG"))
    at = data.index(b"\xff\xc0") + 5
    struct.pack_into(">HH", data, at, height, width)
    return bytes(data)


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I4s", 8 + len(payload), kind) + payload


def heic_wrapping(payload: bytes) -> bytes:
    """An ``ftyp heic`` box (and empty meta) around anything, e.g. an executable."""
    return (_box(b"ftyp", b"heic\0\0\0\0mif1heic") + _box(b"meta", b"\0" * 20)
            + _box(b"mdat", payload))


# --- OOXML -----------------------------------------------------------------------------

_MAIN = {
    "docx": ("word/document.xml",
             "application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"),
    "xlsx": ("xl/workbook.xml",
             "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"),
    "pptx": ("ppt/presentation.xml",
             "application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"),
    "docm": ("word/document.xml", "application/vnd.ms-word.document.macroEnabled.main+xml"),
    "xlsm": ("xl/workbook.xml", "application/vnd.ms-excel.sheet.macroEnabled.main+xml"),
    "pptm": ("ppt/presentation.xml",
             "application/vnd.ms-powerpoint.presentation.macroEnabled.main+xml"),
}


def ooxml(kind: str, extra: dict[str, bytes] | None = None,
          overrides: dict[str, str] | None = None,
          compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    """A minimal package of ``kind`` (docx, xlsx, pptx, docm, xlsm, pptm)."""
    main, content_type = _MAIN[kind]
    parts = {main: b"<?xml version='1.0'?><document>Laporan</document>", **(extra or {})}
    types = {f"/{main}": content_type, **(overrides or {})}
    listed = "".join(f'<Override PartName="{name}" ContentType="{value}"/>'
                     for name, value in types.items())
    content_types = (
        '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
        'package/2006/content-types"><Default Extension="xml" ContentType="application/xml"/>'
        f'{listed}</Types>')
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression) as archive:
        archive.writestr("[Content_Types].xml", content_types)
        archive.writestr("_rels/.rels", "<Relationships/>")
        for name, body in parts.items():
            archive.writestr(name, body)
    return out.getvalue()


def macro_ooxml(kind: str) -> bytes:
    """A .docm/.xlsm/.pptm with its VBA project part."""
    folder = {"docm": "word", "xlsm": "xl", "pptm": "ppt"}[kind]
    return ooxml(kind, {f"{folder}/vbaProject.bin": OLE2_MAGIC + b"\0" * 600},
                 {f"/{folder}/vbaProject.bin": "application/vnd.ms-office.vbaProject"})


def xlsx_with_macro_sheet() -> bytes:
    """An Excel 4 macro sheet inside an otherwise plain .xlsx."""
    return ooxml("xlsx", {"xl/macrosheets/sheet1.xml": b"<xm:macrosheet/>"},
                 {"/xl/macrosheets/sheet1.xml": "application/vnd.ms-excel.macrosheet+xml"})


def encrypted_ooxml(kind: str = "docx") -> bytes:
    """A package saved with a password: an OLE2 file with EncryptionInfo/EncryptedPackage."""
    out = io.BytesIO()
    OOXMLFile(io.BytesIO(ooxml(kind))).encrypt("rahasia", out)
    return out.getvalue()


def deflate_bomb(unpacked_mb: int = 64) -> bytes:
    """A .docx whose document part inflates ~1000x (zeros)."""
    return ooxml("docx", {"word/media/zeros.bin": b"\0" * (unpacked_mb * 1024 * 1024)})


def compressed_with(method: int) -> bytes:
    """A .docx whose members are bzip2 or lzma: inflated without bound by zipfile."""
    return ooxml("docx", {"word/media/zeros.bin": b"\0" * 1024 * 1024}, compression=method)


def with_lying_sizes(data: bytes, member: str, file_size: int) -> bytes:
    """``data`` with the central directory's uncompressed size of ``member`` changed."""
    buffer = bytearray(data)
    name = member.encode()
    at = buffer.index(b"PK\x01\x02" + b"", buffer.rindex(b"PK\x05\x06") - 4096 if len(
        buffer) > 8192 else 0)
    while True:
        name_len = struct.unpack_from("<H", buffer, at + 28)[0]
        if buffer[at + 46:at + 46 + name_len] == name:
            struct.pack_into("<I", buffer, at + 24, file_size)
            return bytes(buffer)
        extra, comment = struct.unpack_from("<HH", buffer, at + 30)
        at += 46 + name_len + extra + comment


def overlapping_members(copies: int = 50) -> bytes:
    """Many central-directory entries sharing one compressed member (a non-recursive bomb)."""
    data = bytearray(ooxml("docx", {"word/media/zeros.bin": b"\0" * 4 * 1024 * 1024}))
    end = data.rindex(b"PK\x05\x06")
    (cd_size, cd_offset) = struct.unpack_from("<II", data, end + 12)
    directory = bytes(data[cd_offset:cd_offset + cd_size])
    at = directory.index(b"word/media/zeros.bin") - 46
    entry = directory[at:at + 46 + len("word/media/zeros.bin")]
    extra_entries = b"".join(entry[:46] + f"word/media/z{n:04}.bin".encode()
                             for n in range(copies))
    new_directory = directory + extra_entries
    count = struct.unpack_from("<H", data, end + 10)[0] + copies
    tail = bytearray(data[end:end + 22])
    struct.pack_into("<HHII", tail, 8, count, count, len(new_directory), cd_offset)
    return bytes(data[:cd_offset]) + new_directory + bytes(tail)


def huge_central_directory() -> bytes:
    """A package whose end record names a 5 MB central directory."""
    data = bytearray(ooxml("docx"))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<I", data, end + 12, 5 * 1024 * 1024)
    return bytes(data)


# --- legacy Office compound files (OLE2 / CFB version 3) -------------------------------

_FREE, _END, _FATSECT, _NOSTREAM = 0xFFFFFFFF, 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF
_MINI_CUTOFF = 4096


def compound_file(entries: dict[str, bytes | None]) -> bytes:
    """A compound file of ``entries`` ("Storage/Stream" -> bytes; None for a storage).

    Every stream is padded to the mini-stream cutoff so all live in regular 512-byte
    sectors; siblings are chained through their right pointers (olefile reads any tree).
    """
    paths = sorted(entries, key=lambda p: (p.count("/"), p))
    streams = {p: (entries[p] or b"").ljust(_MINI_CUTOFF, b"\0") for p in paths
               if entries[p] is not None}
    nodes = [("Root Entry", 5, b"")] + [(p.rsplit("/", 1)[-1], 2 if p in streams else 1,
                                         streams.get(p, b"")) for p in paths]
    index = {p: i + 1 for i, p in enumerate(paths)}
    children: dict[int, list[int]] = {}
    for p in paths:
        parent = index.get(p.rsplit("/", 1)[0], 0) if "/" in p else 0
        children.setdefault(parent, []).append(index[p])
    dir_sectors = (len(nodes) * 128 + 511) // 512
    data_sectors = sum(len(body) // 512 for _, _, body in nodes)
    fat_sectors = 1
    while fat_sectors * 128 < fat_sectors + dir_sectors + data_sectors:
        fat_sectors += 1
    fat = [_FATSECT] * fat_sectors
    first_dir = len(fat)
    fat += [*range(first_dir + 1, first_dir + dir_sectors), _END]
    starts: list[int] = []
    for _, _, body in nodes:
        count = len(body) // 512
        if count == 0:
            starts.append(_END)
            continue
        start = len(fat)
        starts.append(start)
        fat += [*range(start + 1, start + count), _END]
    fat += [_FREE] * (fat_sectors * 128 - len(fat))
    directory = b""
    for i, (name, kind, body) in enumerate(nodes):
        siblings = next((c for c in children.values() if i in c), [])
        right = siblings[siblings.index(i) + 1] if i in siblings[:-1] else _NOSTREAM
        child = children.get(i, [_NOSTREAM])[0]
        encoded = (name.encode("utf-16-le") + b"\0\0")[:64]
        directory += (encoded.ljust(64, b"\0") + struct.pack(
            "<HBBIII16sIQQIQ", len(encoded), kind, 1, _NOSTREAM, right, child, b"\0" * 16, 0,
            0, 0, starts[i] if body else (_END if kind != 1 else 0), len(body)))
    directory = directory.ljust(dir_sectors * 512, b"\0")
    difat = list(range(fat_sectors)) + [_FREE] * (109 - fat_sectors)
    header = (OLE2_MAGIC + b"\0" * 16 + struct.pack(
        "<HHHHH6sIIIIIIIII", 0x3E, 3, 0xFFFE, 9, 6, b"\0" * 6, 0, fat_sectors, first_dir, 0,
        _MINI_CUTOFF, _END, 0, _END, 0) + struct.pack("<109I", *difat))
    body = b"".join(b for _, _, b in nodes)
    return header + struct.pack(f"<{len(fat)}I", *fat) + directory + body


def word_stream(flags: int = 0) -> bytes:
    """The start of a Word 97 WordDocument stream: the FIB with ``flags``."""
    return struct.pack("<HHHHHH", 0xA5EC, 0x00C1, 0, 0x0409, 0, flags) + b"\0" * 500


def doc(encrypted: bool = False, macros: bool = False) -> bytes:
    entries: dict[str, bytes | None] = {
        "WordDocument": word_stream(0x0100 if encrypted else 0), "1Table": b"\0" * 100}
    if macros:
        entries |= {"Macros": None, "Macros/VBA": None, "Macros/VBA/dir": b"\x01" * 50}
    return compound_file(entries)


def _biff(kind: int, body: bytes) -> bytes:
    return struct.pack("<HH", kind, len(body)) + body


def workbook_stream(sheet_type: int = 0, encrypted: bool = False) -> bytes:
    """Workbook globals: BOF, (FILEPASS), one BOUNDSHEET of ``sheet_type``, EOF."""
    records = [_biff(0x0809, struct.pack("<HHHHII", 0x0600, 0x0005, 0, 0, 0, 0))]
    if encrypted:
        records.append(_biff(0x002F, struct.pack("<HHH", 1, 1, 1) + b"\x11" * 48))
    name = b"Sheet1"
    records.append(_biff(0x0085, struct.pack("<IBBBB", 0, 0, sheet_type, len(name), 0) + name))
    records.append(_biff(0x000A, b""))
    return b"".join(records)


def xls(encrypted: bool = False, macro_sheet: bool = False, vba: bool = False) -> bytes:
    entries: dict[str, bytes | None] = {
        "Workbook": workbook_stream(0x01 if macro_sheet else 0, encrypted)}
    if vba:
        entries |= {"_VBA_PROJECT_CUR": None, "_VBA_PROJECT_CUR/VBA": None,
                    "_VBA_PROJECT_CUR/VBA/dir": b"\x01" * 50}
    return compound_file(entries)


def _ppt_record(kind: int, body: bytes, container: bool = False) -> bytes:
    return struct.pack("<HHI", 0x000F if container else 0, kind, len(body)) + body


def ppt(encrypted: bool = False, macros: bool = False) -> bytes:
    """CurrentUser (token per encryption) and a DocumentContainer (with VBA info if asked)."""
    token = 0xF3D1C4DF if encrypted else 0xE391C05F
    atom = struct.pack("<IIIHHHBBH", 0x14, token, 0, 4, 0x03F4, 3, 0, 0, 0) + b"user"
    current_user = _ppt_record(0x0FF6, atom)
    children = _ppt_record(0x03E9, b"\0" * 40)  # DocumentAtom
    if macros:
        children += _ppt_record(0x03FF, _ppt_record(0x0400, b"\0" * 12), container=True)
    document = _ppt_record(0x03E8, children, container=True)
    return compound_file({"Current User": current_user, "PowerPoint Document": document})


def ole2_then_executable() -> bytes:
    """The compound-file magic, then a Windows executable."""
    return OLE2_MAGIC + EXE


def ole2_of_another_kind() -> bytes:
    """A sound compound file holding no Office document (an installer, an Outlook item)."""
    return compound_file({"__properties_version1.0": b"\0" * 64})
