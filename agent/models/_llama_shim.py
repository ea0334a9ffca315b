"""Every reach into llama-cpp-python's private attributes, in one place, pinned to one version.

``Llama`` has no public way to get the vocabulary handle (to tell special and
end-of-generation tokens), to remove a sequence from the KV cache, to tell it
which tokens its context holds after we restore a saved state, or to ask for the
logits of every token of one short batch (prompt lookup's verification). The
backend needs all four, so this module uses ``Llama._model``, ``Llama._ctx``,
``Llama._batch``, ``Llama._input_ids`` and ``Llama._requires_eval``, and nothing
else does.

They are private, so they may change in any release. pyproject pins
llama-cpp-python to ``PINNED``; on another version ``LlamaInternals`` checks that
every attribute it uses is still there and, if one is missing, stops the load
with a message that names the version to install, instead of a crash mid-answer.
"""

from __future__ import annotations

import ctypes
from typing import Any

from .errors import ModelError

__all__ = ["PINNED", "LlamaInternals", "eval_every_logit"]

PINNED = "0.3.36"  # keep equal to the pin in pyproject.toml (a test checks)
_PRIVATE = ("_model", "_ctx", "_batch", "_input_ids", "_requires_eval")


class LlamaInternals:
    """The private parts of one loaded ``llama_cpp.Llama``, behind small methods."""

    def __init__(self, lib: Any, llm: Any) -> None:
        version = str(getattr(lib, "__version__", "unknown"))
        if version != PINNED:
            missing = [name for name in _PRIVATE if not hasattr(llm, name)]
            if missing:
                raise ModelError(
                    f"llama-cpp-python {version} lacks {', '.join(missing)}, which lamp uses; "
                    f"install the version lamp is written for: pip install "
                    f"llama-cpp-python=={PINNED}")
        self._lib = lib
        self._llm = llm
        self.version = version

    def token_text(self, token: int) -> str:
        """How the vocabulary spells ``token`` (for the chat template's BOS/EOS)."""
        return self._llm._model.token_get_text(token)

    def is_special(self, token: int) -> bool:
        """A control or user-defined token (``<tool_call>``): grammars must name it by id."""
        lib = self._lib
        special = lib.LLAMA_TOKEN_ATTR_CONTROL | lib.LLAMA_TOKEN_ATTR_USER_DEFINED
        return bool(lib.llama_vocab_get_attr(self._llm._model.vocab, token) & special)

    def vocab(self) -> Any:
        """The vocabulary handle, for ``llama_vocab_is_eog`` in the generation loop."""
        return self._llm._model.vocab

    def holds(self, tokens: list[int]) -> bool:
        """The context already starts with exactly these tokens (their KV state is live)."""
        llm = self._llm
        return list(llm._input_ids[: len(tokens)]) == tokens and llm.n_tokens >= len(tokens)

    def snapshot(self) -> bytes | None:
        """The KV state of sequence 0, or None when llama.cpp wrote nothing."""
        ctx = self._llm._ctx.ctx
        size = self._lib.llama_state_seq_get_size(ctx, 0)
        buf = (ctypes.c_uint8 * size)()
        written = self._lib.llama_state_seq_get_data(ctx, buf, size, 0)
        return bytes(buf[:written]) if written else None

    def chance_of(self, token: int, rivals: int = 0) -> tuple[float, list[tuple[int, float]]]:
        """The probability the model gave ``token`` where it was just sampled: the softmax
        of the last logits llama.cpp computed (before any grammar, penalty or temperature),
        read while ``Llama.generate`` is paused on that token; and the ``rivals`` likeliest
        other tokens there with theirs, likeliest first."""
        import numpy as np  # a dependency of llama-cpp-python

        pointer = self._lib.llama_get_logits_ith(self._llm._ctx.ctx, -1)
        logits = np.ctypeslib.as_array(pointer, shape=(self._llm.n_vocab(),))
        weights = np.exp(logits - float(logits.max()))
        weights /= weights.sum()
        others: list[tuple[int, float]] = []
        if rivals > 0:
            top = np.argpartition(-weights, rivals)[: rivals + 1]
            others = sorted(((int(t), float(weights[t])) for t in top if int(t) != token),
                            key=lambda pair: -pair[1])[:rivals]
        return float(weights[token]), others

    def restore(self, state: bytes, tokens: list[int]) -> bool:
        """Load a saved KV state and make ``Llama`` believe it evaluated ``tokens``."""
        llm = self._llm
        llm.reset()
        llm._ctx.kv_cache_seq_rm(-1, 0, -1)
        buf = (ctypes.c_uint8 * len(state)).from_buffer_copy(state)
        if not self._lib.llama_state_seq_set_data(llm._ctx.ctx, buf, len(state), 0):
            llm.reset()
            return False
        llm.input_ids[: len(tokens)] = tokens
        llm.n_tokens = len(tokens)
        llm._requires_eval = True  # logits are not restored; generate() replays a token
        return True


def eval_every_logit(llm: Any, tokens: list[int]) -> None:
    """``Llama.eval`` of one short batch with logits kept at every position, not only the
    last: ``Llama.generate`` samples each position of a draft's batch in turn (prompt
    lookup). The logits stay in llama.cpp's context; nothing is copied to ``scores``."""
    llm._ctx.kv_cache_seq_rm(-1, llm.n_tokens, -1)
    n_past = llm.n_tokens
    llm._batch.set_batch(batch=tokens, n_past=n_past, logits_all=True)
    llm._ctx.decode(llm._batch)
    llm.input_ids[n_past:n_past + len(tokens)] = tokens
    llm.n_tokens += len(tokens)
    llm._requires_eval = False
