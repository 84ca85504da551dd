"""``babelvlm experiment organism``: the papers' claims tested on the model organism, end to end.

Stages (each resumable: a finished stage is found and skipped when the command is run again):

1. ``parts``: the language model dequantised into the user cache (once per machine).
2. ``assemble``: the organism (frozen EfficientNet-Lite0 -> fresh projector -> SmolLM2-135M-Instruct).
3. ``data``: stage-1 captions and, per seed, the arms' instruction data (LLaVA JSONL, XT-VQA JSONL).
4. ``wiring``: one fixed batch overfit through ``babelvlm train``; answers with own vs shuffled images.
5. ``stage1``: projector alignment on English captions, shared by every arm and seed.
6. ``arms``: per arm and seed, ``babelvlm train`` from stage 1, then ``babelvlm analyze mi`` (which runs
   ``babelvlm eval`` on the evaluation scenes and both MI passes). Run ``workers`` at a time.
7. ``summary``: held-out wiring of arm A, ``organism.json`` (CIs from the paired bootstrap), the claims,
   ``report.html`` and ``compare.html``.

Arms (the data decides A/B, the recipe C/D): A English-only instruction tuning; B 90/10 multilingual;
C MVCL-MI on English-source parallel questions; D Parrot's MoE on B's data.
"""

from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import asdict, dataclass, field, replace
from multiprocessing import get_context
from pathlib import Path
from typing import Any

from babelvlm.atomic import write_text_atomic
from babelvlm.errors import ConfigError

log = logging.getLogger(__name__)
RECIPES = Path(__file__).with_name("recipes")
ARMS: dict[str, dict[str, str]] = {
    "A": {"recipe": "sft.yaml", "data": "english", "label": "English-only SFT"},
    "B": {"recipe": "sft.yaml", "data": "mixed", "label": "multilingual SFT (90/10)"},
    "C": {"recipe": "mvcl_mi.yaml", "data": "parallel", "label": "MVCL-MI (parallel questions)"},
    "D": {"recipe": "parrot.yaml", "data": "mixed", "label": "Parrot MoE (90/10 data)"},
}
STAGE1_SEED = 50
"""Scenes of the stage-1 captions (the evaluation uses seed 0; arm data uses 100 + the run seed)."""
WIRING_SEED = 11
EVAL_SEED = 0


@dataclass(frozen=True)
class ExperimentConfig:
    """Everything that decides the experiment's numbers (written to ``DIR/settings.json``)."""

    out: Path
    seeds: tuple[int, ...] = (1, 2, 3)
    language: str = "smollm2"
    stage1_steps: int = 120
    arm_steps: int = 100
    eval_scenes: int = 5
    """Evaluation scenes per question type (x 5 question types x 7 languages)."""
    en_share_mixed: float = 0.9
    workers: int = 2
    arms: tuple[str, ...] = ("A", "B", "C", "D")
    quick: bool = False

    def settings(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("out")
        data.pop("workers")  # changes the time, not the numbers
        data["seeds"] = list(self.seeds)
        data["arms"] = list(self.arms)
        return data


def quick(config: ExperimentConfig) -> ExperimentConfig:
    """``--quick``: one seed, fewer steps, fewer evaluation scenes (a CI-sized run of every stage)."""
    return replace(config, seeds=config.seeds[:1], stage1_steps=40, arm_steps=40, eval_scenes=4, quick=True)


@dataclass
class Timings:
    """Seconds per stage, kept in ``DIR/timings.json`` (stages skipped on a resumed run keep their time)."""

    path: Path
    stages: dict[str, float] = field(default_factory=dict)

    def load(self) -> Timings:
        if self.path.is_file():
            self.stages = {k: float(v) for k, v in json.loads(self.path.read_text(encoding="utf-8")).items()}
        return self

    def record(self, stage: str, seconds: float) -> None:
        self.stages[stage] = round(seconds, 1)
        write_text_atomic(self.path, json.dumps(self.stages, indent=1) + "\n")


def _timed(timings: Timings, stage: str, action: Callable[[], Any], say: Callable[[str], None]) -> Any:
    say(f"[{stage}] ...")
    started = time.perf_counter()
    result = action()
    seconds = time.perf_counter() - started
    if stage not in timings.stages or stage == "summary":  # a stage finished before keeps its time
        timings.record(stage, seconds)
    say(f"[{stage}] done in {seconds:.0f} s")
    return result


def _check_settings(config: ExperimentConfig) -> None:
    """A directory holds one experiment: resuming with other settings is refused, naming the key."""
    path = config.out / "settings.json"
    current = config.settings()
    if path.is_file():
        saved = json.loads(path.read_text(encoding="utf-8"))
        changed = sorted(k for k in set(saved) | set(current) if saved.get(k) != current.get(k))
        if changed:
            raise ConfigError(
                f"{config.out} holds an experiment with other settings ({', '.join(changed)}) "
                "(fix: another --out, or delete the directory)"
            )
    config.out.mkdir(parents=True, exist_ok=True)
    write_text_atomic(path, json.dumps(current, indent=1) + "\n")


def run_experiment(config: ExperimentConfig, say: Callable[[str], None] = print) -> dict[str, Any]:
    """Every stage (module doc); returns ``organism.json``'s content."""
    from babelvlm.experiments.organism import parts
    from babelvlm.experiments.organism.summary import write_summary

    unknown = sorted(set(config.arms) - set(ARMS))
    if unknown or "A" not in config.arms:
        raise ConfigError(
            f"arms {list(config.arms)}: A (the baseline) and only {sorted(ARMS)} (fix: --arms A,B,C,D)"
        )
    _check_settings(config)
    timings = Timings(config.out / "timings.json").load()
    _timed(timings, "parts", lambda: parts.language_model_dir(config.language), say)
    organism = _timed(timings, "assemble", lambda: _assemble(config), say)
    _timed(timings, "data", lambda: _write_data(config), say)
    _timed(timings, "wiring", lambda: _wiring(config, organism), say)
    stage1 = _timed(timings, "stage1", lambda: _stage1(config, organism), say)
    jobs = [ArmJob(arm, seed, config, stage1) for seed in config.seeds for arm in config.arms]
    measured_before = "arms" in timings.stages
    arm_times = _timed(timings, "arms", lambda: _run_jobs(jobs, config.workers, say), say)
    if not measured_before:
        write_text_atomic(
            config.out / "arm_timings.json",
            json.dumps({f"{j.arm} seed {j.seed}": round(t, 1) for j, t in arm_times}, indent=1) + "\n",
        )
    result: dict[str, Any] = _timed(timings, "summary", lambda: write_summary(config, timings), say)
    return result


def _assemble(config: ExperimentConfig) -> Path:
    from babelvlm.experiments.organism import data
    from babelvlm.experiments.organism.assemble import assemble_organism

    out = config.out / "organism"
    if (out / "organism.json").is_file():
        return out
    captions = data.write_caption_jsonl(
        config.out / "data" / "captions", STAGE1_SEED, _caption_scenes(config)
    )
    images = sorted((captions.parent / "images").glob("*.png"))[:200]
    from PIL import Image

    return assemble_organism(out, [Image.open(p).convert("RGB") for p in images], language=config.language)


def _caption_scenes(config: ExperimentConfig) -> int:
    """Scenes per question type so that stage 1 sees each caption about once (16 per step, 5 types)."""
    return max(8, config.stage1_steps * 16 // 5)


ARM_BATCH = 8
"""Conversations per step in arms A, B and D (arm C: 2 parallel items = 8 sequences)."""


def _arm_scenes(config: ExperimentConfig) -> int:
    """Scenes per question type so that an arm sees each training conversation about once."""
    return max(8, config.arm_steps * ARM_BATCH // 5)


def arm_data_dir(config: ExperimentConfig, seed: int, kind: str) -> Path:
    return config.out / "data" / f"seed{seed}" / kind


def _write_data(config: ExperimentConfig) -> None:
    """Instruction data per seed: English-only, 90/10 mixed (same scenes) and parallel questions."""
    from babelvlm.experiments.organism import data
    from babelvlm.tasks import organism_scenes

    for seed in config.seeds:
        scenes = _arm_scenes(config)
        english = arm_data_dir(config, seed, "english")
        if not (english / "train.jsonl").is_file():
            data.write_llava_jsonl(english, 100 + seed, scenes, en_share=1.0)
        mixed = arm_data_dir(config, seed, "mixed")
        if not (mixed / "train.jsonl").is_file():
            data.write_llava_jsonl(mixed, 100 + seed, scenes, en_share=config.en_share_mixed)
        parallel = arm_data_dir(config, seed, "parallel")
        if not (parallel / "parallel.jsonl").is_file():
            data.write_parallel_jsonl(parallel, 100 + seed, scenes, list(organism_scenes.languages()))


def _wiring(config: ExperimentConfig, organism: Path) -> dict[str, Any]:
    """Overfit one fixed, answer-balanced batch of English colour questions, then answer them with their
    own and with shuffled images (``DIR/wiring/wiring.json``)."""
    from babelvlm.experiments.organism import data, wiring
    from babelvlm.train.run import train

    folder = config.out / "wiring"
    done = folder / "wiring.json"
    if done.is_file():
        result: dict[str, Any] = json.loads(done.read_text(encoding="utf-8"))
        return result
    batch = data.balanced(
        data.task_samples(seed=WIRING_SEED, scenes=40, langs=["en"], qtypes=["colour"]), per_answer=2
    )
    train_file = data.write_samples(folder / "batch", batch)
    steps = 8 if config.quick else 12
    summary = train(
        str(RECIPES / "wiring.yaml"),
        f"hf:{organism}",
        str(train_file),
        folder / "trained",
        ["batch_size=8", f"max_steps={steps}"],
    )
    rows = [
        json.loads(line)
        for line in (folder / "trained" / "train_log.jsonl").read_text(encoding="utf-8").splitlines()
    ]
    losses = [float(row["loss"]) for row in rows if "loss" in row]
    check = wiring.image_dependence(f"hf:{folder / 'trained'}", batch)
    result = {"steps": summary.get("steps", steps), "first_loss": losses[0], "last_loss": losses[-1], **check}
    write_text_atomic(done, json.dumps(result, indent=1) + "\n")
    return result


def _stage1(config: ExperimentConfig, organism: Path) -> Path:
    from babelvlm.train.run import train

    out = config.out / "stage1"
    captions = config.out / "data" / "captions" / "train.jsonl"
    train(
        str(RECIPES / "stage1.yaml"),
        f"hf:{organism}",
        str(captions),
        out,
        [f"max_steps={config.stage1_steps}"],
    )
    return out


@dataclass(frozen=True)
class ArmJob:
    """One arm and seed: train from stage 1, then evaluate with MI."""

    arm: str
    seed: int
    config: ExperimentConfig
    stage1: Path

    @property
    def folder(self) -> Path:
        return self.config.out / "arms" / self.arm / f"seed{self.seed}"


def arm_eval_dir(config: ExperimentConfig, arm: str, seed: int) -> Path:
    return config.out / "arms" / arm / f"seed{seed}" / "eval"


def run_arm(job: ArmJob, threads: int = 0) -> tuple[ArmJob, float]:
    """Train (or resume, or find finished) and evaluate one arm and seed; returns the seconds spent."""
    started = time.perf_counter()
    if threads:
        import torch

        torch.set_num_threads(threads)
    from babelvlm.analysis.mi_run import MIConfig, run_mi
    from babelvlm.train.run import train

    spec = ARMS[job.arm]
    data_dir = arm_data_dir(job.config, job.seed, spec["data"])
    data_file = data_dir / ("parallel.jsonl" if spec["data"] == "parallel" else "train.jsonl")
    model = job.folder / "model"
    overrides = [f"seed={job.seed}", f"max_steps={job.config.arm_steps}"]
    train(str(RECIPES / spec["recipe"]), f"hf:{job.stage1}", str(data_file), model, overrides)
    out = arm_eval_dir(job.config, job.arm, job.seed)
    if not (out / "mi.json").is_file():
        run_mi(
            MIConfig(
                model=f"hf:{model}",
                tasks=["organism"],
                out=out,
                model_options={"batch_size": "16"},
                task_options={"scenes": str(job.config.eval_scenes)},
                seed=EVAL_SEED,
            )
        )
    return job, time.perf_counter() - started


def _worker_setup() -> None:
    os.environ.setdefault("TQDM_DISABLE", "1")  # interleaved progress bars from parallel runs are noise
    logging.basicConfig(level=logging.WARNING)


def _run_jobs(jobs: Sequence[ArmJob], workers: int, say: Callable[[str], None]) -> list[tuple[ArmJob, float]]:
    """All arm jobs, ``workers`` processes at a time (one thread each when several: on a small CPU two
    single-threaded runs finish sooner than two two-threaded runs one after the other)."""
    done: list[tuple[ArmJob, float]] = []
    if workers <= 1:
        for job in jobs:
            say(f"[arm {job.arm} seed {job.seed}] training and evaluating ...")
            done.append(run_arm(job))
            say(f"[arm {job.arm} seed {job.seed}] {done[-1][1]:.0f} s")
        return done
    with ProcessPoolExecutor(workers, mp_context=get_context("spawn"), initializer=_worker_setup) as pool:
        futures = [pool.submit(run_arm, job, 1) for job in jobs]
        say(f"[arms] {len(jobs)} runs, {workers} at a time ...")
        for future in as_completed(futures):
            job, seconds = future.result()
            say(f"[arm {job.arm} seed {job.seed}] {seconds:.0f} s")
            done.append((job, seconds))
    return done
