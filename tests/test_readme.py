"""The README stays true: quick start, every named query, every CLI command."""

from __future__ import annotations

from pathlib import Path

from kg.cli import main

README = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
QUERIES = Path(__file__).resolve().parent.parent / "queries"


def test_readme_lists_every_named_query():
    for rq in QUERIES.glob("*.rq"):
        assert f"`{rq.stem}`" in README, f"queries/{rq.name} missing from README"


def test_readme_lists_every_cli_command():
    for name in main.commands:
        assert f"kg {name}" in README, f"kg {name} missing from README"


def test_readme_quick_start_is_two_make_commands():
    quick = README.split("## Quick start", 1)[1].split("```", 2)[1]
    commands = [line.split("#")[0].strip() for line in quick.splitlines() if line.strip() and not line.startswith("sh")]
    assert commands == ["make run", "make test"]
