"""What a command word means to the risk rules: wrappers that run another command,
interpreters that run code, downloaders, and how each one's options are read.

A wrapper (``sudo``, ``timeout 5``, ``nice -n 10``, ``env X=1``, ``busybox``) hides
the command it runs behind its own options, some of which take a value
(``timeout -s KILL 5 rm``). Reading those options as the wrapper does is what
finds the real command; a table per wrapper keeps that readable and testable.
"""

from __future__ import annotations

import posixpath
import re
from dataclasses import dataclass

from .words import Field

__all__ = ["DECODERS", "DELETERS", "DOWNLOADERS", "SHELLS", "Interpreter", "Unwrapped",
           "command_name", "interpreter", "is_privileged", "joined", "split_options",
           "unwrap"]

SHELLS = frozenset({"sh", "bash", "rbash", "zsh", "dash", "ksh", "ksh93", "mksh", "pdksh",
                    "ash", "yash", "posh", "fish", "csh", "tcsh", "elvish", "xonsh"})
DOWNLOADERS = frozenset({"curl", "wget", "wget2", "fetch", "aria2c", "axel", "http", "https",
                         "xh", "xhs", "lwp-request", "lwp-download", "get", "lynx", "links",
                         "w3m", "nc", "ncat", "netcat", "socat", "tftp", "ftp", "httpie",
                         "curlie", "invoke-webrequest", "iwr"})
DECODERS = frozenset({"base64", "base32", "basenc", "xxd", "uudecode", "openssl", "gunzip",
                      "zcat", "gzip", "bzip2", "bzcat", "xz", "xzcat", "unxz", "zstd",
                      "zstdcat", "rev", "tr", "od", "perl", "python", "python3"})
DELETERS = frozenset({"rm", "shred", "unlink", "rmdir", "srm", "wipe", "trash", "trash-put"})


@dataclass(frozen=True)
class _Wrapper:
    values: str = ""  # short options that take a value
    long_values: frozenset[str] = frozenset()
    positional: int = 0  # words between the options and the command (timeout's duration)
    code: str = ""  # short options whose value is a shell command string (su -c)
    long_code: frozenset[str] = frozenset()
    stop: str = ""  # short options after which nothing is run (command -v, sudo -l)
    joins: bool = False  # runs its arguments joined into one string by a shell (watch, ssh)


def _w(values: str = "", long_values: str = "", **kw: object) -> _Wrapper:
    return _Wrapper(values, frozenset(long_values.split()), **kw)  # type: ignore[arg-type]


_WRAPPERS: dict[str, _Wrapper] = {
    "sudo": _w("ugCDhprTUt", "--user --group --close-from --chdir --host --prompt --role "
               "--type --other-user --command-timeout", stop="lvVeK"),
    "doas": _w("uC", stop=""),
    "run0": _w("uDg", "--user --group --chdir --description --slice --property --unit "
               "--setenv --nice --machine --background"),
    "pkexec": _w("", "--user"),
    "su": _w("gGsw", "--group --supp-group --shell --whitelist-environment", code="c",
             long_code=frozenset({"--command", "--session-command"}), positional=-1),
    "runuser": _w("ugGs", "--user --group --supp-group --shell", code="c",
                  long_code=frozenset({"--command", "--session-command"})),
    "env": _w("uC", "--unset --chdir", code="S", long_code=frozenset({"--split-string"})),
    "timeout": _w("sk", "--signal --kill-after", positional=1),
    "nice": _w("n", "--adjustment"),
    "nohup": _w(),
    "setsid": _w(),
    "stdbuf": _w("ioe", "--input --output --error"),
    "ionice": _w("cnPpu", "--class --classdata --pid --pgid --uid"),
    "chroot": _w("", "--userspec --groups", positional=1),
    "time": _w("fo", "--format --output"),
    "command": _w(stop="vV"),
    "builtin": _w(),
    "exec": _w("a"),
    "unbuffer": _w(),
    "taskset": _w("", "", positional=1),
    "chrt": _w("T", "--sched-runtime --sched-deadline --sched-period", positional=1),
    "numactl": _w("CNmMpi", "--cpunodebind --membind --physcpubind --preferred "
                  "--interleave"),
    "flock": _w("wEc", "--timeout --conflict-exit-code", positional=1, code="c",
                long_code=frozenset({"--command"})),
    "script": _w("IOTBEm", "--log-in --log-out --log-timing --log-io --echo --logging-format",
                 code="c", long_code=frozenset({"--command"}), positional=-1),
    "strace": _w("abeEIoOpPsSuUX"), "ltrace": _w("aAeEnoOpsSuLxX"),
    "proxychains": _w("f"), "proxychains4": _w("f"), "torsocks": _w("auP"),
    "firejail": _w(), "caffeinate": _w("tw"),
    "systemd-run": _w("pEuMHS", "--unit --property --setenv --uid --gid --machine --slice"),
    "watch": _w("ndq", "--interval --differences --equexit --chgexit", joins=True),
    "ssh": _w("bcDEeFIiJLlmOopQRSWw", positional=1, joins=True),
    "sg": _w("", code="c", positional=1),
    "nsenter": _w("tSGmupnicUCrw", "--target --setuid --setgid"),
    "unshare": _w("", "--map-user --map-group --propagation --setgroups --root --wd"),
    "catchsegv": _w(), "valgrind": _w(), "xvfb-run": _w("nseafp"),
    "parallel": _w("jPNnLlSXaE", "--jobs --max-args --max-procs --arg-file --sshlogin"),
}
_PRIVILEGED = frozenset({"sudo", "doas", "su", "pkexec", "runas", "run0", "runuser",
                         "sudoedit"})


def command_name(text: str) -> str:
    """The program a command word names: its file name, lower-cased (``/usr/bin/RM`` is
    ``rm`` on a case-insensitive disk)."""
    return posixpath.basename(text.rstrip("/")).lower() if text else ""


def is_privileged(name: str) -> bool:
    return name in _PRIVILEGED


@dataclass
class Unwrapped:
    """What a wrapper runs: ``command`` fields (None: nothing) and ``code`` fields that
    are shell command strings (``su -c``, ``watch``'s joined words)."""

    command: list[Field] | None
    code: list[Field]


def split_options(args: list[Field], values: str, long_values: frozenset[str] = frozenset()
                  ) -> tuple[list[tuple[str, Field | None]], list[Field]]:
    """``args`` read as getopt would: the options (with their values) and the operands
    from the first one that is not an option."""
    options: list[tuple[str, Field | None]] = []
    i = 0
    while i < len(args):
        text = args[i].text
        if text == "--":
            return options, args[i + 1:]
        if not text.startswith("-") or text == "-" or args[i].dynamic:
            break
        if text.startswith("--"):
            name, eq, value = text.partition("=")
            if not eq and name in long_values and i + 1 < len(args):
                options.append((name, args[i + 1]))
                i += 2
                continue
            options.append((name, Field(value) if eq else None))
            i += 1
            continue
        for k, letter in enumerate(text[1:], start=1):
            if letter in values:
                rest = text[k + 1:]
                if rest:
                    options.append(("-" + letter, Field(rest)))
                elif i + 1 < len(args):
                    options.append(("-" + letter, args[i + 1]))
                    i += 1
                else:
                    options.append(("-" + letter, None))
                break
            options.append(("-" + letter, None))
        i += 1
    return options, args[i:]


def unwrap(name: str, args: list[Field]) -> Unwrapped | None:
    """What wrapper ``name`` runs with ``args`` (None: ``name`` is not a wrapper)."""
    spec = _WRAPPERS.get(name)
    if spec is None:
        return None
    options, rest = split_options(args, spec.values + spec.code, spec.long_values
                                  | spec.long_code)
    code = [value for opt, value in options if value is not None
            and ((opt.lstrip("-") in spec.code and len(opt) == 2) or opt in spec.long_code)]
    if any(opt.lstrip("-") in spec.stop and len(opt) == 2 for opt, _ in options):
        return Unwrapped(None, code)
    if name == "env":
        while rest and re.match(r"[A-Za-z_][A-Za-z0-9_]*=", rest[0].text):
            rest = rest[1:]
        if code:  # env -S 'rm -rf' ARGS: the split string and the words after it
            return Unwrapped(None, [joined([*code, *rest])])
    if name == "nice" and rest and re.fullmatch(r"-?\d+", rest[0].text):
        rest = rest[1:]
    skip = spec.positional
    if skip < 0:  # su USER / script FILE: an optional word before nothing more is run
        return Unwrapped(None, code)
    rest = rest[skip:]
    if spec.joins:
        return Unwrapped(None, [*code, joined(rest)] if rest else code)
    return Unwrapped(rest or None, code)


def joined(fields: list[Field]) -> Field:
    """Fields joined with blanks into one string, as ``eval`` and ``watch`` join them."""
    return Field(" ".join(f.text for f in fields), dynamic=any(f.dynamic for f in fields),
                 subs=tuple(s for f in fields for s in f.subs),
                 shape=" ".join(f.shape or f.text for f in fields)
                 if any(f.dynamic for f in fields) else "")


@dataclass(frozen=True)
class Interpreter:
    """How an interpreter takes its program: ``code`` options (``-c``, ``-e``), options with
    a value, and ``module`` options after which no program file or stdin is read."""

    language: str
    code: str = ""
    long_code: frozenset[str] = frozenset()
    values: str = ""
    module: str = ""


_INTERPRETERS: dict[str, Interpreter] = {
    "python": Interpreter("python", "c", values="WXQ", module="m"),
    "pypy": Interpreter("python", "c", values="WX", module="m"),
    "perl": Interpreter("perl", "eE", values="IMmdxC"),
    "ruby": Interpreter("ruby", "e", values="IrCEFKT"),
    "node": Interpreter("javascript", "ep", frozenset({"--eval", "--print"}), values="r"),
    "bun": Interpreter("javascript", "e", frozenset({"--eval", "--print"})),
    "deno": Interpreter("javascript", "", frozenset()),
    "php": Interpreter("php", "rBRE", values="cdfzt"),
    "lua": Interpreter("lua", "e", values="l"),
    "luajit": Interpreter("lua", "e", values="lj"),
    "osascript": Interpreter("applescript", "e", values="l"),
    "awk": Interpreter("awk", "", values="Fvf"),
    "tclsh": Interpreter("tcl"), "wish": Interpreter("tcl"), "rscript": Interpreter("r", "e"),
}
_ALIASES = {"nodejs": "node", "gawk": "awk", "mawk": "awk",
            "nawk": "awk", "busybox-awk": "awk", "jruby": "ruby", "php-cli": "php"}


def interpreter(name: str) -> Interpreter | None:
    """The interpreter ``name`` runs (``python3.12`` is python), or None."""
    name = _ALIASES.get(name, name)
    if re.fullmatch(r"python[0-9.]*[mwd]?|pypy[0-9.]*", name):
        return _INTERPRETERS["pypy" if name.startswith("pypy") else "python"]
    if re.fullmatch(r"perl[0-9.]*", name):
        return _INTERPRETERS["perl"]
    if re.fullmatch(r"php[0-9.]*", name):
        return _INTERPRETERS["php"]
    if re.fullmatch(r"lua[0-9.]*", name):
        return _INTERPRETERS["lua"]
    return _INTERPRETERS.get(name)
