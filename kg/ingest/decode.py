"""Bytes to text: BOMs, UTF-8, an HTML-declared charset, else ``charset-normalizer``.

>>> decode_bytes("标题".encode("gb18030") * 10)[:4]
'标题标题'
"""

from __future__ import annotations

import re

from ..errors import InputError

__all__ = ["decode_bytes"]

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe\x00\x00", "utf-32-le"),
    (b"\x00\x00\xfe\xff", "utf-32-be"),
    (b"\xff\xfe", "utf-16-le"),
    (b"\xfe\xff", "utf-16-be"),
)
# Encodings charset-normalizer may choose from: those news sites use; a narrower set guesses better.
_CANDIDATES = (
    "utf_8", "gb18030", "big5", "cp1252", "cp1251", "koi8_r", "shift_jis", "euc_jp", "euc_kr",
    "utf_16_le", "utf_16_be", "utf_32_le", "utf_32_be",
)  # fmt: skip
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")


def decode_bytes(data: bytes) -> str:
    """Decode file bytes to text with ``\\n`` newlines; raise InputError for empty or binary data.

    >>> decode_bytes("\\ufeffA\\r\\nB".encode("utf-8"))
    'A\\nB'
    >>> decode_bytes("中文".encode("utf-16"))
    '中文'
    >>> decode_bytes(b"\\x89PNG\\r\\n\\x1a\\n\\x00\\x00\\x00\\rIHDR")
    Traceback (most recent call last):
    ...
    kg.errors.InputError: binary file
    """
    if not data.strip():
        raise InputError("empty file")
    text = _decode(data)
    if text is None or _looks_binary(text):
        raise InputError("binary file")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not text.strip():
        raise InputError("empty file")
    return text


def _decode(data: bytes) -> str | None:
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding)
            except UnicodeDecodeError:
                return None
    if b"\x00" not in data:
        text = _decode_mostly_utf8(data) or _decode_declared(data)
        if text is not None:
            return text
    from charset_normalizer import from_bytes

    wide = b"\x00" in data  # BOM-less UTF-16/32 has NUL bytes; other text never does
    candidates = [e for e in _CANDIDATES if e.startswith(("utf_16", "utf_32")) == wide]
    best = from_bytes(data, cp_isolation=candidates).best()
    return None if best is None else str(best)


def _decode_mostly_utf8(data: bytes) -> str | None:
    """UTF-8, tolerating a few broken sequences (a truncated character) as U+FFFD."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    broken = text.count("\ufffd") - data.count("\ufffd".encode())
    multibyte = sum(1 for ch in text if ord(ch) > 0x7F and ch != "\ufffd")
    allowed = len(data) // 1000 + (2 if multibyte >= 20 else 0)  # clearly UTF-8 around a truncated character
    return text if broken <= allowed else None


_DECLARED = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_SUPERSETS = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "iso-8859-1": "cp1252", "ascii": "cp1252"}


def _decode_declared(data: bytes) -> str | None:
    """The charset an HTML page declares in a <meta> tag, if the bytes decode with it."""
    match = _DECLARED.search(data[:4096])
    if not match:
        return None
    name = match[1].decode("ascii").lower()
    try:
        return data.decode(_SUPERSETS.get(name, name))
    except (LookupError, UnicodeDecodeError):
        return None


def _looks_binary(text: str) -> bool:
    """NUL characters, or more than 1% control characters (other than whitespace)."""
    if "\x00" in text or "\ufffd" * 4 in text:
        return True
    sample = text[:100_000]
    return len(_CONTROL.findall(sample)) > max(2, len(sample) // 100)
