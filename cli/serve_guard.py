"""Who may stand at either end of `lamp serve`'s socket, and which calls may cross it.

A forwarded call carries the caller's argv, working directory, piped stdin and
``LAMP_*`` environment (``LAMP_API_KEY`` included), and the server runs it
with the caller's rights. So both ends prove they are the same user before a
byte of a request moves:

- the place: the socket's folder belongs to this user and nobody else may
  write in it (so nobody else can put, swap or remove a socket there), and the
  socket is a socket (not a symlink) that belongs to this user;
- the peer: after ``connect``/``accept``, the kernel's record of the process
  at the other end (``SO_PEERCRED``) names this user. This also closes the gap
  between checking the place and connecting to it.

And only calls that need nothing of the caller's terminal cross: anything
with tools (approvals are asked on the caller's terminal) runs in process.
Both the client and the server apply that rule, parsing the command line the
way the command itself will (Click), not by comparing strings.
"""

from __future__ import annotations

import os
import socket
import stat
import struct
from pathlib import Path

__all__ = ["FORWARDED", "Untrusted", "check_folder", "check_peer", "check_socket",
           "forwardable", "make_folder", "peer_uid"]

FORWARDED = frozenset({"ask", "pal"})  # commands that need no terminal of their own
TERMINAL_PANEL = "Tools"  # options of this help panel run tools, which ask on a terminal


class Untrusted(Exception):
    """The socket's place or peer is not this user's own: nothing may be sent there."""


def _describe(st: os.stat_result) -> str:
    return f"owner uid {st.st_uid}, mode {stat.S_IMODE(st.st_mode):o}"


def check_folder(folder: Path) -> None:
    """Raise Untrusted unless ``folder`` is a directory of this user that no one else can
    write to. Symlinks are followed: what counts is the directory a socket would be in."""
    try:
        st = os.stat(folder)
    except OSError as exc:
        raise Untrusted(f"its folder {folder} cannot be checked ({exc.strerror})") from None
    if not stat.S_ISDIR(st.st_mode):
        raise Untrusted(f"{folder} is not a folder")
    if st.st_uid != os.getuid():
        raise Untrusted(f"its folder {folder} is not yours ({_describe(st)})")
    if st.st_mode & 0o022:
        raise Untrusted(f"its folder {folder} is writable by others ({_describe(st)})")


def check_socket(path: Path) -> bool:
    """Whether a socket of this user is at ``path`` in a folder only this user can write
    (False: nothing there, or not even its folder); raise Untrusted when something is
    there that is not that."""
    if not os.path.lexists(path):
        return False
    check_folder(path.parent)
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        return False
    except OSError as exc:
        raise Untrusted(f"{path} cannot be checked ({exc.strerror})") from None
    if not stat.S_ISSOCK(st.st_mode):
        kind = "a symlink" if stat.S_ISLNK(st.st_mode) else "not a socket"
        raise Untrusted(f"{path} is {kind}")
    if st.st_uid != os.getuid():
        raise Untrusted(f"{path} is not yours ({_describe(st)})")
    return True


def peer_uid(sock: socket.socket) -> int | None:
    """The uid of the process at the other end of a connected Unix socket, as the kernel
    recorded it at connect/listen time; None where the platform cannot say."""
    if not hasattr(socket, "SO_PEERCRED"):
        return None
    creds = sock.getsockopt(socket.SOL_SOCKET, socket.SO_PEERCRED, struct.calcsize("3i"))
    _pid, uid, _gid = struct.unpack("3i", creds)
    return uid


def check_peer(sock: socket.socket, path: Path) -> None:
    """Raise Untrusted unless the process behind ``sock`` runs as this user. Where the
    platform has no SO_PEERCRED the place checks are all there is."""
    uid = peer_uid(sock)
    if uid is not None and uid != os.getuid():
        raise Untrusted(f"the process listening on {path} runs as uid {uid}, not as you")


def make_folder(folder: Path) -> None:
    """Create the socket's folder (and missing parents) private to this user, or check the
    one that is there. A folder lamp did not create keeps its mode: raise Untrusted when
    it is not private instead of changing it (``/tmp`` must stay ``/tmp``)."""
    missing: list[Path] = []
    probe = folder
    while not os.path.lexists(probe) and probe != probe.parent:
        missing.append(probe)
        probe = probe.parent
    for part in reversed(missing):
        try:
            os.mkdir(part, 0o700)
        except FileExistsError:
            continue  # created by a racing server; checked below like any existing one
        os.chmod(part, 0o700)  # ours, just made: the umask may have taken bits away
    check_folder(folder)


def forwardable(argv: list[str]) -> bool:
    """Whether a warm server may answer this command line: a forwarded command, no help,
    and no option of the tools panel, in any spelling the command's own parser takes
    (``--tools x``, ``--tools=x``, after the prompt, ...). A command line its parser
    rejects (an unknown or misspelt option, a missing value) runs in process, which
    reports the error; ``--`` and option values are understood as the command will."""
    if not argv or argv[0] not in FORWARDED:
        return False
    import typer

    from .main import build_app

    # Typer carries its own Click: only its duck-typed surface is used here. The parser
    # alone runs (no callbacks, no conversions), so nothing is printed or done.
    group = typer.main.get_command(build_app(argv[0]))
    command = getattr(group, "commands", {}).get(argv[0])
    if command is None:
        return False
    # The settings the command's context gets in a real run (help names, any token
    # normalisation), from the app and the command itself.
    settings = {**(getattr(group, "context_settings", None) or {}),
                **(getattr(command, "context_settings", None) or {})}
    ctx = command.context_class(command, info_name=argv[0], **settings)
    try:
        _values, _rest, given = command.make_parser(ctx).parse_args(list(argv[1:]))
    except Exception:  # NoSuchOption, BadOptionUsage, ...: the command will say so
        return False
    for param in given:
        if param.name == "help" or getattr(param, "rich_help_panel", None) == TERMINAL_PANEL:
            return False
    for param in command.params:  # a tools option set from the environment, should one be
        if getattr(param, "rich_help_panel", None) == TERMINAL_PANEL:
            names = param.envvar if isinstance(param.envvar, list | tuple) else [param.envvar]
            if any(name and name in os.environ for name in names):
                return False
    return True
