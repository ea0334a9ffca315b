"""One shell command for a request in words (``lamp cmd``): propose, revise, describe.

The proposal is decoded under a grammar that admits exactly one line of bounded
length, so a small model cannot add an explanation, a second command on the
next line or a Markdown fence: what comes back is what would run. The prompt
names the user's shell and OS (``ls -la`` is not ``Get-ChildItem``) and shows a
few worked requests, English and Korean, because a 1.5B model follows examples
far better than rules. Revisions continue the same conversation, so the model
sees what it proposed and what the user said was wrong with it. Descriptions
run in a conversation of their own (their free text must not teach the
proposing conversation to answer in prose), shown two worked explanations in
the request's language: Markdown, one item per part, the effect last.

No memory: a command belongs to the directory and moment it is asked in, and a
recalled turn from another session would only mislead the proposal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from pathlib import Path

from ..conversation import Conversation
from ..errors import InvalidOutput
from ..events import Event, FinalAnswer, Usage
from ..models import Backend, Message, Sampling, worked_turns

__all__ = ["COMMAND_MAX_CHARS", "CommandDrafter", "Proposal", "ShellTarget", "command_grammar"]

COMMAND_MAX_CHARS = 400  # longest command line the grammar admits
_COMMAND_TOKENS = 200  # max_tokens of a proposal unless the user chose one


@dataclass(frozen=True)
class ShellTarget:
    """Where the command will run: ``shell`` (bash, zsh, fish, ...) and ``os`` (Linux, ...)."""

    shell: str
    os: str


@dataclass(frozen=True)
class Proposal:
    """A proposed command line; ``finish_reason`` says whether the model ended it itself;
    ``reviewed``: the correction the second look sent back for an earlier draft ("": the
    first draft passed it)."""

    command: str
    finish_reason: str = ""
    reviewed: str = ""


def command_grammar(max_chars: int = COMMAND_MAX_CHARS) -> str:
    """GBNF for one command line: no control characters (so no newline), no leading blank
    or backtick (so no Markdown), at most ``max_chars`` characters."""
    return ("root ::= first rest{0," + str(max_chars - 1) + "}\n"
            'first ::= [^ `\\t\\n\\r\\x00-\\x1F\\x7F#]\n'
            "rest ::= [^\\n\\r\\x00-\\x1F\\x7F]\n")


_EXAMPLES: tuple[tuple[str, str], ...] = (
    ("show how much space this folder takes, human readable", "du -sh ."),
    ("find python files changed in the last 2 days",
     "find . -name '*.py' -mtime -2"),
    ("app.log에서 error가 들어간 줄 수 세줘", "grep -ci error app.log"),
    ("which process is listening on port 8080", "lsof -i :8080"),
    ("docs 폴더를 docs.tar.gz로 압축해줘", "tar -czf docs.tar.gz docs"),
    ("rename every .jpeg file here to .jpg",
     'for f in *.jpeg; do mv -- "$f" "${f%.jpeg}.jpg"; done'),
)
_FISH_EXAMPLES: dict[str, str] = {
    'for f in *.jpeg; do mv -- "$f" "${f%.jpeg}.jpg"; done':
        'for f in *.jpeg; mv -- $f (string replace -r "\\.jpeg$" .jpg $f); end',
}


def _system(target: ShellTarget) -> str:
    return (f"You turn a request into exactly one {target.shell} command for {target.os}, "
            "to run in the current directory. Reply with the command only, on one line: no "
            "explanation, no Markdown, no prompt sign. Prefer standard tools that are "
            "installed by default; join steps with pipes or && when needed. Requests may be "
            "in any language; the command is always a real command line.")


def _examples(target: ShellTarget) -> list[Message]:
    fish = target.shell == "fish"
    return worked_turns((request, _FISH_EXAMPLES.get(command, command) if fish else command)
                        for request, command in _EXAMPLES)


# Worked explanations, one list item per part and the whole command's effect last. A 1.5B
# model copies the shape of an example; given a template with placeholders instead
# ("<part>: <what it does>") it copied the placeholders. One reads, one deletes
# recursively, in each language, so both kinds of effect line have been seen.
_DESCRIBE_EXAMPLES: dict[str, tuple[tuple[str, str, str], ...]] = {
    "English": (
        ("how many lines in notes.md mention TODO", "grep -c TODO notes.md",
         "- `grep` — searches text for lines that match a pattern\n"
         "- `-c` — prints how many lines match instead of the lines themselves\n"
         "- `TODO` — the text to look for (upper and lower case differ)\n"
         "- `notes.md` — the one file it reads\n\n"
         "**Effect:** reads notes.md and prints one number. Nothing is changed."),
        ("clean up the .tmp files", "find . -name '*.tmp' -delete",
         "- `find` — walks through a folder tree and acts on what it finds\n"
         "- `.` — starts in this folder and goes into every subfolder\n"
         "- `-name '*.tmp'` — keeps only names ending in .tmp\n"
         "- `-delete` — deletes each file it keeps\n\n"
         "**Effect:** deletes every .tmp file here and in all subfolders, recursively. "
         "Deleted files do not go to a trash can."),
    ),
    "Korean": (
        ("notes.md에서 TODO가 있는 줄이 몇 개야", "grep -c TODO notes.md",
         "- `grep` — 패턴과 맞는 줄을 찾는 프로그램입니다\n"
         "- `-c` — 줄 대신 맞는 줄의 개수를 출력합니다\n"
         "- `TODO` — 찾을 글자입니다 (대소문자를 구분합니다)\n"
         "- `notes.md` — 읽을 파일 하나입니다\n\n"
         "**결과:** notes.md를 읽고 숫자 하나를 출력합니다. 아무것도 바꾸지 않습니다."),
        (".tmp 파일 정리해줘", "find . -name '*.tmp' -delete",
         "- `find` — 폴더를 차례로 돌며 찾은 것에 작업을 합니다\n"
         "- `.` — 현재 폴더에서 시작해 모든 하위 폴더까지 들어갑니다\n"
         "- `-name '*.tmp'` — 이름이 .tmp로 끝나는 것만 고릅니다\n"
         "- `-delete` — 고른 파일을 삭제합니다\n\n"
         "**결과:** 현재 폴더와 모든 하위 폴더의 .tmp 파일을 재귀적으로 삭제합니다. "
         "삭제된 파일은 휴지통으로 가지 않습니다."),
    ),
}


def _describe_language(request: str, command: str) -> str:
    """The language to explain in: the request's (Korean or English; English otherwise)."""
    from ..language import detect_language

    return "Korean" if detect_language(request or command) == "Korean" else "English"


def _describe_system(target: ShellTarget, language: str) -> str:
    return (f"You explain {target.shell} commands on {target.os} to someone about to run "
            "one. Write a Markdown list with one item per part of the command (the "
            "program, each option, each argument), then one line that starts with the "
            "bold label and says what the whole command reads, writes or deletes, and "
            f"whether it goes into subfolders. Write in {language}.")


def _describe_examples(language: str) -> list[Message]:
    return worked_turns((_describe_prompt(request, command), explanation)
                        for request, command, explanation in _DESCRIBE_EXAMPLES[language])


def _describe_prompt(request: str, command: str) -> str:
    asked = f"Request: {request}\n" if request else ""
    return f"{asked}Command: {command}"


@dataclass
class CommandDrafter:
    """Holds the proposing conversation, so each revision sees everything said so far.

    ``sampling`` is used as given for explanations; proposals are greedy unless
    ``greedy`` is False (the user chose a temperature), and capped at a short length
    unless ``cap_tokens`` is False (the user chose --max-tokens).
    """

    backend: Backend
    sampling: Sampling
    target: ShellTarget
    greedy: bool = True
    cap_tokens: bool = True
    extra_system: str = ""  # the user's --system, added to the proposing instructions
    request: str = ""
    cwd: Path | None = None  # where the command would run: a draft is reviewed for it
    _conversation: Conversation | None = field(default=None, init=False, repr=False)

    def _proposal_sampling(self) -> Sampling:
        sampling = replace(self.sampling, temperature=0.0) if self.greedy else self.sampling
        if self.cap_tokens:
            sampling = replace(sampling, max_tokens=min(sampling.max_tokens, _COMMAND_TOKENS))
        if not self.backend.capabilities.grammar:  # a server without GBNF: stop at a newline
            sampling = replace(sampling, stop=(*sampling.stop, "\n"))
        return sampling

    def propose(self, request: str) -> Proposal:
        """A fresh proposal for ``request`` (forgets earlier revisions)."""
        self.request = request
        self._conversation = Conversation(self.backend, self._proposal_sampling(),
                                          system=f"{_system(self.target)}\n"
                                                 f"{self.extra_system}".strip(),
                                          examples=_examples(self.target))
        return self._reviewed(self._send(request))

    def revise(self, correction: str) -> Proposal:
        """A new proposal that takes ``correction`` into account."""
        if self._conversation is None:
            return self.propose(correction)
        # Not reviewed: the person has seen the command and said what they want.
        return self._send(f"Not quite: {correction.strip()}\nReply with the corrected "
                          "command only, on one line.")

    def _reviewed(self, draft: Proposal) -> Proposal:
        """``draft``, or the model's second try when the review (agent/shell/review.py)
        finds the first draft at odds with the request; one try, kept even if imperfect
        (the risk rules still judge whatever is shown)."""
        if self.cwd is None:
            return draft
        from .review import review

        correction = review(self.request, draft.command, self.cwd)
        if correction is None:
            return draft
        try:
            second = self._send(f"{correction}\nReply with the corrected command only, on "
                                "one line.")
        except InvalidOutput:
            return draft
        return replace(second, reviewed=correction)

    def describe(self, command: str) -> Iterator[Event]:
        """The model's part-by-part explanation of ``command`` (Markdown, in the request's
        language), streamed as events."""
        language = _describe_language(self.request, command)
        conversation = Conversation(self.backend, self.sampling,
                                    system=_describe_system(self.target, language),
                                    examples=_describe_examples(language))
        yield from conversation.send(_describe_prompt(self.request, command))

    def _send(self, text: str) -> Proposal:
        assert self._conversation is not None
        grammar = command_grammar() if self.backend.capabilities.grammar else None
        answer, finish = "", ""
        for event in self._conversation.send(text, grammar=grammar):
            if isinstance(event, FinalAnswer):
                answer = event.text
            elif isinstance(event, Usage):
                finish = event.finish_reason
        command = _clean(answer)
        if not command:
            raise InvalidOutput("the model proposed no command; rephrase the request")
        if finish == "length":
            raise InvalidOutput("the proposed command was cut at --max-tokens before it "
                                "ended; raise --max-tokens")
        return Proposal(command, finish)


def _clean(answer: str) -> str:
    """The command line in an answer (a server without grammars may still add a fence)."""
    lines = [line.strip() for line in answer.strip().splitlines()]
    lines = [line for line in lines if line and not line.startswith("```")]
    line = lines[0] if lines else ""
    if line.startswith("$ "):
        line = line[2:]
    if len(line) > 1 and line[0] == line[-1] == "`":
        line = line[1:-1]
    return line.strip()
