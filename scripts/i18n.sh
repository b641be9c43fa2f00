#!/usr/bin/env bash
# Regenerates the addon's translation template and merges the French translation.
#
#   ./scripts/i18n.sh [--addon relance_facture_queue] [--keep-db]
#
# Copies the no-demo template database (the one scripts/test.sh uses; built
# once if missing), installs relance_facture (or the addon given, with
# queue_job for relance_facture_queue) with fr_FR loaded, exports
# relance_facture/i18n/relance_facture.pot, then merges it into
# relance_facture/i18n/fr.po with msgmerge (existing translations are kept, no
# fuzzy guesses, obsolete entries dropped) and drops the scratch database.
# Ends by listing the French entries still to translate: translate them in
# fr.po and re-run until it says 0. Needs Odoo 18, PostgreSQL and GNU gettext
# (Debian: apt-get install gettext).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,14p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

keep_db="" addon=$ADDON
while [ $# -gt 0 ]; do
  case $1 in
    --keep-db) keep_db=1 ;;
    --addon) [ $# -ge 2 ] || usage 2; addon=$2; shift ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done

LOG=$VAR/log/i18n.log

die() { warn "i18n: $*"; exit 1; }

if ! command -v msgmerge >/dev/null || ! command -v msgattrib >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "Installing gettext (msgmerge, msgattrib, msgfmt)"
    apt-get install -y -qq gettext >/dev/null || die "apt-get install gettext failed"
  else
    die "GNU gettext is missing (Debian: apt-get install gettext)"
  fi
fi
odoo_importable || die "Odoo 18 is not importable by $PYTHON"
odoo_facts || die "cannot read Odoo's configuration"
ensure_postgres || die "PostgreSQL is not usable"
tmpl=$(ensure_template nodemo) || die "no template database"
# The template holds relance_facture's dependencies; the glue addon brings
# queue_job on top, from its PyPI wheel.
if [ "$addon" = "$QUEUE_ADDON" ]; then
  EXTRA_ADDONS_PATH=$(oca_addons "$QUEUE_JOB_WHEEL") || die "cannot install $QUEUE_JOB_WHEEL"
elif [ "$addon" != "$ADDON" ]; then
  die "unknown addon: $addon ($ADDON or $QUEUE_ADDON)"
fi
ADDON=$addon ADDON_DIR=$ADDON_PARENT/$addon
I18N=$ADDON_DIR/i18n
POT=$I18N/$ADDON.pot
PO=$I18N/fr.po

db=relance_i18n_$(date +%Y%m%d_%H%M%S)_$$
cleanup() {
  if [ -n "$keep_db" ]; then
    say "Kept database $db (drop it with: dropdb $db; rm -rf $FILESTORE_ROOT/$db)"
  else
    drop_db "$db"
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

copy_db "$tmpl" "$db" || die "cannot copy $tmpl to $db"
mkdir -p "$I18N"
# Previous versions, to keep the files untouched when only their dates change.
old=$(mktemp -d)
trap 'rm -rf "$old"; cleanup' EXIT
for f in "$POT" "$PO"; do [ -f "$f" ] && cp "$f" "$old/"; done
: >"$LOG"

say "Installing $ADDON with fr_FR in $db (log: var/log/i18n.log)"
odoo_run -d "$db" -i "$ADDON" --without-demo=all --load-language=fr_FR \
  --stop-after-init --no-http --log-level=warn >>"$LOG" 2>&1 ||
  { tail -n 30 "$LOG" >&2; die "installing $ADDON failed"; }

say "Exporting ${POT#"$ROOT"/}"
odoo_run -d "$db" --i18n-export="$POT" --modules="$ADDON" \
  --stop-after-init --no-http --log-level=warn >>"$LOG" 2>&1 ||
  { tail -n 30 "$LOG" >&2; die "exporting the .pot failed"; }
[ -s "$POT" ] || die "Odoo wrote no $POT"

if [ -f "$PO" ]; then
  say "Merging it into ${PO#"$ROOT"/}"
  msgmerge --quiet --update --backup=none --no-fuzzy-matching "$PO" "$POT" ||
    die "msgmerge failed"
else
  say "Creating ${PO#"$ROOT"/} (no translation yet)"
  msginit --no-translator --locale=fr_FR.UTF-8 --input="$POT" --output-file="$PO" \
    >/dev/null 2>&1 || die "msginit failed"
fi
# Entries whose source text is gone only clutter the file: Odoo ignores them.
msgattrib --no-obsolete --output-file="$PO" "$PO" || die "msgattrib failed"
msgfmt --check --output-file=/dev/null "$PO" || die "$PO does not compile"
for f in "$POT" "$PO"; do
  [ -f "$old/${f##*/}" ] || continue
  if diff -q -I '^"POT-Creation-Date: ' -I '^"PO-Revision-Date: ' "$old/${f##*/}" "$f" >/dev/null; then
    cp "$old/${f##*/}" "$f"
  fi
done

stats=$(LC_ALL=C msgfmt --statistics --output-file=/dev/null "$PO" 2>&1)
say "fr.po: $stats"
if grep -qE 'untranslated|fuzzy' <<<"$stats"; then
  say "To translate in ${PO#"$ROOT"/} (msgattrib --untranslated shows them):"
  "$PYTHON" - "$PO" <<'PY'
import sys

import polib

for entry in polib.pofile(sys.argv[1]):
    if not entry.obsolete and (not entry.translated() or entry.fuzzy):
        print("  " + entry.msgid.replace("\n", " ")[:100])
PY
fi
