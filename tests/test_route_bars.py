"""The bar table of benchmarks/route_decisions.py --leans applies the router's own rule."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

from route_decisions import bar_table, decide

from lamp.agent.models import Capabilities, Sampling, ScriptedBackend
from lamp.agent.react.formats import ToolSpec
from lamp.agent.react.route import needs_tool


def test_decide_is_the_routers_rule_at_any_bar() -> None:
    spec = [ToolSpec("calculator", "Exact arithmetic.", {"type": "object"})]
    for need, fit in [(0.9, 0.6), (0.55, 0.95), (0.4, 0.99), (0.7, 0.7)]:
        for bar in (0.3, 0.5, 0.6):
            backend = ScriptedBackend(
                capabilities=Capabilities(grammar=True, token_chances=True),
                word_chances={"tool": need, "yes": fit},
                word_rivals={"tool": (("direct", 1 - need),), "yes": (("no", 1 - fit),)})
            backend.enqueue("tool", "yes")
            routed = needs_tool(backend, "q?", spec, Sampling(), tool_from=bar)
            assert decide((need, fit), bar) == routed.tool, (need, fit, bar)


def test_bar_table_scores_each_set_and_half_and_weighs_sets_alike() -> None:
    rows = [
        {"set": "tools", "half": "a", "want_tool": True, "leans": [0.9, 0.9]},
        {"set": "tools", "half": "a", "want_tool": True, "leans": [0.9, 0.6]},
        {"set": "tools", "half": "b", "want_tool": True, "leans": [0.8, 0.7]},
        {"set": "plain", "half": "a", "want_tool": False, "leans": [0.2, 0.9]},
        {"set": "plain", "half": "b", "want_tool": False, "leans": [0.9, 0.6]},
        {"set": "plain", "half": "b", "want_tool": False, "leans": []},  # nothing offered
    ]
    table = bar_table(rows, [0.5, 0.6])
    assert table["0.5"]["a"] == {"tools": 1.0, "plain": 1.0, "mean": 1.0}
    assert table["0.5"]["b"] == {"tools": 1.0, "plain": 0.5, "mean": 0.75}
    assert table["0.6"]["a"] == {"tools": 0.5, "plain": 1.0, "mean": 0.75}
    assert table["0.6"]["b"] == {"tools": 0.0, "plain": 1.0, "mean": 0.5}
