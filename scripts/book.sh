#!/usr/bin/env bash
# Books of customer invoices for the benchmarks, kept as template databases.
#
#   source scripts/book.sh
#   book=$(ensure_book CUSTOMERS INVOICES SEED)  # prints relance_book_<C>x<M>_<key>
#   copy_db "$book" mydb                         # then install the addon to measure
#
#   ./scripts/book.sh CUSTOMERS [INVOICES [SEED]]  # the same from the command line
#
# A book is generated in a copy of the template of relance_facture's
# dependencies (ensure_template nodemo), without relance_facture, so that the
# same book serves every dunning addon compared on it (scripts/book.py):
# CUSTOMERS a multiple of the block (RELANCE_BOOK_BLOCK, default 1000 customers)
# above it is the block book (generated through the ORM, about 15 minutes for
# 1000 x 10, itself kept) cloned in SQL; any other size is generated through
# the ORM only. The name hashes the generator's version and parameters, the
# dependency template, the size and the seed: a book is built once, then
# copied (createdb -T and the filestore). Its facts are in the
# ir.config_parameter relance_benchmark.generation. A book built on an earlier
# day is brought to today before it is returned: ORM books have their dates
# moved (scripts/book.py shift), cloned books are cloned again from their
# block. One book per size is kept: building one drops the others of the same
# customers x invoices. Logs: var/log/book-<name>.log.
# lib.sh once: sourcing it again would reset ADDON_PARENT and ADDON_DIR, which
# prepare_benchmark points at a snapshot.
if ! declare -F ensure_template >/dev/null; then
  # shellcheck source=scripts/lib.sh
  source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
fi

BOOK_PARAM=relance_benchmark.generation

# The book's facts as JSON, read from its database comment (connecting to a
# template would make a concurrent createdb -T of it fail).
book_comment() {
  psql -d postgres -Atqc \
    "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = '$1'"
}

# book_describe DB: sets the database comment from the book's facts.
book_describe() {
  local facts
  facts=$(psql -d "$1" -Atqc "SELECT value FROM ir_config_parameter WHERE key = '$BOOK_PARAM'") \
    || return 1
  psql -d postgres -qc "COMMENT ON DATABASE \"$1\" IS \$book\$$facts\$book\$" >/dev/null
}

book_py() { "$PYTHON" "$ROOT/scripts/book.py" "$@"; }

# book_rename FROM TO: database and filestore.
book_rename() {
  psql -d postgres -qc "ALTER DATABASE \"$1\" RENAME TO \"$2\"" || return 1
  mkdir -p "$FILESTORE_ROOT/$1"
  rm -rf "${FILESTORE_ROOT:?}/$2"
  mv "$FILESTORE_ROOT/$1" "$FILESTORE_ROOT/$2"
}

# ensure_book CUSTOMERS INVOICES SEED: prints the name of the template database
# holding that book dated today, built when missing (progress on stderr).
ensure_book() {
  local customers=$1 invoices=${2:-10} seed=${3:-42}
  local tmpl name block copies fd rc
  if [ -z "${FILESTORE_ROOT:-}" ] || [ -z "${ODOO_ADDONS:-}" ]; then
    odoo_facts || { warn "Cannot read Odoo's configuration."; return 1; }
  fi
  ensure_postgres || return 1
  tmpl=$(ensure_template nodemo) || return 1
  read -r name block copies < <(book_py plan --template "$tmpl" --customers "$customers" \
    --invoices "$invoices" --seed "$seed" --block "${RELANCE_BOOK_BLOCK:-1000}") || return 1
  [ -n "$name" ] || return 1
  mkdir -p "$VAR/lock"
  # One builder per book; another caller waits for it.
  exec {fd}>"$VAR/lock/$name.lock"
  flock "$fd"
  _ensure_book_locked "$name" "$tmpl" "$customers" "$invoices" "$seed" "$block" "$copies"
  rc=$?
  exec {fd}>&-
  [ "$rc" = 0 ] && printf '%s\n' "$name"
  return "$rc"
}

_ensure_book_locked() {
  local name=$1 tmpl=$2 customers=$3 invoices=$4 seed=$5 block=$6 copies=$7
  local today date build src log other start
  today=$(date +%F)
  log=$VAR/log/book-$name.log
  if db_exists "$name" && [ -d "$FILESTORE_ROOT/$name" ]; then
    date=$(book_comment "$name" | "$PYTHON" -c 'import json, sys
try:
    print(json.load(sys.stdin)["date"])
except Exception:
    print("")')
    if [ "$date" = "$today" ]; then return 0; fi
    if [ "$copies" = 1 ] && [ -n "$date" ]; then
      warn "Book $name was built on $date: moving its dates to today"
      build=${name}_shift_$$
      drop_db "$build"
      copy_db "$name" "$build" || { drop_db "$build"; return 1; }
      if ! book_py shift --db "$build" --addons-path "$ODOO_ADDONS" >>"$log" 2>&1; then
        warn "Moving the dates of $name failed; last lines of $log:"
        tail -n 20 "$log" >&2
        drop_db "$build"
        return 1
      fi
      book_describe "$build" && drop_db "$name" && book_rename "$build" "$name"
      return
    fi
    warn "Book $name was built on ${date:-an unknown day}: building it again"
  fi
  build=${name}_build_$$
  drop_db "$build"
  start=$(date +%s)
  if [ "$copies" -gt 1 ]; then
    src=$(ensure_book "$block" "$invoices" "$seed") || return 1
    warn "Building book $name: $copies copies of $src in SQL (log: ${log#"$ROOT"/})"
    copy_db "$src" "$build" || { drop_db "$build"; return 1; }
    set -- clone --copies "$copies"
  else
    warn "Building book $name: $customers customers x $invoices invoices through the ORM" \
      "(log: ${log#"$ROOT"/})"
    copy_db "$tmpl" "$build" || { drop_db "$build"; return 1; }
    set -- build --customers "$customers" --invoices "$invoices" --seed "$seed"
  fi
  book_py "$@" --db "$build" --addons-path "$ODOO_ADDONS" 2>&1 | tee "$log" >&2
  if [ "${PIPESTATUS[0]}" != 0 ] || ! book_describe "$build"; then
    warn "Building book $name failed; last lines of $log:"
    tail -n 20 "$log" >&2
    drop_db "$build"
    return 1
  fi
  drop_db "$name"
  book_rename "$build" "$name" || return 1
  warn "Book $name built in $(($(date +%s) - start)) s"
  # One book per size.
  for other in $(psql -d postgres -Atqc "SELECT datname FROM pg_database
      WHERE datname LIKE 'relance\_book\_${customers}x${invoices}\_%' AND datname != '$name'"); do
    case $other in *_build_* | *_shift_*) continue ;; esac
    warn "Dropping $other (another book of $customers x $invoices)"
    drop_db "$other"
  done
}

# book_install BOOK DB LOG: copies the book to DB and installs $ADDON without
# demo data (Odoo's output to LOG); sets book_copy_seconds and
# book_install_seconds.
book_install() {
  local book=$1 db=$2 log=$3 start
  start=$EPOCHREALTIME
  copy_db "$book" "$db" || return 1
  book_copy_seconds=$(_seconds_since "$start")
  start=$EPOCHREALTIME
  if ! odoo_run -d "$db" -i "$ADDON" --without-demo=all --stop-after-init --no-http \
    --log-level=warn >>"$log" 2>&1; then
    warn "Installing $ADDON on $db failed; last lines of $log:"
    tail -n 30 "$log" >&2
    return 1
  fi
  book_install_seconds=$(_seconds_since "$start")
}

_seconds_since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
  set -uo pipefail
  [ $# -ge 1 ] || { sed -n '2,22p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2; }
  odoo_importable || { warn "Odoo 18 is not importable by $PYTHON"; exit 1; }
  ensure_book "$@"
fi
