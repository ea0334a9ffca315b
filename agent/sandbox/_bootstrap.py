"""The child's first code: confine this process (L1), then run the untrusted code.

It also launches confined MCP servers (``lamp.agent.mcp``): with ``exec`` in the
config it confines itself the same way and then replaces itself with the
server's program, which inherits the Landlock domain, the seccomp filter and
the limits (they survive exec), and is killed if lamp's thread that started it
goes away (``PR_SET_PDEATHSIG``). Its status line then goes to stderr.

This file is never imported by lamp. The parent reads its source and runs it as
``python -I -S -c <source> <config-json>``; it uses only the standard library
and must stay self-contained. Order matters: resource limits, then
``no_new_privs``, then Landlock, then seccomp (which forbids the syscalls the
earlier steps needed), then a status line to the parent on a private pipe, and
only then is the code read from stdin and executed. Nothing the untrusted code
does can undo these steps: Landlock domains and seccomp filters are
irreversible and inherited by every thread.
"""

import ctypes
import json
import os
import resource
import stat
import struct
import sys

PLACEHOLDER = 0x7FFF_FFF1
LANDLOCK_SYSCALLS = (444, 445, 446)  # the same numbers on every architecture
PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_SECCOMP = 38, 21, 22
PR_SET_PDEATHSIG, SIGKILL = 1, 9
SECCOMP_MODE_FILTER = 2
REFUSED = 125  # exit status when policy forbids running with the layers we got

# Landlock filesystem rights, by the ABI version that introduced them.
FS_EXECUTE, FS_WRITE_FILE, FS_READ_FILE, FS_READ_DIR = 1, 2, 4, 8
FS_ABI1 = (1 << 13) - 1  # EXECUTE .. MAKE_SYM
FS_REFER, FS_TRUNCATE, FS_IOCTL_DEV = 1 << 13, 1 << 14, 1 << 15
FILE_ONLY = FS_EXECUTE | FS_WRITE_FILE | FS_READ_FILE | FS_TRUNCATE | FS_IOCTL_DEV
NET_BIND_TCP, NET_CONNECT_TCP = 1, 2
SCOPE_ABSTRACT_UNIX, SCOPE_SIGNAL = 1, 2
O_PATH = getattr(os, "O_PATH", 0o10000000)

libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
libc.prctl.argtypes = [ctypes.c_int, ctypes.c_ulong, ctypes.c_ulong, ctypes.c_ulong,
                       ctypes.c_ulong]


def err(what):
    return f"{what}: {os.strerror(ctypes.get_errno())}"


def landlock(cfg, status):
    create, add_rule, restrict = LANDLOCK_SYSCALLS
    abi = libc.syscall(create, None, ctypes.c_size_t(0), ctypes.c_uint32(1))
    status["landlock_abi"] = max(abi, 0)
    if abi < 1:
        return status["errors"].append(err("landlock"))
    fs = FS_ABI1 | (FS_REFER if abi >= 2 else 0) | (FS_TRUNCATE if abi >= 3 else 0)
    fs |= FS_IOCTL_DEV if abi >= 5 else 0
    net = NET_BIND_TCP | NET_CONNECT_TCP if abi >= 4 and cfg.get("deny_tcp", True) else 0
    scoped = SCOPE_ABSTRACT_UNIX | SCOPE_SIGNAL if abi >= 6 else 0
    attr = struct.pack("<QQQ", fs, net, scoped)[: 8 if abi < 4 else 16 if abi < 6 else 24]
    buf = ctypes.create_string_buffer(attr, len(attr))
    rfd = libc.syscall(create, buf, ctypes.c_size_t(len(attr)), ctypes.c_uint32(0))
    if rfd < 0:
        return status["errors"].append(err("landlock_create_ruleset"))
    read = FS_READ_FILE | FS_READ_DIR | FS_EXECUTE
    rules = [(p, read) for p in cfg["ro_paths"]] + [(p, fs) for p in cfg["rw_paths"]]
    rules += [(p, FS_READ_FILE | FS_WRITE_FILE) for p in cfg["dev_paths"]]
    for path, rights in rules:
        try:
            pfd = os.open(path, O_PATH | os.O_CLOEXEC)
        except OSError:
            continue  # a path this machine lacks needs no rule
        if not stat.S_ISDIR(os.fstat(pfd).st_mode):
            rights &= FILE_ONLY  # directory rights on a file make the rule invalid
        rule = ctypes.create_string_buffer(struct.pack("<Qi", rights & fs, pfd), 12)
        rc = libc.syscall(add_rule, ctypes.c_int(rfd), ctypes.c_int(1), rule, ctypes.c_uint32(0))
        os.close(pfd)
        if rc != 0:
            os.close(rfd)
            return status["errors"].append(err(f"landlock_add_rule {path}"))
    rc = libc.syscall(restrict, ctypes.c_int(rfd), ctypes.c_uint32(0))
    os.close(rfd)
    if rc != 0:
        return status["errors"].append(err("landlock_restrict_self"))
    status.update(landlock=True, landlock_net=bool(net), landlock_scoped=bool(scoped))


class SockFprog(ctypes.Structure):
    _fields_ = [("len", ctypes.c_ushort), ("filter", ctypes.c_void_p)]


def seccomp(cfg, status):
    prog = bytes.fromhex(cfg["seccomp"])
    if not prog:
        return status["errors"].append("seccomp: no filter for this architecture")
    pid = os.getpid()
    ins = [list(struct.unpack_from("<HBBI", prog, i)) for i in range(0, len(prog), 8)]
    for one in ins:
        if one[3] == PLACEHOLDER:
            one[3] = pid
    code = b"".join(struct.pack("<HBBI", *one) for one in ins)
    buf = ctypes.create_string_buffer(code, len(code))
    fprog = SockFprog(len(ins), ctypes.addressof(buf))
    if libc.prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, ctypes.addressof(fprog), 0, 0) != 0:
        return status["errors"].append(err("seccomp"))
    status["seccomp"] = libc.prctl(PR_GET_SECCOMP, 0, 0, 0, 0) == SECCOMP_MODE_FILTER


def confine(cfg):
    status = {"landlock": False, "landlock_abi": 0, "landlock_net": False,
              "landlock_scoped": False, "seccomp": False, "errors": [],
              "uid": os.getuid(), "gid": os.getgid()}
    os.chdir(cfg["workdir"])
    for name, (soft, hard) in cfg["rlimits"].items():
        try:
            resource.setrlimit(getattr(resource, name), (soft, hard))
        except (ValueError, OSError) as exc:
            status["errors"].append(f"{name}: {exc}")
    if libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
        status["errors"].append(err("no_new_privs"))
    if cfg["landlock"]:
        landlock(cfg, status)
    if cfg["seccomp"]:
        seccomp(cfg, status)
    if cfg.get("exec"):
        os.write(2, ("LAMP-CONFINE " + json.dumps(status) + "\n").encode())
    else:
        with os.fdopen(cfg["status_fd"], "w") as pipe:
            pipe.write(json.dumps(status))
    if cfg["strict"] and not (status["landlock"] and status["seccomp"]):
        os._exit(REFUSED)


def exec_program(cfg):
    """Become the MCP server: its argv and environment come from lamp, nothing else."""
    libc.prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0)
    argv = cfg["exec"]
    try:
        os.execve(argv[0], argv, cfg["env"])
    except OSError as exc:
        os.write(2, f"lamp: cannot start {argv[0]}: {exc.strerror}\n".encode())
        os._exit(127)


def run_user_code():
    import traceback
    import types

    source = sys.stdin.buffer.read()
    main = types.ModuleType("__main__")
    main.__file__ = "<sandbox>"
    sys.modules["__main__"] = main
    sys.argv = ["<sandbox>"]
    sys.stdout.reconfigure(errors="backslashreplace", line_buffering=True)
    sys.stderr.reconfigure(errors="backslashreplace")
    try:
        exec(compile(source, "<sandbox>", "exec"), main.__dict__)
    except SystemExit:
        raise
    except BaseException as exc:
        traceback.print_exception(type(exc), exc, exc.__traceback__.tb_next)
        sys.stderr.flush()
        sys.exit(1)


config = json.loads(sys.argv[1])
confine(config)
if config.get("exec"):
    exec_program(config)
del sys.argv[1:]
run_user_code()
