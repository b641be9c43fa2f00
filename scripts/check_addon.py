"""Static checks of an Odoo addon that pylint-odoo 9 leaves to other tools.

    python3 scripts/check_addon.py xml ADDON_DIR       every .xml is well-formed
    python3 scripts/check_addon.py manifest ADDON_DIR  manifest and data files agree

Prints one line per problem and exits 1 if there is any.
"""

import ast
import re
import sys
from pathlib import Path

from lxml import etree

# Folders whose files the manifest does not list.
UNLISTED = {"tests", "static", "i18n"}
VERSION = re.compile(r"^18\.0\.\d+\.\d+\.\d+$")


def check_xml(addon):
    problems = []
    for path in sorted(addon.rglob("*.xml")):
        try:
            etree.parse(str(path))
        except etree.XMLSyntaxError as exc:
            problems.append(f"{path}: not well-formed: {exc}")
    return problems


def check_manifest(addon):
    path = addon / "__manifest__.py"
    if not path.is_file():
        return [f"{path}: missing"]
    try:
        manifest = ast.literal_eval(path.read_text(encoding="utf-8"))
    except (SyntaxError, ValueError) as exc:
        return [f"{path}: not a Python dict literal: {exc}"]
    problems = []
    version = str(manifest.get("version", ""))
    if not VERSION.match(version):
        problems.append(f"{path}: version {version!r} is not 18.0.x.y.z")
    if not manifest.get("license"):
        problems.append(f"{path}: no license")
    if "description" in manifest:
        problems.append(f"{path}: 'description' key (the text belongs in readme/)")
    listed = set()
    for key in ("data", "demo"):
        for name in manifest.get(key, []):
            listed.add(name)
            if not (addon / name).is_file():
                problems.append(f"{path}: {key} file {name} does not exist")
    for file in sorted(addon.rglob("*")):
        rel = file.relative_to(addon)
        if file.suffix not in (".xml", ".csv") or rel.parts[0] in UNLISTED:
            continue
        if rel.as_posix() not in listed:
            problems.append(f"{file}: not listed in the manifest's data or demo")
    return problems


def main(argv):
    checks = {"xml": check_xml, "manifest": check_manifest}
    if len(argv) != 3 or argv[1] not in checks:
        sys.exit(__doc__)
    addon = Path(argv[2])
    if not addon.is_dir():
        print(f"{addon}: no such addon folder")
        return 1
    problems = checks[argv[1]](addon)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
