"""Shared option plumbing: one decorator gives a command every model/sampling option.

`ask`, `chat` and `pal` take the same dozen model options. Repeating them in
each signature invites drift, so commands declare only their own parameters
and receive the shared ones as a ``flags`` dict (only options the user gave
are non-None) plus ``verbose``.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from . import options

__all__ = ["with_model_options"]

F = TypeVar("F", bound=Callable[..., Any])

_SHARED: dict[str, Any] = {
    "model": options.ModelPath, "system": options.System, "temperature": options.Temperature,
    "top_k": options.TopK, "top_p": options.TopP, "max_tokens": options.MaxTokens,
    "seed": options.Seed, "repeat_penalty": options.RepeatPenalty, "ctx": options.Ctx,
    "threads": options.Threads, "n_gpu_layers": options.GpuLayers,
    "backend": options.BackendName, "base_url": options.BaseUrl,
}


def with_model_options(fn: F) -> F:
    hints = typing.get_type_hints(fn, include_extras=True)
    own = [p.replace(annotation=hints.get(p.name, p.annotation))
           for p in inspect.signature(fn).parameters.values()
           if p.name not in {"flags", "verbose"}]
    shared = [inspect.Parameter(name, inspect.Parameter.KEYWORD_ONLY, default=None, annotation=ann)
              for name, ann in _SHARED.items()]
    shared.append(inspect.Parameter("verbose", inspect.Parameter.KEYWORD_ONLY, default=False,
                                    annotation=options.Verbose))
    own_positional = [p.replace(kind=inspect.Parameter.POSITIONAL_OR_KEYWORD) for p in own]

    @functools.wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        flags = {name: kwargs.pop(name, None) for name in _SHARED}
        verbose = bool(kwargs.pop("verbose", False))
        return fn(*args, flags=flags, verbose=verbose, **kwargs)

    params = own_positional + shared
    wrapper.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    wrapper.__annotations__ = {p.name: p.annotation for p in params}
    return wrapper  # type: ignore[return-value]
