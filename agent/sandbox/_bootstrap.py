"""The child's first code: confine this process (L1), then run the untrusted code.

It also launches confined MCP servers (``lamp.agent.mcp``): with ``exec`` in the
config it reads that config from a 0600 file (``--boot-file PATH``, deleted at
once: the server's ``env`` may hold secrets, and an argv is world-readable in
/proc) and stays as the server's parent, a child subreaper: every orphan of the
server's tree (a ``setsid()`` daemon included) is re-parented to it, and when
the server exits, or lamp goes away (``PR_SET_PDEATHSIG``), or the MCP client
sends SIGTERM, it SIGKILLs every descendant before it exits. Its child confines
itself the same way, and, when lamp runs as root, takes a fresh real uid (which
``RLIMIT_NPROC`` then counts) and drops every capability, then replaces itself
with the server's program, which inherits all of it (the Landlock domain, the
seccomp filter, the limits and the ids survive exec). The status line then goes
to stderr.

This file is never imported by lamp. The parent reads its source and runs it as
``python -I -S -c <source> <config-json>`` (or ``--boot-file PATH``); it uses
only the standard library and must stay self-contained. Order matters: resource
limits, then (for an MCP server, as root) the fresh uid and the capability
drop, then ``no_new_privs``, then Landlock, then seccomp (which forbids the
syscalls the earlier steps needed), then a status line to the parent on a
private pipe, and only then is the code read from stdin and executed. Nothing
the untrusted code does can undo these steps: Landlock domains and seccomp
filters are irreversible and inherited by every thread.
"""

import ctypes
import json
import os
import resource
import signal
import stat
import struct
import sys
import time

PLACEHOLDER = 0x7FFF_FFF1
LANDLOCK_SYSCALLS = (444, 445, 446)  # the same numbers on every architecture
PR_SET_NO_NEW_PRIVS, PR_GET_SECCOMP, PR_SET_SECCOMP = 38, 21, 22
PR_SET_PDEATHSIG, SIGKILL, SIGTERM = 1, 9, 15
PR_CAPBSET_DROP, PR_SET_SECUREBITS, PR_SET_CHILD_SUBREAPER = 24, 28, 36
PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL = 47, 4
# NOROOT, NO_SETUID_FIXUP, KEEP_CAPS and NO_CAP_AMBIENT_RAISE, each with its lock: uid 0
# never regains a capability, not even through exec.
SECURE_ALL = 0x01 | 0x02 | 0x04 | 0x08 | 0x20 | 0x40 | 0x80
CAPS_V3 = 0x20080522
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
    if cfg.get("uid") is not None:
        drop_privileges(cfg["uid"], status)
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


class CapHeader(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


def drop_privileges(uid, status):
    """As root: a fresh real uid and no capabilities, for good.

    The real uid is the one ``RLIMIT_NPROC`` counts (and uid 0 is exempt from it); the
    effective uid stays 0, so the files lamp's user (root) owns stay reachable where the
    policy grants them, and Landlock decides the rest. Without CAP_SETUID, and with the
    seccomp filter refusing set*id calls, the server cannot take the real uid 0 back.
    """
    if libc.prctl(PR_SET_SECUREBITS, SECURE_ALL, 0, 0, 0) != 0:
        status["errors"].append(err("securebits"))
    for cap in range(64):
        if libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            break  # EINVAL: past the last capability this kernel knows
    libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
    try:
        os.setresuid(uid, 0, 0)
    except OSError as exc:
        status["errors"].append(f"setresuid: {exc}")
    header = CapHeader(CAPS_V3, 0)
    data = (ctypes.c_uint32 * 6)()
    if libc.capset(ctypes.byref(header), data) != 0:
        status["errors"].append(err("capset"))
    with open("/proc/self/status", "rb") as fh:
        caps = {k: int(v, 16) for k, v in (line.decode().split(":") for line in fh
                                           if line.startswith(b"Cap"))}
    status["capabilities"] = "none" if not any(caps.values()) else "some"
    status["uid"] = os.getuid()


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


def children(parent):
    """Pids whose parent is ``parent`` (orphans of the tree are re-parented to us)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat", "rb") as fh:
                fields = fh.read().rsplit(b")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == parent:
            found.append(int(name))
    return found


def of_uid(uid):
    """Pids whose real uid is ``uid`` (the fresh uid a server got when lamp is root)."""
    found = []
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/status", "rb") as fh:
                fields = dict(line.split(b":", 1) for line in fh if b":" in line)
            if int(fields[b"Uid"].split()[0]) == uid and fields[b"State"].split()[0] != b"Z":
                found.append(int(name))
        except (OSError, ValueError, KeyError, IndexError):
            continue
    return found


def kill_tree(uid):
    """SIGKILL every descendant (and every process of the server's own uid), reap them."""
    me = os.getpid()
    deadline = time.monotonic() + 10  # RLIMIT_NPROC bounds the tree; this bounds the loop
    while time.monotonic() < deadline:
        victims = children(me) + (of_uid(uid) if uid is not None else [])
        if not victims:
            return
        for pid in victims:
            try:
                os.kill(pid, SIGKILL)
            except OSError:
                continue
        try:
            os.waitpid(-1, 0)  # a killed child: by now its children are ours
            while os.waitpid(-1, os.WNOHANG)[0]:
                pass
        except ChildProcessError:
            time.sleep(0.005)  # only processes of the uid left: let the kills land


def launch(cfg):
    """Start the server in a child and stay its parent until the whole tree is gone."""
    uid = cfg.get("uid")

    def ending(signum, frame):
        kill_tree(uid)
        os._exit(128 + signum)

    libc.prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
        signal.signal(sig, ending)
    libc.prctl(PR_SET_PDEATHSIG, SIGTERM, 0, 0, 0)
    if cfg.get("parent") and os.getppid() != cfg["parent"]:
        os._exit(1)  # lamp was gone before the death signal was armed
    server = os.fork()
    if server == 0:
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_DFL)
        confine(cfg)
        exec_program(cfg)
    code = 1
    while True:
        try:
            pid, st = os.waitpid(-1, 0)
        except ChildProcessError:
            break
        if pid == server:
            code = os.waitstatus_to_exitcode(st)
            break
    kill_tree(uid)
    os._exit(code if code >= 0 else 128 - code)


if sys.argv[1] == "--boot-file":
    with open(sys.argv[2], "rb") as boot:
        config = json.loads(boot.read())
    os.unlink(sys.argv[2])
else:
    config = json.loads(sys.argv[1])
if config.get("exec"):
    launch(config)
confine(config)
del sys.argv[1:]
run_user_code()
