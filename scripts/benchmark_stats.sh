#!/usr/bin/env bash
# Benchmark of the customer statistics refresh on a large book.
#
#   ./scripts/benchmark_stats.sh [--customers 10000] [--small 1000]
#                                [--seed-customers 100] [--invoices 10]
#                                [--seed S] [--db NAME] [--keep-db] [--ref REV]
#
# Snapshots relance_facture (the working tree, or the commit REV with --ref),
# copies the no-demo template database, installs the addon, generates a seed
# of --seed-customers x --invoices posted invoices through the ORM, clones it
# in SQL up to --small customers and times the statistics refresh there (in a
# fresh process), grows the book to --customers and times it again, then
# prints a summary with PASS/FAIL, one "BENCHMARK_STATS_JSON {...}" line and
# writes var/benchmark-stats-<date>.json. Exits 3 when a target is missed.
# The database is dropped unless --keep-db. Odoo's log:
# var/log/benchmark-stats.log.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

db=relance_bstats_$(date +%Y%m%d_%H%M%S)_$$ keep_db="" ref="" customers=10000 small=1000
declare -a gen=()
while [ $# -gt 0 ]; do
  case $1 in
    --seed-customers | --invoices | --seed)
      [ $# -ge 2 ] || usage 2; gen+=("$1" "$2"); shift ;;
    --customers) [ $# -ge 2 ] || usage 2; customers=$2; shift ;;
    --small) [ $# -ge 2 ] || usage 2; small=$2; shift ;;
    --db) [ $# -ge 2 ] || usage 2; db=$2; shift ;;
    --keep-db) keep_db=1 ;;
    --ref) [ $# -ge 2 ] || usage 2; ref=$2; shift ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done

if ! odoo_importable; then
  warn "Missing: Odoo 18 is not importable by $PYTHON (see README, Prerequisites)."
  exit 1
fi
odoo_facts || { warn "Cannot read Odoo's configuration."; exit 1; }

prepare_benchmark "$ref" benchmark-stats-addon "$db" || exit 1

log=$VAR/log/benchmark-stats.log
: >"$log"
cleanup() { bench_cleanup; }
trap 'cleanup; exit 130' INT TERM

say "Benchmarking the statistics refresh of $ADDON from the $source_desc"
say "Creating $db from $tmpl and installing $ADDON without demo data (log: var/log/benchmark-stats.log)"
install_benchmark_db "$log" || exit 1

bench() {
  "$PYTHON" "$ROOT/scripts/benchmark_stats.py" --db "$db" \
    --addons-path="$ODOO_ADDONS,$ADDON_PARENT" --source "$source_desc" "$@" 2> >(tee -a "$log" >&2)
}
step() { bench "$@" || { rc=$?; cleanup; exit "$rc"; }; }
say "Generating the seed through the ORM"
step --phase seed "${gen[@]}"
for size in "$small" "$customers"; do
  say "Cloning the seed up to $size customers"
  step --phase multiply --customers "$size"
  say "Timing the statistics refresh of $size customers (fresh process)"
  step --phase run
done
bench --phase report
rc=$?
trap - INT TERM
cleanup
exit "$rc"
