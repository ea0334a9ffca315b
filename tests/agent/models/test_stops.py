from __future__ import annotations

import pytest

from lamp.agent.models.stops import StopScanner


def feed_all(stops: tuple[str, ...], pieces: list[str]) -> tuple[str, bool]:
    scanner = StopScanner(stops)
    out = "".join(scanner.feed(p) for p in pieces) + scanner.flush()
    return out, scanner.stopped


def test_no_stops_passes_everything_through() -> None:
    assert feed_all((), ["a", "b", "c"]) == ("abc", False)


def test_stop_split_across_pieces_never_leaks() -> None:
    out, stopped = feed_all(("Observation:",), ["Thought: x\nObs", "erva", "tion: 42"])
    assert out == "Thought: x\n"
    assert stopped


def test_held_back_prefix_is_released_when_it_turns_out_harmless() -> None:
    scanner = StopScanner(("STOP",))
    assert scanner.feed("ab ST") == "ab "
    assert scanner.feed("ART") == "START"
    assert not scanner.stopped


def test_text_after_stop_is_dropped() -> None:
    scanner = StopScanner(("\n\n",))
    assert scanner.feed("one\n\ntwo") == "one"
    assert scanner.feed("three") == ""
    assert scanner.flush() == ""


@pytest.mark.parametrize("stops", [("</a>", "</ab>"), ("</ab>", "</a>")])
def test_earliest_of_several_stops_wins(stops: tuple[str, ...]) -> None:
    assert feed_all(stops, ["x</a", "b>y"]) == ("x", True)


def test_trailing_partial_stop_is_flushed_at_end() -> None:
    assert feed_all(("END",), ["the EN"]) == ("the EN", False)
