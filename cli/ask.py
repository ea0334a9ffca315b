"""`lamp ask`: one question in, one streamed answer out (stdin in, stdout out)."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Annotated

import typer

from . import options
from .common import with_model_options
from .memory_session import Continue, MemoryChoice, MemoryUrl, NoMemory, SessionName
from .runtime import Runtime

if TYPE_CHECKING:
    from lamp.agent.grounded.answer import Source

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
    from lamp.agent.app.prepare import prepare_ask
    from lamp.agent.config import paths
    from lamp.agent.errors import InputError
    from lamp.agent.templates import find_template

    from .attach import read_attachments
    from .each_run import EachFlags, run_each
    from .inputs import read_user_input
    from .render import renderer_for, warn
    from .schema_run import output_schema, print_document

    settings = rt.settings
    rt.sandbox_flag = sandbox_policy
    if (docs or files) and (tools is not None or schema or schema_multi or each):
        raise InputError("--docs and --file cannot be combined with --tools, --schema or --each")
    if collection is not None and not docs:
        raise InputError("--collection goes with --docs")
    attachments = read_attachments(files) if files else []  # bad files: exit 2, before loading
    output = output_schema(schema, schema_multi, jsonl=jsonl, json_out=json_out, tools=tools)
    tmpl = find_template(template, paths.config_dir() / "templates") if template else None
    many = EachFlags(each=each, field=field, parallel=parallel)
    if many.given:
        many.check(tools=tools, session=session, continue_last=continue_last, jsonl=jsonl,
                   backend=settings.backend)
        run_each(rt, many, prompt=prompt, template=tmpl, output=output, json_out=json_out,
                 quiet=quiet, truncate=truncate)
        return
    given = read_user_input(prompt)
    for message in given.warnings:
        warn(message)
    request = None
    if tools is not None:
        from lamp.agent.react.answer import ToolsRequest

        from .agent_run import start_servers, step_format, tool_routing

        request = ToolsRequest(tools=tools, allow=tuple(allow or ()), max_steps=max_steps,
                               tool_format=step_format(tool_format, settings),
                               route=tool_routing(route, settings),
                               system=settings.system if "system" in rt.chosen else "")
        request.check(mcp_servers=settings.mcp_servers)
        start_servers(rt, request, show=not (json_out or quiet))
    started = time.perf_counter()
    rt.open_memory(MemoryChoice(session=session, continue_last=continue_last,
                                disabled=no_memory, url=memory_url,
                                needs_store=tools is not None or docs))  # behind the model load
    model_backend = rt.model(quiet=quiet or json_out)
    question = given.prompt
    if attachments:
        from .attach import attach_budget, attached_material

        budget = attach_budget(model_backend, settings.system,
                               f"{given.prompt}\n{given.material or ''}", settings.max_tokens,
                               reserve=model_backend.context_size // 4 if docs else 128)
        attached = attached_material(attachments, given.prompt or (given.material or ""),
                                     budget, model_backend)
        for message in attached.notices:
            warn(message)
        question = f"{attached.text}\n\n{given.prompt}".strip()
    prepared = prepare_ask(
        model_backend,
        rt.sampling(),
        prompt=question,
        material=given.material,
        system=settings.system,
        template=tmpl,
        system_from_user="system" in rt.chosen,
        temperature_from_user="temperature" in rt.chosen,
        truncate=truncate,
        output=output,
    )
    link = rt.attach_memory(prepared.conversation, load_history=tools is None)
    if request is not None:
        from .agent_run import run_tools

        run_tools(rt, model_backend, prepared.user_text, request,
                  prepared.conversation.sampling, approve=approve,
                  sandbox_policy=sandbox_policy, json_out=json_out, quiet=quiet,
                  started=started)
        return
    sources: list[Source] = []
    if docs:
        from .docs_run import docs_events

        events, sources = docs_events(prepared.conversation, link, question=given.prompt
                                      or prepared.user_text, user_text=prepared.user_text,
                                      memory_url=memory_url, collection=collection,
                                      k=n_sources)
    elif output is not None:
        from lamp.agent.structured.output import send_for_schema

        events = send_for_schema(prepared.conversation, prepared.user_text, output)
    else:
        events = prepared.conversation.send(prepared.user_text)
    if not json_out and output is None:
        shown = renderer_for(quiet=quiet, verbose=rt.verbose, said=rt.said).render(events)
        if docs:
            from lamp.agent.grounded.answer import check_citations

            from .docs_run import show_sources

            show_sources(sources, check_citations(shown.answer, len(sources)) if sources
                         else [], quiet=quiet)
        return
    # --json, or a schema: nothing on stdout until the whole answer is in (and valid).
    renderer = renderer_for(json_out=True, quiet=quiet and not json_out, verbose=rt.verbose,
                            said=rt.said)
    result = renderer.render(events)
    usage = result.usage
    answer: object = result.answer
    if output is not None:
        answer = output.validate(result.answer, finish_reason=usage.finish_reason if usage
                                 else "", max_tokens=prepared.conversation.sampling.max_tokens)
        if not json_out:
            print_document(answer, jsonl=jsonl)
            return
    renderer.emit({
        "answer": answer,
        "model": model_backend.describe(),
        "session": link.session if link else None,
        "template": tmpl.name if tmpl else None,
        "sampling": prepared.conversation.sampling.as_dict(),
        "usage": {
            "prompt_tokens": usage.prompt_tokens if usage else 0,
            "completion_tokens": usage.completion_tokens if usage else 0,
            "finish_reason": usage.finish_reason if usage else "",
        },
        "timings": {
            "load_s": round(model_backend.load_seconds, 4),
            "first_token_s": round(usage.seconds_to_first_token, 4) if usage else None,
            "generation_s": round(usage.seconds_total, 4) if usage else None,
            "tokens_per_s": round(usage.tokens_per_second, 2) if usage else None,
            "total_s": round(time.perf_counter() - started, 4),
        },
        "warnings": list(given.warnings) + result.notices,
        **(_grounding(sources, result.answer) if docs else {}),
    })


def _grounding(sources: list[Source], answer: str) -> dict[str, object]:
    """``--json`` fields of a ``--docs`` answer: every source given, and which were cited."""
    from lamp.agent.grounded.answer import check_citations

    cited = check_citations(answer, len(sources)) if sources else []
    return {"sources": [s.to_dict() | {"cited": s.n in cited} for s in sources],
            "citations": cited}
