"""Fixtures for the sandbox tests: canaries the parent plants and checks after every run.

Canaries are deliberately world-readable (and the "outside" dir world-writable)
so that a containment check passes only because the sandbox layers hold, not
because the dropped uid happens to lack permission.
"""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sysconfig
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from lamp.agent.sandbox import Sandbox
from lamp.agent.sandbox._bwrap import find_bwrap
from lamp.agent.sandbox._host import sandbox_uid
from lamp.agent.sandbox._runner import _static_l1

UID_BLOCK = range(0x5A00_0000, 0x5B00_0000)
IS_ROOT = os.geteuid() == 0


@dataclass
class Canaries:
    secret: str
    home: Path
    ssh_key: Path
    config: Path
    bashrc: Path
    outside: Path
    victim_file: Path
    mark: Path
    pth: Path
    victim: subprocess.Popen[bytes]
    tcp: socket.socket
    udp: socket.socket
    unix: socket.socket
    unix_path: Path
    abstract: socket.socket
    abstract_name: str
    tmp_escape: Path
    listing: list[str] = field(default_factory=list)

    @property
    def tcp_port(self) -> int:
        return self.tcp.getsockname()[1]

    @property
    def udp_port(self) -> int:
        return self.udp.getsockname()[1]

    def subs(self) -> dict[str, object]:
        """Values the attack templates refer to as $name."""
        return {
            "secret_file": self.ssh_key, "config": self.config, "home": self.home,
            "bashrc": self.bashrc, "outside": self.outside, "victim_file": self.victim_file,
            "mark": self.mark, "pth": self.pth, "victim_pid": self.victim.pid,
            "parent_pid": os.getpid(), "tcp_port": self.tcp_port, "udp_port": self.udp_port,
            "unix_path": self.unix_path, "abstract": self.abstract_name,
            "tmp_escape": self.tmp_escape,
        }


def _listener(kind: int, stype: int, addr: object) -> socket.socket:
    s = socket.socket(kind, stype)
    s.bind(addr)
    if stype == socket.SOCK_STREAM:
        s.listen(8)
    s.setblocking(False)
    return s


@pytest.fixture(scope="session")
def canaries(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Canaries]:
    secret = "LAMPSECRET-" + secrets.token_hex(12)
    root = tmp_path_factory.mktemp("canary")
    os.chmod(root, 0o755)
    home = root / "home"
    (home / ".ssh").mkdir(parents=True)
    (home / ".config" / "app").mkdir(parents=True)
    ssh_key = home / ".ssh" / "id_ed25519"
    ssh_key.write_text(f"-----BEGIN OPENSSH PRIVATE KEY-----\n{secret}\n")
    config = home / ".config" / "app" / "config.toml"
    config.write_text(f'api_key = "{secret}"\n')
    bashrc = home / ".bashrc"
    bashrc.write_text("# untouched\n")
    outside = root / "outside"
    outside.mkdir()
    victim_file = outside / "victim.txt"
    victim_file.write_text("keep me\n")
    for p in [home, *home.rglob("*"), outside]:
        os.chmod(p, 0o777 if p.is_dir() else 0o666)
    os.chmod(victim_file, 0o666)
    pth = Path(sysconfig.get_paths()["purelib"]) / "lamp_sandbox_evil.pth"
    env = {"PATH": "/usr/bin:/bin", "SANDBOX_TEST_OPENAI_API_KEY": secret}
    victim = subprocess.Popen(["sleep", "600"], env=env, start_new_session=True)
    unix_path = outside / "listener.sock"
    abstract_name = "lamp-test-" + secrets.token_hex(6)
    c = Canaries(
        secret=secret, home=home, ssh_key=ssh_key, config=config, bashrc=bashrc,
        outside=outside, victim_file=victim_file, mark=outside / "MARK", pth=pth,
        victim=victim,
        tcp=_listener(socket.AF_INET, socket.SOCK_STREAM, ("127.0.0.1", 0)),
        udp=_listener(socket.AF_INET, socket.SOCK_DGRAM, ("127.0.0.1", 0)),
        unix=_listener(socket.AF_UNIX, socket.SOCK_STREAM, str(unix_path)),
        unix_path=unix_path,
        abstract=_listener(socket.AF_UNIX, socket.SOCK_STREAM, "\0" + abstract_name),
        abstract_name=abstract_name,
        tmp_escape=Path("/tmp") / f"lamp-sbx-escape-{secrets.token_hex(6)}",
    )
    os.chmod(unix_path, 0o777)
    c.listing = sorted(os.listdir(outside))
    os.environ["SANDBOX_TEST_OPENAI_API_KEY"] = secret  # the sandbox must not inherit it
    try:
        yield c
    finally:
        os.environ.pop("SANDBOX_TEST_OPENAI_API_KEY", None)
        victim.kill()  # the sleeper this fixture started, by its own handle
        victim.wait()
        for s in (c.tcp, c.udp, c.unix, c.abstract):
            s.close()
        for planted in (pth, c.tmp_escape):
            if planted.exists():
                planted.unlink()


def assert_contained(c: Canaries, out: str) -> None:
    """The checks every run must pass, whatever the code tried.

    Evidence of an escape is recorded, then cleaned up, so that one escape
    (only ever expected when measuring L0 alone) does not fail later cases.
    """
    problems = []
    if c.secret in out:
        problems.append("a secret reached the sandbox's output")
    if not c.victim_file.exists() or c.victim_file.read_text() != "keep me\n":
        problems.append("the victim file outside the work dir changed")
        c.victim_file.write_text("keep me\n")
        os.chmod(c.victim_file, 0o666)
    for extra in set(os.listdir(c.outside)) - set(c.listing):
        problems.append(f"{extra} was written outside the work dir")
        os.unlink(c.outside / extra)
    if c.bashrc.read_text() != "# untouched\n":
        problems.append(".bashrc changed")
        c.bashrc.write_text("# untouched\n")
    for planted in (c.pth, c.tmp_escape):
        if planted.exists():
            problems.append(f"{planted} was planted")
            planted.unlink()
    assert not problems, problems
    assert c.victim.poll() is None, "the test's sleeper was killed"
    state = Path(f"/proc/{c.victim.pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    assert state not in ("T", "t"), "the test's sleeper was stopped or traced"
    for lst in (c.tcp, c.unix, c.abstract):
        with pytest.raises(BlockingIOError):
            lst.accept()[0].close()
    with pytest.raises(BlockingIOError):
        c.udp.recv(100)
    if IS_ROOT:
        assert _gone_within(KILL_GRACE), "a sandboxed process outlived its run"


# SIGKILL is delivered asynchronously: when a run returns, a process of its group (or of
# its bubblewrap pid namespace, whose init has just died) can still be on its way out for
# a moment. CI caught one live ~once in three full runs; a process that survives this
# long was not killed at all.
KILL_GRACE = 2.0


def _gone_within(seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while leftover_sandbox_processes():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


@pytest.fixture
def check_contained():  # type: ignore[no-untyped-def]
    """The shared after-run checks, as a fixture (test modules do not import conftest)."""
    return assert_contained


def leftover_sandbox_processes() -> list[int]:
    """Pids of live processes whose real uid is in the sandbox's uid block.

    Zombies do not count: they are dead, and wait for whichever process
    inherited them (in a container, its init) to reap them.
    """
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                fields = dict(x.split(b":", 1) for x in fh if b":" in x)
            uid = int(fields[b"Uid"].split()[0])
            state = fields[b"State"].split()[0]
        except (OSError, KeyError, ValueError):
            continue
        if uid in UID_BLOCK and state not in (b"Z", b"X"):
            found.append(int(name))
    return found


def _config_ids() -> list[object]:
    # Only the L2 configuration depends on bubblewrap: CI's bubblewrap pass runs just that one.
    ids: list[object] = ["L0+L1", pytest.param("L0+L1+L2", marks=pytest.mark.bwrap)]
    if os.environ.get("LAMP_SANDBOX_MEASURE_L0"):
        ids.append("L0-only")
    return ids


@pytest.fixture(params=_config_ids())
def make_sandbox(request: pytest.FixtureRequest):  # type: ignore[no-untyped-def]
    """A factory of sandboxes for one layer configuration; skips what this machine lacks."""
    config = request.param
    if (why := _static_l1()) and config != "L0-only":
        pytest.skip(f"L1 unavailable here: {why}")
    if config == "L0+L1+L2":
        bw = find_bwrap(sandbox_uid() is not None)
        if not bw.usable:
            pytest.skip(f"L2 unavailable here: {bw.reason}")

    def make(**kw: object) -> Sandbox:
        sb = Sandbox(policy="best" if config == "L0-only" else "strict",
                     namespaces=config == "L0+L1+L2", **kw)  # type: ignore[arg-type]
        if config == "L0-only":
            sb._confine = False
        return sb

    make.config = config  # type: ignore[attr-defined]
    return make

