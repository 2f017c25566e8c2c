"""Shared helpers of the hardening tests (``tests/test_hardening_*.py``).

Everything here drives real parts: the installed ``kg`` command in subprocesses, ``kg serve``
(granian, or gunicorn with ``KG_SERVER=gunicorn``) on a free loopback port, raw HTTP over
``http.client`` (so malformed paths and odd methods reach the server untouched), on-disk
Oxigraph stores.

``KG_SOAK=1`` in the environment turns on the long (soak) variants of the kill and load loops.

Examples
--------
>>> soak_factor({"KG_SOAK": "1"}), soak_factor({})
(10, 1)
>>> sorted(nquad_lines(b"<a> <b> <c> .\\n\\n<a> <b> <c> .\\n"))
['<a> <b> <c> .']
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.client import HTTPConnection
from pathlib import Path

__all__ = [
    "REPO",
    "SEEDS",
    "KG",
    "PAYLOAD",
    "soak_factor",
    "free_port",
    "run_kg",
    "Reply",
    "http",
    "Server",
    "start_server",
    "shared_store",
    "shared_server",
    "write_hostile_corpus",
    "nquad_lines",
    "graph_quads",
    "Zygote",
]

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
KG = Path(sys.executable).with_name("kg")
#: Marker carried by every injected script / event handler; it must never be live in a page.
PAYLOAD = "PWNED"


def soak_factor(env: Mapping[str, str] | None = None) -> int:
    """How many times longer the kill and load loops run (``KG_SOAK=1`` → 10, ``KG_SOAK=N`` → N)."""
    raw = (os.environ if env is None else env).get("KG_SOAK", "").strip()
    if not raw or raw == "0":
        return 1
    return 10 if raw == "1" else max(1, int(raw))


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tmpdir(prefix: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix=prefix))
    atexit.register(shutil.rmtree, path, True)
    return path


def run_kg(
    *args: str | Path, env: Mapping[str, str] | None = None, timeout: float = 300
) -> subprocess.CompletedProcess:
    """Run the installed ``kg`` command; stdout is bytes, stderr text."""
    full_env = {k: v for k, v in os.environ.items() if k != "KG_STORE"}
    full_env.update(env or {})
    proc = subprocess.run([str(KG), *map(str, args)], capture_output=True, env=full_env, timeout=timeout)
    return subprocess.CompletedProcess(proc.args, proc.returncode, proc.stdout, proc.stderr.decode("utf-8", "replace"))


# --------------------------------------------------------------------------- HTTP


@dataclass
class Reply:
    """One HTTP answer."""

    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float = 0.0

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self):
        return json.loads(self.body)


def http(
    base: str,
    target: str,
    *,
    method: str = "GET",
    body: bytes | None = None,
    headers: Mapping[str, str] | None = None,
    timeout: float = 60,
) -> Reply:
    """Send ``method target`` verbatim (no re-encoding of the path) and read the whole answer."""
    parts = urllib.parse.urlsplit(base)
    # ASCII is sent as is; anything else is percent-encoded (UTF-8), as a browser would
    target = urllib.parse.quote(target, safe="".join(map(chr, range(33, 127))))
    conn = HTTPConnection(parts.hostname, parts.port, timeout=timeout)
    started = time.perf_counter()
    try:
        conn.putrequest(method, target, skip_accept_encoding=True)
        sent = {k.lower() for k in (headers or {})}
        for key, value in (headers or {}).items():
            conn.putheader(key, value)
        if body is not None and "content-length" not in sent:
            conn.putheader("Content-Length", str(len(body)))
        try:
            conn.endheaders(body)
        except (BrokenPipeError, ConnectionResetError):
            # the server answered (e.g. 413) and closed before reading the whole body, as it may:
            # read that early answer, like curl and browsers do
            pass
        resp = conn.getresponse()
        data = resp.read()
        return Reply(resp.status, {k.lower(): v for k, v in resp.getheaders()}, data, time.perf_counter() - started)
    finally:
        conn.close()


# --------------------------------------------------------------------------- kg serve


@dataclass
class Server:
    """A running ``kg serve`` (the server's master process plus its workers)."""

    proc: subprocess.Popen
    port: int
    store: Path
    log: Path
    env: dict[str, str] = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, target: str, **kwargs) -> Reply:
        return http(self.base, target, **kwargs)

    def workers(self) -> list[int]:
        """Pids of the workers (children of the master with the master's command line: forked)."""
        import psutil

        master = psutil.Process(self.proc.pid)
        cmd = master.cmdline()
        out = []
        for child in master.children():
            try:
                if child.cmdline() == cmd:
                    out.append(child.pid)
            except psutil.Error:
                continue
        return sorted(out)

    def rss(self) -> int:
        """Resident memory (bytes) of the master plus its workers."""
        import psutil

        total = 0
        for pid in [self.proc.pid, *self.workers()]:
            try:
                total += psutil.Process(pid).memory_info().rss
            except psutil.Error:
                continue
        return total

    def wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"kg serve exited ({self.proc.returncode}):\n{self.tail()}")
            try:
                if self.get("/healthz", timeout=5).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"kg serve did not answer within {timeout} s:\n{self.tail()}")

    def tail(self, n: int = 3000) -> str:
        try:
            return self.log.read_text(errors="replace")[-n:]
        except OSError:
            return ""

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)


def start_server(store: Path, *, workers: int = 2, env: Mapping[str, str] | None = None) -> Server:
    """Start ``kg serve`` over ``store`` on a free port and wait until ``/healthz`` answers."""
    port = free_port()
    log = _tmpdir("kg-hardening-log-") / "serve.log"
    full_env = {**os.environ, **(env or {})}
    full_env.pop("KG_STORE", None)
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [str(KG), "serve", "--store", str(store), "--port", str(port), "--workers", str(workers)],
            env=full_env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = Server(proc, port, Path(store), log, dict(env or {}))
    atexit.register(server.stop)
    server.wait_ready()
    return server


# --------------------------------------------------------------------------- shared data


def write_hostile_corpus(folder: Path) -> list[Path]:
    """Articles whose titles, text, names and file names carry markup, quotes, IRI-breaking
    characters, newlines, bidi controls, zero-width characters and very long words."""
    folder.mkdir(parents=True, exist_ok=True)
    nasty = '< > " { } | \\ ^ ` \u202e\u200f\u200b\ufeff\u2066 \x0c\x1b\uffff\ufdd0 \U0001f600 '
    long_name = "Lo" + "o" * 400 + "ng"
    en = (
        f'The <script>alert("{PAYLOAD}-title")</script> Education Group grows in Yuelu District\n\n'
        "2023-03-01\n\n"
        "The Yuelu District Education Bureau said on Monday that the "
        f"<script>alert('{PAYLOAD}-1')</script> Middle School joined the Foo\"{{bar}}|baz\\qux^`tick` Education Group. "
        f"The Education Bureau of <img src=x onerror=\"alert('{PAYLOAD}-2')\"> District said "
        "12 new schools opened in 2022.\n"
        "The A\u202eB\u200fC\u200bD Middle School and the E\u202bF\u200eG\ufeffH Primary School joined the "
        f"Yuelu Education Group. Characters: {nasty}.\n"
        f"The {long_name} Middle School is a member of the Yuelu Education Group.\n"
        f'<a href="javascript:alert(\'{PAYLOAD}-3\')">click</a> <svg onload=alert("{PAYLOAD}-4")>\n'
    )
    zh = (
        f"岳麓区<script>alert('{PAYLOAD}-zh')</script>教育集团成立\n\n2023年3月1日\n\n"
        f"长沙市岳麓区教育局表示,\"<img src=x onerror=alert('{PAYLOAD}-5')>第一中学\"和岳麓区实验小学加入了"
        "岳麓区\u202e阿\u200f拉\u200b伯教育集团。{长沙|市}\\^`中学`位于岳麓区。\n岳麓区2022年新建学校12所。\n"
    )
    files = {
        "evil_en.txt": en,
        "evil_zh.txt": zh,
        'evil <"{x}|\\^`> \u202e name.txt': en.replace("Yuelu", "Xicheng"),
        "evil.jsonl": json.dumps(
            {
                "title": f'<script>alert("{PAYLOAD}-jsonl")</script> "quoted" {{braces}} | pipe \\ back ^ `tick`',
                "text": en.replace("Yuelu", "Haidian") + "Lone surrogate \ud800, escape \u001b, bell \u0007.",
                "url": f"javascript:alert('{PAYLOAD}-url')",
                "date": "2023-04-01",
            }
        )
        + "\n",
        "evil_page.html": (
            f"<html><head><title>&lt;script&gt;alert('{PAYLOAD}-html')&lt;/script&gt; Dongcheng schools</title>"
            f"<script>alert('{PAYLOAD}-live')</script><style>body{{x:1}}</style></head>"
            "<body><article><p>The Dongcheng District Education Commission said the "
            f"&lt;b onmouseover=alert('{PAYLOAD}-6')&gt; Middle School joined the Dongcheng Education Group.</p>"
            "<p>The group has 8 member schools.</p></article></body></html>"
        ),
    }
    out = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        out.append(path)
    return out


@functools.cache
def shared_store() -> Path:
    """A store built once per test process by ``kg build``: the seeds plus the hostile corpus."""
    root = _tmpdir("kg-hardening-shared-")
    hostile = write_hostile_corpus(root / "hostile")
    store = root / "store"
    proc = run_kg("build", "--quiet", "--store", store, SEEDS, *hostile)
    if proc.returncode != 0 or not store.exists():
        raise RuntimeError(f"shared build failed ({proc.returncode}):\n{proc.stderr[-3000:]}")
    return store


#: Query time limit of the shared server (short, so runaway queries are cut quickly).
SHARED_TIMEOUT = 2.0


@functools.cache
def shared_server() -> Server:
    """``kg serve`` (two workers, short query time limit) over :func:`shared_store`."""
    env = {"KG_QUERY_TIMEOUT": str(SHARED_TIMEOUT), "KG_UPDATE_TOKEN": "hardening-token-never-sent"}
    return start_server(shared_store(), workers=2, env=env)


# --------------------------------------------------------------------------- RDF comparisons


def nquad_lines(data: bytes) -> set[str]:
    """The set of non-empty lines of an N-Quads document."""
    return {line for line in data.decode("utf-8").splitlines() if line.strip()}


def graph_quads(store, graph_iri: str) -> frozenset[str]:
    """Canonical N-Quads lines of one named graph of an open pyoxigraph store."""
    from pyoxigraph import NamedNode

    return frozenset(str(q) for q in store.quads_for_pattern(None, None, None, NamedNode(graph_iri)))


# --------------------------------------------------------------------------- warm CLI processes


class Zygote:
    """A warmed-up Python process that forks real ``kg`` CLI runs on demand.

    A cold ``kg build`` spends seconds importing and loading dictionaries before it writes
    anything; the kill loop would mostly kill start-ups. The zygote imports and warms the
    pipeline once (without opening any store), then forks a child per run that executes
    ``kg.cli.main(argv)`` — the same entry point as the ``kg`` script. The child is not reaped
    until :meth:`wait`, so its pid cannot be reused while the test may still signal it.
    """

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, __file__, "zygote"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
            env={k: v for k, v in os.environ.items() if k != "KG_STORE"},
        )
        atexit.register(self.close)
        ready = self.proc.stdout.readline()
        if ready.strip() != "ready":
            raise RuntimeError(f"zygote failed to start: {ready!r}")

    def _ask(self, message: dict) -> dict:
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError("zygote died")
        return json.loads(line)

    def start(self, argv: Iterable[str | Path], log: Path, env: dict[str, str] | None = None) -> int:
        """Fork a child running ``kg <argv>`` (with ``env`` added to its environment) and stderr to ``log``;
        returns its pid."""
        return self._ask({"op": "run", "argv": [str(a) for a in argv], "log": str(log), "env": env or {}})["pid"]

    def wait(self, pid: int) -> int:
        """Reap the child: its exit code, or ``-signal`` if a signal ended it."""
        return self._ask({"op": "wait", "pid": pid})["status"]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.stdin.close()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


def _warm_up() -> None:
    """Import and exercise the build stages once, with no store open."""
    import kg.cli  # noqa: F401
    from kg.mapping import to_quads
    from kg.model import Article
    from kg.pipeline import process_article

    for lang, text in (
        ("en", "T\n\nThe Yuelu District Education Bureau opened 3 schools in 2022."),
        ("zh", "标题\n\n岳麓区教育局2022年新建学校3所。"),
    ):
        art = Article(
            id="warm", source_file="warm.txt", lang=lang, title="T", date=None, text=text, content_hash="sha256:0"
        )
        to_quads(process_article(art))
    try:
        import kg.analysis  # noqa: F401
    except ImportError:
        pass


def _zygote_main() -> None:  # pragma: no cover - runs in its own process
    _warm_up()
    print("ready", flush=True)
    for line in sys.stdin:
        msg = json.loads(line)
        if msg["op"] == "run":
            pid = os.fork()
            if pid == 0:
                os.environ.update(msg.get("env") or {})
                _zygote_child(msg["argv"], msg["log"])
            print(json.dumps({"pid": pid}), flush=True)
        elif msg["op"] == "wait":
            _, status = os.waitpid(msg["pid"], 0)
            code = -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)
            print(json.dumps({"status": code}), flush=True)


def _zygote_child(argv: list[str], log: str) -> None:  # pragma: no cover - forked child
    code = 1
    try:
        signal.signal(signal.SIGINT, signal.SIG_DFL)
        fd = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
        os.dup2(fd, 2)
        null = os.open(os.devnull, os.O_RDWR)
        os.dup2(null, 0)
        os.dup2(null, 1)
        sys.stdin = open(0)  # noqa: SIM115
        from kg.cli import main

        try:
            main(argv, prog_name="kg", standalone_mode=True)
            code = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    except BaseException:  # noqa: BLE001
        import traceback

        traceback.print_exc()
    finally:
        sys.stderr.flush()
        os._exit(code)


if __name__ == "__main__":  # pragma: no cover
    if sys.argv[1:] == ["zygote"]:
        _zygote_main()
