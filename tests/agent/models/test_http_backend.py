"""The OpenAI-compatible HTTP backend, against a scripted stdlib server on 127.0.0.1.

Each test scripts the routes it needs (a route is a function of the request
handler), so the bytes on the wire are exactly what a test says: real sockets,
real SSE, real disconnects and stalls. The real `llama_cpp.server` tests are at
the end, marked integration.
"""

from __future__ import annotations

import io
import json
import math
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest

from lamp.agent.config.settings import load_settings
from lamp.agent.errors import BackendUnavailable, MalformedReply, ServerError, UsageError
from lamp.agent.models import Chunk, Message, Sampling, TokenChance, complete_reply
from lamp.agent.models.factory import open_backend
from lamp.agent.models.http_backend import (
    HttpOptions,
    OpenAIBackend,
    estimate_tokens,
    token_chances,
)
from lamp.agent.react.route import lean_toward
from lamp.cli import main as cli_main

MSGS = [Message("system", "Answer in one word."), Message("user", "Capital of France?")]
GREEDY = Sampling(temperature=0, max_tokens=16)
Route = Callable[["_Handler"], None]


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass
class FakeServer:
    """Routes keyed by (method, path); every request is recorded for the test to inspect."""

    routes: dict[tuple[str, str], Route] = field(default_factory=dict)
    seen: list[Seen] = field(default_factory=list)
    release: threading.Event = field(default_factory=threading.Event)  # ends stalls
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def chat_bodies(self) -> list[Any]:
        return [s.body for s in self.seen if s.path == "/v1/chat/completions"]

    def backend(self, **options: Any) -> OpenAIBackend:
        return OpenAIBackend(HttpOptions(base_url=self.url, **options))


class _Handler(BaseHTTPRequestHandler):
    server: Any
    body: Any = None

    def _serve(self) -> None:
        fake: FakeServer = self.server.fake
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        self.body = json.loads(raw) if raw else None  # this request's, for a route to read
        fake.seen.append(Seen(self.command, self.path, dict(self.headers.items()), self.body))
        route = fake.routes.get((self.command, self.path))
        if route is None:
            send_json(self, {"detail": "Not Found"}, status=404)
        else:
            route(self)

    do_GET = do_POST = _serve

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        pass


@pytest.fixture
def fake() -> Iterator[FakeServer]:
    fake = FakeServer()
    fake.routes[("GET", "/v1/models")] = lambda h: send_json(h, {"data": [{"id": "fake-model"}]})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.daemon_threads = True
    server.fake = fake  # type: ignore[attr-defined]
    fake.port = server.server_address[1]
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    fake.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def send_json(h: _Handler, obj: Any, status: int = 200) -> None:
    payload = json.dumps(obj).encode()
    h.send_response(status)
    h.send_header("Content-Type", "application/json")
    h.send_header("Content-Length", str(len(payload)))
    h.end_headers()
    h.wfile.write(payload)


def start_sse(h: _Handler) -> None:
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.end_headers()


def sse(h: _Handler, *events: Any) -> None:
    """Write events (dicts become JSON) to an HTTP/1.0 response and flush each one."""
    for event in events:
        data = event if isinstance(event, str) else json.dumps(event)
        h.wfile.write(f"data: {data}\n\n".encode())
        h.wfile.flush()


def delta(text: str, finish: str | None = None) -> dict[str, Any]:
    return {"choices": [{"index": 0, "delta": {"content": text}, "finish_reason": finish}]}


def reply(*events: Any) -> Route:
    def route(h: _Handler) -> None:
        start_sse(h)
        sse(h, *events)
    return route


def collect(chunks: Iterator[Chunk]) -> tuple[str, Chunk]:
    got = list(chunks)
    return "".join(c.text for c in got), got[-1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# -- streaming, sampling, usage -------------------------------------------
def test_streams_deltas_and_reads_usage(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(
        {"choices": [{"index": 0, "delta": {"role": "assistant"}, "finish_reason": None}]},
        delta("Par"), delta("is"), delta("", "stop"),
        {"choices": [], "usage": {"prompt_tokens": 21, "completion_tokens": 2}}, "[DONE]")
    backend = fake.backend()
    chunks = list(backend.stream_chat(MSGS, Sampling(temperature=0.2, top_k=7, top_p=0.5,
                                                     max_tokens=9, seed=3, repeat_penalty=1.3,
                                                     stop=("\n\n",))))
    assert [c.text for c in chunks] == ["Par", "is", ""]
    assert [c.finish_reason for c in chunks] == [None, None, "stop"]
    assert (chunks[-1].prompt_tokens, chunks[-1].completion_tokens) == (21, 2)
    (body,) = fake.chat_bodies()
    assert body == {
        "model": "fake-model", "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "system", "content": "Answer in one word."},
                     {"role": "user", "content": "Capital of France?"}],
        "temperature": 0.2, "top_p": 0.5, "max_tokens": 9, "top_k": 7, "repeat_penalty": 1.3,
        "seed": 3, "stop": ["\n\n"],
    }


def test_without_usage_counts_chunks_and_the_prompt(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(
        delta("a"), delta(" b"), delta(" c", "length"), "[DONE]")
    backend = fake.backend()
    text, last = collect(backend.stream_chat(MSGS, GREEDY))
    assert text == "a b c" and last.finish_reason == "length"
    assert last.completion_tokens == 3
    assert last.prompt_tokens == backend.count_tokens(MSGS)
    assert "seed" not in fake.chat_bodies()[0] and "grammar" not in fake.chat_bodies()[0]


def test_a_server_that_ignores_stream_still_answers(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = lambda h: send_json(h, {
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "Paris"},
                     "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 5, "completion_tokens": 1}})
    text, last = collect(fake.backend().stream_chat(MSGS, GREEDY))
    assert (text, last.completion_tokens, last.finish_reason) == ("Paris", 1, "stop")


def test_model_flag_wins_over_the_listing(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("ok", "stop"), "[DONE]")
    list(fake.backend(model="other").stream_chat(MSGS, GREEDY))
    assert fake.chat_bodies()[0]["model"] == "other"


# -- capabilities: grammar, tokenizer, context ----------------------------
def _llama_cpp_python_extras(fake: FakeServer) -> None:
    fake.routes[("POST", "/extras/tokenize/count")] = lambda h: send_json(
        h, {"count": len(fake.seen[-1].body["input"].split())})


def test_grammar_is_sent_to_a_server_that_takes_it(fake: FakeServer) -> None:
    _llama_cpp_python_extras(fake)
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("yes", "stop"), "[DONE]")
    backend = fake.backend()
    assert backend.supports_grammar and backend.describe()["server"] == "llama-cpp-python"
    list(backend.stream_chat(MSGS, GREEDY, grammar='root ::= "yes" | "no"'))
    assert fake.chat_bodies()[0]["grammar"] == 'root ::= "yes" | "no"'


def _with_logprobs(text: str, logprob: float, tops: list[Any]) -> dict[str, Any]:
    event = delta(text)
    event["choices"][0]["logprobs"] = {"content": [
        {"token": text, "logprob": logprob, "bytes": None, "top_logprobs": tops}]}
    return event


def test_token_chances_come_from_the_servers_logprobs(fake: FakeServer) -> None:
    _llama_cpp_python_extras(fake)
    fake.routes[("POST", "/v1/chat/completions")] = reply(
        _with_logprobs("tool", math.log(0.6), [
            {"token": "tool", "logprob": math.log(0.6)},
            {"token": "direct", "logprob": math.log(0.3)},
            {"token": "to", "logprob": math.log(0.05)}]),
        delta("", "stop"), "[DONE]")
    backend = fake.backend()
    assert backend.capabilities.token_chances and backend.describe()["token_chances"]
    asked = Sampling(temperature=0, max_tokens=3, token_chances=True, token_rivals=8)
    reply_ = complete_reply(backend, MSGS, asked, grammar='root ::= "tool" | "direct"')
    body = fake.chat_bodies()[0]
    assert body["logprobs"] is True and body["top_logprobs"] == 9
    (head,) = reply_.token_chances
    assert head.text == "tool" and head.chance == pytest.approx(0.6)
    # The chosen token is not its own rival; the rest come likeliest first.
    assert [t for t, _ in head.rivals] == ["direct", "to"]
    assert lean_toward(reply_, "tool", "direct") == pytest.approx(0.6 / 0.9)


def test_logprobs_are_asked_only_when_wanted_and_known(fake: FakeServer) -> None:
    _llama_cpp_python_extras(fake)
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("ok", "stop"), "[DONE]")
    backend = fake.backend()
    list(backend.stream_chat(MSGS, GREEDY))  # not asked for
    chances = Sampling(temperature=0, max_tokens=3, token_chances=True)
    list(fake.backend(token_chances=False).stream_chat(MSGS, chances))  # turned off
    assert all("logprobs" not in body for body in fake.chat_bodies())
    list(backend.stream_chat(MSGS, chances))
    assert fake.chat_bodies()[-1]["top_logprobs"] == 1  # at least one, or none come back


def test_a_plain_server_is_not_asked_for_logprobs(fake: FakeServer) -> None:
    backend = fake.backend()
    assert not backend.capabilities.token_chances
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("ok", "stop"), "[DONE]")
    last = list(backend.stream_chat(MSGS, Sampling(token_chances=True)))[-1]
    assert "logprobs" not in fake.chat_bodies()[0] and last.token_chances == ()


@pytest.mark.parametrize("logprobs", [
    None, 7, {"content": "x"}, {"content": [7, {"token": 3}, {"token": "a"}]},
    {"content": [{"token": "a", "logprob": "high"}]},
    {"content": [{"token": "a", "logprob": float("nan")}]},
    {"content": [{"token": "a", "logprob": True}]},
])
def test_a_hostile_servers_logprobs_are_skipped_not_trusted(logprobs: Any) -> None:
    assert token_chances(logprobs, 8) == []


def test_impossible_chances_are_kept_within_zero_and_one() -> None:
    got = token_chances({"content": [{"token": "a", "logprob": 5.0, "top_logprobs": [
        {"token": "b", "logprob": float("-inf")}, {"token": "c", "logprob": float("inf")},
        "junk", {"token": "d", "logprob": -1e9}]}]}, 8)
    assert got == [TokenChance("a", 1.0, (("b", 0.0), ("d", 0.0)))]


def test_grammar_is_refused_where_the_server_cannot_honour_it(fake: FakeServer) -> None:
    backend = fake.backend()
    assert not backend.supports_grammar
    with pytest.raises(UsageError, match="does not take GBNF grammars"):
        backend.stream_chat(MSGS, GREEDY, grammar='root ::= "yes"')
    assert fake.chat_bodies() == []
    assert fake.backend(grammar=True).supports_grammar  # the override


def test_counts_with_the_server_tokenizer_and_caches(fake: FakeServer) -> None:
    _llama_cpp_python_extras(fake)
    backend = fake.backend()
    msgs = [Message("user", "one two three")]
    assert backend.count_tokens(msgs) == 3 + 8 + 8
    assert backend.count_tokens(msgs) == 19
    counted = [s for s in fake.seen if s.path == "/extras/tokenize/count"]
    assert len(counted) == 2  # the probe, then "one two three" once
    assert backend.describe()["token_counting"].startswith("server /extras/tokenize/count")


def test_llama_cpp_server_props_give_context_and_tokenizer(fake: FakeServer) -> None:
    fake.routes[("GET", "/props")] = lambda h: send_json(
        h, {"default_generation_settings": {"n_ctx": 8192}})
    fake.routes[("POST", "/tokenize")] = lambda h: send_json(
        h, {"tokens": list(range(len(fake.seen[-1].body["content"])))})
    backend = fake.backend(n_ctx=1024)
    assert (backend.context_size, backend.supports_grammar) == (8192, True)
    assert backend.count_text("abcd") == 4
    assert backend.describe()["n_ctx_from"] == "server"


def test_plain_server_context_from_settings_or_vllm_listing(fake: FakeServer) -> None:
    backend = fake.backend(n_ctx=1024)
    assert backend.context_size == 1024
    assert backend.describe()["token_counting"].startswith("estimate")
    assert backend.count_text("hello world, 12345") == estimate_tokens("hello world, 12345")
    fake.routes[("GET", "/v1/models")] = lambda h: send_json(
        h, {"data": [{"id": "m", "max_model_len": 32768}]})
    assert fake.backend(n_ctx=1024).context_size == 32768


def test_estimate_is_high_for_english_digits_and_wide_text() -> None:
    assert estimate_tokens("") == 0
    assert estimate_tokens("The quick brown fox") == 7  # 19 bytes / 3, rounded up
    assert estimate_tokens("2024") == 4
    assert estimate_tokens("日本") == 3  # 6 bytes / 2


# -- authentication -------------------------------------------------------
def test_api_key_from_env_is_sent_as_bearer(fake: FakeServer,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai")
    fake.backend()
    assert fake.seen[-1].headers.get("Authorization") == "Bearer sk-openai"
    monkeypatch.setenv("LAMP_API_KEY", "sk-lamp")
    fake.backend()
    assert fake.seen[-1].headers.get("Authorization") == "Bearer sk-lamp"


def test_missing_key_is_explained(fake: FakeServer, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    fake.routes[("GET", "/v1/models")] = lambda h: send_json(
        h, {"error": {"message": "Invalid API Key", "type": "auth"}}, status=401)
    with pytest.raises(ServerError, match=r"HTTP 401 .*Invalid API Key .*set LAMP_API_KEY") as e:
        fake.backend()
    assert e.value.status == 401
    assert "Authorization" not in fake.seen[-1].headers


# -- failures: each one a clear BackendUnavailable, never a hang -----------
def test_http_500_reports_status_and_server_text_on_one_line(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = lambda h: send_json(
        h, {"error": {"message": "llama_decode failed\n  at slot 0", "code": 500}}, status=500)
    with pytest.raises(ServerError) as e:
        fake.backend().stream_chat(MSGS, GREEDY)
    assert e.value.status == 500
    assert str(e.value) == (f"model server at {fake.url} answered HTTP 500 to POST "
                            "/v1/chat/completions: llama_decode failed at slot 0")


def test_wrong_path_hints_at_v1(fake: FakeServer) -> None:
    with pytest.raises(ServerError, match=r"HTTP 404 .*Not Found .*usually serve under /v1"):
        OpenAIBackend(HttpOptions(base_url=f"http://127.0.0.1:{fake.port}"))


@pytest.mark.parametrize("events", [("not json",), (delta("a"), '{"choices": 7}'),
                                    ({"choices": [{"delta": "text"}]},)])
def test_malformed_stream(fake: FakeServer, events: tuple[Any, ...]) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(*events)
    with pytest.raises(MalformedReply, match="sent a malformed reply to the chat request"):
        list(fake.backend().stream_chat(MSGS, GREEDY))


def test_a_web_page_instead_of_an_event_stream(fake: FakeServer) -> None:
    def page(h: _Handler) -> None:
        h.send_response(200)
        h.send_header("Content-Type", "text/html")
        h.end_headers()
        h.wfile.write(b"<html><body>Sign in to continue</body></html>\n")
    fake.routes[("POST", "/v1/chat/completions")] = page
    with pytest.raises(MalformedReply, match="text/html instead of an event stream"):
        list(fake.backend().stream_chat(MSGS, GREEDY))


def test_malformed_model_listing(fake: FakeServer) -> None:
    fake.routes[("GET", "/v1/models")] = lambda h: send_json(h, ["not", "a", "listing"])
    with pytest.raises(MalformedReply, match="GET /models"):
        fake.backend()


def test_error_event_inside_the_stream(fake: FakeServer) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(
        delta("Pa"), {"error": {"message": "context shift disabled", "code": 400}})
    with pytest.raises(BackendUnavailable, match="failed mid-answer: context shift disabled"):
        list(fake.backend().stream_chat(MSGS, GREEDY))


def test_connection_refused() -> None:
    url = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendUnavailable) as e:
        OpenAIBackend(HttpOptions(base_url=url))
    assert str(e.value) == (f"cannot reach model server at {url}: "
                            "connection refused (is the server running?)")


@pytest.mark.parametrize("url", ["localhost:8080/v1", "ftp://127.0.0.1/v1", "http:///v1",
                                 "http://127.0.0.1:99999/v1", "http://h/v1?x=1"])
def test_bad_base_url_is_a_usage_error(url: str) -> None:
    with pytest.raises(UsageError, match="base URL must look like"):
        OpenAIBackend(HttpOptions(base_url=url))


def test_stall_mid_stream_times_out(fake: FakeServer) -> None:
    def stall(h: _Handler) -> None:
        start_sse(h)
        sse(h, delta("Pa"))
        fake.release.wait(30)
    fake.routes[("POST", "/v1/chat/completions")] = stall
    chunks = fake.backend(timeout=0.5).stream_chat(MSGS, GREEDY)
    started = time.monotonic()
    assert next(chunks).text == "Pa"
    with pytest.raises(BackendUnavailable, match=r"sent nothing for 0.5 s"):
        next(chunks)
    assert time.monotonic() - started < 5


def test_keepalives_alone_do_not_keep_a_stalled_stream_alive(fake: FakeServer) -> None:
    def pings(h: _Handler) -> None:
        start_sse(h)
        while not fake.release.wait(0.1):
            h.wfile.write(b": ping\n\n")
            h.wfile.flush()
    fake.routes[("POST", "/v1/chat/completions")] = pings
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"sent only keep-alives for 0.5 s"):
        list(fake.backend(timeout=0.5).stream_chat(MSGS, GREEDY))
    assert time.monotonic() - started < 5


def _close_plain(h: _Handler) -> None:  # HTTP/1.0: the body simply ends
    start_sse(h)
    sse(h, delta("Pa"))


def _close_chunked(h: _Handler) -> None:  # HTTP/1.1 chunked, cut before the last chunk
    h.protocol_version = "HTTP/1.1"
    h.send_response(200)
    h.send_header("Content-Type", "text/event-stream")
    h.send_header("Transfer-Encoding", "chunked")
    h.end_headers()
    h.close_connection = True
    event = f"data: {json.dumps(delta('Pa'))}\n\n".encode()
    h.wfile.write(b"%x\r\n%s\r\n" % (len(event), event) + b"40\r\ndata: {")
    h.wfile.flush()


@pytest.mark.parametrize("route", [_close_plain, _close_chunked])
def test_server_closing_mid_stream(fake: FakeServer, route: Route) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = route
    chunks = fake.backend().stream_chat(MSGS, GREEDY)
    assert next(chunks).text == "Pa"
    with pytest.raises(BackendUnavailable, match="closed the connection in the middle"):
        list(chunks)


# -- wiring: settings and the CLI -----------------------------------------
def test_unknown_backend_names_the_known_ones(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMP_BACKEND", "ollama")
    with pytest.raises(UsageError, match="backend must be one of llama, openai, got 'ollama'"):
        load_settings()


def test_openai_backend_needs_a_base_url() -> None:
    with pytest.raises(UsageError, match="needs --base-url"):
        open_backend(load_settings({"backend": "openai"}).model_config())


def test_settings_pick_the_http_backend(fake: FakeServer,
                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMP_BACKEND", "openai")
    monkeypatch.setenv("LAMP_BASE_URL", fake.url)
    monkeypatch.setenv("LAMP_REQUEST_TIMEOUT", "7.5")
    backend = open_backend(load_settings({"model": "named"}).model_config())
    assert isinstance(backend, OpenAIBackend)
    assert (backend.model, backend.options.timeout) == ("named", 7.5)


def _run_cli(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
             *args: str) -> tuple[int, str, str]:
    monkeypatch.setattr(sys, "argv", ["lamp", *args])
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))  # a pipe, empty
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run()
    out, err = capsys.readouterr()
    return int(exit_info.value.code or 0), out, err


def test_cli_ask_through_the_fake_server(fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("Paris", "stop"), "[DONE]")
    code, out, err = _run_cli(monkeypatch, capsys, "ask", "--backend", "openai", "--base-url",
                              fake.url, "--json", "--temperature", "0", "capital of France?")
    payload = json.loads(out)
    assert (code, err, payload["answer"]) == (0, "", "Paris")
    assert payload["model"]["backend"] == "openai"
    assert fake.chat_bodies()[0]["temperature"] == 0


def test_cli_usage_errors_exit_2(monkeypatch: pytest.MonkeyPatch,
                                 capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = _run_cli(monkeypatch, capsys, "ask", "--backend", "openai", "hi")
    assert code == 2 and err.startswith("lamp: error: --backend openai needs --base-url")
    code, _, err = _run_cli(monkeypatch, capsys, "ask", "--backend", "nope", "hi")
    assert code == 2 and "backend must be one of llama, openai" in err


# -- --schema: response_format json_schema, else a grammar, else exit 2 ----
def _llama_cpp_props(fake: FakeServer) -> None:
    fake.routes[("GET", "/props")] = lambda h: send_json(
        h, {"default_generation_settings": {"n_ctx": 4096}})
    fake.routes[("POST", "/tokenize")] = lambda h: send_json(h, {"tokens": [1, 2]})


def test_json_schema_goes_as_response_format_where_the_server_takes_it(
        fake: FakeServer) -> None:
    _llama_cpp_props(fake)
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta('{"a": 1}', "stop"), "[DONE]")
    backend = fake.backend()
    assert backend.capabilities.json_schema and backend.describe()["json_schema"] is True
    schema = {"type": "object", "properties": {"a": {"type": "integer"}}}
    list(backend.stream_chat(MSGS, GREEDY, json_schema=schema))
    assert fake.chat_bodies()[0]["response_format"] == {
        "type": "json_schema", "json_schema": {"name": "lamp_output", "schema": schema,
                                               "strict": True}}
    fake.routes[("GET", "/v1/models")] = lambda h: send_json(
        h, {"data": [{"id": "m", "max_model_len": 32768}]})
    del fake.routes[("GET", "/props")]
    assert fake.backend().capabilities.json_schema  # vLLM


def test_json_schema_is_refused_by_a_server_not_known_to_take_it(fake: FakeServer) -> None:
    backend = fake.backend()
    assert not backend.capabilities.json_schema
    with pytest.raises(UsageError, match="not known to take response_format json_schema"):
        backend.stream_chat(MSGS, GREEDY, json_schema={"type": "string"})
    assert fake.chat_bodies() == [] and fake.backend(json_schema=True).capabilities.json_schema


def test_cli_schema_through_servers(fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    args = ("ask", "--no-memory", "--backend", "openai", "--base-url", fake.url,
            "--schema", "name, age int", "Ada is 36.")
    code, out, err = _run_cli(monkeypatch, capsys, *args)  # a plain OpenAI-compatible server
    assert (code, out) == (2, "") and "cannot constrain its output to a schema" in err
    _llama_cpp_python_extras(fake)  # takes a grammar, not json_schema
    fake.routes[("POST", "/v1/chat/completions")] = reply(
        delta('{"name": "Ada", '), delta('"age": 36}', "stop"), "[DONE]")
    code, out, err = _run_cli(monkeypatch, capsys, *args)
    assert (code, err, json.loads(out)) == (0, "", {"name": "Ada", "age": 36})
    body = fake.chat_bodies()[0]
    assert "response_format" not in body and '"\\"age\\""' in body["grammar"]
    assert body["temperature"] == 0


# -- integration: the real `python -m llama_cpp.server` on loopback -------
SERVER_SITE = Path(__file__).with_name("server_site")  # AMX-safe Llama for the stock server

@dataclass
class LlamaServer:
    """llama-cpp-python's server with the default model; restarted if a test stopped it."""

    model: Path
    log: Path
    proc: subprocess.Popen[bytes] | None = None
    port: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def running(self) -> LlamaServer:
        if self.proc is None or self.proc.poll() is not None:
            self._start()
        return self

    def _start(self) -> None:
        self.port = free_port()
        with self.log.open("ab") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "llama_cpp.server", "--model", str(self.model),
                 "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "2048",
                 # One thread: the tests share a small CI machine, and spinning
                 # llama.cpp threads on oversubscribed cores run 10x slower.
                 "--n_threads", "1", "--n_threads_batch", "1", "--verbose", "false"],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                env={**os.environ, "PYTHONPATH": os.pathsep.join(
                    filter(None, [str(SERVER_SITE), os.environ.get("PYTHONPATH")]))})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                pytest.fail(f"llama_cpp.server exited {self.proc.returncode}:\n"
                            f"{self.log.read_text(errors='replace')[-2000:]}")
            try:
                with urllib.request.urlopen(f"{self.url}/models", timeout=2) as answer:
                    if answer.status == 200:
                        return
            except OSError:
                time.sleep(0.2)
        self.stop()
        pytest.fail(f"llama_cpp.server not ready in 120 s:\n{self.log.read_text()[-2000:]}")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


@pytest.fixture(scope="module")
def _llama_server(default_model: Path,
                  tmp_path_factory: pytest.TempPathFactory) -> Iterator[LlamaServer]:
    server = LlamaServer(default_model, tmp_path_factory.mktemp("llama-server") / "server.log")
    yield server
    server.stop()


@pytest.fixture
def llama_server(_llama_server: LlamaServer) -> LlamaServer:
    return _llama_server.running()


QUESTION = [Message("system", "Answer in one word."),
            Message("user", "What is the capital of France?")]


@pytest.mark.integration
def test_real_server_answers_greedily(llama_server: LlamaServer) -> None:
    backend = OpenAIBackend(HttpOptions(llama_server.url, n_ctx=2048))
    assert backend.describe()["server"] == "llama-cpp-python"
    assert backend.model == str(llama_server.model)  # the first id /v1/models lists
    text, last = collect(backend.stream_chat(QUESTION, GREEDY))
    assert "Paris" in text
    assert last.finish_reason == "stop" and last.completion_tokens >= 1
    # This server sends no usage: the prompt is counted with its own tokenizer.
    assert last.prompt_tokens == backend.count_tokens(QUESTION)
    assert 20 < last.prompt_tokens < 60


@pytest.mark.integration
def test_real_server_honours_a_grammar(llama_server: LlamaServer) -> None:
    backend = OpenAIBackend(HttpOptions(llama_server.url))
    assert backend.supports_grammar
    msgs = [Message("user", "Is Paris in France? Explain.")]
    text, _ = collect(backend.stream_chat(msgs, GREEDY, grammar='root ::= "YES" | "NO"'))
    assert text == "YES"


@pytest.mark.integration
def test_real_server_gives_the_router_the_same_leans_as_the_model_in_process(
        llama_server: LlamaServer, default_model: Path) -> None:
    from lamp.agent.models.llama_backend import LlamaCppBackend, LlamaOptions
    from lamp.agent.react.formats import ToolSpec
    from lamp.agent.react.route import needs_tool

    tools = [ToolSpec("calculator", "Exact arithmetic on an expression.", {"type": "object"})]
    questions = ["What is 48213 * 377?", "Who wrote the novel Hamlet?"]
    remote = OpenAIBackend(HttpOptions(llama_server.url))
    over_http = [needs_tool(remote, q, tools, GREEDY, tool_from=0.0) for q in questions]
    local = LlamaCppBackend(LlamaOptions(default_model, n_ctx=2048))
    in_process = [needs_tool(local, q, tools, GREEDY, tool_from=0.0) for q in questions]
    del local
    for http, here in zip(over_http, in_process, strict=True):
        assert len(http.leans) == 2 and len(here.leans) == 2
        # The same weights, read by another build of the same library: the same leans
        # give or take rounding and the threads' summation order.
        assert http.leans == pytest.approx(here.leans, abs=0.05)
    assert over_http[0].leans[0] > 0.9 and over_http[1].leans[0] < 0.5


@pytest.mark.integration
def test_real_server_killed_mid_answer_fails_fast(llama_server: LlamaServer) -> None:
    backend = OpenAIBackend(HttpOptions(llama_server.url, timeout=30))
    count = [Message("user", "Count from 1 to 200, one number per line.")]
    chunks = backend.stream_chat(count, Sampling(temperature=0, max_tokens=400))
    assert next(chunks).text
    assert llama_server.proc is not None
    llama_server.proc.kill()  # by the pid we started
    started = time.monotonic()
    with pytest.raises(BackendUnavailable, match=r"in the middle of the answer|connection lost"):
        list(chunks)
    assert time.monotonic() - started < 10
    llama_server.proc.wait(10)  # reaped, so the next test starts a fresh server


@pytest.mark.integration
def test_real_cli_ask_then_server_stopped(llama_server: LlamaServer, run_lamp) -> None:
    args = ("ask", "--backend", "openai", "--base-url", llama_server.url, "--temperature", "0",
            "--max-tokens", "16", "What is the capital of France? Answer in one word.")
    done = run_lamp(*args, timeout=120)
    assert done.returncode == 0, done.stderr
    assert b"Paris" in done.stdout
    llama_server.stop()
    failed = run_lamp(*args, timeout=60)
    assert failed.returncode == 1
    lines = failed.stderr.decode().splitlines()
    assert len(lines) == 1, lines
    assert lines[0] == (f"lamp: error: cannot reach model server at {llama_server.url}: "
                        "connection refused (is the server running?)")
    assert failed.stdout == b""


@pytest.mark.bwrap
def test_cli_pal_runs_the_served_program_in_the_sandbox_and_votes(
        fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    program = "```python\ndef solution():\n    # 6 boxes of 7\n    return 6 * 7\n```"
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta(program, "stop"), "[DONE]")
    code, out, _err = _run_cli(monkeypatch, capsys, "pal", "--backend", "openai", "--base-url",
                              fake.url, "--json", "--samples", "3", "six boxes of seven?")
    payload = json.loads(out)
    assert (code, payload["value"], payload["failure"]) == (0, "42", None)
    # Two equal values out of three cannot be outvoted: the third is never asked for.
    assert payload["programs"] == 2 and payload["votes"] == {"42": 2}
    assert len(fake.chat_bodies()) == 2 and "L0" in payload["sandbox_layers"]
    first, second = fake.chat_bodies()
    assert first["temperature"] == 0 and second["temperature"] > 0


@pytest.mark.bwrap
@pytest.mark.parametrize("samples, programs", [((), 3), (("--samples", "auto"), 3),
                                               (("--samples", "1"), 1)])
def test_cli_pal_draws_more_programs_only_for_a_doubted_answer(
        fake: FakeServer, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str],
        samples: tuple[str, ...], programs: int) -> None:
    program = "```python\ndef solution():\n    # 10 apples, 4 friends\n    return 10 / 4\n```"
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta(program, "stop"), "[DONE]")
    code, out, _err = _run_cli(monkeypatch, capsys, "pal", "--backend", "openai", "--base-url",
                              fake.url, "--json", *samples,
                              "Ann shares 10 apples among 4 friends. How many apples does "
                              "each friend get?")
    payload = json.loads(out)
    assert (code, payload["value"], payload["programs"]) == (0, "2.5", programs)
    if programs == 1:
        assert payload["doubts"] == [] and "value_before_doubt" not in payload
    else:  # 2.5 apples each: sampled programs vote, and two agreeing end it
        assert payload["doubts"] == ["the value 2.5 is not a whole number, though the "
                                     "question counts things"]
        assert payload["value_before_doubt"] == "2.5" and payload["votes"] == {"2.5": 3}


def test_cli_pal_without_a_program_exits_1_with_one_line(
        fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    fake.routes[("POST", "/v1/chat/completions")] = reply(delta("It is 42.", "stop"), "[DONE]")
    code, out, err = _run_cli(monkeypatch, capsys, "pal", "--backend", "openai", "--base-url",
                              fake.url, "six boxes of seven?")
    assert (code, out) == (1, "")
    assert err.count("\n") == 1 and "no runnable program" in err and "no code" in err


@pytest.mark.parametrize("args, env", [(("--samples", "0"), {}), (("--samples", "many"), {}),
                                       ((), {"LAMP_PAL_SAMPLES": "99"}),
                                       ((), {"LAMP_PAL_SAMPLES": "sometimes"})])
def test_cli_pal_bad_sample_counts_exit_2(monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          args: tuple[str, ...], env: dict[str, str]) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    code, out, err = _run_cli(monkeypatch, capsys, "pal", *args, "six boxes of seven?")
    assert code == 2 and out == "" and "samples" in err


@pytest.mark.integration
def test_real_cli_each_parallel_keeps_input_order(llama_server: LlamaServer, run_lamp) -> None:
    """llama-cpp-python's server cuts a running answer when the next request arrives, so
    lamp sends one at a time there (and says so); every answer arrives, in order."""
    assert not OpenAIBackend(HttpOptions(llama_server.url)).capabilities.concurrent
    countries = b"France\n\nJapan\nItaly\n"
    done = run_lamp("ask", "--backend", "openai", "--base-url", llama_server.url,
                    "--temperature", "0", "--max-tokens", "8", "--each", "--parallel", "3",
                    "--json", "--system", "Answer with one word.",
                    "What is the capital of this country?", stdin=countries, timeout=180)
    assert done.returncode == 0, done.stderr
    assert done.stderr.decode().startswith("lamp: warning: --parallel: this model backend takes "
                                           "one request at a time")
    rows = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert [(r["line"], r["input"]) for r in rows] == [(1, "France"), (3, "Japan"),
                                                       (4, "Italy")]
    assert [city in r["answer"] for r, city in zip(rows, ["Paris", "Tokyo", "Rome"],
                                                    strict=True)] == [True, True, True]


def test_cli_each_parallel_keeps_n_requests_in_flight(
        fake: FakeServer, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    """A server that batches (vLLM, llama.cpp's): N open requests at once, order kept even
    when a later answer is ready first."""
    lock, active, most = threading.Lock(), [0], [0]

    def slow_echo(h: _Handler) -> None:
        text = h.body["messages"][-1]["content"]
        with lock:
            active[0] += 1
            most[0] = max(most[0], active[0])
        time.sleep(0.3 if text.endswith("0") else 0.05)
        with lock:
            active[0] -= 1
        start_sse(h)
        sse(h, delta(text.upper(), "stop"), "[DONE]")

    fake.routes[("POST", "/v1/chat/completions")] = slow_echo
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(
        "\n".join(f"q{i}" for i in range(7)).encode())))
    monkeypatch.setattr(sys, "argv", ["lamp", "ask", "--backend", "openai", "--base-url",
                                      fake.url, "--each", "--parallel", "3"])
    with pytest.raises(SystemExit) as exit_info:
        cli_main.run()
    out, err = capsys.readouterr()
    assert (exit_info.value.code or 0, err) == (0, "")
    assert out.splitlines() == [f"Q{i}" for i in range(7)]
    assert most[0] == 3
