# Helpers shared by scripts/test.sh and scripts/demo.sh. Source it, don't run it.
# They only USE an installed Odoo 18 and PostgreSQL; they never install Odoo.

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Where the addon lives (its parent folder goes on the addons path). Tests of
# these scripts point it at a throwaway addon.
ADDON_PARENT=${RELANCE_ADDON_PARENT:-$ROOT}
ADDON=relance_facture
ADDON_DIR=$ADDON_PARENT/$ADDON
# The optional glue addon for parallel workers (depends on OCA queue_job).
QUEUE_ADDON=relance_facture_queue
QUEUE_ADDON_DIR=$ADDON_PARENT/$QUEUE_ADDON
PYTHON=${PYTHON:-python3}
VAR=$ROOT/var
mkdir -p "$VAR/log"

say() { printf '%s\n' "$*"; }
warn() { printf '%s\n' "$*" >&2; }

odoo_importable() { "$PYTHON" -c "import odoo.release" >/dev/null 2>&1; }

# Sets ODOO_ADDONS (Odoo's own addons path), FILESTORE_ROOT and ODOO_KEY (changes
# when Odoo's version or location changes, so templates built by another Odoo
# are not reused).
odoo_facts() {
  local facts
  facts=$("$PYTHON" - <<'PY'
import hashlib
import odoo.release as release
from odoo.tools import config
config._parse_config([])
key = f"{release.version_info}:{config['addons_path']}"
print(config["addons_path"])
print(config.filestore("x")[:-2])
print(hashlib.sha1(key.encode()).hexdigest()[:8])
PY
  ) || return 1
  { read -r ODOO_ADDONS; read -r FILESTORE_ROOT; read -r ODOO_KEY; } <<<"$facts"
}

# The addon's "depends", comma separated: what a template database holds.
addon_depends() {
  "$PYTHON" -c '
import ast, sys
manifest = ast.literal_eval(open(sys.argv[1]).read())
print(",".join(sorted(manifest.get("depends", ["base"]))))' "$ADDON_DIR/__manifest__.py"
}

# odoo_run [shell] OPTIONS...: Odoo with our addon (and EXTRA_ADDONS_PATH, if
# set) on its addons path.
odoo_run() {
  local -a sub=()
  if [ "${1:-}" = shell ]; then sub=(shell); shift; fi
  "$PYTHON" -m odoo "${sub[@]}" \
    --addons-path="$ODOO_ADDONS,$ADDON_PARENT${EXTRA_ADDONS_PATH:+,$EXTRA_ADDONS_PATH}" "$@"
}

# oca_addons REQUIREMENT...: prints the folder (for --addons-path) holding the
# OCA addons of these PyPI wheels, installed once under var/oca with --no-deps
# (their metadata asks for an "odoo" distribution). They go to their own
# folder, never into site-packages: a site-packages/odoo folder would shadow
# an Odoo installed in editable mode.
oca_addons() {
  local dir key
  key=$(printf '%s\n' "$@" | sha1sum | cut -c1-8)
  dir=$VAR/oca/$key
  if [ ! -f "$dir/.done" ]; then
    rm -rf "$dir"
    "$PYTHON" -m pip install -q --no-deps --target "$dir" "$@" >&2 || return 1
    touch "$dir/.done"
  fi
  printf '%s\n' "$dir/odoo/addons"
}

# The queue_job this Odoo 18.0 snapshot can run (later 18.0 releases need
# odoo.api.private).
QUEUE_JOB_WHEEL=odoo-addon-queue-job==18.0.1.2.0

db_user() { printf '%s' "${PGUSER:-$(id -un)}"; }
pg_ok() { psql -d postgres -Atqc 'select 1' >/dev/null 2>&1; }
db_exists() { [ "$(psql -d postgres -Atqc "select 1 from pg_database where datname='$1'")" = 1 ]; }

# Starts PostgreSQL if it is down and creates our superuser role if missing
# (both need root). Returns non-zero with a clear message when it cannot.
ensure_postgres() {
  local user i
  user=$(db_user)
  if [ "$user" = postgres ]; then
    warn "Odoo refuses the 'postgres' database role: run as another user or set PGUSER."
    return 1
  fi
  if ! command -v psql >/dev/null; then
    warn "PostgreSQL is not installed (no psql): apt-get install postgresql libpq-dev"
    return 1
  fi
  pg_ok && return 0
  if ! pg_isready -q && [ "$(id -u)" = 0 ] && command -v service >/dev/null; then
    service postgresql start >/dev/null 2>&1 || true
    for i in $(seq 30); do pg_isready -q && break; sleep 1; done
  fi
  if ! pg_isready -q; then
    warn "PostgreSQL is not running and could not be started (try: service postgresql start)."
    return 1
  fi
  if ! pg_ok && [ "$(id -u)" = 0 ]; then
    su postgres -c "createuser -s '$user'" >/dev/null 2>&1 || true
  fi
  pg_ok && return 0
  warn "Cannot connect to PostgreSQL as role '$user' (create it: su postgres -c \"createuser -s $user\")."
  return 1
}

# drop_db NAME: the database and its filestore.
drop_db() {
  dropdb --if-exists "$1" >/dev/null 2>&1 || true
  rm -rf "${FILESTORE_ROOT:?}/$1"
}

# copy_db TEMPLATE NAME: database and filestore.
copy_db() {
  createdb -T "$1" "$2" || return 1
  mkdir -p "$FILESTORE_ROOT"
  rm -rf "${FILESTORE_ROOT:?}/$2"
  cp -a "$FILESTORE_ROOT/$1" "$FILESTORE_ROOT/$2"
}

# ensure_template demo|nodemo: prints the name of a template database holding the
# addon's dependencies, built once (about 35 s) and reused while Odoo, the
# dependencies and the demo flag stay the same.
ensure_template() {
  local demo=$1 deps name build log
  local -a flags=()
  deps=$(addon_depends) || return 1
  name=relance_tmpl_${demo}_$(printf '%s' "$ODOO_KEY:$deps" | sha1sum | cut -c1-8)
  if [ -n "${RELANCE_REBUILD_TEMPLATE:-}" ]; then drop_db "$name"; fi
  if db_exists "$name" && [ -d "$FILESTORE_ROOT/$name" ]; then
    printf '%s\n' "$name"
    return 0
  fi
  drop_db "$name"
  [ "$demo" = demo ] || flags=(--without-demo=all)
  build=${name}_build_$$
  log=$VAR/log/$name.log
  warn "Building template database $name ($deps, $demo); log: $log"
  if ! odoo_run -d "$build" -i "$deps" "${flags[@]}" --stop-after-init --no-http \
    --log-level=warn >"$log" 2>&1; then
    warn "Building the template failed; last lines of $log:"
    tail -n 30 "$log" >&2
    drop_db "$build"
    return 1
  fi
  psql -d postgres -qc "ALTER DATABASE \"$build\" RENAME TO \"$name\"" || return 1
  mkdir -p "$FILESTORE_ROOT/$build"
  mv "$FILESTORE_ROOT/$build" "$FILESTORE_ROOT/$name"
  printf '%s\n' "$name"
}

free_port() {
  "$PYTHON" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Benchmarks measure a snapshot of the addon (the commit given as $1, else the
# working tree) installed in a fresh database $3 copied from the no-demo
# template. Sets snap, source_rev, source_desc, ADDON_PARENT, ADDON_DIR, tmpl.
prepare_benchmark() {
  local ref=$1 prefix=$2 db=$3
  snap=$(mktemp -d "$VAR/$prefix.XXXXXX")
  if [ -n "$ref" ]; then
    source_rev=$(git -C "$ROOT" rev-parse --short "$ref^{commit}") || { rm -rf "$snap"; return 1; }
    git -C "$ROOT" archive "$source_rev" "$ADDON" | tar -x -C "$snap" || { rm -rf "$snap"; return 1; }
    source_desc="commit $source_rev"
  else
    cp -a "$ADDON_DIR" "$snap/"
    source_rev=$(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null || echo unknown)
    source_desc="working tree (HEAD $source_rev"
    if [ -n "$(git -C "$ROOT" status --porcelain -- "$ADDON" 2>/dev/null)" ]; then
      source_desc="$source_desc + uncommitted changes)"
    else
      source_desc="$source_desc)"
    fi
  fi
  ADDON_PARENT=$snap ADDON_DIR=$snap/$ADDON
  [ -f "$ADDON_DIR/__manifest__.py" ] || { warn "No $ADDON in the snapshot."; rm -rf "$snap"; return 1; }
  ensure_postgres || { rm -rf "$snap"; return 1; }
  if db_exists "$db"; then
    warn "Database $db exists: the benchmark needs a fresh one (drop it or pick another --db)."
    rm -rf "$snap"
    return 1
  fi
  tmpl=$(ensure_template nodemo) || { rm -rf "$snap"; return 1; }
}

# After prepare_benchmark: remove the snapshot and drop $db (kept with keep_db=1).
bench_cleanup() {
  rm -rf "$snap"
  if [ -n "${keep_db:-}" ]; then
    say "Kept database $db (drop it with: dropdb $db; rm -rf $FILESTORE_ROOT/$db)"
  else
    drop_db "$db"
  fi
}

# install_benchmark_db LOG: copy the template to $db and install the addon
# without demo data (Odoo's output to LOG); cleans up when the install fails.
install_benchmark_db() {
  local log=$1
  copy_db "$tmpl" "$db" || { bench_cleanup; return 1; }
  if ! odoo_run -d "$db" -i "$ADDON" --without-demo=all --stop-after-init --no-http \
    --log-level=warn >>"$log" 2>&1; then
    warn "Installing $ADDON failed; last lines of $log:"
    tail -n 30 "$log" >&2
    bench_cleanup
    return 1
  fi
}
