"""The second look at a draft: changes for a read-only request, recursion for a this-folder
request, a header counted with the entries; and the drafter sends the finding back once."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.models import Sampling, ScriptedBackend
from lamp.agent.shell.drafter import CommandDrafter, ShellTarget
from lamp.agent.shell.review import review

BASH = ShellTarget("bash", "Linux")


@pytest.mark.parametrize(("request_text", "command", "found"), [
    ("print notes.txt with every tab turned into a space", "sed -i 's/\\t/ /g' notes.txt",
     "only asks to see"),
    ("show the lines of a.txt in reverse order", "tac a.txt > a.txt", "only asks to see"),
    ("notes.txt의 탭을 공백으로 바꿔서 보여줘", "sed -i 's/\\t/ /g' notes.txt", "only asks to see"),
    ("count the .md files in this folder, not in subfolders", "find . -name '*.md' | wc -l",
     "this folder only"),
    ("list the shell scripts in the current directory only", "ls -R | grep '\\.sh$'",
     "this folder only"),
    ("search for TODO in the top-level .py files", "grep -rn TODO --include='*.py' .",
     "this folder only"),
    ("하위 폴더는 빼고 .md 파일 개수 세줘", "find . -name '*.md' | wc -l", "this folder only"),
    ("how many entries are in this folder", "ls -l | wc -l", "'total' line"),
    ("show the 2 most recently changed files", "ls -lt | head -n 2", "'total' line"),
    ("how many processes are running", "ps aux | wc -l", "column names"),
])
def test_findings(tmp_path: Path, request_text: str, command: str, found: str) -> None:
    said = review(request_text, command, tmp_path)
    assert said is not None and found in said


@pytest.mark.parametrize(("request_text", "command"), [
    ("print notes.txt with every tab turned into a space", "sed 's/\\t/ /g' notes.txt"),
    ("replace tabs with spaces in notes.txt", "sed -i 's/\\t/ /g' notes.txt"),
    ("count the .md files in this folder, not in subfolders",
     "find . -maxdepth 1 -name '*.md' | wc -l"),
    ("count the .md files in this folder and below", "find . -name '*.md' | wc -l"),
    ("how many entries are in this folder", "ls -A | wc -l"),
    ("how many .txt files are here", "ls -l *.txt | wc -l"),  # files: no 'total' line
    ("show the 2 most recently changed files", "ls -t | head -n 2"),
    ("show the biggest files with their sizes", "ls -lS | tail -n +2 | head -n 3"),
    ("show the top memory users", "ps aux --sort=-%mem | head -n 5"),
    ("show disk usage", "df -h"),
])
def test_no_finding(tmp_path: Path, request_text: str, command: str) -> None:
    assert review(request_text, command, tmp_path) is None


def test_a_finding_says_how_to_keep_the_rest(tmp_path: Path) -> None:
    said = review("count the files here, not in subfolders", "find . -type f | wc -l",
                  tmp_path)
    assert said is not None and "-maxdepth 1" in said and "Keep the rest" in said


def test_the_drafter_sends_a_finding_back_once(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("sed -i 's/a/b/' f.txt", "sed 's/a/b/' f.txt")
    drafter = CommandDrafter(backend, Sampling(), BASH, cwd=tmp_path)
    proposal = drafter.propose("print f.txt with a replaced by b")
    assert proposal.command == "sed 's/a/b/' f.txt" and "only asks to see" in proposal.reviewed
    sent = backend.requests[1][0][-1].content
    assert "edits files in place (sed -i)" in sent and "one line" in sent
    assert backend.requests[1][0][-2].content == "sed -i 's/a/b/' f.txt"  # it saw its draft


def test_a_second_draft_is_kept_even_if_the_review_still_objects(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("sed -i 's/a/b/' f.txt", "sed -i.bak 's/a/b/' f.txt")
    drafter = CommandDrafter(backend, Sampling(), BASH, cwd=tmp_path)
    assert drafter.propose("print f.txt with a replaced by b").command.startswith("sed -i.bak")
    assert len(backend.requests) == 2


def test_a_clean_draft_costs_nothing_and_revisions_are_not_reviewed(tmp_path: Path) -> None:
    backend = ScriptedBackend().enqueue("sed 's/a/b/' f.txt", "sed -i 's/a/b/' f.txt")
    drafter = CommandDrafter(backend, Sampling(), BASH, cwd=tmp_path)
    assert drafter.propose("print f.txt with a replaced by b").reviewed == ""
    # The person asked for the in-place edit after seeing the command: no second look.
    assert drafter.revise("edit the file in place").command == "sed -i 's/a/b/' f.txt"
    assert len(backend.requests) == 2


def test_without_a_folder_there_is_no_review() -> None:
    backend = ScriptedBackend().enqueue("sed -i 's/a/b/' f.txt")
    drafter = CommandDrafter(backend, Sampling(), BASH)
    assert drafter.propose("print f.txt with a replaced by b").reviewed == ""
