"""Files that say when they were made, and images of a page of text sharp, blurred, dark or
tiny: built in the test, for the file facts (kla_bot.services.file_facts)."""

from __future__ import annotations

import io

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter

from tests.filemakers import ooxml, pdf, pdf_bytes

EXIF_IFD, DATE_TIME_ORIGINAL = 0x8769, 36867
LINE = "Peraturan Bupati Nomor 12 Tahun 2024 tentang Kawasan Tanpa Rokok "


def page(size: tuple[int, int] = (1200, 1600)) -> Image.Image:
    """A photographed page: lines of dark text on off-white paper."""
    image = Image.new("RGB", size, (245, 245, 240))
    draw = ImageDraw.Draw(image)
    for top in range(60, size[1] - 60, 28):
        draw.text((60, top), LINE * 2, fill=(20, 20, 20))
    return image


def blurred(radius: float = 4) -> Image.Image:
    return page().filter(ImageFilter.GaussianBlur(radius))


def dark(factor: float = 0.12) -> Image.Image:
    return ImageEnhance.Brightness(page()).enhance(factor)


def jpeg(image: Image.Image | None = None, taken: str | None = None) -> bytes:
    """A JPEG of ``image`` (a sharp page), with EXIF DateTimeOriginal ``taken``
    (``"2021:03:03 10:15:00"``) when given."""
    out = io.BytesIO()
    exif = Image.Exif()
    if taken is not None:
        exif.get_ifd(EXIF_IFD)[DATE_TIME_ORIGINAL] = taken
    (image or page()).save(out, "JPEG", quality=85, exif=exif)
    return out.getvalue()


def dated_pdf(text: str = "Laporan", created: str | None = None, pages: int = 1) -> bytes:
    """A PDF with ``text`` on each page and /CreationDate ``created`` (``D:20210303…``)."""
    writer = pdf(text, pages)
    if created is not None:
        writer.add_metadata({"/CreationDate": created})
    return pdf_bytes(writer)


def dated_office(kind: str, created: str) -> bytes:
    """A .docx/.xlsx/.pptx whose core properties say it was created at ``created`` (W3CDTF)."""
    core = ('<?xml version="1.0" encoding="UTF-8"?><cp:coreProperties xmlns:cp="http://schemas'
            '.openxmlformats.org/package/2006/metadata/core-properties" xmlns:dcterms="http://'
            'purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
            f'<dcterms:created xsi:type="dcterms:W3CDTF">{created}</dcterms:created>'
            '</cp:coreProperties>')
    return ooxml(kind, extra={"docProps/core.xml": core.encode()})
