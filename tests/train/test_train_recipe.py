"""Recipes: shipped YAML typed on load, overrides, and clear errors for unknown keys and bad values."""

from __future__ import annotations

from pathlib import Path

import pytest

from babelvlm.errors import ConfigError
from babelvlm.train.recipe import list_recipes, load_recipe

PAPER_LRS = {
    "sft_lora": 1e-5,
    "vila_stage0": 1e-3,
    "vila_stage1": 5e-5,
    "vila_stage2": 1e-5,
    "parrot_stage1": 1e-3,
    "parrot_stage2": 2e-5,
    "mvcl_mi": 1e-6,
    "multilingual_sft": 2e-5,
}


def test_every_paper_setting_ships_with_its_learning_rate() -> None:
    recipes = list_recipes()
    assert {name: r.lr for name, r in recipes.items()} == PAPER_LRS
    assert recipes["sft_lora"].lora is not None and recipes["sft_lora"].lora.r == 64
    assert recipes["vila_stage0"].train == ["projector"]
    assert recipes["parrot_stage1"].moe.enabled is False
    assert recipes["parrot_stage2"].moe.enabled and recipes["parrot_stage2"].moe.experts == 6
    assert recipes["mvcl_mi"].loss == "mvcl_mi" and recipes["mvcl_mi"].weight_decay == 0.1


def test_overrides_are_typed_and_nested() -> None:
    recipe = load_recipe("sft_lora", ["max_steps=7", "lora.r=16", "lora.alpha=32", "modules.projector=a.b"])
    assert recipe.max_steps == 7 and recipe.lora is not None and recipe.lora.r == 16
    assert recipe.modules.projector == "a.b"


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ("learning_rate=1e-4", "unknown key 'learning_rate'"),
        ("lr=-1e-4", "key 'lr'"),
        ("lora.rank=8", "unknown key 'lora.rank'"),
        ("train=[vision,brain]", "key 'train.1'"),
        ("batch_size=0", "key 'batch_size'"),
        ("train=[moe]", "moe.enabled is false"),
    ],
)
def test_bad_recipe_values_name_the_key(override: str, message: str) -> None:
    with pytest.raises(ConfigError, match=r"sft_lora\.yaml") as info:
        load_recipe("sft_lora", override.split(";"))
    assert message in str(info.value)


def test_missing_key_value_pair_and_unknown_recipe() -> None:
    with pytest.raises(ConfigError, match="not key=value"):
        load_recipe("sft_lora", ["max_steps"])
    with pytest.raises(ConfigError, match="known recipes: multilingual_sft"):
        load_recipe("no_such_recipe")


def test_a_users_yaml_file(tmp_path: Path) -> None:
    path = tmp_path / "mine.yaml"
    path.write_text("name: mine\ntrain: [projector]\nlr: 3.0e-4\nwarmup_ratio: 0.1\n", encoding="utf-8")
    recipe = load_recipe(str(path))
    assert (recipe.name, recipe.lr, recipe.warmup_ratio, recipe.schedule) == ("mine", 3e-4, 0.1, "cosine")
    path.write_text("name: mine\ntrain: [projector]\nlr: 1e-3\nwarmpu_ratio: 0.1\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"unknown key .warmpu_ratio.*known keys: name"):
        load_recipe(str(path))
