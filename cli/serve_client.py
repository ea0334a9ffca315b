"""The client half of `lamp serve`: forward `lamp ask` and `lamp pal` to a warm server.

It must never make things worse than running in process: no server, a stale
socket, a server that answers "not for me" (other model settings), or one that
dies before printing anything all fall back to the normal in-process path,
with stdin (already read) handed over intact. A server that dies after output
began is a clear one-line error, never a hang and never duplicated output.

A request carries argv, the working directory, piped stdin and the ``LAMP_*``
environment (``LAMP_API_KEY`` too), so nothing is sent before the other end is
shown to be this user's (serve_guard: the socket and its folder are this
user's and nobody else can write there; then the peer's uid from the kernel).
When that fails the call runs in process with one warning line: the answer is
the same, nothing leaves the process, and the warning says what was found.
Calls with tools (approvals on this terminal) are never forwarded.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import shutil
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

from lamp.agent.app.output import Caller, Output

from .serve_guard import Untrusted, check_peer, check_socket, forwardable, make_folder

__all__ = ["connect", "launch_server", "request", "try_forward"]

READ_TIMEOUT = 300.0  # seconds without a single frame from the server
START_TIMEOUT = 120.0  # seconds an auto-started server may take to load its model


def connect(path: Path, timeout: float = 2.0) -> socket.socket | None:
    """A connection to this user's live server, or None when there is none; removes a stale
    socket file left by a dead one. Raises Untrusted when the socket, its folder or the
    process behind it is not this user's: then nothing may be sent."""
    if not check_socket(path):
        return None
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    sock.settimeout(timeout)
    try:
        sock.connect(str(path))
    except (ConnectionRefusedError, FileNotFoundError):
        sock.close()
        with contextlib.suppress(OSError):
            path.unlink()  # nobody listens: a server was killed and left its socket
        return None
    except OSError:
        sock.close()
        return None
    try:
        check_peer(sock, path)  # also covers a swap between check_socket and connect
    except BaseException:
        sock.close()
        raise
    return sock


def request(sock: socket.socket, payload: dict[str, Any]) -> Any:
    """Send one JSON request; return a line reader over the server's JSON frames."""
    sock.sendall(json.dumps(payload).encode() + b"\n")
    return sock.makefile("rb")


def _stdin_bytes(output: Output) -> bytes | None:
    stream = output.stdin
    if stream is None or output.stdin_terminal:
        return None
    return stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode()


def _restore_stdin(data: bytes | None) -> None:
    """Give the in-process fallback the stdin this client already consumed (this process's
    own stdin: the fallback's ``Caller.of_process()`` reads it there)."""
    if data is not None:
        sys.stdin = io.TextIOWrapper(io.BytesIO(data), encoding="utf-8", errors="replace")


def launch_server(path: Path, args: list[str]) -> tuple[subprocess.Popen[bytes], Path]:
    """Start `lamp serve ARGS` in its own session, detached from this terminal, logging to
    serve.log beside the socket ``path``: the process and the log's path."""
    make_folder(path.parent)  # Untrusted when the folder is not private: start nothing
    log = path.with_name("serve.log")
    from lamp.memory.private_fs import private_opener  # 0600, no symlink followed

    with open(log, "ab", opener=private_opener) as fh:
        proc = subprocess.Popen([sys.executable, "-m", "lamp.cli", "serve", *args],
                                stdin=subprocess.DEVNULL, stdout=fh, stderr=fh,
                                start_new_session=True)
    return proc, log


def _auto_serve_idle(caller: Caller) -> float:
    """The `auto_serve` setting (config file or LAMP_AUTO_SERVE): 0 when off or unreadable
    (then the in-process run reads the settings again and reports what is wrong)."""
    from lamp.agent.config.settings import load_settings
    from lamp.agent.errors import UsageError

    try:
        return max(0.0, load_settings({}, env=caller.env).auto_serve)
    except UsageError:
        return 0.0


def _start_server(path: Path, idle: float) -> socket.socket | None:
    """Start `lamp serve` in the background with idle timeout ``idle`` and connect once its
    model is loaded, so this call is its first; None (run in process) when the server does
    not come up. Two callers racing both start one: the second to bind its socket exits
    ("already running") and both connect to the winner."""
    import time

    proc, _ = launch_server(path, ["--idle-timeout", f"{idle:g}"])
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        sock = connect(path)
        if sock is not None:
            return sock
        if proc.poll() is not None and proc.returncode != 0:
            time.sleep(0.2)  # lost a race to another caller's server: its socket comes
            return connect(path)
        time.sleep(0.1)
    return None


def _server_for(path: Path, caller: Caller) -> tuple[socket.socket | None, bytes | None]:
    """A verified connection to this user's server (None: run in process) and the piped
    stdin, read before connecting so that a connection is never left idle while a slow
    pipe fills (the server gives a request a few seconds)."""
    present = check_socket(path)
    idle = 0.0 if present else _auto_serve_idle(caller)
    if not present and idle <= 0:
        return None, None
    data = _stdin_bytes(caller.output)
    try:
        sock = connect(path) if present else None
        if sock is None:
            idle = idle or _auto_serve_idle(caller)
            sock = _start_server(path, idle) if idle > 0 else None
    except BaseException:
        _restore_stdin(data)
        raise
    return sock, data


def try_forward(argv: list[str]) -> int | None:
    """The exit code of the forwarded command, or None to run it in process."""
    caller = Caller.of_process()  # this client: what the server's Caller for it is made of
    if caller.env.get("LAMP_NO_SERVER") or not forwardable(argv):
        return None  # e.g. tools: they ask on this terminal, so they run here
    from lamp.agent.config.paths import Paths

    from . import errors

    output = caller.output
    path = Paths(caller.env).serve_socket()
    try:
        sock, data = _server_for(path, caller)
    except Untrusted as exc:
        output.warn(f"not using the lamp server socket {path}: {exc}; answering in process")
        return None
    if sock is None:
        _restore_stdin(data)
        return None
    payload = {
        "op": "run", "argv": argv, "cwd": str(caller.cwd),
        "stdin_b64": base64.b64encode(data).decode() if data is not None else None,
        "stdout_tty": output.stdout_terminal, "stderr_tty": output.stderr_terminal,
        "columns": shutil.get_terminal_size().columns,
        "env": {k: v for k, v in caller.env.items()
                if k.startswith("LAMP_") or k in ("TERM", "NO_COLOR", "COLUMNS")},
    }
    wrote = False
    try:
        sock.settimeout(READ_TIMEOUT)
        frames = request(sock, payload)
        for line in frames:
            frame = json.loads(line)
            if "out" in frame:
                output.write(frame["out"])
                wrote = True
            elif "err" in frame:
                output.stderr.write(frame["err"])
                output.stderr.flush()
                wrote = True
            elif "exit" in frame:
                return int(frame["exit"])
            elif "fallback" in frame:
                break
    except KeyboardInterrupt as exc:
        return errors.report(exc)
    except (OSError, ValueError) as exc:
        if wrote:
            errors.error_line(f"the lamp server failed mid-answer ({exc})")
            return errors.EXIT_MODEL
    finally:
        sock.close()
    if wrote:
        errors.error_line("the lamp server stopped mid-answer")
        return errors.EXIT_MODEL
    _restore_stdin(data)
    return None
