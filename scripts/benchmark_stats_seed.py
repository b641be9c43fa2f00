"""The ``seed`` phase of scripts/benchmark_stats.py: a seed book created
through the ORM (customers, posted invoices over two years, payments
reconciled, sent dunning events)."""

import collections
import datetime
import random
import sys

import benchmark
from benchmark_stats_base import (
    BEHAVIOURS,
    FUTURE_DAYS,
    HISTORY_DAYS,
    SEED_PARAM,
    SHARE_AUTO,
    SHARE_RECENT,
    _env,
    _get_json,
    _high_id,
    _set_json,
)
from book_base import post_reconciled


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
        post_reconciled(env, vals_list, receivables)
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
