"""`lamp ask`: one question in, one streamed answer out (stdin in, stdout out).

Flags become one request (lamp.agent.app.requests), the application layer
answers it (``answer``), a renderer shows the run on the Output, and its error,
if any, becomes the exit code. Nothing here knows how a mode works.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any

import typer

from . import options
from .common import with_model_options
from .options import Continue, MemoryUrl, NoMemory, SessionName

if TYPE_CHECKING:
    from lamp.agent.app.requests import AskRequest, Given, ToolsRequest
    from lamp.agent.app.runtime import Runtime
    from lamp.agent.grounded.attachments import Attachment
    from lamp.agent.structured.output import OutputSchema
    from lamp.agent.templates import PromptTemplate

__all__ = ["ask"]


@with_model_options
def ask(
    prompt: Annotated[str | None, typer.Argument(
        help="The question or instruction. Piped stdin becomes the material it talks about.",
        show_default=False)] = None,
    template: Annotated[str | None, typer.Option(
        "--template", "-t", help="Prompt template (see `lamp templates list`).",
        show_default=False)] = None,
    json_out: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="Only the answer.")] = False,
    truncate: Annotated[bool, typer.Option(
        "--truncate", help="Cut input that does not fit the context (announced) instead of "
        "failing.")] = False,
    session: SessionName = None,
    continue_last: Continue = False,
    no_memory: NoMemory = False,
    memory_url: MemoryUrl = None,
    tools: Annotated[str | None, typer.Option(
        "--tools", help="Answer with the ReAct agent using these tools: a comma-separated list "
        "or 'default' (see `lamp tools list`).", rich_help_panel="Tools",
        show_default=False)] = None,
    allow: Annotated[list[str] | None, typer.Option(
        "--allow", help="Enable a tool that is off by default (shell); repeatable.",
        rich_help_panel="Tools", show_default=False)] = None,
    approve: Annotated[options.Approval, typer.Option(
        "--approve", help="ask: tools that change things ask on the terminal (refused with "
        "no terminal); all: approve every call lamp does not flag (a risky command or a file "
        "that may hold secrets still asks, and is refused with no terminal).",
        rich_help_panel="Tools")] = "ask",
    max_steps: Annotated[int, typer.Option(
        "--max-steps", min=1, help="Most agent steps (exit 3 when reached).",
        rich_help_panel="Tools")] = 6,
    tool_format: Annotated[options.ToolFormatChoice, typer.Option(
        "--tool-format", help="How steps are written: native (the model's own <tool_call> "
        "format), react (Thought/Action), or auto (the one measured best for the model's "
        "preset; native for other models).", rich_help_panel="Tools")] = "auto",
    route: Annotated[options.RouteChoice, typer.Option(
        "--route", help="Ask the model first whether the question needs a tool at all, and "
        "answer it directly when not: on, off, or auto (the choice measured best for the "
        "model's preset; on for other models).", rich_help_panel="Tools")] = "auto",
    sandbox_policy: options.SandboxFlag = None,
    schema: Annotated[str | None, typer.Option(
        "--schema", help="Answer with one JSON document valid against this schema: inline "
        "JSON Schema, a .json file, or fields like 'name, age int, tags list[str]'.",
        rich_help_panel="Structured output", show_default=False)] = None,
    schema_multi: Annotated[str | None, typer.Option(
        "--schema-multi", help="Like --schema, for every match in the input: a JSON array "
        "of such documents.", rich_help_panel="Structured output", show_default=False)] = None,
    jsonl: Annotated[bool, typer.Option(
        "--jsonl", help="With --schema-multi: one JSON document per line instead of an array.",
        rich_help_panel="Structured output")] = False,
    each: Annotated[bool, typer.Option(
        "--each", help="Answer every stdin line on its own (one model load): one output line "
        "per input line, in order.", rich_help_panel="Many inputs")] = False,
    field: Annotated[str | None, typer.Option(
        "--field", help="With --each: stdin is JSON lines; the input is this field.",
        rich_help_panel="Many inputs", show_default=False)] = None,
    parallel: Annotated[int | None, typer.Option(
        "--parallel", min=1, help="With --each and --backend openai: requests in flight at "
        "once.", rich_help_panel="Many inputs", show_default=False)] = None,
    files: Annotated[list[str] | None, typer.Option(
        "--file", "-f", help="Attach a file (text, Markdown, code, HTML, PDF), a glob or a "
        "directory; repeatable. Whole if it fits, else its parts most relevant to the question.",
        rich_help_panel="Documents", show_default=False)] = None,
    docs: Annotated[bool, typer.Option(
        "--docs", help="Answer from ingested documents (`lamp memory ingest`), citing them as "
        "[n]; the sources are listed after the answer.", rich_help_panel="Documents")] = False,
    collection: Annotated[str | None, typer.Option(
        "--collection", help="With --docs: only this document collection (default: all).",
        rich_help_panel="Documents", show_default=False)] = None,
    n_sources: Annotated[int, typer.Option(
        "--sources", min=1, max=20, help="With --docs: most sources retrieved (as many as fit "
        "the context are given).", rich_help_panel="Documents")] = 5,
    *,
    rt: Runtime,
) -> None:
    """Ask one question and stream the answer (stdin in, stdout out)."""
    from lamp.agent.errors import InputError

    from .each_run import EachFlags, run_each
    from .inputs import read_given
    from .schema_run import output_schema
    from .show import show_answer

    rt.sandbox_flag = sandbox_policy
    rt.quiet = quiet or json_out
    if (docs or files) and (tools is not None or schema or schema_multi or each):
        raise InputError("--docs and --file cannot be combined with --tools, --schema or --each")
    if collection is not None and not docs:
        raise InputError("--collection goes with --docs")
    attachments = _attachments(rt, files)  # bad files: exit 2, before loading
    output = output_schema(schema, schema_multi, jsonl=jsonl, json_out=json_out, tools=tools,
                           cwd=rt.caller.cwd)
    tmpl = _template(rt, template)
    many = EachFlags(each=each, field=field, parallel=parallel)
    if many.given:
        many.check(tools=tools, session=session, continue_last=continue_last, jsonl=jsonl,
                   backend=rt.settings.backend)
        run_each(rt, many, prompt=prompt, template=tmpl, output=output, json_out=json_out,
                 quiet=quiet, truncate=truncate)
        return
    from lamp.agent.app.memory import MemoryChoice
    from lamp.agent.app.run import answer

    memory = MemoryChoice(session=session, continue_last=continue_last, disabled=no_memory,
                          url=memory_url)
    request: AskRequest | ToolsRequest
    if tools is not None:
        request = _tools_request(rt, read_given(rt, prompt), tools, allow=allow,
                                 max_steps=max_steps, tool_format=tool_format, route=route,
                                 approve=approve, template=tmpl, truncate=truncate,
                                 memory=memory)
    else:
        request = _ask_request(rt, prompt, template=tmpl, truncate=truncate,
                               attachments=attachments, memory=memory, docs=docs,
                               collection=collection, n_sources=n_sources, schema=output)
    show_answer(answer(request, rt), rt, json_out=json_out, quiet=quiet, jsonl=jsonl)


def _attachments(rt: Runtime, files: list[str] | None) -> tuple[Attachment, ...]:
    """The attached files, read now: a bad path exits 2 before the model loads."""
    if not files:
        return ()
    from lamp.agent.grounded.attachments import read_attachments

    return tuple(read_attachments(files, shown=rt.caller.shown, cwd=rt.caller.cwd))


def _template(rt: Runtime, name: str | None) -> PromptTemplate | None:
    if not name:
        return None
    from lamp.agent.templates import find_template

    return find_template(name, rt.paths.config_dir() / "templates")


def _ask_request(rt: Runtime, prompt: str | None, *, docs: bool, collection: str | None,
                 n_sources: int, schema: OutputSchema | None, **common: Any) -> AskRequest:
    from lamp.agent.app.requests import AskRequest, DocsRequest, SchemaRequest

    from .inputs import read_given

    given = read_given(rt, prompt)
    if docs:
        return DocsRequest(given, collection=collection, sources=n_sources, **common)
    if schema is not None:
        return SchemaRequest(given, schema=schema, **common)
    return AskRequest(given, **common)


def _tools_request(rt: Runtime, given: Given, tools: str, *, allow: list[str] | None,
                   max_steps: int, tool_format: str, route: str, approve: str,
                   **common: Any) -> ToolsRequest:
    from lamp.agent.app.requests import ToolsRequest
    from lamp.agent.app.tools import step_format, tool_routing
    from lamp.agent.react.answer import ToolOptions

    from .approval import make_approver

    settings = rt.settings
    chosen = ToolOptions(tools=tools, allow=tuple(allow or ()), max_steps=max_steps,
                         tool_format=step_format(tool_format, settings),
                         route=tool_routing(route, settings),
                         system=settings.system if "system" in rt.chosen else "")
    return ToolsRequest(given, tools=chosen, approve=make_approver(approve, rt.output),
                        **common)

