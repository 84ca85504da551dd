"""``babelvlm build multiexpart`` streams the dumps: peak memory stays flat as the dump grows.

Generates a synthetic English dump of ``--mb`` megabytes (ordinary ~2 KB articles, one artwork article with
infobox, sections, links and an interlanguage link per ``--artwork-every`` pages) plus a French dump with the
aligned articles, then builds MultiExpArt from it in a fresh process and reads the peak RSS of that
process and of any worker it started.
The same is done with a dump a quarter of the size (the baseline, same run): flat memory means the two
peaks are about equal. Target: peak < 300 MB on the full size (the issue's figure is for a 1 GB dump:
``--mb 1024``; the default keeps the run to a minute or two on a small machine).

    .venv/bin/python benchmarks/bench_wiki_memory.py [--mb 512] [--artwork-every 200]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

FILLER = " ".join(f"word{i % 97}" for i in range(300))
HEADER = '<mediawiki xmlns="http://www.mediawiki.org/xml/export-0.11/" xml:lang="{lang}">\n'


def _page(title: str, text: str) -> str:
    return (f"<page><title>{escape(title)}</title><ns>0</ns><id>1</id><revision><id>1</id>"
            f'<text xml:space="preserve">{escape(text)}</text></revision></page>\n')  # fmt: skip


def _artwork(i: int) -> str:
    return (
        f"{{{{Infobox artwork\n| image_file = Artwork {i}.jpg\n}}}}\n"
        f"'''Artwork {i}''' by [[Painter {i % 50}]] in the [[Museum {i % 7}]]. {FILLER}\n"
        f"== History ==\nMade in [[City {i % 11}]]. {FILLER}\n"
        f"=== Provenance ===\nBought by [[Collector {i}]].\n== See also ==\n[[Other]]\n[[fr:Œuvre {i}]]\n"
    )


def write_dumps(folder: Path, megabytes: int, every: int) -> list[Path]:
    """The English dump of about ``megabytes`` MB and the French dump of its artworks."""
    en, fr = folder / "enwiki-synthetic-pages-articles.xml", folder / "frwiki-synthetic-pages-articles.xml"
    target, i = megabytes * 1024 * 1024, 0
    with en.open("w", encoding="utf-8") as e, fr.open("w", encoding="utf-8") as f:
        e.write(HEADER.format(lang="en"))
        f.write(HEADER.format(lang="fr"))
        while e.tell() < target:
            if i % every == 0:
                e.write(_page(f"Artwork {i}", _artwork(i)))
                f.write(
                    _page(
                        f"Œuvre {i}", f"[[Fichier:Artwork {i}.jpg]]\n'''Œuvre {i}''' de [[Peintre]]. {FILLER}"
                    )
                )
            else:
                e.write(_page(f"Article {i}", f"'''Article {i}''' is about [[Topic {i}]]. {FILLER}"))
            i += 1
        e.write("</mediawiki>\n")
        f.write("</mediawiki>\n")
    return [en, fr]


CHILD = """
import sys, resource, json
from pathlib import Path
from babelvlm.builders.multiexpart_build import build_multiexpart
from babelvlm.builders.run import RunOptions
stats = build_multiexpart([Path(p) for p in sys.argv[2:]], Path(sys.argv[1]), RunOptions(write_rejects=False))
peak = max(resource.getrusage(who).ru_maxrss for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
print(json.dumps({"peak_mb": peak / 1024,
                  "rows": stats["settings"]["multiexpart_full"], "pages": stats["steps"][0]["in"]}))
"""


def build_peak(dumps: list[Path], out: Path) -> tuple[float, str, float]:
    """(peak RSS in MB of a fresh process that builds from ``dumps``, its summary, seconds)."""
    started = time.perf_counter()
    result = subprocess.run([sys.executable, "-c", CHILD, str(out), *map(str, dumps)],
                            capture_output=True, text=True, check=True)  # fmt: skip
    line = result.stdout.strip().splitlines()[-1]
    data = json.loads(line)
    return (
        float(data["peak_mb"]),
        f"{data['pages']} pages, {data['rows']} rows",
        time.perf_counter() - started,
    )


def main() -> None:
    """Print both peaks and their ratio."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--mb", type=int, default=512)
    parser.add_argument("--artwork-every", type=int, default=200)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        (work / "small").mkdir()
        (work / "large").mkdir()
        small = write_dumps(work / "small", max(1, args.mb // 4), args.artwork_every)
        large = write_dumps(work / "large", args.mb, args.artwork_every)
        peak_small, what_small, s_small = build_peak(small, work / "out_small")
        peak_large, what_large, s_large = build_peak(large, work / "out_large")
    print(f"dump {max(1, args.mb // 4):5d} MB: peak {peak_small:6.1f} MB ({what_small}, {s_small:.0f} s)")
    print(f"dump {args.mb:5d} MB: peak {peak_large:6.1f} MB ({what_large}, {s_large:.0f} s)")
    verdict = "OK" if peak_large < 300 else "ABOVE"
    print(f"peak ratio large / small: {peak_large / peak_small:.2f} (flat = ~1); "
          f"peak {peak_large:.0f} MB (target < 300 MB) {verdict}")  # fmt: skip


if __name__ == "__main__":
    main()
