"""Real MCP servers built with the SDK (notes_server.py): started confined over stdio,
reached over streamable HTTP on 127.0.0.1, killed mid-call; and `lamp mcp serve` driven
by the SDK's own client. Runs with whatever layers this machine has (CI: once without
bubblewrap, once with it); what a denial looks like depends on the layer, the denial
itself does not."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from lamp.agent.errors import LampError
from lamp.agent.mcp import McpError, McpTools, parse_servers, policy_for
from lamp.agent.tools import ToolContext, run_tool, select_tools

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

SERVER = Path(__file__).with_name("notes_server.py")
SECRET = "the vault opens at dawn"


def _config(**extra: object) -> dict:
    return {"command": sys.executable, "args": [str(SERVER)], "startup_timeout": 60, **extra}


@pytest.fixture(scope="module")
def allowed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("allowed")
    (folder / "note.txt").write_text("bring the quartz lantern", encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def secret(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("outside") / "secret.txt"
    path.write_text(SECRET, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def notes(allowed: Path) -> Iterator[McpTools]:
    """One confined server for the module (starting Python plus the SDK takes seconds)."""
    source = McpTools.from_config(parse_servers(
        {"servers": {"notes": _config(read=[str(allowed)], timeout=5)}}))
    yield source
    source.close()


def _call(source: McpTools, name: str, args: dict) -> tuple[str, bool]:
    tool = next(t for t in select_tools([name], source=source))
    outcome = run_tool(tool, args, ToolContext(cwd=Path.cwd()))
    return outcome.output, outcome.is_error


def test_tools_are_listed_with_names_schemas_and_approval(notes: McpTools) -> None:
    tools = {t.name: t for t in select_tools(["notes"], source=notes)}
    assert {"notes.word_count", "notes.shelf", "notes.read_text", "notes.write_text"} <= set(tools)
    assert tools["notes.read_text"].input_schema["properties"]["limit"] == {"type": "integer"}
    assert not tools["notes.shelf"].needs_approval  # the server marks it read-only
    assert tools["notes.write_text"].needs_approval  # no annotation: it asks


def test_calls_return_text_structured_content_and_errors(notes: McpTools) -> None:
    assert _call(notes, "notes.word_count", {"text": "one two three"}) == (
        '{\n  "words": 3,\n  "characters": 13\n}', False)
    assert _call(notes, "notes.shelf", {"item": "놋쇠 수달"}) == ("선반 12-B", False)
    output, is_error = _call(notes, "notes.shelf", {"item": "anvil"})
    assert is_error and "no item named 'anvil'" in output


def test_the_confined_server_is_confirmed_from_inside(notes: McpTools) -> None:
    conn = notes.hub.connect("notes")
    assert conn.policy is not None
    assert conn.layers == conn.policy.layers  # every layer planned was confirmed
    assert "L1" in conn.layers  # this test machine has Landlock and seccomp


def test_a_read_inside_the_policy_works_and_one_outside_is_denied(
        notes: McpTools, allowed: Path, secret: Path) -> None:
    assert _call(notes, "notes.read_text", {"path": str(allowed / "note.txt")}) == (
        "bring the quartz lantern", False)
    output, is_error = _call(notes, "notes.read_text", {"path": str(secret)})
    assert is_error and SECRET not in output
    # L1 alone: Landlock says EACCES (and lamp names itself as the cause); with L2 the
    # file is not even in the server's mount namespace.
    layers = notes.hub.connect("notes").layers
    if "L2" in layers:
        assert "No such file" in output or "Permission denied" in output
    else:
        assert "Permission denied" in output and "lamp's confinement" in output
    assert secret.read_text(encoding="utf-8") == SECRET


def test_writes_outside_its_temp_dir_are_denied(notes: McpTools, allowed: Path) -> None:
    # write_text asks first; with no approver it is refused before it reaches the server
    output, is_error = _call(notes, "notes.write_text", {"path": "x", "text": "y"})
    assert is_error and output.startswith("refused")
    tool = next(t for t in select_tools(["notes.write_text"], source=notes))
    target = allowed / "written.txt"
    outcome = run_tool(tool, {"path": str(target), "text": "y"},
                       ToolContext(cwd=Path.cwd(), approve=lambda request: True))
    assert outcome.is_error and not target.exists()  # read-only by policy


def test_opening_a_socket_is_denied(notes: McpTools) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        output, is_error = _call(notes, "notes.connect", {"port": port})
    assert is_error and "connected" not in output
    assert "Operation not permitted" in output or "Permission denied" in output


def test_a_server_allowed_the_network_can_connect() -> None:
    # trusted: with the network its readOnlyHint is only its word, which lamp then believes
    source = McpTools.from_config(parse_servers({"servers": {"net": _config(network=True,
                                                                             trusted=True)}}))
    try:
        with socket.socket() as listener:
            listener.bind(("127.0.0.1", 0))
            listener.listen()
            assert _call(source, "net.connect", {"port": listener.getsockname()[1]}) == (
                "connected", False)
        policy = source.hub.connect("net").policy
        assert policy is not None and policy.enforcement["network access"].startswith(
            "allowed by the policy")
    finally:
        source.close()


def test_a_hung_call_times_out_as_an_error_observation(notes: McpTools) -> None:
    output, is_error = _call(notes, "notes.nap", {"seconds": 30})  # the policy allows 5 s
    assert is_error and "did not answer" in output
    assert _call(notes, "notes.shelf", {"item": "brass otter"}) == ("shelf 12-B", False)


def test_a_server_that_exits_mid_call_is_an_error_then_not_running() -> None:
    source = McpTools.from_config(parse_servers({"servers": {"notes": _config()}}))
    try:
        output, is_error = _call(source, "notes.crash", {})
        assert is_error and "stopped during the call" in output
        output, is_error = _call(source, "notes.shelf", {"item": "brass otter"})
        assert is_error and "not running" in output
    finally:
        source.close()


def _pids_with(token: str) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                cmdline = Path(f"/proc/{entry}/cmdline").read_bytes()
            except OSError:
                continue
            if token.encode() in cmdline and b"notes_server.py" in cmdline \
                    and b"bwrap" not in cmdline and b"_bootstrap" not in cmdline:
                found.append(int(entry))
    return found


def test_a_server_killed_mid_call_gives_an_error_and_no_process_outlives_lamp() -> None:
    token = f"token-{uuid.uuid4().hex}"
    source = McpTools.from_config(parse_servers({"servers": {"notes": _config(
        args=[str(SERVER), token])}}))
    try:
        tool = next(t for t in select_tools(["notes.nap"], source=source))
        pids = [p for p in _pids_with(token) if p != os.getpid()]
        assert pids, "the server process should be running"
        killer = threading.Timer(1.0, lambda: [os.kill(p, signal.SIGKILL) for p in pids])
        killer.start()
        outcome = run_tool(tool, {"seconds": 20}, ToolContext(cwd=Path.cwd()))
        killer.join()
        assert outcome.is_error and "stopped during the call" in outcome.output
    finally:
        source.close()
    assert _pids_with(token) == []


def test_close_stops_the_server_process() -> None:
    token = f"token-{uuid.uuid4().hex}"
    source = McpTools.from_config(parse_servers({"servers": {"notes": _config(
        args=[str(SERVER), token])}}))
    select_tools(["notes"], source=source)
    assert _pids_with(token)
    source.close()
    deadline = time.monotonic() + 10
    while _pids_with(token) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert _pids_with(token) == []


_HOLDER = """
import sys, time
from lamp.agent.mcp import McpTools, parse_servers
from lamp.agent.tools import select_tools
source = McpTools.from_config(parse_servers({"servers": {"notes": {
    "command": sys.executable, "args": sys.argv[1:], "startup_timeout": 60}}}))
select_tools(["notes"], source=source)
print("ready", flush=True)
time.sleep(120)
"""


def test_a_server_dies_with_lamp_even_when_lamp_is_killed() -> None:
    token = f"token-{uuid.uuid4().hex}"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(SERVER), token],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        assert holder.stdout is not None and holder.stdout.readline() == b"ready\n"
        assert [p for p in _pids_with(token) if p != holder.pid]  # the server itself
        holder.kill()  # SIGKILL: no close(), no atexit; the kernel's parent-death signal
        holder.wait(10)
        deadline = time.monotonic() + 10
        while _pids_with(token) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _pids_with(token) == []
    finally:
        if holder.poll() is None:
            holder.kill()


def _start_failure(servers: dict, name: str) -> str:
    """The one-line error that selecting ``name``'s tools gives."""
    source = McpTools.from_config(servers)
    try:
        with pytest.raises(McpError) as info:
            select_tools([name], source=source)
    finally:
        source.close()
    return str(info.value)


def test_a_command_that_is_not_an_mcp_server_fails_with_one_line() -> None:
    message = _start_failure(parse_servers({"servers": {"bad": {
        "command": sys.executable, "args": ["-c", "print('hello'); import sys; "
                                            "sys.stderr.write('not a server\\n')"]}}}), "bad")
    assert "'bad'" in message and "failed to start" in message and "\n" not in message


def test_a_server_that_sends_garbage_fails_with_one_line_not_a_hang(capfd) -> None:
    garbage = "import sys\nfor line in sys.stdin:\n    print('{not json', flush=True)"
    source = McpTools.from_config(parse_servers({"servers": {"noise": {
        "command": sys.executable, "args": ["-c", garbage], "startup_timeout": 3}}}))
    try:
        with pytest.raises(McpError, match="no answer to the MCP handshake within 3 s"):
            select_tools(["noise"], source=source)
    finally:
        source.close()
    assert "Traceback" not in capfd.readouterr().err  # the SDK's own logging stays quiet


def test_a_server_that_reads_outside_its_policy_at_start_fails_naming_the_path(
        secret: Path) -> None:
    servers = parse_servers({"servers": {"greedy": {
        "command": sys.executable, "args": ["-c", f"open({str(secret)!r}).read()"]}}})
    message = _start_failure(servers, "greedy")
    assert "\n" not in message and "'greedy'" in message and str(secret) in message
    if "L2" in policy_for(servers["greedy"]).layers:
        assert "No such file" in message  # the file is not in its mount namespace at all
    else:
        assert "Permission denied" in message and "lamp's confinement" in message


def test_an_unknown_tool_of_a_known_server_is_a_usage_error(notes: McpTools) -> None:
    with pytest.raises(LampError, match="has no tool 'teleport'"):
        select_tools(["notes.teleport"], source=notes)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_streamable_http_server_on_loopback() -> None:
    port = _free_port()
    proc = subprocess.Popen([sys.executable, str(SERVER), "--http", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.2)
        source = McpTools.from_config(parse_servers({"servers": {"web": {
            "url": f"http://127.0.0.1:{port}/mcp", "trusted": True}}}))  # lamp confines nothing:
        # only the person's trust lets its readOnlyHint skip the approval
        try:
            assert _call(source, "web.word_count", {"text": "a b"}) == (
                '{\n  "words": 2,\n  "characters": 3\n}', False)
            assert source.hub.connect("web").policy is None  # lamp confines nothing remote
        finally:
            source.close()
    finally:
        proc.kill()
        proc.wait(10)


def test_lamp_mcp_serve_runs_python_in_the_sandbox_for_an_sdk_client(secret: Path) -> None:
    import anyio
    from mcp import Client, StdioServerParameters

    async def session() -> tuple[list[str], str, str]:
        params = StdioServerParameters(command=sys.executable, args=[
            "-m", "lamp.cli", "mcp", "serve", "--no-pal", "--no-memory"],
            env={"LAMP_HOME": os.environ["LAMP_HOME"]})
        async with Client(params) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            product = await client.call_tool("python", {"code": "print(2 ** 100)"})
            escape = await client.call_tool("python", {"code": f"print(open({str(secret)!r})"
                                                               ".read())"})
            return names, product.content[0].text, escape.content[0].text

    names, product, escape = anyio.run(session)
    assert names == ["python"]
    assert product.strip() == str(2 ** 100)
    assert SECRET not in escape and "error" in escape
