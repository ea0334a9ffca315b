"""lamp's exception tree: every failure a user can see has one class and one exit code.

    LampError*                exit 1  (anything lamp itself could not do)
    ├── ModelError*           exit 1  the model failed while loading or generating
    ├── BackendUnavailable*   exit 1  a model server is down or answered badly
    │   ├── ServerError*      exit 1  it answered with an HTTP error status (``.status``)
    │   └── MalformedReply*   exit 1  it answered with something that is not the API
    ├── SandboxUnavailable    exit 1  the sandbox cannot give the isolation the policy demands
    ├── InvalidOutput         exit 1  the answer does not validate against ``--schema``
    │   └── InvalidCitation   exit 1  a grounded answer cites a source that was not given
    ├── UsageError*           exit 2  bad flags, bad config, bad input
    │   ├── IsolationRefused  exit 2  no isolating sandbox layer the policy accepts here:
    │   │                             nothing ran; ``--sandbox best`` is the opt-in
    │   │                             (also a SandboxUnavailable)
    │   ├── ModelFileError*   exit 2  the model path is missing, not GGUF, or truncated
    │   ├── InputError        exit 2  empty prompt, unreadable input
    │   └── ContextOverflow   exit 2  input cannot fit the context window even alone
    └── StepLimitReached      exit 3  the agent used all its steps (carries a partial answer)

Classes marked * are defined in ``lamp.agent.models.errors``, so the model
layer imports nothing above it; they are re-exported here, and ``from
lamp.agent.errors import X`` works for every class of the tree. The rest are
defined in this module.

The exit codes above are decided in one place, the CLI's ``EXIT_CODES`` table
(lamp.cli.errors); the classes carry none. Code below the CLI raises them,
wrapping third-party errors with ``raise ... from`` so ``--verbose`` shows the cause.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from .models.errors import (
    BackendUnavailable,
    LampError,
    MalformedReply,
    ModelError,
    ModelFileError,
    ServerError,
    UsageError,
)

if TYPE_CHECKING:
    from .records import Record

__all__ = [
    "BackendUnavailable",
    "ContextOverflow",
    "InputError",
    "InvalidCitation",
    "InvalidOutput",
    "IsolationRefused",
    "LampError",
    "MalformedReply",
    "ModelError",
    "ModelFileError",
    "SandboxUnavailable",
    "ServerError",
    "StepLimitReached",
    "UsageError",
]


class SandboxUnavailable(LampError):
    """Policy ``strict`` asked for L0+L1 and this machine (or this run) could not give both."""


class InvalidOutput(LampError):
    """The model's answer is not the JSON ``--schema`` asked for (cut short, or off-schema):
    nothing is printed, since a script would trust whatever came out."""


class InvalidCitation(InvalidOutput):
    """A grounded answer (``--docs``) cites ``[n]`` for a source that was not given; on a
    backend without grammars this is caught after generation, before printing."""


class IsolationRefused(SandboxUnavailable, UsageError):
    """The sandbox policy demands an isolating layer (L1, or L2 under ``auto``) that this
    machine cannot give, so nothing model-written was started. Exit 2, like other choices
    the person must make: the fix is an explicit ``--sandbox best`` (or the ``sandbox``
    setting), or a machine with Landlock or bubblewrap. Still a ``SandboxUnavailable`` for
    callers that catch that."""


class InputError(UsageError):
    pass


class ContextOverflow(UsageError):
    pass


class StepLimitReached(LampError):
    """``steps`` are the run's ``StepRecord``s (lamp.agent.records), for ``--json``."""

    def __init__(self, message: str, partial_answer: str = "",
                 steps: Sequence[Record] | None = None) -> None:
        super().__init__(message)
        self.partial_answer = partial_answer
        self.steps = list(steps or [])
