#!/usr/bin/env python3
"""Benchmark of the customer statistics refresh on a large book.

    python3 scripts/benchmark_stats.py --db DB --addons-path PATHS --phase PHASE
        [--seed-customers 100] [--invoices 10] [--customers 10000] [--seed 42]

DB must hold relance_facture (installed without demo data);
scripts/benchmark_stats.sh prepares it from the template and calls the phases,
each in a fresh process:

  seed      creates a seed book through the ORM (--seed-customers customers x
            --invoices posted invoices spread over two years, most of the old
            ones paid by reconciled bank entries, some partly; sent reminders,
            second reminders and formal notices) and commits.
  multiply  clones the seed in SQL up to --customers customers (clone k of a
            seed record gets new ids through mapping tables; customers, invoice
            contacts, invoices, payment entries, their lines, partial and full
            reconciliations, line taxes, dunning events), shifts the due dates
            of each clone a little (a function of k and the invoice), suffixes
            names, then ANALYZEs. Called once per size, growing the book.
  run       resets the figures (no statistics row, no automatic profile), then
            times on the current book: the nightly ``_cron_refresh()`` as a
            manual trigger runs it (batches of 2000, first run: every row
            inserted, profiles applied), one ``_relance_refresh()`` of every
            customer, and a second ``_cron_refresh()`` the next night (rows
            updated, profiles unchanged); checks the result on a sample.
            Its figures are kept in the database under the book's size.
  report    prints the summary with PASS/FAIL, one ``BENCHMARK_STATS_JSON``
            line and writes var/benchmark-stats-<date>.json. Exits 3 when a
            target is missed.
"""

import argparse
import collections
import datetime
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402  (Meter, bootstrap, customers of the seed)

ROOT = benchmark.ROOT
SEED_PARAM = "relance_benchmark_stats.seed"
RUNS_PARAM = "relance_benchmark_stats.runs"
TARGET_SECONDS = 10.0
TARGET_CUSTOMERS = 10_000
BATCH_SIZE = 2000  # _cron_refresh's default
SAMPLE = 40
# Seed book: history over two years, behaviour by customer.
HISTORY_DAYS = 720
FUTURE_DAYS = 45
SHARE_RECENT = 0.10  # customers whose first invoice is less than 6 months old
BEHAVIOURS = (  # name, share, days paid after the due date (min, max)
    ("punctual", 0.45, (-10, 4)),
    ("average", 0.35, (0, 35)),
    ("late", 0.20, (20, 120)),
)
SHARE_AUTO = 0.80  # customers in automatic profile mode (the others: manual)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path")
    parser.add_argument(
        "--phase", choices=("seed", "multiply", "run", "report"), required=True
    )
    parser.add_argument("--seed-customers", type=int, default=100)
    parser.add_argument("--invoices", type=int, default=10, help="per customer")
    parser.add_argument(
        "--customers",
        type=int,
        default=TARGET_CUSTOMERS,
        help="multiply: size of the book to reach (a multiple of the seed)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--source", default="")
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    args = parser.parse_args(argv)
    if args.seed_customers < 1 or args.invoices < 1 or args.customers < 1:
        parser.error("sizes must be positive")
    # benchmark.bootstrap reads these
    args.profile = args.tracemalloc = False
    return args


def _env(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(
        cr,
        SUPERUSER_ID,
        {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
    )


def _get_json(env, key, default=None):
    value = env["ir.config_parameter"].get_param(key)
    return json.loads(value) if value else default


def _set_json(env, key, value):
    env["ir.config_parameter"].set_param(key, json.dumps(value, sort_keys=True))


def _high_id(cr, table):
    cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
    return cr.fetchone()[0]


# ----------------------------------------------------------------------------
# Seed (ORM)
# ----------------------------------------------------------------------------
def seed(registry, args):
    import time

    rng = random.Random(args.seed)
    today = datetime.date.today()
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = _env(cr)
        if _get_json(env, SEED_PARAM):
            sys.exit(f"{args.db} already holds a seed: use a fresh database")
        moves0 = _high_id(cr, "account_move")
        customers, bill_to = benchmark._generate_customers(
            env, rng, args.seed_customers
        )
        # benchmark.py sets the profiles by hand; here most follow the rules.
        auto = rng.sample(list(customers), round(SHARE_AUTO * len(customers)))
        env["res.partner"].concat(*auto).write({"relance_profile_mode": "auto"})
        cr.commit()
        behaviour = {}
        names = [name for name, _share, _days in BEHAVIOURS]
        weights = [share for _name, share, _days in BEHAVIOURS]
        for customer in customers:
            behaviour[customer.id] = rng.choices(names, weights)[0]
        invoices = _seed_invoices(env, rng, customers, bill_to, args, today)
        payments = _seed_payments(env, rng, invoices, behaviour, today)
        events = _seed_events(env, rng, invoices, behaviour, today)
        cr.commit()
        cr.execute("SELECT id FROM account_move WHERE id > %s ORDER BY id", [moves0])
        move_ids = [row[0] for row in cr.fetchall()]
        partner_ids = sorted(customers.ids + [c.id for c in bill_to.values()])
        facts = {
            "seed_customers": len(customers),
            "invoice_contacts": len(bill_to),
            "invoices_per_customer": args.invoices,
            "seed_invoices": len(invoices),
            "seed_moves": len(move_ids),
            "seed_events": len(events),
            "behaviours": dict(sorted(collections.Counter(behaviour.values()).items())),
            "auto_customers": len(auto),
            "payments": payments,
            "partner_ids": partner_ids,
            "move_ids": move_ids,
            "event_ids": events.ids,
            "date": today.isoformat(),
            "seed_seconds": round(time.perf_counter() - start, 1),
            "seed": args.seed,
            "clones": 1,
        }
        _set_json(env, SEED_PARAM, facts)
        cr.commit()
    print(
        f"Seed: {facts['seed_customers']} customers, {facts['seed_invoices']} "
        f"invoices, {facts['seed_moves']} moves, {facts['seed_events']} events "
        f"in {facts['seed_seconds']} s",
        flush=True,
    )


def _seed_invoices(env, rng, customers, bill_to, args, today):
    company = env.company
    sale_tax = company.account_sale_tax_id
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    recent = set(rng.sample(customers.ids, round(SHARE_RECENT * len(customers))))
    vals_list = []
    for customer in customers:
        partner = bill_to.get(customer, customer)
        oldest = 150 if customer.id in recent else HISTORY_DAYS
        for _n in range(args.invoices):
            due = today + datetime.timedelta(days=rng.randint(-oldest, FUTURE_DAYS))
            vals_list.append(
                benchmark.invoice_vals(rng, journal, partner, due, today, sale_tax)
            )
    return benchmark.post_invoices(env, vals_list)


def _seed_payments(env, rng, invoices, behaviour, today):
    """Invoices due more than a month ago: 90 % paid (10 % of them in part);
    more recent ones: 35 %. Paid when the customer's behaviour says."""
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    plan = []
    for invoice in invoices:
        due = invoice.invoice_date_due
        old = (today - due).days > 30
        if rng.random() >= (0.90 if old else 0.35):
            continue
        low, high = dict((n, d) for n, _s, d in BEHAVIOURS)[
            behaviour[invoice.commercial_partner_id.id]
        ]
        date = due + datetime.timedelta(days=rng.randint(low, high))
        date = max(min(date, today), invoice.invoice_date)
        plan.append((invoice, date, rng.random() < 0.10))
    for start in range(0, len(plan), benchmark.CHUNK):
        chunk = plan[start : start + benchmark.CHUNK]
        vals_list, receivables = [], []
        for invoice, date, partial in chunk:
            receivable = invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )[:1]
            total = invoice.amount_residual
            amount = (
                invoice.currency_id.round(total * rng.uniform(0.2, 0.8))
                if partial
                else total
            )
            receivables.append(receivable)
            label = f"Payment {invoice.name}"
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": bank.id,
                    "date": date,
                    "ref": label,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "account_id": receivable.account_id.id,
                                "partner_id": invoice.commercial_partner_id.id,
                                "credit": amount,
                                "name": label,
                            },
                        ),
                        (
                            0,
                            0,
                            {
                                "account_id": bank.default_account_id.id,
                                "debit": amount,
                                "name": label,
                            },
                        ),
                    ],
                }
            )
        entries = env["account.move"].create(vals_list)
        entries.action_post()
        env["account.move.line"]._reconcile_plan(
            [
                receivable
                + entry.line_ids.filtered(
                    lambda line, r=receivable: line.account_id == r.account_id
                )
                for receivable, entry in zip(receivables, entries, strict=True)
            ]
        )
        env.cr.commit()
        env.invalidate_all()
        print(f"  payments: {start + len(chunk)}/{len(plan)}", file=sys.stderr)
    return {
        "full": sum(1 for _i, _d, partial in plan if not partial),
        "partial": sum(1 for _i, _d, partial in plan if partial),
    }


def _seed_events(env, rng, invoices, behaviour, today):
    """Sent dunning events on overdue invoices: first reminders, second
    reminders for the average and late payers, formal notices for some late
    ones (so that the events statement and the risky rule have work)."""
    profile = env.ref("relance_facture.profile_standard")
    levels = profile.level_ids
    first = levels.filtered(
        lambda lvl: lvl.kind == "reminder" and lvl.reminder_number == 1
    )[:1]
    second = levels.filtered(
        lambda lvl: lvl.kind == "reminder" and lvl.reminder_number == 2
    )[:1]
    notice = levels.filtered(lambda lvl: lvl.kind == "formal_notice")[:1]
    currency = env.company.currency_id
    vals_list = []

    def event(invoice, level, days, channel="email"):
        date = invoice.invoice_date_due + datetime.timedelta(days=days)
        if date > today:
            return
        vals_list.append(
            {
                "move_id": invoice.id,
                "partner_id": invoice.commercial_partner_id.id,
                "level_id": level.id,
                "company_id": env.company.id,
                "currency_id": currency.id,
                "channel": channel,
                "date": date,
                "state": "sent",
                "due_date": invoice.invoice_date_due,
                "days_late": days,
                "amount_residual": invoice.amount_total,
            }
        )

    for invoice in invoices:
        kind = behaviour[invoice.commercial_partner_id.id]
        if invoice.invoice_date_due >= today or kind == "punctual":
            continue
        if rng.random() < (0.5 if kind == "average" else 0.9):
            event(invoice, first, 8)
            if rng.random() < (0.3 if kind == "average" else 0.7):
                event(invoice, second, 20)
                if kind == "late" and rng.random() < 0.25:
                    event(invoice, notice, 35, "formal_notice")
    return env["relance.event"].create(vals_list)


# ----------------------------------------------------------------------------
# Multiply (SQL)
# ----------------------------------------------------------------------------
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


# ----------------------------------------------------------------------------
# Run
# ----------------------------------------------------------------------------
def _reset(env, company):
    """As before the first nightly run: no figures, no automatic profile, no
    pending proposal of the Strict profile."""
    cr = env.cr
    cr.execute("DELETE FROM relance_partner_stat WHERE company_id = %s", [company.id])
    cr.execute(
        "UPDATE res_partner SET relance_profile_auto_id = NULL"
        " WHERE relance_profile_auto_id IS NOT NULL"
    )
    activity_type = env.ref("relance_facture.mail_activity_type_relance_risky")
    cr.execute(
        "DELETE FROM mail_activity WHERE activity_type_id = %s", [activity_type.id]
    )
    env.invalidate_all()


def _vacuum_stats(registry):
    """What autovacuum does after a mass change of the figures (between the
    reset and the first night, and during the day before the next night)."""
    with registry.cursor() as cr:
        cr.commit()
        cr._cnx.autocommit = True
        try:
            cr.execute("VACUUM ANALYZE relance_partner_stat")
        finally:
            cr._cnx.autocommit = False


def _customers(env, company):
    cr = env.cr
    cr.execute(
        """SELECT DISTINCT commercial_partner_id FROM account_move
            WHERE move_type = 'out_invoice' AND state = 'posted'
              AND company_id = %s""",
        [company.id],
    )
    return env["res.partner"].browse(sorted(row[0] for row in cr.fetchall()))


def _count_batches(registry):
    """Counts the calls of ir.cron._notify_progress (one per batch)."""
    cls = registry["ir.cron"]
    original = cls._notify_progress
    calls = collections.Counter()

    def _notify_progress(self, *, done, remaining, deactivate=False):
        calls["batches"] += 1
        calls["done"] += done
        return original(self, done=done, remaining=remaining, deactivate=deactivate)

    cls._notify_progress = _notify_progress
    return calls


def _time_methods(registry):
    """Seconds and calls of the steps of _cron_refresh, by method."""
    import time

    spent = collections.defaultdict(lambda: [0, 0.0])
    for model, name in (
        ("relance.partner.stat", "_relance_stale_partners"),
        ("relance.partner.stat", "_relance_refresh"),
        ("res.partner", "_relance_apply_rules"),
    ):
        cls = registry[model]
        original = getattr(cls, name)

        def wrapper(self, *args, _original=original, _name=name, **kwargs):
            tick = time.perf_counter()
            try:
                return _original(self, *args, **kwargs)
            finally:
                spent[_name][0] += 1
                spent[_name][1] += time.perf_counter() - tick

        setattr(cls, name, wrapper)
    return spent


def _steps(spent):
    steps = {
        name: {"calls": calls, "seconds": round(seconds, 3)}
        for name, (calls, seconds) in sorted(spent.items())
    }
    spent.clear()
    return steps


def _timed(registry, label, func):
    from odoo import fields

    with registry.cursor() as cr:
        env = _env(cr)
        today = fields.Date.context_today(env["relance.partner.stat"])
        meter = benchmark.Meter()
        with meter:
            func(env, today)
            env.flush_all()
            cr.commit()
    figures = dict(meter.result)
    print(
        f"  {label}: {figures['seconds']} s, {figures['queries']} queries, "
        f"RSS peak {figures['rss_peak_mb']} MB (+{figures['rss_growth_mb']} MB)",
        file=sys.stderr,
        flush=True,
    )
    return figures


def run(registry, args):
    from odoo import fields

    with registry.cursor() as cr:
        env = _env(cr)
        facts = _get_json(env, SEED_PARAM)
        if not facts:
            sys.exit(f"{args.db}: no seed (run --phase seed first)")
        company = env.company
        _reset(env, company)
        customers = _customers(env, company)
        cr.execute(
            """SELECT COUNT(*) FROM account_move WHERE move_type = 'out_invoice'
                AND state = 'posted' AND company_id = %s""",
            [company.id],
        )
        invoices = cr.fetchone()[0]
        cr.execute(
            "SELECT COUNT(*) FROM relance_event WHERE company_id = %s", [company.id]
        )
        events = cr.fetchone()[0]
        cr.commit()
    _vacuum_stats(registry)
    book = {"customers": len(customers), "invoices": invoices, "events": events}
    print(
        f"Book: {book['customers']} customers, {invoices} posted invoices, "
        f"{events} dunning events",
        file=sys.stderr,
        flush=True,
    )
    calls = _count_batches(registry)
    spent = _time_methods(registry)
    result = {"book": book}

    def cron(env, today):
        env["relance.partner.stat"]._cron_refresh()

    result["cron_first"] = _timed(registry, "_cron_refresh() first night", cron)
    result["cron_first"].update(
        batches=calls["batches"], refreshed=calls["done"], steps=_steps(spent)
    )
    with registry.cursor() as cr:
        env = _env(cr)
        result["check_first"] = _check(env, env.company, len(customers))
        result["activities"] = env["mail.activity"].search_count(
            [
                (
                    "activity_type_id",
                    "=",
                    env.ref("relance_facture.mail_activity_type_relance_risky").id,
                )
            ]
        )

    def refresh(env, today):
        partners = _customers(env, env.company)
        env["relance.partner.stat"]._relance_refresh(partners, env.company, today)

    spent.clear()
    result["refresh_all"] = _timed(registry, "_relance_refresh(all customers)", refresh)
    spent.clear()

    with registry.cursor() as cr:
        env = _env(cr)
        today = fields.Date.context_today(env["relance.partner.stat"])
        cr.execute(
            "UPDATE relance_partner_stat SET refreshed_on = %s WHERE company_id = %s",
            [today - datetime.timedelta(days=1), env.company.id],
        )
        cr.commit()
    _vacuum_stats(registry)
    calls.clear()
    spent.clear()
    result["cron_next"] = _timed(registry, "_cron_refresh() next night", cron)
    result["cron_next"].update(
        batches=calls["batches"], refreshed=calls["done"], steps=_steps(spent)
    )
    with registry.cursor() as cr:
        env = _env(cr)
        result["check"] = _check(env, env.company, len(customers), sample=True)
        runs = _get_json(env, RUNS_PARAM, {})
        runs[str(len(customers))] = result
        _set_json(env, RUNS_PARAM, runs)
        cr.commit()
    print(
        f"  check: {result['check']['stats_rows']} rows of today for "
        f"{len(customers)} customers, rules {result['check']['rules']}, sample "
        f"{result['check']['sample_ok']}/{result['check']['sample']} exact",
        file=sys.stderr,
        flush=True,
    )


def _check(env, company, customers, sample=False):
    from odoo import fields

    cr = env.cr
    today = fields.Date.context_today(env["relance.partner.stat"])
    cr.execute(
        """SELECT COUNT(*) FILTER (WHERE refreshed_on = %s), COUNT(*)
             FROM relance_partner_stat WHERE company_id = %s""",
        [today, company.id],
    )
    fresh, rows = cr.fetchone()
    cr.execute(
        """SELECT rule, COUNT(*) FROM relance_partner_stat WHERE company_id = %s
            GROUP BY rule ORDER BY rule""",
        [company.id],
    )
    rules = {rule or "none": n for rule, n in cr.fetchall()}
    cr.execute(
        """SELECT p.relance_profile_mode, COALESCE(pr.name->>'en_US', 'default'),
                  COUNT(*)
             FROM relance_partner_stat s
             JOIN res_partner p ON p.id = s.partner_id
             LEFT JOIN relance_profile pr
               ON pr.id = (p.relance_profile_auto_id->>%s)::int
            WHERE s.company_id = %s
            GROUP BY 1, 2 ORDER BY 1, 2""",
        [str(company.id), company.id],
    )
    profiles = {f"{mode}:{name}": n for mode, name, n in cr.fetchall()}
    check = {
        "customers": customers,
        "stats_rows": rows,
        "stats_rows_today": fresh,
        "rules": rules,
        "auto_profiles": profiles,
        "rows_ok": rows == fresh == customers,
    }
    if sample:
        check.update(_check_sample(env, company, today))
    return check


def _check_sample(env, company, today):
    """Recomputes a few figures of SAMPLE customers with the ORM."""
    from dateutil.relativedelta import relativedelta

    rng = random.Random(7)
    stats = env["relance.partner.stat"].search([("company_id", "=", company.id)])
    picked = stats.browse(rng.sample(stats.ids, min(SAMPLE, len(stats))))
    d12 = today - relativedelta(months=12)
    mismatches = []
    for stat in picked:
        moves = env["account.move"].search(
            [
                ("commercial_partner_id", "=", stat.partner_id.id),
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
            ]
        )
        late = moves.filtered(
            lambda m: m.payment_state in ("not_paid", "partial")
            and m.amount_residual_signed > 0
            and m.invoice_date_due < today
        )
        paid = moves.filtered(
            lambda m: m.payment_state in ("paid", "in_payment", "reversed")
        )
        events = env["relance.event"].search(
            [
                ("partner_id", "=", stat.partner_id.id),
                ("company_id", "=", company.id),
                ("state", "=", "sent"),
                ("date", ">=", d12),
            ]
        )
        expected = {
            "total_overdue": round(sum(late.mapped("amount_residual_signed")), 2),
            "oldest_overdue_days": max(
                [(today - m.invoice_date_due).days for m in late], default=0
            ),
            "paid_count": len(paid),
            "paid_count_12m": len(paid.filtered(lambda m: m.invoice_date_due >= d12)),
            "first_invoice_date": min(moves.mapped("invoice_date"), default=False),
            "reminder_count_12m": len(events),
            "second_reminder_count_12m": len(
                events.filtered(
                    lambda e: e.kind == "reminder" and e.reminder_number == 2
                )
            ),
            "formal_notice_count_12m": len(
                events.filtered(lambda e: e.kind == "formal_notice")
            ),
        }
        got = {
            key: round(stat[key], 2) if key == "total_overdue" else stat[key]
            for key in expected
        }
        if got != expected:
            mismatches.append(
                {
                    "partner_id": stat.partner_id.id,
                    "expected": str(expected),
                    "got": str(got),
                }
            )
    return {
        "sample": len(picked),
        "sample_ok": len(picked) - len(mismatches),
        "sample_mismatches": mismatches[:5],
    }


# ----------------------------------------------------------------------------
# Report
# ----------------------------------------------------------------------------
def report(registry, args):
    import odoo

    with registry.cursor() as cr:
        env = _env(cr)
        facts = _get_json(env, SEED_PARAM) or {}
        runs = _get_json(env, RUNS_PARAM, {})
    if not runs:
        sys.exit(f"{args.db}: no run (run --phase run first)")
    sizes = sorted(runs, key=int)
    big, small = runs[sizes[-1]], runs[sizes[0]]
    checks = _targets(big, small, len(sizes) > 1)
    seed_facts = {
        key: value
        for key, value in facts.items()
        if key not in ("partner_ids", "move_ids", "event_ids")
    }
    result = {
        "date": datetime.date.today().isoformat(),
        "database": args.db,
        "parameters": {"source": args.source, "batch_size": BATCH_SIZE},
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "odoo": odoo.release.version,
        },
        "seed": seed_facts,
        "runs": runs,
        "targets": checks,
        "pass": all(check["pass"] for check in checks),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"benchmark-stats-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True)
    print(_summary(result, sizes))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("BENCHMARK_STATS_JSON " + json.dumps(result, sort_keys=True), flush=True)
    return 0 if result["pass"] else 3


def _targets(big, small, compared):
    book = big["book"]
    scale = max(1.0, book["customers"] / TARGET_CUSTOMERS)
    budget = TARGET_SECONDS * scale
    checks = []
    if book["customers"] < TARGET_CUSTOMERS:
        print(
            f"Note: the time target needs a book of {TARGET_CUSTOMERS} customers "
            f"(this one: {book['customers']}); not checked.",
            file=sys.stderr,
        )
    for key, label in (
        ("cron_first", "_cron_refresh() first night"),
        ("cron_next", "_cron_refresh() next night"),
        ("refresh_all", "_relance_refresh(all)"),
    ):
        if book["customers"] < TARGET_CUSTOMERS:
            break
        checks.append(
            {
                "name": f"{key}_seconds",
                "target": f"<= {budget:g} s for {book['customers']} customers / "
                f"{book['invoices']} invoices ({label})",
                "value": big[key]["seconds"],
                "pass": big[key]["seconds"] <= budget,
            }
        )
    if compared:
        n_big, n_small = big["book"]["customers"], small["book"]["customers"]
        checks.append(
            {
                "name": "refresh_queries_constant",
                "target": f"_relance_refresh: same queries for {n_small} and "
                f"{n_big} customers",
                "value": f"{small['refresh_all']['queries']} -> "
                f"{big['refresh_all']['queries']}",
                "pass": big["refresh_all"]["queries"]
                == small["refresh_all"]["queries"],
            }
        )
        for key in ("cron_first", "cron_next"):
            # Batches of 2000 customers: the cron's queries may only grow with
            # the number of batches, never with the customers of a batch.
            per_batch_big = big[key]["queries"] / max(big[key]["batches"], 1)
            per_batch_small = small[key]["queries"] / max(small[key]["batches"], 1)
            checks.append(
                {
                    "name": f"{key}_queries_per_batch",
                    "target": f"_cron_refresh: queries per batch of {BATCH_SIZE} "
                    f"customers at {n_big} <= at {n_small} + 50 %",
                    "value": f"{big[key]['queries']} queries / {big[key]['batches']} "
                    f"batches = {per_batch_big:.1f} vs {small[key]['queries']} / "
                    f"{small[key]['batches']} = {per_batch_small:.1f}",
                    "pass": per_batch_big <= 1.5 * per_batch_small,
                }
            )
    for size in (big, small):
        check = size["check"]
        checks.append(
            {
                "name": f"correct_{size['book']['customers']}",
                "target": "a row of today for every customer; sample recomputed "
                "with the ORM identical",
                "value": f"{check['stats_rows_today']}/{check['customers']} rows, "
                f"sample {check['sample_ok']}/{check['sample']}",
                "pass": check["rows_ok"] and check["sample_ok"] == check["sample"],
            }
        )
        if big is small:
            break
    return checks


def _summary(result, sizes):
    seed_facts = result["seed"]
    lines = [
        "",
        f"Customer statistics benchmark {result['date']} "
        f"({result['machine']['cpus']} CPUs, Odoo {result['machine']['odoo']})"
        + (
            f", {result['parameters']['source']}"
            if result["parameters"]["source"]
            else ""
        ),
        f"Seed (ORM): {seed_facts.get('seed_customers')} customers x "
        f"{seed_facts.get('invoices_per_customer')} invoices, behaviours "
        f"{seed_facts.get('behaviours')}, payments {seed_facts.get('payments')}, "
        f"{seed_facts.get('seed_events')} events, {seed_facts.get('seed_seconds')} s; "
        "cloned in SQL: "
        + ", ".join(
            f"{m['clones'][1] - m['clones'][0] + 1} clones in {m['seconds']} s"
            for m in seed_facts.get("multiply", [])
        ),
        "",
        "| Customers | Invoices | Events | Step | Seconds | Queries | Batches "
        "| RSS peak | RSS growth |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        res = result["runs"][size]
        book = res["book"]
        for key, label in (
            ("cron_first", "`_cron_refresh()` first night"),
            ("refresh_all", "`_relance_refresh(all)`"),
            ("cron_next", "`_cron_refresh()` next night"),
        ):
            fig = res[key]
            lines.append(
                f"| {book['customers']} | {book['invoices']} | {book['events']} "
                f"| {label} | {fig['seconds']:.2f} | {fig['queries']} "
                f"| {fig.get('batches', '-')} | {fig['rss_peak_mb']} MB "
                f"| +{fig['rss_growth_mb']} MB |"
            )
    lines.append("")
    for size in sizes:
        for key in ("cron_first", "cron_next"):
            steps = result["runs"][size][key].get("steps", {})
            lines.append(
                f"{size} customers, {key}: "
                + ", ".join(
                    f"{name} {step['calls']} call(s) {step['seconds']} s"
                    for name, step in steps.items()
                )
            )
    for size in sizes:
        res = result["runs"][size]
        lines.append(
            f"{size} customers: rules {res['check']['rules']}; profiles "
            f"{res['check']['auto_profiles']}; {res['activities']} Strict "
            "proposals"
        )
    lines.append("Targets:")
    for check in result["targets"]:
        lines.append(
            f"  {'PASS' if check['pass'] else 'FAIL'}  {check['name']}: "
            f"{check['value']} (target {check['target']})"
        )
    return "\n".join(lines)


def main(argv=None):
    args = parse_args(argv)
    registry = benchmark.bootstrap(args)
    if args.phase == "seed":
        seed(registry, args)
    elif args.phase == "multiply":
        multiply(registry, args)
    elif args.phase == "run":
        run(registry, args)
    else:
        return report(registry, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
