"""The lean path in front of Flask for ``/sparql``: finished responses, ETag and 304.

A repeated SPARQL query (same method, query string, body, ``Content-Type`` and ``Accept``) on
the same store snapshot gets the very bytes, status and headers Flask gave the first time,
without building a request context. Every ``/sparql`` answer Flask marks cacheable (a 200 to a
query) is recorded; GET answers carry a strong ``ETag`` (a hash of the body) and
``Cache-Control``, and ``If-None-Match`` gets **304**. The protections hold: a request over the
size limits or with an over-long request line or header goes to Flask, which refuses it; a
query is only ever answered from the cache after Flask accepted the identical request on the
same snapshot. A new snapshot (an update, a restart) empties the cache. Request counters and
latencies are counted here, once per request, as Flask counts them elsewhere.

Examples
--------
>>> etag_of(b"{}")
'"2afb9b83f9314e5d029766197f539792"'
>>> if_none_match('"a", W/"b"', '"b"'), if_none_match("*", '"x"'), if_none_match('"a"', '"b"')
(True, True, False)
"""

from __future__ import annotations

import hashlib
import io
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from . import metrics

__all__ = [
    "FastPath", "Entry", "etag_of", "if_none_match", "over_limits", "LIMIT_LINE", "CACHEABLE", "ENDPOINT", "COUNTED",
]

#: Longest request target or header value accepted (gunicorn's ``limit_request_line``).
LIMIT_LINE = 8190
#: environ keys the Flask side sets: the answer may be recorded / the URL rule that answered /
#: the request's metrics are counted by this middleware.
CACHEABLE, ENDPOINT, COUNTED = "kg.cacheable", "kg.endpoint", "kg.counted_outside"
_PATH = "/sparql"
_BODY_TYPES = ("application/sparql-query", "application/x-www-form-urlencoded")


def etag_of(body: bytes) -> str:
    """A strong entity tag for ``body``: its hash, so equal bytes always get the same tag."""
    return '"' + hashlib.blake2b(body, digest_size=16).hexdigest() + '"'


def if_none_match(header: str, etag: str) -> bool:
    """True when an ``If-None-Match`` header matches ``etag`` (weak comparison, as RFC 9110 asks)."""
    if header.strip() == "*":
        return True
    opaque = etag.removeprefix("W/")
    return any(tag.strip().removeprefix("W/") == opaque for tag in header.split(","))


@dataclass
class Entry:
    """One finished response: what Flask sent, plus what a 304 sends."""

    status: str
    headers: list[tuple[str, str]]
    body: bytes
    etag: str | None
    not_modified: list[tuple[str, str]] = field(default_factory=list)
    size: int = 0


class FastPath:
    """WSGI middleware serving recorded ``/sparql`` responses; everything else goes to ``inner``."""

    def __init__(self, inner: Callable[..., Any], *, backend: Any, settings: Any) -> None:
        self.inner = inner
        self.backend = backend
        self.budget = max(0, settings.response_cache_bytes)
        self.max_request = settings.max_request_bytes
        self.cache_control = "no-cache" if settings.cache_max_age <= 0 else f"public, max-age={settings.cache_max_age}"
        self._entries: OrderedDict[tuple, Entry] = OrderedDict()
        self._bytes = 0
        self._snapshot: str | None = None
        self._lock = threading.Lock()
        self._latency = metrics.LATENCY.labels(endpoint=_PATH)
        self._counters: dict[tuple[str, str, str], Any] = {}

    # ------------------------------------------------------------------ the WSGI call

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        method = environ.get("REQUEST_METHOD")
        if environ.get("PATH_INFO") != _PATH or method not in ("GET", "POST") or over_limits(environ):
            return self.inner(environ, start_response)
        started = time.perf_counter()
        body = b""
        if method == "POST":
            body = self._read_body(environ)
            if body is None:
                return self.inner(environ, start_response)
        key = (method, environ.get("QUERY_STRING", ""), environ.get("CONTENT_TYPE", ""), body,
               environ.get("HTTP_ACCEPT", ""))
        snapshot = self.backend.snapshot_name()
        entry = self._get(snapshot, key)
        if entry is None:
            return self._record(environ, start_response, snapshot, key, started)
        return self._send(entry, environ, start_response, "/sparql", started)

    # ------------------------------------------------------------------ pieces

    def _read_body(self, environ: dict[str, Any]) -> bytes | None:
        """The POST body (the input is replaced by a copy for Flask), or None to leave it to Flask."""
        ctype = environ.get("CONTENT_TYPE", "").split(";")[0].strip().lower()
        try:
            length = int(environ.get("CONTENT_LENGTH") or -1)
        except ValueError:
            return None
        if ctype not in _BODY_TYPES or length < 0 or length > self.max_request or environ.get("HTTP_TRANSFER_ENCODING"):
            return None
        body = environ["wsgi.input"].read(length) if length else b""
        environ["wsgi.input"] = io.BytesIO(body)
        return body

    def _get(self, snapshot: str | None, key: tuple) -> Entry | None:
        with self._lock:
            if snapshot != self._snapshot:
                self._entries.clear()
                self._bytes = 0
                self._snapshot = snapshot
                return None
            entry = self._entries.get(key)
            if entry is not None:
                self._entries.move_to_end(key)
            return entry

    def _put(self, snapshot: str | None, key: tuple, entry: Entry) -> None:
        entry.size = size = len(entry.body) + sum(len(k) + len(v) for k, v in entry.headers) + len(key[1]) + len(key[3])
        if size > self.budget // 4:
            return
        with self._lock:
            if snapshot != self._snapshot or key in self._entries:
                return
            self._entries[key] = entry
            self._bytes += size
            while self._bytes > self.budget and self._entries:
                _, old = self._entries.popitem(last=False)
                self._bytes -= old.size

    def _record(self, environ: dict[str, Any], start_response: Callable[..., Any], snapshot: str | None,
                key: tuple, started: float) -> Iterable[bytes]:
        """Let Flask answer; keep a cacheable answer and send it (or a 304)."""
        environ[COUNTED] = True
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], None]:
            captured[:] = [status, headers]
            return _no_write

        result = self.inner(environ, capture)
        status, headers = captured
        endpoint = environ.get(ENDPOINT, "(unmatched)")
        if not (environ.get(CACHEABLE) and status.startswith("200 ")):
            self._count(endpoint, environ["REQUEST_METHOD"], status, started)
            start_response(status, headers)
            return result
        try:
            body = b"".join(result)
        finally:
            if hasattr(result, "close"):
                result.close()
        entry = self._entry(environ["REQUEST_METHOD"], status, headers, body)
        if self.budget and self.backend.snapshot_name() == snapshot:
            self._put(snapshot, key, entry)
        return self._send(entry, environ, start_response, endpoint, started)

    def _entry(self, method: str, status: str, headers: list[tuple[str, str]], body: bytes) -> Entry:
        if method != "GET":
            return Entry(status, list(headers), body, None)
        etag = etag_of(body)
        full = [*headers, ("ETag", etag), ("Cache-Control", self.cache_control)]
        kept = [(k, v) for k, v in full if k.lower() not in ("content-type", "content-length")]
        return Entry(status, full, body, etag, kept)

    def _send(self, entry: Entry, environ: dict[str, Any], start_response: Callable[..., Any], endpoint: str,
              started: float) -> list[bytes]:
        method = environ["REQUEST_METHOD"]
        condition = environ.get("HTTP_IF_NONE_MATCH")
        if entry.etag is not None and condition and if_none_match(condition, entry.etag):
            start_response("304 Not Modified", list(entry.not_modified))
            self._count(endpoint, method, "304 Not Modified", started)
            return [b""]
        start_response(entry.status, list(entry.headers))
        self._count(endpoint, method, entry.status, started)
        return [entry.body]

    def _count(self, endpoint: str, method: str, status: str, started: float) -> None:
        code = status[:3]
        counter = self._counters.get((endpoint, method, code))
        if counter is None:
            counter = metrics.REQUESTS.labels(endpoint=endpoint, method=method, status=code)
            self._counters[(endpoint, method, code)] = counter
        counter.inc()
        latency = self._latency if endpoint == _PATH else metrics.LATENCY.labels(endpoint=endpoint)
        latency.observe(time.perf_counter() - started)


def _no_write(data: bytes) -> None:  # pragma: no cover - Flask never uses write()
    raise RuntimeError("the WSGI write() callable is not supported here")


def over_limits(environ: dict[str, Any]) -> int | None:
    """414 when the request target is longer than :data:`LIMIT_LINE`, 431 for a header, else None.

    >>> over_limits({"PATH_INFO": "/", "QUERY_STRING": "q=" + "x" * 9000}), over_limits({"PATH_INFO": "/"})
    (414, None)
    """
    if len(environ.get("PATH_INFO", "")) + len(environ.get("QUERY_STRING", "")) > LIMIT_LINE:
        return 414
    for name, value in environ.items():
        if name.startswith("HTTP_") and isinstance(value, str) and len(value) > LIMIT_LINE:
            return 431
    return None
