"""MCP servers from the command line: configuration, `lamp tools list|info`, `lamp ask --tools`
with a real SDK server (scripted model and the real default model)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest
from scripted_cli import invoke

from lamp.agent.config import paths
from lamp.agent.models import ScriptedBackend

NOTES_SERVER = Path(__file__).parents[1] / "agent" / "mcp" / "notes_server.py"


def _configure(text: str) -> None:
    path = paths.config_file()
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


def _notes() -> str:
    return (f"[mcp.servers.notes]\ncommand = {json.dumps(sys.executable)}\n"
            f"args = [{json.dumps(str(NOTES_SERVER))}]\nstartup_timeout = 60\n")


def _call(name: str, args: dict) -> str:
    call = {"name": name, "arguments": args}
    return f"<tool_call>\n{json.dumps(call, ensure_ascii=False)}\n</tool_call>"


def test_a_bad_server_table_is_a_usage_error(monkeypatch, capsys) -> None:
    _configure('[mcp.servers.notes]\ncommand = "x"\nreed = ["/tmp"]\n')
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "hi")
    assert code == 2 and out == ""
    assert "unknown key 'reed'" in err and err.count("\n") == 1


def test_a_plain_ask_starts_no_server(monkeypatch, capsys) -> None:
    _configure('[mcp.servers.broken]\ncommand = "/nonexistent/mcp-server"\n')
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "hi",
                          backend=ScriptedBackend().enqueue("hello"))
    assert code == 0 and out == "hello\n"
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "broken",
                            "hi", backend=ScriptedBackend())
    assert code == 1 and out == ""
    assert "broken" in err and "not found" in err and err.count("\n") == 1


@pytest.mark.integration
@pytest.mark.bwrap
def test_ask_uses_a_server_tool_and_answers_from_its_result(monkeypatch, capsys) -> None:
    _configure(_notes())
    model = ScriptedBackend().enqueue("tool", "yes", _call("notes.shelf", {"item": "놋쇠 수달"}),
                                      "놋쇠 수달은 선반 12-B에 있습니다.")
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "notes",
                            "--tool-format", "native", "놋쇠 수달은 어느 선반에 있나요?",
                            backend=model)
    assert code == 0, err
    assert out == "놋쇠 수달은 선반 12-B에 있습니다.\n"
    messages, _, _ = model.requests[-1]
    assert "선반 12-B" in messages[-1].content  # the observation the model answered from
    tools_listed = model.requests[-1][0][0].content
    assert "notes.word_count" in tools_listed and "notes.shelf" in tools_listed


@pytest.mark.integration
@pytest.mark.parametrize("approve", ["ask", "all"])
@pytest.mark.bwrap
def test_a_tool_that_changes_things_is_refused_on_a_pipe_unless_approved(
        monkeypatch, capsys, tmp_path: Path, approve: str) -> None:
    _configure(_notes() + f"write = [{json.dumps(str(tmp_path))}]\n")
    target = tmp_path / "out.txt"
    model = ScriptedBackend().enqueue(
        "tool", "yes", _call("notes.write_text", {"path": str(target), "text": "hi"}), "ok",
        "ok")  # after a refusal the question is answered once more, without tools
    code, _, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "notes",
                          "--tool-format", "native", "--approve", approve,
                          "write hi to out.txt", backend=model)
    assert code == 0, err
    observation = model.requests[3][0][-1].content  # what the model read after its call
    if approve == "ask":  # no terminal here: nobody can say yes
        assert "refused" in observation and not target.exists()
    else:  # approved, and inside the server's declared write paths
        assert "wrote 2 characters" in observation and target.read_text() == "hi"


@pytest.mark.integration
@pytest.mark.bwrap
def test_tools_list_and_info_show_the_server(run_lamp, tmp_path: Path) -> None:
    _configure(_notes() + f"read = [{json.dumps(str(tmp_path))}]\n")
    env = {"LAMP_HOME": os.environ["LAMP_HOME"]}
    listing = run_lamp("tools", "list", env=env)
    assert listing.returncode == 0, listing.stderr
    text = listing.stdout.decode()
    assert "notes.shelf" in text and "[mcp: notes]" in text
    assert "notes.write_text" in text and "asks before running; mcp: notes" in text
    info = run_lamp("tools", "info", "notes", env=env)
    assert info.returncode == 0, info.stderr
    lines = info.stdout.decode().splitlines()
    assert f"read: {tmp_path}" in lines
    assert "network: denied" in lines
    confirmed = next(x for x in lines if x.startswith("confirmed from inside"))
    assert "L1" in confirmed
    assert any(x.startswith("tool notes.shelf:") and x.endswith("runs without asking]")
               for x in lines)
    one = run_lamp("tools", "info", "notes.read_text", env=env)
    assert one.returncode == 0, one.stderr
    assert '"limit": {"type": "integer"}' in one.stdout.decode()


@pytest.mark.integration
def test_real_model_answers_from_the_servers_result(run_lamp, default_model: Path) -> None:
    _configure(_notes())
    proc = run_lamp("ask", "--no-memory", "--tools", "notes.shelf", "--max-tokens", "96",
                    "--json", "Which shelf is the quartz lantern kept on?",
                    env={"LAMP_HOME": os.environ["LAMP_HOME"]})
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    calls = [s for s in payload["steps"] if s["kind"] == "action"]
    assert calls and calls[0]["tool"] == "notes.shelf"
    assert "7-K" in calls[0]["observation"]
    assert "7-K" in payload["answer"]


@pytest.mark.integration
@pytest.mark.parametrize(("question", "principal", "payment"), [
    ("What is the monthly payment on a loan of 200,000 at 5% a year over 30 years?",
     200000, "1073.64"),
    ("200,000,000원을 연 5% 이자로 30년 동안 빌리면 매달 얼마를 갚아야 하나요?",
     200000000, "1073643.25"),
], ids=["en", "ko"])
def test_real_model_calls_a_tool_with_the_numbers_it_was_given(
        run_lamp, default_model: Path, question: str, principal: int, payment: str) -> None:
    _configure(_notes())
    proc = run_lamp("ask", "--no-memory", "--tools", "notes.loan_payment", "--max-tokens",
                    "128", "--json", question, env={"LAMP_HOME": os.environ["LAMP_HOME"]})
    assert proc.returncode == 0, proc.stderr
    steps = json.loads(proc.stdout)["steps"]
    calls = [s for s in steps if s["kind"] == "action"]
    assert calls and not [s for s in steps if s["kind"] == "held"], steps
    assert calls[0]["input"] == {"principal": principal, "annual_rate_percent": 5,
                                 "years": 30}
    assert calls[0]["observation"] == f"monthly payment: {payment}"


@pytest.mark.integration
@pytest.mark.parametrize("question", [
    "How much will I pay each month for my mortgage?",
    "제 주택담보대출은 한 달에 얼마씩 갚아야 하나요?",
], ids=["en", "ko"])
def test_real_model_never_runs_a_tool_on_numbers_nobody_gave(run_lamp, default_model: Path,
                                                             question: str) -> None:
    _configure(_notes())
    proc = run_lamp("ask", "--no-memory", "--tools", "notes.loan_payment", "--max-tokens",
                    "128", "--json", question, env={"LAMP_HOME": os.environ["LAMP_HOME"]})
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    # The router may answer directly, or the model may try a call with made-up values,
    # which is then held back: either way the tool never runs and an answer comes back.
    assert not [s for s in payload["steps"] if s["kind"] == "action"], payload["steps"]
    assert payload["steps"][-1]["kind"] == "direct" and payload["answer"].strip()


@pytest.mark.integration
def test_real_model_never_computes_with_a_misread_korean_amount(run_lamp,
                                                                default_model: Path) -> None:
    # "2억" is 200,000,000; the 1.5B has read it as 2,000,000. Such a call is held back
    # and the model told why: whatever it does next, the tool runs with the right amount
    # or not at all.
    _configure(_notes())
    question = "2억 원을 연 5% 이자로 30년 동안 빌리면 매달 얼마를 갚아야 하나요?"
    proc = run_lamp("ask", "--no-memory", "--tools", "notes.loan_payment", "--max-tokens",
                    "128", "--json", question, env={"LAMP_HOME": os.environ["LAMP_HOME"]})
    assert proc.returncode == 0, proc.stderr
    payload = json.loads(proc.stdout)
    ran = [s["input"] for s in payload["steps"] if s["kind"] == "action"]
    assert all(call["principal"] == 200000000 for call in ran), ran
    assert all("principal=200000000" not in s["observation"]
               for s in payload["steps"] if s["kind"] == "held")
    assert payload["answer"].strip()


# -- lamp mcp serve ------------------------------------------------------------------------

@pytest.mark.bwrap
def test_mcp_serve_answers_pal_through_the_runtime_and_writes_nothing_to_stdout() -> None:
    import io

    import anyio
    from mcp import Client

    from lamp.agent.app.output import Caller, Output
    from lamp.agent.app.runtime import Preloaded, Runtime
    from lamp.agent.mcp import build_server
    from lamp.cli.mcp import services_for

    program = ("```python\ndef solution():\n    apples = 3 * 4\n    eaten = 5\n"
               "    return apples - eaten\n```")
    # "impossible": no reply holds code, so no value, and lamp draws its 4 more programs
    # for a doubted answer (agent/pal/doubt.py) before giving up.
    model = ScriptedBackend().enqueue(program, "no code", "still no code", "none", "nothing",
                                      "not code either")
    out, err = io.StringIO(), io.StringIO()
    rt = Runtime(caller=Caller(Output(stdout=out, stderr=err), dict(os.environ), Path.cwd()),
                 model_source=Preloaded(model), quiet=True)
    services = services_for(rt, 10.0, memory=False)

    async def session() -> dict[str, object]:
        async with Client(build_server(services)) as client:
            return {"pal": (await client.call_tool("pal", {"question": "3 bags of 4 apples, "
                                                           "5 eaten: how many left?"})),
                    "failed": await client.call_tool("pal", {"question": "impossible"})}

    try:
        seen = anyio.run(session)
    finally:
        rt.close()
    answered, failed = seen["pal"], seen["failed"]
    if answered.is_error:  # this machine's sandbox refuses: said as the tool's error
        assert "sandbox" in answered.content[0].text.lower()
        return
    assert answered.content[0].text.startswith("7\n\nprogram:\ndef solution():")
    assert failed.is_error and "no runnable program" in failed.content[0].text
    assert out.getvalue() == ""  # stdout belongs to the protocol
    assert "3 bags of 4 apples" in model.requests[0][0][-1].content
