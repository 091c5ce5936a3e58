"""Memory and time of the content check on decompression bombs and on big real-world files.

Run by hand (not part of the test suite)::

    .venv/bin/python bench/validation_bench.py            # every case, ~1 minute
    .venv/bin/python bench/validation_bench.py --only pdf  # cases whose name contains "pdf"

Every file is built here (tests/filemakers.py and the builders below). Each case is checked in
a FRESH Python process that first imports the checkers, then resets the kernel's peak-RSS
counter (``/proc/self/clear_refs`` 5), runs ``check_file`` in-process (the explicit bounds
alone, no sandbox) and reports the peak RSS above that idle level (``VmHWM - VmRSS``) and
the time. The last column is the bot's real entry point, ``validate_file``, which runs the
same check in a forked child with a 200 MB data limit (the sandbox). Budget: +200 MB, 5 s.
"""

from __future__ import annotations

import argparse
import io
import json
import random
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from PIL import Image  # noqa: E402
from pypdf import PdfWriter  # noqa: E402
from pypdf.generic import (  # noqa: E402
    ArrayObject,
    DecodedStreamObject,
    DictionaryObject,
    NameObject,
    NumberObject,
    StreamObject,
)

from kla_bot.validation import validate_file  # noqa: E402
from tests import filemakers as fm  # noqa: E402

_MEASURE = """
import json, sys, time
from pathlib import Path
from kla_bot.validation.check import check_file
def status(key):
    for line in open('/proc/self/status'):
        if line.startswith(key):
            return int(line.split()[1]) * 1024
with open('/proc/self/clear_refs', 'w') as f:
    f.write('5')
idle = status('VmRSS:')
start = time.perf_counter()
verdict = check_file(Path(sys.argv[1]))
seconds = time.perf_counter() - start
print(json.dumps({'peak': status('VmHWM:') - idle, 'seconds': seconds,
                  'verdict': verdict.extension if verdict.ok else verdict.reason}))
"""


def realistic_pdf(target_mb: float = 19) -> bytes:
    """Pages of text, each with a photo of random noise (JPEG, incompressible), to ~19 MB."""
    rng = random.Random(9)
    writer = PdfWriter()
    font = DictionaryObject({NameObject("/Type"): NameObject("/Font"),
                             NameObject("/Subtype"): NameObject("/Type1"),
                             NameObject("/BaseFont"): NameObject("/Helvetica")})
    size = 0
    page_no = 0
    while size < target_mb * 1_000_000:
        page_no += 1
        noise = Image.frombytes("RGB", (900, 650), rng.randbytes(900 * 650 * 3))
        jpeg = io.BytesIO()
        noise.save(jpeg, "JPEG", quality=80)
        image = StreamObject()
        image._data = jpeg.getvalue()
        image.update({NameObject("/Type"): NameObject("/XObject"),
                      NameObject("/Subtype"): NameObject("/Image"),
                      NameObject("/Width"): NumberObject(900),
                      NameObject("/Height"): NumberObject(650),
                      NameObject("/ColorSpace"): NameObject("/DeviceRGB"),
                      NameObject("/BitsPerComponent"): NumberObject(8),
                      NameObject("/Filter"): NameObject("/DCTDecode")})
        lines = "".join(f"BT /F1 10 Tf 40 {780 - 14 * n} Td (Halaman {page_no} baris {n}: "
                        f"data dukung indikator {n % 24 + 1}) Tj ET\n" for n in range(20))
        content = DecodedStreamObject()
        content.set_data((lines + "q 500 0 0 360 50 60 cm /Im1 Do Q").encode())
        page = writer.add_blank_page(595, 842)
        page[NameObject("/Contents")] = writer._add_object(content.flate_encode())
        page[NameObject("/Resources")] = DictionaryObject({
            NameObject("/Font"): DictionaryObject({NameObject("/F1"): font}),
            NameObject("/XObject"): DictionaryObject(
                {NameObject("/Im1"): writer._add_object(image)}),
            NameObject("/ProcSet"): ArrayObject([NameObject("/PDF"), NameObject("/Text")])})
        size += len(jpeg.getvalue()) + 1200
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def bzip2_bomb(unpacked_mb: int = 256) -> bytes:
    """A .docx whose one extra member is ``unpacked_mb`` of zeros in bzip2 (~200 bytes)."""
    out = io.BytesIO()
    base = zipfile.ZipFile(io.BytesIO(fm.ooxml("docx")))
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in base.infolist():
            archive.writestr(info.filename, base.read(info))
        with archive.open(zipfile.ZipInfo("word/media/zeros.bin"), "w") as member:
            pass  # a plain member first, so the package looks ordinary
        archive.compression = zipfile.ZIP_BZIP2
        with archive.open("word/media/z.bin", "w") as member:
            block = b"\0" * (16 * 1024 * 1024)
            for _ in range(unpacked_mb // 16):
                member.write(block)
    return out.getvalue()


def big_xlsx(target_mb: float = 14) -> bytes:
    """A workbook of random numbers (XML packs ~7x): the legal worst case for unzipping."""
    rng = random.Random(7)
    rows = []
    size = 0
    n = 0
    while size < target_mb * 7_000_000:
        n += 1
        row = "".join(f'<c r="{col}{n}"><v>{rng.random():.6f}</v></c>' for col in "ABCDEFGH")
        rows.append(f'<row r="{n}">{row}</row>')
        size += len(rows[-1])
    sheet = f'<worksheet><sheetData>{"".join(rows)}</sheetData></worksheet>'.encode()
    return fm.ooxml("xlsx", {"xl/worksheets/sheet1.xml": sheet})


def photo(fmt: str, width: int, height: int) -> Callable[[], bytes]:
    def make() -> bytes:
        rng = random.Random(3)
        small = Image.frombytes("RGB", (width // 8, height // 8),
                                rng.randbytes(width // 8 * height // 8 * 3))
        image = small.resize((width, height))
        out = io.BytesIO()
        if fmt == "HEIF":
            import pillow_heif
            pillow_heif.from_pillow(image).save(out, quality=70)
        else:
            image.save(out, fmt, quality=80)
        return out.getvalue()
    return make


CASES: list[tuple[str, Callable[[], bytes]]] = [
    ("WebP 13000x13000 pixel bomb", fm.webp_pixel_bomb),
    ("PNG 13000x13000 pixel bomb", fm.png_pixel_bomb),
    ("JPEG claiming 60000x60000", lambda: fm.jpeg_claiming(60000, 60000)),
    ("DOCX deflate bomb (1 GiB of zeros)", lambda: fm.deflate_bomb(1024)),
    ("DOCX bzip2 bomb (256 MiB of zeros)", bzip2_bomb),
    ("DOCX overlapping members (Fifield)", lambda: fm.overlapping_members(2000)),
    ("PDF 19 MB, text and noise photos", realistic_pdf),
    ("XLSX of random numbers (~100 MB of XML)", big_xlsx),
    ("JPEG 48 MP photo", photo("JPEG", 8000, 6000)),
    ("HEIC 24 MP photo", photo("HEIF", 5712, 4284)),
    ("HEIC 48 MP photo (HEIF Max)", photo("HEIF", 8064, 6048)),
    ("AVIF 12 MP photo", photo("AVIF", 4000, 3000)),
    ("WebP 8 MP photo", photo("WEBP", 3264, 2448)),
]


def measure(path: Path) -> dict[str, object]:
    done = subprocess.run([sys.executable, "-c", _MEASURE, str(path)], capture_output=True,
                          text=True, check=True, cwd=ROOT)
    result: dict[str, object] = json.loads(done.stdout)
    start = time.perf_counter()
    verdict = validate_file(path)
    result["isolated"] = time.perf_counter() - start
    result["same"] = (verdict.extension if verdict.ok else verdict.reason) == result["verdict"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    validate_file(Path(__file__))  # start the checkers' fork server outside the timings
    print("| file | size | verdict | peak RSS above idle | check | in sandbox |\n"
          "|---|---:|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as folder:
        for name, make in CASES:
            if args.only.lower() not in name.lower():
                continue
            path = Path(folder) / "case"
            path.write_bytes(make())
            r = measure(path)
            size = path.stat().st_size
            shown = (f"{size / 1e6:.1f} MB" if size > 100_000 else
                     f"{size / 1e3:.1f} KB" if size > 1000 else f"{size} B")
            verdict = str(r["verdict"]).removeprefix("evidence.") + (
                "" if r["same"] else " (sandbox differs!)")
            peak, check, isolated = (float(str(r[k])) for k in ("peak", "seconds", "isolated"))
            print(f"| {name} | {shown} | {verdict} | {peak / 2**20:.1f} MiB | "
                  f"{check * 1000:.0f} ms | {isolated * 1000:.0f} ms |", flush=True)


if __name__ == "__main__":
    main()
