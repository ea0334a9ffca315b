"""``lamp memory ...``: inspect and edit what lamp remembers.

Commands only parse, call ``lamp.memory``, and render: plain lines (no ANSI) for
people and pipes, one JSON object with ``--json``; diagnostics go to stderr.
chromadb is imported only when a command actually opens the store.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lamp.agent.app.memory import MemoryLocation, open_store
from lamp.memory.errors import MemoryStoreError

from . import errors
from .common import caller_of, echo, read_line
from .render import print_json

if TYPE_CHECKING:
    from lamp.agent.app.output import Caller, Output
    from lamp.memory import MemoryStore

__all__ = ["MemoryLocation", "app", "memory_location", "open_store"]

app = typer.Typer(
    help="Inspect and edit lamp's memory: sessions, remembered facts, ingested documents.",
    no_args_is_help=True,
)


def memory_location(url: str | None = None,
                    env: Mapping[str, str] | None = None) -> MemoryLocation:
    """The store ``--memory-url`` names, else the ``memory_url`` setting (``LAMP_MEMORY_URL``
    or the config file), else ``<data dir>/memory``; ``env``: the caller's environment
    (None: this process's)."""
    from lamp.agent.config.paths import Paths
    from lamp.agent.config.settings import load_settings

    return MemoryLocation.resolve(url, setting=load_settings(env=env).memory_url,
                                  data_dir=(Paths() if env is None else Paths(env)).data_dir())


# Where the group keeps --memory-url for its commands. Click's ``ctx.obj`` is not free:
# it carries execute()'s Invocation (the Caller), which ``caller_of`` looks up.
_URL_KEY = "lamp.memory.url"


@dataclass(frozen=True)
class _Command:
    """One memory command: who it runs for and the ``--memory-url`` its group was given."""

    caller: Caller
    url: str | None

    @classmethod
    def of(cls, ctx: typer.Context) -> _Command:
        return cls(caller_of(ctx), ctx.meta.get(_URL_KEY))

    @property
    def output(self) -> Output:
        return self.caller.output

    def location(self) -> MemoryLocation:
        return memory_location(self.url, self.caller.env)

    def fail(self, exc: MemoryStoreError) -> typer.Exit:
        """Say a memory error on the caller's stderr; the Exit to raise."""
        errors.error_line(str(exc), self.output.stderr)
        return typer.Exit(errors.exit_code_for(exc))

    def usage(self, message: str) -> typer.Exit:
        return errors.usage_exit(message, self.output.stderr)

    def emit(self, as_json: bool, payload: dict[str, Any], lines: list[str]) -> None:
        if as_json:
            print_json(payload, self.output.stdout)
        else:
            echo(self.output, *lines)


@contextlib.contextmanager
def _store(command: _Command) -> Iterator[MemoryStore]:
    """Open the store for one command; memory errors become one stderr line + exit code."""
    store = None
    try:
        store = open_store(command.location())
        yield store
    except MemoryStoreError as exc:
        raise command.fail(exc) from None
    finally:
        if store is not None:
            store.close()


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
    ctx.meta[_URL_KEY] = memory_url


@app.command("list")
def list_(
    ctx: typer.Context,
    session: Annotated[
        str | None, typer.Option("--session", help="List this session's turns.")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """List sessions and facts, or the turns of one session (with ids for ``forget``)."""
    command = _Command.of(ctx)
    with _store(command) as store:
        if session is not None:
            turns = store.history(session)
            if not turns and store.get_session(session) is None:
                raise command.usage(f"unknown session {session!r}")
            command.emit(
                as_json,
                {"session": session, "turns": [asdict(t) | {"id": t.id} for t in turns]},
                [f"{t.id}  {_preview(t.text)}" for t in turns],
            )
            return
        sessions, facts = store.sessions(), store.facts()
    lines = [f"session {s.name}  turns={s.turns}" for s in sessions]
    lines += [f"{f.id}  {_preview(f.text)}" for f in facts]
    command.emit(
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
    command = _Command.of(ctx)
    with _store(command) as store:
        hits = store.search(query, k=k, session=session)
    command.emit(
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
    command = _Command.of(ctx)
    with _store(command) as store:
        info = store.get_session(session)
        turns = store.history(session)
    if info is None and not turns:
        raise command.usage(f"unknown session {session!r}")
    command.emit(
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
    command = _Command.of(ctx)
    with _store(command) as store:
        fact = store.remember(text, session=session)
    command.emit(as_json, asdict(fact), [fact.id])


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
    command = _Command.of(ctx)
    chosen = [x for x in (item_id, session, file if file is not None else collection)
              if x is not None]
    if len(chosen) != 1:
        raise command.usage("give one of ID, --session, --file or --collection")
    with _store(command) as store:
        if file is not None or collection is not None:
            if file is not None:
                n = store.documents.forget_file(file, collection)
            else:
                assert collection is not None
                n = store.documents.forget_collection(collection)
            what = file if file is not None else f"collection {collection}"
            command.emit(as_json, {"forgotten": what, "chunks_removed": n},
                  [f"forgot {what} ({n} chunks)"])
            return
        if session is not None:
            n = store.forget_session(session)
            command.emit(
                as_json,
                {"session": session, "turns_removed": n},
                [f"forgot session {session} ({n} turns)"],
            )
            return
        assert item_id is not None
        store.forget(item_id)
    command.emit(as_json, {"forgotten": item_id}, [f"forgot {item_id}"])


@app.command()
def clear(
    ctx: typer.Context,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Delete everything lamp remembers (asks first on a terminal)."""
    command = _Command.of(ctx)
    if not yes:
        if not command.output.stdin_terminal:
            raise command.usage("refusing to clear memory without --yes (not a terminal)")
        if not _confirm(command.output, f"Delete all memory at {command.location()}?"):
            raise typer.Abort()
    with _store(command) as store:
        removed = store.clear()
    command.emit(
        as_json,
        {"removed": removed},
        [f"removed {', '.join(f'{v} {k}' for k, v in removed.items())}"],
    )


def _confirm(output: Output, question: str) -> bool:
    """Yes or no at the caller's terminal, as ``typer.confirm`` asks (default no; the prompt
    on stderr, as ``input()`` writes it at a terminal); EOF or Ctrl-C abort."""
    while True:
        try:
            answer = read_line(output, f"{question} [y/N]: ", prompt_on=output.stderr)
        except EOFError:
            raise typer.Abort() from None
        answer = answer.strip().lower()
        if answer in ("y", "yes", "n", "no", ""):
            return answer in ("y", "yes")
        echo(output, "Error: invalid input")


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
    command = _Command.of(ctx)
    from lamp.memory.documents import DEFAULT_COLLECTION, check_collection_name
    from lamp.memory.extract import expand_paths

    try:  # a bad name or path fails before the store opens
        name = check_collection_name(collection or DEFAULT_COLLECTION)
        paths = expand_paths(files)
    except MemoryStoreError as exc:
        raise command.fail(exc) from None
    results: list[dict[str, Any]] = []
    with _store(command) as store, _progress(command.output) as advance:
        for path in paths:
            done = store.documents.ingest(
                path, collection=name,
                progress=lambda d, total, p=path: advance(p.name, d, total))
            results.append({"path": str(path), "collection": name, "chunks": done.chunks,
                            "status": done.status})
    command.emit(
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
    command = _Command.of(ctx)
    with _store(command) as store:
        files = store.documents.files(collection)
    if collection is not None and not files:
        raise command.usage(f"unknown document collection {collection!r}")
    lines = [f"{f.collection}  {f.source}  {f.chunks} chunks" for f in files]
    command.emit(as_json, {"files": [asdict(f) for f in files]},
          lines or ["no documents ingested"])


@contextlib.contextmanager
def _progress(output: Output) -> Iterator[Any]:
    """A Rich progress bar on the caller's terminal (stderr); nothing at all on a pipe."""
    if not output.stderr_terminal:
        yield lambda name, done, total: None
        return
    from rich.progress import Progress

    from .render.terminal import console_for

    with Progress(console=console_for(output, stderr=True), transient=True) as bar:
        tasks: dict[str, Any] = {}

        def advance(name: str, done: int, total: int) -> None:
            if name not in tasks:
                tasks[name] = bar.add_task(f"ingest {name}", total=total)
            bar.update(tasks[name], completed=done, total=total)

        yield advance
