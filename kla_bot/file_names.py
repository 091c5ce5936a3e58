"""File names made from what people typed, safe on every system: one set of rules for the
names the bot records (the name a member's file arrives with) and the names it writes (the
export's folders and files).

The rules: compatibility forms folded (NFKC: full-width letters, ligatures); line breaks and
tabs become spaces and other control or format characters (a right-to-left override that
disguises ``exe.pdf``) are dropped; each run of characters Windows forbids (``<>:"/\\|?*``,
so no name can climb folders) becomes one ``_``; spaces are collapsed and no name starts or ends
with a space, dot or underscore; a name longer than the limit is cut before its extension, so
``.pdf`` stays readable.
"""

from __future__ import annotations

import re
import unicodedata

_FORBIDDEN = re.compile(r'[<>:"/\\|?*]+')
_EXTENSION_MAX = 8  # longer "extensions" are part of the name (``laporan.final revisi 3``)


def safe_file_name(text: str, limit: int = 120, *, fallback: str = "_") -> str:
    """``text`` as a file or folder name by the rules above; ``fallback`` when nothing is left."""
    kept = "".join(" " if ch.isspace() else ch for ch in unicodedata.normalize("NFKC", text)
                   if ch.isspace() or unicodedata.category(ch)[0] != "C")
    clean = " ".join(_FORBIDDEN.sub("_", kept).split()).strip(" ._")
    if len(clean) > limit:
        stem, dot, ext = clean.rpartition(".")
        clean = (stem[: limit - len(ext) - 1].rstrip(" ._") + "." + ext) \
            if dot and len(ext) <= _EXTENSION_MAX else clean[:limit].rstrip(" ._")
    return clean or fallback
