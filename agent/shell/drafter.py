"""One shell command for a request in words (``lamp cmd``): propose, revise, describe.

The proposal is decoded under a grammar that admits exactly one line of bounded
length, so a small model cannot add an explanation, a second command on the
next line or a Markdown fence: what comes back is what would run. The prompt
names the user's shell and OS (``ls -la`` is not ``Get-ChildItem``) and shows a
few worked requests, English and Korean, because a 1.5B model follows examples
far better than rules. Revisions continue the same conversation, so the model
sees what it proposed and what the user said was wrong with it. Descriptions
run in a conversation of their own: their free text must not teach the
proposing conversation to answer in prose.

No memory: a command belongs to the directory and moment it is asked in, and a
recalled turn from another session would only mislead the proposal.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field, replace

from ..conversation import Conversation
from ..errors import InvalidOutput
from ..events import Event, FinalAnswer, Usage
from ..models import Backend, Message, Sampling

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
    """A proposed command line; ``finish_reason`` says whether the model ended it itself."""

    command: str
    finish_reason: str = ""


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
    messages: list[Message] = []
    for request, command in _EXAMPLES:
        if target.shell == "fish":
            command = _FISH_EXAMPLES.get(command, command)
        messages += [Message("user", request), Message("assistant", command)]
    return messages


def _describe_system(target: ShellTarget) -> str:
    return (f"You explain {target.shell} commands on {target.os} to someone about to run "
            "one. Go through the command part by part (each program, option and "
            "argument): one short line each, as '<part>: <what it does>'. Then one line "
            "on what the whole command changes, if anything. Plain text, no Markdown. "
            "Answer in the language of the user's request.")


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
        return self._send(request)

    def revise(self, correction: str) -> Proposal:
        """A new proposal that takes ``correction`` into account."""
        if self._conversation is None:
            return self.propose(correction)
        return self._send(f"Not quite: {correction.strip()}\nReply with the corrected "
                          "command only, on one line.")

    def describe(self, command: str) -> Iterator[Event]:
        """The model's part-by-part explanation of ``command``, streamed as events."""
        conversation = Conversation(self.backend, self.sampling,
                                    system=_describe_system(self.target))
        asked = f"Request: {self.request}\n" if self.request else ""
        yield from conversation.send(f"{asked}Command: {command}\nExplain this command.")

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
