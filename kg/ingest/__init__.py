"""Read article files (``.txt``, ``.html``/``.htm``, ``.jsonl``) into :class:`~kg.model.Article`.

IO happens here and nowhere else in the pipeline.  Submodules: ``decode``
(bytes to text), ``text`` (language, dates, titles), ``junk`` (trailing site
junk), ``htmltext`` (HTML pages); this module reads files and builds Articles.  Every problem with a file
(or with one JSONL line) becomes an :class:`~kg.errors.InputError` carrying the
path and line; :func:`read_file` yields it instead of raising, so one bad input
never stops a build.

- Encodings are detected with ``charset-normalizer`` (UTF-8 with or without BOM,
  UTF-16/32 with BOM, GB18030/GBK, ...); NUL bytes or undecodable data mean
  "binary file".
- The title is the first non-empty line (a short kicker such as "Breaking news"
  is skipped); a date is read from a short header line or HTML metadata.
- Language: the share of CJK characters decides English / Chinese; other
  scripts and Latin-script text go through ``langdetect`` with a fixed seed.
- :func:`find_body_end` (``junk.py``) finds where trailing site junk (related-news lists,
  PREV/NEXT, contact and share blocks, tags, "- END -", copyright) starts, by
  general line rules.  ``Article.text`` keeps everything; ``body_end`` marks it.

Examples
--------
>>> detect_language("郑东新区深化集团化办学,让更多优质学校开到家门口。")
'zh'
>>> parse_date("Author:Mengye News Time:2022.07.14")
'2022-07-14'
>>> text = "Title\\n\\nThe district education bureau opened three new schools this year.\\n\\n- END -\\n\\nOther news"
>>> text[find_body_end(text):]
'- END -\\n\\nOther news'
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from urllib.parse import quote

from ..errors import InputError
from ..model import Article
from .decode import decode_bytes
from .htmltext import html_to_text
from .junk import find_body_end, is_junk_line
from .text import clean_title, detect_language, find_title, header_date, normalize_lang, parse_date, title_key

__all__ = [
    "SUPPORTED_SUFFIXES",
    "MAX_BYTES",
    "iter_input_files",
    "read_file",
    "decode_bytes",
    "detect_language",
    "find_body_end",
    "parse_date",
    "find_title",
    "html_to_text",
    "content_hash",
]

SUPPORTED_SUFFIXES = (".txt", ".html", ".htm", ".jsonl")
MAX_BYTES = 20_000_000
SUPPORTED_LANGS = ("en", "zh")


def iter_input_files(paths: Iterable[str | Path]) -> Iterator[Path]:
    """Files named directly plus supported files found recursively in folders, sorted by path.

    Hidden files and folders (name starting with ".") inside a folder are skipped.
    A path that does not exist raises :class:`InputError`.

    >>> import tempfile
    >>> d = Path(tempfile.mkdtemp())
    >>> for name in ("b.txt", "a.jsonl", "notes.md", "sub/c.HTML"):
    ...     (d / name).parent.mkdir(exist_ok=True)
    ...     _ = (d / name).write_text("x")
    >>> [p.relative_to(d).as_posix() for p in iter_input_files([d])]
    ['a.jsonl', 'b.txt', 'sub/c.HTML']
    """
    found: dict[Path, Path] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in path.rglob("*"):
                rel = child.relative_to(path).parts
                if child.is_file() and child.suffix.lower() in SUPPORTED_SUFFIXES and not _hidden(rel):
                    found.setdefault(child.resolve(), child)
        elif path.exists():
            found.setdefault(path.resolve(), path)
        else:
            raise InputError("no such file or directory", path=str(path))
    yield from sorted(found.values())


def _hidden(parts: tuple[str, ...]) -> bool:
    return any(part.startswith(".") for part in parts)


def read_file(path: Path, *, max_bytes: int = MAX_BYTES) -> Iterator[Article | InputError]:
    """Every article in the file (JSONL: one per line); each problem yields an InputError.

    Never raises and never stops at a bad JSONL line: the other lines are read.

    >>> import tempfile
    >>> p = Path(tempfile.mkdtemp()) / "x.txt"
    >>> _ = p.write_bytes("标题\\n\\n2023年1月3日\\n\\n这是正文。".encode("gb18030"))
    >>> [(a.id, a.lang, a.title, a.date) for a in read_file(p)]
    [('x', 'zh', '标题', '2023-01-03')]
    >>> _ = p.write_bytes(b"")
    >>> [str(e) for e in read_file(p)]  # doctest: +ELLIPSIS
    ['.../x.txt: empty file']
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        yield InputError(f"unsupported file type {suffix or '(none)'!r}", path=str(path))
        return
    try:
        data = _read_bytes(path, max_bytes)
        if suffix == ".jsonl":
            yield from _read_jsonl(path, _decode_jsonl(data))
        elif suffix in (".html", ".htm"):
            yield _read_html(path, decode_bytes(data))
        else:
            yield _read_txt(path, decode_bytes(data))
    except InputError as exc:
        exc.path = exc.path or str(path)
        yield InputError(exc.reason, path=exc.path, line=exc.line)
    except OSError as exc:
        yield InputError(f"cannot read file: {exc.strerror or exc}", path=str(path))
    except Exception as exc:  # noqa: BLE001 - a reader bug must not stop the build
        yield InputError(f"could not read: {type(exc).__name__}: {exc}", path=str(path))


def _decode_jsonl(data: bytes) -> str:
    """JSONL text. A file that looks binary only because of some garbage lines (NUL padding
    after a crash) is read as UTF-8, so each bad line is reported and the good ones kept.

    >>> _decode_jsonl(b'{"text": "a"}\\n\\x00\\x00\\n').split("\\n")[1]
    '\\x00\\x00'
    """
    try:
        return decode_bytes(data)
    except InputError as exc:
        if exc.reason != "binary file":
            raise
    text = data.decode("utf-8", errors="replace").lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    if not any(_is_json_object(line) for line in text.split("\n")):
        raise InputError("binary file")
    return text


def _is_json_object(line: str) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except ValueError:
        return False


def _read_bytes(path: Path, max_bytes: int) -> bytes:
    """The file's bytes, refusing files over ``max_bytes`` before reading them."""
    size = path.stat().st_size
    if size > max_bytes:
        raise InputError(f"file too large ({size} bytes > {max_bytes})")
    with path.open("rb") as handle:
        data = handle.read(max_bytes + 1)  # the file may have grown since stat()
    if len(data) > max_bytes:
        raise InputError(f"file too large (more than {max_bytes} bytes)")
    return data


def _article_id(stem: str) -> str:
    from ..vocab import slugify

    return stem if re.fullmatch(r"[A-Za-z0-9_.\-]{1,120}", stem) else slugify(stem)


def content_hash(**fields: object) -> str:
    """``sha256:`` + hex digest of the fields, canonically serialised.

    >>> content_hash(a=1, b="x") == content_hash(b="x", a=1)
    True
    """
    blob = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return "sha256:" + hashlib.sha256(blob.encode("utf-8")).hexdigest()


def _make_article(
    *, id: str, source_file: str, title: str, date: str | None, text: str, lang: str | None, url: str | None = None
) -> Article:
    """Check body and language, find the junk, hash everything."""
    text, title, source_file = _clean_chars(text), _clean_chars(title), _clean_chars(source_file)
    body_end = find_body_end(text)
    body = text[:body_end]
    if not _has_body(body, title):
        raise InputError("no body text")
    lang = lang or detect_language(body)
    if lang not in SUPPORTED_LANGS:
        raise InputError(f"language {lang} not supported")
    fields = dict(id=id, source_file=source_file, lang=lang, title=title, date=date, text=text, url=url)
    return Article(**fields, body_end=body_end, content_hash=content_hash(**fields, body_end=body_end))


# Characters XML 1.0 (so RDF/XML) cannot carry and that mean nothing in news text: C0 controls
# other than tab and newline, lone surrogates (from JSON escapes), the non-characters U+FFFE/U+FFFF.
_UNSAFE_CHARS = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _clean_chars(value: str) -> str:
    """``value`` without the characters no serialisation of the graph can carry.

    >>> _clean_chars("a\\x0cb\\x1bc\\uffffd\\te\\ud800")
    'abcd\\te'
    """
    return _UNSAFE_CHARS.sub("", value)


def _has_body(body: str, title: str) -> bool:
    """True when something other than the title, date lines, junk lines and punctuation is left."""
    key = title_key(title)
    for line in body.split("\n"):
        rest = line.strip()
        if (parse_date(rest) and len(rest) <= 80) or is_junk_line(rest):
            rest = ""
        if re.search(r"\w", rest) and (title_key(rest) != key or not key):
            return True
    return False


def _read_txt(path: Path, text: str) -> Article:
    lines = text.split("\n")
    title, index = find_title(lines)
    date, _ = header_date(lines, (index or 0) + 1)
    return _make_article(id=_article_id(path.stem), source_file=path.name, title=title, date=date, text=text, lang=None)


def _read_html(path: Path, html: str) -> Article:
    title, text, date = html_to_text(html)
    lines = text.split("\n")
    if not title:
        title, _ = find_title(lines)
    elif title_key(title) not in {title_key(line) for line in lines[:6]}:
        text = f"{title}\n\n{text}"
        lines = text.split("\n")
    if date is None:
        date, _ = header_date(lines, 1)
    if not text.strip():
        raise InputError("no body text" if title else "empty file")
    return _make_article(id=_article_id(path.stem), source_file=path.name, title=title, date=date, text=text, lang=None)


def _read_jsonl(path: Path, text: str) -> Iterator[Article | InputError]:
    stem = _article_id(path.stem)
    for number, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            yield _jsonl_article(json.loads(line), f"{stem}-L{number}", path.name)
        except json.JSONDecodeError as exc:
            yield InputError(f"invalid JSON: {exc.msg} (column {exc.colno})", path=str(path), line=number)
        except InputError as exc:
            yield InputError(exc.reason, path=str(path), line=number)
        except Exception as exc:  # noqa: BLE001 - one line's failure never stops the others
            yield InputError(f"could not read line: {type(exc).__name__}: {exc}", path=str(path), line=number)


def _jsonl_article(record: object, article_id: str, source_file: str) -> Article:
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    text = _field(record, "text", "content", "body")
    if not text.strip():
        raise InputError("no body text")
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    title = clean_title(_field(record, "title")) or find_title(text.split("\n"))[0]
    date = parse_date(_field(record, "date", "published", "pubdate"))
    lang = _field(record, "language", "lang")
    return _make_article(
        id=article_id,
        source_file=source_file,
        title=title,
        date=date,
        text=text,
        lang=normalize_lang(lang) if lang.strip() else None,
        url=_clean_url(_field(record, "url", "link")),
    )


def _field(record: dict, *names: str) -> str:
    """The first present field among ``names`` as a string ("" when absent or null)."""
    for name in names:
        value = record.get(name)
        if value is None:
            continue
        if not isinstance(value, str | int | float) or isinstance(value, bool):
            raise InputError(f"field {name!r} must be a string, got {type(value).__name__}")
        return str(value)
    return ""


def _clean_url(url: str) -> str | None:
    """An absolute http(s) URL with IRI-unsafe characters percent-encoded, else None.

    >>> _clean_url('https://ex.org/a b<c>')
    'https://ex.org/a%20b%3Cc%3E'
    >>> _clean_url("javascript:alert(1)") is None
    True
    """
    url = url.strip()
    if not re.match(r"^https?://[^/\s]", url, re.I):
        return None
    return quote(url, safe=":/?#[]@!$&'()*+,;=%~")
