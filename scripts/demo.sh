#!/usr/bin/env bash
# The demo: a database with demo data, today's dunning run done, and a server.
#
#   ./scripts/demo.sh [--reset] [--no-serve] [--port PORT]
#
# Creates the database relance_demo (RELANCE_DEMO_DB) with relance_facture and
# its demo data, or updates the addon in it if it exists (--reset recreates
# it), runs today's dunning run (the daily scheduled action), then serves Odoo
# on http://localhost:8069 (login admin, password admin). --no-serve stops
# after the run.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

db=${RELANCE_DEMO_DB:-relance_demo} reset="" serve=1 port=8069
while [ $# -gt 0 ]; do
  case $1 in
    --reset) reset=1 ;;
    --no-serve) serve="" ;;
    --port) [ $# -ge 2 ] || usage 2; port=$2; shift ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done

if ! odoo_importable; then
  warn "Missing: Odoo 18 is not importable by $PYTHON. Install it into $PYTHON the way"
  warn "Odoo's README says (pip install -e <odoo 18.0 checkout>), then re-run."
  exit 1
fi
if [ ! -f "$ADDON_DIR/__manifest__.py" ]; then
  warn "Missing: $ADDON_DIR/__manifest__.py (the addon itself)."
  exit 1
fi
odoo_facts
ensure_postgres || { warn "Missing: a usable PostgreSQL (see above)."; exit 1; }

log=$VAR/log/demo.log
: >"$log"
odoo_quiet() {
  local -a sub=()
  if [ "$1" = shell ]; then sub=(shell); shift; fi
  if ! odoo_run "${sub[@]}" -d "$db" --no-http --log-level=warn "$@" >>"$log" 2>&1; then
    warn "Odoo failed; last lines of $log:"
    tail -n 40 "$log" >&2
    exit 1
  fi
}

[ -z "$reset" ] || drop_db "$db"
if db_exists "$db"; then
  say "Updating $ADDON in the existing database $db (--reset recreates it)"
  odoo_quiet -u "$ADDON" --stop-after-init
else
  tmpl=$(ensure_template demo)
  say "Creating $db from $tmpl and installing $ADDON with its demo data"
  copy_db "$tmpl" "$db"
  odoo_quiet -i "$ADDON" --stop-after-init
fi

say "Running today's dunning run (scheduled action relance_facture.ir_cron_relance_daily)"
odoo_quiet shell <<'PY'
env.ref("relance_facture.ir_cron_relance_daily").method_direct_trigger()
env.cr.commit()
PY

say ""
say "Demo database: $db. Log in as admin / admin."
if [ -z "$serve" ]; then
  say "Start it with: ./scripts/demo.sh (serves http://localhost:$port)"
  exit 0
fi
say "Serving http://localhost:$port (Ctrl-C stops it). Odoo's log: $log"
odoo_run -d "$db" --db-filter="^$db\$" --http-interface=127.0.0.1 --http-port="$port" \
  --logfile="$log"
