"""A POSIX/bash command line parsed the way the shell reads it, for the risk rules.

Risk rules that read the raw text miss what the shell does before it runs
anything: ``\\rm``, ``r''m`` and ``"rm"`` are all ``rm``, ``$(...)`` runs a whole
script inside a word, ``case`` patterns end in ``)`` without opening a subshell.
This module turns a line into a tree of lists, pipelines, compound commands and
simple commands whose words keep their quoting (what was quoted, what is a
parameter, what is a command or process substitution), so ``words`` can
expand them and ``risk`` can judge the commands that would really run.

It is our own parser, not bashlex: bashlex is GPL-3.0 (lamp is Apache-2.0) and
fails on ``case``, ``[[``, ``$((...))``, ``time`` and arrays, which real command
lines use every day. What this parser cannot read raises ``ParseError``, and
the risk rules flag that: an unreadable line is never treated as a safe one.
"""

from __future__ import annotations

from .lexer import ASSIGN, Lexer, Token, subs_in
from .syntax import (
    MAX_DEPTH,
    Arith,
    Command,
    Compound,
    FuncDef,
    Lit,
    Param,
    ParseError,
    Pipeline,
    Redirect,
    Script,
    Simple,
    Sub,
    Word,
)

__all__ = ["MAX_DEPTH", "Arith", "Command", "Compound", "FuncDef", "Lit", "Param",
           "ParseError", "Parser", "Pipeline", "Redirect", "Script", "Simple", "Sub", "Word",
           "parse"]


class Parser:
    def __init__(self, lexer: Lexer) -> None:
        self.lexer = lexer
        self._peeked: Token | None = None

    def peek(self) -> Token:
        if self._peeked is None:
            self._peeked = self.lexer.next()
        return self._peeked

    def take(self) -> Token:
        token = self.peek()
        self._peeked = None
        return token

    def _is(self, value: str) -> bool:
        token = self.peek()
        if token.kind == "op":
            return token.value == value
        return token.kind == "word" and token.word is not None and token.word.plain() == value

    def _expect(self, value: str) -> None:
        if not self._is(value):
            found = self.peek().value or "end of line"
            raise ParseError(f"expected '{value}', found '{found}'")
        self.take()

    def _skip_newlines(self) -> None:
        while self._is("\n"):
            self.take()

    def parse_list(self, terms: set[str]) -> Script:
        script = Script()
        self._skip_newlines()
        while self.peek().kind != "eof" and not any(self._is(t) for t in terms):
            chain = self._and_or()
            sep = ""
            if self.peek().kind == "op" and self.peek().value in (";", "&", "\n"):
                sep = self.take().value
            script.items.append((chain, sep))
            self._skip_newlines()
            if not sep and self.peek().kind != "eof" and not any(self._is(t) for t in terms):
                raise ParseError(f"unexpected '{self.peek().value}'")
        return script

    def _and_or(self) -> list[Pipeline]:
        chain = [self._pipeline()]
        while self._is("&&") or self._is("||"):
            self.take()
            self._skip_newlines()
            chain.append(self._pipeline())
        return chain

    def _pipeline(self) -> Pipeline:
        negated = False
        while True:
            if self._is("time"):
                self.take()
                if self._is("-p"):
                    self.take()
            elif self._is("!"):
                self.take()
                negated = not negated
            else:
                break
        commands = [self._command()]
        while self._is("|") or self._is("|&"):
            self.take()
            self._skip_newlines()
            commands.append(self._command())
        return Pipeline(commands, negated)

    def _body(self, start: str, end: str) -> Script:
        self._expect(start)
        body = self.parse_list({end})
        self._expect(end)
        return body

    def _command(self) -> Command:
        token = self.peek()
        word = token.word.plain() if token.kind == "word" and token.word else None
        if token.kind == "op" and token.value == "((":
            self.take()
            text = self.lexer.read_raw_until("))")
            return self._redirected(Compound("arith", text=text,
                                             words=[Word((Arith(False, subs_in(
                                                 text, self.lexer.depth)),))]))
        if token.kind == "op" and token.value == "(":
            self.take()
            body = self.parse_list({")"})
            self._expect(")")
            return self._redirected(Compound("subshell", [body]))
        if token.kind == "op" and token.value not in ("\n",):
            raise ParseError(f"unexpected '{token.value}'")
        if word == "{":
            return self._redirected(Compound("group", [self._body("{", "}")]))
        if word == "if":
            return self._if()
        if word in ("while", "until"):
            self.take()
            cond = self.parse_list({"do"})
            return self._redirected(Compound(word, [cond, self._body("do", "done")]))
        if word in ("for", "select"):
            return self._for(word)
        if word == "case":
            return self._case()
        if word == "[[":
            return self._cond()
        if word == "function":
            self.take()
            name = self.take()
            if name.kind != "word":
                raise ParseError("function without a name")
            if self._is("("):
                self.take()
                self._expect(")")
            self._skip_newlines()
            return FuncDef(name.value, self._command())
        if word == "coproc":  # coproc cmd args: the command is what matters
            self.take()
            return self._command()
        return self._simple()

    def _redirected(self, command: Compound) -> Compound:
        while self.peek().kind in ("redir", "fd"):
            command.redirects.append(self._redirect())
        return command

    def _if(self) -> Compound:
        self.take()
        parts = [self.parse_list({"then"})]
        parts.append(self._then())
        while True:
            if self._is("elif"):
                self.take()
                parts.append(self.parse_list({"then"}))
                parts.append(self._then())
            elif self._is("else"):
                self.take()
                parts.append(self.parse_list({"fi"}))
            else:
                break
        self._expect("fi")
        return self._redirected(Compound("if", parts))

    def _then(self) -> Script:
        self._expect("then")
        return self.parse_list({"elif", "else", "fi"})

    def _for(self, kind: str) -> Compound:
        self.take()
        words: list[Word] = []
        text = variable = ""
        if self._is("(("):
            self.take()
            text = self.lexer.read_raw_until("))")
            words.append(Word((Arith(False, subs_in(text, self.lexer.depth)),)))
        else:
            name = self.take()
            if name.kind != "word":
                raise ParseError(f"bad {kind} variable")
            variable = name.value
            self._skip_newlines()
            if self._is("in"):
                self.take()
                while self.peek().kind == "word":
                    words.append(self.take().word)  # type: ignore[arg-type]
        if self._is(";") or self._is("\n"):
            self.take()
        self._skip_newlines()
        body = self._body("{", "}") if self._is("{") else self._body("do", "done")
        return self._redirected(Compound(kind, [body], words, text=text or variable))

    def _case(self) -> Compound:
        self.take()
        subject = self.take()
        if subject.kind != "word" or subject.word is None:
            raise ParseError("case without a word")
        words = [subject.word]
        self._skip_newlines()
        self._expect("in")
        parts: list[Script] = []
        self._skip_newlines()
        while not self._is("esac"):
            if self.peek().kind == "eof":
                raise ParseError("case without esac")
            if self._is("("):
                self.take()
            while True:
                pattern = self.take()
                if pattern.kind != "word" or pattern.word is None:
                    raise ParseError("bad case pattern")
                words.append(pattern.word)
                if self._is("|"):
                    self.take()
                    continue
                break
            self._expect(")")
            parts.append(self.parse_list({";;", ";&", ";;&", "esac"}))
            if self.peek().kind == "op" and self.peek().value in (";;", ";&", ";;&"):
                self.take()
            self._skip_newlines()
        self.take()
        return self._redirected(Compound("case", parts, words))

    def _cond(self) -> Compound:
        self.take()
        words: list[Word] = []
        while not self._is("]]"):
            token = self.take()
            if token.kind == "eof":
                raise ParseError("[[ without ]]")
            if token.kind == "word" and token.word is not None:
                words.append(token.word)
        self.take()
        return self._redirected(Compound("cond", words=words))

    def _redirect(self) -> Redirect:
        fd = ""
        if self.peek().kind == "fd":
            fd = self.take().value
        op = self.take().value
        target = self.take()
        if target.kind != "word" or target.word is None:
            raise ParseError(f"redirect '{op}' without a target")
        redirect = Redirect(op, target.word, fd)
        if op in ("<<", "<<-"):
            delim = target.word.literal()
            quoted = any(isinstance(p, Lit) and p.quoted for p in target.word.parts)
            if delim is None:
                delim = target.value
            self.lexer.heredocs.append((redirect, delim, quoted, op == "<<-"))
        return redirect

    def _simple(self) -> Command:
        command = Simple()
        while True:
            token = self.peek()
            if token.kind in ("redir", "fd"):
                command.redirects.append(self._redirect())
                continue
            if token.kind != "word" or token.word is None:
                break
            self.take()
            match = ASSIGN.match(token.value)
            if not command.words and match and _starts_unquoted(token.word, match.end()):
                command.assigns.append((match.group(1), _after(token.word, match.end())))
                continue
            command.words.append(token.word)
            if (len(command.words) == 1 and not command.assigns and self._is("(")):
                self.take()
                self._expect(")")
                self._skip_newlines()
                return FuncDef(token.value, self._command())
        if not command.words and not command.assigns and not command.redirects:
            token = self.peek()
            raise ParseError(f"unexpected '{token.value or 'end of line'}'")
        return command


def _starts_unquoted(word: Word, length: int) -> bool:
    first = word.parts[0] if word.parts else None
    return isinstance(first, Lit) and not first.quoted and len(first.text) >= length


def _after(word: Word, length: int) -> Word:
    """The value of ``NAME=value``: the word without its first ``length`` characters."""
    first = word.parts[0]
    assert isinstance(first, Lit)
    rest = first.text[length:]
    parts = ((Lit(rest),) if rest else ()) + word.parts[1:]
    return Word(parts or (Lit("", True),))


def parse(text: str, depth: int = 0) -> Script:
    """The parsed command line (``ParseError`` when it cannot be read)."""
    lexer = Lexer(text, depth)
    parser = Parser(lexer)
    script = parser.parse_list(set())
    token = parser.take()
    if token.kind != "eof":
        raise ParseError(f"unexpected '{token.value}'")
    return script
