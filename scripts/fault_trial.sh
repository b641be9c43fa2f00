#!/usr/bin/env bash
# Fault trial: proves that the daily dunning run is safe when things go wrong.
#
#   ./scripts/fault_trial.sh [--customers 300] [--invoices 10] [--seed 42]
#                            [--scenarios 1,2,3,4,5] [--kills 10] [--keep-db]
#                            [--batch-size N] [--run-timeout S] [--ref REV]
#                            [--db NAME]
#
# Snapshots relance_facture (the working tree, or the commit REV with --ref),
# copies the template database of its dependencies, installs it without demo
# data and generates a "book" of N customers x M invoices once (the generator
# of scripts/benchmark.py). Each scenario then runs on its own copy of the
# book (createdb -T and the filestore), the daily run as Odoo's cron worker
# runs it (ir.cron's _acquire_one_job and _process_job, in a child process):
#   1  reference: one uninterrupted daily run (and a same-day re-run);
#   2  SIGKILL: the run killed at a random moment --kills times, then run to
#      completion: same steps and emails as the reference, nothing twice;
#   3  bad data: one customer's email template and another's call script
#      broken: the others reminded as in the reference, the two failed with
#      the reason, then fixed and sent once by a re-run;
#   4  concurrency: two runs at once and a "Send Now" meanwhile: nothing
#      twice, no serialization failure;
#   5  SMTP down: the queue fails, then the SMTP server (loopback) comes back:
#      the run and the queue retry the same emails, no new step.
# --scenarios picks some (2, 3 and 4 also run 1, their reference). --batch-size
# N sets the customers per call of the job in the book (default: the shipped
# action's 200): smaller batches, more commits for the kills to fall between.
# Prints a summary, one "FAULT_TRIAL_JSON {...}" line, writes
# var/fault-trial-<date>.json and exits 3 when a check fails (1 on an error).
# The databases are dropped unless --keep-db. Logs: var/log/fault-trial.log
# (install, generation, summary) and var/log/fault-trial/ (each child).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,31p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

db=relance_fault_$(date +%Y%m%d_%H%M%S)_$$ keep_db="" ref=""
customers=300 invoices=10 seed=42
declare -a trial=()
while [ $# -gt 0 ]; do
  case $1 in
    --customers) [ $# -ge 2 ] || usage 2; customers=$2; shift ;;
    --invoices) [ $# -ge 2 ] || usage 2; invoices=$2; shift ;;
    --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift ;;
    --scenarios | --kills | --batch-size | --run-timeout)
      [ $# -ge 2 ] || usage 2; trial+=("$1" "$2"); shift ;;
    --db) [ $# -ge 2 ] || usage 2; db=$2; shift ;;
    --keep-db) keep_db=1 ;;
    --ref) [ $# -ge 2 ] || usage 2; ref=$2; shift ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done
gen=(--customers "$customers" --invoices "$invoices" --seed "$seed")

if ! odoo_importable; then
  warn "Missing: Odoo 18 is not importable by $PYTHON (see README, Prerequisites)."
  exit 1
fi
odoo_facts || { warn "Cannot read Odoo's configuration."; exit 1; }
# Checks the options before the minutes of preparation.
"$PYTHON" "$ROOT/scripts/fault_trial.py" --check-options "${gen[@]}" "${trial[@]}" \
  || exit 2

prepare_benchmark "$ref" fault-trial-addon "$db" || exit 1

log=$VAR/log/fault-trial.log
: >"$log"
# The scenarios' copies are named "${db}_s<N>...": dropped with the book.
drop_copies() {
  local copy pattern=${db//_/\\_}
  for copy in $(psql -d postgres -Atc \
    "SELECT datname FROM pg_database WHERE datname LIKE '${pattern}\_s%'"); do
    drop_db "$copy"
  done
}
cleanup() {
  if [ -z "$keep_db" ]; then drop_copies; fi
  bench_cleanup
}
trap 'cleanup; exit 130' INT TERM

say "Fault trial of $ADDON from the $source_desc"
say "Creating $db from $tmpl and installing $ADDON without demo data (log: var/log/fault-trial.log)"
install_benchmark_db "$log" || exit 1

say "Generating the book ($customers customers x $invoices invoices, seed $seed)"
"$PYTHON" "$ROOT/scripts/benchmark.py" --db "$db" --addons-path="$ODOO_ADDONS,$ADDON_PARENT" \
  --phase generate "${gen[@]}" 2> >(tee -a "$log" >&2)
rc=$?
if [ "$rc" = 0 ]; then
  FILESTORE_ROOT=$FILESTORE_ROOT "$PYTHON" "$ROOT/scripts/fault_trial.py" --book "$db" \
    --addons-path="$ODOO_ADDONS,$ADDON_PARENT" --source "$source_desc" \
    "${gen[@]}" "${trial[@]}" ${keep_db:+--keep-db} 2> >(tee -a "$log" >&2)
  rc=$?
fi
trap - INT TERM
cleanup
exit "$rc"
