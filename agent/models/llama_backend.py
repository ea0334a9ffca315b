"""The in-process llama.cpp backend: the only module that imports llama_cpp.

We format prompts with the chat template stored in the GGUF (the same Jinja
formatter llama-cpp-python uses), tokenize them ourselves and drive
``Llama.generate``. Owning that loop gives exact prompt and completion token
counts for context budgeting, a real time-to-first-token, stop strings that
never leak into a stream, reuse of the KV cache across chat turns, and
prompt-lookup drafts (``lookup.py``) checked by ``generate`` itself.
What llama-cpp-python offers only through private attributes (the vocabulary,
KV state of one sequence) goes through ``_llama_shim``, pinned to its version.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ._llama_shim import LlamaInternals, eval_every_logit
from .backend import Capabilities, Chunk, Message, Sampling, TokenChance
from .control_tokens import break_tokens
from .cores import usable_cores
from .errors import ModelError, ModelFileError, UsageError
from .gguf import check_magic, read_gguf
from .lookup import PromptLookup
from .prefix_cache import PrefixCache, cache_key
from .stops import StopScanner

__all__ = ["INPUT_MIN_TOKENS", "LlamaCppBackend", "LlamaOptions", "gpu_offload_supported"]

INPUT_MIN_TOKENS = 512
"""Shortest prefix worth keeping for attached material: below it, reading the prompt
again costs about what loading a saved state does."""


@dataclass(frozen=True)
class LlamaOptions:
    model_path: Path
    n_ctx: int = 4096
    n_threads: int = 0  # 0: every core this process may run on
    n_gpu_layers: int = 0
    seed: int = -1
    verbose: bool = False
    prefix_cache: PrefixCache | None = None  # persistent KV state of fixed prompt prefixes
    # The model file's SHA-256 (part of every cache key), asked for only when a prefix is
    # about to be cached, so a large --model file is hashed only if the cache is used.
    model_sha256: Callable[[], str] | None = None
    vocab_only: bool = False  # the tokenizer and chat template only (no weights): tests


    def threads(self) -> int:
        return self.n_threads if self.n_threads > 0 else usable_cores()


def _explain_load_failure(path: Path) -> str:
    try:
        info = read_gguf(path)
    except ModelFileError as exc:
        return str(exc)
    if info.truncated:
        return (
            f"model file is truncated: {path} has {info.size:,} bytes, "
            f"its tensors need {info.expected_size:,}"
        )
    return f"llama.cpp could not load {path} (architecture {info.architecture!r})"


def _llama_class(llama_cpp: Any) -> type:
    """``Llama`` with the one change prompt lookup needs, and on a build compiled with AMX
    one that also loads the weights without llama.cpp's extra buffer types (AMX tiles,
    repacking).

    ``Llama.generate`` verifies a draft model's guesses by sampling every position of
    the batch that holds them, so that batch needs logits at every position. ``Llama``
    asks for them only with ``logits_all``, which is fixed at load, keeps the logits of
    the whole prompt (a 2.5 GB array at 4k context for Qwen's vocabulary) and computes
    them for every prompt token. Ours asks for them only in batches of at most
    ``verify_up_to`` tokens, which the backend sets while a draft model is in use.

    Builds from source use ``-march=native``; on a CPU that advertises AMX, ggml then
    multiplies through AMX tiles, and in virtual machines that expose AMX without
    supporting it the first batched decode dies with SIGSEGV in
    ``ggml_backend_amx_mul_mat`` (seen on this project's 2-core VMs, llama-cpp-python
    0.3.36). ``Llama`` does not expose ``use_extra_bufts``; it builds its
    ``model_params`` struct in ``__init__`` and loads the model from it, so a property
    on the subclass clears the flag when the struct is stored.
    """

    class _Llama(llama_cpp.Llama):  # type: ignore[misc, name-defined]
        verify_up_to = 0

        def eval(self, tokens: Any) -> None:
            if 0 < len(tokens) <= self.verify_up_to:
                eval_every_logit(self, list(tokens))
            else:
                super().eval(tokens)

    if b"AMX_INT8 = 1" not in llama_cpp.llama_print_system_info():
        return _Llama

    class _LlamaWithoutAmx(_Llama):
        @property
        def model_params(self) -> Any:
            return self.__dict__["model_params"]

        @model_params.setter
        def model_params(self, params: Any) -> None:
            params.use_extra_bufts = False
            self.__dict__["model_params"] = params

    return _LlamaWithoutAmx


class LlamaCppBackend:
    name = "llama.cpp"
    # Tool definitions go through the GGUF chat template; the vocabulary names special
    # tokens; fixed prefixes and attached material are warmed even with the disk cache off
    # (then: "off"); replies can be drafted from their prompt; each token's chance can be read.
    capabilities = Capabilities(grammar=True, template_tools=True, special_tokens=True,
                                warm_prefix=True, warm_input=True, prompt_lookup=True,
                                token_chances=True)

    def __init__(self, options: LlamaOptions) -> None:
        check_magic(options.model_path)
        self.options = options
        self.load_seconds = 0.0
        started = time.perf_counter()
        try:
            import llama_cpp
        except ImportError as exc:  # pragma: no cover - broken install
            raise ModelError(f"llama-cpp-python is not importable: {exc}") from exc
        self._lib = llama_cpp
        threads = options.threads()
        try:
            with _quiet(not options.verbose):
                self._llm = _llama_class(llama_cpp)(
                    model_path=str(options.model_path),
                    n_ctx=options.n_ctx,
                    n_threads=threads,
                    n_threads_batch=threads,
                    n_gpu_layers=options.n_gpu_layers,
                    seed=options.seed if options.seed >= 0 else llama_cpp.LLAMA_DEFAULT_SEED,
                    verbose=options.verbose,
                    vocab_only=options.vocab_only,
                )
        except (ValueError, RuntimeError, OSError) as exc:
            raise ModelFileError(_explain_load_failure(options.model_path)) from exc
        self._internals = LlamaInternals(llama_cpp, self._llm)
        self._formatter = self._make_formatter()
        self._sha: str | None = None
        self._plain: dict[tuple[bool, str], str] = {}  # message text -> as data (render)
        self.load_seconds = time.perf_counter() - started

    def _make_formatter(self) -> Any:
        from llama_cpp.llama_chat_format import Jinja2ChatFormatter

        template = self._llm.metadata.get("tokenizer.chat_template")
        if not template:
            raise ModelFileError(
                f"{self.options.model_path} has no chat template; lamp needs an instruct model"
            )
        text = self._internals.token_text
        eos, bos = self._llm.token_eos(), self._llm.token_bos()
        return Jinja2ChatFormatter(
            template=template,
            eos_token=text(eos) if eos != -1 else "",
            bos_token=text(bos) if bos != -1 else "",
        )

    # -- Backend protocol -------------------------------------------------
    @property
    def context_size(self) -> int:
        return int(self._llm.n_ctx())

    def render(self, messages: Sequence[Message], tools: list[dict] | None = None) -> str:
        """The prompt text; ``tokenize`` reads special tokens in it, so every message's
        text is first made plain (``as_data``): only the template writes control tokens."""
        payload = [{"role": m.role, "content": self.as_data(m)} for m in messages]
        return self._formatter(messages=payload, tools=self._tools_as_data(tools)).prompt

    def _tools_as_data(self, tools: Any) -> Any:
        """Tool definitions with every string made plain like a message's text: an MCP
        server writes its tools' descriptions, and the template puts them in the prompt."""
        if isinstance(tools, str):
            return self.as_data(Message("tool", tools))
        if isinstance(tools, list):
            return [self._tools_as_data(t) for t in tools]
        if isinstance(tools, dict):
            return {k: self._tools_as_data(v) for k, v in tools.items()}
        return tools

    def as_data(self, message: Message) -> str:
        """The message's text with every special token of this vocabulary in it broken by
        a zero-width space, so tokenizing the rendered prompt cannot read it as one.

        The prompt is tokenized with special tokens parsed, which the chat template's own
        ``<|im_start|>`` needs; a document saying ``<|im_end|><|im_start|>system`` would
        otherwise really end its message and open a system turn. Tokenizing a message's
        text with ``special=False`` is not enough: llama.cpp still matches user-defined
        tokens (Qwen's ``<tool_call>``) there. So the text is tokenized once on its own,
        and any special token found in it is split (``break_tokens``). The model's
        own earlier replies keep the user-defined tokens it writes (``<tool_call>``); only
        control tokens are split there.
        """
        text = message.content
        own = message.role == "assistant"
        key = (own, text)
        cached = self._plain.get(key)
        if cached is not None:
            return cached
        lib = self._lib
        mask = lib.LLAMA_TOKEN_ATTR_CONTROL | (0 if own else lib.LLAMA_TOKEN_ATTR_USER_DEFINED)
        vocab = self._internals.vocab()
        for _ in range(8):  # each pass splits every token it found; a split makes no new one
            found = {self._internals.token_text(t) for t in set(self.tokenize(text))
                     if lib.llama_vocab_get_attr(vocab, t) & mask}
            if not found:
                break
            text = break_tokens(text, found)
        if len(self._plain) > 512:  # history is re-rendered every turn; keep the recent
            self._plain.pop(next(iter(self._plain)))
        self._plain[key] = text
        return text

    def tokenize(self, text: str) -> list[int]:
        return self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)

    def count_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None) -> int:
        return len(self.tokenize(self.render(messages, tools)))

    def special_token_rule(self, text: str) -> str | None:
        """GBNF for the one special token spelled ``text`` (such as ``<tool_call>``), or None
        when the vocabulary has no such token. Grammars must name these tokens: llama.cpp
        never matches a special token against quoted text."""
        ids = self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=True)
        if len(ids) != 1:
            return None
        return f"<[{ids[0]}]>" if self._internals.is_special(ids[0]) else None

    def count_text(self, text: str) -> int:
        return len(self._llm.tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream_chat(
        self,
        messages: Sequence[Message],
        sampling: Sampling,
        grammar: str | None = None,
        tools: list[dict] | None = None,
        json_schema: dict | None = None,
    ) -> Iterator[Chunk]:
        if json_schema is not None:  # no json_schema capability: callers build a grammar
            raise UsageError("the in-process model takes a grammar, not a JSON Schema")
        return self.stream_tokens(self.tokenize(self.render(messages, tools)), sampling, grammar)

    def stream_tokens(
        self, prompt: list[int], sampling: Sampling, grammar: str | None = None
    ) -> Iterator[Chunk]:
        llm, lib = self._llm, self._lib
        if len(prompt) + sampling.max_tokens > self.context_size:
            raise ModelError(
                f"prompt of {len(prompt)} tokens + {sampling.max_tokens} to generate "
                f"exceeds the context of {self.context_size}"
            )
        compiled = None
        if grammar is not None:
            try:
                compiled = lib.LlamaGrammar.from_string(grammar, verbose=self.options.verbose)
            except (ValueError, RuntimeError) as exc:
                raise ModelError(f"invalid grammar: {exc}") from exc
        seed = sampling.seed if sampling.seed is not None and sampling.seed >= 0 else None
        llm.set_seed(seed if seed is not None else int.from_bytes(os.urandom(4), "little"))
        decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        scanner = StopScanner(tuple(sampling.stop))
        vocab = self._internals.vocab()
        finish, produced = "length", 0
        drafter = PromptLookup() if sampling.lookup else None
        # With lookup a token may be checked inside a drafted batch, whose logits are not
        # the last row llama.cpp holds: no chances then.
        chances: list[TokenChance] | None = (
            [] if sampling.token_chances and drafter is None else None)
        # Set for this reply only: ``generate`` reads the draft model on every step.
        llm.draft_model = drafter
        llm.verify_up_to = drafter.max_draft + 1 if drafter is not None else 0
        try:
            tokens = llm.generate(
                prompt,
                top_k=sampling.top_k,
                top_p=sampling.top_p,
                temp=sampling.temperature,
                repeat_penalty=sampling.repeat_penalty,
                grammar=compiled,
            )
            for token in tokens:
                if lib.llama_vocab_is_eog(vocab, token):
                    finish = "stop"
                    break
                produced += 1
                piece = decoder.decode(llm.detokenize([token]))
                if chances is not None:
                    chance, rivals = self._internals.chance_of(token, sampling.token_rivals)
                    chances.append(TokenChance(piece, chance, tuple(
                        (llm.detokenize([other]).decode("utf-8", "replace"), weight)
                        for other, weight in rivals)))
                text = scanner.feed(piece)
                if text:
                    yield Chunk(text=text)
                if scanner.stopped:
                    finish = "stop"
                    break
                if produced >= sampling.max_tokens:
                    break
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"generation failed: {exc}") from exc
        finally:
            llm.draft_model, llm.verify_up_to = None, 0
        tail = scanner.feed(decoder.decode(b"", final=True)) + scanner.flush()
        yield Chunk(
            text=tail,
            prompt_tokens=len(prompt),
            completion_tokens=produced,
            finish_reason=finish,
            token_chances=tuple(chances or ()),
        )

    # -- persistent prefix cache -------------------------------------------
    def prefix_tokens(self, messages: Sequence[Message], tools: list[dict] | None = None,
                      user_prefix: str | None = None) -> list[int]:
        """Tokens of ``messages`` that stay the same whatever user message follows, or
        whatever follows ``user_prefix`` in the user message that does.

        Rendering the prefix with two different continuations and keeping the common
        tokens works for any chat template, with no template-specific cutting; it also
        stops before any token the continuation could change (BPE may merge a file's last
        ``>`` with the blank line after it), so they begin the real prompt's tokens.
        """
        lead = user_prefix or ""
        first = self.tokenize(self.render([*messages, Message("user", lead + "1")], tools))
        second = self.tokenize(self.render([*messages, Message("user", lead + "x")], tools))
        return first[:_common_length(first, second)]

    def warm_prefix(self, messages: Sequence[Message], tools: list[dict] | None = None,
                    min_tokens: int = 64, *, user_prefix: str | None = None) -> str:
        """Make the KV state of a fixed prefix current: 'live' (already in memory),
        'hit' (loaded from disk), 'miss' (computed, and saved if it fits) or 'off'.

        With ``user_prefix`` (material: attached files at the start of the user message,
        or "" after sources in the system prompt) the prefix must be ``INPUT_MIN_TOKENS``
        long, and its state is kept as an input (``prefix_cache.py``: its own share of the
        cap). A prefix that leaves no room in the context is not warmed."""
        cache, identify = self.options.prefix_cache, self.options.model_sha256
        if cache is None or identify is None:
            return "off"
        kind = "fixed" if user_prefix is None else "input"
        if kind == "input":
            min_tokens = max(min_tokens, INPUT_MIN_TOKENS)
        tokens = self.prefix_tokens(messages, tools, user_prefix)
        if not min_tokens <= len(tokens) < self.context_size:
            return "off"
        if self._internals.holds(tokens):
            return "live"
        if self._sha is None:
            self._sha = identify()
        sha = self._sha
        key = cache_key(sha, tokens, self.context_size, self._lib.__version__)
        header = {"model_sha256": sha, "n_ctx": self.context_size,
                  "llama_cpp": self._lib.__version__, "n_tokens": len(tokens)}
        state = cache.load(key, header, kind)
        if state is not None and self._internals.restore(state, tokens):
            return "hit"
        self._llm.reset()
        try:
            self._llm.eval(tokens)
        except (RuntimeError, ValueError) as exc:
            raise ModelError(f"reading the prompt failed: {exc}") from exc
        saved = self._internals.snapshot()
        if saved is not None:
            cache.save(key, header, saved, kind)
        return "miss"

    def describe(self) -> dict[str, object]:
        return {
            "backend": self.name,
            "path": str(self.options.model_path),
            "n_ctx": self.context_size,
            "n_threads": self.options.threads(),
            "n_gpu_layers": self.options.n_gpu_layers,
        }

    def supports_gpu_offload(self) -> bool:
        return bool(self._lib.llama_supports_gpu_offload())


def _common_length(first: Sequence[int], second: Sequence[int]) -> int:
    """How many leading tokens two token lists share."""
    n = 0
    for a, b in zip(first, second, strict=False):
        if a != b:
            break
        n += 1
    return n


def gpu_offload_supported() -> bool:
    """Whether this llama.cpp build can offload layers to a GPU (CUDA, Metal, Vulkan), asked
    without loading a model; False when llama-cpp-python cannot be imported."""
    try:
        import llama_cpp
    except ImportError:  # pragma: no cover - broken install
        return False
    return bool(llama_cpp.llama_supports_gpu_offload())


@contextlib.contextmanager
def _quiet(enabled: bool) -> Iterator[None]:
    """Silence llama.cpp's C-level stderr chatter during load unless --verbose."""
    if not enabled:
        yield
        return
    try:
        fd = os.dup(2)
    except OSError:  # no stderr at all
        yield
        return
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            try:
                yield
            finally:
                os.dup2(fd, 2)
    finally:
        os.close(fd)
