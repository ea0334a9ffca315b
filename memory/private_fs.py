"""Files only this user can read: lamp's directories 0700, its files 0600.

Everything lamp keeps (every prompt and answer in the journal and the Chroma
store, ingested documents, chat history, prompt caches, the config file) is
private to the user. Python and most libraries create files ``0666 & ~umask``,
which with the usual umask 022 lets every local user read them. So lamp creates
its directories with mode 0700 and its own files with mode 0600 at ``open`` time,
never "create, then chmod" (a window in which another user can open the file and
keep the descriptor).

Files that a library creates itself (Chroma's SQLite database and its index
segments) cannot be opened with a mode; they live in a 0700 directory, which is
what keeps other users out (a path inside a directory they cannot search cannot
be opened), and ``tighten_tree`` then clears their group/other bits so the files
are private on their own too, e.g. after being copied elsewhere. A process-wide
umask around those calls was rejected: lamp opens the store in a background
thread while the main thread may start the user's own commands, which would
inherit it.

Directories are tightened (an existing 0755 one made 0700) only when lamp owns
them: its data, config and cache directories and what lies below. A parent such
as ``~/.local/share`` or a ``LAMP_HOME`` the user made is created 0700 if missing
but never changed when it exists. Symlinks are never followed for a chmod.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

__all__ = ["DIR_MODE", "FILE_MODE", "create_private", "make_private_dirs", "private_opener",
           "tighten", "tighten_tree"]

DIR_MODE = 0o700
FILE_MODE = 0o600


def make_private_dirs(path: Path) -> Path:
    """Create ``path`` and any missing parents with mode 0700 (``os.makedirs`` gives
    intermediate directories the default mode, so each level is made here)."""
    missing: list[Path] = []
    probe = Path(path)
    while not probe.exists():
        missing.append(probe)
        if probe.parent == probe:
            break
        probe = probe.parent
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            directory.mkdir(mode=DIR_MODE)
    return Path(path)


def tighten(path: Path) -> bool:
    """Clear the group/other bits of ``path`` if it is ours and not a symlink (0755 ->
    0700, 0644 -> 0600); returns whether it changed."""
    try:
        st = os.lstat(path)
    except OSError:
        return False
    if stat.S_ISLNK(st.st_mode) or st.st_uid != os.geteuid() or not st.st_mode & 0o077:
        return False
    try:
        os.chmod(path, stat.S_IMODE(st.st_mode) & 0o700)  # lstat said: no symlink
    except OSError:
        return False
    return True


def tighten_tree(root: Path) -> int:
    """``tighten`` ``root`` and everything below it (no symlinks followed); returns how
    many entries changed. Used on directories lamp owns whole: the memory store."""
    changed = int(tighten(root))
    for top, dirs, files in os.walk(root, followlinks=False):  # unreadable parts: skipped
        for name in (*dirs, *files):
            changed += tighten(Path(top) / name)
    return changed


def private_opener(path: str, flags: int) -> int:
    """An ``opener`` for ``open()``: a new file is created 0600 (not 0666 & ~umask), and
    an existing one of ours loses its group/other bits through the descriptor. A symlink
    in the last component is refused (ELOOP): a file planted in a shared directory must
    not redirect lamp's write, nor its chmod, to another file."""
    fd = os.open(path, flags | os.O_CLOEXEC | os.O_NOFOLLOW, FILE_MODE)
    try:
        st = os.fstat(fd)
        if st.st_mode & 0o077 and st.st_uid == os.geteuid() and stat.S_ISREG(st.st_mode):
            os.fchmod(fd, stat.S_IMODE(st.st_mode) & 0o700)
    except OSError:
        os.close(fd)
        raise
    return fd


def create_private(path: Path) -> bool:
    """Create ``path`` as an empty 0600 file if it does not exist (returns whether it did);
    an existing one is tightened by path (``tighten``), never opened. Done before a
    library (SQLite) opens the file by name, so the library finds a file with the right
    mode instead of creating one.

    An existing file is deliberately not opened: closing any descriptor of a file drops
    every POSIX lock this process holds on it, and SQLite's locks are POSIX locks, so an
    open-and-close beside a live SQLite connection of the same process silently breaks
    its locking (measured: a committed journal write vanished). Callers that may race
    with a SQLite connection of their own process on a new file serialize around this.
    """
    try:
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW,
                     FILE_MODE)
    except FileExistsError:
        tighten(path)
        return False
    os.close(fd)
    return True
