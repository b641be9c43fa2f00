"""The ``run`` phase of scripts/benchmark_stats.py: the figures reset, the
statistics refresh timed (first night, every customer, next night) and the
result checked on a sample recomputed with the ORM."""

import collections
import datetime
import random
import sys

import benchmark
from benchmark_stats_base import (
    RUNS_PARAM,
    SAMPLE,
    SEED_PARAM,
    _env,
    _get_json,
    _set_json,
)


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
