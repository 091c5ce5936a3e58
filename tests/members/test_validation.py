"""The content check on every kind of file, good and hostile, built by tests/filemakers.py."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import msoffcrypto
import pillow_heif
import pytest
from pypdf import PasswordType, PdfReader

from kla_bot.validation import check_file, images, office, validate_file
from kla_bot.validation.sandbox import run_isolated
from tests import filemakers as fm

Maker = Callable[[], bytes]


def verdict_of(tmp_path: Path, data: bytes, name: str = "kiriman.bin"):  # type: ignore[no-untyped-def]
    path = tmp_path / name
    path.write_bytes(data)
    return check_file(path)


GOOD: list[tuple[str, Maker, str, str]] = [
    ("pdf", fm.plain_pdf, "application/pdf", "pdf"),
    ("pdf AES-256 owner password only", lambda: fm.encrypted_pdf("", "pemilik"),
     "application/pdf", "pdf"),
    ("pdf AES-128 owner password only", lambda: fm.encrypted_pdf("", "pemilik", "AES-128"),
     "application/pdf", "pdf"),
    ("pdf RC4-128 owner password only", lambda: fm.encrypted_pdf("", "pemilik", "RC4-128"),
     "application/pdf", "pdf"),
    ("jpeg", lambda: fm.image_bytes("JPEG"), "image/jpeg", "jpg"),
    ("progressive jpeg", lambda: fm.image_bytes("JPEG", progressive=True), "image/jpeg", "jpg"),
    ("png", lambda: fm.image_bytes("PNG"), "image/png", "png"),
    ("webp", lambda: fm.image_bytes("WEBP"), "image/webp", "webp"),
    ("avif", lambda: fm.image_bytes("AVIF"), "image/avif", "avif"),
    ("heic", lambda: fm.image_bytes("HEIF"), "image/heic", "heic"),
    ("docx", lambda: fm.ooxml("docx"),
     "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("xlsx", lambda: fm.ooxml("xlsx"),
     "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    ("pptx", lambda: fm.ooxml("pptx"),
     "application/vnd.openxmlformats-officedocument.presentationml.presentation", "pptx"),
    ("doc", fm.doc, "application/msword", "doc"),
    ("xls", fm.xls, "application/vnd.ms-excel", "xls"),
    ("ppt (not .doc)", fm.ppt, "application/vnd.ms-powerpoint", "ppt"),
]


@pytest.mark.parametrize(("maker", "mime", "extension"), [g[1:] for g in GOOD],
                         ids=[g[0] for g in GOOD])
def test_good_files_are_accepted_with_their_own_extension(
        tmp_path: Path, maker: Maker, mime: str, extension: str) -> None:
    verdict = verdict_of(tmp_path, maker())
    assert (verdict.ok, verdict.mime, verdict.extension, verdict.notes) == (
        True, mime, extension, ())


BAD: list[tuple[str, Maker, str]] = [
    ("pdf AES-256 user password", lambda: fm.encrypted_pdf("rahasia", "pemilik"),
     "evidence.encrypted"),
    ("pdf AES-256 user password, empty owner password", fm.pdf_user_password_empty_owner,
     "evidence.encrypted"),
    ("pdf RC4-128 user password", lambda: fm.encrypted_pdf("rahasia", "pemilik", "RC4-128"),
     "evidence.encrypted"),
    ("pdf AES-128 user password", lambda: fm.encrypted_pdf("rahasia", "pemilik", "AES-128"),
     "evidence.encrypted"),
    ("pdf without pages", fm.pdf_without_pages, "evidence.bad_pdf"),
    ("pdf cut short", lambda: fm.plain_pdf()[:300], "evidence.bad_pdf"),
    ("docx with password", fm.encrypted_ooxml, "evidence.encrypted"),
    ("xlsx with password", lambda: fm.encrypted_ooxml("xlsx"), "evidence.encrypted"),
    ("doc with password", lambda: fm.doc(encrypted=True), "evidence.encrypted"),
    ("xls with password (FILEPASS)", lambda: fm.xls(encrypted=True), "evidence.encrypted"),
    ("ppt with password", lambda: fm.ppt(encrypted=True), "evidence.encrypted"),
    ("docm", lambda: fm.macro_ooxml("docm"), "evidence.macros"),
    ("xlsm", lambda: fm.macro_ooxml("xlsm"), "evidence.macros"),
    ("pptm", lambda: fm.macro_ooxml("pptm"), "evidence.macros"),
    ("xlsx with an Excel 4 macro sheet", fm.xlsx_with_macro_sheet, "evidence.macros"),
    ("doc with VBA", lambda: fm.doc(macros=True), "evidence.macros"),
    ("xls with VBA", lambda: fm.xls(vba=True), "evidence.macros"),
    ("xls with an Excel 4 macro sheet", lambda: fm.xls(macro_sheet=True), "evidence.macros"),
    ("ppt with VBA", lambda: fm.ppt(macros=True), "evidence.macros"),
    ("docx deflate bomb", fm.deflate_bomb, "evidence.unpacks_too_big"),
    ("overlapping members", fm.overlapping_members, "evidence.unpacks_too_big"),
    ("huge central directory", fm.huge_central_directory, "evidence.unpacks_too_big"),
    ("docx with bzip2 members", lambda: fm.compressed_with(zipfile.ZIP_BZIP2),
     "evidence.bad_type"),
    ("docx with lzma members", lambda: fm.compressed_with(zipfile.ZIP_LZMA),
     "evidence.bad_type"),
    ("docx whose sizes lie", lambda: fm.with_lying_sizes(
        fm.ooxml("docx"), "word/document.xml", 5), "evidence.bad_type"),
    ("webp 13000x13000", fm.webp_pixel_bomb, "evidence.too_many_pixels"),
    ("webp 5000x5000 (decodes whole: over budget)", lambda: fm.webp_pixel_bomb(5000, 5000),
     "evidence.too_many_pixels"),
    ("png 13000x13000", fm.png_pixel_bomb, "evidence.too_many_pixels"),
    ("jpeg claiming 60000x60000", lambda: fm.jpeg_claiming(60000, 60000),
     "evidence.too_many_pixels"),
    ("OLE2 magic then an executable", fm.ole2_then_executable, "evidence.bad_type"),
    ("compound file of another kind", fm.ole2_of_another_kind, "evidence.bad_type"),
    ("ftyp heic around an executable", lambda: fm.heic_wrapping(fm.EXE), "evidence.bad_image"),
    ("heic cut short", lambda: fm.image_bytes("HEIF")[:-40], "evidence.bad_image"),
    ("zip that is no office file", lambda: fm.ooxml("docx")[:0] + _plain_zip(),
     "evidence.bad_type"),
    ("executable", lambda: fm.EXE, "evidence.bad_type"),
    ("empty", lambda: b"", "evidence.empty_file"),
]


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("a.txt", "hi")
    return out.getvalue()


@pytest.mark.parametrize(("maker", "reason"), [b[1:] for b in BAD], ids=[b[0] for b in BAD])
def test_hostile_files_are_refused_with_a_reason(tmp_path: Path, maker: Maker,
                                                 reason: str) -> None:
    verdict = verdict_of(tmp_path, maker(), "bukti.pdf")
    assert (verdict.ok, verdict.reason) == (False, reason)


def test_an_empty_owner_password_opens_for_pypdf_but_not_for_a_reader(tmp_path: Path) -> None:
    data = fm.pdf_user_password_empty_owner()
    # pypdf "succeeds" with the empty password, as the owner: a reader would ask for one.
    assert PdfReader(io.BytesIO(data)).decrypt("") == PasswordType.OWNER_PASSWORD
    assert verdict_of(tmp_path, data).reason == "evidence.encrypted"


@pytest.mark.parametrize("maker", [lambda: fm.doc(encrypted=True),
                                   lambda: fm.xls(encrypted=True), fm.encrypted_ooxml])
def test_the_built_password_files_are_what_msoffcrypto_calls_encrypted(maker: Maker) -> None:
    assert msoffcrypto.OfficeFile(io.BytesIO(maker())).is_encrypted()


@pytest.mark.parametrize(("maker", "notes"), [
    (fm.pdf_with_javascript, ("javascript",)),
    (fm.pdf_with_launch, ("launch",)),
    (fm.pdf_with_attachment, ("embedded_files",)),
    (fm.pdf_with_page_script, ("javascript",)),
])
def test_pdfs_with_active_content_are_accepted_and_noted(tmp_path: Path, maker: Maker,
                                                         notes: tuple[str, ...]) -> None:
    verdict = verdict_of(tmp_path, maker())
    assert (verdict.ok, verdict.extension, verdict.notes) == (True, "pdf", notes)


def test_the_total_unpacked_size_is_capped(tmp_path: Path,
                                           monkeypatch: pytest.MonkeyPatch) -> None:
    data = fm.ooxml("docx", {f"word/media/p{n}.bin": b"\0" * 400_000 for n in range(4)})
    assert verdict_of(tmp_path, data).ok
    monkeypatch.setattr(office, "MAX_UNPACKED", 1_000_000)
    assert verdict_of(tmp_path, data).reason == "evidence.unpacks_too_big"


def test_a_heic_too_big_to_decode_is_kept_when_its_boxes_are_whole(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A 48 MP iPhone photo cannot be decoded within the budget: it is accepted on its
    container, but a copy cut short (or with bytes after its last box) is still refused."""
    photo, disguised = fm.image_bytes("HEIF"), fm.heic_wrapping(fm.EXE)
    monkeypatch.setattr(images, "DECODE_BUDGET", 10)  # every HEIC is now "too big to decode"
    decoded: list[object] = []
    monkeypatch.setattr(pillow_heif.HeifImage, "load", lambda self: decoded.append(self))
    assert verdict_of(tmp_path, photo).extension == "heic" and decoded == []
    for damaged in (photo[:-1], photo[:-40], photo + b"tail"):
        assert verdict_of(tmp_path, damaged).reason == "evidence.bad_image"
    assert verdict_of(tmp_path, disguised).reason == "evidence.bad_image"


BOMBS: list[tuple[str, Maker, str]] = [
    ("webp", fm.webp_pixel_bomb, "evidence.too_many_pixels"),
    ("png", fm.png_pixel_bomb, "evidence.too_many_pixels"),
    ("deflate", lambda: fm.deflate_bomb(200), "evidence.unpacks_too_big"),
    ("bzip2", lambda: fm.compressed_with(zipfile.ZIP_BZIP2), "evidence.bad_type"),
    ("overlap", fm.overlapping_members, "evidence.unpacks_too_big"),
]


@pytest.mark.parametrize(("maker", "reason"), [b[1:] for b in BOMBS], ids=[b[0] for b in BOMBS])
def test_bombs_are_refused_within_64_mb(tmp_path: Path, maker: Maker, reason: str) -> None:
    """In a child allowed only 64 MB more: the check itself refuses, the limit never bites."""
    path = tmp_path / "bom"
    path.write_bytes(maker())
    verdict = run_isolated(check_file, path, memory=64 * 1024 * 1024)
    assert (verdict.ok, verdict.reason) == (False, reason)


def test_the_real_entry_point_checks_in_a_child(tmp_path: Path) -> None:
    path = tmp_path / "x"
    path.write_bytes(fm.pdf_with_launch())
    assert validate_file(path).notes == ("launch",)
    path.write_bytes(fm.macro_ooxml("xlsm"))
    assert validate_file(path).reason == "evidence.macros"


@pytest.mark.parametrize("options", [{}, {"lossless": True}, {"quality": 50, "alpha": True}])
def test_webp_size_is_read_from_the_header_as_pillow_reads_it(options: dict[str, object]) -> None:
    from PIL import Image

    from kla_bot.validation.images import webp_size
    image = fm.photo((321, 203))
    if options.pop("alpha", False):
        image = image.convert("RGBA")  # written as VP8X + ALPH + VP8
    out = io.BytesIO()
    image.save(out, "WEBP", **options)
    assert webp_size(out.getvalue()[:64]) == Image.open(out).size == (321, 203)


@pytest.mark.parametrize(("maker", "mime", "extension"), [g[1:] for g in GOOD],
                         ids=[g[0] for g in GOOD])
def test_damaged_copies_get_a_verdict_never_an_error(tmp_path: Path, maker: Maker, mime: str,
                                                     extension: str) -> None:
    """Flipped bytes and cut tails: every copy is accepted or refused by a checker; none
    reaches the catch-all (which would log a traceback for an ordinary broken file)."""
    import random
    rng = random.Random(extension)
    data = maker()
    for _ in range(25):
        damaged = bytearray(data)
        for _ in range(rng.choice([1, 4, 16])):
            damaged[rng.randrange(len(damaged))] = rng.randrange(256)
        if rng.random() < 0.3:
            damaged = damaged[:rng.randrange(1, len(damaged))]
        verdict_of(tmp_path, bytes(damaged))  # raises on an unexpected error
