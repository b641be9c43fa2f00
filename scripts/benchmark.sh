#!/usr/bin/env bash
# Benchmark of the daily dunning run on a generated book.
#
#   ./scripts/benchmark.sh [--customers N] [--invoices M] [--seed S] [--db NAME]
#                          [--keep-db] [--ref REV] [--mode cron|direct] [--profile]
#                          [--tracemalloc] [--floor]
#
# Benchmarks a snapshot of relance_facture taken at the start (the working tree,
# or the commit REV with --ref), so that edits made meanwhile do not mix in.
# Takes the book of N customers x M invoices (default 1000 x 10; scripts/book.sh:
# a template database without relance_facture, generated once through the ORM,
# by blocks of 1000 customers cloned in SQL when N is a multiple of 1000),
# copies it, installs relance_facture without demo data on the copy (timed: the
# install on an existing book), assigns the customers' dunning profiles, then
# times today's daily run and a same-day re-run (scripts/benchmark.py, in a
# fresh process). Prints a summary, one "BENCHMARK_JSON {...}" line and writes
# var/benchmark-<date>.json. Exits 3 when a target of the issue is missed. The
# copy is dropped unless --keep-db, the book is kept. Odoo's log:
# var/log/benchmark.log. --floor then times Odoo writing the day's records
# again (scripts/floor.py, rolled back): the part of the run that is Odoo's
# own; var/floor-<date>.json.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/book.sh
source "$ROOT/scripts/book.sh"

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

db=relance_bench_$(date +%Y%m%d_%H%M%S)_$$ keep_db="" ref=""
customers=1000 invoices=10 seed=42
declare -a run=()
floor=""
while [ $# -gt 0 ]; do
  case $1 in
    --customers) [ $# -ge 2 ] || usage 2; customers=$2; shift ;;
    --invoices) [ $# -ge 2 ] || usage 2; invoices=$2; shift ;;
    --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift ;;
    --mode) [ $# -ge 2 ] || usage 2; run+=("$1" "$2"); shift ;;
    --profile | --tracemalloc) run+=("$1") ;;
    --db) [ $# -ge 2 ] || usage 2; db=$2; shift ;;
    --keep-db) keep_db=1 ;;
    --floor) floor=1 ;;
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

prepare_benchmark "$ref" benchmark-addon "$db" || exit 1

log=$VAR/log/benchmark.log
: >"$log"
cleanup() { bench_cleanup; }
trap 'cleanup; exit 130' INT TERM

say "Benchmarking $ADDON from the $source_desc"
say "Book of $customers customers x $invoices invoices (seed $seed): scripts/book.sh"
start=$EPOCHREALTIME
book=$(ensure_book "$customers" "$invoices" "$seed") || { warn "Building the book failed."; cleanup; exit 1; }
say "Book $book ready in $(_seconds_since "$start") s"
say "Copying it to $db and installing $ADDON without demo data (log: var/log/benchmark.log)"
book_install "$book" "$db" "$log" || { cleanup; exit 1; }
say "Copied in $book_copy_seconds s, $ADDON installed in $book_install_seconds s"

gen=(--customers "$customers" --invoices "$invoices" --seed "$seed")
bench() {
  "$PYTHON" "$ROOT/scripts/benchmark.py" --db "$db" \
    --addons-path="$ODOO_ADDONS,$ADDON_PARENT" --source "$source_desc" "$@" 2> >(tee -a "$log" >&2)
}
say "Assigning the customers' dunning profiles"
bench --phase setup "${gen[@]}" || { rc=$?; cleanup; exit "$rc"; }
# statistics as a production database has them, whenever autovacuum gets
# to a freshly copied and installed book (scaling.sh does the same)
start=$EPOCHREALTIME
psql -d "$db" -qc "VACUUM ANALYZE" || { cleanup; exit 1; }
say "VACUUM ANALYZE in $(_seconds_since "$start") s"
say "Timing today's daily run, then a same-day re-run"
bench --phase run "${gen[@]}" "${run[@]}" --book "$book" \
  --copy-seconds "$book_copy_seconds" --install-seconds "$book_install_seconds"
rc=$?
if [ -n "$floor" ] && [ "$rc" -le 3 ]; then
  say "Timing Odoo writing the day's records again (scripts/floor.py, rolled back)"
  "$PYTHON" "$ROOT/scripts/floor.py" --db "$db" --addons-path="$ODOO_ADDONS,$ADDON_PARENT" \
    --json "$VAR/floor-$(date +%F).json" 2> >(tee -a "$log" >&2) || rc=1
fi
trap - INT TERM
cleanup
exit "$rc"
