"""`lamp serve`: keep the model (and memory) loaded and answer lamp's own one-shot calls.

A fresh `lamp ask` pays for starting Python, loading the model and opening the
memory store. `lamp serve` pays once and listens on a Unix socket that only
this user can reach: a 0600 socket in a folder only this user can write (one
lamp creates is 0700; an existing one is checked, never chmodded), and every
connection's peer uid checked (SO_PEERCRED) before a byte is read. A
forwarded call runs through the very same command code as in process, for a
``Caller`` made of the client's stdin, stdout, stderr, environment and working
directory (handed down, never swapped into this process), so output and exit
codes cannot drift. Each connection has a thread: the request is read against a
deadline, so an idle or half-sent connection never holds up anyone else; the
model answers one request at a time (a lock). A request whose model settings
differ from the server's, or that needs the caller's terminal (tools), is
handed back to the caller to run in process. The warm model reaches a
forwarded command the way any model does: ``execute(argv, caller=...,
model_source=...)`` hands it to that command's Runtime, which asks for it when
the answer starts.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import signal
import socket
import sys
import threading
import time
from pathlib import Path
from typing import Annotated, Any

import typer

from lamp.agent.app.output import Caller, Output
from lamp.agent.errors import LampError, UsageError

from .common import with_model_options
from .runtime import Runtime
from .serve_guard import Untrusted, forwardable, make_folder, peer_uid
from .serve_io import FrameWriter, Outbox, caller_for, frame, read_request

__all__ = ["serve"]

CONTROL_TIMEOUT = 60.0  # seconds `--status` and `--stop` wait for an answer
STOP_GRACE = 15.0  # seconds a stopping server waits for its callers' last frames to go out

# Settings that decide which model is loaded and how: a request must match them.
MODEL_KEYS = ("model", "ctx", "threads", "n_gpu_layers", "backend", "base_url",
              "prefix_cache", "cache_max_mb")


class _Fallback(BaseException):
    """The request needs other model settings: the caller runs it in process.

    A BaseException so the command's own error mapping cannot swallow it.
    """


class Server:
    def __init__(self, settings: Any, backend: Any, path: Path, idle_timeout: float,
                 caller: Caller) -> None:
        self.settings, self.backend, self.path = settings, backend, path
        self.caller = caller  # the server's own: what a client's environment is laid over
        self.idle_timeout = idle_timeout
        self.started = time.time()
        self.requests = 0
        self.stores: dict[Path, Any] = {}  # memory stores kept open to index as it goes
        self.unindexed: set[Path] = set()  # stores whose journals answered calls wrote
        # One model: one call runs at a time.
        self.generation = threading.Lock()
        self.stopping = threading.Event()
        self._busy = 0  # connections being served (the idle timeout waits for them)
        self._last = time.monotonic()
        self._state = threading.Lock()
        self._socket_id: tuple[int, int] | None = None  # (device, inode) of the socket we bound

    def _matches(self, settings: Any) -> bool:
        return all(getattr(settings, k) == getattr(self.settings, k) for k in MODEL_KEYS)

    def handle(self, conn: socket.socket) -> None:
        """Serve one connection (in its own thread)."""
        req = read_request(conn)
        op = req.get("op")
        if op == "status":
            conn.sendall(frame(self.status()))
        elif op == "stop":
            self.stopping.set()
            self._withdraw()  # new callers find no server from now on, not in a second
            conn.sendall(frame({"stopping": True}))
        elif op != "run":
            conn.sendall(frame({"error": "unknown request"}))
        else:
            outbox = Outbox(conn)
            try:
                self._run(req, outbox)
            finally:
                outbox.finish()

    def _run(self, req: dict[str, Any], outbox: Outbox) -> None:
        argv = [str(a) for a in req.get("argv") or []]
        # Tools ask on the caller's terminal, which is not here: the client keeps such calls
        # in process, and so does the server for a client that did not.
        if self.stopping.is_set() or not forwardable(argv):
            outbox.put(frame({"fallback": True}))
            return
        from .main import execute

        written: set[Path] = set()
        with self.generation:
            if self.stopping.is_set():  # `--stop` came while this call waited its turn
                outbox.put(frame({"fallback": True}))
                return
            self.requests += 1
            caller, writers = caller_for(req, outbox, self.caller)

            def warm_backend(settings: Any) -> Any:
                """The command's Runtime asks for its model: ours, if the settings match."""
                if not self._matches(settings):
                    raise _Fallback
                FrameWriter.release(writers)
                return self.backend

            try:
                code = execute(argv, caller=caller, model_source=warm_backend,
                               journals_written=written)
            except _Fallback:
                outbox.put(frame({"fallback": True}))
                return
            FrameWriter.release(writers)  # e.g. a usage error before any model use
            self.unindexed |= written
        outbox.put(frame({"exit": code}))

    def index_journals(self) -> None:
        """Bring the journals of answered calls into Chroma while no caller waits, so the
        next recall (here or in another process) finds them indexed. Stores stay open, as
        in chat; a failure is logged and left for the next opener to retry. Called with
        the generation lock held."""
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

    def _idle_too_long(self) -> bool:
        with self._state:
            return (self.idle_timeout > 0 and self._busy == 0
                    and time.monotonic() - self._last >= self.idle_timeout)

    def _serve_connection(self, conn: socket.socket) -> None:
        with conn:
            try:
                self.handle(conn)
            except KeyboardInterrupt:
                pass  # the caller went away mid-answer
            except Exception as exc:
                # Silence past the deadline, a caller that went away, or something that is
                # not a request: that connection is over, the server is not.
                _log(f"a request failed: {exc}")
            finally:
                with self._state:
                    self._busy -= 1
                    self._last = time.monotonic()

    def serve_forever(self) -> None:
        listener = _listen(self.path)
        st = os.stat(self.path)
        self._socket_id = (st.st_dev, st.st_ino)
        _log(f"listening on {self.path} (pid {os.getpid()})")
        finished = False
        try:
            while not self.stopping.is_set() and not self._idle_too_long():
                try:
                    conn, _ = listener.accept()
                except TimeoutError:
                    if self.generation.acquire(blocking=False):
                        try:  # a second without requests: index what we wrote
                            self.index_journals()
                        finally:
                            self.generation.release()
                    continue
                except OSError as exc:  # e.g. out of file descriptors: wait, keep serving
                    _log(f"accept failed: {exc}")
                    time.sleep(0.1)
                    continue
                try:
                    uid = peer_uid(conn)
                except OSError:
                    uid = -1
                if uid is not None and uid != os.getuid():
                    _log(f"refused a connection from uid {uid}")
                    conn.close()
                    continue
                with self._state:
                    self._busy += 1
                    self._last = time.monotonic()
                threading.Thread(target=self._serve_connection, args=(conn,),
                                 name="lamp-serve-conn", daemon=True).start()
            finished = True
        finally:
            listener.close()
            self._withdraw()
            # `--stop` lets the answer being written finish and reach its caller; Ctrl-C or
            # SIGTERM does not wait.
            if self.generation.acquire(blocking=finished):
                try:
                    self.index_journals()
                finally:
                    self.generation.release()
            if finished:
                self._wait_for_connections(STOP_GRACE)

    def _withdraw(self) -> None:
        """Remove our socket's name, but only while it is still ours: a server started
        after a `--stop` may already have bound the same path."""
        with contextlib.suppress(OSError):
            st = os.lstat(self.path)
            if (st.st_dev, st.st_ino) == self._socket_id:
                self.path.unlink()

    def _wait_for_connections(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with self._state:
                if self._busy == 0:
                    return
            time.sleep(0.05)


def _log(message: str) -> None:
    """A line on the server's own stderr (its log); callers' streams are their Outputs."""
    print(f"lamp serve: {message}", file=sys.stderr, flush=True)


def _check_place(path: Path) -> None:
    """The socket's folder created private (0700) when missing; an existing folder used
    only when it is already private to this user (its mode is never changed); a live
    server there an error; a stale socket of ours removed."""
    from .serve_client import connect

    try:
        make_folder(path.parent)
        live = connect(path)  # also removes a stale socket left by a killed server
    except Untrusted as exc:
        raise UsageError(f"cannot serve on {path}: {exc}") from None
    if live is not None:
        live.close()
        raise UsageError(f"a lamp server is already running on {path}")


def _listen(path: Path) -> socket.socket:
    """Bind a 0600 socket at ``path`` once ``_check_place`` holds."""
    _check_place(path)
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    old_umask = os.umask(0o177)
    try:
        listener.bind(str(path))
    except OSError as exc:
        listener.close()
        if exc.errno == errno.EADDRINUSE:
            raise UsageError(f"a lamp server is already running on {path}") from None
        raise LampError(f"cannot listen on {path}: {exc.strerror or exc}") from None
    finally:
        os.umask(old_umask)
    os.chmod(path, 0o600)
    listener.listen(64)
    listener.settimeout(1.0)
    return listener


def _ask_server(op: str, path: Path) -> dict[str, Any] | None:
    from .serve_client import connect, request

    try:
        sock = connect(path)
    except Untrusted as exc:
        raise LampError(f"not asking the server on {path}: {exc}") from None
    if sock is None:
        return None
    with sock:
        # Status and stop are answered at once, even while a call is being answered.
        sock.settimeout(CONTROL_TIMEOUT)
        try:
            line = request(sock, {"op": op}).readline()
        except TimeoutError:
            raise LampError(f"the lamp server did not answer within {CONTROL_TIMEOUT:g} s"
                            ) from None
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
    from .render import print_json

    path = rt.paths.serve_socket()
    if stop or status:
        reply = _ask_server("stop" if stop else "status", path)
        if reply is None:
            rt.output.stderr.write("no lamp server is running\n")
            raise typer.Exit(1)
        if stop:
            rt.output.write("stopped\n")
        else:
            print_json(reply, rt.output.stdout, indent=2, ensure_ascii=True)
        return
    if detach:
        _detach(sys.argv[2:] if len(sys.argv) > 2 else [], path, rt.output)
        return
    _check_place(path)  # before the model loads: a wrong place fails at once
    server = Server(rt.settings, rt.model(quiet=True), path, idle_timeout, rt.caller)
    signal.signal(signal.SIGTERM, _stop_on_signal)
    with contextlib.suppress(KeyboardInterrupt):
        try:
            server.serve_forever()
        finally:
            server.close()


def _stop_on_signal(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # leave serve_forever through its cleanup (socket removed)


def _detach(args: list[str], path: Path, output: Output) -> None:
    from .serve_client import launch_server

    try:
        proc, log = launch_server(path, [a for a in args if a != "--detach"])
    except Untrusted as exc:
        raise UsageError(f"cannot serve on {path}: {exc}") from None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if _ask_server("status", path) is not None:
            output.write(f"lamp serve running (pid {proc.pid}); log: {log}\n")
            return
        if proc.poll() is not None:
            raise LampError(f"lamp serve exited with status {proc.returncode}; see {log}")
        time.sleep(0.2)
    proc.kill()
    raise LampError(f"lamp serve did not start within 120 s; see {log}")
