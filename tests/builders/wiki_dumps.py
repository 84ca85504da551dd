"""Small MediaWiki XML dumps (en, fr, ja) written by the MultiExpArt builder tests."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

HEADER = (
    '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xml:lang="{lang}">\n'
    "<siteinfo><sitename>W</sitename></siteinfo>\n"
)


def page(title: str, text: str, ns: int = 0, redirect: str | None = None) -> str:
    """One <page> element."""
    target = f'<redirect title="{escape(redirect)}" />' if redirect else ""
    return (
        f"<page><title>{escape(title)}</title><ns>{ns}</ns><id>1</id>{target}"
        f'<revision><id>2</id><text xml:space="preserve">{escape(text)}</text></revision></page>\n'
    )


def write_dump(path: Path, lang: str, pages: list[str]) -> Path:
    path.write_text(HEADER.format(lang=lang) + "".join(pages) + "</mediawiki>\n", encoding="utf-8")
    return path


MONA_LISA = """{{Infobox artwork
| image_file = Mona Lisa.jpg
| artist = [[Leonardo da Vinci]]
}}
The '''Mona Lisa''' is a portrait by [[Leonardo da Vinci]], kept in the [[Louvre]].<ref>{{cite|t=L}}</ref>

== History ==
Leonardo painted it in [[Florence]] for [[Lisa del Giocondo|Lisa]]'s husband.

=== Theft ===
It was stolen from the [[Louvre]] in 1911. [[File:Empty wall.jpg|thumb|The empty wall]]

== See also ==
The painting is often compared with [[La Belle Ferronnière]].

=== Parodies ===
[[Marcel Duchamp]] drew a moustache on a copy.

[[Category:Paintings by Leonardo da Vinci]]
[[fr:La Joconde]]
"""

SCREAM = """{{Infobox painting
| artist = [[Edvard Munch]]
}}
'''The Scream''' is a painting by [[Edvard Munch]].

[[fr:Le Cri]]
"""

JOCONDE = """{{Infobox Œuvre d'art
| image = Mona Lisa.jpg
}}
'''La Joconde''' est un portrait peint par [[Léonard de Vinci]].

== Histoire ==
Le tableau est entré au [[musée du Louvre]] sous [[François Ier]].

== Liens externes ==
* [[Base Joconde]]
"""

LE_CRI = """'''Le Cri''' est une peinture d'[[Edvard Munch]]. [[Fichier:The Scream.jpg|vignette|Le Cri]]
"""

MONA_JA = """[[ファイル:Mona Lisa.jpg|thumb]]
『'''モナ・リザ'''』は[[レオナルド・ダ・ヴィンチ]]が描いた肖像画。

== 脚注 ==
<references />

[[en:Mona Lisa]]
"""


def write_dumps(folder: Path) -> list[Path]:
    """en (two artworks, one without image; an ordinary article, a redirect, a talk page), fr, ja."""
    folder.mkdir(parents=True, exist_ok=True)
    en = write_dump(folder / "enwiki-test-pages-articles.xml", "en", [
        page("Mona Lisa", MONA_LISA), page("The Scream", SCREAM), page("Paris", "'''Paris''' is a city."),
        page("Mona lisa", "#REDIRECT [[Mona Lisa]]", redirect="Mona Lisa"), page("Talk:Mona Lisa", "x", ns=1),
    ])  # fmt: skip
    fr = write_dump(folder / "frwiki-test-pages-articles.xml", "fr", [
        page("La Joconde", JOCONDE), page("Le Cri", LE_CRI), page("Tour Eiffel", "La '''tour Eiffel'''."),
    ])  # fmt: skip
    ja = write_dump(folder / "jawiki-test-pages-articles.xml", "ja", [page("モナ・リザ", MONA_JA)])
    return [ja, fr, en]
