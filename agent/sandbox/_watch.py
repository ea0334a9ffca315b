"""The parent's side of a run: feed stdin, cap output, enforce the deadline and the disk quota.

Everything here happens in lamp's process and never trusts the child: output is
counted as bytes arrive, the wall clock is the parent's, and cleanup kills the
whole process group and, when the child runs under its own uid, every process
left with that uid (a double-forked daemon leaves the group but not the uid).
"""

from __future__ import annotations

import contextlib
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

__all__ = ["Watch", "disk_usage", "kill_everything"]

_TICK = 0.02
_DISK_EVERY = 0.05
_DRAIN_GRACE = 0.3


@dataclass
class Watch:
    """Limits for one run and what the watcher saw."""

    deadline: float
    output_limit: int
    disk_limit: int
    max_entries: int
    workdir: str
    out: bytearray = field(default_factory=bytearray)
    err: bytearray = field(default_factory=bytearray)
    status: bytearray = field(default_factory=bytearray)
    truncated: bool = False
    killed_reason: str | None = None

    def supervise(self, proc: subprocess.Popen[bytes], code: bytes, status_fd: int,
                  uid: int | None) -> int:
        """Run the I/O loop until the child is gone; return its raw return code."""
        assert proc.stdin and proc.stdout and proc.stderr
        sel = selectors.DefaultSelector()
        os.set_blocking(proc.stdin.fileno(), False)
        sel.register(proc.stdin, selectors.EVENT_WRITE, "in")
        sel.register(proc.stdout, selectors.EVENT_READ, self.out)
        sel.register(proc.stderr, selectors.EVENT_READ, self.err)
        sel.register(status_fd, selectors.EVENT_READ, self.status)
        pending = memoryview(code)
        next_disk = time.monotonic() + _DISK_EVERY
        exited_at: float | None = None
        while sel.get_map():
            now = time.monotonic()
            if self.killed_reason is None and now >= self.deadline:
                self._kill(proc, uid, "timeout")
            if now >= next_disk and self.killed_reason is None:
                next_disk = now + _DISK_EVERY
                reason = self._disk_verdict()
                if reason:
                    self._kill(proc, uid, reason)
            if exited_at is None and proc.poll() is not None:
                exited_at = now
                kill_everything(proc.pid, uid)  # nothing outlives the child
            if exited_at is not None and now - exited_at > _DRAIN_GRACE:
                break
            for key, _ in sel.select(timeout=_TICK):
                if key.data == "in":
                    pending = self._feed(sel, proc, pending)
                    continue
                chunk = _read(key.fd)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                self._take(key.data, chunk, proc, uid)
        sel.close()
        for stream in (proc.stdin, proc.stdout, proc.stderr):
            with contextlib.suppress(OSError):
                stream.close()
        try:
            return proc.wait(timeout=max(0.5, self.deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            self._kill(proc, uid, self.killed_reason or "timeout")
            return proc.wait()

    def _feed(self, sel: selectors.BaseSelector, proc: subprocess.Popen[bytes],
              pending: memoryview) -> memoryview:
        assert proc.stdin
        try:
            sent = os.write(proc.stdin.fileno(), pending[:65536])
        except (BrokenPipeError, OSError):
            sent = len(pending)
        pending = pending[sent:]
        if not pending:
            sel.unregister(proc.stdin)
            proc.stdin.close()
        return pending

    def _take(self, sink: bytearray, chunk: bytes, proc: subprocess.Popen[bytes],
              uid: int | None) -> None:
        if sink is self.status:
            sink += chunk[: 65536 - len(sink)]
            return
        room = self.output_limit - len(self.out) - len(self.err)
        sink += chunk[: max(room, 0)]
        if len(chunk) > room:
            self.truncated = True
            if self.killed_reason is None:
                self._kill(proc, uid, "output limit")

    def _disk_verdict(self) -> str | None:
        used, entries = disk_usage(self.workdir, self.max_entries + 1)
        # The count first: it is exact, while the blocks of many small files depend on the
        # filesystem (some preallocate for files being written), so with both over their
        # limits the count names the cause the same way everywhere.
        if entries > self.max_entries:
            return "too many files"
        if used > self.disk_limit:
            return "disk quota"
        return None

    def _kill(self, proc: subprocess.Popen[bytes], uid: int | None, reason: str) -> None:
        if self.killed_reason is None:
            self.killed_reason = reason
        kill_everything(proc.pid, uid)


def _read(fd: int) -> bytes:
    try:
        return os.read(fd, 65536)
    except OSError:
        return b""


def disk_usage(root: str, stop_after: int) -> tuple[int, int]:
    """Bytes allocated (st_blocks, so sparse files count as what they use) and entries."""
    used = entries = 0
    stack = [root]
    while stack and entries < stop_after:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    entries += 1
                    try:
                        st = entry.stat(follow_symlinks=False)
                    except OSError:
                        continue
                    used += st.st_blocks * 512
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(entry.path)
        except OSError:
            continue
    return used, entries


def kill_everything(pid: int, uid: int | None) -> None:
    """SIGKILL the child's process group, and every process running as the run's own uid."""
    with contextlib.suppress(OSError):
        os.killpg(pid, signal.SIGKILL)
    if uid is None:
        return
    for _ in range(3):  # a process may fork while we sweep; sweep until none is left
        found = False
        for name in os.listdir("/proc"):
            if not name.isdigit():
                continue
            try:
                if _real_uid(name) != uid:
                    continue
                os.kill(int(name), signal.SIGKILL)
                found = True
            except OSError:
                continue
        if not found:
            return


def _real_uid(pid: str) -> int | None:
    """The real uid from /proc/PID/status (the directory owner lies for non-dumpable tasks)."""
    with open(f"/proc/{pid}/status", "rb") as fh:
        for line in fh:
            if line.startswith(b"Uid:"):
                return int(line.split()[1])
    return None
