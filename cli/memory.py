"""``lamp memory ...``: inspect and edit what lamp remembers.

Commands only parse, call ``lamp.memory``, and render: plain lines (no ANSI) for
people and pipes, one JSON object with ``--json``; diagnostics go to stderr.
chromadb is imported only when a command actually opens the store.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator
from dataclasses import asdict
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lamp.agent.app.memory import MemoryLocation, open_store
from lamp.memory.errors import MemoryStoreError

from . import errors
from .render import print_json

if TYPE_CHECKING:
    from lamp.memory import MemoryStore

__all__ = ["MemoryLocation", "app", "memory_location", "open_store"]

app = typer.Typer(
    help="Inspect and edit lamp's memory: sessions, remembered facts, ingested documents.",
    no_args_is_help=True,
)


def memory_location(url: str | None = None) -> MemoryLocation:
    """The store ``--memory-url`` names, else the ``memory_url`` setting (``LAMP_MEMORY_URL``
    or the config file), else ``<data dir>/memory``."""
    from lamp.agent.config import paths
    from lamp.agent.config.settings import load_settings

    return MemoryLocation.resolve(url, setting=load_settings().memory_url,
                                  data_dir=paths.data_dir())


@contextlib.contextmanager
def _store(ctx: typer.Context) -> Iterator[MemoryStore]:
    """Open the store for one command; memory errors become one stderr line + exit code."""
    store = None
    try:
        store = open_store(memory_location(ctx.obj))
        yield store
    except MemoryStoreError as exc:
        errors.error_line(str(exc))
        raise typer.Exit(errors.exit_code_for(exc)) from None
    finally:
        if store is not None:
            store.close()


def _emit(as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
    if as_json:
        print_json(payload)
    else:
        for line in lines:
            typer.echo(line)


def _preview(text: str, width: int = 70) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= width else flat[: width - 1] + "…"


JsonOpt = Annotated[bool, typer.Option("--json", help="Print one JSON object.")]


@app.callback()
def _group(
    ctx: typer.Context,
    memory_url: Annotated[
        str | None,
        typer.Option("--memory-url", envvar="LAMP_MEMORY_URL", help="Chroma server URL."),
    ] = None,
) -> None:
    ctx.obj = memory_url


@app.command("list")
def list_(
    ctx: typer.Context,
    session: Annotated[
        str | None, typer.Option("--session", help="List this session's turns.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List sessions and facts, or the turns of one session (with ids for ``forget``)."""
    with _store(ctx) as store:
        if session is not None:
            turns = store.history(session)
            if not turns and store.get_session(session) is None:
                raise errors.usage_exit(f"unknown session {session!r}")
            _emit(
                as_json,
                {"session": session, "turns": [asdict(t) | {"id": t.id} for t in turns]},
                [f"{t.id}  {_preview(t.text)}" for t in turns],
            )
            return
        sessions, facts = store.sessions(), store.facts()
    lines = [f"session {s.name}  turns={s.turns}" for s in sessions]
    lines += [f"{f.id}  {_preview(f.text)}" for f in facts]
    _emit(
        as_json,
        {"sessions": [asdict(s) for s in sessions], "facts": [asdict(f) for f in facts]},
        lines or ["memory is empty"],
    )


@app.command()
def search(
    ctx: typer.Context,
    query: Annotated[str, typer.Argument(help="What to look for.")],
    k: Annotated[int, typer.Option("-k", min=1, max=100, help="How many results.")] = 5,
    session: Annotated[
        str | None, typer.Option("--session", help="Only this session's turns.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Semantic search over turns, facts and documents."""
    with _store(ctx) as store:
        hits = store.search(query, k=k, session=session)
    _emit(
        as_json,
        {"query": query, "hits": [asdict(h) for h in hits]},
        [f"{h.distance:.3f}  {h.id}  {_preview(h.text)}" for h in hits] or ["no matches"],
    )


@app.command()
def show(
    ctx: typer.Context,
    session: Annotated[str, typer.Argument(help="Session name.")],
    as_json: JsonOpt = False,
) -> None:
    """Print a whole session, turn by turn."""
    with _store(ctx) as store:
        info = store.get_session(session)
        turns = store.history(session)
    if info is None and not turns:
        raise errors.usage_exit(f"unknown session {session!r}")
    _emit(
        as_json,
        {
            "session": asdict(info) if info else {"name": session},
            "turns": [asdict(t) | {"id": t.id} for t in turns],
        },
        [f"[{t.n}] {t.role}: {t.text}" for t in turns],
    )


@app.command()
def remember(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="The fact to remember in every session.")],
    session: Annotated[str, typer.Option("--session", help="Where it was said.")] = "",
    as_json: JsonOpt = False,
) -> None:
    """Remember a fact across sessions."""
    with _store(ctx) as store:
        fact = store.remember(text, session=session)
    _emit(as_json, asdict(fact), [fact.id])


@app.command()
def forget(
    ctx: typer.Context,
    item_id: Annotated[
        str | None, typer.Argument(metavar="ID", help="Turn, fact or doc id.")
    ] = None,
    session: Annotated[
        str | None, typer.Option("--session", help="Forget a whole session.")
    ] = None,
    file: Annotated[str | None, typer.Option(
        "--file", help="Forget an ingested file (in --collection only, if given).",
        show_default=False)] = None,
    collection: Annotated[str | None, typer.Option(
        "--collection", help="Forget a whole document collection.", show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """Forget one item by id, a whole session, an ingested file or a document collection."""
    chosen = [x for x in (item_id, session, file if file is not None else collection)
              if x is not None]
    if len(chosen) != 1:
        raise errors.usage_exit("give one of ID, --session, --file or --collection")
    with _store(ctx) as store:
        if file is not None or collection is not None:
            if file is not None:
                n = store.documents.forget_file(file, collection)
            else:
                assert collection is not None
                n = store.documents.forget_collection(collection)
            what = file if file is not None else f"collection {collection}"
            _emit(as_json, {"forgotten": what, "chunks_removed": n},
                  [f"forgot {what} ({n} chunks)"])
            return
        if session is not None:
            n = store.forget_session(session)
            _emit(
                as_json,
                {"session": session, "turns_removed": n},
                [f"forgot session {session} ({n} turns)"],
            )
            return
        assert item_id is not None
        store.forget(item_id)
    _emit(as_json, {"forgotten": item_id}, [f"forgot {item_id}"])


@app.command()
def clear(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete everything lamp remembers (asks first on a terminal)."""
    if not yes:
        if not sys.stdin.isatty():
            raise errors.usage_exit("refusing to clear memory without --yes (not a terminal)")
        typer.confirm(f"Delete all memory at {memory_location(ctx.obj)}?", abort=True)
    with _store(ctx) as store:
        removed = store.clear()
    _emit(
        as_json,
        {"removed": removed},
        [f"removed {', '.join(f'{v} {k}' for k, v in removed.items())}"],
    )


CollectionOpt = Annotated[str | None, typer.Option(
    "--collection", help="Document collection (default: 'default').", show_default=False)]


@app.command()
def ingest(
    ctx: typer.Context,
    files: Annotated[list[str], typer.Argument(
        help="Files, globs or directories: text, Markdown, code, HTML, PDF.")],
    collection: CollectionOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Chunk documents into a collection for `lamp ask --docs`; unchanged files are skipped,
    changed ones replaced."""
    from lamp.memory.documents import DEFAULT_COLLECTION, check_collection_name
    from lamp.memory.extract import expand_paths

    try:  # a bad name or path fails before the store opens
        name = check_collection_name(collection or DEFAULT_COLLECTION)
        paths = expand_paths(files)
    except MemoryStoreError as exc:
        errors.error_line(str(exc))
        raise typer.Exit(errors.exit_code_for(exc)) from None
    results: list[dict[str, Any]] = []
    with _store(ctx) as store, _progress() as advance:
        for path in paths:
            done = store.documents.ingest(
                path, collection=name,
                progress=lambda d, total, p=path: advance(p.name, d, total))
            results.append({"path": str(path), "collection": name, "chunks": done.chunks,
                            "status": done.status})
    _emit(
        as_json,
        {"files": results, "chunks": sum(r["chunks"] for r in results)},
        [f"{r['path']}: {r['chunks']} chunks ({r['status']})" for r in results],
    )


@app.command()
def docs(
    ctx: typer.Context,
    collection: Annotated[str | None, typer.Argument(
        help="List this collection's files (default: every collection).",
        show_default=False)] = None,
    as_json: JsonOpt = False,
) -> None:
    """List document collections and their files."""
    with _store(ctx) as store:
        files = store.documents.files(collection)
    if collection is not None and not files:
        raise errors.usage_exit(f"unknown document collection {collection!r}")
    lines = [f"{f.collection}  {f.source}  {f.chunks} chunks" for f in files]
    _emit(as_json, {"files": [asdict(f) for f in files]},
          lines or ["no documents ingested"])


@contextlib.contextmanager
def _progress() -> Iterator[Any]:
    """A Rich progress bar on a terminal (stderr); nothing at all on a pipe."""
    if not sys.stderr.isatty():
        yield lambda name, done, total: None
        return
    from rich.console import Console
    from rich.progress import Progress

    with Progress(console=Console(stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"ingest {name}", total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield advance
