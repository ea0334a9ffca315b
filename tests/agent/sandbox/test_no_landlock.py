"""No silent downgrade: on a kernel without Landlock, lamp runs nothing model-written and starts
no MCP server unless an isolating layer holds it or the person opted in with ``best``.

The kernel here has Landlock, so each case runs the real CLI under ``no_landlock.py``, a
launcher whose seccomp filter makes the Landlock syscalls fail with ENOSYS (what a kernel
without Landlock answers) for lamp and everything it starts. ``LAMP_SANDBOX_BWRAP=off``
takes bubblewrap (L2) away as well, unless a test asks for it. Each refusal is checked
from outside: exit 2, one stderr line naming what is missing and the opt-in, and a canary
file the code or server would have written is absent.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from lamp.agent.config import paths
from lamp.agent.errors import IsolationRefused, SandboxUnavailable, UsageError
from lamp.agent.sandbox import OPT_IN, Isolation
from lamp.agent.sandbox._bwrap import find_bwrap
from lamp.cli.errors import exit_code_for

pytestmark = pytest.mark.integration

LAUNCHER = Path(__file__).with_name("no_landlock.py")
NOTES_SERVER = Path(__file__).parents[1] / "mcp" / "notes_server.py"
_SCRIPT = Path(sys.executable).parent / "lamp"
LAMP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lamp.cli"]
UNREACHABLE = "http://127.0.0.1:9/v1"  # the discard port: nothing answers there

if os.uname().machine not in ("x86_64", "aarch64") or not Path("/proc/self/status").exists():
    pytest.skip("the launcher's seccomp filter is for Linux x86-64 and aarch64",
                allow_module_level=True)


def lamp_without_landlock(*args: str, bwrap: str | None = "off",
                          env: dict[str, str] | None = None,
                          stdin: bytes | None = None, timeout: float = 60
                          ) -> subprocess.CompletedProcess[str]:
    """The real CLI on a simulated kernel without Landlock and, by default, without bwrap
    (``bwrap=None``: bubblewrap as this machine has it)."""
    full = {**os.environ, **({} if bwrap is None else {"LAMP_SANDBOX_BWRAP": bwrap}),
            **(env or {})}
    return subprocess.run([sys.executable, str(LAUNCHER), *LAMP, *args], env=full,
                          input=stdin.decode() if stdin is not None else None,
                          stdin=None if stdin is not None else subprocess.DEVNULL,
                          capture_output=True, text=True, timeout=timeout)


def assert_refused(proc: subprocess.CompletedProcess[str], what: str) -> None:
    """Exit 2 and exactly one stderr line that names the missing layers and the opt-in."""
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    # One error line; other parts of lamp may have warned first (never with a traceback).
    lines = proc.stderr.splitlines()
    assert all(x.startswith("lamp: warning: ") for x in lines[:-1]), proc.stderr
    line = lines[-1]
    assert line.startswith(f"lamp: error: refusing to start {what}"), line
    assert "no Landlock" in line and "L2 (bubblewrap)" in line
    assert "--sandbox best" in line and 'sandbox = "best"' in line and "LAMP_SANDBOX" in line


@pytest.fixture
def canary_dir() -> Iterator[Path]:
    """World-writable and reachable (pytest's own tmp dirs are 0700), so the dropped sandbox
    uid could write here if nothing stopped it: the canary's absence then means nothing
    ran, not that a permission bit held."""
    out = Path(tempfile.mkdtemp(prefix="lamp-canary-"))
    out.chmod(0o777)
    yield out
    shutil.rmtree(out, ignore_errors=True)


def _program(tmp_path: Path, canary: Path) -> Path:
    prog = tmp_path / "prog.py"
    prog.write_text("try:\n"
                    f"    open({str(canary)!r}, 'w').write('ran')\n"
                    "    print('wrote the canary')\n"
                    "except OSError as exc:\n"
                    "    print('blocked:', exc)\n")
    prog.chmod(0o644)
    return prog


# -- the simulation itself ------------------------------------------------------------------
def test_the_launcher_hides_landlock_and_nothing_else() -> None:
    probe = ("import ctypes, json; from lamp.agent.sandbox import _host; "
             "print(json.dumps([_host.landlock_abi(), _host.seccomp_supported(), "
             "open('/etc/hostname').read() != '']))")
    inside = subprocess.run([sys.executable, str(LAUNCHER), sys.executable, "-c", probe],
                            capture_output=True, text=True, timeout=30)
    assert json.loads(inside.stdout) == [0, True, True], inside.stderr


# -- lamp sandbox run ----------------------------------------------------------------------
def test_sandbox_run_refuses_before_running_anything(tmp_path: Path, canary_dir: Path) -> None:
    canary = canary_dir / "canary"
    prog = _program(tmp_path, canary)
    for extra in ([], ["--sandbox", "auto"]):
        proc = lamp_without_landlock("sandbox", "run", *extra, str(prog))
        assert_refused(proc, "model-written code")
        assert proc.stdout == "" and not canary.exists()
    strict = lamp_without_landlock("sandbox", "run", "--sandbox", "strict", str(prog))
    assert strict.returncode == 2 and "strict sandbox policy needs L1" in strict.stderr
    assert strict.stderr.count("lamp: error:") == 1 and not canary.exists()


def test_sandbox_run_with_best_runs_and_warns(tmp_path: Path, canary_dir: Path) -> None:
    canary = canary_dir / "canary"
    prog = _program(tmp_path, canary)
    proc = lamp_without_landlock("sandbox", "run", "--sandbox", "best", str(prog))
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout == "wrote the canary\n"
    assert "SANDBOX WEAKER THAN STRICT" in proc.stderr and "NOT ISOLATED" in proc.stderr
    assert canary.read_text() == "ran"  # the opt-in really runs it, with rlimits only


def test_the_opt_in_is_also_a_setting(tmp_path: Path, canary_dir: Path) -> None:
    canary = canary_dir / "canary"
    prog = _program(tmp_path, canary)
    by_env = lamp_without_landlock("sandbox", "run", str(prog), env={"LAMP_SANDBOX": "best"})
    assert by_env.returncode == 0 and canary.exists(), by_env.stderr
    canary.unlink()
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text('sandbox = "best"\n', encoding="utf-8")
    by_file = lamp_without_landlock("sandbox", "run", str(prog))
    assert by_file.returncode == 0 and canary.exists(), by_file.stderr
    canary.unlink()
    flag_wins = lamp_without_landlock("sandbox", "run", "--sandbox", "auto", str(prog))
    assert_refused(flag_wins, "model-written code")
    assert not canary.exists()
    config.write_text('sandbox = "loose"\n', encoding="utf-8")
    bad = lamp_without_landlock("sandbox", "run", str(prog))
    assert bad.returncode == 2 and "sandbox must be one of auto, strict, best" in bad.stderr


# -- lamp sandbox info ---------------------------------------------------------------------
def test_sandbox_info_says_what_will_be_refused() -> None:
    plain = lamp_without_landlock("sandbox", "info")
    assert plain.returncode == 0, plain.stderr
    assert "auto policy here: refuses every run" in plain.stdout
    assert "policy: auto (default)" in plain.stdout
    assert "model-written code (python tool, PAL, `lamp sandbox run`, `lamp mcp serve`): " \
           "REFUSED (exit 2)" in plain.stdout
    assert "stdio MCP servers: REFUSED (exit 2)" in plain.stdout
    data = json.loads(lamp_without_landlock("sandbox", "info", "--json").stdout)
    assert data["default_policy"] == "refuse" and data["active"] == ["L0"]
    assert data["policy"]["name"] == "auto" and len(data["policy"]["refused"]) == 2
    best = json.loads(lamp_without_landlock("sandbox", "info", "--json", "--sandbox",
                                            "best").stdout)
    assert best["policy"]["refused"] == []
    assert all("NOT ISOLATED" in row["verdict"] for row in best["policy"]["runs"])


# -- lamp ask --tools python, lamp pal: refused before the model loads ---------------------
def test_python_tool_and_pal_refuse_before_the_model_loads() -> None:
    # The model server does not exist: had lamp gone on to load the model it would fail
    # with exit 1 (server down). Exit 2 with the sandbox's line means it stopped first.
    model = ["--backend", "openai", "--base-url", UNREACHABLE]
    ask = lamp_without_landlock("ask", "--no-memory", "--tools", "python", *model, "what is 6*7?")
    assert_refused(ask, "the python tool")
    default_set = lamp_without_landlock("ask", "--no-memory", "--tools", "default", *model, "hi")
    assert_refused(default_set, "the python tool")
    pal = lamp_without_landlock("pal", *model, "what is 6*7?")
    assert_refused(pal, "PAL's model-written programs")
    # Tools that run no code are not held back; with the opt-in the python tool goes on
    # (and then meets the missing model server: exit 1, not the sandbox's refusal).
    calc = lamp_without_landlock("ask", "--no-memory", "--tools", "calculator", *model, "6*7")
    best = lamp_without_landlock("ask", "--no-memory", "--tools", "python", "--sandbox",
                                 "best", *model, "6*7")
    for proc in (calc, best):
        assert proc.returncode == 1 and "refusing" not in proc.stderr, proc.stderr


def test_chat_keeps_tools_off_when_the_python_tool_would_be_refused() -> None:
    """`/tools python` in a chat says the refusal at once and leaves tools off; tools that
    run no code still switch on. (The fast model loads; nothing is generated.)"""
    chat = lamp_without_landlock("chat", "--no-memory", "-m", "qwen2.5-coder-0.5b",
                                 stdin=b"/tools python\n/tools\n/tools calculator\n",
                                 timeout=180)
    assert chat.returncode == 0, chat.stderr
    said = chat.stdout.splitlines()
    assert said[0].startswith(">>> refusing to start the python tool")
    assert "--sandbox best" in said[0]
    assert said[1].startswith(">>> tools: off")
    assert said[2].startswith(">>> (tools on: calculator")


# -- MCP servers ---------------------------------------------------------------------------
def _canary_server(tmp_path: Path, canary: Path) -> str:
    """Config for the test MCP server, behind a first line that writes a canary on start."""
    script = tmp_path / "canary_server.py"
    script.write_text(
        "import runpy, sys\n"
        "try:\n"
        f"    open({str(canary)!r}, 'w').write('started')\n"
        "except OSError as exc:\n"
        "    print('canary blocked:', exc, file=sys.stderr)\n"
        "sys.argv = sys.argv[1:]\n"
        "runpy.run_path(sys.argv[0], run_name='__main__')\n")
    # The notes server is named on the command line, so the launcher's policy lets it in.
    return (f"[mcp.servers.notes]\ncommand = {json.dumps(sys.executable)}\n"
            f"args = [{json.dumps(str(script))}, {json.dumps(str(NOTES_SERVER))}]\n"
            "startup_timeout = 60\n")


def test_mcp_server_is_not_started_without_isolation(tmp_path: Path, canary_dir: Path) -> None:
    canary = canary_dir / "server-started"
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(_canary_server(tmp_path, canary), encoding="utf-8")
    info = lamp_without_landlock("tools", "info", "notes")
    assert_refused(info, "MCP server 'notes'")
    ask = lamp_without_landlock("ask", "--no-memory", "--tools", "notes", "--backend", "openai",
                                "--base-url", UNREACHABLE, "which shelf?")
    assert_refused(ask, "MCP server 'notes'")
    assert not canary.exists()
    # Opted in: it starts, with L0 only, and lamp says what is not enforced.
    best = lamp_without_landlock("tools", "info", "notes", env={"LAMP_SANDBOX": "best"},
                                 timeout=120)
    assert best.returncode == 0, best.stderr
    assert canary.read_text() == "started"
    assert "layers: L0\n" in best.stdout and "NOT enforced" in best.stdout
    assert "RUNS WEAKER THAN STRICT" in best.stderr


# -- lamp mcp serve ------------------------------------------------------------------------
def test_mcp_serve_refuses_to_start_without_isolation() -> None:
    proc = lamp_without_landlock("mcp", "serve", "--no-pal", "--no-memory",
                                 stdin=b'{"jsonrpc":"2.0","id":1,"method":"ping"}\n')
    assert_refused(proc, "`lamp mcp serve`")
    assert proc.stdout == ""  # not one protocol message: no client sees a tool


def _list_tools(argv: list[str], env: dict[str, str]) -> list[dict]:
    """Speak MCP over stdio to ``argv`` just enough to list its tools (bounded waits)."""
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env)
    assert proc.stdin is not None and proc.stdout is not None
    try:
        for message in ({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
                            "protocolVersion": "2025-06-18", "capabilities": {},
                            "clientInfo": {"name": "test", "version": "0"}}},
                        {"jsonrpc": "2.0", "method": "notifications/initialized"},
                        {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}):
            proc.stdin.write((json.dumps(message) + "\n").encode())
        proc.stdin.flush()
        deadline = time.monotonic() + 60
        buf = b""
        while time.monotonic() < deadline:
            ready, _, _ = select.select([proc.stdout], [], [], 1)
            if not ready:
                continue
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            buf += chunk
            for line in buf.splitlines():
                reply = json.loads(line)
                if reply.get("id") == 2:
                    return reply["result"]["tools"]
        raise AssertionError(f"no tools/list reply: {buf!r} {proc.stderr.read1(4096)!r}")
    finally:
        proc.kill()
        proc.wait(timeout=10)


def test_mcp_serve_with_best_promises_nothing_it_cannot_hold() -> None:
    env = {**os.environ, "LAMP_SANDBOX_BWRAP": "off"}
    tools = _list_tools([sys.executable, str(LAUNCHER), *LAMP, "mcp", "serve", "--no-memory",
                         "--sandbox", "best"], env)
    by_name = {t["name"]: t for t in tools}
    assert set(by_name) == {"python", "pal"}
    for tool in by_name.values():
        notes = tool.get("annotations") or {}
        assert notes.get("readOnlyHint") is not True
        assert notes.get("openWorldHint") is True and notes.get("destructiveHint") is True
        assert "NOT ISOLATED" in tool["description"]
    assert "no files outside" not in by_name["python"]["description"]


# -- bubblewrap alone is isolation enough for auto ------------------------------------------
def _bwrap_works() -> bool:
    if os.environ.get("LAMP_SANDBOX_BWRAP", "").lower() in ("off", "none", "0", "no", "false"):
        return False
    return find_bwrap(os.getuid() == 0).usable


@pytest.mark.bwrap
def test_auto_runs_under_bubblewrap_alone(tmp_path: Path, canary_dir: Path) -> None:
    if not _bwrap_works():
        pytest.skip("bubblewrap is not usable here (or hidden by LAMP_SANDBOX_BWRAP)")
    canary = canary_dir / "canary"
    prog = _program(tmp_path, canary)
    proc = lamp_without_landlock("sandbox", "run", "--json", str(prog), bwrap=None)
    assert proc.returncode == 0, proc.stderr
    data = json.loads(proc.stdout)
    assert "L2" in data["layers"] and "L1" not in data["layers"]
    assert data["stdout"].startswith("blocked:")  # L2's mount namespace: no such dir there
    assert not canary.exists()


# -- the decision itself (pure) -------------------------------------------------------------
NO_L1, NO_L2 = "the kernel has no Landlock (test)", "no bwrap binary on PATH (test)"


@pytest.mark.parametrize(("policy", "l1", "l2", "mode"), [
    ("auto", None, None, "strict"), ("auto", None, NO_L2, "strict"),
    ("auto", NO_L1, None, "namespaces"), ("auto", NO_L1, NO_L2, None),
    ("strict", None, NO_L2, "strict"), ("strict", NO_L1, None, None),
    ("strict", NO_L1, NO_L2, None), ("best", NO_L1, NO_L2, "best"), ("best", None, None, "best"),
])
def test_policy_modes(policy: str, l1: str | None, l2: str | None, mode: str | None) -> None:
    iso = Isolation(policy, l1, l2)  # type: ignore[arg-type]
    assert iso.mode == mode
    why = iso.refusal("it")
    assert (why is None) == (mode is not None)
    if why is not None:
        assert "\n" not in why and OPT_IN in why
        assert ("--sandbox auto runs it under bubblewrap" in why) == (policy == "strict"
                                                                     and l2 is None)
    assert (iso.weaker() is None) == (l1 is None or l2 is None)


def test_a_refusal_is_a_usage_error_and_a_sandbox_error() -> None:
    assert issubclass(IsolationRefused, UsageError) and issubclass(IsolationRefused,
                                                                   SandboxUnavailable)
    assert exit_code_for(IsolationRefused()) == 2


@pytest.mark.bwrap
def test_auto_starts_an_mcp_server_under_bubblewrap_alone(tmp_path: Path,
                                                          canary_dir: Path) -> None:
    if not find_bwrap(False).usable:
        pytest.skip("bubblewrap is not usable here (or hidden by LAMP_SANDBOX_BWRAP)")
    canary = canary_dir / "server-started"
    config = paths.config_file()
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(_canary_server(tmp_path, canary), encoding="utf-8")
    proc = lamp_without_landlock("tools", "info", "notes", bwrap=None, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "layers: L0, L2\n" in proc.stdout
    assert "confirmed from inside the started server: L0, L2" in proc.stdout
    assert not canary.exists()  # it started, in namespaces where that folder is not there
