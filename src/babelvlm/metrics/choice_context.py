"""What an answer says around each option letter it mentions (SPEC section 6): which letters it lists
together ("A and B", "A和B", "A와 B"), which it rejects ("not B", "不是B", "B is wrong", "Bではない",
"B değil") and which it marks right ("(B) is correct", "B是对的"). The words come from every registry
language's ``conj`` / ``reject_before`` / ``reject_after`` / ``reject_whole`` / ``accept_after`` rows:
letters are language-neutral and models drift languages, so all rows apply to every answer. A bare
negated copula rejects only when it is all the clause says ("B is not.", "Bではない", "B değil"): "B is not
a mammal" answers a "which is not ..." question and keeps B.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import cache

from babelvlm.metrics.answer_words import every_language
from babelvlm.metrics.phrase_regex import trie_pattern

_CLAUSE_END = re.compile(r"[.;!?。；！？\n,，、]")
_BARE = re.compile(r"^[\s)\]）】」'\"]+|[\s'\"]+$")
_AFTER_WINDOW = 40
_BEFORE_WINDOW = 30
_ARTICLES = ("the", "la", "le", "el", "il", "lo", "die", "der", "das", "de", "a", "o", "l'")


def _alternation(phrases: frozenset[str]) -> str:
    """``phrases`` as one regex whose matches do not start inside a word (scripts without spaces
    excepted) and, when they end in a Latin letter, do not end inside one ("correct" is not "correctly");
    one trie per kind of boundary."""
    groups: dict[tuple[bool, bool], set[str]] = {}
    for phrase in phrases:
        left = not "\u3000" <= phrase[0] < "\uac00"
        right = phrase[-1].isascii() and phrase[-1].isalpha()
        groups.setdefault((left, right), set()).add(phrase)
    return "|".join(
        ("(?<!\\w)" if left else "") + f"(?:{trie_pattern(group)})" + ("(?![a-z])" if right else "")
        for (left, right), group in sorted(groups.items())
    )


@dataclass(frozen=True)
class _ContextPatterns:
    connector: re.Pattern[str]
    reject_before: re.Pattern[str]
    after: re.Pattern[str]
    after_kind: dict[str, str]
    reject_whole: frozenset[str]


@cache
def _patterns() -> _ContextPatterns:
    """Compile the context words of every language once."""
    conj = _alternation(every_language("conj") - {"、", "/", "&"})
    articles = "|".join(re.escape(a) for a in _ARTICLES)
    options = _alternation(every_language("option"))
    reject, accept = every_language("reject_after"), every_language("accept_after")
    return _ContextPatterns(
        connector=re.compile(rf"\s*(?:[,，、/&]\s*)?(?:(?i:{conj})\s*)?"),
        reject_before=re.compile(
            rf"(?i:{_alternation(every_language('reject_before'))})\s*(?:(?i:{options})\s*)?"
            rf"(?:(?i:{articles})\s*)?[\s:\"'(\[<「【]*$"
        ),
        after=re.compile(rf"(?i:{_alternation(reject | accept)})"),
        after_kind={p.casefold(): "reject" for p in reject} | {p.casefold(): "accept" for p in accept},
        reject_whole=every_language("reject_whole"),
    )


@dataclass
class LetterContext:
    """The mentioned letters (start, end, key) in order, their groups, and the rejected / accepted keys."""

    mentions: list[tuple[int, int, str]]
    groups: list[int] = field(default_factory=list)
    """Group number of each mention: letters joined by a connector share one."""
    rejected: set[str] = field(default_factory=set)
    accepted: set[str] = field(default_factory=set)

    def group_at(self, position: int, key: str) -> set[str]:
        """The keys listed together with the letter at ``position`` ({key} when it stands alone)."""
        for (start, end, _), group in zip(self.mentions, self.groups, strict=True):
            if start <= position < end:
                return {k for (_, _, k), g in zip(self.mentions, self.groups, strict=True) if g == group}
        return {key}


def _after_window(text: str, start: int, stop: int) -> str:
    """The clause after a letter: up to the next clause mark, the next letter, or 40 characters."""
    end = min(stop, start + _AFTER_WINDOW)
    clause = _CLAUSE_END.search(text, start, end)
    return text[start : clause.start() if clause else end]


def letter_context(text: str, mentions: list[tuple[int, int, str]]) -> LetterContext:
    """Group the mentioned letters and find which the answer rejects or marks right."""
    patterns = _patterns()
    context = LetterContext(mentions)
    group = -1
    for i, (start, _end, key) in enumerate(mentions):
        gap = text[mentions[i - 1][1] : start] if i else ""
        joined = i > 0 and gap.strip() != "" and patterns.connector.fullmatch(gap) is not None
        group = group if joined else group + 1
        context.groups.append(group)
        if patterns.reject_before.search(text, max(0, start - _BEFORE_WINDOW), start):
            context.rejected.add(key)
    for number in set(context.groups):
        members = [m for m, g in zip(mentions, context.groups, strict=True) if g == number]
        last = mentions.index(members[-1])
        stop = mentions[last + 1][0] if last + 1 < len(mentions) else len(text)
        window = _after_window(text, members[-1][1], stop)
        found = patterns.after.search(window)
        if _BARE.sub("", window).casefold() in patterns.reject_whole:
            context.rejected.update(key for _, _, key in members)
        elif found:
            kind = patterns.after_kind.get(found.group(0).casefold())
            target = context.rejected if kind == "reject" else context.accepted
            target.update(key for _, _, key in members)
    return context
