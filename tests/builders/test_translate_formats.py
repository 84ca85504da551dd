"""``babelvlm translate`` on XT-VQA JSONL and MultiExpArt JSON: each written in its own format, read by its
task."""

from __future__ import annotations

import json
from pathlib import Path

from tiny_translation_encoder import build_tiny_encoder
from typer.testing import CliRunner

from babelvlm.cli import app
from babelvlm.tasks.base import LoadOptions
from babelvlm.tasks.registry import get_task
from conftest import png_bytes

runner = CliRunner()


def _run(task: str, data: Path, forward: dict[str, str], tmp_path: Path) -> Path:
    rules = [{"contains": ["into French", f"\n\n{k}"], "reply": v} for k, v in forward.items()]
    rules += [{"contains": ["into English", f"\n\n{v}"], "reply": k} for k, v in forward.items()]
    (tmp_path / "rules.json").write_text(json.dumps(rules, ensure_ascii=False))
    encoder = build_tiny_encoder(tmp_path / "enc", [*forward, *forward.values()])
    out = tmp_path / "out"
    result = runner.invoke(
        app,
        [
            "translate",
            "--task",
            task,
            "--data",
            str(data),
            "--to",
            "fr",
            "--translator",
            "mock:script",
            "-M",
            f"file={tmp_path / 'rules.json'}",
            "--out",
            str(out),
            "--encoder",
            f"hf:{encoder}",
        ],
    )
    assert result.exit_code == 0, result.output
    return out


def test_xtvqa_jsonl_gets_question_fr(tmp_path: Path) -> None:
    (tmp_path / "img.png").write_bytes(png_bytes())
    row = {
        "dataset": "textvqa",
        "id": "7",
        "image": "img.png",
        "question_en": "what is the brand?",
        "question_zh": "这是什么品牌？",
        "answers": ["nike"],
        "source_lang": "en",
    }
    (tmp_path / "data.jsonl").write_text(json.dumps(row, ensure_ascii=False) + "\n")
    out = _run("xtvqa", tmp_path / "data.jsonl", {"what is the brand?": "quelle est la marque ?"}, tmp_path)
    written = json.loads((out / "data.jsonl").read_text())
    assert written["question_fr"] == "quelle est la marque ?" and written["question_zh"] == "这是什么品牌？"
    samples = list(get_task("xtvqa").load(LoadOptions(data=out / "data.jsonl", langs=["fr"])))
    assert len(samples) == 1 and samples[0].prompt.startswith("quelle est la marque ?")
    assert samples[0].images[0].read_bytes() == png_bytes()


def test_multiexpart_json_is_rerendered_in_the_target_template(tmp_path: Path) -> None:
    row = {
        "text_id": 1,
        "title": "Mona Lisa",
        "en_title": "Mona Lisa",
        "lang": "en",
        "source_lang": "en",
        "target_lang": "en",
        "image_url": "https://x/mona.jpg",
        "en_image_url": "https://x/mona.jpg",
        "template": "en_template1_section",
        "prompt": "Focus on Mona Lisa and explain the Abstract.",
        "gold": "The Mona Lisa is a portrait by Leonardo da Vinci.",
        "gold_entity": ["Leonardo da Vinci"],
    }
    (tmp_path / "mea.json").write_text(json.dumps([row]))
    forward = {
        "Mona Lisa": "La Joconde",
        "Abstract": "Résumé",
        "Leonardo da Vinci": "Léonard de Vinci",
        "The Mona Lisa is a portrait by Leonardo da Vinci.": "La Joconde est un portrait de Léonard.",
    }
    out = _run("multiexpart_full", tmp_path / "mea.json", forward, tmp_path)
    [written] = json.loads((out / "mea_fr.json").read_text())
    assert written["lang"] == "fr" and written["template"] == "fr_template1_section"
    assert written["gold_entity"] == ["Léonard de Vinci"] and written["en_section"] == "Abstract"
    assert "La Joconde" in written["prompt"] and "Résumé" in written["prompt"]
    samples = list(
        get_task("multiexpart_full").load(LoadOptions(data=out / "mea_fr.json", langs=["fr", "en"]))
    )
    assert {s.meta["pattern"] for s in samples} == {"en-L", "L-en", "L-L"}
    en_l = next(s for s in samples if s.meta["pattern"] == "en-L")
    assert en_l.prompt.startswith("Focus on Mona Lisa and explain the Abstract.")
