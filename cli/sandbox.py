"""``lamp sandbox``: see which isolation layers this machine has, and run a file in the sandbox.

Commands only parse options, call ``lamp.agent.sandbox`` and print; errors are
``LampError`` subclasses that lamp's main module turns into one stderr line and
an exit code.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..agent.errors import InputError
from . import options
from .common import caller_of, echo
from .render import print_json

if TYPE_CHECKING:  # the sandbox loads only for `lamp sandbox` itself
    from ..agent.app.output import Output
    from ..agent.sandbox import Isolation, Policy, SandboxReport, SandboxResult

__all__ = ["app"]

app = typer.Typer(
    help="Run Python in lamp's sandbox; show which isolation layers this machine has.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command()
def info(
    ctx: typer.Context,
    sandbox: options.SandboxFlag = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show which sandbox layers (L0, L1, L2) are active here, why others are not, and what
    the sandbox policy (--sandbox, else the `sandbox` setting) will refuse to run."""
    from ..agent.sandbox import probe

    caller = caller_of(ctx)
    output = caller.output
    policy, source = _policy(sandbox, caller.env)
    report = probe()
    held = _held(report, policy, source)
    if as_json:
        print_json({**report.to_dict(), "policy": held}, output.stdout, indent=2,
                   ensure_ascii=True)
        return
    echo(output, _render_report(report), f"policy: {policy} ({source})",
         *(f"{row['what']}: {row['verdict']}" for row in held["runs"]))  # type: ignore[attr-defined]


@app.command()
def run(
    ctx: typer.Context,
    file: Annotated[str, typer.Argument(help="Python file to run, or - for stdin.")],
    sandbox: options.SandboxFlag = None,
    timeout: Annotated[float, typer.Option(help="Wall-clock limit in seconds.")] = 10.0,
    memory: Annotated[int, typer.Option(help="Address-space limit in MiB.")] = 512,
    sandbox_files: Annotated[list[Path] | None, typer.Option(
        "--sandbox-files", help="Copy this file into the work dir, read-only "
        "(repeat the option for several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run a Python file in the sandbox; print its output and exit with its exit status.

    Exit 2 with one line, before anything runs, when the sandbox policy finds no isolating
    layer on this machine (`lamp sandbox info` says why)."""
    from ..agent.sandbox import Sandbox, require_isolation

    caller = caller_of(ctx)
    output = caller.output
    policy: Policy = _policy(sandbox, caller.env)[0]  # type: ignore[assignment]  # Sandbox validates it
    require_isolation(policy, "model-written code", as_sandbox_uid=True)  # before reading it
    code = _read_code(file, output)
    result = Sandbox(policy=policy, timeout=timeout, memory_mb=memory).run(
        code, files=sandbox_files or ())
    if as_json:
        print_json(_result_dict(result), output.stdout, ensure_ascii=True)
    else:
        output.write(result.stdout)
        output.stderr.write(result.stderr)
        for line in _notes(result):
            output.stderr.write(f"lamp: {line}\n")
        output.stderr.flush()
    raise typer.Exit(result.exit_code)


def _policy(flag: str | None, env: Mapping[str, str]) -> tuple[str, str]:
    """The sandbox policy and where it came from: the flag, else the caller's `sandbox`
    setting."""
    if flag is not None:
        return flag, "flag --sandbox"
    from lamp.agent.config.settings import load_settings

    settings = load_settings(env=env)
    return settings.sandbox, settings.sources.get("sandbox", "default")


_CODE = "model-written code (python tool, PAL, `lamp sandbox run`, `lamp mcp serve`)"


def _held(report: SandboxReport, policy: str, source: str) -> dict[str, object]:
    """What the policy does here, for each kind of thing lamp starts: runs (and under
    which layers) or is refused, and why. The same decision the runs themselves make."""
    from ..agent.sandbox import isolation

    rows = []
    for what, iso in ((_CODE, isolation(policy, as_sandbox_uid=True)),
                      ("stdio MCP servers", isolation(policy, as_sandbox_uid=False))):
        verdict = _verdict(iso, report)
        rows.append({"what": what, "mode": iso.mode, "refused": verdict.startswith("REFUSED"),
                     "verdict": verdict})
    return {"name": policy, "source": source,
            "refused": [r["what"] for r in rows if r["refused"]], "runs": rows}


def _verdict(iso: Isolation, report: SandboxReport) -> str:
    why = iso.refusal("it")
    if why is not None:
        return "REFUSED (exit 2): " + why.removeprefix("refusing to start it: ")
    if iso.mode == "strict":
        if not report.layer("L1").active:  # the static checks pass, the trial run did not
            return ("REFUSED (exit 2) when it starts: L1 is required and the trial run could "
                    f"not confirm it ({report.layer('L1').summary})")
        return "runs under L1 (Landlock + seccomp)" + (
            " and L2 (bubblewrap)" if iso.l2_missing is None else "")
    if iso.mode == "namespaces":
        return "runs under L2 (bubblewrap) only: this kernel gives no L1"
    if iso.isolated:
        return "runs with what this machine has (policy best): " + (
            "L1 and L2" if iso.l1_missing is None and iso.l2_missing is None
            else "L1" if iso.l1_missing is None else "L2 only")
    return "runs NOT ISOLATED, rlimits only (policy best, with a warning on every run)"


def _read_code(file: str, output: Output) -> str:
    """The program: the caller's stdin for ``-``, else the file named."""
    try:
        if file == "-":
            return output.stdin.read() if output.stdin is not None else ""
        return Path(file).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read {file}: {exc}") from exc


def _notes(result: SandboxResult) -> list[str]:
    notes = [f"warning: {w}" for w in result.warnings]
    if result.killed_reason:
        notes.append(f"sandbox stopped the program: {result.killed_reason} "
                     f"after {result.seconds:.2f}s")
    if result.truncated:
        notes.append("output truncated at the sandbox's limit")
    return notes


def _result_dict(result: SandboxResult) -> dict[str, object]:
    return {
        "stdout": result.stdout, "stderr": result.stderr, "exit_code": result.exit_code,
        "timed_out": result.timed_out, "truncated": result.truncated,
        "seconds": round(result.seconds, 4), "layers": list(result.layers),
        "killed_reason": result.killed_reason, "warnings": list(result.warnings),
    }


def _render_report(report: SandboxReport) -> str:
    lines = []
    for layer in report.layers:
        mark = "active" if layer.active else "not active"
        lines.append(f"{layer.name}: {mark} - {layer.summary}")
        lines += [f"    {d}" for d in layer.details]
    lines.append(f"interpreter: {report.interpreter}")
    strict = "available" if report.strict_available else "NOT available"
    auto = {"strict": "L1 required", "namespaces": "L2 required (no L1 here)",
            "refuse": "refuses every run (no isolating layer here)"}[report.default_policy]
    lines.append(f"strict policy: {strict}; auto policy here: {auto}")
    return "\n".join(lines)
