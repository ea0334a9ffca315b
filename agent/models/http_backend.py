"""The HTTP backend: the ``Backend`` protocol over the OpenAI chat completions API.

For users who outgrow one machine. llama.cpp's server, llama-cpp-python's server,
vLLM and Ollama all answer ``POST {base_url}/chat/completions`` with server-sent
events. Only the standard library is used (``http.client``), so this backend
adds no dependency and almost no import time.

The OpenAI API says nothing about tokenizers, context sizes or grammars, so the
server is probed once, at construction, for the extras it may have:

- llama-cpp-python's server: ``/extras/tokenize/count``; GBNF ``grammar`` field.
- llama.cpp's server: ``/props`` (context size per slot), ``/tokenize``; ``grammar``;
  ``response_format`` with a ``json_schema``.
- vLLM: ``max_model_len`` in ``/v1/models``; ``response_format`` with a ``json_schema``.
- anything else: context size from settings, tokens estimated (see
  ``estimate_tokens``), no grammar, no ``json_schema`` (a server that ignored it
  would hand back unconstrained text, so lamp does not send it on a guess).

The two llama.cpp servers also return each token's log probability and its likeliest
alternatives (``logprobs``), which lamp asks for where it reads token chances: the
router's leans and PAL's unsure-arithmetic sign work over HTTP as they do in process.

``describe()`` says which of these is in use, so a surprising budget can be explained.
"""

from __future__ import annotations

import json
import math
import os
import threading
import time
from collections import OrderedDict
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._http import Http, malformed, reading_errors
from ._sse import IdleTimeout, MalformedStream, iter_sse_data
from .backend import Capabilities, Chunk, Message, Sampling, TokenChance
from .errors import BackendUnavailable, ServerError, UsageError

if TYPE_CHECKING:
    from http.client import HTTPConnection, HTTPResponse

__all__ = ["API_KEY_VARS", "HttpOptions", "OpenAIBackend", "ServerInfo", "api_key_from_env",
           "estimate_tokens", "token_chances"]

API_KEY_VARS = ("LAMP_API_KEY", "OPENAI_API_KEY")
# Chat templates wrap each message in a few special tokens (ChatML's
# "<|im_start|>role\n ... <|im_end|>\n" is 5, Llama 3's header is 5 with BOS) and
# open the reply with a few more; counting a little over keeps the budget safe.
PER_MESSAGE_TOKENS = 8
REPLY_PRIMER_TOKENS = 8
_COUNT_CACHE = 512  # texts whose token count we remember (history is re-counted every turn)
_GRAMMAR_SERVERS = frozenset({"llama-cpp-python", "llama.cpp"})
# Servers whose chat completions return OpenAI-style ``logprobs`` with ``top_logprobs``
# (llama-cpp-python's from the same logits row lamp reads in process). The OpenAI API
# allows at most 20 alternatives per token.
_LOGPROB_SERVERS = _GRAMMAR_SERVERS
_MOST_ALTERNATIVES = 20


@dataclass(frozen=True)
class HttpOptions:
    base_url: str  # e.g. http://127.0.0.1:8080/v1
    model: str = ""  # "": the first model the server lists
    n_ctx: int = 4096  # used only when the server does not report its context size
    timeout: float = 120.0  # longest silence (between bytes, and between events) we wait out
    connect_timeout: float = 10.0
    api_key: str | None = None  # None: from LAMP_API_KEY, then OPENAI_API_KEY
    grammar: bool | None = None  # None: trust the probe; True/False overrides it
    json_schema: bool | None = None  # the same for response_format's json_schema
    token_chances: bool | None = None  # the same for logprobs (the router's leans, PAL's doubt)


@dataclass(frozen=True)
class ServerInfo:
    """What the probe learned about the server beyond the OpenAI API."""

    kind: str  # "llama-cpp-python" | "llama.cpp" | "openai-compatible"
    models: tuple[str, ...]
    n_ctx: int | None = None
    tokenize_path: str | None = None  # relative to the server root (base URL minus /v1)
    json_schema: bool = False  # honours response_format {"type": "json_schema", ...}


def api_key_from_env(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return next((env[name] for name in API_KEY_VARS if env.get(name)), None)


def estimate_tokens(text: str) -> int:
    """A deliberately high guess for servers without a tokenizer endpoint.

    BPE tokenizers average about 4 bytes of English per token; we assume 3. Digits
    count one each (Qwen and Llama 3 split numbers into single digits or triples) and
    text outside ASCII one per 2 bytes (a CJK character is often a token of its own).
    """
    digits = sum(c.isdigit() for c in text if c.isascii())
    other_ascii = sum(1 for c in text if c.isascii()) - digits
    wide = len(text.encode("utf-8")) - digits - other_ascii
    return digits + -(-other_ascii // 3) + -(-wide // 2)


class OpenAIBackend:
    """A model behind an OpenAI-compatible server; construction probes the server."""

    name = "openai"

    def __init__(self, options: HttpOptions) -> None:
        started = time.perf_counter()
        self.options = options
        key = options.api_key if options.api_key is not None else api_key_from_env()
        self._http = Http(options.base_url, timeout=options.timeout,
                          connect_timeout=options.connect_timeout, api_key=key)
        self.base_url = self._http.url
        listed = self._list_models()
        self.model = options.model or next(iter(listed), "")
        if not self.model:
            raise BackendUnavailable(
                f"model server at {self.base_url} lists no models; name one with --model")
        self.server = self._probe(tuple(listed), listed.get(self.model))
        # No template_tools: the server would parse tool calls itself; we list tools in
        # text. No special tokens or prefix warm-up: the server owns its vocabulary and cache.
        self.capabilities = Capabilities(
            grammar=self.server.kind in _GRAMMAR_SERVERS if options.grammar is None
            else options.grammar,
            json_schema=self.server.json_schema if options.json_schema is None
            else options.json_schema,
            # One connection per request, and the count cache has a lock. llama-cpp-python's
            # server holds one context and by default cuts a running answer short when the
            # next request arrives (measured: 2 of 3 parallel answers came back empty).
            concurrent=self.server.kind != "llama-cpp-python",
            token_chances=self.server.kind in _LOGPROB_SERVERS if options.token_chances is None
            else options.token_chances)
        self._counts: OrderedDict[str, int] = OrderedDict()
        self._counts_lock = threading.Lock()
        self.load_seconds = time.perf_counter() - started

    # -- probing ----------------------------------------------------------
    def _list_models(self) -> dict[str, int | None]:
        """Model ids in the server's order, each with its context length if the server
        says (vLLM's ``max_model_len``)."""
        try:
            listing = self._http.get_json("GET", self._http.api_path("/models"))
        except ServerError as exc:
            if exc.status == 404 and self.options.model:  # a server without /models
                return {}
            raise
        entries = listing.get("data") if isinstance(listing, dict) else None
        if not isinstance(entries, list) or not all(isinstance(e, dict) for e in entries):
            raise malformed(self.base_url, "GET /models", json.dumps(listing))
        return {str(e["id"]): (e["max_model_len"] if isinstance(e.get("max_model_len"), int)
                               else None) for e in entries if "id" in e}

    def _probe(self, models: tuple[str, ...], max_model_len: int | None) -> ServerInfo:
        counted = self._http.try_json("POST", self._http.root_path("/extras/tokenize/count"),
                                      {"input": "lamp", "model": self.model})
        if isinstance(counted, dict) and isinstance(counted.get("count"), int):
            return ServerInfo("llama-cpp-python", models, max_model_len, "/extras/tokenize/count")
        props = self._http.try_json("GET", self._http.root_path("/props"))
        settings = props.get("default_generation_settings") if isinstance(props, dict) else None
        if isinstance(settings, dict):
            n_ctx = settings.get("n_ctx")
            per_slot = n_ctx if isinstance(n_ctx, int) and n_ctx > 0 else max_model_len
            return ServerInfo("llama.cpp", models, per_slot, "/tokenize", json_schema=True)
        # Only vLLM lists max_model_len; it has taken json_schema since its first
        # OpenAI server.
        return ServerInfo("openai-compatible", models, max_model_len,
                          json_schema=max_model_len is not None)

    # -- Backend protocol -------------------------------------------------
    @property
    def supports_grammar(self) -> bool:
        """What the probe concluded about GBNF grammars (or what ``options.grammar`` says)."""
        return self.capabilities.grammar

    @property
    def context_size(self) -> int:
        return self.server.n_ctx or self.options.n_ctx

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        """Per-message counts plus template overhead: the server cannot render our template.

        ``tools`` is ignored (no ``template_tools`` capability): callers list tools in the
        prompt.
        """
        body = sum(self.count_text(m.content) + PER_MESSAGE_TOKENS for m in messages)
        return body + REPLY_PRIMER_TOKENS

    def count_text(self, text: str) -> int:
        with self._counts_lock:
            if text in self._counts:
                self._counts.move_to_end(text)
                return self._counts[text]
        count = self._server_count(text) if self.server.tokenize_path else estimate_tokens(text)
        with self._counts_lock:
            self._counts[text] = count
            if len(self._counts) > _COUNT_CACHE:
                self._counts.popitem(last=False)
        return count

    def _server_count(self, text: str) -> int:
        path = self._http.root_path(self.server.tokenize_path or "")
        if self.server.kind == "llama-cpp-python":
            reply = self._http.get_json("POST", path, {"input": text, "model": self.model})
            count = reply.get("count") if isinstance(reply, dict) else None
        else:
            reply = self._http.get_json("POST", path, {"content": text})
            tokens = reply.get("tokens") if isinstance(reply, dict) else None
            count = len(tokens) if isinstance(tokens, list) else None
        if not isinstance(count, int):
            raise malformed(self.base_url, f"POST {path}", json.dumps(reply)[:80])
        return count

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[Chunk]:
        if grammar is not None and not self.supports_grammar:
            raise UsageError(
                f"the {self.server.kind} server at {self.base_url} does not take GBNF grammars; "
                "use llama.cpp's or llama-cpp-python's server, or the in-process backend")
        if json_schema is not None and not self.capabilities.json_schema:
            raise UsageError(
                f"the {self.server.kind} server at {self.base_url} is not known to take "
                "response_format json_schema; use llama.cpp's server or vLLM")
        body = self.request_body(messages, sampling, grammar, json_schema)
        conn, resp = self._http.send("POST", self._http.api_path("/chat/completions"), body,
                                     stream=True)
        return self._read_stream(conn, resp, messages,
                                 sampling.token_rivals if "logprobs" in body else None)

    def request_body(self, messages: Sequence[Message], sampling: Sampling,
                     grammar: str | None = None, json_schema: dict | None = None
                     ) -> dict[str, Any]:
        """The JSON we POST; top_k, repeat_penalty and grammar are llama.cpp extensions."""
        body: dict[str, Any] = {
            "model": self.model,
            "messages": [{"role": m.role, "content": m.content} for m in messages],
            "stream": True,
            "stream_options": {"include_usage": True},
            "temperature": sampling.temperature,
            "top_p": sampling.top_p,
            "max_tokens": sampling.max_tokens,
            "top_k": sampling.top_k,
            "repeat_penalty": sampling.repeat_penalty,
        }
        if sampling.seed is not None and sampling.seed >= 0:
            body["seed"] = sampling.seed
        if sampling.stop:
            body["stop"] = list(sampling.stop)
        if grammar is not None:
            body["grammar"] = grammar
        if json_schema is not None:
            body["response_format"] = {"type": "json_schema", "json_schema": {
                "name": "lamp_output", "schema": json_schema, "strict": True}}
        if sampling.token_chances and self.capabilities.token_chances:
            # The chosen token may be among the alternatives: ask for one more. At least
            # one, or llama-cpp-python's server sends no logprobs at all.
            body["logprobs"] = True
            body["top_logprobs"] = min(sampling.token_rivals + 1, _MOST_ALTERNATIVES)
        return body

    def _read_stream(self, conn: HTTPConnection, resp: HTTPResponse,
                     messages: Sequence[Message], rivals: int | None = None
                     ) -> Iterator[Chunk]:
        """The reply's chunks; with ``rivals`` (logprobs were asked for) the last one
        carries each token's chance and that many alternatives."""
        url = self.base_url
        where = f"model server at {url}"
        content_type = resp.getheader("Content-Type") or "no content type"
        usage: dict[str, Any] = {}
        finish: str | None = None
        pieces = events_seen = 0
        chances: list[TokenChance] = []
        try:
            if "json" in content_type:  # the server ignored "stream": one whole reply
                events: Iterator[str] = iter([self._read_whole(resp)])
            else:
                events = iter_sse_data(resp.readline, self.options.timeout)
            with reading_errors(where, self.options.timeout):
                for data in events:
                    if data.strip() == "[DONE]":
                        break
                    event = _parse_event(data, url)
                    events_seen += 1
                    if isinstance(event.get("usage"), dict):
                        usage = event["usage"]
                    for text, reason, logprobs in _choices(event, url):
                        if text:
                            pieces += 1
                            yield Chunk(text=text)
                        finish = reason or finish
                        if rivals is not None:
                            chances += token_chances(logprobs, rivals)
                else:
                    if not events_seen and "event-stream" not in content_type:
                        raise malformed(url, "the chat request",
                                        f"{content_type} instead of an event stream")
                    if finish is None:  # EOF without [DONE] or a finish reason
                        raise BackendUnavailable(
                            f"{where} closed the connection in the middle of the answer")
        except IdleTimeout:
            raise BackendUnavailable(
                f"{where} sent only keep-alives for {self.options.timeout:g} s; "
                "giving up (raise request_timeout for slow models)") from None
        except MalformedStream as exc:
            raise malformed(url, "the chat request", str(exc)) from exc
        finally:
            conn.close()
        prompt = usage.get("prompt_tokens")
        completion = usage.get("completion_tokens")
        yield Chunk(
            text="",
            # Servers that ignore include_usage (llama-cpp-python's) stream one token
            # per chunk, so counting chunks is a close stand-in.
            prompt_tokens=prompt if isinstance(prompt, int) else self.count_tokens(messages),
            completion_tokens=completion if isinstance(completion, int) else pieces,
            finish_reason=finish or "stop",
            token_chances=tuple(chances),
        )

    def _read_whole(self, resp: HTTPResponse) -> str:
        with reading_errors(f"model server at {self.base_url}", self.options.timeout):
            raw = resp.read()
        event = _parse_event(raw.decode("utf-8", "replace"), self.base_url)
        for choice in event.get("choices") or []:  # reshape a full reply as one delta
            if isinstance(choice, dict) and isinstance(choice.get("message"), dict):
                choice["delta"] = choice.pop("message")
        return json.dumps(event)

    def special_token_rule(self, text: str) -> str | None:
        return None  # the server's vocabulary is out of reach

    def warm_prefix(self, messages: Sequence[Message], tools: list[dict] | None = None, *,
                    user_prefix: str | None = None) -> str:
        return "off"  # the server keeps its own cache

    def describe(self) -> dict[str, object]:
        if self.server.tokenize_path:
            counting = f"server {self.server.tokenize_path} + template estimate"
        else:
            counting = "estimate (~3 bytes per token; the server has no tokenizer endpoint)"
        return {
            "backend": self.name,
            "base_url": self.base_url,
            "model": self.model,
            "server": self.server.kind,
            "n_ctx": self.context_size,
            "n_ctx_from": "server" if self.server.n_ctx else "setting ctx",
            "token_counting": counting,
            "grammar": self.supports_grammar,
            "json_schema": self.capabilities.json_schema,
            "token_chances": self.capabilities.token_chances,
        }


def _parse_event(data: str, url: str) -> dict[str, Any]:
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        raise malformed(url, "the chat request", data)
    error = event.get("error")
    if error:  # llama.cpp and vLLM report failures inside the stream
        message = error.get("message", error) if isinstance(error, dict) else error
        raise BackendUnavailable(
            f"model server at {url} failed mid-answer: {' '.join(str(message).split())[:300]}")
    return event


def _choices(event: dict[str, Any], url: str) -> Iterator[tuple[str, str | None, Any]]:
    """(text, finish_reason, logprobs) of the first choice; a usage-only event has no
    choices."""
    choices = event.get("choices") or []
    if not isinstance(choices, list):
        raise malformed(url, "the chat request", json.dumps(event))
    for choice in choices[:1]:
        delta = choice.get("delta") if isinstance(choice, dict) else None
        text = (delta.get("content") or "") if isinstance(delta, dict) else None
        reason = choice.get("finish_reason") if isinstance(choice, dict) else None
        if not isinstance(text, str) or not (reason is None or isinstance(reason, str)):
            raise malformed(url, "the chat request", json.dumps(choice))
        yield text, reason, choice.get("logprobs")


def _chance(logprob: Any) -> float | None:
    """A log probability as a chance; None for anything that is not one."""
    if isinstance(logprob, bool) or not isinstance(logprob, int | float):
        return None
    if not math.isfinite(logprob) and logprob != -math.inf:
        return None
    return min(1.0, math.exp(min(float(logprob), 0.0)))


def token_chances(logprobs: Any, rivals: int) -> list[TokenChance]:
    """The tokens of one event's OpenAI ``logprobs`` as ``TokenChance``s, with up to
    ``rivals`` alternatives each, likeliest first and the chosen token left out. What a
    server sends is not trusted: entries that are not a token with a log probability
    are skipped, and chances are kept within 0 to 1."""
    content = logprobs.get("content") if isinstance(logprobs, dict) else None
    out: list[TokenChance] = []
    for entry in content if isinstance(content, list) else []:
        if not isinstance(entry, dict) or not isinstance(entry.get("token"), str):
            continue
        chance = _chance(entry.get("logprob"))
        if chance is None:
            continue
        others: list[tuple[str, float]] = []
        tops = entry.get("top_logprobs")
        for top in tops if isinstance(tops, list) else []:
            if not isinstance(top, dict) or not isinstance(top.get("token"), str):
                continue
            weight = _chance(top.get("logprob"))
            if weight is not None and top["token"] != entry["token"]:
                others.append((top["token"], weight))
        others.sort(key=lambda pair: -pair[1])
        out.append(TokenChance(entry["token"], chance, tuple(others[:rivals])))
    return out
