"""Run a program as if the kernel had no Landlock: ``python no_landlock.py PROGRAM ARGS...``.

It sets PR_SET_NO_NEW_PRIVS, installs a seccomp filter under which the three Landlock
syscalls (landlock_create_ruleset 444, landlock_add_rule 445, landlock_restrict_self
446: the same numbers on x86-64 and aarch64) fail with ENOSYS, exactly what a kernel
built without Landlock answers, and execs the program. The filter is inherited by
every process the program starts and cannot be removed, so lamp, its sandbox
children and its MCP servers all see a kernel without Landlock. Everything else is
allowed. Stdlib only: it runs before lamp is imported.
"""

from __future__ import annotations

import ctypes
import os
import struct
import sys

PR_SET_NO_NEW_PRIVS, PR_SET_SECCOMP, SECCOMP_MODE_FILTER = 38, 22, 2
SECCOMP_RET_ALLOW, SECCOMP_RET_ERRNO, ENOSYS = 0x7FFF0000, 0x00050000, 38
AUDIT_ARCH = {"x86_64": 0xC000003E, "aarch64": 0xC00000B7}
LANDLOCK_SYSCALLS = (444, 445, 446)
# classic BPF opcodes
LD_W_ABS, JEQ_K, RET_K = 0x20, 0x15, 0x06


def _insn(code: int, jt: int, jf: int, k: int) -> bytes:
    return struct.pack("HBBI", code, jt, jf, k)


def landlock_enosys_filter(machine: str) -> bytes:
    """The BPF program: on the native arch, Landlock syscalls -> ENOSYS; all else allowed."""
    n = len(LANDLOCK_SYSCALLS)
    prog = [_insn(LD_W_ABS, 0, 0, 4),  # seccomp_data.arch
            _insn(JEQ_K, 0, n + 1, AUDIT_ARCH[machine]),  # foreign arch: allow
            _insn(LD_W_ABS, 0, 0, 0)]  # seccomp_data.nr
    for i, nr in enumerate(LANDLOCK_SYSCALLS):
        prog.append(_insn(JEQ_K, n - i, 0, nr))  # -> the ERRNO return
    prog += [_insn(RET_K, 0, 0, SECCOMP_RET_ALLOW),
             _insn(RET_K, 0, 0, SECCOMP_RET_ERRNO | ENOSYS)]
    return b"".join(prog)


def hide_landlock() -> None:
    machine = os.uname().machine
    if machine not in AUDIT_ARCH:
        raise SystemExit(f"no_landlock: unsupported architecture {machine}")
    code = landlock_enosys_filter(machine)
    buf = ctypes.create_string_buffer(code, len(code))

    class SockFprog(ctypes.Structure):
        _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]

    fprog = SockFprog(len(code) // 8, ctypes.addressof(buf))
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        raise SystemExit(f"no_landlock: PR_SET_NO_NEW_PRIVS: {os.strerror(ctypes.get_errno())}")
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.byref(fprog), 0, 0) != 0:
        raise SystemExit(f"no_landlock: seccomp: {os.strerror(ctypes.get_errno())}")


if __name__ == "__main__":
    if len(sys.argv) < 2:
        raise SystemExit("usage: no_landlock.py PROGRAM [ARGS...]")
    hide_landlock()
    os.execvp(sys.argv[1], sys.argv[1:])
