"""House rules for the tests.

- Real parts: on-disk Oxigraph stores in temporary folders, real processes and HTTP clients.
- Fixtures that build the seeds are session-scoped: the seed build runs once per test run.
- A test asserts something that could fail; speed targets live in bench/, not here.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
GOLD = REPO.parent / "shared" / "gold"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session")
def seed_build(tmp_path_factory):
    """(store path, BuildReport) of the five seeds built into an on-disk store."""
    from kg.pipeline import build

    store = tmp_path_factory.mktemp("seed") / "store"
    report = build([SEEDS], store)
    return store, report


@pytest.fixture(scope="session")
def seed_store_path(seed_build) -> Path:
    return seed_build[0]


@pytest.fixture
def seeds_copy(tmp_path) -> Path:
    """A writable copy of seeds/ for tests that change articles."""
    dest = tmp_path / "seeds"
    shutil.copytree(SEEDS, dest)
    return dest


@pytest.fixture(scope="session")
def gold_dir() -> Path:
    if not GOLD.is_dir():
        pytest.skip("../shared/gold not present")
    return GOLD
