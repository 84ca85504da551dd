"""The English train/valid/test split of MultiExpArt's full setting (seed 000 Appendix D.2; SPEC 1).

English artworks are ranked by popularity indicators and split test/valid/train 2:2:6 so that the three
parts have the same average rank: in each block of ten consecutive artworks (by average rank) positions
0 and 9 go to test, 4 and 5 to valid, the rest to train (each part's mean position in the block is 4.5).
Artworks of the alignment settings are all test, and the other languages are test only, as in the paper.
The paper uses six indicators; a dump has four of them (links, references, language versions, length;
page views and edits are not in it), so those four are used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from babelvlm.builders.wiki_dump import LANGLINK

INDICATORS = ("links", "references", "language_versions", "length")
_BLOCK = ("test", "train", "train", "train", "valid", "valid", "train", "train", "train", "test")
_LINK = re.compile(r"\[\[(?!\s*[a-z]{2,3}\s*:)[^\]]+\]\]")
_REF = re.compile(r"<ref[\s>/]", re.IGNORECASE)


def indicators(wikitext: str) -> dict[str, int]:
    """The popularity indicators a dump has for one article."""
    return {
        "links": len(_LINK.findall(wikitext)),
        "references": len(_REF.findall(wikitext)),
        "language_versions": 1 + len(LANGLINK.findall(wikitext)),
        "length": len(wikitext),
    }


def _ranks(values: dict[str, int]) -> dict[str, float]:
    """Rank 1 = the largest value; ties share their mean rank."""
    ordered = sorted(values, key=lambda k: -values[k])
    ranks: dict[str, float] = {}
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and values[ordered[j + 1]] == values[ordered[i]]:
            j += 1
        for k in ordered[i : j + 1]:
            ranks[k] = (i + j) / 2 + 1
        i = j + 1
    return ranks


def english_splits(scores: dict[str, dict[str, int]], aligned: Iterable[str]) -> dict[str, str]:
    """English title -> test | valid | train (see the module docstring)."""
    forced = set(aligned)
    rest = {title: s for title, s in scores.items() if title not in forced}
    per_indicator = [_ranks({t: s[name] for t, s in rest.items()}) for name in INDICATORS]
    mean_rank = {t: sum(r[t] for r in per_indicator) / len(per_indicator) for t in rest}
    ordered = sorted(rest, key=lambda t: (mean_rank[t], t))
    splits = {title: "test" for title in forced if title in scores}
    splits.update({title: _BLOCK[i % len(_BLOCK)] for i, title in enumerate(ordered)})
    return splits
