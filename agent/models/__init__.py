"""The model layer: one protocol with declared capabilities, and the models behind it.

    backend.py        ``Backend`` (stream a reply, count tokens) and its ``Capabilities``;
                      ``Message``, ``Sampling``, ``Chunk``; ``complete()`` / ``complete_reply()``
                      for whole replies (the latter with each token's chance)
    llama_backend.py  llama.cpp in process, the default (``_llama_shim.py``: the only use
                      of llama-cpp-python's private attributes, pinned to its version)
    http_backend.py   any server that speaks the OpenAI chat API (``_http.py``, ``_sse.py``)
    scripted.py       a scripted model for tests: enqueue replies, inspect requests
    factory.py        ``ModelConfig`` -> ``open_backend()``: the one place a backend is
                      built (the CLI, serve and the benchmarks); progress by callbacks
    errors.py, usage.py, control_tokens.py
                      what models raise, what a call cost (``Usage``), control tokens
                      made plain text (``break_tokens``); re-exported by the layer above
    gguf.py, model_store.py, prefix_cache.py, stops.py
                      model files, the default model, saved KV prefixes, stop strings
    lookup.py         prompt-lookup drafts: the reply's next tokens guessed from its prompt

Nothing here knows about conversations, tools, memory or the CLI, nor imports
anything else of ``lamp.agent`` (tests/agent/models/test_layering.py checks); the
loops see models only through ``Backend``. The llama.cpp and HTTP
modules are imported where they are used, so importing this package stays cheap.
"""

from __future__ import annotations

from .backend import (
    Backend,
    Capabilities,
    Chunk,
    Message,
    Reply,
    Sampling,
    TokenChance,
    complete,
    complete_reply,
    worked_turns,
)
from .scripted import ScriptedBackend

__all__ = ["Backend", "Capabilities", "Chunk", "Message", "Reply", "Sampling",
           "ScriptedBackend", "TokenChance", "complete", "complete_reply", "worked_turns"]
