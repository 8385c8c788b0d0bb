"""The harness's engines that run as child processes (``CommandEngine``)."""

from __future__ import annotations

import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pollinate.bench import engines
from pollinate.bench.engines import CommandEngine, command_engines_run, last_json_object

ROOT = Path(__file__).resolve().parents[3]
FIGURES = (("fake_p99", "p99_ms", "ms"), ("fake_rate", "rate", "members/s"))


@given(
    noise=st.lists(st.text(alphabet="abc {}[]:,\"'0123456789").filter(lambda t: "\n" not in t)),
    value=st.dictionaries(st.text(min_size=1), st.integers() | st.text(), max_size=4),
)
def test_the_last_printed_json_object_is_found_after_any_noise(
    noise: list[str], value: dict[str, object]
) -> None:
    import json

    output = "\n".join([*noise, json.dumps({"first": 1}), *noise, json.dumps(value, indent=2)])
    assert last_json_object(output) == value


def test_output_without_a_json_object_is_an_error() -> None:
    with pytest.raises(ValueError, match="no JSON object"):
        last_json_object("Generating…\n[1, 2]\n{not json\n")


def test_a_command_engine_yields_its_figures_and_its_instance_is_removed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # The harness removes a child's instance only from the temporary directory; this test's own
    # stands in for it. The shared /tmp could already hold the name (the other xdist worker, a
    # killed earlier run), and the child refuses an existing workdir.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    workdir = Path(tempfile.gettempdir()) / "pollinate-fake-engine"
    fake = CommandEngine("pollinate.bench.tests.fake_engine", {"S": (str(workdir),)}, FIGURES)
    monkeypatch.setattr(engines, "COMMAND_ENGINES", [fake])
    result = command_engines_run(scale="M", root=ROOT)
    assert result["engines"] == {
        "fake_p99": {"value": 12.5, "unit": "ms"},
        "fake_rate": {"value": 40, "unit": "members/s"},
    }
    assert result["skipped"] == {}
    run = result["details"]["pollinate.bench.tests.fake_engine"]
    assert run["command"] == f"python -m pollinate.bench.tests.fake_engine {workdir}"
    assert run["exit_status"] == 0
    assert not workdir.exists()


def test_a_missing_module_or_field_is_listed_as_skipped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    workdir = Path(tempfile.gettempdir()) / "pollinate-fake-engine"
    missing = CommandEngine("pollinate.nothing.bench", {"S": ()}, FIGURES)
    partial = CommandEngine(
        "pollinate.bench.tests.fake_engine",
        {"S": (str(workdir),)},
        (("fake_p50", "p50_ms", "ms"),),
    )
    monkeypatch.setattr(engines, "COMMAND_ENGINES", [missing, partial])
    result = command_engines_run(scale="S", root=ROOT)
    assert result["engines"] == {}
    assert result["skipped"] == {
        "fake_p99": "pollinate.nothing.bench does not exist yet",
        "fake_rate": "pollinate.nothing.bench does not exist yet",
        "fake_p50": "pollinate.bench.tests.fake_engine printed no 'p50_ms'",
    }
