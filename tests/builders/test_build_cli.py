"""``babelvlm build webcorpus`` from the command line: an image folder with alt texts -> parquet pairs."""

from __future__ import annotations

import json
from pathlib import Path

import pyarrow.parquet as pq
from step_harness import image_bytes
from typer.testing import CliRunner
from web_fixtures import pattern_png

from babelvlm.cli import app


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "photos"
    folder.mkdir()
    captions = [
        "浅草寺の雷門の写真",
        "スクリーンショット 2023-05-01",
        "Tower Bridge",
        "夜の東京タワーと街の灯り",
    ]
    for k, caption in enumerate(captions):
        (folder / f"p{k}.jpg").write_bytes(pattern_png(k, 300, 240))
        (folder / f"p{k}.txt").write_text(caption, encoding="utf-8")
    (folder / "tiny.png").write_bytes(image_bytes(100, 100))
    (folder / "tiny.txt").write_text("小さすぎる画像です", encoding="utf-8")
    return folder


def test_image_folder_to_parquet_pairs(tmp_path: Path) -> None:
    out = tmp_path / "out"
    args = ["build", "webcorpus", "--input", str(_folder(tmp_path)), "--out", str(out), "--format", "parquet"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "SKIPPED (model not available) pairs/clip_bottom_fraction" in result.output
    stats = json.loads((out / "stats.json").read_text(encoding="utf-8"))
    rows = {r["name"]: r for r in stats["steps"]}
    assert rows["pairs/read_images"]["in"] == 5
    assert rows["pairs/alt_screenshot_name"]["dropped"] == {"screenshot name": 1}
    assert rows["pairs/min_side"]["dropped"] == {"side<150": 1}
    table = pq.read_table(out / "pairs" / "shards" / "00000.parquet").to_pylist()
    captions = sorted(json.loads(r["json"])["caption"] for r in table)
    assert captions == ["夜の東京タワーと街の灯り", "浅草寺の雷門の写真"]
    assert all(len(r["images"]) == 1 and r["images"][0][:2] == b"\x89P" for r in table)
    manifest = json.loads((out / "pairs" / "manifest.json").read_text())
    assert manifest["samples"] == 2 and manifest["shards"][0]["path"] == "shards/00000.parquet"


def test_interleaved_from_images_is_a_user_error(tmp_path: Path) -> None:
    args = [
        "build",
        "webcorpus",
        "--input",
        str(_folder(tmp_path)),
        "--out",
        str(tmp_path / "o"),
        "--kind",
        "interleaved",
    ]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and "--kind pairs" in result.output
