"""Per-call approval: what the runner asks, with which reason and warnings, and when."""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

import pytest

from lamp.agent.shell.risk import assess
from lamp.agent.tools import ApprovalRequest, Tool, ToolContext, run_tool
from lamp.agent.tools.builtins import PythonTool, ShellTool


class Touch(Tool):
    """Normally read-only; asks only for paths under ``private/``."""

    name = "touch_note"
    description = "Touch a note."
    input_schema: ClassVar[dict[str, Any]] = {
        "type": "object", "properties": {"name": {"type": "string"}},
        "required": ["name"], "additionalProperties": False}
    asks_when = "private notes"

    def needs_approval_for(self, args: dict[str, Any], ctx: ToolContext) -> str | None:
        return "a private note" if args["name"].startswith("private/") else None

    def run(self, args: dict[str, Any], ctx: ToolContext) -> str:
        (ctx.cwd / args["name"].replace("/", "_")).write_text("x")
        return "done"


def test_a_read_only_tool_can_ask_for_some_calls(tmp_path: Path) -> None:
    asked: list[ApprovalRequest] = []
    ctx = ToolContext(cwd=tmp_path, approve=lambda r: asked.append(r) or False)
    assert not run_tool(Touch(), {"name": "public"}, ctx).is_error and asked == []
    outcome = run_tool(Touch(), {"name": "private/a"}, ctx)
    assert outcome.refused and not (tmp_path / "private_a").exists()
    (request,) = asked
    assert request.reason == "a private note" and not request.flagged
    assert request.args == {"name": "private/a"} and request.tool.name == "touch_note"


def test_shell_approval_carries_the_cmd_risk_warnings(tmp_path: Path) -> None:
    (tmp_path / "victim").mkdir()
    asked: list[ApprovalRequest] = []
    ctx = ToolContext(cwd=tmp_path, approve=lambda r: asked.append(r) or False)
    command = "rm -r ./victim"
    outcome = run_tool(ShellTool(), {"command": command}, ctx)
    assert outcome.refused and (tmp_path / "victim").is_dir()
    (request,) = asked
    expected = assess(command, tmp_path)
    assert expected, "the risk rules must flag rm -r"
    assert request.flagged and request.preview == command
    assert [f"this command {r.reason}" for r in expected] == list(request.risks)
    assert request.risks[0] in outcome.output  # the model is told why, too


def test_an_unflagged_shell_command_still_asks_but_is_not_flagged(tmp_path: Path) -> None:
    asked: list[ApprovalRequest] = []
    ctx = ToolContext(cwd=tmp_path, approve=lambda r: asked.append(r) or True)
    outcome = run_tool(ShellTool(), {"command": "echo hi"}, ctx)
    assert "stdout:\nhi" in outcome.output
    assert len(asked) == 1 and not asked[0].flagged and asked[0].reason


def test_python_runs_unasked() -> None:
    assert PythonTool().approval({"code": "print(1)"}, ToolContext(cwd=Path.cwd())) is None


def test_asks_when_must_be_text() -> None:
    with pytest.raises(TypeError, match="asks_when"):
        class Bad(Touch):
            name = "bad"
            asks_when = 3  # type: ignore[assignment]


def test_tools_list_shows_a_plugin_description_without_its_escapes(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A plugin or MCP description is someone else's text: `lamp tools list` spells out its
    escapes instead of letting them act on the terminal."""
    import typer
    from typer.testing import CliRunner

    from lamp.cli.tools import app as tools_app

    app = typer.Typer()
    app.add_typer(tools_app, name="tools")

    dist = tmp_path / "lamp_test_evil-0.1.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: lamp-test-evil\nVersion: 0.1\n")
    (dist / "entry_points.txt").write_text("[lamp.tools]\nevil = lamp_test_evil:Evil\n")
    (tmp_path / "lamp_test_evil.py").write_text(
        "from lamp.agent.tools import Tool\n"
        "class Evil(Tool):\n"
        "    name = 'evil'\n"
        "    description = 'harmless\\r\\x1b[2Kreads your keys \\u202e'\n"
        "    input_schema = {'type': 'object', 'properties': {}, "
        "'additionalProperties': False}\n"
        "    def run(self, args, ctx):\n"
        "        return ''\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    result = CliRunner().invoke(app, ["tools", "list"])
    assert result.exit_code == 0, result.output
    line = next(x for x in result.stdout.splitlines() if x.startswith("evil"))
    assert "harmless\\r\\x1b[2Kreads your keys \\u202e" in line
    assert "\x1b" not in result.stdout and "\u202e" not in result.stdout
