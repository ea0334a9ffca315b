"""`lamp ask` logic with a scripted backend: flags, templates, JSON and error mapping."""

from __future__ import annotations

import json
import sys

import pytest
from scripted_cli import invoke as run_cli

from lamp.agent.models import ScriptedBackend


def invoke(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], *args: str,
           stdin: bytes = b"", backend: ScriptedBackend | None = None) -> tuple[int, str, str]:
    return run_cli(monkeypatch, capsys, *args, stdin=stdin,
                   backend=backend or ScriptedBackend().enqueue("scripted answer"))


def test_plain_answer_on_a_pipe(monkeypatch, capsys) -> None:
    code, out, err = invoke(monkeypatch, capsys, "ask", "hello")
    assert (code, out, err) == (0, "scripted answer\n", "")


def test_json_has_answer_model_sampling_counts_timings(monkeypatch, capsys) -> None:
    code, out, _ = invoke(monkeypatch, capsys, "ask", "--json", "--temperature", "0",
                          "--seed", "7", "hello")
    payload = json.loads(out)
    assert code == 0 and payload["answer"] == "scripted answer"
    assert payload["sampling"]["temperature"] == 0.0 and payload["sampling"]["seed"] == 7
    assert payload["usage"]["completion_tokens"] == 2 and payload["usage"]["prompt_tokens"] > 0
    assert {"first_token_s", "total_s", "tokens_per_s"} <= set(payload["timings"])
    assert payload["model"] == {"backend": "scripted"}


def test_stdin_becomes_material(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("ok")
    invoke(monkeypatch, capsys, "ask", "summarize this", stdin=b"notes line", backend=backend)
    user = backend.requests[0][0][-1].content
    assert user.startswith("summarize this") and "notes line" in user


def test_template_from_stdin(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("positive")
    code, out, _ = invoke(monkeypatch, capsys, "ask", "-t", "sentiment", stdin=b"I love it",
                          backend=backend)
    assert code == 0 and out == "positive\n"
    assert "I love it" in backend.requests[0][0][-1].content


def test_system_and_sampling_flags_reach_the_backend(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("ok")
    invoke(monkeypatch, capsys, "ask", "--system", "Be terse.", "--top-k", "3", "--top-p", "0.5",
           "--max-tokens", "9", "--repeat-penalty", "1.3", "q", backend=backend)
    messages, sampling, _ = backend.requests[0]
    assert messages[0].content == "Be terse."
    assert (sampling.top_k, sampling.top_p, sampling.max_tokens, sampling.repeat_penalty) == (
        3, 0.5, 9, 1.3)


def test_non_utf8_stdin_warns_and_goes_on(monkeypatch, capsys) -> None:
    backend = ScriptedBackend().enqueue("ok")
    code, out, err = invoke(monkeypatch, capsys, "ask", "translate", stdin=b"caf\xe9",
                            backend=backend)
    assert code == 0 and out == "ok\n"
    assert err.startswith("lamp: warning: stdin is not valid UTF-8")
    assert "caf\ufffd" in backend.requests[0][0][-1].content


@pytest.mark.parametrize("args, stdin, fragment", [
    (("ask",), b"", "nothing to ask"),
    (("ask", "   "), b"  \n", "nothing to ask"),
    (("ask", "-t", "nope", "x"), b"", "unknown template"),
    (("ask", "-t", "summarize"), b"", "nothing to ask"),
    (("ask", "--temperature", "-1", "x"), b"", "temperature"),
    (("ask", "--max-tokens", "9999", "x"), b"", "smaller than ctx"),
    (("ask", "--no-such-flag", "x"), b"", "No such option"),
])
def test_bad_input_exits_2_with_one_line(monkeypatch, capsys, args, stdin, fragment) -> None:
    code, out, err = invoke(monkeypatch, capsys, *args, stdin=stdin)
    assert code == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("lamp: error:") and fragment in err


def test_input_larger_than_context_exits_2(monkeypatch, capsys) -> None:
    code, _, err = invoke(monkeypatch, capsys, "ask", "summarize", stdin=b"word " * 20000,
                          backend=ScriptedBackend(context=2048))
    assert code == 2 and "--truncate" in err and err.count("\n") == 1


def test_truncate_flag_announces_and_answers(monkeypatch, capsys) -> None:
    code, out, err = invoke(monkeypatch, capsys, "ask", "--truncate", "summarize",
                            stdin=b"word " * 20000, backend=ScriptedBackend(context=2048)
                            .enqueue("short"))
    assert code == 0 and out == "short\n" and "input truncated" in err


def test_model_failure_mid_answer_exits_1(monkeypatch, capsys) -> None:
    from lamp.agent.errors import ModelError

    class Failing(ScriptedBackend):
        def stream_chat(self, messages, sampling, grammar=None):
            yield from ()
            raise ModelError("generation failed: out of memory")

    code, _, err = invoke(monkeypatch, capsys, "ask", "x", backend=Failing())
    assert code == 1 and err == "lamp: error: generation failed: out of memory\n"


def test_keyboard_interrupt_exits_130(monkeypatch, capsys) -> None:
    class Interrupted(ScriptedBackend):
        def stream_chat(self, messages, sampling, grammar=None):
            raise KeyboardInterrupt
            yield

    code, _, err = invoke(monkeypatch, capsys, "ask", "x", backend=Interrupted())
    assert code == 130 and err == "lamp: error: interrupted\n"


def test_help_does_not_import_llama_or_chromadb() -> None:
    import subprocess

    probe = ("import sys; sys.argv=['lamp','--help']\nfrom lamp.cli.main import run\n"
             "try:\n    run()\nexcept SystemExit:\n    pass\n"
             "print('HEAVY', [m for m in ('llama_cpp','chromadb') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True).stdout
    assert "HEAVY []" in out


def test_a_store_path_that_is_a_file_degrades_to_no_memory_or_fails_a_named_session(
        monkeypatch, capsys, lamp_home) -> None:
    # The journal lives in the store directory; a path that cannot hold it is reported
    # like any store that fails to open: a warning for a new session, exit 2 for a named one.
    (lamp_home / "data").mkdir(parents=True, exist_ok=True)
    (lamp_home / "data" / "memory").write_text("not a store")
    code, out, err = invoke(monkeypatch, capsys, "ask", "hello")
    assert (code, out) == (0, "scripted answer\n")
    assert err.startswith("lamp: warning: memory unavailable") and err.count("\n") == 1
    code, out, err = invoke(monkeypatch, capsys, "ask", "--session", "named", "hello")
    assert (code, out) == (2, "") and err.count("\n") == 1 and "not a directory" in err
