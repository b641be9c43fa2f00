#!/usr/bin/env bash
# Our daily run against OCA account_credit_control on the same book.
#
#   ./scripts/versus_credit_control.sh [--customers N] [--invoices M] [--seed S]
#                                      [--keep-db]
#
# Takes the generated book of N customers x M invoices (default 1000 x 10;
# scripts/book.sh, neither addon installed) and copies it twice. Copy A gets
# account_credit_control (the OCA wheel under var/oca) with one policy on our
# Standard ladder (emails at due+3, +12, +25, a letter at +35) for every
# customer; copy B gets relance_facture (a snapshot of the working tree) and
# the book's profiles. Then, in fresh processes, one after the other, times
# what credit_control's users do each day (a run for today, its lines, all
# marked "To Do", the email lines sent to the mail queue) and our daily run
# as scripts/benchmark.sh does. Prints a side-by-side table, the ratio
# credit_control time / our time, one "VERSUS_JSON {...}" line and writes
# var/versus-credit-control-<date>.json. Exits 3 when the ratio is below 10
# (the issue's target), 1 on an error. The copies are dropped unless
# --keep-db. What each side does: scripts/versus_credit_control.py's
# docstring. Odoo's log: var/log/versus-credit-control.log.
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
# shellcheck source=scripts/book.sh
source "$ROOT/scripts/book.sh"

usage() { sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

customers=1000 invoices=10 seed=42 keep_db=""
while [ $# -gt 0 ]; do
  case $1 in
    --customers) [ $# -ge 2 ] || usage 2; customers=$2; shift ;;
    --invoices) [ $# -ge 2 ] || usage 2; invoices=$2; shift ;;
    --seed) [ $# -ge 2 ] || usage 2; seed=$2; shift ;;
    --keep-db) keep_db=1 ;;
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

stamp=$(date +%Y%m%d_%H%M%S)_$$
db=relance_versus_ours_$stamp db_cc=relance_versus_cc_$stamp
# Snapshot of the addon, PostgreSQL, the dependencies' template (lib.sh).
prepare_benchmark "" versus-addon "$db" || exit 1

log=$VAR/log/versus-credit-control.log
: >"$log"
cleanup() {
  if [ -n "$keep_db" ]; then
    say "Kept databases $db_cc and $db (drop them with: dropdb NAME; rm -rf $FILESTORE_ROOT/NAME)"
    keep_db="" # bench_cleanup drops $db unless keep_db
    rm -rf "$snap"
  else
    drop_db "$db_cc"
    bench_cleanup
  fi
}
fail() { warn "$*"; cleanup; exit 1; }
trap 'cleanup; exit 130' INT TERM

versus() {
  "$PYTHON" "$ROOT/scripts/versus_credit_control.py" --customers "$customers" \
    --invoices "$invoices" --seed "$seed" "$@" 2> >(tee -a "$log" >&2)
}

say "Book of $customers customers x $invoices invoices (seed $seed): scripts/book.sh"
book=$(ensure_book "$customers" "$invoices" "$seed") || fail "Generating the book failed."
oca=$(oca_addons "odoo-addon-account-credit-control>=18.0,<18.1") ||
  fail "Cannot install the OCA wheel of account_credit_control under var/oca."
cc_path="$ODOO_ADDONS,$oca"
our_path="$ODOO_ADDONS,$ADDON_PARENT"

say "Copy A ($db_cc): installing account_credit_control and its policy (log: var/log/versus-credit-control.log)"
copy_db "$book" "$db_cc" || fail "Copying $book failed."
"$PYTHON" -m odoo --addons-path="$cc_path" -d "$db_cc" -i account_credit_control \
  --without-demo=all --stop-after-init --no-http --log-level=warn >>"$log" 2>&1 ||
  fail "Installing account_credit_control failed; see $log."
versus --phase cc-setup --db "$db_cc" --addons-path="$cc_path" || fail "Configuring credit_control failed."

say "Copy B ($db): installing $ADDON from the $source_desc"
book_install "$book" "$db" "$log" || fail "Copying $book or installing $ADDON failed."
versus --phase ours-setup --db "$db" --addons-path="$our_path" || fail "Assigning the profiles failed."

say "Timing credit_control's day (fresh process)"
versus --phase cc-run --db "$db_cc" --addons-path="$cc_path" --result "$snap/cc.json" ||
  fail "The credit_control run failed; see $log."
say "Timing our daily run (fresh process)"
versus --phase ours-run --db "$db" --addons-path="$our_path" --result "$snap/ours.json" ||
  fail "Our daily run failed; see $log."

versus --phase report --cc "$snap/cc.json" --ours "$snap/ours.json" \
  --book "$book" --source "$source_desc"
rc=$?
[ "$rc" = 0 ] || [ "$rc" = 3 ] || rc=1
trap - INT TERM
cleanup
exit "$rc"
