"""Word lists as fast regular expressions: one trie-shaped alternation per boundary kind.

Python's ``re`` tries the branches of an alternation one by one at every position, so a list of a few
hundred phrases (each with its own boundary assertions) costs ~50x more than the same list folded into a
trie (``no(?:ne|thing)?``) behind one shared boundary. Longest phrases still win: at each trie node the
longer continuations are tried before the node's own end.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

_Trie = dict[str, "_Trie"]
_END = ""


def trie_pattern(phrases: Iterable[str]) -> str:
    """A regex matching exactly ``phrases``, longest first, as a trie (hand-written: the one PyPI package
    for this, trieregex, is untyped and unmaintained since 2020). Empty input never matches."""
    root: _Trie = {}
    for phrase in phrases:
        node = root
        for char in phrase:
            node = node.setdefault(char, {})
        node[_END] = {}
    return _node_pattern(root) if root else "(?!)"


def _node_pattern(node: _Trie) -> str:
    branches = [re.escape(char) + _node_pattern(child) for char, child in sorted(node.items()) if char]
    if not branches:
        return ""
    ends_here = _END in node
    if len(branches) == 1 and not ends_here:
        return branches[0]
    return "(?:" + "|".join(branches) + ")" + ("?" if ends_here else "")


def bounded_phrases(phrases: Iterable[str], spaced: bool, suffixing: bool = False) -> str:
    """``phrases`` with word boundaries: whole words in spaced scripts, Latin-bounded ASCII phrases in
    unspaced ones (CJK phrases need none), a left boundary only for languages whose particles attach
    ("아니요입니다")."""
    ascii_words = {p for p in phrases if p.isascii()}
    other = {p for p in phrases if not p.isascii()}
    if spaced and not suffixing:
        return rf"(?<!\w){trie_pattern(ascii_words | other)}(?!\w)"
    groups = []
    if ascii_words:
        left, right = (r"(?<!\w)", r"(?!\w)") if spaced else (r"(?<![A-Za-z0-9])", r"(?![A-Za-z0-9])")
        groups.append(f"{left}{trie_pattern(ascii_words)}{right}")
    if other:
        groups.append(rf"(?<!\w){trie_pattern(other)}" if suffixing else trie_pattern(other))
    return "|".join(groups) or "(?!)"
