"""The ``multiply`` phase of scripts/benchmark_stats.py: the seed cloned in
SQL up to the book's size (mapping tables of new ids, every column copied
but a few)."""

import sys

from benchmark_stats_base import SEED_PARAM, _env, _get_json, _set_json


def _columns(cr, table):
    cr.execute(
        """SELECT column_name FROM information_schema.columns
            WHERE table_schema = current_schema() AND table_name = %s
              AND is_generated = 'NEVER'
            ORDER BY ordinal_position""",
        [table],
    )
    return [row[0] for row in cr.fetchall()]


def _clone(cr, table, mapping, overrides, joins=""):
    """INSERT INTO table SELECT every column of the source row ``s`` (clone
    ``m.k`` of ``m.old_id``), ``overrides`` {column: SQL expression} replacing
    some; returns the row count."""
    columns = _columns(cr, table)
    overrides = {"id": "m.new_id", **overrides}
    unknown = set(overrides) - set(columns)
    if unknown:
        raise RuntimeError(f"{table}: no column {sorted(unknown)}")
    exprs = [overrides.get(col, f's."{col}"') for col in columns]
    cr.execute(
        f"""INSERT INTO "{table}" ({", ".join(f'"{col}"' for col in columns)})
            SELECT {", ".join(exprs)}
              FROM {mapping} m JOIN "{table}" s ON s.id = m.old_id {joins}"""  # noqa: S608
    )
    return cr.rowcount


def _map(cr, name, table, source_sql, k0, k1, params=()):
    """Temp table ``name`` (k, old_id, new_id): clone k of each row of
    ``source_sql`` (a query returning ids), new ids from the table's
    sequence."""
    cr.execute(
        f"""CREATE TEMP TABLE {name} ON COMMIT DROP AS
            SELECT k, src.id AS old_id,
                   nextval(pg_get_serial_sequence('{table}', 'id')) AS new_id
              FROM generate_series(%s, %s) k, ({source_sql}) src
             ORDER BY k, src.id""",  # noqa: S608
        [k0, k1, *params],
    )
    cr.execute(f"CREATE UNIQUE INDEX ON {name} (old_id, k)")
    cr.execute(f"ANALYZE {name}")
    return cr.rowcount


def multiply(registry, args):
    import time

    with registry.cursor() as cr:
        env = _env(cr)
        facts = _get_json(env, SEED_PARAM)
        if not facts:
            sys.exit(f"{args.db}: no seed (run --phase seed first)")
        per_clone = facts["seed_customers"]
        if args.customers % per_clone:
            sys.exit(f"--customers must be a multiple of {per_clone}")
        k0, k1 = facts["clones"], args.customers // per_clone - 1
        if k1 < k0:
            print(f"The book already holds {facts['clones'] * per_clone} customers")
            return
        start = time.perf_counter()
        counts = _multiply(cr, facts, k0, k1)
        cr.execute(
            "ANALYZE res_partner, account_move, account_move_line, "
            "account_partial_reconcile, account_full_reconcile, relance_event, "
            "account_move_line_account_tax_rel"
        )
        facts["clones"] = k1 + 1
        facts.setdefault("multiply", []).append(
            {
                "clones": [k0, k1],
                "rows": counts,
                "seconds": round(time.perf_counter() - start, 1),
            }
        )
        _set_json(env, SEED_PARAM, facts)
        cr.commit()
    print(
        f"Cloned the seed {k1 - k0 + 1} times (clones {k0}..{k1}) in "
        f"{facts['multiply'][-1]['seconds']} s: {counts}",
        flush=True,
    )


def _multiply(cr, facts, k0, k1):
    seed_lines = "SELECT id FROM account_move_line WHERE move_id = ANY(%s)"
    seed_partials = (
        "SELECT part.id FROM account_partial_reconcile part"
        " JOIN account_move_line l ON l.id = part.debit_move_id"
        " WHERE l.move_id = ANY(%s)"
    )
    seed_fulls = (
        "SELECT DISTINCT full_reconcile_id AS id FROM account_move_line"
        " WHERE move_id = ANY(%s) AND full_reconcile_id IS NOT NULL"
    )
    moves, partners = facts["move_ids"], facts["partner_ids"]
    _map(
        cr,
        "map_partner",
        "res_partner",
        "SELECT unnest(%s::int[]) AS id",
        k0,
        k1,
        [partners],
    )
    _map(
        cr,
        "map_move",
        "account_move",
        "SELECT unnest(%s::int[]) AS id",
        k0,
        k1,
        [moves],
    )
    _map(cr, "map_line", "account_move_line", seed_lines, k0, k1, [moves])
    _map(cr, "map_partial", "account_partial_reconcile", seed_partials, k0, k1, [moves])
    _map(cr, "map_full", "account_full_reconcile", seed_fulls, k0, k1, [moves])
    _map(
        cr,
        "map_event",
        "relance_event",
        "SELECT unnest(%s::int[]) AS id",
        k0,
        k1,
        [facts["event_ids"]],
    )
    suffix = "'-' || lpad(m.k::text, 3, '0')"
    # Due dates of clone k: -10..+10 days, a function of k and the invoice.
    shift = "(((m.k * 7 + {move}) % 21) - 10)"
    counts = {}

    def partner(alias, column, source="s"):
        return (
            f"LEFT JOIN map_partner {alias} ON {alias}.old_id = {source}.{column}"
            f" AND {alias}.k = m.k"
        )

    counts["res_partner"] = _clone(
        cr,
        "res_partner",
        "map_partner",
        {
            "parent_id": "mp.new_id",
            "commercial_partner_id": "mc.new_id",
            "name": "s.name || ' #' || m.k",
            "complete_name": "s.complete_name || ' #' || m.k",
            "email": "replace(s.email, '@', '+' || m.k || '@')",
        },
        partner("mp", "parent_id") + " " + partner("mc", "commercial_partner_id"),
    )
    counts["account_full_reconcile"] = _clone(
        cr, "account_full_reconcile", "map_full", {}
    )
    counts["account_move"] = _clone(
        cr,
        "account_move",
        "map_move",
        {
            "partner_id": "COALESCE(mp.new_id, s.partner_id)",
            "commercial_partner_id": "COALESCE(mc.new_id, s.commercial_partner_id)",
            "partner_shipping_id": "COALESCE(ms.new_id, s.partner_shipping_id)",
            "name": f"CASE WHEN s.name = '/' THEN s.name ELSE s.name || {suffix} END",
            "ref": f"s.ref || {suffix}",
            "payment_reference": f"s.payment_reference || {suffix}",
            "access_token": "NULL",
            "invoice_date_due": "CASE WHEN s.move_type = 'out_invoice' THEN "
            "GREATEST(s.invoice_date, s.invoice_date_due"
            f" + {shift.format(move='s.id')})"
            " ELSE s.invoice_date_due END",
        },
        partner("mp", "partner_id")
        + " "
        + partner("mc", "commercial_partner_id")
        + " "
        + partner("ms", "partner_shipping_id"),
    )
    counts["account_move_line"] = _clone(
        cr,
        "account_move_line",
        "map_line",
        {
            "move_id": "mm.new_id",
            "partner_id": "COALESCE(mp.new_id, s.partner_id)",
            "move_name": f"s.move_name || {suffix}",
            "full_reconcile_id": "mf.new_id",
            "matching_number": "CASE WHEN mf.new_id IS NOT NULL THEN mf.new_id::text"
            " WHEN mpm.new_id IS NOT NULL THEN 'P' || mpm.new_id"
            " ELSE s.matching_number END",
            "date_maturity": "CASE WHEN s.display_type = 'payment_term'"
            " AND sm.move_type = 'out_invoice' THEN GREATEST(sm.invoice_date,"
            f" s.date_maturity + {shift.format(move='sm.id')})"
            " ELSE s.date_maturity END",
        },
        "JOIN map_move mm ON mm.old_id = s.move_id AND mm.k = m.k"
        " JOIN account_move sm ON sm.id = s.move_id "
        + partner("mp", "partner_id")
        + " LEFT JOIN map_full mf ON mf.old_id = s.full_reconcile_id AND mf.k = m.k"
        " LEFT JOIN map_partial mpm ON s.matching_number LIKE 'P%%'"
        " AND mpm.old_id::text = substr(s.matching_number, 2) AND mpm.k = m.k",
    )
    counts["account_partial_reconcile"] = _clone(
        cr,
        "account_partial_reconcile",
        "map_partial",
        {
            "debit_move_id": "md.new_id",
            "credit_move_id": "mcr.new_id",
            "full_reconcile_id": "mf.new_id",
        },
        "JOIN map_line md ON md.old_id = s.debit_move_id AND md.k = m.k"
        " JOIN map_line mcr ON mcr.old_id = s.credit_move_id AND mcr.k = m.k"
        " LEFT JOIN map_full mf ON mf.old_id = s.full_reconcile_id AND mf.k = m.k",
    )
    cr.execute(
        """INSERT INTO account_move_line_account_tax_rel
                  (account_move_line_id, account_tax_id)
           SELECT m.new_id, rel.account_tax_id
             FROM map_line m
             JOIN account_move_line_account_tax_rel rel
               ON rel.account_move_line_id = m.old_id"""
    )
    counts["account_move_line_account_tax_rel"] = cr.rowcount
    counts["relance_event"] = _clone(
        cr,
        "relance_event",
        "map_event",
        {
            "move_id": "mm.new_id",
            "partner_id": "mp.new_id",
            "mail_id": "NULL",
            "dispatch_id": "NULL",
        },
        "JOIN map_move mm ON mm.old_id = s.move_id AND mm.k = m.k "
        + partner("mp", "partner_id"),
    )
    return counts
