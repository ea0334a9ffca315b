"""`python -m lamp.cli` runs the same entry point as the `lamp` command."""

from __future__ import annotations

from .main import run

run()
