"""The ``build`` subcommand of scripts/book.py: a book generated through
Odoo's ORM (customers, posted invoices, reconciled payments, credit
notes), a commit per chunk."""

import datetime
import math
import sys
import time

from book_base import (
    BOOK_VERSION,
    CHUNK,
    COMPANY_SUFFIXES,
    FIRST_NAMES,
    LAST_NAMES,
    PARAMETERS,
    _max_ids,
    _pick_shares,
    _receivable,
    book_facts,
    customer_number,
    get_facts,
    log,
    post_reconciled,
    set_facts,
)


def generate(env, rng, customers, invoices, today, seed=None):
    """The book through the ORM: customers, invoices, payments, credit notes,
    a commit per chunk. Returns (facts, customers, moves)."""
    if get_facts(env):
        sys.exit(f"{env.cr.dbname} already holds a generated book: use a fresh one")
    start = time.perf_counter()
    watermarks = _max_ids(env.cr)
    company = env.company
    if not company.email:
        company.email = "compta@my-company.example"
    steps = {}
    tick = time.perf_counter()
    partners, bill_to = generate_customers(env, rng, customers)
    env.cr.commit()
    steps["customers_seconds"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    moves = generate_invoices(env, rng, partners, bill_to, invoices, today)
    steps["invoices_seconds"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    paid = generate_payments(env, rng, moves, today)
    steps["payments_seconds"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    credit_notes = generate_credit_notes(env, rng, paid["open_ids"], len(moves), today)
    steps["credit_notes_seconds"] = round(time.perf_counter() - tick, 1)
    facts = {
        "version": BOOK_VERSION,
        "seed": seed,
        "date": today.isoformat(),
        "invoices_per_customer": invoices,
        "block_customers": customers,
        "copies": 1,
        "watermarks": watermarks,
        "payments_full": paid["full"],
        "payments_partial": paid["partial"],
        "credit_notes_matched": credit_notes["matched"],
        "credit_notes_unmatched": credit_notes["unmatched"],
        "generation_seconds": round(time.perf_counter() - start, 1),
        **steps,
    }
    facts.update(book_facts(env.cr, watermarks, today))
    set_facts(env, facts)
    env.cr.commit()
    log(
        f"Generated {facts['customers']} customers, {facts['invoices']} invoices, "
        f"{facts['credit_notes']} credit notes in {facts['generation_seconds']} s"
    )
    return facts, partners, moves


def generate_customers(env, rng, count):
    """Companies and consumers numbered 1..count, most with an email, some
    companies billed at an invoice contact. Returns (customers, {customer:
    partner the invoices are addressed to})."""
    consumers = set(
        rng.sample(range(count), round(PARAMETERS["share_consumers"] * count))
    )
    no_email = set(
        rng.sample(range(count), round(PARAMETERS["share_without_email"] * count))
    )
    vals_list = []
    for i in range(count):
        number = customer_number(i + 1)
        consumer = i in consumers
        if consumer:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first} {last} {number}"
            email = f"{first}.{last}.{number}@mail.example".lower()
        else:
            name = f"{rng.choice(LAST_NAMES)} {number} {rng.choice(COMPANY_SUFFIXES)}"
            email = f"compta@customer{number}.example"
        vals_list.append(
            {
                "name": name,
                "is_company": not consumer,
                "email": False if i in no_email else email,
                "phone": f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {i % 100:02d}",
                "lang": "en_US",
                "street": f"{rng.randint(1, 200)} rue de la Paix",
                "city": "Paris",
                "zip": "75002",
            }
        )
    customers = env["res.partner"].create(vals_list)
    companies = [partner for partner in customers if partner.is_company]
    with_contact = rng.sample(
        companies, round(PARAMETERS["share_invoice_contact"] * len(companies))
    )
    contacts = env["res.partner"].create(
        [
            {
                "name": "Accounts payable",
                "type": "invoice",
                "parent_id": partner.id,
                "email": partner.email and partner.email.replace("compta@", "ap@"),
                "lang": "en_US",
            }
            for partner in with_contact
        ]
    )
    env.flush_all()
    bill_to = {contact.parent_id: contact for contact in contacts}
    return customers, bill_to


def sale_journal(env):
    return env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", env.company.id)], limit=1
    )


def generate_invoices(env, rng, customers, bill_to, invoices, today):
    """``invoices`` posted invoices per customer, due within +-90 days."""
    sale_tax = env.company.account_sale_tax_id
    journal = sale_journal(env)
    spread = PARAMETERS["due_spread_days"]
    vals_list = []
    for customer in customers:
        partner = bill_to.get(customer, customer)
        for _n in range(invoices):
            due = today + datetime.timedelta(days=rng.randint(-spread, spread))
            vals_list.append(invoice_vals(rng, journal, partner, due, today, sale_tax))
    return post_invoices(env, vals_list)


def invoice_vals(rng, journal, partner, due, today, sale_tax):
    """One customer invoice: a usual payment term before ``due``, a
    log-uniform amount (many small invoices, a few large ones), half taxed."""
    term = rng.choice(PARAMETERS["payment_terms_days"])
    invoice_date = min(due - datetime.timedelta(days=term), today)
    low, high = PARAMETERS["amount_min"], PARAMETERS["amount_max"]
    amount = math.exp(rng.uniform(math.log(low), math.log(high)))
    taxed = bool(sale_tax) and rng.random() < PARAMETERS["share_taxed"]
    if taxed and sale_tax.amount_type == "percent":
        amount /= 1 + sale_tax.amount / 100
    return {
        "move_type": "out_invoice",
        "journal_id": journal.id,
        "partner_id": partner.id,
        "invoice_date": invoice_date,
        "invoice_date_due": due,
        "invoice_line_ids": [
            (
                0,
                0,
                {
                    "name": "Services",
                    "quantity": 1,
                    "price_unit": round(amount, 2),
                    "tax_ids": [(6, 0, sale_tax.ids if taxed else [])],
                },
            )
        ],
    }


def post_invoices(env, vals_list, label="invoices"):
    """Create and post the moves in date order (sequence numbers follow the
    dates, as in real life), by chunks of CHUNK with a commit each."""
    vals_list.sort(key=lambda vals: vals["invoice_date"])
    move_ids = []
    for start in range(0, len(vals_list), CHUNK):
        moves = env["account.move"].create(vals_list[start : start + CHUNK])
        moves.action_post()
        move_ids += moves.ids
        env.cr.commit()
        env.invalidate_all()
        log(f"  {label}: {len(move_ids)}/{len(vals_list)} posted")
    return env["account.move"].browse(move_ids)


def generate_payments(env, rng, moves, today):
    """30 % of the invoices fully paid and 10 % partly, each by a bank entry
    reconciled with the invoice's receivable (in batch). Returns the counts
    and the ids of the invoices left open."""
    share_paid, share_partial = PARAMETERS["share_paid"], PARAMETERS["share_partial"]
    paid, partial, open_ids = _pick_shares(
        rng, moves.ids, [share_paid, share_partial, 1 - share_paid - share_partial]
    )
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    plan_ = sorted(
        [(move_id, True) for move_id in paid] + [(i, False) for i in partial]
    )
    for start in range(0, len(plan_), CHUNK):
        chunk = plan_[start : start + CHUNK]
        invoices = env["account.move"].browse([move_id for move_id, _full in chunk])
        vals_list, receivables = [], []
        for invoice, (_move_id, full) in zip(invoices, chunk, strict=True):
            receivable = _receivable(invoice)
            total = invoice.amount_residual
            amount = (
                total
                if full
                else invoice.currency_id.round(total * rng.uniform(0.1, 0.9))
            )
            days = max((today - invoice.invoice_date).days, 0)
            receivables.append(receivable)
            label = f"Payment {invoice.name}"
            line = {"name": label}
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": bank.id,
                    "date": today - datetime.timedelta(days=rng.randint(0, days)),
                    "ref": label,
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                **line,
                                "account_id": receivable.account_id.id,
                                "partner_id": invoice.commercial_partner_id.id,
                                "credit": amount,
                            },
                        ),
                        (
                            0,
                            0,
                            {
                                **line,
                                "account_id": bank.default_account_id.id,
                                "debit": amount,
                            },
                        ),
                    ],
                }
            )
        post_reconciled(env, vals_list, receivables)
        env.cr.commit()
        env.invalidate_all()
        log(f"  payments: {start + len(chunk)}/{len(plan_)} reconciled")
    return {"full": len(paid), "partial": len(partial), "open_ids": sorted(open_ids)}


def generate_credit_notes(env, rng, open_ids, invoices, today):
    """Credit notes, 5 % of the ``invoices``, each for a customer with an
    open invoice: most reverse it (the whole invoice or a part) and are
    reconciled with it when posted, as Odoo's Credit Note button does; a
    fifth are left open, unmatched credits of the customer."""
    count = min(round(PARAMETERS["share_credit_notes"] * invoices), len(open_ids))
    picked = rng.sample(open_ids, count)
    unmatched = set(picked[: round(PARAMETERS["share_credit_notes_open"] * count)])
    journal = sale_journal(env)
    vals_list = []
    for invoice in env["account.move"].browse(sorted(picked)):
        line = invoice.invoice_line_ids[:1]
        matched = invoice.id not in unmatched
        full = matched and rng.random() < PARAMETERS["share_credit_notes_full"]
        fraction = 1.0 if full else rng.uniform(0.1, 0.9)
        days = max((today - invoice.invoice_date).days, 0)
        date = invoice.invoice_date + datetime.timedelta(days=rng.randint(0, days))
        vals = {
            "move_type": "out_refund",
            "journal_id": journal.id,
            "partner_id": invoice.partner_id.id,
            "invoice_date": date,
            "invoice_date_due": date,
            "invoice_line_ids": [
                (
                    0,
                    0,
                    {
                        "name": "Credit" if matched else "Commercial gesture",
                        "quantity": 1,
                        "price_unit": line.price_unit
                        if full
                        else round(line.price_unit * fraction, 2),
                        "tax_ids": [(6, 0, line.tax_ids.ids)],
                    },
                )
            ],
        }
        if matched:
            vals.update(
                reversed_entry_id=invoice.id, ref=f"Reversal of: {invoice.name}"
            )
        vals_list.append(vals)
    post_invoices(env, vals_list, "credit notes")
    return {"matched": count - len(unmatched), "unmatched": len(unmatched)}
