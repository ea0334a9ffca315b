"""Connections to MCP servers, held open by one event-loop thread for the life of a command.

The SDK is async and lamp's loops are not, so ``McpHub`` runs an asyncio loop in
a daemon thread and hands calls to it. Each server is one long-lived task that
enters the SDK's ``Client`` (stdio through the confined launcher, or streamable
HTTP), lists the tools, then waits until the hub closes; leaving the ``Client``
is the SDK's shutdown (close stdin, wait, then kill the process group).

Every failure comes back as an ``McpError`` with one line: a server that does
not start, does not answer within its deadline, dies mid-call or sends
something that is not MCP. Server processes never outlive lamp: ``close()``
shuts them down, and the launcher asked the kernel to kill the server when the
loop thread that started it ends (also when lamp itself is killed).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import math
import shutil
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any

from ..errors import IsolationRefused, LampError, SandboxUnavailable, UsageError
from .config import ServerConfig
from .confine import STATUS_PREFIX, Launch, Policy, kill_uid, prepare_launch

__all__ = ["Connection", "McpError", "McpHub", "RemoteTool", "looks_denied"]

_CLOSE_GRACE = 6.0  # the SDK's own shutdown waits up to 2 s + 2 s before SIGKILL
_STDERR_TAIL = 4000
_CONNECTION_CLOSED = -32000  # mcp_types.CONNECTION_CLOSED: the transport ended


class McpError(LampError):
    """An MCP server could not be started, reached, or understood (exit 1)."""


@dataclass(frozen=True)
class RemoteTool:
    """A tool as the server lists it (its schema not yet adapted to lamp's subset)."""

    name: str
    description: str
    input_schema: dict[str, Any]
    read_only: bool
    output_schema: dict[str, Any] | None = None


@dataclass
class Connection:
    """One started server: its tools, what the launcher confirmed, where its stderr goes."""

    config: ServerConfig
    tools: list[RemoteTool] = field(default_factory=list)
    launch: Launch | None = None
    confined: dict[str, Any] | None = None
    errlog: IO[str] | None = None
    client: Any = None
    broken: str = ""  # why the server can no longer be called (it exited, the pipe closed)
    stop: asyncio.Event | None = None
    task: concurrent.futures.Future[Any] | None = None

    @property
    def policy(self) -> Policy | None:
        return self.launch.policy if self.launch else None

    @property
    def read_only(self) -> bool:
        """True when lamp's confinement, confirmed from inside, keeps the server from
        changing anything outside its temp dir (``Policy.read_only`` on the layers that
        the launcher confirmed, not the ones planned)."""
        policy = self.policy
        return policy is not None and not policy.write and not policy.network \
            and bool({"L1", "L2"} & set(self.layers))

    @property
    def layers(self) -> tuple[str, ...]:
        """The layers the launcher confirmed from inside (stdio), empty for HTTP."""
        if self.launch is None or self.confined is None:
            return ()
        st = self.confined
        layers = ["L0"]
        if st.get("landlock") and st.get("seccomp"):
            layers.append("L1")
        if "L2" in self.launch.policy.layers:
            layers.append("L2")
        return tuple(layers)

    def stderr_tail(self) -> str:
        """What the server wrote on stderr so far (the launcher's status line left out)."""
        if self.errlog is None:
            return ""
        with contextlib.suppress(OSError, ValueError):
            self.errlog.flush()
            self.errlog.seek(0)
            text = self.errlog.read()[-200_000:]
            lines = [ln for ln in text.splitlines() if not ln.startswith(STATUS_PREFIX)]
            return "\n".join(lines)[-_STDERR_TAIL:]
        return ""

    def read_status(self) -> None:
        if self.errlog is None or self.confined is not None:
            return
        with contextlib.suppress(OSError, ValueError):
            self.errlog.flush()
            self.errlog.seek(0)
            for line in self.errlog:
                if line.startswith(STATUS_PREFIX):
                    with contextlib.suppress(ValueError):
                        self.confined = json.loads(line[len(STATUS_PREFIX):])
                    break


DENIAL_MARKS = ("Permission denied", "Operation not permitted", "[Errno 13]", "[Errno 1]",
                "EACCES", "EPERM")


def looks_denied(text: str) -> bool:
    """True when ``text`` reads like a refused system call (Landlock: EACCES, seccomp:
    EPERM), so lamp can say that its confinement, not the server, said no."""
    return any(mark in text for mark in DENIAL_MARKS)


def last_line(text: str) -> str:
    """The last non-blank line: a traceback's verdict, a program's complaint."""
    lines = [ln.strip() for ln in text.splitlines() if ln.strip()]
    return lines[-1][:300] if lines else ""


class McpHub:
    """The configured servers, started on first use and all shut down by ``close()``."""

    def __init__(self, servers: Mapping[str, ServerConfig]) -> None:
        self.servers = dict(servers)
        self._connections: dict[str, Connection] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._closed = False

    # -- the loop thread ---------------------------------------------------------------
    def _ensure_loop(self) -> asyncio.AbstractEventLoop:
        if self._closed:
            raise McpError("MCP connections are already closed")
        if self._loop is None:
            _quiet_sdk()
            loop = asyncio.new_event_loop()
            # Failures reach the caller as McpError; the loop's own reports (a generator
            # closed while cancelled at exit) are noise on the person's terminal.
            loop.set_exception_handler(lambda loop, context: None)
            ready = threading.Event()

            def run() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()
                with contextlib.suppress(Exception):
                    loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

            self._thread = threading.Thread(target=run, name="lamp-mcp", daemon=True)
            self._thread.start()
            ready.wait()
            self._loop = loop
        return self._loop

    def _submit(self, coro: Any) -> concurrent.futures.Future[Any]:
        return asyncio.run_coroutine_threadsafe(coro, self._ensure_loop())

    # -- connecting ---------------------------------------------------------------------
    def connect(self, name: str) -> Connection:
        """The started server ``name`` with its tools listed (starting it on first call)."""
        with self._lock:
            if name in self._connections:
                return self._connections[name]
            cfg = self.servers.get(name)
            if cfg is None:
                raise UsageError(f"no MCP server named {name!r} in the config file")
            conn = Connection(cfg)
            try:
                if cfg.transport == "stdio":
                    conn.launch = prepare_launch(cfg)
                    conn.errlog = tempfile.TemporaryFile("w+", encoding="utf-8",  # noqa: SIM115
                                                         errors="replace")
            except IsolationRefused:
                raise  # the sandbox policy's own one line and exit 2: nothing was started
            except SandboxUnavailable as exc:
                raise McpError(f"MCP server {name!r} cannot start: {exc}") from exc
            ready: concurrent.futures.Future[None] = concurrent.futures.Future()
            conn.task = self._submit(self._hold(conn, ready))
            try:
                ready.result(timeout=cfg.startup_timeout + 5)
            except (concurrent.futures.TimeoutError, McpError) as exc:
                message = str(exc) if isinstance(exc, McpError) else (
                    f"MCP server {name!r} did not finish starting within "
                    f"{cfg.startup_timeout:g} s" + _said(conn))
                self._stop_one(conn)  # a failed start is not kept: the next call tries again
                raise McpError(message) from None
            finally:
                if conn.client is not None or not ready.done():
                    # started, or interrupted (Ctrl-C) while starting: close() stops it
                    self._connections[name] = conn
            return conn

    async def _hold(self, conn: Connection, ready: concurrent.futures.Future[None]) -> None:
        import anyio
        from mcp import Client, StdioServerParameters

        cfg = conn.config
        conn.stop = asyncio.Event()
        try:
            if conn.launch is not None:
                target: Any = StdioServerParameters(command=conn.launch.command,
                                                    args=conn.launch.args,
                                                    env=conn.launch.env,
                                                    cwd=conn.launch.workdir)
                transport: Any = _stdio(target, conn.errlog)
            else:
                transport = _http(cfg)
            # The handshake and the listing share one deadline, lifted once the server is
            # up: a server that sends garbage, or nothing, must not keep lamp waiting.
            with anyio.CancelScope(deadline=anyio.current_time() + cfg.startup_timeout) \
                    as scope:
                async with Client(transport, read_timeout_seconds=cfg.timeout) as client:
                    conn.tools = await _list_all(client)
                    scope.deadline = math.inf
                    conn.client = client
                    conn.read_status()
                    ready.set_result(None)
                    await conn.stop.wait()
            if scope.cancelled_caught and not ready.done():
                raise TimeoutError
        except BaseException as exc:
            conn.read_status()
            if not ready.done():
                why = (f"no answer to the MCP handshake within {cfg.startup_timeout:g} s"
                       if isinstance(exc, TimeoutError) else None)
                ready.set_exception(McpError(_start_failure(conn, exc, why)))
            if not isinstance(exc, Exception):
                raise
        finally:
            conn.client = None

    # -- calling -------------------------------------------------------------------------
    def call(self, server: str, tool: str, args: dict[str, Any], timeout: float) -> Any:
        """The server's ``CallToolResult`` for one call; an McpError when there is none."""
        conn = self.connect(server)
        if conn.client is None or conn.broken:
            raise McpError(f"MCP server {server!r} is not running"
                           + (f" ({conn.broken})" if conn.broken else "") + _said(conn))

        async def one() -> Any:
            return await asyncio.wait_for(conn.client.call_tool(tool, args), timeout)

        future = self._submit(one())
        try:
            return future.result(timeout=timeout + 5)
        except (TimeoutError, asyncio.TimeoutError, concurrent.futures.TimeoutError):
            future.cancel()
            raise McpError(f"MCP server {server!r} did not answer {tool} within "
                           f"{timeout:g} s") from None
        except Exception as exc:
            conn.read_status()
            if getattr(exc, "code", None) == _CONNECTION_CLOSED:
                conn.broken = "it stopped during an earlier call"
                self._submit(_set(conn.stop))  # leave the Client: the SDK reaps the process
                raise McpError(f"MCP server {server!r} stopped during the call to {tool}"
                               + _said(conn)) from exc
            raise McpError(f"MCP server {server!r} failed the call to {tool}: "
                           f"{_describe(exc)}" + _said(conn)) from exc

    # -- closing -------------------------------------------------------------------------
    def _stop_one(self, conn: Connection) -> None:
        loop = self._loop
        if loop is not None and conn.stop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(conn.stop.set)
        if conn.task is not None:
            with contextlib.suppress(Exception):
                conn.task.result(timeout=_CLOSE_GRACE)
            if not conn.task.done():
                conn.task.cancel()
        if conn.launch is not None:
            if conn.launch.uid is not None:
                kill_uid(conn.launch.uid)  # what escaped a launcher that was killed itself
            shutil.rmtree(conn.launch.workdir, ignore_errors=True)
        if conn.errlog is not None:
            with contextlib.suppress(OSError):
                conn.errlog.close()

    def close(self) -> None:
        """Shut every started server down and stop the loop thread (idempotent).

        The servers stop in parallel; whatever is left when the loop thread ends gets
        SIGKILL from the kernel (the launcher's parent-death signal, bwrap's
        --die-with-parent)."""
        if self._closed:
            return
        self._closed = True
        conns = list(self._connections.values())
        threads = [threading.Thread(target=self._stop_one, args=(c,), daemon=True)
                   for c in conns]
        for t in threads:
            t.start()
        for t in threads:
            t.join(_CLOSE_GRACE + 1)
        loop, thread = self._loop, self._thread
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(loop.stop)
        if thread is not None:
            thread.join(5)

    def __enter__(self) -> McpHub:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _quiet_sdk() -> None:
    """The SDK logs what it also raises (a malformed line, a broken pipe) with tracebacks;
    with no handler configured Python would print them on stderr. lamp reports each
    failure once, as one line, so the SDK's records go nowhere unless a handler is set."""
    import logging

    logger = logging.getLogger("mcp")
    if not logger.handlers:
        logger.addHandler(logging.NullHandler())


async def _set(event: asyncio.Event | None) -> None:
    if event is not None:
        event.set()


def _stdio(params: Any, errlog: IO[str] | None) -> Any:
    from mcp.client.stdio import stdio_client

    return stdio_client(params, errlog=errlog) if errlog is not None else stdio_client(params)


def _http(cfg: ServerConfig) -> Any:
    from mcp.client.streamable_http import streamable_http_client

    if not cfg.headers:
        return streamable_http_client(cfg.url)
    import httpx2

    client = httpx2.AsyncClient(headers=dict(cfg.headers))
    return streamable_http_client(cfg.url, http_client=client)


async def _list_all(client: Any) -> list[RemoteTool]:
    tools: list[RemoteTool] = []
    cursor = None
    for _ in range(100):  # a server that pages forever cannot hang lamp
        page = await client.list_tools(cursor=cursor)
        for t in page.tools:
            ann = t.annotations
            tools.append(RemoteTool(name=t.name, description=(t.description or "").strip(),
                                    input_schema=dict(t.input_schema or {}),
                                    read_only=bool(ann and ann.read_only_hint),
                                    output_schema=t.output_schema))
        cursor = page.next_cursor
        if not cursor:
            break
    return tools


def _describe(exc: BaseException) -> str:
    while getattr(exc, "exceptions", None):  # an ExceptionGroup from a task group
        exc = exc.exceptions[0]  # type: ignore[attr-defined]
    text = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {text[0][:300]}" if text else type(exc).__name__


def _said(conn: Connection) -> str:
    tail = last_line(conn.stderr_tail())
    return f" (server said: {tail})" if tail else ""


def _start_failure(conn: Connection, exc: BaseException, why: str | None = None) -> str:
    name = conn.config.name
    if conn.launch is not None and conn.confined is not None and conn.confined.get("errors") \
            and "L1" in conn.launch.policy.layers and "L1" not in conn.layers:
        return (f"MCP server {name!r} was not started: its confinement failed "
                f"({'; '.join(map(str, conn.confined['errors']))})")
    where = conn.config.url or conn.config.command
    said = _said(conn)
    if conn.launch is not None and looks_denied(said):
        said += f" [denied by lamp's confinement; see `lamp tools info {name}`]"
    return f"MCP server {name!r} ({where}) failed to start: {why or _describe(exc)}" + said
