"""read_file and list_dir never hand a secret to the model unasked, however the path is spelled.

The attacker here is a document or tool result that makes the model ask for a
secret. Each test goes through ``run_tool`` (what the agent loop calls) with a
real file tree on disk and an approver that records what it was asked and says
no: the secret's bytes must never reach the observation.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from lamp.agent.tools import ApprovalRequest, ToolContext, run_tool
from lamp.agent.tools.builtins import ListDirTool, ReadFileTool

SECRET = "AKIA-CANARY-7f3e9b"


class Refuser:
    """An approver that says no and remembers every question."""

    def __init__(self) -> None:
        self.asked: list[ApprovalRequest] = []

    def __call__(self, request: ApprovalRequest) -> bool:
        self.asked.append(request)
        return False


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder with the usual secrets, and a project in it."""
    home = tmp_path / "home"
    for rel in (".ssh/id_rsa", ".ssh/id_ed25519.pub", ".aws/credentials", ".gnupg/secring.gpg",
                ".netrc", ".pgpass", ".git-credentials", ".npmrc", ".pypirc",
                ".docker/config.json", ".kube/config", ".config/gh/hosts.yml", "Documents/tax.txt",
                "project/.env", "project/.env.production", "project/config/.env.local",
                "project/certs/server.pem", "project/certs/server.key", "project/keys/id_rsa",
                "project/keys/ID_RSA_BACKUP", "project/keys/client.p12", "project/keys/web.pfx",
                "project/credentials.json", "project/secrets.yaml", "project/.git/config",
                "project/deploy/.aws/credentials", "project/terraform.tfstate"):
        path = home / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{SECRET} {rel}\n")
    (home / "project" / "README.md").write_text("# hello\n")
    (home / "project" / "src").mkdir()
    (home / "project" / "src" / "main.py").write_text("print('hi')\n")
    os.symlink(home / "project" / ".env", home / "project" / "notes.txt")
    os.symlink(home / "project" / "keys", home / "project" / "public")
    os.symlink(home / "project" / ".git", home / "project" / "gitdir")
    monkeypatch.setenv("HOME", str(home))
    return home


def _read(cwd: Path, path: str) -> tuple[str, Refuser]:
    refuser = Refuser()
    outcome = run_tool(ReadFileTool(), {"path": path}, ToolContext(cwd=cwd, approve=refuser))
    assert outcome.refused and outcome.is_error, outcome.output
    assert SECRET not in outcome.output
    assert len(refuser.asked) == 1 and refuser.asked[0].flagged
    return outcome.output, refuser


@pytest.mark.parametrize("path", [
    ".env", "./.env", "src/../.env", "src//..//.env", ".env.production", "config/.env.local",
    "certs/server.pem", "certs/server.key", "keys/id_rsa", "keys/ID_RSA_BACKUP",
    "keys/client.p12", "keys/web.pfx", "credentials.json", "secrets.yaml", ".git/config",
    "deploy/.aws/credentials", "terraform.tfstate",
    "notes.txt",          # a symlink to .env
    "public/id_rsa",      # a symlinked folder of keys
    "gitdir/config",      # a symlink to a dot-folder
    "{home}/project/.env",  # absolute
])
def test_secret_files_in_a_project_ask_and_a_refusal_reads_nothing(home: Path,
                                                                    path: str) -> None:
    output, refuser = _read(home / "project", path.format(home=home))
    assert "refused" in output and "may hold secrets" in output
    assert "may hold secrets" in refuser.asked[0].risks[0]


@pytest.mark.parametrize("path", [
    ".ssh/id_rsa", ".ssh/id_ed25519.pub", ".aws/credentials", ".gnupg/secring.gpg", ".netrc",
    ".pgpass", ".git-credentials", ".npmrc", ".pypirc", ".docker/config.json", ".kube/config",
    ".config/gh/hosts.yml", "project/../.ssh/id_rsa",
])
def test_started_in_home_the_usual_secrets_ask(home: Path, path: str) -> None:
    _read(home, path)


@pytest.mark.parametrize(("cwd", "path"), [
    (".ssh", "id_rsa"), (".aws", "credentials"), (".config/gh", "hosts.yml"),
    ("project/keys", "client.p12"),
])
def test_a_working_dir_inside_a_secret_folder_makes_its_files_ask(home: Path, cwd: str,
                                                                  path: str) -> None:
    _read(home / cwd, path)


def test_case_does_not_hide_a_key_name(home: Path) -> None:
    (home / "project" / "Server.PEM").write_text(SECRET)
    (home / "project" / "Credentials.TXT").write_text(SECRET)
    _read(home / "project", "Server.PEM")
    _read(home / "project", "Credentials.TXT")


def test_started_in_home_any_file_asks_but_approve_all_may_answer(home: Path) -> None:
    refuser = Refuser()
    outcome = run_tool(ReadFileTool(), {"path": "Documents/tax.txt"},
                       ToolContext(cwd=home, approve=refuser))
    assert outcome.refused and SECRET not in outcome.output
    (request,) = refuser.asked
    assert not request.flagged and "home folder" in request.reason
    # an approver that says yes gets the file: the question is what protects it
    outcome = run_tool(ReadFileTool(), {"path": "Documents/tax.txt"},
                       ToolContext(cwd=home, approve=lambda request: True))
    assert SECRET in outcome.output


def test_started_above_home_files_in_home_ask(home: Path) -> None:
    refuser = Refuser()
    outcome = run_tool(ReadFileTool(), {"path": "home/Documents/tax.txt"},
                       ToolContext(cwd=home.parent, approve=refuser))
    assert outcome.refused and SECRET not in outcome.output and refuser.asked


def test_ordinary_project_files_run_unasked(home: Path) -> None:
    ctx = ToolContext(cwd=home / "project")  # the default approver refuses everything
    for path in ("README.md", "src/main.py", "./src/../README.md"):
        outcome = run_tool(ReadFileTool(), {"path": path}, ctx)
        assert not outcome.is_error, outcome.output
    listing = run_tool(ListDirTool(), {"path": "src"}, ctx)
    assert listing.output.splitlines() == ["src: 1 entries", "main.py  (12 bytes)"]


def test_approved_secret_reads_are_the_users_choice(home: Path) -> None:
    asked: list[ApprovalRequest] = []

    def yes(request: ApprovalRequest) -> bool:
        asked.append(request)
        return True

    outcome = run_tool(ReadFileTool(), {"path": "notes.txt"},
                       ToolContext(cwd=home / "project", approve=yes))
    assert SECRET in outcome.output and not outcome.refused
    # the question names where the link really leads
    assert str(home / "project" / ".env") in asked[0].risks[0]


@pytest.mark.parametrize("path", [".ssh", ".aws", ".", "project/.git", "project/gitdir",
                                  "project/deploy/.aws"])
def test_listing_a_folder_of_secrets_asks(home: Path, path: str) -> None:
    if path == ".":  # working dir inside a secret folder
        cwd, path = home / ".ssh", "."
    else:
        cwd = home
    refuser = Refuser()
    outcome = run_tool(ListDirTool(), {"path": path}, ToolContext(cwd=cwd, approve=refuser))
    assert outcome.refused, outcome.output
    assert "id_rsa" not in outcome.output and "credentials" not in outcome.output.split(
        "(")[0]
    assert refuser.asked and refuser.asked[0].flagged


def test_a_listing_marks_secret_names_without_their_sizes(home: Path) -> None:
    outcome = run_tool(ListDirTool(), {"path": "."}, ToolContext(cwd=home / "project"))
    assert not outcome.is_error, outcome.output
    lines = outcome.output.splitlines()
    mark = "[may hold secrets: reading it asks the user first]"
    for name in (".env", ".git/", "credentials.json", "secrets.yaml", "notes.txt", "gitdir/",
                 "terraform.tfstate"):
        assert f"{name}  {mark}" in lines, (name, lines)
    assert "README.md  (8 bytes)" in lines and "src/" in lines
    assert SECRET not in outcome.output


def test_the_check_fails_closed(home: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tool whose approval check breaks is asked about, never run unasked."""
    def broken(self: Any, args: dict[str, Any], ctx: ToolContext) -> tuple[str, ...]:
        raise RuntimeError("rules broke")

    tool = ReadFileTool()
    monkeypatch.setattr(type(tool), "risks", broken)
    refuser = Refuser()
    outcome = run_tool(tool, {"path": "README.md"}, ToolContext(cwd=home / "project",
                                                                approve=refuser))
    assert outcome.refused and refuser.asked[0].flagged
    assert "rules broke" in refuser.asked[0].risks[0]


@pytest.mark.parametrize("path", ["proc/self/environ", "proc/1/../self/environ", "etc/shadow",
                                  "root/.bash_history"])
def test_started_in_the_root_folder_system_secrets_ask(home: Path, path: str) -> None:
    _read(Path("/"), path)
