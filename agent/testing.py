"""The scripted model under its first name, for tests written against ``lamp.agent.testing``.

It lives in the model layer now (``lamp.agent.models.scripted``), beside the
real models it stands in for.
"""

from __future__ import annotations

from .models.scripted import ScriptedBackend

__all__ = ["ScriptedBackend"]
