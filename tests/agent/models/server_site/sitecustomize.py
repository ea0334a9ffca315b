"""Loaded by the stock ``llama_cpp.server`` the tests start (its PYTHONPATH names this folder).

On a llama.cpp build with AMX, lamp loads weights without extra buffer types because
AMX tile matmul crashes on virtual machines that advertise AMX (see
``lamp.agent.models.llama_backend._llama_class``). The stock server cannot be told to
do the same, so for the tests' server process only, ``llama_cpp.Llama`` is that same
class. Nothing in lamp itself is replaced.
"""

from __future__ import annotations

import llama_cpp

from lamp.agent.models.llama_backend import _llama_class

llama_cpp.Llama = _llama_class(llama_cpp)
