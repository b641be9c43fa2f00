#!/usr/bin/env bash
# Times the workspace and analytics views on a generated book of invoices.
#
#   ./scripts/bench_analytics.sh [--invoices N] [--customers N] [--keep-db]
#
# Copies the no-demo template database into relance_bench_analytics, installs
# relance_facture, generates the book (scripts/bench_analytics.py, default
# 100,000 invoices of 5,000 customers) and times each view's read_group.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

db=relance_bench_analytics keep="" extra=()
while [ $# -gt 0 ]; do
  case $1 in
    --keep-db) keep=1 ;;
    --invoices | --customers) extra+=("$1" "$2"); shift ;;
    -h | --help) sed -n '2,8p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) warn "unknown option: $1"; exit 2 ;;
  esac
  shift
done
odoo_importable || { warn "Odoo 18 is not importable by $PYTHON"; exit 1; }
odoo_facts
ensure_postgres
tmpl=$(ensure_template nodemo)
drop_db "$db"
copy_db "$tmpl" "$db"
say "Installing $ADDON in $db"
odoo_run -d "$db" -i "$ADDON" --without-demo=all --stop-after-init --no-http \
  --log-level=warn >"$VAR/log/bench-analytics.log" 2>&1
"$PYTHON" "$ROOT/scripts/bench_analytics.py" --db "$db" \
  --addons-path "$ODOO_ADDONS,$ADDON_PARENT" "${extra[@]}"
[ -n "$keep" ] || drop_db "$db"
