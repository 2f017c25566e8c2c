"""Settings: defaults <- ``KG_*`` environment <- explicit overrides (CLI flags).

Only this module reads ``os.environ``.

>>> load_settings({"KG_STORE": "/tmp/s", "KG_MAX_ROWS": "5"}).max_rows
5
>>> load_settings({}, store="x").store
'x'
"""

from __future__ import annotations

import os
from dataclasses import MISSING, dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

__all__ = ["REPO", "Settings", "load_settings", "cache_dir"]

REPO = Path(__file__).resolve().parent.parent


def _f(default: Any, help: str) -> Any:
    return field(default=default, metadata={"help": help})


@dataclass(frozen=True)
class Settings:
    store: str = _f("data/store", "On-disk Oxigraph store directory (or http(s):// URL of a remote SPARQL store).")
    queries_dir: Path = _f(REPO / "queries", "Folder of named SPARQL queries (*.rq).")
    ontology_dir: Path = _f(REPO / "ontology", "Folder holding edukg.ttl, shapes.ttl and lexicon files.")
    host: str = _f("127.0.0.1", "Address `kg serve` binds to.")
    port: int = _f(8000, "Port `kg serve` listens on.")
    workers: int = _f(2, "Worker processes of the WSGI server.")
    server: str = _f("granian", "Server of `kg serve`: 'granian' (keep-alive connections, request threads; several"
                                " times faster on lookups) or 'gunicorn' (sync workers, one connection per request).")
    threads: int = _f(4, "Request threads per worker process (granian).")
    access_log: bool = _f(False, "Log every request of `kg serve` to standard output (the server's access log).")
    base_url: str = _f("", "Public base URL (e.g. https://example.org/kg) when behind a reverse proxy.")
    max_rows: int = _f(10_000, "Most result rows a SPARQL query returns over HTTP.")
    query_timeout: float = _f(5.0, "Seconds a SPARQL query may run before it is stopped.")
    max_request_bytes: int = _f(1_000_000, "Largest accepted request body / query string, in bytes.")
    query_isolation: str = _f(
        "auto",
        "How a query is held to the time limit: 'thread' runs it in the worker, and a worker whose query ran"
        " past the limit answers 503 and is replaced; 'fork' runs each query in a child process killed at the"
        " limit (slower); 'auto' is 'thread' under `kg serve` and 'fork' elsewhere.",
    )
    serve_memory_quads: int = _f(
        2_000_000,
        "`kg serve` workers hold a snapshot of up to this many quads in memory (fastest, about 0.5 KB per quad"
        " per worker); a larger one they read on disk, read-only (0: always on disk).",
    )
    result_cache: int = _f(256, "Query answers each web worker keeps, per store snapshot (0: no cache).")
    response_cache_bytes: int = _f(
        64 * 2**20, "Bytes of finished SPARQL responses each web worker keeps, per store snapshot (0: off)."
    )
    cache_max_age: int = _f(0, "Seconds HTTP clients may reuse a SPARQL answer without revalidating (ETag).")
    allow_service: bool = _f(False, "Allow SPARQL SERVICE (federated) queries.")
    update_token: str = _f("", "Bearer token that enables SPARQL Update and the Graph Store Protocol.")
    jobs: int = _f(1, "Extraction processes for `kg build`.")
    bulk: bool = _f(True, "`kg build` writes new articles with Oxigraph's bulk loader, in batches stored whole or not"
                          " at all (0: one transaction per article, several times slower).")
    bulk_batch: int = _f(200_000, "Quads gathered before each bulk load of `kg build` (at most 500,000: a batch"
                                  " must land whole).")
    write_thread: bool = _f(True, "`kg build` writes to the store in a background thread while it extracts the next"
                                  " articles (0: extract and write in turn).")
    cache_dir: str = _f("", "Folder for derived lexicon tables kept between runs (default $XDG_CACHE_HOME/edukg, "
                            "i.e. ~/.cache/edukg).")


_ENV_PREFIX = "KG_"


def _coerce(value: str, typ: Any, name: str) -> Any:
    names = {"Path": Path, "int": int, "float": float, "bool": bool, "str": str}
    typ = typ if isinstance(typ, type) else names[str(typ)]
    try:
        if typ is bool:
            low = value.strip().lower()
            if low in {"1", "true", "yes", "on"}:
                return True
            if low in {"0", "false", "no", "off", ""}:
                return False
            raise ValueError(value)
        return typ(value)
    except ValueError as exc:
        raise ConfigError(f"{_ENV_PREFIX}{name.upper()}: cannot read {value!r} as {typ.__name__}") from exc


def load_settings(env: dict[str, str] | None = None, **overrides: Any) -> Settings:
    """Build settings from defaults, ``KG_*`` variables and non-None overrides."""
    env = dict(os.environ) if env is None else env
    values: dict[str, Any] = {}
    for f in fields(Settings):
        raw = env.get(_ENV_PREFIX + f.name.upper())
        if raw is not None:
            values[f.name] = _coerce(raw, f.type, f.name)
    values.update({k: v for k, v in overrides.items() if v is not None})
    unknown = set(values) - {f.name for f in fields(Settings)}
    if unknown:
        raise ConfigError(f"unknown settings: {sorted(unknown)}")
    if "store" in values:
        values["store"] = str(values["store"])
    for name in ("queries_dir", "ontology_dir"):
        if name in values and not isinstance(values[name], Path):
            values[name] = Path(values[name])
    return replace(Settings(), **values)


def cache_dir(settings: Settings | None = None) -> Path:
    """Where derived tables are kept between runs: ``KG_CACHE_DIR``, else ``$XDG_CACHE_HOME/edukg``.

    >>> cache_dir(Settings(cache_dir="/tmp/x"))
    PosixPath('/tmp/x')
    """
    settings = settings or load_settings()
    if settings.cache_dir:
        return Path(settings.cache_dir)
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "edukg"


def describe_settings() -> list[tuple[str, str, str]]:
    """(env var, default, help) for each setting, for docs and ``--help``."""
    rows = []
    for f in fields(Settings):
        default = f.default if f.default is not MISSING else ""
        rows.append((_ENV_PREFIX + f.name.upper(), str(default), f.metadata.get("help", "")))
    return rows
