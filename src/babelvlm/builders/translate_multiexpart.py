"""MultiExpArt JSON (seed 000 Appendix K) as a translatable benchmark file (see ``translate_formats``).

Rows of the source language are translated field by field: ``title``, the section path (explicit
``section``/``subsection``/``subsubsection`` fields, or recovered from ``prompt`` by inverting its template),
``gold`` and each ``gold_entity``. The translated row keeps ``text_id``, ``en_title``, the image URLs and the
English section path (``en_section``...), and its ``prompt`` is the target language's template filled with
the translated slots, so every MultiExpArt pattern (en-L, L-en, L-L) can be built from it.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from babelvlm.builders.translate_formats import Translations, Unit, renamed
from babelvlm.errors import DataError
from babelvlm.tasks.datafiles import Row, iter_rows
from babelvlm.tasks.multiexpart_prompts import LEVELS, TemplateId, parse_template_name, recover_slots, render


class MultiExpArtFile:
    """A MultiExpArt JSON/JSONL file (see the module docstring)."""

    def __init__(self, path: Path, source_lang: str | None = None) -> None:
        self.path, self.source_lang = path, source_lang or "en"

    def _rows(self) -> Iterator[tuple[str, Row, TemplateId, dict[str, str]]]:
        for row in iter_rows(self.path):
            if row.problem is not None:
                raise row.problem
            if row.fields.get("lang") != self.source_lang:
                continue
            template = parse_template_name(row.text("template") or "")
            if template is None:
                raise row.error("template", "not a template name", "use <lang>_template<1-4>_<level>")
            yield f"row{row.number}", row, template, self._slots(row, template)

    @staticmethod
    def _slots(row: Row, template: TemplateId) -> dict[str, str]:
        explicit = {k: str(row.fields[k]) for k in LEVELS if row.fields.get(k)}
        if explicit:
            return explicit
        title = row.text("title") or ""
        recovered = recover_slots(template, row.text("prompt") or "", title)
        if recovered is None:
            raise row.error("prompt", "does not follow its template", "add section/subsection fields")
        recovered.pop("title", None)
        return recovered

    def units(self) -> Iterator[Unit]:
        """title, section path, gold and entities of every source-language row."""
        for key, row, _template, slots in self._rows():
            yield Unit(key, "title", row.text("title") or "")
            yield from (Unit(key, level, text) for level, text in slots.items())
            yield Unit(key, "gold", row.text("gold") or "")
            entities = row.fields.get("gold_entity") or []
            if not isinstance(entities, list):
                raise row.error("gold_entity", "not a list", 'write ["...", ...]')
            yield from (Unit(key, f"gold_entity#{i}", str(e)) for i, e in enumerate(entities))

    def write(self, lang: str, translations: Translations, out: Path, drop: set[str]) -> Path:
        """``<name>_<lang>.json``: one translated row per source row not in ``drop``."""
        rows = [
            self._translated(key, row, t, slots, lang, translations)
            for key, row, t, slots in self._rows()
            if key not in drop
        ]
        target = out / renamed(self.path, lang, ".json")
        tmp = target.with_name(target.name + ".tmp")
        tmp.write_text(json.dumps(rows, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
        tmp.replace(target)
        return target

    def _translated(
        self, key: str, row: Row, template: TemplateId, slots: dict[str, str], lang: str, tr: Translations
    ) -> dict[str, Any]:
        fields = dict(row.fields)
        new_slots = {level: tr[(key, level)] for level in slots}
        title = tr[(key, "title")]
        entities = row.fields.get("gold_entity") or []
        for level, text in slots.items():
            fields.setdefault(f"en_{level}", text if self.source_lang == "en" else None)
        try:
            prompt = render(lang, template.number, template.level, {**new_slots, "title": title})
        except KeyError as exc:
            raise DataError(
                f"the {lang} template needs '{exc.args[0]}'", file=str(row.file), row=row.number, fix="add it"
            ) from None
        fields.update(
            {
                "title": title,
                "lang": lang,
                "source_lang": lang,
                "target_lang": lang,
                "template": f"{lang}_template{template.number}_{template.level}",
                "prompt": prompt,
                "gold": tr[(key, "gold")],
                "gold_entity": [tr[(key, f"gold_entity#{i}")] for i in range(len(entities))],
                **new_slots,
            }
        )
        return {k: v for k, v in fields.items() if v is not None}
