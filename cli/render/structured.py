"""``--json``: nothing while a run goes on, then one JSON object the command composes.

The renderer collects the answer, usage and warnings; ``emit`` prints the
object (typed step records as their dicts). Warnings still go to stderr as they
come, so a script sees them even when it only parses stdout.
"""

from __future__ import annotations

from dataclasses import dataclass

from ._base import Renderer

__all__ = ["JsonRenderer"]


@dataclass
class JsonRenderer(Renderer):
    stream: bool = False

    def partial(self, answer: str) -> None:
        """The partial answer goes into the JSON object instead."""
