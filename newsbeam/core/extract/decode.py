"""Bytes -> str as browsers read them: BOM, declared charset, ``<meta charset>``, UTF-8.

Pure functions. Binary content is refused (``binary``), text that decodes with none of
the candidate encodings too (``undecodable``).
"""
from __future__ import annotations

import codecs
import re

from trafilatura.utils import decode_file

from newsbeam.records.documents import Rejected

SNIFF_BYTES = 4096
# Control bytes that text never holds (ESC is allowed: ISO-2022-JP uses it).
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f]")
_MAX_CONTROL_RATIO = 0.05
_BOMS = (  # longest first: the UTF-32-LE BOM starts with the UTF-16-LE one
    (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"),
)
# Browsers read these labels as a superset encoding (WHATWG Encoding Standard); pages
# labelled so often use its extra characters (curly quotes, dashes, Thai no-break space).
_CHARSET_ALIASES = {
    **dict.fromkeys(("iso-8859-1", "latin-1", "latin1", "us-ascii", "ascii"), "cp1252"),
    **dict.fromkeys(("iso-8859-9", "latin5"), "cp1254"),
    **dict.fromkeys(("tis-620", "tis620", "iso-8859-11", "iso8859-11", "dos-874"), "cp874"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "chinese"), "gb18030"),
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji"), "cp932"),
    **dict.fromkeys(("euc-kr", "ks_c_5601-1987", "korean"), "cp949"),
    "big5": "big5hkscs",
}
# <meta charset="x"> and <meta http-equiv="Content-Type" content="text/html; charset=x">.
_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?\s*([A-Za-z0-9_.:-]{1,40})",
                           re.IGNORECASE)


def _bom_encoding(data: bytes) -> str | None:
    return next((encoding for bom, encoding in _BOMS if data.startswith(bom)), None)


def _codec(label: str | None) -> str | None:
    """A Python codec name for a declared charset label; None if unknown."""
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        return codecs.lookup(_CHARSET_ALIASES.get(label, label)).name
    except (LookupError, ValueError):  # ValueError: a NUL in the label (found by fuzzing)
        return None


def _is_wide(encoding: str | None) -> bool:
    return bool(encoding) and encoding.startswith(("utf-16", "utf-32"))


def _reject_binary(data: bytes, encoding: str | None) -> None:
    """NUL or many control bytes mean binary content, unless UTF-16/32 is declared."""
    if _is_wide(encoding):
        return
    head = data[:SNIFF_BYTES]
    controls = len(_CONTROL_BYTES.findall(head))
    if b"\x00" in head or controls > _MAX_CONTROL_RATIO * len(head):
        raise Rejected("binary", f"{controls} control bytes in the first {len(head)}")


def _decode_first(data: bytes, encodings: list[str]) -> str | None:
    """Strictly decode with the first encoding that works; None if none does."""
    for encoding in encodings:
        try:
            return data.decode(encoding)
        except (UnicodeDecodeError, LookupError):  # LookupError: "base64" is no text codec
            continue
    return None


def _encodings(data: bytes, charset: str | None, sniff_meta: bool) -> list[str]:
    """Encodings to try, best first, as browsers rank them: BOM, declared charset,
    (HTML) ``<meta charset>``, then UTF-8."""
    meta = _META_CHARSET.search(data[:SNIFF_BYTES]) if sniff_meta else None
    declared = [_bom_encoding(data), _codec(charset), _codec(meta and meta[1].decode("ascii"))]
    return [encoding for encoding in declared if encoding] + ["utf-8"]


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Plain text: BOM, else the declared charset, else UTF-8; no guessing."""
    encodings = _encodings(data, charset, sniff_meta=False)
    _reject_binary(data, encodings[0])
    text = _decode_first(data, encodings)
    if text is None:
        raise Rejected("undecodable", f"not valid {' or '.join(encodings)}")
    return text


def decode_html(data: bytes, charset: str | None = None) -> str:
    """HTML: BOM, declared charset, ``<meta charset>``, UTF-8; then trafilatura's statistical
    guess, which ends in a lossy UTF-8 decode rather than failing."""
    encodings = _encodings(data, charset, sniff_meta=True)
    _reject_binary(data, encodings[0])
    return _decode_first(data, encodings) or decode_file(data)
