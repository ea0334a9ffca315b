"""Fast checks of the sandbox's parts: the seccomp program, policies, the public surface."""

from __future__ import annotations

import struct

import pytest

import lamp.agent.sandbox as sandbox
from lamp.agent.errors import IsolationRefused, LampError, SandboxUnavailable, UsageError
from lamp.agent.sandbox import Sandbox
from lamp.agent.sandbox._runner import _static_l1
from lamp.agent.sandbox._seccomp import PID_PLACEHOLDER, SUPPORTED_ARCHES, build_filter
from lamp.cli.errors import exit_code_for


def test_exports_are_exactly_the_public_names() -> None:
    assert sorted(sandbox.__all__) == sorted(
        ["LayerStatus", "Policy", "Sandbox", "SandboxReport", "SandboxResult", "probe",
         "OPT_IN", "POLICIES", "Isolation", "isolation", "require_isolation"])
    for name in sandbox.__all__:
        assert getattr(sandbox, name) is not None


@pytest.mark.parametrize("arch", SUPPORTED_ARCHES)
def test_seccomp_program_is_well_formed(arch: str) -> None:
    prog = build_filter(arch)
    assert len(prog) % 8 == 0 and 0 < len(prog) // 8 < 4096
    ins = [struct.unpack_from("<HBBI", prog, i) for i in range(0, len(prog), 8)]
    for pos, (code, jt, jf, _k) in enumerate(ins):
        if code & 0x07 == 0x05:  # BPF_JMP: both targets must land inside the program
            assert pos + 1 + max(jt, jf) < len(ins)
    assert ins[-1][0] == 0x06  # the program ends in a return
    assert sum(k == PID_PLACEHOLDER for *_, k in ins) == 2  # kill and tgkill guards
    assert ins[1][3] in (0xC000003E, 0xC00000B7)  # the arch check comes first


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        Sandbox(policy="loose")  # type: ignore[arg-type]
    with pytest.raises(UsageError):
        Sandbox(timeout=0)
    with pytest.raises(UsageError):
        Sandbox(memory_mb=1)
    with pytest.raises(UsageError):
        Sandbox().run("print(1)", collect=["../escape"])


def test_sandbox_unavailable_is_a_lamp_error() -> None:
    assert issubclass(SandboxUnavailable, LampError) and exit_code_for(SandboxUnavailable()) == 1


@pytest.mark.bwrap
def test_auto_policy_follows_the_machine() -> None:
    """auto never falls back to rlimits alone: L1, else L2, else a refusal (exit 2).
    A real kernel without Landlock is simulated in test_no_landlock.py."""
    iso = sandbox.isolation("auto", as_sandbox_uid=True)
    if iso.mode is None:
        with pytest.raises(IsolationRefused, match="--sandbox best"):
            Sandbox().effective_policy()
    else:
        assert Sandbox().effective_policy() == iso.mode
        assert iso.mode == ("strict" if _static_l1() is None else "namespaces")
    assert Sandbox(policy="best").effective_policy() == "best"
    if _static_l1() is not None:
        with pytest.raises(IsolationRefused, match="strict sandbox policy needs L1"):
            Sandbox(policy="strict").run("print(1)")


@pytest.mark.integration
def test_strict_refuses_when_the_child_cannot_confine_itself() -> None:
    """Checked in the child: with L1 switched off, strict never runs the code."""
    if _static_l1():
        pytest.skip(f"L1 unavailable here: {_static_l1()}")
    sb = Sandbox(policy="strict", namespaces=False)
    sb._confine = False
    with pytest.raises(SandboxUnavailable, match="L1"):
        sb.run("print('SHOULD NOT RUN')")


@pytest.mark.integration
def test_best_policy_says_loudly_when_weaker() -> None:
    sb = Sandbox(policy="best", namespaces=False)
    sb._confine = False
    res = sb.run("print('ran')")
    assert res.stdout == "ran\n" and res.layers == ("L0",)
    assert res.warnings and res.warnings[0].startswith("SANDBOX WEAKER THAN STRICT")


@pytest.mark.integration
@pytest.mark.bwrap
def test_probe_is_consistent_with_a_real_run() -> None:
    report = sandbox.probe()
    assert report.layer("L0").active
    res = Sandbox(policy="best").run("print(1)")
    assert ("L1" in res.layers) == report.layer("L1").active
    assert ("L2" in res.layers) == report.layer("L2").active
