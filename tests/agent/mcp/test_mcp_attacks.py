"""A malicious stdio MCP server (evil_server.py, built with the SDK) tries to get out of
its confinement as a *process*: a fork bomb, a setsid() daemon that outlives lamp, a
secret read off another process's argv, all of $HOME through a script kept there,
the user's Unix sockets through `network = true`, a device node as root, and a file
written by a tool that claims to be read-only. Real processes, real sockets; it runs
with whatever layers the machine has (CI: once with bubblewrap, once without)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import pytest

from lamp.agent.mcp import McpTools, parse_servers, policy_for
from lamp.agent.tools import ToolContext, run_tool, select_tools

pytestmark = [pytest.mark.integration, pytest.mark.bwrap]

EVIL = Path(__file__).with_name("evil_server.py")


def _source(name: str = "evil", script: Path = EVIL, **extra: object) -> McpTools:
    spec = {"command": sys.executable, "args": [str(script)], "startup_timeout": 60,
            "timeout": 20, **extra}
    return McpTools.from_config(parse_servers({"servers": {name: spec}}))


def _call(source: McpTools, name: str, args: dict, approve: bool | None = True
          ) -> tuple[str, bool]:
    tool = next(t for t in select_tools([name], source=source))
    ctx = ToolContext(cwd=Path.cwd()) if approve is None else ToolContext(
        cwd=Path.cwd(), approve=lambda request: approve)
    outcome = run_tool(tool, args, ctx)
    return outcome.output, outcome.is_error


def _host_pids(ns_pids: list[int], script: Path = EVIL) -> list[int]:
    """The pids, as this test sees them, of server processes that reported ``ns_pids``
    (under L2 the server lives in its own pid namespace and sees other numbers). The
    server's children are forks of it: they share its command line."""
    wanted = set(ns_pids)
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if str(script).encode() not in Path(f"/proc/{entry}/cmdline").read_bytes():
                continue
            status = Path(f"/proc/{entry}/status").read_text(encoding="utf-8")
        except OSError:
            continue
        nspid = next((ln.split()[-1] for ln in status.splitlines()
                      if ln.startswith("NSpid:")), entry)
        if int(nspid) in wanted:
            found.append(int(entry))
    assert len(found) == len(wanted), f"not all of {sorted(wanted)} found"
    return found


def _alive(pid: int) -> bool:
    """True while ``pid`` exists and is not a zombie."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_bytes()
    except OSError:
        return False
    return stat.rsplit(b")", 1)[1].split()[0] != b"Z"


def _wait_gone(pids: list[int], seconds: float = 10) -> list[int]:
    deadline = time.monotonic() + seconds
    while (left := [p for p in pids if _alive(p)]) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def _layers(source: McpTools, name: str = "evil") -> tuple[str, ...]:
    return source.hub.connect(name).layers


@pytest.fixture
def box(tmp_path: Path) -> Path:
    """A folder the policy lets the server write (so its tools are not read-only)."""
    folder = tmp_path / "box"
    folder.mkdir()
    return folder


# -- a process-count limit --------------------------------------------------------------

def test_a_fork_bomb_stops_at_the_process_limit_and_leaves_nothing(box: Path) -> None:
    source = _source(processes=40, write=[str(box)])
    try:
        output, is_error = _call(source, "evil.fork_bomb", {"count": 500, "hold_seconds": 20})
        assert not is_error, output
        started = int(output.split()[1])
        pids = _host_pids([int(p) for p in output.split(" PIDS ")[1].split(" ERROR")[0]
                           .split(",") if p])
        # threads count too (the server has a few), so fewer than 40 processes start
        assert 0 < started < 40, output
        assert "BlockingIOError" in output or "Resource temporarily unavailable" in output
        # lamp's own account is fine meanwhile: it can still start a process
        assert subprocess.run(["/bin/true"], timeout=10).returncode == 0
    finally:
        source.close()
    assert _wait_gone(pids) == []


# -- the whole tree dies with lamp -------------------------------------------------------

def _growing(path: Path, seconds: float = 10) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists() and path.stat().st_size >= 4:
            return True
        time.sleep(0.05)
    return False


def _stopped_growing(path: Path) -> bool:
    """The file's size stays the same over 0.5 s (the daemon wrote every 50 ms)."""
    time.sleep(0.3)  # let the kill land
    before = path.stat().st_size
    time.sleep(0.5)
    return path.stat().st_size == before


# As root a server gets a fresh uid, and lamp also sweeps it; "launcher only" turns that
# off (as for a user who is not root) to show the launcher's subreaper holds on its own.
_SWEEPS = [pytest.param(True, id="as-lamp-runs"),
           pytest.param(False, id="launcher-only")]


@pytest.mark.parametrize("sweep", _SWEEPS)
def test_a_setsid_daemon_dies_when_the_session_closes(
        box: Path, sweep: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    if not sweep:
        monkeypatch.setattr("lamp.agent.mcp.confine._server_uid", lambda: None)
    target = box / "beacon.log"
    source = _source(write=[str(box)])
    try:
        output, is_error = _call(source, "evil.spawn_writer",
                                 {"path": str(target), "seconds": 30})
        assert not is_error, output
        daemon, = _host_pids([int(output)])
        assert _growing(target) and _alive(daemon)
    finally:
        source.close()
    assert _wait_gone([daemon]) == []
    assert _stopped_growing(target)


_HOLDER = """
import json, sys
from pathlib import Path
from lamp.agent.mcp import McpTools, confine, parse_servers
from lamp.agent.tools import ToolContext, run_tool, select_tools
script, box, target, sweep = sys.argv[1:]
if sweep == "0":
    confine._server_uid = lambda: None
source = McpTools.from_config(parse_servers({"servers": {"evil": {
    "command": sys.executable, "args": [script], "write": [box], "startup_timeout": 60}}}))
tool = next(t for t in select_tools(["evil.spawn_writer"], source=source))
out = run_tool(tool, {"path": target, "seconds": 30},
               ToolContext(cwd=Path.cwd(), approve=lambda request: True))
print(out.output, flush=True)
import time; time.sleep(60)
"""


@pytest.mark.parametrize("sweep", _SWEEPS)
def test_a_setsid_daemon_dies_even_when_lamp_is_killed(box: Path, sweep: bool) -> None:
    target = box / "beacon.log"
    holder = subprocess.Popen([sys.executable, "-c", _HOLDER, str(EVIL), str(box),
                               str(target), str(int(sweep))], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL)
    try:
        assert holder.stdout is not None
        daemon, = _host_pids([int(holder.stdout.readline())])
        assert _growing(target) and _alive(daemon)
        holder.kill()  # SIGKILL: no close(), no atexit
        holder.wait(10)
        assert _wait_gone([daemon]) == []
        assert _stopped_growing(target)
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait(10)


# -- no secret on any argv ---------------------------------------------------------------

def test_no_secret_of_the_server_env_is_on_any_argv() -> None:
    secret = f"s3cret-{uuid.uuid4().hex}"
    source = _source(env={"EVIL_TOKEN": secret})
    try:
        assert _call(source, "evil.env_value", {"name": "EVIL_TOKEN"}) == (secret, False)
        seen = []
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    if secret.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                        seen.append(int(entry))
                except OSError:
                    continue
        assert seen == []
        launch = source.hub.connect("evil").launch
        assert launch is not None and secret not in " ".join(launch.args)
        assert not (Path(launch.workdir) / ".lamp-boot.json").exists()  # read, then deleted
    finally:
        source.close()


# -- a script in $HOME does not get $HOME ---------------------------------------------------

def test_a_server_script_in_home_gets_itself_not_the_home(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    home = tmp_path / "home"
    (home / ".ssh").mkdir(parents=True)
    key = home / ".ssh" / "id_rsa"
    key.write_text("-----BEGIN OPENSSH PRIVATE KEY----- sesame", encoding="utf-8")
    script = home / "evil_server.py"
    shutil.copyfile(EVIL, script)
    monkeypatch.setenv("HOME", str(home))
    servers = parse_servers({"servers": {"evil": {"command": sys.executable,
                                                   "args": [str(script)]}}})
    policy = policy_for(servers["evil"])
    assert str(home) not in policy.runtime_read and str(script) in policy.runtime_read
    source = _source(script=script)
    try:
        assert _call(source, "evil.own_path", {}) == (str(script), False)  # it runs
        output, is_error = _call(source, "evil.read_file", {"path": str(key)})
        assert is_error and "sesame" not in output
    finally:
        source.close()


# -- network = true: IP only, never the user's Unix sockets --------------------------------

def test_network_true_reaches_ip_but_not_a_unix_socket(tmp_path: Path) -> None:
    path = str(tmp_path / "agent.sock")
    served: list[int] = []
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as unix, \
            socket.socket() as tcp:
        unix.bind(path)
        unix.listen()
        unix.settimeout(15)  # the accepting thread stops by itself
        tcp.bind(("127.0.0.1", 0))
        tcp.listen()

        def accept() -> None:
            try:
                conn, _ = unix.accept()
            except OSError:
                return
            with conn:
                served.append(1)
                conn.sendall(b"ssh-agent here")

        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        # the socket works for anyone it is not hidden from
        with socket.socket(socket.AF_UNIX) as probe:
            probe.connect(path)
            assert probe.recv(100) == b"ssh-agent here"
        served.clear()
        thread.join(5)
        thread = threading.Thread(target=accept, daemon=True)
        thread.start()
        source = _source(network=True)
        try:
            output, is_error = _call(source, "evil.unix_connect", {"path": path})
            assert is_error and "CONNECTED" not in output, output
            assert _call(source, "evil.tcp_connect", {"port": tcp.getsockname()[1]}) == (
                "connected", False)
            address, is_error = _call(source, "evil.resolve", {"host": "localhost"})
            assert not is_error and address in ("127.0.0.1", "::1"), address
        finally:
            source.close()
        assert served == []


# -- as root: no capabilities, no device nodes, no uid 0 back --------------------------------

@pytest.mark.skipif(os.geteuid() != 0, reason="the capability checks need lamp to run as root")
def test_as_root_a_server_has_no_capabilities_and_cannot_mknod() -> None:
    source = _source()
    try:
        output, is_error = _call(source, "evil.make_device", {})
        assert not is_error and "MADE" not in output, output
        pid, = _host_pids([int(_call(source, "evil.pid", {})[0])])
        creds = Path(f"/proc/{pid}/status").read_text(encoding="utf-8")
        fields = {k: v.strip() for k, v in (line.split(":", 1) for line in creds.splitlines())}
        for name in ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"):
            assert int(fields[name], 16) == 0, creds
        assert fields["Uid"].split()[0] != "0", creds  # a fresh real uid: NPROC counts it
        if "L1" in _layers(source):
            assert _call(source, "evil.take_uid_back", {})[0].startswith("refused")
    finally:
        source.close()


# -- MCP annotations are believed only for trusted servers --------------------------------

def test_a_read_only_claim_from_an_untrusted_server_still_asks(box: Path) -> None:
    source = _source(write=[str(box)])  # it may write: not read-only by lamp's policy
    try:
        tool = next(t for t in select_tools(["evil.tidy"], source=source))
        assert tool.needs_approval
        output, is_error = _call(source, "evil.tidy", {"path": str(box)}, approve=False)
        assert is_error and output.startswith("refused")
        output, is_error = _call(source, "evil.tidy", {"path": str(box)}, approve=None)
        assert is_error and output.startswith("refused")  # no way to ask: refused
        assert not (box / "pwned.txt").exists()
    finally:
        source.close()


def test_a_trusted_server_s_read_only_claim_is_believed(box: Path) -> None:
    source = _source(write=[str(box)], trusted=True)
    try:
        tools = {t.name: t for t in select_tools(["evil"], source=source)}
        assert not tools["evil.tidy"].needs_approval  # the person vouched for it
        assert tools["evil.unmarked"].needs_approval  # no claim, no pass
    finally:
        source.close()


def test_a_server_read_only_by_lamp_s_policy_runs_claimed_tools_unasked(box: Path) -> None:
    source = _source()  # no write paths, no network: only its temp dir is writable
    try:
        tools = {t.name: t for t in select_tools(["evil"], source=source)}
        conn = source.hub.connect("evil")
        assert conn.read_only and {"L1", "L2"} & set(conn.layers)
        assert not tools["evil.tidy"].needs_approval
        assert tools["evil.unmarked"].needs_approval
        output, is_error = _call(source, "evil.tidy", {"path": str(box)}, approve=None)
        assert is_error and not (box / "pwned.txt").exists(), output  # confinement said no
    finally:
        source.close()

