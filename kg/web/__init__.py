"""The edukg web application: SPARQL endpoint, linked-data pages, named queries, search.

``create_app(Settings(store=path))`` is the whole setup (and the test hook). Each process that
creates an app serves an in-memory copy of a snapshot of the store (see :mod:`kg.web.backend`);
``kg serve`` makes that snapshot once and hands its folder to every worker.

Examples
--------
>>> import tempfile, pathlib
>>> from kg.config import Settings
>>> from kg.store import open_store
>>> live = pathlib.Path(tempfile.mkdtemp()) / "store"
>>> open_store(live).flush()
>>> client = create_app(Settings(store=str(live))).test_client()
>>> client.get("/healthz").json["ok"]
True
>>> client.get("/sparql?query=ASK{}", headers={"Accept": "application/sparql-results+json"}).json["boolean"]
True
"""

from __future__ import annotations

import atexit
import shutil
import time
from functools import partial
from pathlib import Path
from typing import Any

from flask import Flask, current_app, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, RequestHeaderFieldsTooLarge, RequestURITooLarge

from ..config import Settings, load_settings
from ..errors import KGError
from .backend import Backend, prepare_state
from .fastpath import COUNTED, ENDPOINT, LIMIT_LINE, FastPath, over_limits

__all__ = ["create_app", "API_PREFIXES"]

#: Paths whose errors are JSON ``{"ok": false, "error": …, "status": …}``.
API_PREFIXES = ("/sparql", "/healthz", "/metrics", "/api/", "/store", "/void", "/.well-known/")


def create_app(
    settings: Settings | None = None, *, state_dir: str | Path | None = None, supervised: bool | str = False
) -> Flask:
    """Build the Flask app for ``settings`` (default: defaults ← ``KG_*`` environment).

    ``state_dir`` is a folder made by :func:`kg.web.backend.prepare_state`; without it the app
    snapshots ``settings.store`` itself. ``supervised``: the process runs under a supervisor
    that replaces a worker that exits (``"granian"`` or ``"gunicorn"``; ``True`` means gunicorn),
    so runaway queries may end their worker.
    """
    settings = settings or load_settings()
    if state_dir:
        state = Path(state_dir)
    else:
        state = prepare_state(settings.store)
        atexit.register(shutil.rmtree, state, True)
    app = Flask(__name__)
    app.config["MAX_CONTENT_LENGTH"] = settings.max_request_bytes
    app.config["JSON_AS_ASCII"] = False
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.extensions["kg"] = {"settings": settings, "backend": Backend(settings, state), "supervised": supervised}
    _register_blueprints(app)
    _register_hooks(app)
    _register_errors(app)
    app.wsgi_app = FastPath(app.wsgi_app, backend=app.extensions["kg"]["backend"], settings=settings)  # type: ignore[method-assign]
    if settings.base_url:
        app.wsgi_app = _PrefixMiddleware(app.wsgi_app, _path_prefix(settings.base_url))  # type: ignore[method-assign]
    return app


def _register_blueprints(app: Flask) -> None:
    from . import api, gsp, pages, sparql

    app.register_blueprint(sparql.bp)
    app.register_blueprint(gsp.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(pages.bp)
    try:
        from .graph import bp as graph_bp  # written by another helper; optional
    except ImportError:
        graph_bp = None
    if graph_bp is not None:
        app.register_blueprint(graph_bp)


def _register_hooks(app: Flask) -> None:
    from . import metrics

    @app.before_request
    def _start_timer() -> None:
        g.kg_started = time.perf_counter()
        refused = over_limits(request.environ)  # a server in front may let such a request through
        if refused == 414:
            raise RequestURITooLarge(f"request targets are limited to {LIMIT_LINE} bytes")
        if refused == 431:
            raise RequestHeaderFieldsTooLarge(f"request header lines are limited to {LIMIT_LINE} bytes")

    @app.after_request
    def _cors_and_metrics(response):
        if request.path.startswith(("/sparql", "/queries", "/search", "/id/", "/ontology", "/void")):
            response.headers["Access-Control-Allow-Origin"] = "*"
            response.headers["Access-Control-Allow-Methods"] = "GET, POST, OPTIONS"
            response.headers["Access-Control-Allow-Headers"] = "Content-Type, Accept, Authorization"
            response.headers["Access-Control-Expose-Headers"] = "X-KG-Truncated"
        if request.path.startswith(("/id/", "/ontology", "/sparql", "/queries")):
            response.headers.add("Vary", "Accept")
        endpoint = request.url_rule.rule if request.url_rule else "(unmatched)"
        if request.environ.get(COUNTED):  # the fast path in front counts this request
            request.environ[ENDPOINT] = endpoint
            return _retire_after(response)
        metrics.REQUESTS.labels(endpoint=endpoint, method=request.method, status=str(response.status_code)).inc()
        started = g.get("kg_started")
        if started is not None:
            metrics.LATENCY.labels(endpoint=endpoint).observe(time.perf_counter() - started)
        return _retire_after(response)


def _retire_after(response):
    """If a query ran past the limit in this worker (it cannot be cancelled): answer, then end the
    worker; the supervisor starts a fresh one."""
    if g.get("kg_retire"):
        kg = current_app.extensions["kg"]
        response.call_on_close(partial(_end_worker, kg["supervised"], kg["settings"].port))
    return response


def _end_worker(supervised: bool | str, port: int | None = None) -> None:
    """End this worker after its answer: at once (gunicorn sync), or (granian) by taking no new
    connections, serving those it has accepted for a moment, then a graceful stop that lets the
    requests in flight on its other threads finish."""
    import logging
    import os
    import signal
    import threading

    logging.getLogger(__name__).warning("worker %s ends: a query ran past the time limit", os.getpid())
    if supervised != "granian":
        os._exit(0)
    guard = threading.Timer(30.0, os._exit, (0,))  # should the graceful stop hang
    guard.daemon = True
    guard.start()
    from ..serve import DRAIN_SECONDS, stop_accepting

    if stop_accepting(port):
        time.sleep(DRAIN_SECONDS)
    # to the main thread: it waits in granian's stop event and runs the handler at once
    signal.pthread_kill(threading.main_thread().ident, signal.SIGTERM)


def _is_api() -> bool:
    if request.path.startswith(API_PREFIXES):
        return True
    if request.args.get("format") in ("json", "csv") or request.path.endswith((".json", ".csv")):
        return True
    best = request.accept_mimetypes.best_match(["text/html", "application/json"])
    return best == "application/json" and "text/html" not in request.headers.get("Accept", "")


def _error(message: str, status: int, headers: dict[str, str] | None = None) -> Any:
    if _is_api():
        resp = jsonify({"ok": False, "error": message, "status": status})
    else:
        resp = app_error_page(message, status)
    resp.status_code = status
    for key, value in (headers or {}).items():
        resp.headers[key] = value
    return resp


def app_error_page(message: str, status: int):
    from flask import make_response

    return make_response(render_template("error.html", message=message, status=status))


def _register_errors(app: Flask) -> None:
    @app.errorhandler(KGError)
    def _kg_error(exc: KGError):
        headers = {}
        if exc.status == 403 and "token" in str(exc):
            headers["WWW-Authenticate"] = 'Bearer realm="edukg"'
        return _error(str(exc), exc.status, headers)

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        headers = {k: v for k, v in exc.get_headers() if k.lower() in ("allow", "retry-after")}
        return _error(exc.description or exc.name, exc.code or 500, headers)


def _path_prefix(base_url: str) -> str:
    """The path part of the public base URL.

    >>> _path_prefix("https://example.org/kg/"), _path_prefix("https://example.org")
    ('/kg', '')
    """
    from urllib.parse import urlsplit

    return urlsplit(base_url).path.rstrip("/")


class _PrefixMiddleware:
    """Serve under a path prefix: strip it from PATH_INFO if present, set SCRIPT_NAME."""

    def __init__(self, wsgi_app: Any, prefix: str) -> None:
        self.wsgi_app = wsgi_app
        self.prefix = prefix

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        if self.prefix:
            path = environ.get("PATH_INFO", "")
            if path == self.prefix or path.startswith(self.prefix + "/"):
                environ["PATH_INFO"] = path[len(self.prefix):] or "/"
            environ["SCRIPT_NAME"] = self.prefix
        return self.wsgi_app(environ, start_response)
