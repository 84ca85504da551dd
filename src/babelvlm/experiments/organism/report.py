"""``DIR/report.html``: the organism experiment on one page (claims, per-language tables with CIs,
changes against arm A, wiring, time per stage, parts), linking to each run's own BabelVLM report and
to ``compare.html``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from babelvlm.report.page import esc, fmt, page, table


def _with_ci(value: Any, ci: Any, digits: int = 3) -> tuple[str, bool]:
    if value is None:
        return ("–", True)
    text = fmt(float(value), digits)
    if ci:
        text += f' <span class="ci">[{fmt(float(ci[0]), digits)}, {fmt(float(ci[1]), digits)}]</span>'
    return (text, True)


def _measure_table(result: dict[str, Any], measure: str, digits: int = 3) -> str:
    arms = result["arms"]
    langs: list[str] = []
    for arm in arms.values():
        langs += [lang for lang in arm[measure] if lang not in langs]
    rows = [
        [
            f"{name}: {arm['label']}",
            *(_with_ci(arm[measure].get(lang), arm["ci"][measure].get(lang), digits) for lang in langs),
        ]
        for name, arm in arms.items()
    ]
    return table(["arm", *langs], rows)


def _change_rows(result: dict[str, Any]) -> list[list[object]]:
    rows: list[list[object]] = []
    for name, arm in result["arms"].items():
        for base in ("A", "B"):
            change = arm.get(f"change_vs_{base}")
            if change:
                rows.append(
                    [
                        f"{name} - {base}",
                        *(_with_ci(change[k]["value"], change[k]["ci"]) for k in CHANGE_KEYS),
                    ]
                )
    return rows


CHANGE_KEYS = (
    "gap",
    "en_accuracy",
    "non_english_accuracy",
    "non_english_concept_accuracy",
    "non_english_fidelity",
    "non_english_mi",
)


def render_report(result: dict[str, Any], out: Path) -> str:
    """The whole page."""
    arms = result["arms"]
    claims = table(
        ["paper", "claim", "measure", "value [95 % CI]", "verdict"],
        [
            [c["paper"], c["claim"], c["measure"], _with_ci(c["value"], c["ci"]), c["verdict"]]
            for c in result["claims"]
        ],
        left=3,
    )
    gaps = table(
        [
            "arm",
            "gap (en - others)",
            "concept gap",
            "MI gap (nats)",
            "non-English fidelity",
            "excluded (failed, language unknown)",
            "final loss per seed",
        ],
        [
            [
                f"{name}: {arm['label']}",
                _with_ci(arm["gap"]["value"], arm["gap"]["ci"]),
                _with_ci(arm["concept_gap"]["value"], arm["concept_gap"]["ci"]),
                _with_ci(arm["mi_gap"]["value"], arm["mi_gap"]["ci"]),
                _with_ci(arm["non_english_fidelity"]["value"], arm["non_english_fidelity"]["ci"]),
                ", ".join(f"{k} {v}" for k, v in arm.get("n_failed", {}).items()) or "0",
                ", ".join(fmt(s.get("final_loss"), 4) for s in arm["seeds"]),
            ]
            for name, arm in arms.items()
        ],
    )
    wiring = result["wiring"]
    overfit = wiring["overfit"]
    wiring_rows = [
        [
            "one fixed batch, overfit",
            overfit["first_loss"],
            overfit["last_loss"],
            overfit["accuracy"],
            overfit["shuffled_image_accuracy"],
            overfit["chance"],
        ],
        [
            f"held-out English questions, {wiring.get('model', 'arm A')}",
            None,
            None,
            wiring["accuracy"],
            wiring["shuffled_image_accuracy"],
            wiring["chance"],
        ],
    ]
    links = " · ".join(
        f'<a href="arms/{esc(name)}/seed{s["seed"]}/eval/report.html">{esc(name)} seed {s["seed"]}</a>'
        for name, arm in arms.items()
        for s in arm["seeds"]
    )
    settings = result["settings"]
    boot = result["bootstrap"]
    lm_name = result["parts"]["language"].get("name", settings["language"])
    body = [
        "<h1>BabelVLM model organism: the papers' claims on a small VLM trained here</h1>",
        f"<p>Frozen EfficientNet-Lite0 → MLP projector → {esc(lm_name)}; "
        f"stage 1 ({settings['stage1_steps']} steps, English captions) shared by every arm; each arm "
        f"{settings['arm_steps']} steps from stage 1; seeds {esc(settings['seeds'])}; "
        f"{settings['eval_scenes']} evaluation scenes per question type × 5 types × every language. "
        f"CIs: {boot['confidence']:.0%} paired bootstrap over {esc(boot['unit'])}, "
        f"{boot['n_boot']} resamples. Total {result['minutes']:.1f} minutes.</p>",
        "<h2>Claims</h2>",
        claims,
        "<h2>Gap, MI gap and fidelity per arm</h2>",
        gaps,
        "<h2>Changes against arm A (and D against B), paired per seed and scene</h2>",
        table(["arms", *CHANGE_KEYS], _change_rows(result)),
        "<h2>Accuracy per question language</h2>",
        _measure_table(result, "accuracy"),
        "<h2>Concept accuracy (the right answer in any language)</h2>",
        _measure_table(result, "concept_accuracy"),
        "<h2>Output-language fidelity</h2>",
        _measure_table(result, "fidelity"),
        "<h2>Visual mutual information per question language (nats)</h2>",
        _measure_table(result, "mi"),
        "<h2>Wiring: do answers depend on the image?</h2>",
        table(["check", "first loss", "last loss", "accuracy", "shuffled images", "chance"], wiring_rows),
        "<h2>Time per stage (seconds)</h2>",
        table(["stage", "seconds"], [[k, v] for k, v in result["stages"].items()]),
        "<h2>Parts</h2>",
        table(
            ["part", "package", "version", "licence"],
            [
                [role, p.get("package", ""), p.get("version", ""), p.get("licence", p.get("license", ""))]
                for role, p in result["parts"].items()
            ],
            left=4,
        ),
        f"<p>Each run's own report: {links}. The arms' first seeds side by side: "
        '<a href="compare.html">compare.html</a>.</p>',
    ]
    return page("BabelVLM model organism", "\n".join(body))
