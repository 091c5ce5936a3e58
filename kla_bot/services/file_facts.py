"""What a file itself says, read once at intake: type, pages, the date it was made, and cheap
image quality measures. Nothing here refuses a file; every reader is bounded (first page only,
images measured downscaled) and any error just leaves that fact out.

The facts are plain JSON kept on the evidence row::

    {"kind": "image", "width": 1600, "height": 1200, "pages": 3,
     "dates": [{"source": "exif", "date": "2021-03-03"}],
     "sharpness": 812.4, "luminance": 141.0, "quality": ["blurred"]}

``source`` is ``exif`` (a photo's DateTimeOriginal), ``text`` (a date on a PDF's first page),
``office`` (an office file's core properties) or ``pdf`` (a PDF's /CreationDate), in the order a
reader trusts them: what a camera or a signed page says before what software stamped.
"""

from __future__ import annotations

import logging
import re
import warnings
import zipfile
from contextlib import suppress
from datetime import date, datetime
from functools import partial
from pathlib import Path
from typing import Any

from PIL import Image, ImageFilter, ImageStat
from pypdf import PdfReader

from kla_bot.services.file_dates import FIRST_YEAR, LAST_YEAR, dates_in_text

log = logging.getLogger(__name__)

KIND_PDF, KIND_IMAGE, KIND_OFFICE = "pdf", "image", "office"
SOURCES = ("exif", "text", "office", "pdf")  # most trusted first
BLURRED, DARK, TINY = "blurred", "dark", "tiny"

MEASURE_SIDE = 800  # images are measured at most this large: cheap, and scale-independent
# Thresholds from values measured on drawn pages of text saved as JPEG (tests/test_file_facts.py):
# variance of the Laplacian at MEASURE_SIDE is 680..2230 sharp, 47 sharp but very dark, 75
# after a Gaussian blur of radius 2, 22 after radius 3, under 5 from radius 5.
BLUR_BELOW = 30.0
FLAT_BELOW = 2.0  # standard deviation of the grey levels: a blank image is not "blurred"
DARK_BELOW = 50.0  # mean grey level, 0..255
TINY_BELOW = 640  # longer side in pixels: too small to read a page
MAX_MEASURED_PIXELS = 16_000_000  # larger non-JPEG images are not decoded for the measures:
# whole, RGB, that is ~50 MB, well inside the sandbox's 200 MB
MAX_TEXT_CHARS = 20_000
MAX_CORE_XML = 256 * 1024
FACTS_TIMEOUT_S = 10.0
HEIF_TYPES = ("image/heic", "image/heif", "image/avif")

_LAPLACIAN = ImageFilter.Kernel((3, 3), (0, 1, 0, 1, -4, 1, 0, 1, 0), scale=1, offset=128)
_EXIF_IFD = 0x8769
_DATE_TIME_ORIGINAL, _DATE_TIME_DIGITIZED = 36867, 36868
_CREATED = re.compile(rb"<dcterms:created[^>]*>\s*(\d{4})-(\d{2})-(\d{2})")
_PDF_DATE = re.compile(r"^(?:D:)?(\d{4})(\d{2})?(\d{2})?")


def read_facts(path: Path, mime: str) -> dict[str, Any]:
    """The facts of the stored file at ``path`` (already validated as ``mime``): what could be
    read; never raises for a damaged or hostile file."""
    facts: dict[str, Any] = {"dates": []}
    with warnings.catch_warnings(), suppress(Exception):
        warnings.simplefilter("ignore")  # parsers warn on every odd byte
        if mime == "application/pdf":
            facts["kind"] = KIND_PDF
            _pdf(path, facts)
        elif mime in HEIF_TYPES:
            facts["kind"] = KIND_IMAGE
            _heif(path, facts)
        elif mime.startswith("image/"):
            facts["kind"] = KIND_IMAGE
            _image(path, facts)
        elif "officedocument" in mime or "ms-" in mime or mime == "application/msword":
            facts["kind"] = KIND_OFFICE
            _office(path, facts)
    return facts


def read_facts_safely(path: Path, mime: str) -> dict[str, Any] | None:
    """``read_facts`` in the checks' sandbox (memory and time bounded); None when it failed:
    facts are a help for the reviewer, never a reason to lose a file (blocking: run in a
    thread)."""
    from kla_bot.validation.sandbox import run_isolated

    try:
        return run_isolated(partial(read_facts, mime=mime), path, timeout=FACTS_TIMEOUT_S)
    except Exception as exc:
        log.info("no file facts for %s: %s", path.name, str(exc).splitlines()[-1:])
        return None


def _add_date(facts: dict[str, Any], source: str, day: date | None) -> None:
    if day is not None and FIRST_YEAR <= day.year <= LAST_YEAR:
        facts["dates"].append({"source": source, "date": day.isoformat()})


# --- PDF -----------------------------------------------------------------------------------

def _pdf(path: Path, facts: dict[str, Any]) -> None:
    reader = PdfReader(path)
    with suppress(Exception):
        facts["pages"] = len(reader.pages)
    with suppress(Exception):
        text = reader.pages[0].extract_text()[:MAX_TEXT_CHARS]
        for day in dates_in_text(text):
            _add_date(facts, "text", day)
    with suppress(Exception):
        raw = (reader.trailer.get("/Info") or {}).get("/CreationDate")
        _add_date(facts, "pdf", _pdf_date(str(raw)) if raw is not None else None)


def _pdf_date(raw: str) -> date | None:
    """``D:20210303101500+07'00'`` (month and day may be missing: then the first)."""
    match = _PDF_DATE.match(raw.strip())
    if match is None:
        return None
    try:
        return date(int(match[1]), int(match[2] or 1), int(match[3] or 1))
    except ValueError:
        return None


# --- images --------------------------------------------------------------------------------

def _image(path: Path, facts: dict[str, Any]) -> None:
    with Image.open(path) as image:
        facts["width"], facts["height"] = image.size
        with suppress(Exception):
            _add_date(facts, "exif", _exif_date(image))
        with suppress(Exception):
            _measure(image, facts)


def _heif(path: Path, facts: dict[str, Any]) -> None:
    """HEIC/HEIF/AVIF (phones): the EXIF date and the size from the container; the pixels are
    not decoded for the measures (a whole 24 MP decode is most of the sandbox's memory)."""
    import pillow_heif

    heif = pillow_heif.open_heif(path, convert_hdr_to_8bit=True)
    facts["width"], facts["height"] = heif.size
    facts["quality"] = [TINY] if max(heif.size) < TINY_BELOW else []
    raw = heif.info.get("exif")
    if isinstance(raw, bytes):
        exif = Image.Exif()
        exif.load(raw)
        _add_date(facts, "exif", _exif_date(exif))


def _exif_date(source: Image.Image | Image.Exif) -> date | None:
    exif = (source if isinstance(source, Image.Exif) else source.getexif()).get_ifd(_EXIF_IFD)
    for tag in (_DATE_TIME_ORIGINAL, _DATE_TIME_DIGITIZED):
        value = exif.get(tag)
        if isinstance(value, bytes):
            value = value.decode("ascii", "replace")
        if isinstance(value, str) and value.strip():
            try:  # "2021:03:03 10:15:00"
                return datetime.strptime(value.strip()[:10], "%Y:%m:%d").date()
            except ValueError:
                continue
    return None


def _measure(image: Image.Image, facts: dict[str, Any]) -> None:
    quality: list[str] = []
    if max(image.size) < TINY_BELOW:
        quality.append(TINY)
    if image.format == "JPEG":
        image.draft("L", (MEASURE_SIDE, MEASURE_SIDE))  # decoded at 1/2..1/8 scale: cheap
    elif image.size[0] * image.size[1] > MAX_MEASURED_PIXELS:
        facts["quality"] = quality
        return
    grey = image.convert("L")
    grey.thumbnail((MEASURE_SIDE, MEASURE_SIDE))
    spread = ImageStat.Stat(grey).stddev[0]
    luminance = ImageStat.Stat(grey).mean[0]
    edges = grey.filter(_LAPLACIAN)
    # The filter leaves the outer frame of pixels as they were: not an edge, cut it off.
    edges = edges.crop((1, 1, edges.width - 1, edges.height - 1))
    sharpness = ImageStat.Stat(edges).var[0] if min(edges.size) > 0 else 0.0
    facts["sharpness"], facts["luminance"] = round(sharpness, 1), round(luminance, 1)
    if sharpness < BLUR_BELOW and spread >= FLAT_BELOW:
        quality.append(BLURRED)
    if luminance < DARK_BELOW:
        quality.append(DARK)
    facts["quality"] = quality


# --- office files --------------------------------------------------------------------------

def _office(path: Path, facts: dict[str, Any]) -> None:
    if not zipfile.is_zipfile(path):
        _legacy_office(path, facts)
        return
    with zipfile.ZipFile(path) as archive:
        info = archive.getinfo("docProps/core.xml")
        if info.file_size > MAX_CORE_XML:
            return
        with archive.open(info) as part:
            xml = part.read(MAX_CORE_XML)
    match = _CREATED.search(xml)
    if match:
        _add_date(facts, "office", date(int(match[1]), int(match[2]), int(match[3])))


def _legacy_office(path: Path, facts: dict[str, Any]) -> None:
    import olefile

    with olefile.OleFileIO(str(path)) as ole:
        created = ole.get_metadata().create_time
    if isinstance(created, datetime):
        _add_date(facts, "office", created.date())
