#!/usr/bin/env bash
# The project's test command.
#
#   ./scripts/test.sh [--static | --odoo] [--tags TEST_TAGS] [--keep-db]
#
# Static tier (needs only python3 and PyPI): pylint-odoo, XML well-formedness,
# manifest checks, ruff check + format, and the pure-Python unit tests of
# tests_unit/ (pytest), of relance_facture and relance_facture_queue. Odoo tier
# (needs Odoo 18 importable by python3 and PostgreSQL): installs both addons
# (queue_job from its PyPI wheel, under var/oca) in a copy of a template
# database and runs their Odoo tests (default tags
# /relance_facture,/relance_facture_queue); with the default tags, a second
# database installs relance_facture with its demo data and runs the demo's
# test (TestDemoData: the demo company, its counters, answers, penalties).
#
# Environment: RELANCE_REQUIRE_ODOO=1 makes a missing Odoo a failure instead of
# a skip; RELANCE_ADDON_PARENT=DIR tests DIR/relance_facture (and
# DIR/relance_facture_queue if there) instead of the repository's;
# RELANCE_REBUILD_TEMPLATE=1 rebuilds the template database;
# RELANCE_ODOO_TIMEOUT=SECONDS bounds the Odoo run (default 3600);
# RELANCE_TEST_LOG=FILE writes Odoo's output there (default var/log/odoo-tests.log).
set -uo pipefail
# shellcheck source=scripts/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
export RELANCE_ADDON_PARENT=$ADDON_PARENT

usage() { sed -n '2,21p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit "${1:-0}"; }

static=1 odoo=1 keep_db="" tags="/$ADDON,/$QUEUE_ADDON"
while [ $# -gt 0 ]; do
  case $1 in
    --static) odoo="" ;;
    --odoo) static="" ;;
    --keep-db) keep_db=1 ;;
    --tags) [ $# -ge 2 ] || usage 2; tags=$2; shift ;;
    --tags=*) tags=${1#--tags=} ;;
    -h | --help) usage ;;
    *) warn "unknown option: $1"; usage 2 ;;
  esac
  shift
done

s_pass=0 s_fail=0 s_skip=0 o_pass=0 o_fail=0 o_skip=0

# ---------------------------------------------------------------- static tier
VENV=$VAR/venv-static
REQS=$ROOT/scripts/requirements-static.txt

static_tools() {
  local stamp=$VENV/.requirements
  if [ -x "$VENV/bin/python" ] && cmp -s "$REQS" "$stamp"; then return 0; fi
  say "Installing the static tools into var/venv-static (scripts/requirements-static.txt)"
  "$PYTHON" -m venv --clear "$VENV" || { warn "python3 -m venv failed (Debian: apt-get install python3-venv)"; return 1; }
  if ! "$VENV/bin/python" -m pip install -q --disable-pip-version-check -r "$REQS" \
    >"$VAR/log/pip-static.log" 2>&1; then
    tail -n 20 "$VAR/log/pip-static.log" >&2
    return 1
  fi
  cp "$REQS" "$stamp"
}

# check NAME COMMAND...: one static check, one test in the counts.
check() {
  local name=$1 log=$VAR/log/static-$1.log
  shift
  if (cd "$ROOT" && "$@") >"$log" 2>&1; then
    say "ok      $name"
    s_pass=$((s_pass + 1))
  else
    say "FAILED  $name ($*)"
    head -n 200 "$log" | sed 's/^/    /'
    [ "$(wc -l <"$log")" -le 200 ] || say "    ... full output in var/log/static-$name.log"
    s_fail=$((s_fail + 1))
  fi
}

unit_tests() {
  local xml=$VAR/log/pytest.xml rc counts
  if ! compgen -G "$ROOT/tests_unit/test_*.py" >/dev/null; then
    say "unit tests: none in tests_unit/ (0 run)"
    return 0
  fi
  rm -f "$xml"
  (cd "$ROOT" && "$VENV/bin/python" -m pytest tests_unit -q -p no:cacheprovider --junitxml="$xml")
  rc=$?
  # 5 means pytest collected no test: not a failure, nothing counted.
  [ "$rc" = 5 ] && return 0
  counts=$("$VENV/bin/python" - "$xml" <<'PY'
import sys
from xml.etree import ElementTree

try:
    suite = ElementTree.parse(sys.argv[1]).getroot().find("testsuite")
    total, failed, errors, skipped = (
        int(suite.get(key, 0)) for key in ("tests", "failures", "errors", "skipped")
    )
    print(total - failed - errors - skipped, failed + errors, skipped)
except (OSError, ElementTree.ParseError, AttributeError):
    print(0, 0, 0)
PY
  )
  read -r p f s <<<"$counts"
  # A crash or collection error that the report does not show still fails.
  if [ "$rc" != 0 ] && [ "$f" = 0 ]; then f=1; fi
  s_pass=$((s_pass + p)) s_fail=$((s_fail + f)) s_skip=$((s_skip + s))
}

static_tier() {
  say "=== Static tier: $ADDON_DIR and $QUEUE_ADDON"
  if ! static_tools; then
    say "FAILED  installing the static tools (is PyPI reachable?)"
    s_fail=$((s_fail + 1))
    return
  fi
  local bin=$VENV/bin dir suffix
  local -a addon_dirs=("$ADDON_DIR")
  [ -f "$QUEUE_ADDON_DIR/__manifest__.py" ] && addon_dirs+=("$QUEUE_ADDON_DIR")
  check pylint-odoo "$bin/pylint" --rcfile="$ROOT/.pylintrc" "${addon_dirs[@]}"
  for dir in "${addon_dirs[@]}"; do
    suffix=-${dir##*/}
    [ "$dir" != "$ADDON_DIR" ] || suffix=""
    check "xml$suffix" "$bin/python" scripts/check_addon.py xml "$dir"
    check "manifest$suffix" "$bin/python" scripts/check_addon.py manifest "$dir"
    check "readme-rst$suffix" "$bin/python" scripts/readme_rst.py --check "$dir"
  done
  local -a py_paths=("${addon_dirs[@]}" scripts)
  [ -d "$ROOT/tests_unit" ] && py_paths+=(tests_unit)
  check ruff-check "$bin/ruff" check --config "$ROOT/ruff.toml" "${py_paths[@]}"
  check ruff-format "$bin/ruff" format --check --config "$ROOT/ruff.toml" "${py_paths[@]}"
  unit_tests
}

# ------------------------------------------------------------------ odoo tier
odoo_fail() { say "FAILED  odoo tier: $*"; o_fail=$((o_fail + 1)); }

odoo_tier() {
  say "=== Odoo tier: $ADDON_DIR (tags $tags)"
  if ! odoo_importable; then
    cat <<BANNER
################################################################################
#  ODOO TIER SKIPPED: Odoo 18 is not importable by $PYTHON
#  ("import odoo.release" fails), so this run proves nothing about the addon:
#  no install, no Odoo test. Install Odoo 18 into $PYTHON as Odoo's README
#  says (pip install -e <odoo checkout>) and start PostgreSQL, then re-run.
################################################################################
BANNER
    if [ "${RELANCE_REQUIRE_ODOO:-}" = 1 ]; then
      odoo_fail "RELANCE_REQUIRE_ODOO=1 and Odoo is missing"
    else
      o_skip=$((o_skip + 1))
    fi
    return
  fi
  [ -f "$ADDON_DIR/__manifest__.py" ] || { odoo_fail "no $ADDON_DIR/__manifest__.py"; return; }
  odoo_facts || { odoo_fail "cannot read Odoo's configuration"; return; }
  ensure_postgres || { odoo_fail "PostgreSQL is not usable"; return; }
  local tmpl db log rc counts oca addons=$ADDON paths="$ODOO_ADDONS,$ADDON_PARENT"
  tmpl=$(ensure_template nodemo) || { odoo_fail "no template database"; return; }
  # The glue addon and queue_job go on top of the template, which holds
  # relance_facture's dependencies only.
  if [ -f "$QUEUE_ADDON_DIR/__manifest__.py" ]; then
    oca=$(oca_addons "$QUEUE_JOB_WHEEL") ||
      { odoo_fail "cannot install $QUEUE_JOB_WHEEL (is PyPI reachable?)"; return; }
    addons="$ADDON,$QUEUE_ADDON" paths="$paths,$oca"
  fi
  db=relance_test_$(date +%Y%m%d_%H%M%S)_$$
  log=${RELANCE_TEST_LOG:-$VAR/log/odoo-tests.log}
  drop_db "$db"
  # An interrupted run leaves no database behind.
  trap 'drop_db "$db"; exit 130' INT TERM
  copy_db "$tmpl" "$db" || { odoo_fail "cannot copy $tmpl"; return; }
  say "Installing $addons and running their tests in $db (log: ${log#"$ROOT"/})"
  timeout --foreground "${RELANCE_ODOO_TIMEOUT:-3600}" "$PYTHON" -m odoo -d "$db" \
    --addons-path="$paths" -i "$addons" --test-tags "$tags" \
    --without-demo=all --stop-after-init --log-level=test \
    --http-interface=127.0.0.1 --http-port="$(free_port)" >"$log" 2>&1
  rc=$?
  [ "$rc" = 124 ] && say "FAILED: Odoo timed out after ${RELANCE_ODOO_TIMEOUT:-3600}s"
  "$PYTHON" "$ROOT/scripts/odoo_test_log.py" "$log" "$rc" "$log.counts"
  read -r counts <"$log.counts" || counts="0 1 0"
  read -r o_pass o_fail o_skip <<<"$counts"
  trap - INT TERM
  if [ -n "$keep_db" ]; then
    say "Kept database $db (drop it with: dropdb $db; rm -rf $FILESTORE_ROOT/$db)"
  else
    drop_db "$db"
  fi
}

# The demo data, installed as a newcomer gets it, and its test.
demo_pass() {
  local tmpl db log rc counts d_pass d_fail d_skip
  tmpl=$(ensure_template demo) || { odoo_fail "no demo template database"; return; }
  db=relance_test_demo_$(date +%Y%m%d_%H%M%S)_$$
  log=${RELANCE_TEST_LOG:-$VAR/log/odoo-tests.log}.demo
  drop_db "$db"
  trap 'drop_db "$db"; exit 130' INT TERM
  copy_db "$tmpl" "$db" || { odoo_fail "cannot copy $tmpl"; return; }
  say "Installing $ADDON with its demo data and running its demo test in $db (log: ${log#"$ROOT"/})"
  timeout --foreground "${RELANCE_ODOO_TIMEOUT:-3600}" "$PYTHON" -m odoo -d "$db" \
    --addons-path="$ODOO_ADDONS,$ADDON_PARENT" -i "$ADDON" \
    --test-tags "/$ADDON:TestDemoData" --stop-after-init --log-level=test \
    --http-interface=127.0.0.1 --http-port="$(free_port)" >"$log" 2>&1
  rc=$?
  "$PYTHON" "$ROOT/scripts/odoo_test_log.py" "$log" "$rc" "$log.counts"
  read -r counts <"$log.counts" || counts="0 1 0"
  read -r d_pass d_fail d_skip <<<"$counts"
  o_pass=$((o_pass + d_pass)) o_fail=$((o_fail + d_fail)) o_skip=$((o_skip + d_skip))
  trap - INT TERM
  [ -n "$keep_db" ] || drop_db "$db"
}

[ -n "$static" ] && static_tier
[ -n "$odoo" ] && odoo_tier
if [ -n "$odoo" ] && [ "$tags" = "/$ADDON,/$QUEUE_ADDON" ] && odoo_importable; then
  demo_pass
fi

say ""
[ -n "$static" ] && say "static tier: $s_pass passed, $s_fail failed, $s_skip skipped"
[ -n "$odoo" ] && say "odoo tier: $o_pass passed, $o_fail failed, $o_skip skipped"
failed=$((s_fail + o_fail))
say "$((s_pass + o_pass)) passed, $failed failed, $((s_skip + o_skip)) skipped"
[ "$failed" = 0 ]
