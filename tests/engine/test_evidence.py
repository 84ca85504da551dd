"""Evidence behind each answer reaches samples.jsonl: the backend's OCR text (from ``Output.meta``) and
what the task read from the prediction (the extracted option or yes/no)."""

from __future__ import annotations

import json
from pathlib import Path

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.engine.scoring import backend_evidence, score_sample
from babelvlm.models.mock import MockModel
from babelvlm.schema import Output, Request, Sample
from babelvlm.tasks.registry import get_task


class OcrMock(MockModel):
    """The real mock backend, plus the OCR text a pipeline model would report with each answer."""

    def generate(self, requests: list[Request]) -> list[Output]:
        outputs = super().generate(requests)
        for req, out in zip(requests, outputs, strict=True):
            out.meta = {"ocr_text": f"27,95 py6. ({req.sample_id})", "llm_s": 0.1, "attempts": 1}
        return outputs


def test_backend_ocr_text_is_in_samples_jsonl_and_bookkeeping_is_not(
    jsonl_task: Path, tmp_path: Path
) -> None:
    config = EvalConfig(model="mock:answer", tasks=["jsonl"], data=jsonl_task, out=tmp_path / "run",
                        progress=False, write_report=False)  # fmt: skip
    run_eval(config, model=OcrMock("answer"))
    rows = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert len(rows) == 12
    assert all(r["evidence"] == {"ocr_text": f"27,95 py6. ({r['sample_id']})"} for r in rows)
    assert backend_evidence(None) == {} and backend_evidence({"finish_reason": "length", "x": 1}) == {
        "finish_reason": "length"
    }


def test_choice_and_yes_no_tasks_show_the_extracted_answer() -> None:
    options = {"A": "cat", "B": "dog", "C": "bird"}
    mcq = Sample(id="1", task="mmbench", prompt="?", references=["B"], lang="fr", options=options)
    scored = score_sample(get_task("mmbench"), mcq, ("La réponse est C", None), {"ocr_text": "chien"})
    assert scored.evidence == {"ocr_text": "chien", "extracted answer": "C"}
    unreadable = score_sample(get_task("mmbench"), mcq, ("je ne sais pas", None))
    assert unreadable.evidence == {"extracted answer": "none"}
    yes_no = Sample(id="2", task="pixmo_pope", prompt="?", references=["yes"], lang="de")
    assert score_sample(get_task("pixmo_pope"), yes_no, ("Ja, sicher.", None)).evidence == {
        "extracted answer": "yes"
    }
    failed = score_sample(get_task("mmbench"), mcq, (None, "timeout"))
    assert failed.evidence == {} and failed.references == ["B"]
