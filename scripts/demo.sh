#!/usr/bin/env bash
# The demo: a database with demo data, today's dunning run done, and a server.
#
#   ./scripts/demo.sh [--reset] [--no-serve] [--port PORT]
#
# Creates the database relance_demo (RELANCE_DEMO_DB) with French loaded and
# relance_facture with its demo data (a French company in euros, its
# customers at every stage and their answers), or updates the addon in it if
# it exists (--reset recreates it), runs today's dunning run (the daily
# scheduled action), prints what to look at first, then serves Odoo on
# http://localhost:8069 (login admin, password admin). --no-serve stops after.
set -euo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

usage() { sed -n '2,11p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

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
  say "Creating $db from $tmpl, loading French and installing $ADDON with its demo data"
  copy_db "$tmpl" "$db"
  # French first: the addon's translation loads with it, and its demo
  # company, users and customers are French
  odoo_quiet --load-language=fr_FR -i "$ADDON" --stop-after-init
fi

say "Running today's dunning run (scheduled action relance_facture.ir_cron_relance_daily)"
odoo_quiet shell <<'PY'
env.ref("relance_facture.ir_cron_relance_daily").method_direct_trigger()
env.cr.commit()
PY

# What to look at first, with the menu paths read from the database (English,
# then French as the demo shows them).
guide=$(odoo_run shell -d "$db" --no-http --log-level=warn 2>>"$log" <<'PY'
def path(xmlid):
    def names(lang):
        menu, parts = env.ref(xmlid).with_context(lang=lang), []
        while menu:
            parts.insert(0, menu.name)
            menu = menu.parent_id
        return " › ".join(parts)
    french = names("fr_FR")
    english = names("en_US")
    return english if french == english else f"{english} ({french})"


def ref(xmlid):
    return env.ref(f"relance_facture.{xmlid}", raise_if_not_found=False)


company = ref("company_demo")
if company:
    env = env(context=dict(env.context, allowed_company_ids=company.ids))
    print(f"GUIDE Demo company: {company.name}, {company.city} ({company.currency_id.name}).")
    print("GUIDE What to look at first:")
    print(f"GUIDE  1. Today's work, card by card: {path('relance_facture.relance_workspace_menu')}")
    notices = env["relance.event"].search(
        [("state", "=", "draft"), ("kind", "=", "formal_notice"), ("company_id", "=", company.id)]
    )
    who = ", ".join(f"{e.partner_id.name} ({e.move_id.name})" for e in notices)
    print(f"GUIDE  2. Formal notices ready to validate, {who}: {path('relance_facture.relance_event_menu_to_validate')}")
    answers = env["relance.answer"].search([("company_id", "=", company.id)])
    print(
        f"GUIDE  3. The customers' answers ({len(answers)}: paid, promise, dispute, payment "
        f"plan, email reply): {path('relance_facture.relance_answer_menu')}"
    )
    copied = env["ir.model.data"].search(
        [("module", "=", "relance_facture"), ("name", "=like", "rate_demo_%")]
    )
    for rate in env["relance.rate"].browse(copied.mapped("res_id")):
        print(
            f"GUIDE Note: the late-payment rates of {rate.name} are not in the shipped "
            "table yet; the demo copied the previous semester's: "
            + path("relance_facture.relance_rate_menu")
        )
PY
) || true
say ""
grep '^GUIDE' <<<"$guide" | sed 's/^GUIDE //' || true
say ""
say "Demo database: $db. Log in as admin / admin."
if [ -z "$serve" ]; then
  say "Start it with: ./scripts/demo.sh (serves http://localhost:$port)"
  exit 0
fi
say "Serving http://localhost:$port (Ctrl-C stops it). Odoo's log: $log"
say "Scheduled actions are off: the reminder emails stay in Odoo's queue (there is no"
say "mail server to send them to); ./scripts/demo.sh runs the day's dunning when started."
odoo_run -d "$db" --db-filter="^$db\$" --http-interface=127.0.0.1 --http-port="$port" \
  --max-cron-threads=0 --logfile="$log"
