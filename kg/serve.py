"""``kg serve``: gunicorn with several worker processes (``dev=True``: Flask's server).

The master snapshots the live store once (``Store.backup``) into a state folder; every worker
loads that snapshot into memory, so no process opens a store that ``kg build`` may be writing.
Prometheus counters are shared between workers through a multiprocess folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from .config import Settings

__all__ = ["run", "gunicorn_options"]


def gunicorn_options(settings: Settings) -> dict[str, Any]:
    """The gunicorn configuration for ``settings``.

    >>> from kg.config import Settings
    >>> opts = gunicorn_options(Settings(port=9000, workers=3, query_timeout=2))
    >>> opts["bind"], opts["workers"], opts["timeout"]
    ('127.0.0.1:9000', 3, 32)
    """
    return {
        "bind": f"{settings.host}:{settings.port}",
        "workers": max(1, settings.workers),
        "worker_class": "sync",
        "timeout": int(settings.query_timeout) + 30,  # the query child is killed long before this
        "graceful_timeout": 5,
        "limit_request_line": 8190,
        "accesslog": "-" if settings.access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kg-serve",
    }


def run(settings: Settings, dev: bool = False) -> None:
    """Snapshot the store and serve it until interrupted."""
    state_parent = Path(tempfile.mkdtemp(prefix="kg-serve-"))
    metrics_dir = state_parent / "metrics"
    metrics_dir.mkdir()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(metrics_dir)  # before prometheus_client is imported
    try:
        state = _snapshot_in_child(settings.store, state_parent / "state")
        if dev:
            os.environ.pop("PROMETHEUS_MULTIPROC_DIR", None)
            from .web import create_app

            create_app(settings, state_dir=state).run(host=settings.host, port=settings.port, threaded=False)
        else:
            _Gunicorn(settings, state).run()
    finally:
        shutil.rmtree(state_parent, ignore_errors=True)


def _snapshot_in_child(store: str, state: Path) -> Path:
    """Make the snapshot in a spawned process: RocksDB leaves threads behind, and a master
    that opened it would fork workers that crash on exit."""
    import multiprocessing

    from .web.backend import prepare_state

    ctx = multiprocessing.get_context("spawn")
    with ctx.Pool(1) as pool:
        return pool.apply(prepare_state, (store, state))


def _child_exit(server: Any, worker: Any) -> None:
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def _gunicorn_base():
    from gunicorn.app.base import BaseApplication

    return BaseApplication


class _Gunicorn(_gunicorn_base()):  # type: ignore[misc]
    """gunicorn application that builds one Flask app per worker (no preload)."""

    def __init__(self, settings: Settings, state: Path) -> None:
        self.settings = settings
        self.state = state
        super().__init__()

    def load_config(self) -> None:
        for key, value in gunicorn_options(self.settings).items():
            self.cfg.set(key, value)
        self.cfg.set("child_exit", _child_exit)

    def load(self):
        from .web import create_app

        return create_app(self.settings, state_dir=self.state, supervised=True)
