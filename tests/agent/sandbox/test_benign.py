"""Benign controls: ordinary PAL-style code must keep working inside every layer."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.integration

BENIGN = {
    "math": ("import math\nprint(math.factorial(20), round(math.sqrt(2), 6))",
             "2432902008176640000 1.414214"),
    "json-fractions-decimal": (
        "import json, fractions, decimal\n"
        "decimal.getcontext().prec = 30\n"
        "print(json.dumps({'f': str(fractions.Fraction(3, 4) + fractions.Fraction(1, 6)),"
        " 'd': str(decimal.Decimal(1) / decimal.Decimal(7))}))",
        '{"f": "11/12", "d": "0.142857142857142857142857142857"}'),
    "big-ints": ("print((3 ** 100000).bit_length(), len(str(2 ** 10000)))", "158497 3011"),
    "threads": ("import threading\nout = []\n"
                "ts = [threading.Thread(target=lambda i=i: out.append(i * i)) for i in range(16)]\n"
                "[t.start() for t in ts]\n[t.join() for t in ts]\nprint(sum(out))", "1240"),
    "scratch-file": ("open('scratch.txt', 'w').write('hello')\nprint(open('scratch.txt').read())",
                     "hello"),
    "tempfile": ("import tempfile\nwith tempfile.TemporaryFile() as f:\n"
                 "    f.write(b'abc'); f.seek(0); print(f.read().decode())", "abc"),
    "200mib-and-1s-cpu": (
        "import time\nb = bytearray(200 * 1024 * 1024)\nt = time.process_time()\n"
        "while time.process_time() - t < 1.0:\n    pass\nprint(len(b) // 2**20)", "200"),
    "asyncio": ("import asyncio\nasync def f():\n    await asyncio.sleep(0.01)\n    return 7\n"
                "print(asyncio.run(f()))", "7"),
    "solution-function": ("def solution():\n    return 200 - 93 - 39 + 6\nprint(solution())", "74"),
    "own-signal": ("import signal, os\nsignal.signal(signal.SIGUSR1, lambda *a: print('got'))\n"
                   "os.kill(os.getpid(), signal.SIGUSR1)", "got"),
    "unicode": ("print('π ≈', 22/7)", "π ≈ 3.142857142857143"),
}


@pytest.mark.parametrize("name", sorted(BENIGN))
def test_benign_code_works(name: str, make_sandbox) -> None:  # type: ignore[no-untyped-def]
    code, expected = BENIGN[name]
    res = make_sandbox(timeout=8).run(code)
    assert (res.exit_code, res.stderr) == (0, "")
    assert res.stdout.strip() == expected
    assert res.killed_reason is None and not res.truncated
    if make_sandbox.config != "L0-only":
        assert res.layers[:2] == ("L0", "L1") and res.warnings == ()


def test_exit_codes_and_streams(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    sb = make_sandbox()
    res = sb.run("import sys\nprint('to out')\nprint('to err', file=sys.stderr)\nsys.exit(3)")
    assert (res.stdout, res.stderr, res.exit_code) == ("to out\n", "to err\n", 3)
    res = sb.run("raise ValueError('bad input')")
    assert res.exit_code == 1
    assert res.stderr.splitlines()[-1] == "ValueError: bad input"
    assert "_bootstrap" not in res.stderr and 'File "<sandbox>", line 1' in res.stderr


def test_timeout_is_reported(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    res = make_sandbox(timeout=0.5).run("import time\nprint('started', flush=True)\ntime.sleep(30)")
    assert res.timed_out and res.killed_reason == "timeout"
    assert res.stdout == "started\n"
    assert 0.5 <= res.seconds < 2.5
    assert res.exit_code == 128 + 9


def test_sandbox_files_are_read_only_inputs(tmp_path, make_sandbox) -> None:  # type: ignore[no-untyped-def]
    data = tmp_path / "data.csv"
    data.write_text("a,b\n1,2\n3,4\n")
    code = ("import csv\nrows = list(csv.DictReader(open('data.csv')))\n"
            "print(sum(int(r['b']) for r in rows))\n"
            "try:\n    open('data.csv', 'w')\nexcept PermissionError:\n    print('read-only')\n")
    res = make_sandbox().run(code, files=[data])
    assert res.stdout.split() == ["6", "read-only"]
    assert data.read_text() == "a,b\n1,2\n3,4\n"


def test_collect_brings_back_named_outputs_only(make_sandbox) -> None:  # type: ignore[no-untyped-def]
    code = "open('answer.txt', 'w').write('42')\nopen('other.txt', 'w').write('no')\n"
    res = make_sandbox().run(code, collect=["answer.txt", "missing.txt"])
    assert dict(res.files) == {"answer.txt": b"42"}
