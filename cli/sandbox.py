"""``lamp sandbox``: see which isolation layers this machine has, and run a file in the sandbox.

Commands only parse options, call ``lamp.agent.sandbox`` and print; errors are
``LampError`` subclasses that lamp's main module turns into one stderr line and
an exit code.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from ..agent.errors import InputError
from . import options
from .render import print_json

if TYPE_CHECKING:  # the sandbox loads only for `lamp sandbox` itself
    from ..agent.sandbox import Policy, SandboxReport, SandboxResult

__all__ = ["app"]

app = typer.Typer(
    help="Run Python in lamp's sandbox; show which isolation layers this machine has.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


@app.command()
def info(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Show which sandbox layers (L0, L1, L2) are active here, and why others are not."""
    from ..agent.sandbox import probe

    report = probe()
    if as_json:
        print_json(report.to_dict(), indent=2, ensure_ascii=True)
        return
    typer.echo(_render_report(report))


@app.command()
def run(
    file: Annotated[str, typer.Argument(help="Python file to run, or - for stdin.")],
    sandbox: Annotated[options.SandboxPolicy, typer.Option(
        "--sandbox", help="strict: refuse unless L0+L1 are active; best: run with what "
        "this machine has (warns); auto: strict where available.")] = "auto",
    timeout: Annotated[float, typer.Option(help="Wall-clock limit in seconds.")] = 10.0,
    memory: Annotated[int, typer.Option(help="Address-space limit in MiB.")] = 512,
    sandbox_files: Annotated[list[Path] | None, typer.Option(
        "--sandbox-files", help="Copy this file into the work dir, read-only "
        "(repeat the option for several).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object.")] = False,
) -> None:
    """Run a Python file in the sandbox; print its output and exit with its exit status."""
    code = _read_code(file)
    from ..agent.sandbox import Sandbox

    policy: Policy = sandbox  # type: ignore[assignment]  # Sandbox validates it
    result = Sandbox(policy=policy, timeout=timeout, memory_mb=memory).run(
        code, files=sandbox_files or ())
    if as_json:
        print_json(_result_dict(result), ensure_ascii=True)
    else:
        sys.stdout.write(result.stdout)
        sys.stdout.flush()
        sys.stderr.write(result.stderr)
        for line in _notes(result):
            sys.stderr.write(f"lamp: {line}\n")
        sys.stderr.flush()
    raise typer.Exit(result.exit_code)


def _read_code(file: str) -> str:
    try:
        if file == "-":
            return sys.stdin.read()
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
    strict = "available" if report.strict_available else "NOT available (runs are weaker)"
    lines.append(f"strict policy: {strict}; default policy here: {report.default_policy}")
    return "\n".join(lines)
