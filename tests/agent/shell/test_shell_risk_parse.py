"""The parser and word expansion under the risk rules: commands found where the shell
finds them, words expanded as the shell expands them, unreadable text refused."""

from __future__ import annotations

import pytest

from lamp.agent.shell.parser import Compound, FuncDef, ParseError, Simple, Sub, parse
from lamp.agent.shell.words import expand


def _commands(text: str) -> list[list[str]]:
    """Each simple command's words (expanded with no variables known), outermost first."""
    out: list[list[str]] = []

    def script(s) -> None:
        for chain, _ in s.items:
            for pipeline in chain:
                for command in pipeline.commands:
                    walk(command)

    def walk(command) -> None:
        if isinstance(command, FuncDef):
            walk(command.body)
        elif isinstance(command, Compound):
            for part in command.parts:
                script(part)
        else:
            out.append([f.text for w in command.words for f in expand(w, {})])
            for word in command.words:
                for sub in word.subs():
                    script(sub.script)

    script(parse(text))
    return out


@pytest.mark.parametrize("text, commands", [
    ("ls -la", [["ls", "-la"]]),
    ("a && b || c; d & e | f", [["a"], ["b"], ["c"], ["d"], ["e"], ["f"]]),
    ("\\rm r''m \"r\"m $'\\x72m'", [["rm", "rm", "rm", "rm"]]),
    ("{rm,-rf,d} x{1..3}", [["rm", "-rf", "d", "x1", "x2", "x3"]]),
    ("echo '{a,b}' {}", [["echo", "{a,b}", "{}"]]),
    ("if a; then b; elif c; then d; else e; fi", [["a"], ["b"], ["c"], ["d"], ["e"]]),
    ("while a; do b; done; until c; do d; done", [["a"], ["b"], ["c"], ["d"]]),
    ("for x in 1 2; do b; done; for ((i=0;i<3;i++)); do c; done", [["b"], ["c"]]),
    ("case $x in a|b) c;; (d) e;& *) f;; esac", [["c"], ["e"], ["f"]]),
    ("f() { a; }; function g { b; }", [["a"], ["b"]]),
    ("[[ -f x && $y < z ]] && a", [["a"]]),
    ("(( i++ )) || a", [["a"]]),
    ("echo \"$(a \"$(b)\")\" `c`", [["echo", "", ""], ["a", ""], ["b"], ["c"]]),
    ("diff <(a) >(b)", [["diff", "", ""], ["a"], ["b"]]),
    ("x=(1 $(a) 3); echo ${y:-$(b)} $((1 + $(c)))", [[], ["echo", "", ""], ["b"], ["c"]]),
    ("echo a # b; c", [["echo", "a"]]),
    ("cat <<EOF\n$(a)\nEOF\nb", [["cat"], ["b"]]),
    ("a 2>&1 >/dev/null &>x <<<y", [["a"]]),
    ("time -p ! a | b", [["a"], ["b"]]),
])
def test_commands_are_found_where_the_shell_finds_them(text: str,
                                                       commands: list[list[str]]) -> None:
    assert _commands(text) == commands


def test_a_heredoc_body_is_read_and_its_substitutions_found() -> None:
    [(chain, _), *_] = parse("cat <<EOF\nhi $(rm -rf d)\nEOF").items
    command = chain[0].commands[0]
    assert isinstance(command, Simple)
    body = command.redirects[0].body
    assert body is not None and any(isinstance(p, Sub) for p in body.parts)
    [(chain, _)] = parse("cat <<'EOF'\n$(rm -rf d)\nEOF").items
    quoted = chain[0].commands[0].redirects[0].body
    assert quoted is not None and quoted.literal() == "$(rm -rf d)\n"


@pytest.mark.parametrize("text, env, fields", [
    ("rm${IFS}-rf${IFS}d", {}, ["rm", "-rf", "d"]),
    ("$X", {"X": "rm -rf"}, ["rm", "-rf"]),
    ('"$X"', {"X": "rm -rf"}, ["rm -rf"]),
    ("$c", {"IFS": ",", "c": "rm,-rf"}, ["rm", "-rf"]),
    ("a{b,c{d,e}}f", {}, ["abf", "acdf", "acef"]),
    ("{c..a}", {}, ["c", "b", "a"]),
    ("''", {}, [""]),
    ("$unset", {}, [""]),
])
def test_words_expand_as_the_shell_expands_them(text: str, env: dict[str, str],
                                                fields: list[str]) -> None:
    [(chain, _)] = parse(f"echo {text}").items
    word = chain[0].commands[0].words[1]
    assert [f.text for f in expand(word, env)] == fields


def test_unknown_parts_are_marked_and_globs_seen() -> None:
    [(chain, _)] = parse('echo $HOME/x "$(a)" *.log "*.log" /???/r?').items
    words = chain[0].commands[0].words[1:]
    home, sub, glob, quoted, command_glob = (expand(w, {})[0] for w in words)
    assert home.dynamic and home.text == "/x" and home.template("H") == "H/x"
    assert sub.dynamic and sub.subs and not sub.glob
    assert glob.glob and not quoted.glob and command_glob.glob


@pytest.mark.parametrize("text", [
    "echo 'open", 'echo "open', "echo $(open", "echo `open", "echo ${open",
    "if a; then b", "while a; do b", "case x in a) b", "(a", "a )", "a | ", "a && ",
    "f() ", "echo >", "[[ a", "for x in a; b; done", "$(" * 20 + ")" * 20,
])
def test_what_cannot_be_read_is_refused(text: str) -> None:
    with pytest.raises(ParseError):
        parse(text)
