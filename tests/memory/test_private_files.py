"""No one else reads your memory: lamp's directories are 0700, its files 0600.

Before issue 28 the data directory was 0755 and the journal 0644 under the usual
umask 022: every prompt, answer and ingested document was readable by any local
user. The end-to-end tests run the real CLI (umask 022, a stand-in model on
127.0.0.1) and walk everything lamp created; as root, a child with a fresh uid
tries to read what lamp wrote.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from standin_model import StandinModel, answer_to

from lamp.memory.journal import CHROMA_DB_NAME, JOURNAL_NAME
from lamp.memory.private_fs import (
    create_private,
    make_private_dirs,
    private_opener,
    tighten,
    tighten_tree,
)

_SCRIPT = Path(sys.executable).parent / "lamp"
LAMP = [str(_SCRIPT)] if _SCRIPT.exists() else [sys.executable, "-m", "lamp.cli"]
SECRET = "my locker code is 4512"


def _mode(path: Path) -> int:
    return stat.S_IMODE(os.lstat(path).st_mode)


def _walk(root: Path) -> Iterator[Path]:
    for top, dirs, files in os.walk(root):
        for name in (*dirs, *files):
            yield Path(top) / name


@pytest.fixture
def open_base() -> Iterator[Path]:
    """A directory others may enter (0755, like a home directory), outside pytest's
    0700 temp root: what lamp makes under it is all that keeps another user out."""
    base = Path(tempfile.mkdtemp(prefix="lamp-private-", dir="/tmp"))
    os.chmod(base, 0o755)
    yield base
    subprocess.run(["rm", "-rf", "--", str(base)], check=False)


def _lamp(home: Path, *args: str, env: dict[str, str] | None = None) -> str:
    done = subprocess.run([*LAMP, *args], env={**os.environ, "LAMP_HOME": str(home),
                                               **(env or {})},
                          capture_output=True, stdin=subprocess.DEVNULL, timeout=240,
                          umask=0o022)  # the usual umask: files would be 0644
    assert done.returncode == 0, done.stderr.decode()
    return done.stdout.decode()


def _use_memory(home: Path, docs: Path) -> None:
    """A real `lamp ask` with memory, an ingest and a command that indexes the journal."""
    (docs / "notes.md").write_text("# Travel\n\nThe hotel in Busan is near Haeundae.\n")
    with StandinModel(answer_to) as model:
        out = _lamp(home, "ask", "-s", "private", "--json", SECRET, env=model.env())
        assert json.loads(out)["session"] == "private"
    _lamp(home, "memory", "ingest", str(docs / "notes.md"))
    _lamp(home, "memory", "remember", "I park on level 3.")
    assert SECRET in _lamp(home, "memory", "show", "private")  # indexed into Chroma now


def test_everything_lamp_creates_is_private(open_base: Path, tmp_path: Path) -> None:
    home = open_base / "home"  # created by lamp, as a missing parent
    _use_memory(home, tmp_path)
    store = home / "data" / "memory"
    created = list(_walk(home))
    names = {p.name for p in created}
    assert {JOURNAL_NAME, CHROMA_DB_NAME, "lamp.lock", "lamp.gen"} <= names
    assert any(p.parent.parent == store for p in created if p.is_file())  # index segments
    wrong = [(str(p), oct(_mode(p))) for p in [home, *created]
             if _mode(p) != (0o700 if p.is_dir() else 0o600)]
    assert wrong == []
    assert _mode(open_base) == 0o755  # a parent lamp did not create is left alone


def test_dirs_and_files_of_an_older_lamp_are_tightened(open_base: Path) -> None:
    home = open_base / "home"
    old_umask = os.umask(0o022)
    try:  # what an older lamp left behind: 0755 directories, 0644 files
        for sub in ("data/memory", "config", "cache"):
            (home / sub).mkdir(parents=True)
        with sqlite3.connect(home / "data" / "memory" / JOURNAL_NAME) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE t (x)")
        (home / "data" / "memory" / "lamp.lock").touch()
        (home / "config" / "config.toml").write_text('model = "x"\n')
    finally:
        os.umask(old_umask)
    assert _mode(home / "data") == 0o755 and _mode(home / "config" / "config.toml") == 0o644
    _lamp(home, "memory", "list")
    for path in (home / "data", home / "data" / "memory", home / "config"):
        assert _mode(path) == 0o700, path
    for path in (home / "data" / "memory" / JOURNAL_NAME, home / "data" / "memory" / "lamp.lock",
                 home / "config" / "config.toml"):
        assert _mode(path) == 0o600, path
    assert _mode(home) == 0o755  # LAMP_HOME existed: the user's, not lamp's


def _try(kind: str, path: str) -> str:
    try:
        if kind == "list":
            os.listdir(path)
        else:
            with open(path, "rb") as fh:
                fh.read(16)
        return "ok"
    except OSError as exc:
        return type(exc).__name__


def _as_stranger(*targets: str) -> dict[str, str]:
    """Try each ``list=DIR`` / ``read=FILE`` in a forked child that drops to a fresh
    uid/gid owning nothing here (os.setuid, no exec), and report what happened."""
    uid = 61000 + os.getpid() % 3000
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns into pytest
        try:
            os.close(read_end)
            os.setgroups([])
            os.setgid(uid)
            os.setuid(uid)
            result = {"uid": os.getuid(), **{t: _try(*t.split("=", 1)) for t in targets}}
            os.write(write_end, json.dumps(result).encode())
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        raw = fh.read()
    _, status = os.waitpid(pid, 0)
    assert os.waitstatus_to_exitcode(status) == 0 and raw, raw
    result = json.loads(raw)
    assert result.pop("uid") == uid
    return result


@pytest.mark.skipif(os.geteuid() != 0, reason="switching to a second uid needs root")
def test_another_user_cannot_read_memory(open_base: Path, tmp_path: Path) -> None:
    home = open_base / "home"
    _use_memory(home, tmp_path)
    store = home / "data" / "memory"
    segment = next(p for p in _walk(store) if p.is_file() and p.parent.parent == store)
    control = open_base / "readable.txt"  # proves the stranger reads what is open to it
    control.write_text("public")
    os.chmod(control, 0o644)
    targets = [f"read={control}", f"list={open_base}", f"list={home / 'data'}",
               f"list={store}", f"read={store / JOURNAL_NAME}", f"read={store / CHROMA_DB_NAME}",
               f"read={segment}"]
    got = _as_stranger(*targets)
    assert got.pop(f"read={control}") == "ok" and got.pop(f"list={open_base}") == "ok"
    assert set(got.values()) == {"PermissionError"}, got

    # Files are private on their own: even with the directories opened up (the user
    # loosened them, or copied the store), the journal and Chroma's files stay unread.
    for directory in (home, home / "data", store, segment.parent):
        os.chmod(directory, 0o755)
    got = _as_stranger(f"list={store}", f"read={store / JOURNAL_NAME}",
                       f"read={store / JOURNAL_NAME}-wal", f"read={store / CHROMA_DB_NAME}",
                       f"read={segment}")
    assert got.pop(f"list={store}") == "ok"
    assert set(got.values()) <= {"PermissionError", "FileNotFoundError"}, got
    assert got[f"read={store / JOURNAL_NAME}"] == "PermissionError"
    assert got[f"read={store / CHROMA_DB_NAME}"] == "PermissionError"


# -- the building blocks, under umask 022 -------------------------------------------
@pytest.fixture
def umask_022() -> Iterator[None]:
    old = os.umask(0o022)
    yield
    os.umask(old)


def test_missing_parents_are_created_0700(tmp_path: Path, umask_022: None) -> None:
    make_private_dirs(tmp_path / "a" / "b" / "c")
    assert [_mode(tmp_path / p) for p in ("a", "a/b", "a/b/c")] == [0o700] * 3


def test_private_opener_creates_0600_tightens_and_refuses_symlinks(
        tmp_path: Path, umask_022: None) -> None:
    with open(tmp_path / "new", "w", opener=private_opener) as fh:
        fh.write("x")
    assert _mode(tmp_path / "new") == 0o600
    (tmp_path / "old").write_text("x")
    assert _mode(tmp_path / "old") == 0o644
    create_private(tmp_path / "old")
    assert _mode(tmp_path / "old") == 0o600 and (tmp_path / "old").read_text() == "x"
    victim = tmp_path / "victim"
    victim.write_text("keep")
    (tmp_path / "planted").symlink_to(victim)
    with pytest.raises(OSError):
        open(tmp_path / "planted", "a", opener=private_opener)  # noqa: SIM115
    assert _mode(victim) == 0o644 and victim.read_text() == "keep"


def test_tighten_never_follows_symlinks(tmp_path: Path, umask_022: None) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    tree = tmp_path / "tree"
    (tree / "sub").mkdir(parents=True)
    (tree / "sub" / "f").write_text("x")
    (tree / "link").symlink_to(outside)
    assert tighten_tree(tree) == 3
    assert [_mode(p) for p in (tree, tree / "sub", tree / "sub" / "f")] == [0o700, 0o700, 0o600]
    assert _mode(outside) == 0o755 and not tighten(tree / "link")


def test_opening_the_store_leaves_the_process_umask_alone(tmp_path: Path,
                                                         umask_022: None) -> None:
    from lamp.memory import MemoryStore

    with MemoryStore.open(tmp_path / "memory") as store:
        store.remember("The spare key is under the blue pot.")
    assert os.umask(0o022) == 0o022  # commands lamp runs later keep the user's umask
    assert {_mode(p) for p in _walk(tmp_path / "memory") if p.is_file()} == {0o600}


def test_prefix_cache_files_are_private(tmp_path: Path, umask_022: None) -> None:
    from lamp.agent.models.prefix_cache import PrefixCache

    cache = PrefixCache(tmp_path / "cache" / "prefix")
    saved = cache.save("k", {"model": "m"}, b"state")
    assert (_mode(tmp_path / "cache"), _mode(saved.parent), _mode(saved)) == (
        0o700, 0o700, 0o600)


def test_config_file_lamp_writes_is_private(tmp_path: Path, umask_022: None) -> None:
    from lamp.agent.config.settings import set_config_value

    path = tmp_path / "config" / "lamp" / "config.toml"
    set_config_value(path, "model", "qwen")
    assert (_mode(path.parent.parent), _mode(path.parent), _mode(path)) == (0o700, 0o700, 0o600)


def test_chat_history_is_private(tmp_path: Path, umask_022: None) -> None:
    readline = pytest.importorskip("readline")
    from lamp.cli.chat import _save_history

    readline.add_history("my bank PIN is 0000")
    history = tmp_path / "chat_history"
    _save_history(readline, history)
    assert history.exists() and _mode(history) == 0o600
