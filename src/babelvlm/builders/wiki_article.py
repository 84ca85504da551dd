"""One Wikipedia article -> its image and its informative sections with their entities (seed 000 section 4,
Appendix F), parsed with mwparserfromhell.

Sections follow the heading levels: level 2 = section, 3 = subsection, 4 = sub-subsection (deeper headings
stay in their parent's text); the lead is the section named by ``lead_section`` ("Abstract", as in
Appendix K). A heading on the language's Appendix F list drops that section with everything under it.
A section's text is its own prose (references, templates, files, tables and categories removed); its
entities are the strings of its hyperlinks to other articles, in order, repeats kept (the ``gold_entity``
multiset). The image is the infobox's image parameter, else the first file link, as a Commons URL.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from babelvlm.builders.wiki_dump import wiki_config

LEVELS = ("section", "subsection", "subsubsection")
_SPACE = re.compile(r"\s+")
_DROP_TAGS = {"ref", "references", "gallery", "math", "timeline", "table"}


@dataclass(frozen=True)
class Section:
    """One informative section: its path (1-3 heading names), its text and its entities."""

    path: tuple[str, ...]
    text: str
    entities: list[str]
    lead: bool = False

    @property
    def level(self) -> str:
        return LEVELS[len(self.path) - 1]


def commons_url(file_name: str) -> str:
    """The upload.wikimedia.org URL of a Commons file (the MD5-of-name directory layout)."""
    name = file_name.strip().replace(" ", "_")
    name = name[:1].upper() + name[1:]
    digest = hashlib.md5(name.encode("utf-8")).hexdigest()
    return f"https://upload.wikimedia.org/wikipedia/commons/{digest[0]}/{digest[:2]}/{quote(name)}"


def _prefixed(title: str, prefixes: set[str]) -> bool:
    head, sep, _ = title.partition(":")
    return bool(sep) and (
        head.strip().lower() in prefixes or (len(head.strip()) in (2, 3) and head.islower())
    )


def _image(code: Any) -> str | None:
    config = wiki_config()
    infoboxes = {n.lower().replace("_", " ") for names in config["infoboxes"].values() for n in names}
    params = set(config["image_params"])
    for template in code.filter_templates(recursive=False):
        if str(template.name).strip().lower().replace("_", " ") in infoboxes:
            for param in template.params:
                value = str(param.value.strip_code()).strip() if str(param.name).strip() in params else ""
                if value:
                    return value.split(":", 1)[1] if ":" in value else value
    prefixes = {p.lower() for p in config["file_prefixes"]}
    for link in code.filter_wikilinks():
        head, sep, name = str(link.title).partition(":")
        if sep and head.strip().lower() in prefixes and name.strip():
            return name.strip()
    return None


def _clean(code: Any, prefixes: set[str]) -> tuple[str, list[str]]:
    """The prose of a section node list and its link entities."""
    import mwparserfromhell

    entities: list[str] = []
    for node in list(code.nodes):
        if isinstance(node, mwparserfromhell.nodes.Tag) and str(node.tag).lower() in _DROP_TAGS:
            code.remove(node)
        elif isinstance(node, mwparserfromhell.nodes.Wikilink):
            if _prefixed(str(node.title), prefixes):
                code.remove(node)
                continue
            shown = (node.text.strip_code() if node.text else str(node.title).split("#")[0]).strip()
            if shown:
                entities.append(shown)
        elif isinstance(node, mwparserfromhell.nodes.Heading):
            code.remove(node)
    text = code.strip_code(normalize=True, collapse=True)
    text = re.sub(r"\{\|.*?\|\}", " ", text, flags=re.DOTALL)  # wiki tables left by strip_code
    return _SPACE.sub(" ", text).strip(), entities


def parse_article(text: str, lang: str) -> tuple[str | None, list[Section], int]:
    """(image file name or None, informative sections, number of excluded sections) of an article."""
    import mwparserfromhell

    config = wiki_config()
    excluded = {s.casefold() for s in config["excluded_sections"].get(lang, [])}
    prefixes = {p.lower() for p in config["file_prefixes"] + config["non_entity_prefixes"]}
    code = mwparserfromhell.parse(text)
    image = _image(code)
    path: list[str] = [config["lead_section"].get(lang, "Abstract")]
    skip_below: int | None = None
    sections, dropped = [], 0
    for part in code.get_sections(flat=True, include_lead=True):
        headings = part.filter_headings(recursive=False)
        lead = not (headings and part.nodes and part.nodes[0] is headings[0])
        if not lead:
            level = min(headings[0].level, 4)
            name = headings[0].title.strip_code().strip()
            if skip_below is not None and level > skip_below:
                continue
            skip_below = None
            if name.casefold() in excluded:
                skip_below, dropped = level, dropped + 1
                continue
            path = [*path[: max(0, level - 2)], name]
            if len(path) != level - 1:  # a level skipped (== then ====): no parent to hang it on
                continue
        prose, entities = _clean(part, prefixes)
        if prose:
            sections.append(Section(tuple(path), prose, entities, lead))
    return image, sections, dropped
