"""Control tokens of chat templates, made harmless inside text that is only data.

A tokenizer that parses special tokens in the prompt reads ``<|im_end|>`` in a
document as the end of a turn. ``break_tokens`` puts a zero-width space after
the first character of every such token (the common templates' and any the
caller names, e.g. a model's own vocabulary), so it reads as plain text while
the visible text does not change. It sits with the models because the tokens
are the models' own: the in-process backend checks every message against its
vocabulary with it, and ``agent/framing.py`` uses it for prompts sent to a
server, whose vocabulary lamp cannot see. Deterministic and idempotent.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

__all__ = ["ZWSP", "break_tokens"]

ZWSP = "\u200b"

_CONTROL = re.compile(
    r"<[|｜][^\s<>|｜]{1,64}[|｜]>"  # ChatML, Llama 3, Phi, Granite, Command-R, DeepSeek
    r"|<<?/?(?:s|unk|pad|mask|sop|eop|SYS|think|start_of_turn|end_of_turn|"
    r"start_of_image|end_of_image|eos|bos|eot)>>?"  # Llama 2, Gemma, Qwen3, GLM
    r"|\[/?(?:INST|SYS|SYSTEM_PROMPT|TOOL_CALLS|AVAILABLE_TOOLS|TOOL_RESULTS|TOOL_CONTENT|"
    r"THINK|ARGS|CALL_ID|PREFIX|MIDDLE|SUFFIX|IMG|IMG_BREAK|IMG_END|gMASK|sMASK|MASK|"
    r"CONTROL_\d+)\]",  # Mistral, GLM
    re.IGNORECASE)


def _split(m: re.Match[str]) -> str:
    """After the leading ``<`` or ``[`` run (``<<SYS>>`` too), so a second pass finds
    nothing more to split."""
    token = m.group(0)
    cut = max(1, len(token) - len(token.lstrip("<[")))
    return token[:cut] + ZWSP + token[cut:]


def break_tokens(text: str, tokens: Iterable[str] = ()) -> str:
    """``text`` with a zero-width space after the first character of every control token
    in it: the common templates' (``<|im_end|>``, ``[INST]``, ...) and ``tokens``."""
    text = _CONTROL.sub(_split, text)
    named = _alternation(tuple(sorted({t for t in tokens if len(t) > 1}, key=len,
                                      reverse=True)))
    return named.sub(_split, text) if named is not None else text


@lru_cache(maxsize=8)
def _alternation(tokens: tuple[str, ...]) -> re.Pattern[str] | None:
    return re.compile("|".join(map(re.escape, tokens))) if tokens else None
