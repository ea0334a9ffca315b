"""`lamp serve`: keep the model (and memory) loaded and answer lamp's own one-shot calls.

A fresh `lamp ask` pays for starting Python, loading the model and opening the
memory store. `lamp serve` pays once and listens on a Unix socket that only
this user can reach (0700 directory, 0600 socket, peer uid checked). A
forwarded call runs through the very same command code as in process: its
stdin, stdout, stderr, environment and working directory are the caller's, so
output and exit codes cannot drift. Requests are served one at a time (one
model); a request whose model settings differ from the server's is handed back
to the caller to run in process. The warm model reaches a forwarded command
the way any model does: ``execute(argv, model_source=...)`` hands it to that
command's Runtime, which asks for it when the answer starts.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import signal
import socket
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Annotated, Any

import typer

from lamp.agent.errors import LampError, UsageError

from .common import with_model_options
from .runtime import Runtime

__all__ = ["serve"]

CONTROL_TIMEOUT = 60.0  # seconds `--status` and `--stop` wait behind a call being answered

# Settings that decide which model is loaded and how: a request must match them.
MODEL_KEYS = ("model", "ctx", "threads", "n_gpu_layers", "backend", "base_url",
              "prefix_cache", "cache_max_mb")


class _Fallback(BaseException):
    """The request needs other model settings: the caller runs it in process.

    A BaseException so the command's own error mapping cannot swallow it.
    """


class _FrameWriter(io.TextIOBase):
    """A text stream that sends what is written as JSON frames to the client.

    Frames are held back until the request is known to run here (the warm
    backend was taken), so a fallback never shows the caller output twice.
    """

    def __init__(self, conn: socket.socket, key: str, tty: bool, pending: list[bytes]) -> None:
        self.conn, self.key, self.tty, self.pending = conn, key, tty, pending
        self.holding = True
        self.gone = False

    def isatty(self) -> bool:
        return self.tty

    def writable(self) -> bool:
        return True

    def write(self, text: str) -> int:
        if not text or self.gone:
            return len(text)
        frame = json.dumps({self.key: text}).encode() + b"\n"
        if self.holding:
            self.pending.append(frame)
            return len(text)
        try:
            self.conn.sendall(frame)
        except OSError:
            self.gone = True  # the caller went away (Ctrl-C): stop the answer
            raise KeyboardInterrupt from None
        return len(text)


def _release(conn: socket.socket, writers: list[_FrameWriter], pending: list[bytes]) -> None:
    for w in writers:
        w.holding = False
    with contextlib.suppress(OSError):
        conn.sendall(b"".join(pending))
    pending.clear()


@contextlib.contextmanager
def _as_caller(req: dict[str, Any], conn: socket.socket) -> Iterator[list[_FrameWriter]]:
    """Run with the caller's stdin/stdout/stderr, environment and working directory."""
    pending: list[bytes] = []
    out = _FrameWriter(conn, "out", bool(req.get("stdout_tty")), pending)
    err = _FrameWriter(conn, "err", bool(req.get("stderr_tty")), pending)
    data = base64.b64decode(req["stdin_b64"]) if req.get("stdin_b64") is not None else None
    stdin: IO[str] = io.TextIOWrapper(io.BytesIO(data or b""), encoding="utf-8",
                                      errors="replace")
    saved_env, saved_cwd = dict(os.environ), os.getcwd()
    saved_streams = sys.stdin, sys.stdout, sys.stderr
    os.environ.clear()
    os.environ.update({k: v for k, v in saved_env.items() if not k.startswith("LAMP_")})
    os.environ.update(req.get("env", {}))
    os.environ["COLUMNS"] = str(req.get("columns", 80))
    try:
        os.chdir(req.get("cwd") or saved_cwd)
        sys.stdin, sys.stdout, sys.stderr = stdin, out, err  # type: ignore[assignment]
        yield [out, err]
    finally:
        sys.stdin, sys.stdout, sys.stderr = saved_streams
        os.environ.clear()
        os.environ.update(saved_env)
        os.chdir(saved_cwd)


class Server:
    def __init__(self, settings: Any, backend: Any, path: Path, idle_timeout: float) -> None:
        self.settings, self.backend, self.path = settings, backend, path
        self.idle_timeout = idle_timeout
        self.started = time.time()
        self.requests = 0
        self.stores: dict[Path, Any] = {}  # memory stores kept open to index as it goes
        self.unindexed: set[Path] = set()  # stores whose journals answered calls wrote

    def _matches(self, settings: Any) -> bool:
        return all(getattr(settings, k) == getattr(self.settings, k) for k in MODEL_KEYS)

    def handle(self, conn: socket.socket) -> bool:
        """Serve one connection; False when the server should stop."""
        req = json.loads(conn.makefile("rb").readline() or b"{}")
        op = req.get("op")
        if op == "status":
            conn.sendall(json.dumps(self.status()).encode() + b"\n")
            return True
        if op == "stop":
            conn.sendall(b'{"stopping": true}\n')
            return False
        if op != "run":
            conn.sendall(b'{"error": "unknown request"}\n')
            return True
        self.requests += 1
        from .main import execute

        written: set[Path] = set()
        with _as_caller(req, conn) as writers:
            pending = writers[0].pending

            def warm_backend(settings: Any) -> Any:
                """The command's Runtime asks for its model: ours, if the settings match."""
                if not self._matches(settings):
                    raise _Fallback
                _release(conn, writers, pending)
                return self.backend

            try:
                code = execute(list(req.get("argv", [])), model_source=warm_backend,
                               journals_written=written)
            except _Fallback:
                code = None
            if code is None:
                conn.sendall(b'{"fallback": true}\n')
                return True
            _release(conn, writers, pending)  # e.g. a usage error before any model use
        with contextlib.suppress(OSError):
            conn.sendall(json.dumps({"exit": code}).encode() + b"\n")
        self.unindexed |= written
        return True

    def index_journals(self) -> None:
        """Bring the journals of answered calls into Chroma while no caller waits, so the
        next recall (here or in another process) finds them indexed. Stores stay open, as
        in chat; a failure is logged and left for the next opener to retry."""
        while self.unindexed:
            path = self.unindexed.pop()
            try:
                store = self.stores.get(path)
                if store is None:
                    from lamp.memory import MemoryStore

                    self.stores[path] = MemoryStore.open(path)  # opening indexes the journal
                else:
                    store.sync_journal()
            except Exception as exc:
                _log(f"indexing the memory journal in {path} failed: {exc}")

    def close(self) -> None:
        for store in self.stores.values():
            with contextlib.suppress(Exception):
                store.close()
        self.stores.clear()

    def status(self) -> dict[str, Any]:
        return {"pid": os.getpid(), "socket": str(self.path), "model": self.settings.model or
                "default", "uptime_s": round(time.time() - self.started, 1),
                "requests": self.requests, "idle_timeout_s": self.idle_timeout}

    def serve_forever(self) -> None:
        listener = _listen(self.path)
        last = time.monotonic()
        try:
            while self.idle_timeout <= 0 or time.monotonic() - last < self.idle_timeout:
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    self.index_journals()  # a second without requests: index what we wrote
                    continue
                with conn:
                    if not _same_user(conn):
                        continue
                    conn.settimeout(None)
                    try:
                        keep_going = self.handle(conn)
                    except (OSError, ValueError) as exc:
                        # The caller went away, or sent something that is not a request:
                        # that call is over, the server is not.
                        _log(f"a request failed: {exc}")
                        keep_going = True
                last = time.monotonic()
                if not keep_going:
                    break
        finally:
            listener.close()
            with contextlib.suppress(OSError):
                self.path.unlink()
            self.index_journals()


def _log(message: str) -> None:
    print(f"lamp serve: {message}", file=sys.stderr, flush=True)


def _same_user(conn: socket.socket) -> bool:
    """Only this user's processes may use the warm model (the socket mode says so too)."""
    if not hasattr(socket, "SO_PEERCRED"):
        return True
    import struct

    creds = conn.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid == os.getuid()


def _listen(path: Path) -> socket.socket:
    from .serve_client import connect

    path.parent.mkdir(parents=True, exist_ok=True)
    os.chmod(path.parent, 0o700)
    live = connect(path)  # also removes a stale socket left by a killed server
    if live is not None:
        live.close()
        raise UsageError(f"a lamp server is already running on {path}")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    listener.listen(16)
    listener.settimeout(1.0)
    return listener


def _ask_server(op: str) -> dict[str, Any] | None:
    from . import paths
    from .serve_client import connect, request

    sock = connect(paths.serve_socket())
    if sock is None:
        return None
    with sock:
        # The server answers one call at a time: a status or stop waits for the current one.
        sock.settimeout(CONTROL_TIMEOUT)
        try:
            line = request(sock, {"op": op}).readline()
        except TimeoutError:
            raise LampError(f"the lamp server did not answer within {CONTROL_TIMEOUT:g} s "
                            "(busy with a long answer?)") from None
    return json.loads(line) if line else {}


@with_model_options
def serve(
    stop: Annotated[bool, typer.Option("--stop", help="Stop the running server.")] = False,
    status: Annotated[bool, typer.Option("--status", help="Is a server running? "
                                         "(exit 0 yes, 1 no)")] = False,
    detach: Annotated[bool, typer.Option("--detach", help="Start in the background and "
                                         "return once it is ready.")] = False,
    idle_timeout: Annotated[float, typer.Option("--idle-timeout", help="Stop after this many "
                                                "idle seconds (0: never).")] = 900,
    *,
    rt: Runtime,
) -> None:
    """Keep the model loaded; `lamp ask` uses this server when it runs (falls back if not)."""
    from . import paths
    from .render import print_json

    if stop or status:
        reply = _ask_server("stop" if stop else "status")
        if reply is None:
            typer.echo("no lamp server is running", err=True)
            raise typer.Exit(1)
        if stop:
            typer.echo("stopped")
        else:
            print_json(reply, indent=2, ensure_ascii=True)
        return
    if detach:
        _detach(sys.argv[2:] if len(sys.argv) > 2 else [])
        return
    server = Server(rt.settings, rt.model(quiet=True), paths.serve_socket(), idle_timeout)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    sys.stderr.write(f"lamp serve: listening on {server.path} (pid {os.getpid()})\n")
    sys.stderr.flush()
    with contextlib.suppress(KeyboardInterrupt):
        try:
            server.serve_forever()
        finally:
            server.close()


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # leave serve_forever through its cleanup (socket removed)


def _detach(args: list[str]) -> None:
    from . import paths
    from .serve_client import launch_server

    proc, log = launch_server(paths.serve_socket(), [a for a in args if a != "--detach"])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _ask_server("status") is not None:
            typer.echo(f"lamp serve running (pid {proc.pid}); log: {log}")
            return
        if proc.poll() is not None:
            raise LampError(f"lamp serve exited with status {proc.returncode}; see {log}")
        time.sleep(0.2)
    proc.kill()
    raise LampError(f"lamp serve did not start within 120 s; see {log}")
