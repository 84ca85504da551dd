"""``translate:<translator>+<model>``: the translate-test baseline with mock translator and model."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from PIL import Image

from babelvlm.engine.runner import EvalConfig, run_eval
from babelvlm.errors import ConfigError, UnknownNameError
from babelvlm.models.registry import load_model
from babelvlm.models.translate import TranslateTestModel, split_target, translation_prompt
from babelvlm.schema import Request

ENGLISH = "Question: What colour is the square?\nOptions:\nA. red\nB. green"


def _request(lang: str, prompt: str = "Question: De quelle couleur est le carré ?") -> Request:
    return Request(key=f"k-{lang}", task="t", sample_id=f"{lang}/1", prompt=prompt, lang=lang)


def test_split_target_finds_both_model_names() -> None:
    assert split_target("mock:constant+mock:echo") == ("mock:constant", "mock:echo")
    assert split_target("ocr+llamacpp:a+b.gguf+mock:echo") == ("ocr+llamacpp:a+b.gguf", "mock:echo")
    with pytest.raises(ConfigError, match="translate:<translator>"):
        split_target("mock:echo")


def test_the_model_sees_the_english_prompt() -> None:
    model = load_model("translate:mock:constant+mock:echo", {"translator.text": ENGLISH})
    assert isinstance(model, TranslateTestModel)
    fr, en = model.generate([_request("fr"), _request("en", "Question: What?")])
    assert fr.text == ENGLISH and fr.meta["translated_prompt"] == ENGLISH
    assert en.text == "Question: What?"  # English goes straight to the model


def test_translator_sees_the_whole_prompt_and_the_answer_goes_back() -> None:
    model = load_model("translate:mock:echo+mock:constant", {"model.text": "B", "back": "true"})
    [out] = model.generate([_request("fr")])
    # the echo translator returns its own request: the back-translation request of the answer "B"
    assert out.text == translation_prompt("B", "en", "fr", "back")
    assert "from English into French" in str(out.text)
    assert out.meta["translated_prompt"] == translation_prompt(_request("fr").prompt, "fr", "en")
    assert "De quelle couleur est le carré ?" in out.meta["translated_prompt"]


def test_a_failed_translation_fails_the_request() -> None:
    model = load_model("translate:mock:constant+mock:echo", {"translator.fail_rate": "1"})
    [out] = model.generate([_request("fr")])
    assert not out.ok and "translation into en failed" in str(out.error)


def test_bad_names_and_options() -> None:
    with pytest.raises(UnknownNameError):
        load_model("nope:x")
    with pytest.raises(ConfigError, match="unknown translate option"):
        load_model("translate:mock:echo+mock:echo", {"colour": "red"})
    with pytest.raises(ConfigError, match="back=maybe"):
        load_model("translate:mock:echo+mock:echo", {"back": "maybe"})


def _store_rows(run: Path) -> dict[str, tuple[str, int]]:
    with sqlite3.connect(run / "store.sqlite") as db:
        rows = db.execute("SELECT requests.key, outputs.text, requests.attempts FROM requests "
                          "JOIN outputs USING (key)").fetchall()  # fmt: skip
    return {key: (text, attempts) for key, text, attempts in rows}


def test_eval_keeps_both_calls_in_the_store_and_resume_resends_nothing(tmp_path: Path) -> None:
    data = tmp_path / "qa.jsonl"
    Image.new("RGB", (8, 8), (200, 0, 0)).save(tmp_path / "red.png")
    rows = [
        {"id": "1", "image": "red.png", "question": "Quelle couleur ?", "answers": ["red"], "lang": "fr"},
        {"id": "2", "image": "red.png", "question": "Welche Farbe?", "answers": ["red"], "lang": "de"},
    ]
    data.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    config = EvalConfig(model="translate:mock:constant+mock:echo", model_options={"translator.text": ENGLISH},
                        tasks=["jsonl"], data=data, out=tmp_path / "run", progress=False,
                        write_report=False)  # fmt: skip
    run_eval(config)
    first = _store_rows(tmp_path / "run")
    texts = [text for text, _ in first.values()]
    # 2 final answers, 2 translations (fr, de), 1 model call (both became the same English prompt + image)
    assert texts.count(ENGLISH) == len(texts) == 2 + 2 + 1
    assert all(attempts == 1 for _, attempts in first.values())
    samples = [json.loads(line) for line in (tmp_path / "run" / "samples.jsonl").read_text().splitlines()]
    assert [s["prediction"] for s in samples] == [ENGLISH, ENGLISH]
    run_eval(config)  # resume: nothing is sent again
    assert _store_rows(tmp_path / "run") == first
    with sqlite3.connect(tmp_path / "run" / "store.sqlite") as db:  # a run killed after the inner calls
        outer = [k for (k,) in db.execute("SELECT key FROM samples")]
        db.execute(f"DELETE FROM requests WHERE key IN ({','.join('?' * len(outer))})", outer)
        db.execute(f"DELETE FROM outputs WHERE key IN ({','.join('?' * len(outer))})", outer)
    run_eval(config)
    again = _store_rows(tmp_path / "run")
    assert again == first  # the final answers came back from the stored translation and model calls
