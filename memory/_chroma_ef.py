"""Adapter from a lamp ``Encoder`` to chromadb's ``EmbeddingFunction`` protocol.

This module imports chromadb at its top, so it is itself imported only inside
functions that already need chromadb (``lamp ask --no-memory`` never loads it).
The function is registered under its own name so a collection created with it
records which model made its vectors; opening it later with another model is
refused by Chroma instead of silently mixing vector spaces.
"""

from __future__ import annotations

from typing import Any

from chromadb.api.types import Documents, EmbeddingFunction, Embeddings
from chromadb.utils.embedding_functions import register_embedding_function

from ._encoders import Encoder, load_encoder

__all__ = ["LampEmbeddingFunction"]


@register_embedding_function
class LampEmbeddingFunction(EmbeddingFunction[Documents]):
    """Embeds documents as passages and queries as queries (e5 needs the difference)."""

    def __init__(self, encoder: Encoder | None = None, model: str = "e5") -> None:
        self._model = model
        self._encoder = encoder if encoder is not None else load_encoder(model)

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._encoder.embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return list(self._encoder.embed_queries(list(input)))

    @staticmethod
    def name() -> str:
        return "lamp-offline"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._model, "encoder": self._encoder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> LampEmbeddingFunction:
        return LampEmbeddingFunction(model=str(config.get("model", "e5")))

    def default_space(self) -> str:  # type: ignore[override]
        return "cosine"

    def supported_spaces(self) -> list[str]:  # type: ignore[override]
        return ["cosine"]

    def validate_config_update(
        self, old_config: dict[str, Any], new_config: dict[str, Any]
    ) -> None:
        if old_config.get("encoder") != new_config.get("encoder"):
            raise ValueError("the memory store was built with another embedding model")
