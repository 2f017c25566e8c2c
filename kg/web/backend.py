"""What a web worker queries: a consistent snapshot of the store, in memory or read-only on disk.

The live store is never opened read-only while it may be written (undefined behaviour in
Oxigraph). Instead :func:`prepare_state` copies it with ``Store.backup`` into a *state folder*
(``snap-N/``, ``snap-N.quads`` holding its size, and a ``current`` file naming the snapshot in
use); each worker process loads the current snapshot into memory (:class:`Backend`) and reloads
when ``current`` changes, which is how an authorised SPARQL Update reaches every worker.
A snapshot of more than ``serve_memory_quads`` quads is not copied into each worker's memory
(about 0.5 KB per quad, and minutes to load at 10^7 quads): workers open it read-only on disk,
which is safe because nothing ever writes a snapshot.

Queries run through :func:`run_killable`: a forked child process that the worker kills when the
time limit passes, so a runaway query really stops and frees its worker.

Examples
--------
>>> run_killable(lambda: 6 * 7, timeout=5)
42
"""

from __future__ import annotations

import math
import os
import pickle
import select
import shutil
import signal
import tempfile
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pyoxigraph import Store

from ..config import Settings
from ..errors import ConfigError, KGError
from ..store import backup, open_store

__all__ = ["QueryTimeout", "Backend", "prepare_state", "run_killable", "run_in_thread", "new_snapshot"]

T = TypeVar("T")


class QueryTimeout(KGError):
    """A query ran past the configured time limit and was stopped (HTTP 503)."""

    status = 503


def prepare_state(store_path: str | Path, state_dir: str | Path | None = None) -> Path:
    """Snapshot the live store into a fresh state folder and return that folder.

    >>> import tempfile, pathlib
    >>> live = pathlib.Path(tempfile.mkdtemp()) / "s"
    >>> open_store(live).flush()
    >>> (prepare_state(live) / "current").read_text()
    'snap-1'
    """
    if "://" in str(store_path):
        raise ConfigError("serving needs a local store folder, not a URL")
    if not Path(store_path).is_dir():
        raise ConfigError(f"no store at {store_path}: run `kg build` first")
    state = Path(state_dir) if state_dir else Path(tempfile.mkdtemp(prefix="kg-serve-"))
    state.mkdir(parents=True, exist_ok=True)
    new_snapshot(store_path, state)
    return state


def new_snapshot(store_path: str | Path, state: Path) -> str:
    """Back the live store up into ``state/snap-N`` and point ``state/current`` at it."""
    existing = [int(p.name[5:]) for p in state.glob("snap-*") if p.name[5:].isdigit()]
    name = f"snap-{max(existing, default=0) + 1}"
    quads = backup(store_path, state / name)
    (state / f"{name}.quads").write_text(str(quads))
    tmp = state / f".current-{os.getpid()}"
    tmp.write_text(name)
    os.replace(tmp, state / "current")
    for old in sorted(state.glob("snap-*")):
        if old.name != name and old.name[5:].isdigit() and int(old.name[5:]) < int(name[5:]) - 1:
            shutil.rmtree(old, ignore_errors=True)  # keep the previous one for workers still loading
    for old in state.glob("snap-*.quads"):
        if not (state / old.stem).is_dir():
            old.unlink(missing_ok=True)
    return name


class Backend:
    """One worker's view of the dataset: the current snapshot (in memory or on disk), refreshed when it changes."""

    def __init__(self, settings: Settings, state_dir: Path) -> None:
        self.settings = settings
        self.state_dir = Path(state_dir)
        self._lock = threading.Lock()
        self._name: str | None = None
        self._store: Store | None = None
        self.generation = 0
        self._cache: OrderedDict[Any, Any] = OrderedDict()
        self._current: tuple[tuple[int, int, int], str] | None = None
        self.in_memory = True  # whether the current snapshot was copied into memory (else read on disk)

    def snapshot_name(self) -> str:
        """The name of the current snapshot (``snap-N``), re-read only when ``current`` changed.

        A ``stat`` per call: the file is replaced (new inode) whenever a snapshot is published.
        """
        path = self.state_dir / "current"
        st = os.stat(path)
        stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
        known = self._current
        if known is not None and known[0] == stamp:
            return known[1]
        name = path.read_text().strip()
        self._current = (stamp, name)
        return name

    def cached(self, key: Any, compute: Callable[[], T]) -> T:
        """``compute()``, remembered per snapshot (LRU of ``settings.result_cache`` entries).

        A new snapshot (an update, a restart) starts an empty cache, so answers never go stale.
        """
        size = self.settings.result_cache
        if size <= 0:
            return compute()
        self.store  # noqa: B018 - reload first if a newer snapshot is current
        full_key = (self._name, key)
        with self._lock:
            if full_key in self._cache:
                self._cache.move_to_end(full_key)
                return self._cache[full_key]
        value = compute()
        with self._lock:
            self._cache[full_key] = value
            while len(self._cache) > size:
                self._cache.popitem(last=False)
        return value

    @property
    def store(self) -> Store:
        """The snapshot's store, reloaded first if a newer snapshot is current."""
        name = self.snapshot_name()
        if name != self._name:
            with self._lock:
                if name != self._name:
                    self._store = self._load(self.state_dir / name, self.settings.serve_memory_quads)
                    self._name = name
                    self.generation += 1
                    self._cache.clear()
        assert self._store is not None
        return self._store

    def _load(self, snapshot: Path, memory_quads: int) -> Store:
        """The snapshot copied into memory, or opened read-only on disk when over ``memory_quads``."""
        source = open_store(snapshot, read_only=True)
        size = snapshot.with_name(snapshot.name + ".quads")
        quads = int(size.read_text()) if size.exists() else len(source)
        self.in_memory = quads <= memory_quads
        if not self.in_memory:
            return source
        memory = Store()
        memory.bulk_extend(source.quads_for_pattern(None, None, None, None))
        return memory

    def update(self, apply: Callable[[Store], None]) -> None:
        """Apply ``apply`` to the live store, then publish a new snapshot to every worker."""
        live = _open_live(self.settings.store)
        try:
            apply(live)
            live.flush()
        finally:
            del live
        new_snapshot(self.settings.store, self.state_dir)


def _open_live(path: str, *, wait: float = 5.0) -> Store:
    """Open the live store for writing, waiting a little while another writer holds it."""
    deadline = time.monotonic() + wait
    while True:
        try:
            return open_store(path)
        except ConfigError as exc:
            if time.monotonic() > deadline:
                busy = KGError(f"the store is busy (another writer holds it): {exc}")
                busy.status = 503
                raise busy from exc
            time.sleep(0.1)


def run_killable(fn: Callable[[], T], *, timeout: float) -> T:
    """Run ``fn()`` in a forked child and return its (picklable) result.

    The child is killed with SIGKILL once ``timeout`` seconds pass (:class:`QueryTimeout`);
    as a second guard it also gets an alarm, so it dies even if its parent does.
    Exceptions raised by ``fn`` are re-raised in the caller.
    """
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        _child(fn, write_fd, timeout)
    os.close(write_fd)
    try:
        data = _read_until(read_fd, pid, time.monotonic() + timeout, timeout)
    finally:
        os.close(read_fd)
    os.waitpid(pid, 0)
    if not data:
        raise KGError("the query process died without an answer")
    ok, value = pickle.loads(data)
    if not ok:
        raise value
    return value


def run_in_thread(fn: Callable[[], T], *, timeout: float, on_timeout: Callable[[], None] | None = None) -> T:
    """Run ``fn()`` in a thread of this process and wait at most ``timeout`` seconds.

    Oxigraph releases the GIL while it evaluates, so the caller can answer at the limit; the
    runaway evaluation cannot be cancelled, so ``on_timeout`` arranges for the process to end
    (``kg serve`` replaces the worker after it has answered 503).

    >>> run_in_thread(lambda: 6 * 7, timeout=5)
    42
    """
    box: dict[str, Any] = {}
    done = threading.Event()

    def target() -> None:
        try:
            box["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised in the caller
            box["error"] = exc
        finally:
            done.set()

    threading.Thread(target=target, name="kg-query", daemon=True).start()
    if not done.wait(timeout):
        if on_timeout is not None:
            on_timeout()
        raise QueryTimeout(f"query stopped after the time limit of {timeout:g} s")
    if "error" in box:
        raise box["error"]
    return box["value"]


def _child(fn: Callable[[], Any], write_fd: int, timeout: float) -> None:  # pragma: no cover (child)
    code = 0
    try:
        signal.signal(signal.SIGALRM, signal.SIG_DFL)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        signal.alarm(math.ceil(timeout) + 2)
        try:
            payload = pickle.dumps((True, fn()))
        except KGError as exc:
            payload = pickle.dumps((False, _portable(exc)))
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            payload = pickle.dumps((False, KGError(f"{type(exc).__name__}: {exc}")))
        view = memoryview(payload)
        while view:
            written = os.write(write_fd, view)
            view = view[written:]
    except BaseException:  # noqa: BLE001
        code = 1
    finally:
        os._exit(code)


def _portable(exc: KGError) -> KGError:
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:  # noqa: BLE001
        out = KGError(str(exc))
        out.status = exc.status
        return out


def _read_until(fd: int, pid: int, deadline: float, timeout: float) -> bytes:
    chunks: list[bytes] = []
    while True:
        remaining = deadline - time.monotonic()
        ready = select.select([fd], [], [], max(remaining, 0))[0] if remaining > 0 else []
        if not ready:
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            raise QueryTimeout(f"query stopped after the time limit of {timeout:g} s")
        chunk = os.read(fd, 1 << 16)
        if not chunk:
            return b"".join(chunks)
        chunks.append(chunk)
