"""The ``kg`` command line: each command is a thin layer over library functions."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from . import __version__
from .config import Settings, load_settings
from .errors import KGError

__all__ = ["main"]

store_option = click.option(
    "--store",
    envvar="KG_STORE",
    default=None,
    help="Store directory (default data/store; KG_STORE overrides).",
)


def _settings(**overrides) -> Settings:
    try:
        return load_settings(**overrides)
    except KGError as exc:
        raise click.ClickException(str(exc)) from exc


class _Group(click.Group):
    """Turns every KGError into a clean one-line error and exit code 1."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except KGError as exc:
            raise click.ClickException(str(exc)) from exc


@click.group(cls=_Group)
@click.version_option(__version__, prog_name="kg")
def main() -> None:
    """edukg: turn news on Chinese education reform into a queryable knowledge graph."""


@main.command()
@click.argument("inputs", nargs=-1, required=True, type=click.Path(path_type=Path))
@store_option
@click.option("--jobs", "-j", type=int, default=None, help="Extraction processes (default 1).")
@click.option("--bulk/--transactions", "bulk", default=None,
              help="Write new articles with Oxigraph's bulk loader, in batches each stored whole or not at all "
                   "(default; KG_BULK), or each article in its own transaction (several times slower). "
                   "Changed articles are always replaced in a transaction.")
@click.option("--quiet", "-q", is_flag=True, help="No per-article progress lines.")
def build(inputs: tuple[Path, ...], store: str | None, jobs: int | None, bulk: bool | None, quiet: bool) -> None:
    """Read articles (files or folders: .txt, .html, .jsonl) into the store; incremental."""
    from .pipeline import build as run_build

    settings = _settings(store=store, jobs=jobs, bulk=bulk)
    n = 0

    def progress(event) -> None:
        nonlocal n
        n += 1
        if event.status == "skipped":
            click.secho(f"[{n}] skipped {event.source}: {event.detail}", err=True, fg="yellow")
        elif not quiet:
            click.echo(f"[{n}] {event.status} {event.source} {event.detail}".rstrip(), err=True)

    if bulk and str(settings.store).startswith(("http://", "https://")):
        raise click.UsageError("--bulk is for the embedded store; a remote store is written one article per request")
    report = run_build(inputs, settings.store, jobs=settings.jobs, on_event=progress, bulk=settings.bulk,
                       bulk_batch=settings.bulk_batch, overlap=settings.write_thread)
    click.echo(
        f"articles read {report.read}: {report.added} added, {report.replaced} replaced, "
        f"{report.unchanged} unchanged; skipped {len(report.skipped)}; "
        f"entities {report.entities}; quads {report.quads}; {report.seconds:.1f} s",
        err=True,
    )
    for source, reason in report.skipped:
        click.echo(f"  skipped {source}: {reason}", err=True)
    if report.skipped:
        sys.exit(1)


@main.command()
@store_option
@click.option(
    "--format", "fmt", default="nquads", show_default=True,
    type=click.Choice(["nquads", "trig", "turtle", "ntriples", "jsonld", "rdfxml"]),
)
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="File to write (default stdout).")
def dump(store: str | None, fmt: str, output: Path | None) -> None:
    """Write the whole dataset (N-Quads sorted, so equal datasets dump equal)."""
    from . import store as kgstore

    settings = _settings(store=store)
    st = _reading_store(settings.store)
    kgstore.dump(st, output if output else sys.stdout.buffer, fmt)
    if output:
        click.echo(f"wrote {output} ({output.stat().st_size} bytes, {len(st)} quads)", err=True)


@main.command()
@click.argument("query_or_file")
@store_option
@click.option(
    "--format", "fmt", default="table", show_default=True,
    type=click.Choice(["table", "json", "csv", "tsv", "xml", "turtle", "nquads"]),
)
@click.option("--param", "-p", multiple=True, help="Bind a variable: NAME=VALUE (IRI if it looks like one).")
def query(query_or_file: str, store: str | None, fmt: str, param: tuple[str, ...]) -> None:
    """Run SPARQL: a query string, a .rq file, or the name of a query in queries/."""
    from .querycli import render, resolve_query_text

    settings = _settings(store=store)
    text = resolve_query_text(query_or_file, settings.queries_dir)
    sys.stdout.write(render(_reading_store(settings.store), text, fmt, param))


@main.command()
@store_option
@click.option("--host", default=None, help="Address to bind (default 127.0.0.1).")
@click.option("--port", type=int, default=None, help="Port (default 8000).")
@click.option("--workers", type=int, default=None, help="WSGI worker processes (default 2).")
@click.option("--server", type=click.Choice(["granian", "gunicorn"]), default=None,
              help="WSGI server: granian (default: keep-alive, request threads) or gunicorn (sync workers); "
                   "see docs/http.md.")
@click.option("--threads", type=int, default=None, help="Request threads per worker under granian (default 4).")
@click.option("--base-url", default=None, help="Public base URL when behind a reverse proxy.")
@click.option("--dev", is_flag=True, help="Flask's development server (single process, reloads).")
def serve(store: str | None, host: str | None, port: int | None, workers: int | None, server: str | None,
          threads: int | None, base_url: str | None, dev: bool) -> None:
    """Serve SPARQL, linked-data pages, named queries and exports over HTTP."""
    from .serve import run

    settings = _settings(store=store, host=host, port=port, workers=workers, server=server, threads=threads,
                         base_url=base_url)
    _existing(settings.store)
    run(settings, dev=dev)


@main.command()
@store_option
def validate(store: str | None) -> None:
    """Check the store against the SHACL shapes (ontology/shapes.ttl); exit 1 on violations."""
    from .validate import validate_store

    settings = _settings(store=store)
    report = validate_store(_existing(settings.store))
    for line in report.results:
        click.echo(line)
    click.echo(f"{'conforms' if report.conforms else 'does not conform'}: {len(report.results)} violations", err=True)
    if not report.conforms:
        sys.exit(1)


@main.command("backup")
@click.argument("dest", type=click.Path(path_type=Path))
@store_option
def backup_cmd(dest: Path, store: str | None) -> None:
    """Copy a consistent snapshot of the store to DEST (safe while it is served)."""
    from .store import backup

    settings = _settings(store=store)
    n = backup(_existing(settings.store), dest)
    click.echo(f"backed up {n} quads from {settings.store} to {dest}", err=True)


@main.command("restore")
@click.argument("source", type=click.Path(path_type=Path, exists=True))
@store_option
def restore_cmd(source: Path, store: str | None) -> None:
    """Replace the store with the backup at SOURCE (stop `kg build` first)."""
    from .store import restore

    settings = _settings(store=store)
    n = restore(source, settings.store)
    click.echo(f"restored {n} quads from {source} into {settings.store}", err=True)


def _analysis_store(store: str | None, *, write: bool, seed: int = 0):
    """The store to analyse: the embedded one, or an in-memory mirror of an http(s):// store.

    With ``write`` the analysis graph is rebuilt first (on the remote server for a URL).
    """
    from . import analysis

    path = _existing(_settings(store=store).store)
    if write and _is_url(path):
        from . import remote

        remote.write_analysis_graph(remote.RemoteStore(path))
    st = _reading_store(path)
    if write and not _is_url(path):
        analysis.write_analysis_graph(st, seed=seed)
    return st


def _filter_options(func):
    """--type/--district/--policy/--article, shared by `kg analyze` and `kg export`."""
    for name, dest, what in (
        ("article", "articles", "article (IRI, id or file name)"),
        ("policy", "policies", "policy (IRI, slug or label) and what implements it"),
        ("district", "districts", "district (IRI, slug or label) and what lies in it"),
        ("type", "types", "node type, e.g. School"),
    ):
        func = click.option(f"--{name}", dest, multiple=True, help=f"Keep only this {what}; repeatable.")(func)
    return func


@main.command()
@store_option
@click.option("--format", "fmt", default="table", show_default=True, type=click.Choice(["table", "json", "markdown"]))
@click.option("--seed", default=0, show_default=True, help="Seed of the community detection.")
@click.option("--no-write", is_flag=True, help="Do not rebuild the analysis graph in the store.")
@_filter_options
def analyze(store: str | None, fmt: str, seed: int, no_write: bool, **filters: tuple[str, ...]) -> None:
    """Group and school network report; also rebuilds the analysis graph of the store."""
    from . import analysis

    st = _analysis_store(store, write=not no_write, seed=seed)
    sections = analysis.report(st, analysis.Filters(**filters), seed=seed)
    click.echo(analysis.render_report(sections, fmt), nl=False)


@main.command()
@store_option
@click.option("--format", "fmt", required=True, type=click.Choice(
    ["graphml", "gexf", "cytoscape", "d3", "dot", "csv", "csv-nodes", "csv-edges", "png", "svg"]))
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None, help="File to write (default stdout).")
@click.option("--seed", default=0, show_default=True, help="Seed of the layout and community detection.")
@_filter_options
def export(store: str | None, fmt: str, output: Path | None, seed: int, **filters: tuple[str, ...]) -> None:
    """Export the entity graph (or a filtered subgraph) for Gephi, yEd, Cytoscape, D3, Graphviz."""
    from .analysis import Filters, load_graph
    from .export import export as run_export

    G = load_graph(_analysis_store(store, write=False), Filters(**filters))
    run_export(G, fmt, output if output else sys.stdout.buffer, seed=seed)
    if output:
        click.echo(f"wrote {output} ({G.number_of_nodes()} nodes, {G.number_of_edges()} edges)", err=True)


@main.command("eval")
@store_option
@click.option("--gold", "gold", required=True, help="Folder of gold JSON files.",
              type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True)
def eval_cmd(store: str | None, gold: Path, fmt: str) -> None:
    """Precision / recall / F1 of the built store against gold annotations."""
    import json

    from .evaluate import evaluate, format_report

    settings = _settings(store=store)
    result = evaluate(_reading_store(settings.store), gold)
    click.echo(json.dumps(result, indent=2, ensure_ascii=False) if fmt == "json" else format_report(result))


def _is_url(store: str) -> bool:
    return store.startswith(("http://", "https://"))


def _reading_store(store: str):
    """The store to read: the embedded one, or an in-memory mirror of an http(s):// store."""
    from . import store as kgstore

    if _is_url(store):
        from . import remote

        return remote.mirror(remote.RemoteStore(store))
    return kgstore.open_store(_existing(store))


def _existing(store: str) -> str:
    if "://" not in store and not Path(store).exists():
        raise click.ClickException(f"no store at {store}: run `kg build` first (or pass --store)")
    return store


if __name__ == "__main__":  # pragma: no cover
    main()
