"""Images: the pixels are counted before anything is decoded, then only what proves the file
is whole is decoded, within a fixed memory budget.

JPEG is decoded at 1/8 scale (every byte is read, few pixels are kept); PNG is walked chunk by
chunk with its CRCs (no pixels); WebP, AVIF and HEIC/HEIF have no scaled decoding, so they are
decoded whole only when that fits the budget. The memory per pixel below was measured with the
pinned Pillow and pillow-heif (bench/validation_bench.py), with a margin.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pillow_heif
from PIL import Image, UnidentifiedImageError

from kla_bot.validation.verdict import BAD_IMAGE, BAD_TYPE, TOO_MANY_PIXELS, Refused, Validation

# Above every phone camera's photo (108 MP sensors included); a 13000x13000 bomb is 169 MP.
MAX_PIXELS = 120_000_000
# What decoding one image may cost; with the interpreter and the libraries the whole check
# stays well under the +200 MB the bot allows itself for one file.
DECODE_BUDGET = 160 * 1024 * 1024
# Peak bytes per pixel while decoding whole (measured: WebP 15.9, AVIF 9.4, HEIF 5.5;
# progressive JPEG keeps every DCT coefficient, 2 bytes each, up to 3 per pixel). So a WebP
# up to ~9 MP, an AVIF up to ~15 MP and a HEIC up to ~28 MP (the 24 MP of recent phones) pass;
# a 48 MP "HEIF Max" photo is accepted on its container check alone (see check_isobmff).
_BYTES_PER_PIXEL = {"WEBP": 18, "AVIF": 11, "HEIF": 6, "JPEG-progressive": 7}

DECODED_BY_PILLOW = {"image/jpeg": ("JPEG", "jpg"), "image/png": ("PNG", "png"),
                     "image/webp": ("WEBP", "webp")}
_HEIF_BRANDS = {b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1"}
_AVIF_BRANDS = {b"avif", b"avis"}
_PARSE_ERRORS = (UnidentifiedImageError, OSError, ValueError, SyntaxError, EOFError,
                 struct.error, Image.DecompressionBombError)


def _decodable(width: int, height: int, kind: str | None) -> bool:
    """Refuse an image with more pixels than any camera makes; say whether decoding it whole
    fits the budget."""
    pixels = width * height
    if pixels > MAX_PIXELS:
        raise Refused(TOO_MANY_PIXELS)
    return kind is None or pixels * _BYTES_PER_PIXEL[kind] <= DECODE_BUDGET


def _fits(width: int, height: int, kind: str | None) -> None:
    """Refuse an image whose pixels (or whose whole decoding) would not fit."""
    if not _decodable(width, height, kind):
        raise Refused(TOO_MANY_PIXELS)


def webp_size(head: bytes) -> tuple[int, int]:
    """Width and height from the first chunk, before Pillow opens the file: Pillow's WebP
    decoder allocates the whole canvas on open."""
    chunk = head[12:16]
    if chunk == b"VP8X" and len(head) >= 30:
        return (int.from_bytes(head[24:27], "little") + 1,
                int.from_bytes(head[27:30], "little") + 1)
    if chunk == b"VP8L" and len(head) >= 25:
        bits = int.from_bytes(head[21:25], "little")
        return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
    if chunk == b"VP8 " and len(head) >= 30:
        width, height = struct.unpack_from("<HH", head, 26)
        return width & 0x3FFF, height & 0x3FFF
    raise Refused(BAD_IMAGE)


def check_image(path: Path, mime: str, head: bytes) -> Validation:
    """JPEG, PNG or WebP, opened by Pillow as that format only."""
    pil_format, extension = DECODED_BY_PILLOW[mime]
    if pil_format == "WEBP":
        _fits(*webp_size(head), pil_format)
    try:
        with Image.open(path, formats=[pil_format]) as image:
            width, height = image.size
            if pil_format == "PNG":
                _fits(width, height, None)
                image.verify()  # every chunk and its CRC, without the pixels
            elif pil_format == "JPEG":
                progressive = bool(image.info.get("progressive") or image.info.get("progression"))
                _fits(width, height, "JPEG-progressive" if progressive else None)
                image.draft("RGB", (max(1, width // 8), max(1, height // 8)))
                image.load()
            else:
                _fits(width, height, pil_format)
                image.load()
    except Image.DecompressionBombError:
        raise Refused(TOO_MANY_PIXELS) from None
    except _PARSE_ERRORS:
        raise Refused(BAD_IMAGE) from None
    return Validation(True, mime, extension)


def _brands(head: bytes) -> set[bytes]:
    """The major and compatible brands of the leading ``ftyp`` box."""
    size = struct.unpack(">I", head[:4])[0]
    body = head[8:min(size, len(head))]
    return {body[i:i + 4] for i in range(0, len(body) - 3, 4) if i != 4}


def _boxes_fill(path: Path) -> bool:
    """Whether the top-level boxes of an ISO-BMFF file tile it exactly (a file cut short, or
    with bytes after its last box, does not)."""
    size, offset = path.stat().st_size, 0
    with path.open("rb") as f:
        while offset < size:
            f.seek(offset)
            header = f.read(16)
            if len(header) < 8:
                return False
            box = struct.unpack(">I", header[:4])[0]
            if box == 1 and len(header) == 16:
                box = struct.unpack(">Q", header[8:16])[0]
            elif box == 0:
                box = size - offset  # the last box runs to the end of the file
            if box < 8 or offset + box > size:
                return False
            offset += box
    return True


def check_isobmff(path: Path, head: bytes) -> Validation:
    """AVIF (Pillow) or HEIC/HEIF (libheif): the container must parse and its image decode."""
    brands = _brands(head)
    if brands & _AVIF_BRANDS:
        try:
            with Image.open(path, formats=["AVIF"]) as image:
                _fits(*image.size, "AVIF")
                image.load()
        except Image.DecompressionBombError:
            raise Refused(TOO_MANY_PIXELS) from None
        except (*_PARSE_ERRORS, RuntimeError):  # libavif reports damage as RuntimeError
            raise Refused(BAD_IMAGE) from None
        return Validation(True, "image/avif", "avif")
    if not brands & _HEIF_BRANDS:
        raise Refused(BAD_TYPE)  # MP4, QuickTime, 3GP, JPEG 2000 ...
    try:
        # libheif checks the meta box, its 'pict' handler, the primary item and where
        # each item's data lies; decoding proves the data is there and sound.
        heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
        primary = heif[heif.primary_index]
        # A 48 MP iPhone "HEIF Max" photo would take ~270 MB to decode: past the budget, the
        # container check above (every item's data inside the file) is what it gets, since
        # refusing the photos of the most common phones would be worse than not decoding them.
        if _decodable(*primary.size, "HEIF"):
            primary.load()
        elif not _boxes_fill(path):  # at least not cut short
            raise Refused(BAD_IMAGE)
    except (*_PARSE_ERRORS, RuntimeError, IndexError):  # IndexError: no image at all
        raise Refused(BAD_IMAGE) from None
    heic = head[8:12] in {b"heic", b"heix", b"heim", b"heis"}
    return Validation(True, "image/heic" if heic else "image/heif", "heic" if heic else "heif")
