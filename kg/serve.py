"""``kg serve``: a production WSGI server with several worker processes (``dev=True``: Flask's server).

The master snapshots the live store once (``Store.backup``) into a state folder; every worker
loads that snapshot into memory, so no process opens a store that ``kg build`` may be writing.
Prometheus counters are shared between workers through a multiprocess folder.

Two servers are available (setting ``server``, ``KG_SERVER``):

- ``granian`` (default): a Rust HTTP server with a WSGI interface; keep-alive connections, a few
  request threads per worker (``threads``). A worker whose query ran past the time limit answers
  503 and retires (graceful stop: it stops accepting, closes idle keep-alive connections and
  answers the requests in flight with ``Connection: close``); the master starts a fresh one, and
  kills a retiring worker still alive after ``query_timeout`` + 5 s.
- ``gunicorn``: gunicorn sync workers (one request at a time per worker, no keep-alive).
"""

from __future__ import annotations

import math
import os
import shutil
import signal
import sys
import tempfile
import threading
import time
from functools import partial
from pathlib import Path
from typing import Any

from .config import Settings

__all__ = [
    "run", "gunicorn_options", "granian_options", "stop_accepting",
    "SERVERS", "READY", "RETIRING", "STOP_GRACE", "DRAIN_SECONDS",
]

#: The production servers ``kg serve`` can run.
SERVERS = ("granian", "gunicorn")
#: Folder of the state directory where a granian worker that is serving leaves its pid: its exit
#: (a retirement, a kill) is then replaced at once, not taken for a start-up crash loop.
READY = "ready"
#: Folder of the state directory where a granian worker that has begun to stop leaves its pid
#: (the file's age is the stop's age): the master kills it if it is still alive after the grace.
RETIRING = "retiring"
#: Seconds past the query time limit a stopping worker may take (requests in flight finish).
STOP_GRACE = 5
#: Longest request line / single header line accepted (as gunicorn's defaults).
LIMIT_REQUEST_LINE = 8190


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
        "limit_request_line": LIMIT_REQUEST_LINE,
        "accesslog": "-" if settings.access_log else None,
        "errorlog": "-",
        "loglevel": "info",
        "proc_name": "kg-serve",
    }


def granian_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments of granian's server for ``settings``.

    >>> from kg.config import Settings
    >>> opts = granian_options(Settings(port=9000, workers=3, threads=4))
    >>> opts["port"], opts["workers"], opts["blocking_threads"], opts["interface"]
    (9000, 3, 4, 'wsgi')
    """
    from granian.http import HTTP1Settings

    return {
        "address": settings.host,
        "port": settings.port,
        "interface": "wsgi",
        "http": "1",
        "workers": max(1, settings.workers),
        "blocking_threads": max(1, settings.threads),
        "backpressure": max(8, 4 * settings.threads),
        "http1_settings": HTTP1Settings(max_buffer_size=2 * LIMIT_REQUEST_LINE + 4096 * 4),
        "respawn_failed_workers": True,
        "respawn_interval": 0.5,
        "workers_kill_timeout": _stop_grace(settings),
        "log_access": settings.access_log,
        "log_level": "info",
    }


def run(settings: Settings, dev: bool = False) -> None:
    """Snapshot the store and serve it until interrupted."""
    if settings.server not in SERVERS:
        from .errors import ConfigError

        raise ConfigError(f"KG_SERVER: {settings.server!r} is not one of {', '.join(SERVERS)}")
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
        elif settings.server == "gunicorn":
            _Gunicorn(settings, state).run()
        else:
            _run_granian(settings, state)
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


# --------------------------------------------------------------------------- granian


def _stop_grace(settings: Settings) -> int:
    """Seconds a stopping granian worker may take before it is killed.

    >>> from kg.config import Settings
    >>> _stop_grace(Settings(query_timeout=2.5))
    8
    """
    return math.ceil(settings.query_timeout) + STOP_GRACE


def _granian_app(settings: Settings, state: Path, master: int | None = None) -> Any:
    """The WSGI app of one granian worker (called in the worker process, before granian installs
    its signal handlers)."""
    from .web import create_app

    _die_with(master)
    _stop_on_first_signal(state)
    app = create_app(settings, state_dir=state, supervised="granian")
    (state / READY).mkdir(exist_ok=True)
    (state / READY / str(os.getpid())).touch()
    return app


def _die_with(master: int | None) -> None:
    """Have the kernel kill this worker when the master process dies (Linux ``PR_SET_PDEATHSIG``):
    a master killed outright (``kill -9``, the OOM killer) must not leave workers running
    runaway queries and holding the listening socket."""
    if master is None or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # 1 = PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != master:  # the master died before the call
        os._exit(1)


def _stop_on_first_signal(state: Path) -> None:
    """Make this granian worker act on its first SIGTERM/SIGINT only (and leave ``retiring/<pid>``).

    granian's handler passes every signal into a one-slot channel that is read once: from the
    third signal on, the handler blocks in that channel while it holds the GIL, and the worker
    hangs with its connections open (no request thread, no Python timer can run again). A worker
    whose queries ran past the time limit signals itself once per such query, and the master
    adds its own SIGTERM when it stops or replaces the worker.
    """
    import granian._signals as gsig

    def set_sync_signals() -> Any:
        stop = gsig.WorkerSignal()
        fired: list[int] = []

        def handler(signum: int, frame: Any) -> None:
            if fired:
                return
            fired.append(signum)
            _mark(state / RETIRING, os.getpid())
            stop.set()

        gsig.set_main_signals(handler)
        return stop

    gsig.set_sync_signals = set_sync_signals  # granian's worker imports it when it starts serving


#: Seconds a retiring granian worker keeps serving, taking no new connections, before it stops:
#: the connections it accepted just before have their request read by then (see :func:`stop_accepting`).
DRAIN_SECONDS = 0.25


def stop_accepting(port: int | None = None) -> bool:
    """Make this worker process take no more connections from the listening socket it shares with
    the other workers, which go on accepting; True if a listening socket was found.

    granian's graceful stop closes at once every connection whose request it has not read yet
    (hyper closes "idle" HTTP/1 connections), so a connection the worker accepted a moment before
    it stopped was dropped without an answer. A retiring worker therefore first puts a private,
    never-connected listening socket in place of the shared one (``dup2`` onto the same descriptor
    number: its event loop keeps the registration, and its accepts find nothing), serves what it
    has accepted for :data:`DRAIN_SECONDS`, then stops. Linux only (``/proc/self/fd``).

    >>> import socket
    >>> shared = socket.create_server(("127.0.0.1", 0))
    >>> port = shared.getsockname()[1]
    >>> stop_accepting(port), shared.getsockname()[1] == port  # the descriptor now holds another socket
    (True, False)
    >>> shared.close()
    """
    import socket
    import stat

    try:
        descriptors = [int(name) for name in os.listdir("/proc/self/fd")]
    except OSError:
        return False
    found = False
    for fd in descriptors:
        try:
            if not stat.S_ISSOCK(os.fstat(fd).st_mode):
                continue
            probe = socket.socket(fileno=os.dup(fd))
        except OSError:
            continue
        try:
            listening = probe.getsockopt(socket.SOL_SOCKET, socket.SO_ACCEPTCONN)
            family, local = probe.family, probe.getsockname()
        except OSError:
            continue
        finally:
            probe.close()
        if not listening or family not in (socket.AF_INET, socket.AF_INET6):
            continue
        if port and local[1] != port:
            continue
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as dummy:
            dummy.bind(("127.0.0.1", 0))
            dummy.listen(1)
            dummy.setblocking(False)  # the event loop's accept must find nothing, not wait
            os.dup2(dummy.fileno(), fd, inheritable=False)
        found = True
    return found


def _mark(folder: Path, pid: int) -> None:
    try:
        folder.mkdir(exist_ok=True)
        (folder / str(pid)).touch()
    except OSError:  # the state folder is gone: the server is shutting down
        pass


def _run_granian(settings: Settings, state: Path) -> None:
    server = _granian_server_class()("kg.web:create_app", **granian_options(settings))
    server.kg_state = state
    server.kg_grace = _stop_grace(settings)
    server.serve(target_loader=partial(_granian_app, settings, state, os.getpid()), wrap_loader=False)


def _granian_server_class() -> type:
    from granian.server import MPServer

    class KGGranian(MPServer):  # type: ignore[misc, valid-type]
        """granian's process server, replacing a worker that ends after it served (as gunicorn does).

        granian takes two exits of a worker within 5.5 s for a crash loop and stops; that stays
        the rule for workers that die while starting, but a worker that was serving (it retired
        after a runaway query, or was killed) is replaced without counting.
        """

        kg_state: Path | None = None
        kg_grace: float = 10.0

        def startup(self, spawn_target, target_loader) -> None:
            super().startup(spawn_target, target_loader)
            threading.Thread(target=self._kg_watchdog, name="kg-stop-watchdog", daemon=True).start()

        def _kg_watchdog(self) -> None:
            """Kill a worker that began to stop more than ``kg_grace`` seconds ago (its exit is then
            replaced as usual): a graceful stop must never leave the server short of a worker."""
            while True:
                time.sleep(0.25)
                try:
                    self._kg_kill_overdue()
                except Exception as exc:  # noqa: BLE001 - the watchdog must keep running
                    from granian.server.common import logger

                    logger.warning(f"kg stop watchdog: {exc!r}")

        def _kg_kill_overdue(self) -> None:
            folder = Path(self.kg_state or ".") / RETIRING
            if self.kg_state is None or not folder.is_dir():
                return
            ours = {wrk.inner.pid for wrk in list(self.wrks)}
            for marker in folder.iterdir():
                pid = int(marker.name) if marker.name.isdigit() else None
                if pid is None or (pid not in ours and not _alive(pid)):
                    marker.unlink(missing_ok=True)
                elif pid in ours and _age(marker) > self.kg_grace:
                    from granian.server.common import logger

                    logger.warning(f"Killing worker with PID {pid}: still stopping after {self.kg_grace:g} s")
                    marker.unlink(missing_ok=True)
                    try:
                        os.kill(pid, signal.SIGKILL)
                    except ProcessLookupError:
                        pass

        def _init_shared_socket(self) -> None:
            """One listening socket held by the master and shared by the workers (granian's way
            off Linux), not one ``SO_REUSEPORT`` socket per worker: while a worker restarts,
            connections wait in the backlog for any worker instead of being refused or reset."""
            import socket

            from granian.net import SocketSpec

            self._shd = SocketSpec(self.bind_addr, self.bind_port, self.backlog).build()
            self._sfd = self._shd.get_fd()
            self._ssp = None
            self._sso = socket.socket(fileno=self._sfd)
            self._sso.set_inheritable(True)

        def _respawn_workers(self, workers, spawn_target, target_loader, delay: float = 0) -> None:
            pids = {idx: self.wrks[idx].inner.pid for idx in workers}
            served = [idx for idx in workers if self._kg_served(pids[idx])]
            super()._respawn_workers(workers, spawn_target, target_loader, delay)
            for idx in served:
                self.respawned_wrks.pop(idx, None)  # not a crash loop: the next exit is judged afresh
            for pid in pids.values():
                _mark_dead(pid)
                if self.kg_state is not None and pid is not None:
                    (Path(self.kg_state) / RETIRING / str(pid)).unlink(missing_ok=True)

        def _kg_served(self, pid: int | None) -> bool:
            if self.kg_state is None or pid is None:
                return False
            marker = Path(self.kg_state) / READY / str(pid)
            if marker.exists():
                marker.unlink(missing_ok=True)
                return True
            return False

    return KGGranian


def _age(path: Path) -> float:
    """Seconds since ``path`` was last modified (0 if it is gone)."""
    try:
        return time.time() - path.stat().st_mtime
    except FileNotFoundError:
        return 0.0


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _mark_dead(pid: int | None) -> None:
    if pid is None:
        return
    try:
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(pid)
    except Exception:  # noqa: BLE001 - metrics housekeeping only
        pass


# --------------------------------------------------------------------------- gunicorn


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

        return create_app(self.settings, state_dir=self.state, supervised="gunicorn")
