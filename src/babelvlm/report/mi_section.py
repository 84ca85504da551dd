"""The visual mutual information part of the run report (from ``mi.json``, issue 5): per-language table,
MI vs accuracy scatter with the correlation, entropy distributions of correct vs incorrect answers."""

from __future__ import annotations

from typing import Any

from babelvlm.report import figures
from babelvlm.report.page import esc, figure, fmt, slug, table


def _corr_text(corr: dict[str, Any]) -> str:
    if corr.get("pearson") is None:
        return f"correlation {corr.get('note', 'undefined')} (n={corr.get('n', 0)})"
    return (
        f"Pearson r = {corr['pearson']:.2f} (p = {fmt(corr.get('pearson_p'))}), "
        f"Spearman ρ = {fmt(corr.get('spearman'), 2)} (n = {corr.get('n')})"
    )


def _language_table(task: dict[str, Any]) -> str:
    rows = []
    for lang, s in task.get("by_language", {}).items():
        corr = s.get("mi_vs_correct", {})
        rows.append(
            [
                figures.lang_label(lang),
                s.get("n"),
                s.get("n_failed"),
                s.get("mean_mi"),
                s.get("mean_h_real"),
                s.get("mean_h_noise"),
                s.get("accuracy"),
                corr.get("pearson"),
                corr.get("spearman"),
            ]
        )
    head = [
        "language",
        "n",
        "failed",
        "mean MI",
        "H(Y|V,Q)",
        "H(Y|V_eps,Q)",
        "accuracy",
        "Pearson(MI, correct)",
        "Spearman(MI, correct)",
    ]
    return table(head, rows)


def _task_figures(name: str, task: dict[str, Any]) -> list[str]:
    out: list[str] = []
    points = [
        (lang, s["mean_mi"], s["accuracy"])
        for lang, s in task.get("by_language", {}).items()
        if s.get("mean_mi") is not None and s.get("accuracy") is not None
    ]
    corr = _corr_text(task.get("across_languages", {}))
    if points:
        svg = figures.scatter(
            points,
            f"{name}: MI vs accuracy per language\n{corr}",
            "mean MI (nats)",
            f"accuracy ({task.get('metric')})",
        )
        out.append(
            figure(
                f"fig-mi-{slug(name)}-scatter",
                svg,
                f"Mean visual MI against accuracy per question language; {corr}.",
            )
        )
    panels: dict[str, dict[str, list[float]]] = {}
    for lang, s in task.get("by_language", {}).items():
        ent = s.get("entropy", {})
        groups = {g: list(ent.get(g, {}).get("h_real", [])) for g in ("correct", "incorrect")}
        if any(groups.values()):
            panels[lang] = groups
    if panels:
        svg = figures.distributions(panels, f"{name}: H(Y|V,Q) of correct vs incorrect answers", "nats")
        out.append(
            figure(
                f"fig-mi-{slug(name)}-entropy",
                svg,
                "Conditional entropy of the answer under the real image, correct (metric >= 0.5) "
                "vs incorrect answers, per question language (as in Figure 3 of Cross-Lingual Text-Rich "
                "Visual Comprehension: An Information Theory Perspective).",
            )
        )
    return out


def mi_section(mi: dict[str, Any]) -> str:
    """The HTML section of an MI analysis."""
    parts = ['<section id="mi"><h2>Visual mutual information</h2>']
    parts.append(
        f'<p class="note">{esc(mi.get("sign", ""))} Noise image: clip(V + N(0, σ)) with σ = '
        f"{esc(mi.get('noise_sigma'))}, seed {esc(mi.get('seed'))}. Estimator: "
        f"<b>{esc(mi.get('estimator', 'full'))}</b>. Samples: {esc(mi.get('n_samples'))}, "
        f"failed: {esc(mi.get('n_failed'))}.</p>"
    )
    if mi.get("approximate"):
        parts.append(
            f'<p class="warn">Entropies are a top-k approximation (k = {esc(mi.get("top_k"))}): the backend '
            "returns only the top-k log-probabilities, so entropies are underestimated; compare only with "
            "runs using the same estimator.</p>"
        )
    for name, task in mi.get("tasks", {}).items():
        parts.append(f'<h3 id="mi-{slug(name)}">{esc(name)} (metric: {esc(task.get("metric"))})</h3>')
        parts.append(_language_table(task))
        parts.extend(_task_figures(name, task))
        failures = task.get("failures") or {}
        if failures:
            parts.append(table(["MI failure", "count"], sorted(failures.items(), key=lambda kv: -kv[1])))
    parts.append("</section>")
    return "\n".join(parts)
