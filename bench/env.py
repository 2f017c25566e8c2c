"""Machine, load and versions for the report header.

>>> sorted(environment())[:3]
['cores', 'cpu', 'git']
"""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["environment"]

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ["pyoxigraph", "oxigraph", "jieba", "flask", "gunicorn", "rdflib", "networkx", "psutil", "pyinstrument"]


def _cpu() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "?"


def _version(pkg: str) -> str:
    try:
        return metadata.version(pkg)
    except metadata.PackageNotFoundError:
        return "-"


def _run(cmd: list[str]) -> str:
    try:
        return subprocess.run(cmd, capture_output=True, text=True, timeout=10, cwd=REPO).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "-"


def environment() -> dict[str, Any]:
    """CPU, cores, memory, load average, OS, Python, package versions, git commit, wrk."""
    import psutil

    return {
        "cpu": _cpu(),
        "cores": os.cpu_count(),
        "git": _run(["git", "rev-parse", "--short", "HEAD"]),
        "memory_gib": round(psutil.virtual_memory().total / 2**30, 1),
        "load_avg": [round(x, 2) for x in os.getloadavg()],
        "os": platform.platform(),
        "python": sys.version.split()[0],
        "packages": {p: _version(p) for p in PACKAGES},
        "wrk": _run(["wrk", "--version"]).splitlines()[0] if _run(["which", "wrk"]) else "-",
    }
