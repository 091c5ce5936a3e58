"""Write the demo's sample evidence, ``contoh-perda-ktr.pdf``: a one-page, valid, tiny PDF.

Run ``python kla_bot/data/demo/make_sample_pdf.py`` to regenerate it. Written by hand (no
timestamps, no random ids) so the file, and so its SHA-256, is the same on every machine.
"""

from __future__ import annotations

from pathlib import Path

LINES = (
    "PEMERINTAH KABUPATEN BANJAR",
    "Contoh data dukung KLA - Indikator 17 (Kawasan Tanpa Rokok)",
    "",
    "Salinan Peraturan Daerah tentang Kawasan Tanpa Rokok (contoh untuk demo).",
    "Dokumen ini dibuat oleh kla-bot untuk mencoba pengiriman bukti.",
)


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf() -> bytes:
    """The PDF bytes: catalog, pages, one page, its text stream and a standard font."""
    text = ["BT", "/F1 12 Tf", "72 770 Td", "16 TL"]
    text += [f"({_escape(line)}) '" for line in LINES]
    text.append("ET")
    stream = "\n".join(text).encode("latin-1")
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] "
        b"/Resources << /Font << /F1 5 0 R >> >> /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1, xref)
    return bytes(out)


if __name__ == "__main__":
    target = Path(__file__).with_name("contoh-perda-ktr.pdf")
    target.write_bytes(build_pdf())
    print(f"{target} ({target.stat().st_size} bytes)")
