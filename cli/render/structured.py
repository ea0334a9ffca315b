"""``--json``: nothing while a run goes on, then lamp's one JSON object, built from its result.

Every command that answers prints the same shape (README, "JSON output"): the
answer, the model, session, template and sampling, ``usage`` and ``timings``
with the same keys everywhere, the warnings met, then what the mode adds
(``sources``/``citations``, ``tools``/``format``/``route``/``steps``, PAL's
program record). Warnings still go to stderr as they come, so a script sees
them even when it only parses stdout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lamp.agent.app.result import RunResult
from lamp.agent.events import Usage

from ._base import Renderer

__all__ = ["JsonRenderer", "result_json", "timings_json", "usage_json"]


@dataclass
class JsonRenderer(Renderer):
    stream: bool = False

    def partial(self, answer: str) -> None:
        """The partial answer goes into the JSON object instead."""

    def emit_result(self, result: RunResult) -> None:
        self.emit(result_json(result))


def usage_json(usage: Usage | None) -> dict[str, Any]:
    return {"prompt_tokens": usage.prompt_tokens if usage else 0,
            "completion_tokens": usage.completion_tokens if usage else 0,
            "finish_reason": usage.finish_reason if usage else ""}


def timings_json(usage: Usage | None, *, load_s: float | None, total_s: float
                 ) -> dict[str, Any]:
    return {"load_s": round(load_s, 4) if load_s is not None else None,
            "first_token_s": round(usage.seconds_to_first_token, 4) if usage else None,
            "generation_s": round(usage.seconds_total, 4) if usage else None,
            "tokens_per_s": round(usage.tokens_per_second, 2) if usage else None,
            "total_s": round(total_s, 4)}


def result_json(result: RunResult) -> dict[str, Any]:
    """The one ``--json`` object of a run."""
    details = dict(result.details)
    timings = timings_json(result.usage, load_s=result.load_s, total_s=result.total_s)
    timings.update(details.pop("timings", None) or {})  # PAL: model_s, sandbox_s
    payload: dict[str, Any] = {
        "answer": result.answer,
        "model": result.model,
        "session": result.session,
        "template": result.template,
        "sampling": result.sampling,
        "usage": usage_json(result.usage),
        "timings": timings,
        "warnings": list(result.notices),
    }
    if result.stopped is not None:
        payload["stopped"] = result.stopped
    if result.grounded:
        payload["sources"] = [s.to_dict() | {"cited": s.n in result.citations}
                              for s in result.sources]
        payload["citations"] = list(result.citations)
    return payload | details
