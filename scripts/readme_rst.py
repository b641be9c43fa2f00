"""Write an addon's README.rst from its manifest and readme/*.md fragments.

    python3 scripts/readme_rst.py [ADDON_DIR]          write ADDON_DIR/README.rst
    python3 scripts/readme_rst.py --check [ADDON_DIR]  exit 1, with a diff, if stale

ADDON_DIR defaults to relance_facture/. The layout is the one oca-gen-addon-readme
produces, without its pandoc dependency: the fragments may only use the markdown
this file converts (paragraphs, `## ` headings, `- ` and `1. ` lists with indented
continuation lines, pipe tables, *em*, **strong**, `code`, [text](url), <url>).
Lines are kept as written; only the markup changes.
"""

import argparse
import ast
import difflib
import re
import sys
from pathlib import Path

ADDON_DIR = Path(__file__).resolve().parent.parent / "relance_facture"
# Fragment and section title, in README order; a missing fragment is skipped.
SECTIONS = [
    ("CONFIGURE", "Configuration"),
    ("USAGE", "Usage"),
    ("ROADMAP", "Known issues / Roadmap"),
    ("HISTORY", "Changelog"),
]
HEADING = re.compile(r"^(#{2,3}) (.+)$")
ITEM = re.compile(r"^(?:-|\d+\.) ")
INLINE = re.compile(
    r"`(?P<code>[^`]+)`"
    r"|\[(?P<text>[^\]]+)\]\((?P<url>[^)\s]+)\)"
    r"|<(?P<auto>https?://[^>\s]+)>"
)
UNDERLINES = {"##": "-", "###": "~"}


def inline(text):
    """Markdown inline markup to RST: *em* and **strong** are the same in both."""

    def replace(match):
        if match["code"]:
            return f"``{match['code']}``"
        if match["text"]:
            # Anonymous, so that two links with the same text never clash.
            return f"`{match['text']} <{match['url']}>`__"
        return match["auto"]

    return INLINE.sub(replace, text)


def grid_table(rows):
    """Pipe-table lines (header, |---| rule, body) to an RST grid table."""
    cells = [
        [inline(c.strip()) for c in row.strip().strip("|").split("|")] for row in rows
    ]
    header, body = cells[0], cells[2:]
    widths = [max(len(row[i]) for row in [header, *body]) for i in range(len(header))]

    def rule(char):
        return "+" + "+".join(char * (w + 2) for w in widths) + "+"

    def line(row):
        padded = [cell.ljust(w) for cell, w in zip(row, widths, strict=True)]
        return "| " + " | ".join(padded) + " |"

    out = [rule("-"), line(header), rule("=")]
    for row in body:
        out += [line(row), rule("-")]
    return out


def to_rst(markdown):
    """Convert a fragment to RST lines (see the module docstring for the subset)."""
    lines = markdown.splitlines()
    out = []
    indent = None  # continuation indent of the list item being read, if any
    i = 0
    while i < len(lines):
        line = lines[i].rstrip()
        i += 1
        if not line:
            out.append("")
            indent = None
            continue
        if line.startswith("|"):
            start = i - 1
            while i < len(lines) and lines[i].startswith("|"):
                i += 1
            out += ["", *grid_table(lines[start:i]), ""]
            indent = None
        elif match := HEADING.match(line):
            title = inline(match[2])
            out += ["", title, UNDERLINES[match[1]] * len(title), ""]
            indent = None
        elif ITEM.match(line):
            marker, text = line.split(" ", 1)
            marker = "-  " if marker == "-" else marker + " "
            if out and out[-1] and indent is None:
                out.append("")  # RST needs a blank line before a list
            indent = " " * len(marker)
            out.append(marker + inline(text.strip()))
        elif indent is not None:
            out.append(indent + inline(line.strip()))
        else:
            out.append(inline(line))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(out)).strip("\n")
    return text.splitlines()


def section(title, char, body, overline=False):
    """A title underlined (and overlined) with char, then body and a blank line."""
    rule = char * len(title)
    lines = [rule, title, rule, ""] if overline else [title, rule, ""]
    return lines + body + ([""] if body else [])


def credits(manifest, contributors):
    """The Credits section: authors, contributors and maintainers."""
    lines = section("Credits", "=", [])
    authors = [f"* {a.strip()}" for a in manifest["author"].split(",")]
    lines += section("Authors", "-", authors)
    lines += section("Contributors", "-", contributors)
    website = manifest["website"].rstrip("/")
    repo = website.removeprefix("https://github.com/")
    maintainers = manifest.get("maintainers", [])
    if maintainers:
        images = []
        for m in maintainers:
            images += [
                f".. |maintainer-{m}| image:: https://github.com/{m}.png?size=40px",
                f"    :target: https://github.com/{m}",
                f"    :alt: {m}",
                "",
            ]
        plural = "s" if len(maintainers) > 1 else ""
        badges = " ".join(f"|maintainer-{m}|" for m in maintainers)
        lines += section(
            "Maintainers",
            "-",
            [
                *images,
                f"Current maintainer{plural}:",
                "",
                badges,
                "",
                f"This module is part of the `{repo}",
                f"<{website}>`_ project on GitHub.",
            ],
        )
    return lines


def readme(addon):
    """The README.rst text of the addon folder."""
    manifest = ast.literal_eval((addon / "__manifest__.py").read_text("utf-8"))
    fragments = {
        path.stem: to_rst(path.read_text("utf-8"))
        for path in (addon / "readme").glob("*.md")
    }
    website = manifest["website"].rstrip("/")
    lines = section(manifest["name"], "=", [], overline=True)
    lines += [
        "..",
        "   Generated by scripts/readme_rst.py from the readme/*.md fragments:",
        "   edit the fragments, then run python3 scripts/readme_rst.py.",
        "",
        *fragments.get("DESCRIPTION", []),
        "",
        "**Table of contents**",
        "",
        ".. contents::",
        "   :local:",
        "",
    ]
    for stem, title in SECTIONS:
        if fragments.get(stem):
            lines += section(title, "=", fragments[stem])
    lines += section(
        "Bug Tracker",
        "=",
        [
            "Bugs are tracked on `GitHub Issues",
            f"<{website}/issues>`_. In case of",
            "trouble, please check there if your issue has already been reported.",
        ],
    )
    lines += credits(manifest, fragments.get("CONTRIBUTORS", []))
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare, write nothing")
    parser.add_argument("addon", nargs="?", type=Path, default=ADDON_DIR)
    args = parser.parse_args(argv)
    path = args.addon / "README.rst"
    new = readme(args.addon)
    if not args.check:
        path.write_text(new, encoding="utf-8")
        return 0
    old = path.read_text("utf-8") if path.is_file() else ""
    if old == new:
        return 0
    diff = difflib.unified_diff(
        old.splitlines(), new.splitlines(), str(path), "from readme/*.md", lineterm=""
    )
    print("\n".join(list(diff)[:40]))
    print(f"{path} is stale: run python3 scripts/readme_rst.py {args.addon}")
    return 1


if __name__ == "__main__":
    sys.exit(main())
