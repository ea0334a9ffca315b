"""llama.cpp's own grammar engine, without running a model: a vocabulary-only load
(under a second), then each document's tokens offered to the grammar sampler one by
one, as decoding would. ``LlamaGrammar.from_string`` parses nothing in
llama-cpp-python 0.3.36, so this is how a test learns that llama.cpp reads a grammar
and what it lets through."""

from __future__ import annotations

import ctypes
from pathlib import Path

__all__ = ["GrammarEngine"]


class GrammarEngine:
    def __init__(self, model: Path) -> None:
        import llama_cpp as lib

        self._lib = lib
        lib.llama_backend_init()
        params = lib.llama_model_default_params()
        params.vocab_only = True
        self._model = lib.llama_model_load_from_file(str(model).encode(), params)
        assert self._model, f"cannot read the vocabulary of {model}"
        self._vocab = lib.llama_model_get_vocab(self._model)
        self._eos = lib.llama_vocab_eos(self._vocab)

    def close(self) -> None:
        self._lib.llama_model_free(self._model)

    def parses(self, grammar: str) -> bool:
        sampler = self._lib.llama_sampler_init_grammar(self._vocab, grammar.encode(), b"root")
        if not sampler:
            return False
        self._lib.llama_sampler_free(sampler)
        return True

    def accepts(self, grammar: str, text: str) -> bool:
        """Whether decoding under ``grammar`` could write ``text`` and then stop."""
        lib = self._lib
        sampler = lib.llama_sampler_init_grammar(self._vocab, grammar.encode(), b"root")
        assert sampler, "llama.cpp cannot parse the grammar"
        try:
            for token in self._tokens(text):
                if not self._allowed(sampler, token):
                    return False
                lib.llama_sampler_accept(sampler, token)
            return self._allowed(sampler, self._eos)
        finally:
            lib.llama_sampler_free(sampler)

    def _allowed(self, sampler: object, token: int) -> bool:
        lib = self._lib
        data = (lib.llama_token_data * 1)()
        data[0].id, data[0].logit, data[0].p = token, 0.0, 0.0
        candidates = lib.llama_token_data_array(data=data, size=1, selected=-1, sorted=False)
        lib.llama_sampler_apply(sampler, ctypes.byref(candidates))
        return data[0].logit != float("-inf")

    def _tokens(self, text: str) -> list[int]:
        lib = self._lib
        raw = text.encode()
        room = len(raw) + 8
        out = (lib.llama_token * room)()
        count = lib.llama_tokenize(self._vocab, raw, len(raw), out, room, False, True)
        assert count >= 0
        return list(out[:count])
