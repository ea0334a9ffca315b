"""Tasks for the `lamp cmd` benchmark: a request, a tiny fixture, a reference command, a checker.

Kept apart from benchmarks/cmd_tasks.py (which loads a model) so that
tests/test_cmd_tasks.py can check every task against its reference command
without one. A task is judged by running the proposed command for real, because
two different command lines are often both right (``wc -l < f`` and
``grep -c '' f``) and text comparison with one answer would call one of them
wrong. Each run gets a fresh temporary directory: ``work/`` (the fixture, the
command's cwd) and ``home/`` (its HOME, so ``git config --global`` and dotfiles
stay out of the fixture and out of the real home).

The fixture is the only isolation there is (no container, no network namespace),
so a command that names anything outside it is refused before it runs and
counts as wrong: absolute system paths, ``~``, ``$HOME``, ``..``, privilege and
network tools, and ways of signalling processes by name or process group.
"""

from __future__ import annotations

import contextlib
import gzip
import os
import re
import signal
import subprocess
import tarfile
import tempfile
import time
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["TASKS", "Run", "Task", "refusal", "run_task"]

TIMEOUT_S = 10.0


@dataclass(frozen=True)
class Run:
    """What one command did: its output, exit status and wall time."""

    stdout: str
    stderr: str
    code: int
    seconds: float


Check = Callable[[Path, Run], bool]


@dataclass(frozen=True)
class Task:
    """One request. ``expect`` compares stdout (``ordered=False``: as a set of lines;
    ``numeric``: only the first word, so ``wc -l f`` and ``wc -l < f`` both count);
    ``check`` looks at the directory afterwards (and may look at the output too).
    ``setup`` is bash run in the fixture after ``files`` are written; ``cleanup``
    undoes anything it started that outlives the command."""

    id: str
    category: str
    request: str
    reference: str
    files: Mapping[str, str] = field(default_factory=dict)
    setup: str = ""
    expect: str | None = None
    also: tuple[str, ...] = ()
    ordered: bool = True
    numeric: bool = False
    check: Check | None = None
    cleanup: Callable[[Path], None] | None = None

    @property
    def lang(self) -> str:
        return "ko" if re.search("[\uac00-\ud7a3]", self.request) else "en"


# -- running a command in a fixture ------------------------------------------------

_SYSTEM_DIRS = ("etc", "usr", "home", "root", "var", "tmp", "bin", "sbin", "lib", "lib64",
                "opt", "proc", "sys", "dev", "boot", "mnt", "media", "srv", "run", "work",
                "snap", "nix", "private", "Users", "System", "Library")
_REFUSE: tuple[tuple[str, re.Pattern[str]], ...] = tuple(
    (why, re.compile(pattern)) for why, pattern in (
        ("a system path", r"(?<![\w.~-])/(?:" + "|".join(_SYSTEM_DIRS) + r")\b"
                           r"(?!/(?:null|stdout|stderr|stdin)\b)"),
        ("the root directory", r"(?:^|[\s=:'\"])/\*?(?:$|[\s;&|'\")])"),
        ("the home directory", r"(?:^|[\s=:'\"(])~(?:$|[\s/;&|'\")])|\$\{?HOME\b|\$\{?USER\b"),
        ("a parent directory", r"(?:^|[\s/=:'\"])\.\.(?:$|[\s/;&|'\")])"),
        ("a privilege tool", r"\b(?:sudo|doas|su|pkexec|chroot)\b"),
        ("a network tool", r"\b(?:curl|wget|nc|ncat|ssh|scp|sftp|rsync|ftp|telnet)\b"),
        ("a system-wide signal", r"\b(?:pkill|killall5?|shutdown|reboot|halt|poweroff|"
                                 r"systemctl|service|mount|umount)\b"
                                 r"|\bkill\b(?:\s+-\w+)*\s+(?:--\s+)?-?[01]\b"),
    ))


def refusal(command: str) -> str:
    """Why ``command`` must not run in a fixture (it reaches outside it); empty when fine."""
    for why, pattern in _REFUSE:
        if pattern.search(command):
            return f"refused: names {why}"
    return ""


def _env(home: Path) -> dict[str, str]:
    """A small, fixed environment: nothing of the caller's leaks in, git never waits for an
    editor or a pager, and commits made in fixtures have fixed dates."""
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home),
            "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8", "TZ": "UTC", "TERM": "dumb",
            "GIT_CONFIG_NOSYSTEM": "1", "GIT_EDITOR": "true", "GIT_PAGER": "cat",
            "PAGER": "cat", "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
            "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z"}


def _bash(command: str, cwd: Path, home: Path) -> tuple[Run, int]:
    """Run in a new session (so everything it leaves behind can be signalled as a group)."""
    started = time.perf_counter()
    proc = subprocess.Popen(["bash", "-c", command], cwd=cwd, env=_env(home),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True)
    try:
        out, err = proc.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        _kill_group(proc.pid)
        out, err = proc.communicate()
        return Run(out.decode(errors="replace"), "timed out", 124,
                   time.perf_counter() - started), proc.pid
    return Run(out.decode(errors="replace"), err.decode(errors="replace"), proc.returncode,
               time.perf_counter() - started), proc.pid


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


def build_fixture(task: Task, root: Path) -> tuple[Path, Path]:
    """``root/work`` holding the task's files (after its setup) and an empty ``root/home``."""
    work, home = root / "work", root / "home"
    work.mkdir()
    home.mkdir()
    for rel, content in task.files.items():
        path = work / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(content)
    if task.setup:
        run, pgid = _bash(task.setup, work, home)
        _kill_group(pgid)
        if run.code:
            raise RuntimeError(f"{task.id}: fixture setup failed: {run.stderr.strip()}")
    return work, home


def _lines(text: str) -> list[str]:
    """Output lines with runs of blanks collapsed, empty lines and a leading ./ dropped."""
    lines = [" ".join(line.split()) for line in text.splitlines()]
    return [line[2:] if line.startswith("./") else line for line in lines if line]


def matches(task: Task, stdout: str) -> bool:
    """Whether ``stdout`` is one of the task's expected outputs, normalised as it says."""
    got = _lines(stdout)
    for expected in (task.expect or "", *task.also):
        want = _lines(expected)
        if task.numeric:
            if got and want and got[0].split()[0] == want[0]:
                return True
        elif (got if task.ordered else sorted(got)) == (want if task.ordered else sorted(want)):
            return True
    return False


def run_task(task: Task, command: str) -> tuple[bool, str]:
    """Run ``command`` in a fresh fixture and judge it; (passed, why not)."""
    why = refusal(command)
    if why:
        return False, why
    with tempfile.TemporaryDirectory(prefix=f"cmd-{task.id}-") as tmp:
        work, home = build_fixture(task, Path(tmp))
        pgid = 0
        try:
            run, pgid = _bash(command, work, home)
            if run.code == 124 and run.stderr == "timed out":
                return False, "timed out"
            ok = True
            if task.expect is not None:
                ok = matches(task, run.stdout)
            if ok and task.check is not None:
                try:
                    ok = task.check(work, run)
                except (OSError, ValueError, subprocess.SubprocessError):
                    ok = False
            return ok, "" if ok else f"exit {run.code}: {(run.stdout or run.stderr)[:80]!r}"
        finally:
            if pgid:
                _kill_group(pgid)
            if task.cleanup is not None:
                task.cleanup(work)


# -- checker helpers ----------------------------------------------------------------

def _read(root: Path, rel: str) -> str | None:
    path = root / rel
    return path.read_text(errors="replace") if path.is_file() else None


def _git(root: Path, *args: str) -> str:
    done = subprocess.run(["git", *args], cwd=root, env=_env(root), capture_output=True,
                          text=True, timeout=TIMEOUT_S)
    return done.stdout.strip()


def _members(archive: Path) -> dict[str, bytes]:
    """Member name (without a leading ./) -> content, for a tar (any compression) or zip."""
    if not archive.is_file():
        return {}
    try:
        if zipfile.is_zipfile(archive):
            with zipfile.ZipFile(archive) as z:
                return {n.removeprefix("./"): z.read(n) for n in z.namelist()
                        if not n.endswith("/")}
        with tarfile.open(archive) as t:
            out = {}
            for m in t.getmembers():
                f = t.extractfile(m) if m.isfile() else None
                if f is not None:
                    out[m.name.removeprefix("./")] = f.read()
            return out
    except (OSError, tarfile.TarError, zipfile.BadZipFile, EOFError):
        return {}


def _has_text(rel: str, content: str) -> Check:
    return lambda root, run: _read(root, rel) == content


def _magic(path: Path, prefix: bytes) -> bool:
    """The file starts with ``prefix`` (gzip, bzip2), so the compression asked for was used."""
    with path.open("rb") as f:
        return f.read(len(prefix)) == prefix


def _gunzip(path: Path) -> bytes | None:
    try:
        with gzip.open(path) as f:
            return f.read()
    except OSError:
        return None


def _wait_for(path: Path, seconds: float = 2.0) -> bool:
    """Commands may leave a background job behind that has not written its file yet."""
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    time.sleep(0.05)
    return True


def _pid_dead(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True
    return stat.rsplit(")", 1)[-1].split()[0] in ("Z", "X")


def _pid_in(root: Path, rel: str) -> int:
    try:
        return int((_read(root, rel) or "").strip())
    except ValueError:
        return 0


def _stop_sleeper(root: Path) -> None:
    """The app.pid task's fixture starts ``sleep`` in its own session; end it if still up."""
    pid = _pid_in(root, "app.pid")
    try:
        if pid and "sleep" in Path(f"/proc/{pid}/cmdline").read_text():
            os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


# -- the tasks ------------------------------------------------------------------------

_GIT = ("git init -q -b main && git config user.name Bench && "
        "git config user.email bench@example.com && "
        'c() { git add -A && git commit -qm "$1"; } && ')
_SH = "#!/bin/sh\n"


def _files(*names: str, text: str = "x\n") -> dict[str, str]:
    return dict.fromkeys(names, text)


FILES: list[Task] = [
    Task("files-count-top", "files", "count the regular files in this folder, not counting "
         "subfolders or anything inside them", "find . -maxdepth 1 -type f | wc -l",
         _files("a.txt", "b.txt", "c.log", "sub/d.txt", "sub/e.txt"), expect="3",
         numeric=True),
    Task("files-find-logs", "files", "list every .log file in this folder and its subfolders",
         "find . -name '*.log'", _files("app.log", "logs/old.log", "logs/keep.txt", "notes.txt"),
         expect="app.log\nlogs/old.log", ordered=False),
    Task("files-over-1k", "files", "find the files bigger than 1 KB in this folder",
         "find . -type f -size +1k",
         {"big.bin": "x" * 5000, "mid.txt": "y" * 500, "small.txt": "z" * 10},
         expect="big.bin"),
    Task("files-rename", "files", "rename notes.txt to notes.md", "mv notes.txt notes.md",
         {"notes.txt": "keep me\n"},
         check=lambda r, _: _read(r, "notes.md") == "keep me\n" and not (r / "notes.txt").exists()),
    Task("files-chmod-x", "files", "make run.sh executable", "chmod +x run.sh",
         {"run.sh": _SH + "echo hi\n"}, setup="chmod 644 run.sh",
         check=lambda r, _: bool((r / "run.sh").stat().st_mode & 0o100)),
    Task("files-ext-change", "files", "change the extension of every .txt file here to .md",
         'for f in *.txt; do mv -- "$f" "${f%.txt}.md"; done',
         {"a.txt": "alpha\n", "b.txt": "beta\n", "keep.log": "log\n"},
         check=lambda r, _: (_read(r, "a.md") == "alpha\n" and _read(r, "b.md") == "beta\n"
                             and not list(r.glob("*.txt")) and (r / "keep.log").exists())),
    Task("files-mkdir-tree", "files", "create a folder build with two subfolders, bin and lib",
         "mkdir -p build/bin build/lib",
         check=lambda r, _: (r / "build/bin").is_dir() and (r / "build/lib").is_dir()),
    Task("files-size-bytes", "files", "print the size of data.bin in bytes",
         "stat -c %s data.bin", {"data.bin": "d" * 1234}, expect="1234", numeric=True),
    Task("files-delete-tmp", "files", "delete all .tmp files in this folder and all subfolders",
         "find . -name '*.tmp' -delete",
         _files("a.tmp", "keep.txt", "cache/b.tmp", "cache/c.dat"),
         check=lambda r, _: (not list(r.rglob("*.tmp")) and (r / "keep.txt").exists()
                             and (r / "cache/c.dat").exists())),
    Task("files-copy-conf", "files", "copy all the .conf files into a new folder named backup",
         "mkdir -p backup && cp *.conf backup/",
         {"a.conf": "port=1\n", "b.conf": "port=2\n", "c.txt": "no\n"},
         check=lambda r, _: (_read(r, "backup/a.conf") == "port=1\n"
                             and _read(r, "backup/b.conf") == "port=2\n"
                             and not (r / "backup/c.txt").exists() and (r / "a.conf").exists())),
    Task("files-empty", "files", "find all empty files in this folder and its subfolders",
         "find . -type f -empty",
         {"empty1.txt": "", "full.txt": "x\n", "sub/empty2.txt": "", "sub/full2.txt": "y\n"},
         expect="empty1.txt\nsub/empty2.txt", ordered=False),
    Task("files-largest", "files", "print only the name of the largest file here",
         "ls -S | head -n 1", {"med.dat": "m" * 200, "big.dat": "b" * 3000, "tiny.dat": "t"},
         expect="big.dat"),
    Task("files-private", "files", "make secret.key readable and writable by its owner only, "
         "with no access for anyone else", "chmod 600 secret.key", {"secret.key": "k\n"},
         setup="chmod 644 secret.key",
         check=lambda r, _: (r / "secret.key").stat().st_mode & 0o777 == 0o600),
    Task("files-recent", "files", "list the files modified in the last 24 hours",
         "find . -type f -mtime -1", _files("old1.txt", "old2.txt", "new.txt"),
         setup="touch -d '2020-01-01' old1.txt old2.txt", expect="new.txt"),
    Task("files-py-lines", "files", "print the total number of lines in all the .py files here "
         "(just the total)", "cat *.py | wc -l",
         {"a.py": "import os\n\nprint(os)\n", "b.py": "x = 1\ny = 2\n", "c.txt": "1\n2\n"},
         expect="5", numeric=True),
    Task("files-ko-count-txt", "files", "현재 폴더에 있는 .txt 파일이 몇 개인지 세줘",
         "ls *.txt | wc -l", _files("a.txt", "b.txt", "c.txt", "d.md"), expect="3",
         numeric=True),
    Task("files-ko-rename", "files", "report.txt 파일 이름을 final_report.txt로 바꿔줘",
         "mv report.txt final_report.txt", {"report.txt": "q3\n"},
         check=lambda r, _: _read(r, "final_report.txt") == "q3\n"
         and not (r / "report.txt").exists()),
    Task("files-ko-list-dir", "files", "images 폴더 안에 있는 파일 이름들을 보여줘", "ls images",
         _files("images/cat.png", "images/dog.png", "other.txt"), expect="cat.png\ndog.png",
         also=("images/cat.png\nimages/dog.png",), ordered=False),
    Task("files-ko-chmod", "files", "deploy.sh에 실행 권한을 추가해줘", "chmod +x deploy.sh",
         {"deploy.sh": _SH + "echo deploy\n"}, setup="chmod 644 deploy.sh",
         check=lambda r, _: bool((r / "deploy.sh").stat().st_mode & 0o100)),
]

TEXT: list[Task] = [
    Task("text-count-warn", "text", "how many lines in server.log contain WARN?",
         "grep -c WARN server.log",
         {"server.log": "INFO start\nWARN disk low\nINFO ok\nWARN disk lower\nERROR fail\n"},
         expect="2", numeric=True),
    Task("text-unique-col", "text", "show the distinct values of the first column of data.csv "
         "(comma separated; skip the header line)",
         "tail -n +2 data.csv | cut -d, -f1 | sort -u",
         {"data.csv": "city,temp\nseoul,3\nbusan,8\nseoul,5\njeju,10\n"},
         expect="busan\njeju\nseoul", ordered=False),
    Task("text-tail", "text", "print the last 3 lines of events.log", "tail -n 3 events.log",
         {"events.log": "".join(f"e{i}\n" for i in range(1, 7))}, expect="e4\ne5\ne6"),
    Task("text-head", "text", "print the first 2 lines of readme.txt", "head -n 2 readme.txt",
         {"readme.txt": "title\nsubtitle\nbody\nend\n"}, expect="title\nsubtitle"),
    Task("text-sed-https", "text", "in links.txt, replace every http:// with https:// "
         "(edit the file in place)", "sed -i 's|http://|https://|g' links.txt",
         {"links.txt": "http://a.example\nhttps://b.example\nsee http://c.example now\n"},
         check=_has_text("links.txt",
                         "https://a.example\nhttps://b.example\nsee https://c.example now\n")),
    Task("text-sort-save", "text", "sort names.txt alphabetically and save the result in "
         "sorted.txt", "sort names.txt > sorted.txt", {"names.txt": "mina\nalex\nzoe\nbora\n"},
         check=_has_text("sorted.txt", "alex\nbora\nmina\nzoe\n")),
    Task("text-word-freq", "text", "words.txt has one word per line: count how many times "
         "each word occurs, most frequent first", "sort words.txt | uniq -c | sort -rn",
         {"words.txt": "pear\napple\nfig\napple\npear\napple\n"},
         expect="3 apple\n2 pear\n1 fig"),
    Task("text-cut-tsv", "text", "print the second column of table.tsv (it is tab separated)",
         "cut -f2 table.tsv", {"table.tsv": "id\tname\tage\n1\tkim\t30\n2\tlee\t25\n"},
         expect="name\nkim\nlee"),
    Task("text-no-blank", "text", "remove the empty lines from notes.txt and write the result "
         "to clean.txt", "grep -v '^$' notes.txt > clean.txt",
         {"notes.txt": "one\n\ntwo\n\n\nthree\n"},
         check=_has_text("clean.txt", "one\ntwo\nthree\n")),
    Task("text-no-comments", "text", "show the lines of config.ini that are not comments "
         "(comments start with #)", "grep -v '^#' config.ini",
         {"config.ini": "# top\nport=80\n# mid\nhost=local\n"}, expect="port=80\nhost=local"),
    Task("text-sum", "text", "add up the numbers in numbers.txt (one per line) and print the sum",
         "awk '{s+=$1} END {print s}' numbers.txt", {"numbers.txt": "10\n20\n5\n25\n"},
         expect="60", numeric=True),
    Task("text-lower", "text", "print the contents of shout.txt converted to lowercase",
         "tr '[:upper:]' '[:lower:]' < shout.txt", {"shout.txt": "HELLO World\nBYE\n"},
         expect="hello world\nbye"),
    Task("text-dup-ips", "text", "print the IP addresses (the first field) that appear more "
         "than once in access.log", "awk '{print $1}' access.log | sort | uniq -d",
         {"access.log": "10.0.0.1 GET /\n10.0.0.2 GET /a\n10.0.0.1 GET /b\n10.0.0.3 GET /\n"
                        "10.0.0.2 POST /c\n"},
         expect="10.0.0.1\n10.0.0.2", ordered=False),
    Task("text-todo-files", "text", "print the names of the .py files in this folder or below "
         "that contain TODO", "grep -rl TODO --include='*.py' .",
         {"main.py": "# TODO: tidy\n", "src/a.py": "x = 1\n", "src/b.py": "# TODO later\n",
          "notes.txt": "TODO: not code\n"},
         expect="main.py\nsrc/b.py", ordered=False),
    Task("text-words", "text", "count the words in essay.txt", "wc -w < essay.txt",
         {"essay.txt": "one two three\nfour five\n"}, expect="5", numeric=True),
    Task("text-longest", "text", "print the longest line of poem.txt",
         "awk 'length($0) > max {max = length($0); line = $0} END {print line}' poem.txt",
         {"poem.txt": "short\nthe longest line here\nmiddle one\n"},
         expect="the longest line here"),
    Task("text-json-version", "text", "print just the value of version from package.json",
         "grep -o '\"version\": *\"[^\"]*\"' package.json | cut -d'\"' -f4",
         {"package.json": '{\n  "name": "demo",\n  "version": "1.4.2",\n  "private": true\n}\n'},
         expect="1.4.2", also=('"1.4.2"',)),
    Task("text-ko-sort-uniq", "text", "names.txt에서 중복된 줄을 없애고 정렬해서 보여줘",
         "sort -u names.txt", {"names.txt": "minji\nalex\nminji\nbora\nalex\n"},
         expect="alex\nbora\nminji"),
    Task("text-ko-grep-404", "text", "access.log에서 404가 들어간 줄만 보여줘",
         "grep 404 access.log",
         {"access.log": "GET / 200\nGET /x 404\nGET /y 500\nGET /z 404\n"},
         expect="GET /x 404\nGET /z 404"),
    Task("text-ko-count-lines", "text", "data.csv 파일의 줄 수를 세줘", "wc -l < data.csv",
         {"data.csv": "a,1\nb,2\nc,3\nd,4\n"}, expect="4", numeric=True),
    Task("text-ko-replace", "text", "hello.txt 안의 world를 전부 lamp로 바꿔서 파일에 저장해줘",
         "sed -i 's/world/lamp/g' hello.txt", {"hello.txt": "hello world\nworld peace\n"},
         check=_has_text("hello.txt", "hello lamp\nlamp peace\n")),
]

_TAR_DATA = "mkdir data && echo hi > data/x.txt && tar -czf {0} data && rm -r data"

ARCHIVES: list[Task] = [
    Task("arch-targz", "archives", "pack the logs folder into logs.tar.gz",
         "tar -czf logs.tar.gz logs", {"logs/a.log": "a\n", "logs/b.log": "b\n"},
         check=lambda r, _: (_members(r / "logs.tar.gz").get("logs/a.log") == b"a\n"
                             and _magic(r / "logs.tar.gz", b"\x1f\x8b"))),
    Task("arch-extract", "archives", "extract backup.tar.gz here", "tar -xzf backup.tar.gz",
         setup=_TAR_DATA.format("backup.tar.gz"), check=_has_text("data/x.txt", "hi\n")),
    Task("arch-list", "archives", "list the contents of archive.tar without extracting it",
         "tar -tf archive.tar",
         setup="mkdir docs && echo a > docs/a.md && echo b > docs/b.md && "
               "tar -cf archive.tar docs/a.md docs/b.md && rm -r docs",
         expect="docs/a.md\ndocs/b.md", ordered=False,
         check=lambda r, _: not (r / "docs").exists()),
    Task("arch-gzip", "archives", "compress big.txt with gzip", "gzip big.txt",
         {"big.txt": "line\n" * 50},
         check=lambda r, _: _gunzip(r / "big.txt.gz") == b"line\n" * 50),
    Task("arch-gunzip", "archives", "decompress report.csv.gz", "gunzip report.csv.gz",
         {"report.csv": "a,b\n1,2\n"}, setup="gzip report.csv",
         check=_has_text("report.csv", "a,b\n1,2\n")),
    Task("arch-zip", "archives", "zip the photos folder into photos.zip",
         "zip -qr photos.zip photos", {"photos/a.jpg": "A", "photos/b.jpg": "B"},
         check=lambda r, _: {"photos/a.jpg", "photos/b.jpg"} <= set(_members(r / "photos.zip"))),
    Task("arch-unzip-to", "archives", "unzip bundle.zip into a folder named out",
         "unzip -q bundle.zip -d out", {"readme.txt": "read me\n"},
         setup="zip -q bundle.zip readme.txt && rm readme.txt",
         check=_has_text("out/readme.txt", "read me\n")),
    Task("arch-one-member", "archives", "extract only config.yml from release.tar.gz",
         "tar -xzf release.tar.gz config.yml", {"config.yml": "a: 1\n", "app.bin": "bin"},
         setup="tar -czf release.tar.gz config.yml app.bin && rm config.yml app.bin",
         check=lambda r, _: _read(r, "config.yml") == "a: 1\n" and not (r / "app.bin").exists()),
    Task("arch-bz2", "archives", "make a bzip2-compressed tar archive src.tar.bz2 of the src "
         "folder", "tar -cjf src.tar.bz2 src", {"src/main.c": "int main(){}\n"},
         check=lambda r, _: ((r / "src.tar.bz2").is_file()
                             and _magic(r / "src.tar.bz2", b"BZh")
                             and _members(r / "src.tar.bz2").get("src/main.c")
                             == b"int main(){}\n")),
    Task("arch-ko-zip", "archives", "backup 폴더를 backup.zip으로 압축해줘",
         "zip -qr backup.zip backup", {"backup/db.sql": "select 1;\n"},
         check=lambda r, _: _members(r / "backup.zip").get("backup/db.sql") == b"select 1;\n"),
    Task("arch-ko-extract", "archives", "data.tar.gz 압축을 풀어줘", "tar -xzf data.tar.gz",
         setup=_TAR_DATA.format("data.tar.gz"), check=_has_text("data/x.txt", "hi\n")),
]


def _same_pid(root: Path, _: Run) -> bool:
    return _wait_for(root / "started.pid") and 0 < _pid_in(root, "server.pid") == _pid_in(
        root, "started.pid")


def _niceness_10(root: Path, _: Run) -> bool:
    return (_read(root, "niceness.txt") or "").strip() == str(min(os.nice(0) + 10, 19))


def _both_done(root: Path, _: Run) -> bool:
    return (root / "a.done").exists() and (root / "b.done").exists()


PROCESSES: list[Task] = [
    Task("proc-bg-pid", "processes", "start ./server.sh in the background and write its PID "
         "to server.pid", "./server.sh & echo $! > server.pid",
         {"server.sh": _SH + "echo $$ > started.pid\nsleep 0.3\n"}, setup="chmod +x server.sh",
         check=_same_pid),
    Task("proc-exit-code", "processes", "run ./check.sh and then print its exit status",
         "./check.sh; echo $?", {"check.sh": _SH + "exit 3\n"}, setup="chmod +x check.sh",
         expect="3"),
    Task("proc-timeout", "processes", "run ./build.sh but stop it if it takes longer than "
         "1 second", "timeout 1 ./build.sh",
         {"build.sh": _SH + "touch started\nsleep 3\ntouch done\n"}, setup="chmod +x build.sh",
         check=lambda r, run: ((r / "started").exists() and not (r / "done").exists()
                               and run.seconds < 2.5)),
    Task("proc-nice", "processes", "run ./job.sh with niceness 10 so it gets lower priority",
         "nice -n 10 ./job.sh", {"job.sh": _SH + "nice > niceness.txt\n"},
         setup="chmod +x job.sh", check=_niceness_10),
    Task("proc-env", "processes", "run ./show.sh with the environment variable MODE set to test",
         "MODE=test ./show.sh", {"show.sh": _SH + 'echo "mode=$MODE"\n'},
         setup="chmod +x show.sh", expect="mode=test"),
    Task("proc-both-streams", "processes", "run ./count.sh and save both its output and its "
         "error messages to all.log", "./count.sh > all.log 2>&1",
         {"count.sh": _SH + "echo out\necho err >&2\n"}, setup="chmod +x count.sh",
         check=lambda r, _: sorted(_lines(_read(r, "all.log") or "")) == ["err", "out"]),
    Task("proc-parallel", "processes", "start ./a.sh and ./b.sh in the background at the same "
         "time and wait until both have finished", "./a.sh & ./b.sh & wait",
         {"a.sh": _SH + "sleep 0.2\necho a > a.done\n",
          "b.sh": _SH + "sleep 0.2\necho b > b.done\n"},
         setup="chmod +x a.sh b.sh", check=_both_done),
    Task("proc-ko-hide-errors", "processes", "noisy.sh를 실행하되 에러 메시지는 숨겨줘",
         "./noisy.sh 2>/dev/null", {"noisy.sh": _SH + "echo ok\necho fail >&2\n"},
         setup="chmod +x noisy.sh", expect="ok",
         check=lambda r, run: "fail" not in run.stderr),
    Task("proc-ko-kill-pid", "processes", "app.pid에 적힌 프로세스를 종료해줘",
         "kill $(cat app.pid)",
         # Wait until setsid has become sleep in its own session: the setup's process
         # group is killed when the setup returns.
         setup="setsid sleep 30 >/dev/null 2>&1 </dev/null & echo $! > app.pid; "
               "for i in $(seq 40); do grep -qa '^sleep' /proc/$!/cmdline && break; "
               "sleep 0.05; done",
         check=lambda r, _: _wait_dead(_pid_in(r, "app.pid")), cleanup=_stop_sleeper),
]


def _wait_dead(pid: int) -> bool:
    deadline = time.monotonic() + 1.0
    while pid and not _pid_dead(pid):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return bool(pid)


def _branch(root: Path) -> str:
    return _git(root, "rev-parse", "--abbrev-ref", "HEAD")


_THREE = ("echo 1 > f.txt && c first && echo 2 > f.txt && c second && "
          "echo 3 > f.txt && c third")

GIT: list[Task] = [
    Task("git-count", "git", "how many commits are there in this repository?",
         "git rev-list --count HEAD", setup=_GIT + _THREE, expect="3", numeric=True),
    Task("git-branch-switch", "git", "create a branch named feature/login and switch to it",
         "git checkout -b feature/login", setup=_GIT + "echo a > a.txt && c init",
         check=lambda r, _: _branch(r) == "feature/login"),
    Task("git-list-branches", "git", "list the names of all local branches",
         "git branch --format='%(refname:short)'",
         setup=_GIT + "echo a > a.txt && c init && git branch dev && git branch fix",
         check=lambda r, run: sorted(x.lstrip("* ").strip() for x in _lines(run.stdout))
         == ["dev", "fix", "main"]),
    Task("git-tag", "git", "tag the current commit as v1.0", "git tag v1.0",
         setup=_GIT + _THREE,
         check=lambda r, _: _git(r, "rev-parse", "HEAD") != ""
         and _git(r, "rev-parse", "v1.0^{commit}") == _git(r, "rev-parse", "HEAD")),
    Task("git-commit-all", "git", "commit all my changes with the message 'fix typo'",
         "git commit -am 'fix typo'",
         setup=_GIT + "echo teh > readme.txt && c init && echo the > readme.txt",
         check=lambda r, _: _git(r, "log", "-1", "--format=%s") == "fix typo"
         and _git(r, "status", "--porcelain") == ""),
    Task("git-last-files", "git", "show only the names of the files changed in the last commit",
         "git diff --name-only HEAD~1 HEAD",
         setup=_GIT + "echo a > a.txt && echo b > b.txt && c one && echo b2 > b.txt && "
                      "echo c > c.txt && c two",
         expect="b.txt\nc.txt", ordered=False),
    Task("git-undo-keep", "git", "undo the last commit but keep its changes in my files",
         "git reset --soft HEAD~1",
         setup=_GIT + "echo 1 > f.txt && c one && echo 2 > f.txt && c two",
         check=lambda r, _: _git(r, "rev-list", "--count", "HEAD") == "1"
         and _read(r, "f.txt") == "2\n"),
    Task("git-last-author", "git", "print only the author name of the most recent commit",
         "git log -1 --format=%an",
         setup=_GIT + "echo a > a.txt && c one && echo b > b.txt && git add b.txt && "
                      "git -c user.name=Alice commit -qm two",
         expect="Alice"),
    Task("git-stage-py", "git", "stage only the .py files", "git add *.py",
         setup=_GIT + "echo base > base.txt && c init && echo 1 > a.py && echo 2 > b.py && "
                      "echo n > notes.txt",
         check=lambda r, _: sorted(_git(r, "diff", "--cached", "--name-only").split())
         == ["a.py", "b.py"]),
    Task("git-subjects", "git", "print only the subject lines of the last 2 commits",
         "git log -2 --format=%s", setup=_GIT + _THREE, expect="third\nsecond"),
    Task("git-discard", "git", "throw away my uncommitted changes to config.ini",
         "git checkout -- config.ini",
         setup=_GIT + "echo port=80 > config.ini && echo a > a.txt && c init && "
                      "echo port=1 > config.ini && echo b > a.txt",
         check=lambda r, _: _read(r, "config.ini") == "port=80\n" and _read(r, "a.txt") == "b\n"),
    Task("git-ko-changed-names", "git", "커밋하지 않은 변경이 있는 파일 이름만 보여줘",
         "git diff --name-only",
         setup=_GIT + "echo a > notes.txt && echo b > todo.txt && c init && echo c >> notes.txt",
         expect="notes.txt"),
    Task("git-ko-merge", "git", "feature 브랜치를 main 브랜치에 병합해줘", "git merge feature",
         setup=_GIT + "echo a > a.txt && c init && git checkout -qb feature && echo f > f.txt && "
                      "c feat && git checkout -q main",
         check=lambda r, _: _branch(r) == "main" and _read(r, "f.txt") == "f\n"),
]

TASKS: tuple[Task, ...] = (*FILES, *TEXT, *ARCHIVES, *PROCESSES, *GIT)
