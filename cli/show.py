"""Showing one answered run: the renderer its flags ask for, then its end.

Every command that answers ends the same way: the events shown as they come
(Markdown on a terminal, plain text in a pipe, nothing until the end with
``--json``), then what the run's result still needs (lamp's one JSON object,
a schema's document, a grounded answer's sources, a tool or PAL answer that
was not streamed), and last the run's own error, raised for the exit code.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lamp.agent.visible_text import visible

from .render import JsonRenderer, PlainRenderer, Renderer, renderer_for, result_json

if TYPE_CHECKING:
    from collections.abc import Sequence

    from lamp.agent.app.output import Caller, Output
    from lamp.agent.app.result import Run, RunResult
    from lamp.agent.app.runtime import Runtime
    from lamp.agent.grounded.answer import Source

__all__ = ["show_answer", "show_pal", "show_sources"]


def show_answer(run: Run, rt: Runtime, *, json_out: bool, quiet: bool,
                jsonl: bool = False) -> RunResult:
    """``lamp ask`` in all its modes."""
    result = run.result
    tools = "tools" in result.details
    document = not json_out and result.structured
    if json_out or document:
        # --json, or a schema: nothing on stdout until the whole answer is in (and valid).
        renderer: Renderer = JsonRenderer(rt.output, quiet=quiet and not json_out,
                                          verbose=rt.verbose, said=rt.said)
    else:
        renderer = renderer_for(rt.output, quiet=quiet, verbose=rt.verbose,
                                stream=not tools, said=rt.said)
    renderer.render(run)
    if json_out:
        renderer.emit(result_json(result))
    elif document:
        from .schema_run import print_document

        print_document(result.answer, rt.output, jsonl=jsonl)
    elif result.stopped is not None:
        renderer.partial(str(result.answer))
    elif tools:
        renderer.finish(str(result.answer))
    elif result.grounded:
        show_sources(result.sources, result.citations, rt.caller, quiet=quiet)
    if result.error is not None:
        raise result.error
    return result


def show_pal(run: Run, rt: Runtime, *, json_out: bool, show_code: bool) -> RunResult:
    """``lamp pal``: plain text even on a terminal (the answer is a value, or one sentence
    around it); with ``show_code`` the programs on stderr."""
    renderer: Renderer = (JsonRenderer(rt.output, verbose=rt.verbose, said=rt.said)
                          if json_out else
                          PlainRenderer(rt.output, verbose=rt.verbose, stream=False,
                                        show_code=show_code, said=rt.said))
    result = renderer.render(run)
    if json_out:
        renderer.emit(result_json(result))
    if result.error is not None:
        raise result.error
    renderer.finish(str(result.answer))
    return result


def _first_words(text: str, width: int = 60) -> str:
    """The start of a source's text for the listing; a document's escape sequences and
    bidi controls are shown as escapes, never sent to the terminal."""
    flat = " ".join(text.split())
    return visible(flat if len(flat) <= width else flat[: width - 1] + "…")


def show_sources(sources: Sequence[Source], cited: Sequence[int], caller: Caller, *,
                 quiet: bool) -> None:
    """List the sources after the answer, cited ones marked ``*``: on stdout on a terminal,
    on stderr in a pipe (stdout stays the answer alone)."""
    if quiet or not sources:
        return
    output: Output = caller.output
    terminal = output.stdout_terminal
    out = output.stdout if terminal else output.stderr
    lines = ["", "Sources:"] if terminal else ["lamp: sources:"]
    for s in sources:
        mark = "*" if s.n in cited else " "
        lines.append(f" {mark}[{s.n}] {visible(caller.shown(s.path))}{s.part()}: "
                     f"\"{_first_words(s.text)}\"")
    out.write("\n".join(lines) + "\n")
    out.flush()
