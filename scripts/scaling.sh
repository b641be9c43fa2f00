#!/usr/bin/env bash
# Scaling of the daily dunning run: 1 worker in process, then N queue_job workers.
#
#   ./scripts/scaling.sh [--customers 10000] [--invoices 10] [--seed 42]
#                        [--workers "2 4"] [--no-baseline] [--timeout SECONDS]
#                        [--pg-log-slow MS] [--keep-db]
#
# Snapshots relance_facture and relance_facture_queue (the working tree) and
# takes the book of N customers x M invoices (scripts/book.sh). Then, one
# measurement at a time, each on a fresh copy of the book prepared alike (the
# addons installed, the customers' profiles assigned by scripts/benchmark.py
# --phase setup, VACUUM ANALYZE so that the plans do not depend on when
# autovacuum gets to the copy):
#   1 worker   relance_facture installed; the day as the cron worker runs it,
#              in one process (scripts/benchmark.py's run phase, mode cron);
#   N workers  relance_facture, queue_job (its wheel under var/oca) and
#              relance_facture_queue installed, the setting Parallel run on
#              with N batches at once, an Odoo server started with N workers
#              and the job runner (var/scaling-<db>.conf, log var/log/<db>.log),
#              the daily action triggered as the scheduler does, timed until
#              every job of the day is done or failed; the server is stopped.
# --workers "1 2 4" adds one worker of the queue (the parallel gain alone: the
# in-process cron mode also redoes the day start and the choice of customers
# at each of its calls); --no-baseline skips the in-process run. Each is
# followed by a same-day re-run. --pg-log-slow MS has PostgreSQL log the
# copies' statements slower than MS and their lock waits (a diagnosis: in
# PostgreSQL's own log). Prints, per book x workers: wall time, emails
# created, queries per email, peak memory (summed RSS of the Odoo processes),
# CPU, duplicates (must be 0) and the re-run; one "SCALING_JSON {...}" line;
# writes var/scaling-<date>.json (scripts/scaling.py). Other work on the
# machine skews the figures: the load average before and after each
# measurement and the CPU others used are recorded. Exits 3 when a duplicate
# or an email of a re-run is found. The copies are dropped unless --keep-db.
# Each measurement's JSON stays in var/scaling-runs/ (merge several with
# scripts/scaling.py report FILE...). Log: var/log/scaling.log.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/book.sh
source "$ROOT/scripts/book.sh"

usage() { sed -n '2,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

customers=10000 invoices=10 seed=42 workers="2 4" timeout=3600 keep_db="" baseline=1 pg_log_slow=""
while [ $# -gt 0 ]; do
  case $1 in
    --customers) [ $# -ge 2 ] || usage 2; customers=$2; shift ;;
    --invoices) [ $# -ge 2 ] || usage 2; invoices=$2; shift ;;
    --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift ;;
    --workers) [ $# -ge 2 ] || usage 2; workers=$2; shift ;;
    --timeout) [ $# -ge 2 ] || usage 2; timeout=$2; shift ;;
    --keep-db) keep_db=1 ;;
    --no-baseline) baseline="" ;;
    --pg-log-slow) [ $# -ge 2 ] || usage 2; pg_log_slow=$2; shift ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done
for n in $workers; do
  case $n in '' | *[!0-9]* | 0) warn "--workers: positive integers, got '$n'"; exit 2 ;; esac
done

if ! odoo_importable; then
  warn "Missing: Odoo 18 is not importable by $PYTHON (see README, Prerequisites)."
  exit 1
fi
odoo_facts || { warn "Cannot read Odoo's configuration."; exit 1; }

stamp=$(date +%Y%m%d_%H%M%S)_$$
prefix=relance_scaling_$stamp
# Snapshot of relance_facture, PostgreSQL, the dependencies' template (lib.sh);
# the glue joins the snapshot.
prepare_benchmark "" scaling-addon "${prefix}_inproc" || exit 1
cp -a "$ROOT/$QUEUE_ADDON" "$snap/" || { rm -rf "$snap"; exit 1; }
if [ -n "$(git -C "$ROOT" status --porcelain -- "$QUEUE_ADDON" 2>/dev/null)" ]; then
  source_desc="$source_desc; $QUEUE_ADDON with uncommitted changes"
fi

log=$VAR/log/scaling.log
: >"$log"
# Each measurement's JSON, kept (scripts/scaling.py report merges any of them).
parts=$VAR/scaling-runs
mkdir -p "$parts"
declare -a dbs=()
child=""
cleanup() {
  if [ -n "$child" ]; then kill -TERM "$child" 2>/dev/null; wait "$child" 2>/dev/null; fi
  rm -rf "$snap"
  local d
  for d in "${dbs[@]}"; do
    if [ -n "$keep_db" ]; then
      say "Kept database $d (drop it with: dropdb $d; rm -rf $FILESTORE_ROOT/$d)"
    else
      drop_db "$d"
    fi
  done
}
fail() { warn "$*"; cleanup; exit 1; }
trap 'warn "Interrupted: stopping and dropping the copies."; cleanup; exit 130' INT TERM

# run CMD...: in the background (so that a signal reaches cleanup at once),
# its stderr also to the log.
run() {
  "$@" 2> >(tee -a "$log" >&2) &
  child=$!
  wait "$child"
  local rc=$?
  child=""
  return "$rc"
}
scaling() { run "$PYTHON" "$ROOT/scripts/scaling.py" "$@"; }
gen=(--customers "$customers" --invoices "$invoices" --seed "$seed")

say "Measuring $ADDON and $QUEUE_ADDON from the $source_desc"
say "Book of $customers customers x $invoices invoices (seed $seed): scripts/book.sh"
book=$(ensure_book "$customers" "$invoices" "$seed") || fail "Building the book failed."
queue_path=$(oca_addons "$QUEUE_JOB_WHEEL") || fail "Cannot install $QUEUE_JOB_WHEEL under var/oca."

# prepare DB ADDONS_PATH MODULES: the book copied to DB, MODULES installed
# (with queue_job's folder on the path), the customers' profiles assigned.
prepare() {
  local db=$1 path=$2 modules=$3
  dbs+=("$db")
  say "Copying the book to $db, installing $modules (log: var/log/scaling.log)"
  ADDON=$modules EXTRA_ADDONS_PATH=$queue_path book_install "$book" "$db" "$log" || return 1
  if [ -n "$pg_log_slow" ]; then
    psql -d postgres -qc "ALTER DATABASE \"$db\" SET log_min_duration_statement = $((pg_log_slow))" &&
      psql -d postgres -qc "ALTER DATABASE \"$db\" SET log_lock_waits = on" || return 1
  fi
  say "  copied in $book_copy_seconds s, installed in $book_install_seconds s; assigning the profiles"
  run "$PYTHON" "$ROOT/scripts/benchmark.py" --db "$db" --addons-path "$path" \
    --phase setup "${gen[@]}" >>"$log" || return 1
  # The install and the profiles rewrote every invoice: the planner's
  # statistics as a production database has them, whenever autovacuum
  # (busy with other databases) gets to this copy.
  local start=$EPOCHREALTIME
  psql -d "$db" -qc "VACUUM ANALYZE" || return 1
  say "  VACUUM ANALYZE in $(_seconds_since "$start") s"
}
done_db() {
  [ -n "$keep_db" ] && return 0
  drop_db "$1"
}

if [ -n "$baseline" ]; then
  db=${prefix}_inproc
  path="$ODOO_ADDONS,$ADDON_PARENT"
  prepare "$db" "$path" "$ADDON" || fail "Preparing $db failed."
  say "1 worker: the day in process (scripts/benchmark.py's run phase), then a same-day re-run"
  scaling inprocess --db "$db" --addons-path "$path" "${gen[@]}" --output "$parts/$db.json" ||
    fail "The in-process measurement failed."
  done_db "$db"
fi

path="$ODOO_ADDONS,$ADDON_PARENT,$queue_path"
for n in $workers; do
  db=${prefix}_q$n
  prepare "$db" "$path" "$ADDON,$QUEUE_ADDON" || fail "Preparing $db failed."
  scaling configure --db "$db" --addons-path "$path" --capacity "$n" ||
    fail "Configuring $db failed."
  say "$n workers: server with the job runner, the day triggered as the scheduler does"
  scaling parallel --db "$db" --addons-path "$path" "${gen[@]}" --workers "$n" \
    --timeout "$timeout" --conf "$VAR/scaling-$db.conf" --log "$VAR/log/$db.log" \
    --output "$parts/$db.json" || fail "The measurement with $n workers failed (log: var/log/$db.log)."
  done_db "$db"
done

trap - INT TERM
"$PYTHON" "$ROOT/scripts/scaling.py" report --output-dir "$VAR" "$parts/$prefix"_*.json
rc=$?
cleanup
exit "$rc"
