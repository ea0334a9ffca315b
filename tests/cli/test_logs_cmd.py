"""`lamp logs` over a log filled by real command lines on a scripted model: what each mode
records (tool calls and who approved them, PAL programs, shell commands), the filters, the
output shapes, bad input, and the switches that turn the log off."""

from __future__ import annotations

import io
import json
import os
import stat
import sys
import threading
from pathlib import Path

import pytest
from scripted_cli import invoke

from lamp.agent.app.output import Caller, Output
from lamp.agent.app.result import RunResult
from lamp.agent.app.runlog import record_run
from lamp.agent.app.runtime import Runtime
from lamp.agent.events import FinalAnswer, Usage
from lamp.agent.models import ScriptedBackend
from lamp.cli.logs_cmd import parse_when

CALC = ('<tool_call>\n{"name": "calculator", "arguments": {"expression": "6*7"}}\n'
        "</tool_call>")
SHELL = '<tool_call>\n{"name": "shell", "arguments": {"command": "echo logged-%s"}}\n</tool_call>'
PROGRAM = "```python\ndef solution():\n    return 3 * 4 - 5\n```"


def scripted(*replies: str) -> ScriptedBackend:
    return ScriptedBackend().enqueue(*replies)


def logs(monkeypatch, capsys, *args: str) -> tuple[int, str, str]:
    return invoke(monkeypatch, capsys, "logs", *args)


def listed(monkeypatch, capsys, *args: str) -> list[dict]:
    code, out, err = logs(monkeypatch, capsys, "--json", *args)
    assert code == 0, err
    return json.loads(out)


def test_a_plain_answer_is_one_line_newest_first(monkeypatch, capsys, lamp_home: Path,
                                                 tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    for question, reply in (("first question", "one"), ("second question", "two")):
        code, _, err = invoke(monkeypatch, capsys, "ask", "--no-memory", question,
                              backend=scripted(reply))
        assert code == 0, err
    code, out, err = logs(monkeypatch, capsys)
    assert code == 0 and err == ""
    lines = out.splitlines()
    assert len(lines) == 2 and "second question" in lines[0] and "first question" in lines[1]
    assert lines[0].split()[0] == "2" and " ask " in lines[0] and "scripted" in lines[0]
    [run] = listed(monkeypatch, capsys, "-n", "1")
    assert run["request"] == "second question" and run["answer"] == "two"
    assert run["command"] == "ask" and run["exit_status"] == 0 and run["cwd"] == str(tmp_path)
    assert run["prompt_tokens"] > 0 and run["completion_tokens"] == 1
    assert run["started_at"].endswith("Z") and run["sampling"]["max_tokens"] == 512
    log = lamp_home / "data" / "lamp-runs.sqlite3"
    assert stat.S_IMODE(log.stat().st_mode) == 0o600


def test_tool_calls_are_logged_with_who_approved_them(monkeypatch, capsys) -> None:
    code, _, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "calculator",
                          "--route", "off", "--tool-format", "native", "what is 6*7?",
                          backend=scripted(CALC, "It is 42."))
    assert code == 0, err
    code, _, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "shell",
                          "--allow", "shell", "--approve", "all", "--route", "off",
                          "--tool-format", "native", "say hello",
                          backend=scripted(SHELL % "hello", "Said it."))
    assert code == 0, err
    [calc] = listed(monkeypatch, capsys, "--tool", "calculator")
    assert calc["mode"] == "tools" and calc["answer"] == "It is 42."
    assert calc["events"] == [{"kind": "tool_call", "name": "calculator",
                               "arguments": {"expression": "6*7"}, "result": "42",
                               "approval": "not-needed", "value": None, "exit_status": 0,
                               "seconds": calc["events"][0]["seconds"]}]
    [shell] = listed(monkeypatch, capsys, "--tool", "shell")
    [call] = shell["events"]
    assert (call["approval"], call["arguments"]) == ("approve-all",
                                                     {"command": "echo logged-hello"})
    assert "logged-hello" in call["result"]
    code, out, _ = logs(monkeypatch, capsys, "show", str(shell["id"]))
    assert code == 0 and "approval: approve-all" in out and "echo logged-hello" in out


def test_a_flagged_call_refused_by_lamps_rule_is_logged_as_policy(monkeypatch, capsys,
                                                                  tmp_path: Path) -> None:
    """No terminal to ask (the approver's tty does not exist): refused, by policy."""
    from lamp.agent.tools import ToolContext, load_tools, run_tool
    from lamp.cli.approval import TerminalApprover

    shell = load_tools()["shell"]()
    approver = TerminalApprover("all", tty=str(tmp_path / "no-tty"), err=io.StringIO())
    outcome = run_tool(shell, {"command": "rm -rf /"}, ToolContext(cwd=tmp_path,
                                                                    approve=approver))
    assert outcome.refused and outcome.approval == "policy"
    outcome = run_tool(shell, {"command": "echo ok"}, ToolContext(cwd=tmp_path,
                                                                   approve=approver))
    assert not outcome.refused and outcome.approval == "approve-all"


def test_pal_programs_are_logged_with_their_values(monkeypatch, capsys) -> None:
    code, out, err = invoke(monkeypatch, capsys, "pal", "--sandbox", "best",
                            "what is 3*4-5?", backend=scripted(PROGRAM))
    if code == 2 and "isolat" in err:
        pytest.skip("no sandbox layer here")
    assert code == 0 and out.strip() == "7", err
    [run] = listed(monkeypatch, capsys)
    assert run["command"] == "pal" and run["answer"] == "7"
    [program] = run["events"]
    assert (program["kind"], program["name"], program["value"], program["exit_status"],
            program["approval"]) == ("pal_program", "python", "7", 0, "policy")
    assert "return 3 * 4 - 5" in program["arguments"]["code"]
    code, out, _ = logs(monkeypatch, capsys, "show", str(run["id"]))
    assert "pal_program python" in out and "value: 7" in out and "return 3 * 4 - 5" in out


def test_each_input_is_a_run_of_its_own_under_one_invocation(monkeypatch, capsys) -> None:
    code, _, err = invoke(monkeypatch, capsys, "ask", "--each", "translate",
                          stdin=b"apple\npear\n", backend=scripted("pomme", "poire"))
    assert code == 0, err
    runs = listed(monkeypatch, capsys)
    assert [(r["mode"], r["answer"]) for r in runs] == [("each", "poire"), ("each", "pomme")]
    assert runs[0]["request"] == "translate\n\npear"
    assert runs[0]["invocation"] == runs[1]["invocation"] != ""


def test_lamp_cmd_logs_each_command_it_runs_with_its_exit_status(monkeypatch, capsys,
                                                                 tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, _, err = invoke(monkeypatch, capsys, "cmd", "--shell", "sh", "--yes", "fail",
                          backend=scripted("exit 3"))
    assert code == 3, err
    code, _, err = invoke(monkeypatch, capsys, "cmd", "--shell", "sh", "--yes", "clean",
                          backend=scripted("rm -r build"))
    assert code == 2
    code, _, err = invoke(monkeypatch, capsys, "cmd", "--shell", "sh", "list",
                          backend=scripted("ls -a"))
    assert code == 0
    printed, refused, ran = listed(monkeypatch, capsys)
    assert ran["mode"] == "cmd" and ran["answer"] == "exit 3" and ran["exit_status"] == 3
    assert ran["events"] == [{"kind": "shell_command", "name": "sh",
                              "arguments": {"command": "exit 3", "cwd": str(tmp_path)},
                              "result": None, "approval": "approve-all", "value": None,
                              "exit_status": 3, "seconds": ran["events"][0]["seconds"]}]
    assert refused["exit_status"] == 2 and refused["events"] == []
    assert "refusing to run a flagged command" in refused["error"]
    assert printed["answer"] == "ls -a" and printed["events"] == [] and \
        printed["exit_status"] == 0


def test_a_stopped_run_records_its_exit_status_and_error(monkeypatch, capsys) -> None:
    code, _, _ = invoke(monkeypatch, capsys, "ask", "--no-memory", "--tools", "calculator",
                        "--route", "off", "--tool-format", "native", "--max-steps", "1",
                        "what is 6*7?", backend=scripted(CALC))
    assert code == 3
    [run] = listed(monkeypatch, capsys)
    assert run["exit_status"] == 3 and "StepLimitReached" in run["error"]
    assert run["events"][0]["name"] == "calculator"


@pytest.mark.parametrize("switch", ["flag", "env", "config"])
def test_the_log_can_be_turned_off(monkeypatch, capsys, lamp_home: Path, switch: str) -> None:
    args = ["ask", "--no-memory", "hi"]
    if switch == "flag":
        args.insert(1, "--no-log")
    elif switch == "env":
        monkeypatch.setenv("LAMP_LOG", "0")
    else:
        (lamp_home / "config").mkdir(parents=True, exist_ok=True)
        (lamp_home / "config" / "config.toml").write_text("log = false\n")
    code, _, err = invoke(monkeypatch, capsys, *args, backend=scripted("hello"))
    assert code == 0, err
    assert not (lamp_home / "data" / "lamp-runs.sqlite3").exists()
    code, out, err = logs(monkeypatch, capsys)
    assert code == 0 and out == "" and "no runs logged yet" in err
    if switch != "flag":
        assert "the log is off" in err
        # --log turns it on for one command
        invoke(monkeypatch, capsys, "ask", "--log", "--no-memory", "hi", backend=scripted("x"))
        assert len(listed(monkeypatch, capsys)) == 1


def test_a_log_that_cannot_be_written_is_a_warning_not_a_failure(monkeypatch, capsys,
                                                                 lamp_home: Path) -> None:
    (lamp_home / "data" / "lamp-runs.sqlite3").mkdir(parents=True)  # not a database
    code, out, err = invoke(monkeypatch, capsys, "ask", "--no-memory", "hi",
                            backend=scripted("hello"))
    assert (code, out) == (0, "hello\n")
    assert err.startswith("lamp: warning: could not write the run log") and err.count("\n") == 1


def test_an_empty_log_is_one_friendly_line(monkeypatch, capsys) -> None:
    code, out, err = logs(monkeypatch, capsys)
    assert (code, out) == (0, "") and err.count("\n") == 1 and "no runs logged yet" in err
    assert listed(monkeypatch, capsys) == []
    code, out, _ = logs(monkeypatch, capsys, "--jsonl")
    assert (code, out) == (0, "")


def test_search_session_and_since_filters(monkeypatch, capsys) -> None:
    invoke(monkeypatch, capsys, "ask", "-s", "trip", "서울의 날씨는 어때요?",
           backend=scripted("맑아요"))
    invoke(monkeypatch, capsys, "ask", "--no-memory", "tell me about tides",
           backend=scripted("they rise"))
    assert [r["answer"] for r in listed(monkeypatch, capsys, "-q", "서울")] == ["맑아요"]
    assert [r["answer"] for r in listed(monkeypatch, capsys, "-q", "tides")] == ["they rise"]
    assert [r["session"] for r in listed(monkeypatch, capsys, "--session", "trip")] == ["trip"]
    assert len(listed(monkeypatch, capsys, "--since", "1h")) == 2
    assert listed(monkeypatch, capsys, "--since", "2999-01-01") == []
    code, out, err = logs(monkeypatch, capsys, "-q", "nothing-like-this")
    assert (code, out) == (0, "") and "no runs match" in err


def test_show_prints_a_korean_prompt_and_answer_whole(monkeypatch, capsys) -> None:
    prompt = "서울에서 부산까지 기차로 얼마나 걸려요?"
    invoke(monkeypatch, capsys, "ask", "--no-memory", prompt,
           backend=scripted("KTX로 약 2시간 30분 걸려요."))
    code, out, err = logs(monkeypatch, capsys, "show", "1")
    assert code == 0, err
    assert f"  │ {prompt}" in out and "  │ KTX로 약 2시간 30분 걸려요." in out
    code, out, _ = logs(monkeypatch, capsys)
    assert prompt in out


def test_control_characters_from_a_model_are_shown_not_sent(monkeypatch, capsys) -> None:
    invoke(monkeypatch, capsys, "ask", "--no-memory", "hi\x1b[2J",
           backend=scripted("bye\x1b]0;owned\x07"))
    _, listing, _ = logs(monkeypatch, capsys)
    _, shown, _ = logs(monkeypatch, capsys, "show", "1")
    assert "\x1b" not in listing + shown and "\\x1b" in shown


@pytest.mark.parametrize("args, message", [
    (("--since", "last tuesday"), "--since"),
    (("show", "99"), "no run 99"),
    (("show", "x"), "run_id"),
    (("prune", "--older-than", "soon"), "--older-than"),
    (("prune",), "--older-than"),
    (("--json", "--jsonl"), "choose one"),
    (("-n", "0"), "-n"),
])
def test_bad_input_is_one_stderr_line_and_exit_2(monkeypatch, capsys, args, message) -> None:
    invoke(monkeypatch, capsys, "ask", "--no-memory", "hi", backend=scripted("x"))
    code, out, err = logs(monkeypatch, capsys, *args)
    assert (code, out) == (2, "") and err.count("\n") == 1 and message in err, err


def test_prune_forgets_old_runs_and_path_names_the_file(monkeypatch, capsys,
                                                        lamp_home: Path) -> None:
    invoke(monkeypatch, capsys, "ask", "--no-memory", "hi", backend=scripted("x"))
    code, out, _ = logs(monkeypatch, capsys, "prune", "--older-than", "30d")
    assert code == 0 and out.startswith("forgot 0 runs")
    code, out, _ = logs(monkeypatch, capsys, "prune", "--older-than", "2999-01-01")
    assert code == 0 and out.startswith("forgot 1 run ")
    assert listed(monkeypatch, capsys) == []
    code, out, _ = logs(monkeypatch, capsys, "path")
    assert out.strip() == str(lamp_home / "data" / "lamp-runs.sqlite3")


def test_jsonl_is_one_object_per_line(monkeypatch, capsys) -> None:
    for reply in ("a", "b"):
        invoke(monkeypatch, capsys, "ask", "--no-memory", "q", backend=scripted(reply))
    code, out, _ = logs(monkeypatch, capsys, "--jsonl")
    assert code == 0 and [json.loads(line)["answer"] for line in out.splitlines()] == ["b", "a"]


def test_times_are_read_as_durations_or_dates() -> None:
    from datetime import datetime, timedelta, timezone

    now = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)
    assert parse_when("3h", now) == now - timedelta(hours=3)
    assert parse_when("1d", now) == now - timedelta(days=1)
    assert parse_when("2w", now) == now - timedelta(weeks=2)
    assert parse_when("2026-12-06T10:00Z", now) == datetime(2026, 12, 6, 10,
                                                            tzinfo=timezone.utc)
    assert parse_when("2026-12-06", now).tzinfo is not None
    with pytest.raises(ValueError):
        parse_when("yesterday-ish", now)


def test_a_chat_turn_is_recorded_by_record_run(tmp_path: Path, monkeypatch, capsys) -> None:
    output = Output(stdout=io.StringIO(), stderr=io.StringIO())
    rt = Runtime({}, Caller(output, dict(os.environ), tmp_path), command="chat",
                 keep_log=True)
    result = RunResult(model={"backend": "scripted"}, session="s1")
    for event in (FinalAnswer("hello back"), Usage(10, 2, 0.1, 0.3, "stop")):
        result.absorb(event)
    result.ended = result.started + 0.3
    run_id = record_run(rt, result, request="hello")
    assert run_id == 1
    [run] = listed(monkeypatch, capsys)
    assert (run["command"], run["mode"], run["session"], run["request"], run["answer"]) == (
        "chat", "chat", "s1", "hello", "hello back")
    off = Runtime({}, Caller(output, dict(os.environ), tmp_path), command="chat")
    assert record_run(off, result, request="hello") is None  # a program that did not opt in


def test_a_call_forwarded_by_lamp_serve_is_logged_for_its_client(tmp_path: Path) -> None:
    """serve runs the forwarded command line through the same entry: the client's log
    (its LAMP_HOME) gets the run, with the client's working directory."""
    import shutil
    import socket
    import tempfile

    from lamp.agent.config.settings import load_settings
    from lamp.cli.serve import Server
    from lamp.memory.runlog import LogFilter, RunLog

    short = Path(tempfile.mkdtemp(prefix="lgs"))
    try:
        sock_path = short / "run" / "s.sock"
        server_env = {"PATH": os.environ.get("PATH", ""), "LAMP_HOME": str(short / "srv")}
        server = Server(load_settings({}, env=server_env), scripted("served answer"),
                        sock_path, 0, Caller(Output(sys.stdout, sys.stderr), server_env, short))
        client_home, client_cwd = short / "client", short / "cwd"
        client_cwd.mkdir()
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            for _ in range(200):
                if sock_path.exists():
                    break
                threading.Event().wait(0.05)
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
                sock.settimeout(60)
                sock.connect(str(sock_path))
                sock.sendall(json.dumps({
                    "op": "run", "argv": ["ask", "--no-memory", "served question"],
                    "cwd": str(client_cwd), "stdout_tty": False, "stderr_tty": False,
                    "columns": 80, "env": {"LAMP_HOME": str(client_home)}}).encode() + b"\n")
                frames = [json.loads(line) for line in sock.makefile("rb")]
        finally:
            server.stopping.set()
            thread.join(timeout=30)
            server.close()
        assert frames[-1] == {"exit": 0}, frames
        log = RunLog(client_home / "data" / "lamp-runs.sqlite3")
        [run] = log.runs(LogFilter())
        log.close()
        assert (run.request, run.answer, run.cwd) == ("served question", "served answer",
                                                      str(client_cwd))
        assert not (short / "srv" / "data" / "lamp-runs.sqlite3").exists()
    finally:
        shutil.rmtree(short, ignore_errors=True)


@pytest.mark.integration
def test_real_model_tool_call_approved_by_approve_all_is_in_the_log(
        run_lamp, default_model: Path, tmp_path: Path) -> None:
    import subprocess

    proc = subprocess.run(
        [str(Path(sys.executable).parent / "lamp"), "ask", "--no-memory", "--tools", "shell",
         "--allow", "shell", "--approve", "all", "--max-tokens", "96",
         "Run this shell command: touch approved_marker"],
        cwd=tmp_path, capture_output=True, stdin=subprocess.DEVNULL, timeout=300,
        start_new_session=True)  # no terminal: only --approve all lets the call run
    assert proc.returncode == 0, proc.stderr
    assert (tmp_path / "approved_marker").exists()
    listing = run_lamp("logs", "--tool", "shell", "--json")
    assert listing.returncode == 0, listing.stderr
    [run] = json.loads(listing.stdout)
    calls = [e for e in run["events"] if e["kind"] == "tool_call" and e["name"] == "shell"]
    assert calls and calls[0]["approval"] == "approve-all"
    assert "touch approved_marker" in calls[0]["arguments"]["command"]
    assert run["model_file"].endswith(".gguf") and len(run["model_sha256"]) == 64
    # A Korean prompt, answered by the real model, shown whole
    prompt = "한국의 수도는 어디예요? 한 단어로 답하세요."
    asked = run_lamp("ask", "--no-memory", "--max-tokens", "16", prompt)
    assert asked.returncode == 0, asked.stderr
    newest = json.loads(run_lamp("logs", "-n", "1", "--json").stdout)[0]
    shown = run_lamp("logs", "show", str(newest["id"]))
    assert shown.returncode == 0
    text = shown.stdout.decode()
    assert f"  │ {prompt}" in text and newest["answer"].strip().splitlines()[0] in text
