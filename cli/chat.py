"""`lamp chat`: a REPL that streams Markdown, keeps input history, and survives Ctrl-C.

Input: readline gives line editing and a persistent history file. A line ending
in a backslash continues on the next line; a line of three double quotes opens
a block that ends at the next such line (for pasting). Ctrl-C while an answer
streams stops that answer only; Ctrl-C at the prompt clears the line; Ctrl-D
leaves. What a command or a message does is the chat's (lamp.agent.app.chat);
this module reads lines, shows runs, and puts what ``/copy`` chose on the clipboard:
with a clipboard tool when one is installed, else by asking the terminal (OSC 52,
which works over ssh in most terminal emulators).
"""

from __future__ import annotations

import base64
import contextlib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from lamp.agent.errors import LampError

from .common import with_model_options
from .errors import is_reported, report
from .options import Continue, MemoryUrl, NoMemory, SessionName
from .render import PlainRenderer, Renderer, RichRenderer, renderer_for
from .show import show_sources

if TYPE_CHECKING:
    from lamp.agent.app.chat import Chat, Copier
    from lamp.agent.app.output import Output
    from lamp.agent.app.requests import ChatTurn
    from lamp.agent.app.runtime import Runtime

__all__ = ["chat", "osc52", "run_chat", "terminal_copier"]

BLOCK = '"""'


def _read_message(read: Callable[[str], str]) -> str:
    """One user message, possibly spanning several lines."""
    line = read(">>> ")
    if line.strip() == BLOCK:
        lines: list[str] = []
        while (nxt := read("... ")).strip() != BLOCK:
            lines.append(nxt)
        return "\n".join(lines)
    parts = [line]
    while parts[-1].endswith("\\"):
        parts[-1] = parts[-1][:-1]
        parts.append(read("... "))
    return "\n".join(parts)


def osc52(text: str) -> str:
    """The escape sequence that asks a terminal to put ``text`` on the clipboard."""
    return f"\x1b]52;c;{base64.b64encode(text.encode()).decode('ascii')}\x07"


def terminal_copier(output: Output, env: Mapping[str, str],
                    copy: Callable[[str], str | None] | None = None) -> Copier:
    """``/copy``'s clipboard: a clipboard tool on the caller's PATH (``copy``: how to run
    one; the shell_env one by default), else the terminal lamp writes to, by OSC 52."""
    def put(text: str) -> str | None:
        from .shell_env import copy_to_clipboard

        tool = (copy or (lambda t: copy_to_clipboard(t, env=env)))(text)
        if tool:
            return f"with {tool}"
        if not output.stdout_terminal:
            return None
        output.write(osc52(text))
        return "through the terminal (OSC 52), where the terminal allows it"
    return put


def _setup_readline(data_dir: Path) -> None:
    try:
        import readline
    except ImportError:  # pragma: no cover - Windows without pyreadline
        return
    from lamp.agent.config.paths import private_dir

    history = data_dir / "chat_history"
    with contextlib.suppress(OSError):
        private_dir(history.parent)
        readline.read_history_file(history)
    readline.set_history_length(2000)
    import atexit

    atexit.register(lambda: _save_history(readline, history))


def _save_history(readline: object, history: Path) -> None:
    """Every line typed is in here: the file is made 0600 before readline writes it."""
    from lamp.memory.private_fs import create_private

    with contextlib.suppress(OSError):
        create_private(history)
        readline.write_history_file(history)  # type: ignore[attr-defined]


@with_model_options
def chat(
    session: SessionName = None,
    continue_last: Continue = False,
    no_memory: NoMemory = False,
    memory_url: MemoryUrl = None,
    *,
    rt: Runtime,
) -> None:
    """Interactive chat: streaming Markdown, history, multi-line input, /help for commands."""
    from lamp.agent.app.memory import MemoryChoice

    choice = MemoryChoice(session=session, continue_last=continue_last, disabled=no_memory,
                          url=memory_url, long_lived=True)
    run_chat(rt, choice)


def run_chat(rt: Runtime, choice: object) -> None:
    from lamp.agent.app.chat import Chat

    from .approval import make_approver

    rt.settings  # noqa: B018 - a bad setting fails before the terminal is touched
    output = rt.output
    interactive = output.interactive
    if interactive:
        _setup_readline(rt.paths.data_dir())
        _catch_ctrl_c()
    console = None
    if interactive:
        from .render.terminal import console_for

        console = console_for(output)

        def say(text: str) -> None:
            # The terminal wraps a long reply (a path, a /stats line), never Rich.
            console.print(text, style="dim", markup=False, highlight=False, soft_wrap=True)
    else:
        def say(text: str) -> None:
            output.write(text + "\n")

    session = Chat.start(rt, choice, say, approve=make_approver("ask", output),  # type: ignore[arg-type]
                         interactive=interactive,
                         copy=terminal_copier(output, rt.caller.env))
    try:
        if console is not None:
            console.print(f"lamp chat ({session.banner}) — /help for commands, Ctrl-D to "
                          "leave", style="dim", highlight=False)
        _loop(rt, session, console)
    finally:
        session.close()


def _catch_ctrl_c() -> None:
    """On a terminal Ctrl-C stops the answer, even when lamp was started with SIGINT
    ignored (a background job of a script inherits that, and Python then leaves it
    ignored); a chat the user cannot interrupt would have to be killed."""
    import signal

    signal.signal(signal.SIGINT, signal.default_int_handler)


def _loop(rt: Runtime, session: Chat, console: object) -> None:
    output, verbose = rt.output, rt.verbose
    interactive = console is not None
    renderer: Renderer = (RichRenderer(output, console=console, verbose=verbose, said=rt.said)
                          if interactive else PlainRenderer(output, verbose=verbose,
                                                            said=rt.said))
    while True:
        try:
            text = _read_message(input)
        except EOFError:
            if interactive:
                output.write("\n")
            return
        except KeyboardInterrupt:
            output.write("^C\n" if interactive else "\n")
            continue
        if not text.strip():
            continue
        if text.startswith("/"):
            done = _command(rt, session, text.strip())
            if done is False:
                return
            if done is True:
                continue
            turn = done
        else:
            turn = session.next_turn(text)
        _answer(rt, session, turn, renderer)


def _command(rt: Runtime, session: Chat, line: str) -> bool | ChatTurn:
    """Run a slash command; one that fails or is stopped (Ctrl-C while ``/model`` loads)
    says so, and the chat goes on."""
    try:
        return session.command(line)
    except KeyboardInterrupt:
        session.say("(stopped)")
    except LampError as exc:
        report(exc, rt.verbose, rt.output.stderr)
    return True


def _answer(rt: Runtime, session: Chat, turn: ChatTurn, renderer: Renderer) -> None:
    """Show one turn's answer; a failure is said and the chat goes on."""
    output, verbose = rt.output, rt.verbose
    run = None
    try:
        run = session.answer(turn)
        if turn.tools is not None:  # steps as they happen, then the answer
            shown = renderer_for(output, verbose=verbose, stream=False, said=rt.said)
            result = shown.render(run)
            if result.error is not None:
                if result.stopped is not None:
                    shown.partial(str(result.answer))
                raise result.error
            shown.finish(str(result.answer))
        else:
            result = renderer.render(run)
            if result.grounded:
                show_sources(result.sources, result.citations, rt.caller, quiet=False)
    except KeyboardInterrupt:
        if run is not None:
            run.close()
        session.say("(answer stopped)")
    except LampError as exc:
        report(exc, verbose, output.stderr)
    except Exception as exc:  # a store failure: say it, keep the chat
        if not is_reported(exc):
            raise
        report(exc, verbose, output.stderr)
    finally:
        session.settle(turn, run)
