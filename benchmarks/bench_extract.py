"""Answer extraction throughput: ``extract_choice`` and ``extract_yes_no`` on every MCQ / yes-no output.

Outputs are MMBench/POPE-shaped (bare letters, cue phrases, restated option texts, yes/no sentences with
negation and hedging) in all registry languages, plus the adversarial shapes the extractor now reads
(hedges and affirmations built on negative words, answers in another language, several or rejected
letters, letters in other scripts); every text is unique so no text cache helps. On one core, it times
today's extractors against the implementation before the adversarial-proof rewrite (loaded from git at
``BASELINE_COMMIT``, measured in the same run on the same outputs) and prints outputs/s for both, their
ratio, and how many answers the two read differently. Target: >= 20,000 outputs/s.

    .venv/bin/python benchmarks/bench_extract.py [--n 20000] [--baseline-commit REV]
"""

from __future__ import annotations

import argparse
import random
import subprocess
import sys
import time
import types
from collections.abc import Callable
from pathlib import Path

from babelvlm.langs import LANGUAGES
from babelvlm.metrics.extract import extract_choice, extract_yes_no

BASELINE_COMMIT = "bccd05a7eaeaecf7ea55ee205fd64c0eb3737b80"
"""main before issue 12: the extractors as they were (English-or-prompt-language words only)."""

OPTIONS = {"A": "a cat on a mat", "B": "a dog", "C": "a red car", "D": "a car"}
CHOICE_TEMPLATES = [
    "{L}", "({L})", "（{L}）", "{L}．", "The answer is {L}.", "答案是{L}", "La réponse est {L}",
    "Antwort: {L}", "{L}. {T}", "I think it is {T}, so {L}.", "It shows {T}.", "Either A or B, hard to say.",
    "The answer is A and B.", "Not {L}.", "(A) is incorrect; ({L}) is correct.", "Ответ: Б", "Ⓒ",
]  # fmt: skip
YES_NO_TEMPLATES = [
    "{Y}", "{N}.", "{Y}, there is one in the picture #{i}.", "{N}, nothing like that in image {i}.",
    "I don't know ({i}).", "The answer is {N} ({i}).", "{Y} {i}", "No idea ({i}).", "没错 {i}",
    "Oui, il y a un chat ({i}).", "There is no doubt that it is one ({i}).",
]  # fmt: skip

Extractors = tuple[Callable[[str, dict[str, str], str], str | None], Callable[[str, str], str | None]]


def make_outputs(n: int, seed: int = 0) -> list[tuple[str, str, str]]:
    """``n`` unique (kind, text, lang) outputs spread over every registry language."""
    rng = random.Random(seed)
    codes = sorted(LANGUAGES)
    out = []
    for i in range(n):
        lang = codes[i % len(codes)]
        if i % 2:
            letter = rng.choice("ABCD")
            text = rng.choice(CHOICE_TEMPLATES).format(L=letter, T=OPTIONS[letter])
            out.append(("choice", f"{text} [{i}]", lang))
        else:
            row = LANGUAGES[lang]
            text = rng.choice(YES_NO_TEMPLATES).format(Y=rng.choice(row.yes), N=rng.choice(row.no), i=i)
            out.append(("yes_no", text, lang))
    return out


def baseline_extractors(commit: str) -> Extractors:
    """``extract_choice`` and ``extract_yes_no`` as they were at ``commit``, from git, as a private module
    (its own copy of the phrase table, so neither version's caches help the other)."""
    root = Path(__file__).resolve().parent.parent

    def source(path: str) -> str:
        return subprocess.run(
            ["git", "show", f"{commit}:{path}"], cwd=root, capture_output=True, text=True, check=True
        ).stdout

    words = types.ModuleType("baseline_answer_words")
    exec(
        compile(source("src/babelvlm/metrics/answer_words.py"), "baseline_answer_words", "exec"),
        words.__dict__,
    )
    sys.modules["baseline_answer_words"] = words
    code = source("src/babelvlm/metrics/extract.py").replace(
        "from babelvlm.metrics.answer_words import", "from baseline_answer_words import"
    )
    old = types.ModuleType("baseline_extract")
    sys.modules["baseline_extract"] = old  # dataclasses look their module up while the class is built
    exec(compile(code, "baseline_extract", "exec"), old.__dict__)
    return old.extract_choice, old.extract_yes_no


def run(outputs: list[tuple[str, str, str]], extractors: Extractors) -> list[str | None]:
    choice, yes_no = extractors
    return [
        choice(text, OPTIONS, lang) if kind == "choice" else yes_no(text, lang)
        for kind, text, lang in outputs
    ]


def timed(outputs: list[tuple[str, str, str]], extractors: Extractors) -> tuple[float, list[str | None]]:
    run(outputs[:300], extractors)  # warm up imports and compiled patterns
    start = time.perf_counter()
    answers = run(outputs, extractors)
    return len(outputs) / (time.perf_counter() - start), answers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20000)
    parser.add_argument("--baseline-commit", default=BASELINE_COMMIT)
    args = parser.parse_args()
    outputs = make_outputs(args.n)
    old_rate, old = timed(outputs, baseline_extractors(args.baseline_commit))
    new_rate, new = timed(outputs, (extract_choice, extract_yes_no))
    known = sum(a is not None for a in new) / len(new)
    changed = sum(a != b for a, b in zip(old, new, strict=True))
    print(f"outputs: {len(outputs)} ({known:.0%} extracted, the rest hedged/ambiguous -> None)")
    print(f"baseline ({args.baseline_commit[:7]}): {old_rate:,.0f} outputs/s")
    print(f"now:                {new_rate:,.0f} outputs/s  (target 20,000: ratio {new_rate / 20000:.2f})")
    print(f"now / baseline: {new_rate / old_rate:.2f}x")
    print(f"answers read differently from the baseline: {changed} ({changed / len(new):.1%})")


if __name__ == "__main__":
    main()
