"""A read-only request answered with a command that changes files is flagged; a request to
change them is not, in English and Korean."""

from __future__ import annotations

from pathlib import Path

import pytest

from lamp.agent.shell.effects import asks_only_to_read
from lamp.agent.shell.risk import assess


@pytest.mark.parametrize("request_text", [
    "print config.ini with every 'foo' replaced by 'bar'",
    "show the 3 largest files",
    "count the .txt files in this directory (not subdirectories)",
    "please list the hidden files",
    "can you tell me how big this folder is",
    "how many lines are in app.log",
    "what is listening on port 8080",
    "config.ini에서 foo를 bar로 바꿔서 출력해줘",
    "현재 폴더의 파일 개수를 세어줘",
    "가장 큰 파일 3개 보여줘",
    "app.log에 error가 몇 줄 있는지 알려줘",
])
def test_requests_that_only_read(request_text: str) -> None:
    assert asks_only_to_read(request_text)


@pytest.mark.parametrize("request_text", [
    "replace foo with bar in config.ini",
    "find empty files and delete them",
    "list the files and save the list to files.txt",
    "count the lines and write the number into a file",
    "rename notes.txt to notes.md",
    "sort names.txt in place",
    "make run.sh executable",
    "",
    "config.ini에서 foo를 bar로 바꿔줘",
    "로그 파일을 지워줘",
    "파일 목록을 list.txt에 저장해줘",
    "docs 폴더를 압축해줘",
])
def test_requests_that_change_or_are_unclear(request_text: str) -> None:
    assert not asks_only_to_read(request_text)


@pytest.mark.parametrize(("request_text", "command", "said"), [
    ("print config.ini with every 'foo' replaced by 'bar'",
     "sed -i 's/foo/bar/g' config.ini", "edits files in place (sed -i)"),
    ("show config.ini without comments", "sed -i.bak '/^#/d' config.ini", "sed -i"),
    ("print each line of a.txt with x turned into y", "perl -pi -e 's/x/y/' a.txt",
     "perl -i"),
    ("show the 3 largest files", "ls -S | head -3 > top.txt", "writes top.txt"),
    ("list the python files", "find . -name '*.py' | tee list.txt", "tee"),
    ("show the files in the archive", "tar -xzf a.tar.gz", "tar"),
    ("show the sorted names", "sort -o names.txt names.txt", "sort -o"),
    ("config.ini에서 foo를 bar로 바꿔서 출력해줘", "sed -i 's/foo/bar/g' config.ini",
     "sed -i"),
    ("show what changed", "git stash", "git stash"),
])
def test_a_change_for_a_read_only_request_is_flagged(tmp_path: Path, request_text: str,
                                                     command: str, said: str) -> None:
    risks = assess(command, tmp_path, request=request_text)
    flagged = [r for r in risks if r.rule == "changes-on-read"]
    assert len(flagged) == 1 and said in flagged[0].reason
    assert flagged[0].reason.endswith("although the request only asks to see")


@pytest.mark.parametrize(("request_text", "command"), [
    ("print config.ini with every 'foo' replaced by 'bar'", "sed 's/foo/bar/g' config.ini"),
    ("show the 3 largest files", "ls -S | head -n 3"),
    ("show the archive's contents", "tar -tzf a.tar.gz"),
    ("how many .txt files are here", "find . -maxdepth 1 -name '*.txt' | wc -l"),
    ("show the log without errors", "grep -v error app.log > /dev/null"),
    ("replace foo with bar in config.ini", "sed -i 's/foo/bar/g' config.ini"),
    ("가장 큰 파일 3개 보여줘", "ls -S | head -n 3"),
])
def test_nothing_extra_when_the_command_reads_or_the_request_changes(
        tmp_path: Path, request_text: str, command: str) -> None:
    assert not [r for r in assess(command, tmp_path, request=request_text)
                if r.rule == "changes-on-read"]


def test_without_a_request_nothing_is_judged_on_intent(tmp_path: Path) -> None:
    assert assess("sed -i 's/a/b/' f.txt", tmp_path) == ()


@pytest.mark.parametrize(("command", "changes"), [
    ("git branch", False), ("git branch -a", False), ("git branch --list 'f*'", False),
    ("git tag", False), ("git stash list", False), ("git status", False),
    ("git log -2 --format=%s", False),
    ("git branch feature", True), ("git branch -d old", True), ("git tag v1.0", True),
    ("git stash", True), ("git commit -am msg", True),
])
def test_git_that_only_lists_is_not_a_change(tmp_path: Path, command: str,
                                             changes: bool) -> None:
    risks = assess(command, tmp_path, request="list the local branches")
    assert any(r.rule == "changes-on-read" for r in risks) == changes
