"""The last two examples of issue 12 run as a new user would run them (in-process, and as
scripts against the emulator), and say what they did: the reliable pipeline prints each
transition in the order the rules give it; the property-testing example passes its
properties and refutes its naive versions (and a wrong model of the breaker is refuted too:
the machine can fail)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import Phase, settings
from hypothesis.stateful import run_state_machine_as_test

import hf_pure as hf
from examples import property_testing, reliable_pipeline
from hf_pure.testing import Emulator, Fault

ROOT = Path(__file__).resolve().parents[1]
LINE = re.compile(r"^\[t=\s*[0-9.]+\] (.*)$")

# From the scenario and the rules (not from a run): the primary answers 503 to its first
# three requests. Each of the first three questions goes to the primary (priority), fails,
# and its retry goes to the backup; the third failure opens the primary's breaker and benches
# it (threshold 3), so questions 4 and 5 go straight to the backup. After the breaker's
# timeout the last question is the primary's trial: it has recovered, and one good trial
# closes the breaker (success_threshold 1).
SWITCHES = ["primary -> backup", "backup -> primary"] * 3
BREAKER = ["closed -> open", "open -> half_open", "half_open -> closed"]
SENT = ["primary", "backup"] * 3 + ["backup", "backup", "primary"]


def transitions(out: str) -> list[str]:
    """The transition lines the pipeline printed, without their time stamps."""
    return [m.group(1) for line in out.splitlines() if (m := LINE.match(line))]


def check_pipeline_output(out: str) -> None:
    said = transitions(out)
    assert [s.removeprefix("failover: ") for s in said if "->" in s and "failover" in s] == (
        SWITCHES
    )
    assert [s.split(": ", 1)[1] for s in said if s.startswith("breaker[primary]")] == BREAKER
    assert [s.removeprefix("sending to ") for s in said if s.startswith("sending to")] == SENT
    assert said.count("primary answered: ServerError") == 3
    assert said.count("backup answered: success") == 5
    assert said.count("primary answered: success") == 1
    # the order within the story: opened when the third failure is recorded, half-open
    # only after the wait, and closed by the trial's answer
    opened = said.index("breaker[primary]: closed -> open")
    assert said[opened - 2 : opened] == [
        "primary answered: ServerError",
        said[opened - 1],
    ] and said[opened - 1].startswith("failover: primary benched until")
    waited = next(i for i, s in enumerate(said) if s.endswith("for the breaker's trial"))
    assert opened < waited < said.index("breaker[primary]: open -> half_open")
    assert said[-3:] == [
        "breaker[primary]: open -> half_open",
        "primary answered: success",
        "breaker[primary]: half_open -> closed",
    ]
    # 2 requests a second: the bucket made some attempts wait; the retries backed off
    assert any(s.startswith("bucket: waiting") for s in said)
    assert sum(s.startswith("retry: backing off") for s in said) == 3
    assert "error rate (last 60 s): 33%" in out  # 3 failed attempts of 9
    assert 'outcome="ServerError"} 3' in out


async def test_the_pipeline_prints_each_transition_in_order(
    runner: hf.Runner, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator.script("chat", *[Fault.status(503)] * 3)
    async with Emulator() as backup:
        reliable = await reliable_pipeline.main(
            runner, {"primary": emulator.url, "backup": backup.url}
        )
        assert len(backup.requests) == 5
    out = capsys.readouterr().out
    check_pipeline_output(out)
    assert len(emulator.requests) == 4 and emulator.pending("chat") == 0
    state = reliable.snapshot()
    assert all(b == hf.BreakerState() for b in state.breakers.values())  # all closed, fresh
    counts = {(ep, kind): n for (_, ep, kind), n in state.metrics.requests.items()}
    assert counts == {
        (emulator.url, "ServerError"): 3,
        (emulator.url, "success"): 1,
        (backup.url, "success"): 5,
    }
    assert reliable.lines == transitions(out)  # what it printed is what it kept


async def test_without_faults_nothing_opens_and_nothing_switches(
    runner: hf.Runner, emulator: Emulator, capsys: pytest.CaptureFixture[str]
) -> None:
    async with Emulator() as backup:
        await reliable_pipeline.main(runner, {"primary": emulator.url, "backup": backup.url})
        assert backup.requests == []
    said = transitions(capsys.readouterr().out)
    assert not [s for s in said if s.startswith(("breaker", "failover", "retry", "waiting"))]
    assert said.count("primary answered: success") == 6
    assert any(s.startswith("bucket: waiting") for s in said)


def run_script(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        check=False,
    )


def test_the_pipeline_script_runs_against_two_emulators() -> None:
    done = run_script("examples/reliable_pipeline.py", "--emulator")
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    check_pipeline_output(done.stdout)


# ------------------------------------------------------------------ property testing


def test_every_property_passes_and_every_naive_version_is_refuted(
    capsys: pytest.CaptureFixture[str],
) -> None:
    outcome = property_testing.main(max_examples=60)
    assert outcome == {
        "headline never raises": "passed",
        "transcript is the assembled answer": "passed",
        "breaker policy follows the model": "passed",
        "naive headline": "refuted (IndexError)",
        "naive transcript": "refuted (AssertionError)",
    }
    assert "3 of 3 properties passed, 2 naive versions refuted" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(property_testing.properties(1)))
def test_each_property_from_pytest(name: str) -> None:
    property_testing.properties(100)[name]()


class TwoTrialsAreOne(property_testing.BreakerModel):
    """A wrong model: it closes the breaker after one good trial, not two."""

    def record(self, outcome: str, now: float) -> None:
        super().record(outcome, now)
        if self.mode == "half_open" and outcome == "success":
            self.mode, self.failures = "closed", 0


class RateLimitCounts(property_testing.BreakerModel):
    """A wrong model: a 429 counts as a failure."""

    def record(self, outcome: str, now: float) -> None:
        super().record("failure" if outcome == "ignored" else outcome, now)


@pytest.mark.parametrize("wrong", [TwoTrialsAreOne, RateLimitCounts])
def test_the_machine_refutes_a_wrong_model(wrong: type[property_testing.BreakerModel]) -> None:
    machine = type("Wrong", (property_testing.BreakerMachine,), {"model_class": wrong})
    with pytest.raises(AssertionError):
        run_state_machine_as_test(
            machine,
            settings=settings(
                max_examples=200,
                stateful_step_count=40,
                deadline=None,
                database=None,
                phases=(Phase.generate,),  # found is enough: no shrinking
            ),
        )


def test_the_property_script_reports_a_summary() -> None:
    done = run_script("examples/property_testing.py", "--examples", "30")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[-1] == "3 of 3 properties passed, 2 naive versions refuted"
    assert [line.split(": ", 1)[0] for line in lines[:-1]] == [
        "headline never raises",
        "transcript is the assembled answer",
        "breaker policy follows the model",
        "naive headline",
        "naive transcript",
    ]
