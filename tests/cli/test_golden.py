"""Golden runs of the CLI: every answering mode and its main flags on the scripted model,
exit code, stdout and stderr compared byte for byte with the files in ``golden/``.

They pin what a user or a script sees, so a change in how the CLI is put together
shows up as a diff here even where no other test looks. Only what differs from run
to run is normalised (``golden_cases.normalise``): paths of the home and working
directory, timings in JSON, dates, pids.

To record the files again after an intended change in output::

    LAMP_GOLDEN_RECORD=1 pytest tests/cli/test_golden.py

then read the diff of ``tests/cli/golden/`` before committing it.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from golden_cases import CASES, Case, render, run_case

GOLDEN = Path(__file__).parent / "golden"
RECORD = os.environ.get("LAMP_GOLDEN_RECORD") == "1"


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_output_matches_the_recording(case: Case, lamp_home: Path, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch,
                                      capfd: pytest.CaptureFixture[str]) -> None:
    cwd = tmp_path / "cwd"
    cwd.mkdir()
    outcomes = run_case(case, cwd, monkeypatch, capfd)
    places = {str(lamp_home): "<HOME>", str(cwd): "<CWD>", str(tmp_path): "<TMP>"}
    places |= {str(Path(p).resolve()): t for p, t in places.items()}
    text = render(case, outcomes, places)
    path = GOLDEN / f"{case.name}.txt"
    if RECORD:
        GOLDEN.mkdir(exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return
    assert path.exists(), f"no recording for {case.name}: run with LAMP_GOLDEN_RECORD=1"
    assert text == path.read_text(encoding="utf-8")


def test_every_recording_has_a_case() -> None:
    names = {c.name for c in CASES}
    assert len(names) == len(CASES)
    stale = sorted(p.stem for p in GOLDEN.glob("*.txt") if p.stem not in names)
    assert not stale, f"recordings without a case: {stale}"
