"""Build the sandbox's seccomp-BPF program in the parent, as plain bytes.

We assemble classic BPF ourselves instead of depending on libseccomp: the
program is small, the parent builds it once (no ~45 ms of per-run setup in the
child), and the child only has to hand the bytes to ``prctl``. The filter is a
deny list on top of Landlock: it removes the syscalls that start programs,
create processes, reach the network or other processes, make device nodes, or
change kernel state.
A deny list is weaker than an allow list, but CPython and its extension modules
use a wide, version-dependent set of syscalls, and an allow list that breaks
``import decimal`` on some kernel would be switched off by users.

The child's own pid is not known here, so instructions that compare against it
carry ``PID_PLACEHOLDER``; the bootstrap patches them before loading.
"""

from __future__ import annotations

import platform
import struct

__all__ = ["PID_PLACEHOLDER", "SUPPORTED_ARCHES", "build_filter", "native_arch"]

PID_PLACEHOLDER = 0x7FFF_FFF1

# Classic BPF opcodes (linux/filter.h) and seccomp return values (linux/seccomp.h).
_LD_W_ABS = 0x20
_JEQ_K = 0x15
_JGE_K = 0x35
_JSET_K = 0x45
_RET_K = 0x06
_RET_ALLOW = 0x7FFF_0000
_RET_KILL_PROCESS = 0x8000_0000
_RET_ERRNO = 0x0005_0000
_EPERM = 1
_ENOSYS = 38

# Offsets into struct seccomp_data (little-endian: low word of args[i] first).
_OFF_NR = 0
_OFF_ARCH = 4


def _arg_lo(i: int) -> int:
    return 16 + 8 * i


def _arg_hi(i: int) -> int:
    return 20 + 8 * i


_CLONE_THREAD = 0x0001_0000
# Every namespace flag clone() accepts; a thread must never create a namespace.
_CLONE_NS_MASK = 0x0002_0000 | 0x0200_0000 | 0x0400_0000 | 0x0800_0000 | 0x1000_0000 \
    | 0x2000_0000 | 0x4000_0000
_AF_UNIX = 1
_AF_INET, _AF_INET6, _AF_NETLINK = 2, 10, 16
_NETLINK_ROUTE = 0
# mknod's mode: S_IFCHR (0o020000) is a bit of S_IFBLK (0o060000) too, and no other node
# type mknod accepts has it; a device node is never something lamp's children may make.
_S_IFCHR = 0o020000
_TIOCSTI = 0x5412
_TIOCLINUX = 0x541C

_ARCH_X86_64 = 0xC000_003E
_ARCH_AARCH64 = 0xC000_00B7

_DENIED = (
    # starting programs and processes
    "execve", "execveat", "fork", "vfork",
    # the network (AF_UNIX socketpair is allowed below: it reaches nothing outside)
    "socket",
    # other processes
    "ptrace", "process_vm_readv", "process_vm_writev", "tkill", "rt_sigqueueinfo",
    "rt_tgsigqueueinfo", "pidfd_send_signal", "pidfd_open", "pidfd_getfd", "kcmp",
    "move_pages", "migrate_pages", "process_madvise",
    # namespaces, mounts and kernel state
    "mount", "umount2", "unshare", "setns", "pivot_root", "chroot", "move_mount",
    "open_tree", "fsopen", "fsconfig", "fsmount", "fspick", "mount_setattr",
    "bpf", "io_uring_setup", "io_uring_enter", "io_uring_register", "userfaultfd",
    "keyctl", "add_key", "request_key", "personality", "perf_event_open",
    "kexec_load", "kexec_file_load", "init_module", "finit_module", "delete_module",
    "reboot", "swapon", "swapoff", "acct", "settimeofday", "clock_settime",
    "clock_adjtime", "adjtimex", "syslog", "open_by_handle_at", "name_to_handle_at",
    "quotactl", "ioperm", "iopl", "modify_ldt", "vhangup", "uselib", "lookup_dcookie",
    "nfsservctl",
)

# Syscall numbers per architecture, from the kernel's uapi headers.
_X86_64 = {
    "mknod": 133, "mknodat": 259, "setuid": 105, "setgid": 106, "setreuid": 113,
    "setregid": 114, "setresuid": 117, "setresgid": 119, "setfsuid": 122, "setfsgid": 123,
    "setgroups": 116,
    "execve": 59, "execveat": 322, "fork": 57, "vfork": 58, "clone": 56, "clone3": 435,
    "socket": 41, "socketpair": 53, "ptrace": 101, "process_vm_readv": 310,
    "process_vm_writev": 311, "kill": 62, "tkill": 200, "tgkill": 234,
    "rt_sigqueueinfo": 129, "rt_tgsigqueueinfo": 297, "pidfd_send_signal": 424,
    "pidfd_open": 434, "pidfd_getfd": 438, "ioctl": 16, "mount": 165, "umount2": 166,
    "unshare": 272, "setns": 308, "bpf": 321, "io_uring_setup": 425,
    "io_uring_enter": 426, "io_uring_register": 427, "userfaultfd": 323, "keyctl": 250,
    "add_key": 248, "request_key": 249, "personality": 135, "perf_event_open": 298,
    "kexec_load": 246, "kexec_file_load": 320, "init_module": 175, "finit_module": 313,
    "delete_module": 176, "reboot": 169, "swapon": 167, "swapoff": 168,
    "pivot_root": 155, "chroot": 161, "acct": 163, "settimeofday": 164,
    "clock_settime": 227, "clock_adjtime": 305, "adjtimex": 159, "syslog": 103,
    "open_by_handle_at": 304, "name_to_handle_at": 303, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "quotactl": 179, "ioperm": 173, "iopl": 172,
    "modify_ldt": 154, "vhangup": 153, "uselib": 134, "kcmp": 312, "move_pages": 279,
    "migrate_pages": 256, "process_madvise": 440, "lookup_dcookie": 212,
    "nfsservctl": 180,
}
_AARCH64 = {
    "mknodat": 33, "setuid": 146, "setgid": 144, "setreuid": 145, "setregid": 143,
    "setresuid": 147, "setresgid": 149, "setfsuid": 151, "setfsgid": 152, "setgroups": 159,
    "execve": 221, "execveat": 281, "clone": 220, "clone3": 435, "socket": 198,
    "socketpair": 199, "ptrace": 117, "process_vm_readv": 270, "process_vm_writev": 271,
    "kill": 129, "tkill": 130, "tgkill": 131, "rt_sigqueueinfo": 138,
    "rt_tgsigqueueinfo": 240, "pidfd_send_signal": 424, "pidfd_open": 434,
    "pidfd_getfd": 438, "ioctl": 29, "mount": 40, "umount2": 39, "unshare": 97,
    "setns": 268, "bpf": 280, "io_uring_setup": 425, "io_uring_enter": 426,
    "io_uring_register": 427, "userfaultfd": 282, "keyctl": 219, "add_key": 217,
    "request_key": 218, "personality": 92, "perf_event_open": 241, "kexec_load": 104,
    "kexec_file_load": 294, "init_module": 105, "finit_module": 273,
    "delete_module": 106, "reboot": 142, "swapon": 224, "swapoff": 225,
    "pivot_root": 41, "chroot": 51, "acct": 89, "settimeofday": 170,
    "clock_settime": 112, "clock_adjtime": 266, "adjtimex": 171, "syslog": 116,
    "open_by_handle_at": 265, "name_to_handle_at": 264, "move_mount": 429,
    "open_tree": 428, "fsopen": 430, "fsconfig": 431, "fsmount": 432, "fspick": 433,
    "mount_setattr": 442, "quotactl": 60, "vhangup": 58, "kcmp": 272,
    "move_pages": 239, "migrate_pages": 238, "process_madvise": 440,
    "lookup_dcookie": 18, "nfsservctl": 42,
}
_TABLES = {"x86_64": (_ARCH_X86_64, _X86_64), "aarch64": (_ARCH_AARCH64, _AARCH64)}
SUPPORTED_ARCHES = tuple(_TABLES)


def native_arch() -> str | None:
    """The architecture name we have a syscall table for, or None."""
    machine = platform.machine().lower()
    machine = {"amd64": "x86_64", "arm64": "aarch64"}.get(machine, machine)
    return machine if machine in _TABLES else None


class _Asm:
    """A tiny assembler: jumps name labels, resolved to relative offsets at the end."""

    def __init__(self) -> None:
        self.ins: list[tuple[int, object, object, int]] = []
        self.labels: dict[str, int] = {}

    def op(self, code: int, k: int, jt: object = 0, jf: object = 0) -> None:
        self.ins.append((code, jt, jf, k))

    def label(self, name: str) -> None:
        self.labels[name] = len(self.ins)

    def ret(self, value: int) -> None:
        self.op(_RET_K, value)

    def assemble(self) -> bytes:
        out = bytearray()
        for pos, (code, jt, jf, k) in enumerate(self.ins):
            rel = [self._rel(pos, j) for j in (jt, jf)]
            out += struct.pack("<HBBI", code, rel[0], rel[1], k & 0xFFFF_FFFF)
        return bytes(out)

    def _rel(self, pos: int, target: object) -> int:
        if isinstance(target, int):
            return target
        off = self.labels[str(target)] - pos - 1
        if not 0 <= off <= 255:  # classic BPF jumps only forward, by at most 255
            raise ValueError(f"BPF jump to {target} out of range")
        return off


def _guard_self(a: _Asm, arg: int, name: str) -> None:
    """Allow the syscall only when argument ``arg`` is our own pid (checked low and high)."""
    a.label(name)
    a.op(_LD_W_ABS, _arg_lo(arg))
    a.op(_JEQ_K, PID_PLACEHOLDER, 0, "deny")
    a.op(_LD_W_ABS, _arg_hi(arg))
    a.op(_JEQ_K, 0, "allow", "deny")


def _guard_device(a: _Asm, arg: int, name: str) -> None:
    """Refuse the call when its mode argument ``arg`` asks for a block or character device."""
    a.label(name)
    a.op(_LD_W_ABS, _arg_lo(arg))
    a.op(_JSET_K, _S_IFCHR, "deny", "allow")


_PROGRAMS = frozenset({"execve", "execveat", "fork", "vfork"})
# A confined MCP server keeps the ids its launcher gave it: as root that is a fresh real
# uid (which RLIMIT_NPROC counts) with no capabilities, and one setresuid() would
# otherwise hand it back the uncounted uid 0.
_ID_CHANGES = ("setuid", "setgid", "setreuid", "setregid", "setresuid", "setresgid",
               "setfsuid", "setfsgid", "setgroups")


def build_filter(arch: str | None = None, *, programs: bool = False,
                 network: bool = False) -> bytes:
    """Return the filter as a sock_filter array (8 bytes per instruction).

    The defaults are the sandbox's. A confined MCP server (``lamp.agent.mcp``) is a
    program the user chose to run, so it gets ``programs=True``: it may exec (its own
    launcher execs it) and start processes (clone without namespace flags); and
    ``network=True`` when its policy allows the network: ``socket`` is then allowed for
    IP (AF_INET, AF_INET6) and for the kernel's routing table (AF_NETLINK with
    NETLINK_ROUTE, which getaddrinfo reads), never AF_UNIX: the network is not the
    user's ssh-agent, D-Bus or docker.sock. With ``programs`` the set*id calls are
    refused too. Every filter refuses to make block or character devices (mknod).
    """
    arch = arch or native_arch()
    if arch not in _TABLES:
        raise ValueError(f"no seccomp syscall table for {platform.machine()}")
    audit_arch, nr = _TABLES[arch]
    a = _Asm()
    a.op(_LD_W_ABS, _OFF_ARCH)
    a.op(_JEQ_K, audit_arch, 1, 0)
    a.ret(_RET_KILL_PROCESS)  # a foreign ABI (e.g. int 0x80 on x86-64) is never legitimate
    a.op(_LD_W_ABS, _OFF_NR)
    if arch == "x86_64":
        a.op(_JGE_K, 0x4000_0000, "deny", 0)  # the x32 ABI would bypass every number below
    special = {"clone": "clone", "clone3": "enosys", "kill": "kill", "tgkill": "tgkill",
               "socketpair": "socketpair", "ioctl": "ioctl", "mknodat": "mknodat"}
    if "mknod" in nr:
        special["mknod"] = "mknod"
    if network:
        special["socket"] = "socket"
    for name, target in special.items():
        a.op(_JEQ_K, nr[name], target, 0)
    denied = _DENIED + (_ID_CHANGES if programs else ())
    for name in denied:
        if (programs and name in _PROGRAMS) or (network and name == "socket"):
            continue
        if name in nr:
            a.op(_JEQ_K, nr[name], "deny", 0)
    a.ret(_RET_ALLOW)  # everything not named above
    # Argument checks; BPF only jumps forward, so the verdicts come last.
    a.label("clone")  # threads only (processes too with programs); never namespace flags
    a.op(_LD_W_ABS, _arg_lo(0))
    a.op(_JSET_K, _CLONE_NS_MASK, "deny", 0)
    if programs:
        a.ret(_RET_ALLOW)
    else:
        a.op(_JSET_K, _CLONE_THREAD, "allow", "deny")
    if network:
        a.label("socket")  # the domain is an int: the low word decides
        a.op(_LD_W_ABS, _arg_lo(0))
        a.op(_JEQ_K, _AF_INET, "allow", 0)
        a.op(_JEQ_K, _AF_INET6, "allow", 0)
        a.op(_JEQ_K, _AF_NETLINK, 0, "deny")
        a.op(_LD_W_ABS, _arg_lo(2))
        a.op(_JEQ_K, _NETLINK_ROUTE, "allow", "deny")
    if "mknod" in nr:
        _guard_device(a, 1, "mknod")
    _guard_device(a, 2, "mknodat")
    a.label("socketpair")
    a.op(_LD_W_ABS, _arg_lo(0))
    a.op(_JEQ_K, _AF_UNIX, "allow", "deny")
    a.label("ioctl")  # the request is an unsigned int: the low word decides
    a.op(_LD_W_ABS, _arg_lo(1))
    a.op(_JEQ_K, _TIOCSTI, "deny", 0)
    a.op(_JEQ_K, _TIOCLINUX, "deny", "allow")
    _guard_self(a, 0, "kill")
    _guard_self(a, 0, "tgkill")
    a.label("allow")
    a.ret(_RET_ALLOW)
    a.label("deny")
    a.ret(_RET_ERRNO | _EPERM)
    a.label("enosys")  # glibc then falls back to clone(), which the filter can inspect
    a.ret(_RET_ERRNO | _ENOSYS)
    return a.assemble()
