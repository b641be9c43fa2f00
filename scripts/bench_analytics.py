#!/usr/bin/env python3
"""Times the dunning workspace and analytics views on a generated book.

    python3 scripts/bench_analytics.py --db DB --addons-path PATHS
        [--invoices 100000] [--customers 5000] [--repeat 3]

DB must hold relance_facture (without demo data); scripts/bench_analytics.sh
prepares one from the template database. The book is written with SQL (the
analytics read posted entries, reconciliations and the dunning history, not
how they were made), so 100,000 invoices take seconds: each invoice has a
receivable and an income line; most are paid by a payment reconciled with
it; overdue ones have the history of the Standard profile's steps. Then each
view's read_group, as its pivot or graph issues it, is timed as a billing
administrator (record rules apply). Prints one line per view and one
``BENCH_ANALYTICS_JSON {...}`` line.
"""

import argparse
import json
import statistics
import sys
import time


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path", required=True)
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--customers", type=int, default=5_000)
    parser.add_argument("--repeat", type=int, default=3)
    return parser.parse_args(argv)


def bootstrap(args):
    import odoo
    from odoo.tools import config

    config.parse_config(
        ["-d", args.db, "--addons-path", args.addons_path, "--log-level", "warn"]
    )
    return odoo.modules.registry.Registry(args.db)


def generate(env, args):
    cr = env.cr
    company = env.ref("base.main_company")
    currency = company.currency_id
    accounts = env["account.account"].with_company(company)
    receivable = accounts.search([("account_type", "=", "asset_receivable")], limit=1)
    income = accounts.search([("account_type", "=", "income")], limit=1)
    journals = env["account.journal"].with_company(company)
    sale = journals.search([("type", "=", "sale")], limit=1)
    bank = journals.search([("type", "=", "bank")], limit=1)
    partners = env["res.partner"].create(
        [
            {"name": f"Bench Customer {i:05d}", "is_company": True}
            for i in range(args.customers)
        ]
    )
    env.flush_all()
    levels = [env.ref(f"relance_facture.level_standard_{i}") for i in (3, 4, 5)]
    params = {
        "n": args.invoices,
        "partners": partners.ids,
        "company": company.id,
        "currency": currency.id,
        "receivable": receivable.id,
        "income": income.id,
        "sale": sale.id,
        "bank": bank.id,
    }
    cr.execute(
        """
        CREATE TEMP TABLE bench_inv AS
        SELECT g, d, d + 30 AS due, partner, amount, paid,
               LEAST(d + 30 + (random() * 45 - 15)::int, CURRENT_DATE) AS pay_date,
               NULL::int AS move_id, NULL::int AS line_id, NULL::int AS pay_id
          FROM (
            SELECT g,
                   CURRENT_DATE - (random() * 540)::int AS d,
                   (%(partners)s::int[])[1 + g %% cardinality(%(partners)s::int[])]
                       AS partner,
                   round((100 + random() * 4900)::numeric, 2) AS amount,
                   random() AS r
              FROM generate_series(1, %(n)s) g
          ) s, LATERAL (
            SELECT r < CASE WHEN d < CURRENT_DATE - 75 THEN 0.95 ELSE 0.4 END AS paid
          ) p;
        INSERT INTO account_move (
            name, journal_id, company_id, currency_id, state, move_type, auto_post,
            date, invoice_date, invoice_date_due, partner_id,
            commercial_partner_id, amount_untaxed, amount_total, amount_residual,
            amount_untaxed_signed, amount_total_signed, amount_residual_signed,
            payment_state, relance_due_date, create_date, write_date)
        SELECT 'BINV/' || g, %(sale)s, %(company)s, %(currency)s, 'posted',
               'out_invoice', 'no', d, d, due, partner, partner, amount, amount,
               CASE WHEN paid THEN 0 ELSE amount END, amount, amount,
               CASE WHEN paid THEN 0 ELSE amount END,
               CASE WHEN paid THEN 'paid' ELSE 'not_paid' END, due, now(), now()
          FROM bench_inv;
        UPDATE bench_inv SET move_id = m.id
          FROM account_move m WHERE m.name = 'BINV/' || g AND m.journal_id = %(sale)s;
        WITH line AS (
            INSERT INTO account_move_line (
                move_id, journal_id, company_id, currency_id, company_currency_id,
                account_id, partner_id, display_type, name, date, date_maturity,
                parent_state, debit, credit, balance, amount_currency,
                amount_residual, amount_residual_currency, reconciled)
            SELECT move_id, %(sale)s, %(company)s, %(currency)s, %(currency)s,
                   %(receivable)s, partner, 'payment_term', 'BINV/' || g, d, due,
                   'posted', amount, 0, amount, amount,
                   CASE WHEN paid THEN 0 ELSE amount END,
                   CASE WHEN paid THEN 0 ELSE amount END, paid
              FROM bench_inv
            RETURNING id, move_id
        ) UPDATE bench_inv SET line_id = line.id FROM line
           WHERE line.move_id = bench_inv.move_id;
        INSERT INTO account_move_line (
            move_id, journal_id, company_id, currency_id, company_currency_id,
            account_id, partner_id, display_type, name, date, parent_state,
            debit, credit, balance, amount_currency)
        SELECT move_id, %(sale)s, %(company)s, %(currency)s, %(currency)s,
               %(income)s, partner, 'product', 'Service', d, 'posted',
               0, amount, -amount, -amount
          FROM bench_inv;
        INSERT INTO account_move (
            name, journal_id, company_id, currency_id, state, move_type, auto_post,
            date, partner_id, commercial_partner_id, create_date, write_date)
        SELECT 'BPAY/' || g, %(bank)s, %(company)s, %(currency)s, 'posted',
               'entry', 'no', pay_date, partner, partner, now(), now()
          FROM bench_inv WHERE paid;
        UPDATE bench_inv SET pay_id = m.id
          FROM account_move m WHERE m.name = 'BPAY/' || g AND m.journal_id = %(bank)s;
        INSERT INTO account_move_line (
            move_id, journal_id, company_id, currency_id, company_currency_id,
            account_id, partner_id, display_type, name, date, parent_state,
            debit, credit, balance, amount_currency)
        SELECT pay_id, %(bank)s, %(company)s, %(currency)s, %(currency)s,
               %(income)s, partner, 'product', 'Bank', pay_date, 'posted',
               amount, 0, amount, amount
          FROM bench_inv WHERE paid;
        WITH line AS (
            INSERT INTO account_move_line (
                move_id, journal_id, company_id, currency_id, company_currency_id,
                account_id, partner_id, display_type, name, date, parent_state,
                debit, credit, balance, amount_currency, amount_residual,
                amount_residual_currency, reconciled)
            SELECT pay_id, %(bank)s, %(company)s, %(currency)s, %(currency)s,
                   %(receivable)s, partner, 'product', 'Payment', pay_date,
                   'posted', 0, amount, -amount, -amount, 0, 0, TRUE
              FROM bench_inv WHERE paid
            RETURNING id, move_id
        )
        INSERT INTO account_partial_reconcile (
            debit_move_id, credit_move_id, company_id, debit_currency_id,
            credit_currency_id, amount, debit_amount_currency,
            credit_amount_currency, max_date, create_date, write_date)
        SELECT inv.line_id, line.id, %(company)s, %(currency)s, %(currency)s,
               inv.amount, inv.amount, inv.amount, GREATEST(inv.d, inv.pay_date),
               now(), now()
          FROM line JOIN bench_inv inv ON inv.pay_id = line.move_id;
        """,
        params,
    )
    for offset_index, level in enumerate(levels):
        cr.execute(
            """
            INSERT INTO relance_event (
                move_id, partner_id, level_id, profile_id, kind, reminder_number,
                company_id, currency_id, channel, date, state, amount_residual,
                due_date, days_late, user_id, create_date, write_date)
            SELECT move_id, partner, %(level)s, %(profile)s, %(kind)s, %(number)s,
                   %(company)s, %(currency)s, %(channel)s, due + %(offset)s,
                   CASE WHEN %(draft)s AND NOT paid THEN 'draft' ELSE 'sent' END,
                   amount, due, %(offset)s, %(uid)s, now(), now()
              FROM bench_inv
             WHERE due + %(offset)s <= CURRENT_DATE
               AND (NOT paid OR pay_date > due + %(offset)s)
            """,
            {
                **params,
                "level": level.id,
                "profile": level.profile_id.id,
                "kind": level.kind,
                "number": level.reminder_number,
                "channel": "formal_notice"
                if level.kind == "formal_notice"
                else "email",
                "offset": level.offset_days,
                "draft": offset_index == 2,
                "uid": env.ref("base.user_admin").id,
            },
        )
    cr.execute("DROP TABLE bench_inv")
    env.invalidate_all()
    # The stage of each customer, as the daily run would leave it.
    moves = env["account.move"].search(
        [("name", "=like", "BINV/%"), ("payment_state", "=", "not_paid")]
    )
    env.add_to_compute(moves._fields["relance_state"], moves)
    env.flush_all()
    cr.execute("ANALYZE")
    start = time.perf_counter()
    env["relance.dso.report"]._cron_refresh()
    refresh = round(time.perf_counter() - start, 2)
    return {
        "customers": len(partners),
        "invoices": args.invoices,
        "dso_refresh_s": refresh,
    }


CASES = [
    # label, model, domain, fields, groupby
    (
        "workspace cards",
        "relance.workspace",
        None,
        None,
        None,
    ),
    (
        "customers by stage (kanban columns)",
        "res.partner",
        [("relance_stage", "!=", False)],
        [],
        ["relance_stage"],
    ),
    (
        "history pivot (step x month)",
        "relance.event",
        [],
        ["amount_residual:sum"],
        ["level_id", "date:month"],
    ),
    (
        "history graph (month x channel)",
        "relance.event",
        [],
        [],
        ["date:month", "channel"],
    ),
    (
        "ageing pivot (customer x age)",
        "relance.ageing.report",
        [],
        ["amount_residual:sum"],
        ["partner_id", "bucket"],
    ),
    (
        "ageing graph (age x company)",
        "relance.ageing.report",
        [],
        ["amount_residual:sum"],
        ["bucket", "company_id"],
    ),
    (
        "DSO graph (month x company)",
        "relance.dso.report",
        [],
        ["dso"],
        ["date:month", "company_id"],
    ),
    (
        "DSO per customer (current month)",
        "relance.dso.report",
        [("is_current", "=", True)],
        ["dso"],
        ["partner_id"],
    ),
    (
        "step effectiveness pivot (profile x step x month)",
        "relance.step.effectiveness",
        [],
        ["paid_rate:avg"],
        ["profile_id", "level_id", "date:month"],
    ),
]


def measure(env, repeat):
    results = []
    for label, model, domain, fields, groupby in CASES:
        timings = []
        groups = 0
        for _i in range(repeat):
            env.invalidate_all()
            start = time.perf_counter()
            if domain is None:
                rows = env[model].search_read([], ["name", "count", "my_count"])
            else:
                rows = env[model].read_group(domain, fields, groupby, lazy=False)
            timings.append(time.perf_counter() - start)
            groups = len(rows)
        results.append(
            {
                "view": label,
                "model": model,
                "groups": groups,
                "median_s": round(statistics.median(timings), 3),
                "max_s": round(max(timings), 3),
            }
        )
        print(
            f"{label:<52} {statistics.median(timings) * 1000:8.0f} ms"
            f"  ({groups} groups)",
            flush=True,
        )
    return results


def main(argv=None):
    args = parse_args(argv)
    registry = bootstrap(args)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        start = time.perf_counter()
        book = generate(env, args)
        book["generation_s"] = round(time.perf_counter() - start, 1)
        cr.execute("SELECT count(*) FROM relance_event")
        book["events"] = cr.fetchone()[0]
        cr.commit()
        print(f"Generated {book}", flush=True)
    with registry.cursor() as cr:
        admin = api.Environment(cr, SUPERUSER_ID, {}).ref("base.user_admin")
        env = api.Environment(cr, admin.id, {"lang": "en_US"})
        results = measure(env, args.repeat)
    print("BENCH_ANALYTICS_JSON " + json.dumps({"book": book, "views": results}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
