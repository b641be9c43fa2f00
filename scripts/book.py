#!/usr/bin/env python3
"""Books of customer invoices for the benchmarks: one block generated through
Odoo's ORM, multiplied by SQL copies.

    python3 scripts/book.py plan --template T --customers N --invoices M --seed S
    python3 scripts/book.py build --db DB --addons-path P --customers N
        --invoices M --seed S
    python3 scripts/book.py clone --db DB --addons-path P --copies K
    python3 scripts/book.py verify --db DB --addons-path P
    python3 scripts/book.py shift --db DB --addons-path P

A book is made in a database holding only relance_facture's dependencies (a
copy of the template of scripts/lib.sh), never relance_facture itself, so that
one book serves every addon compared on it. scripts/book.sh keeps each book as
a template database (``ensure_book``); this module does the work:

  plan    (pure, no Odoo) prints the book's database name, the size of the
          block generated through the ORM and the number of copies: CUSTOMERS
          a multiple of the block (--block, default 1000) above it is built
          as the block then cloned; any other size through the ORM only.
  build   generates the book through the ORM (the reference path): customers
          (25 % consumers, 10 % without email, 20 % of the companies billed
          at an invoice contact), M posted invoices each due within +-90 days
          of today (log-uniform amounts, half taxed, usual payment terms),
          30 % paid and 10 % partly paid by reconciled bank entries, credit
          notes for 5 % of the invoices (four in five reverse an open invoice
          of the customer, whole or in part, and are reconciled with it; the
          others are left open, unmatched credits). Its facts go into the
          ir.config_parameter ``relance_benchmark.generation``.
  clone   multiplies a block book K times in SQL: INSERT ... SELECT of every
          row the block owns (customers and invoice contacts, moves, lines,
          partial and full reconciliations, followers, the many2many rows:
          foreign keys into the block and (model, res_id) references are
          checked, an unknown owner stops the clone), ids offset by copy,
          every foreign key into the block remapped, customer and move numbers
          renumbered, foreign-key triggers off and the non-unique indexes
          built again at the end, id sequences reset, then a self-check
          (verify) and VACUUM ANALYZE.
  verify  the self-check of a cloned book: rows per table = K x the block's,
          no dangling foreign key, gapless move numbers per journal and
          prefix, the renumbered texts of three copies equal to what the
          Python functions below make of the block's, cloned invoices and
          credit notes of each payment state recomputed by the ORM equal to
          the block's, a new invoice of a cloned customer posted with the
          next number and paid, a cloned partly paid invoice paid (rolled
          back).
  shift   moves every date of the book by the days since it was built (a book
          is kept for days): due dates stay spread around today; the move
          numbers keep the year they were given.

The generated rows carry a customer number, six digits (customer 000042:
"Martin 000042 SARL", compta@customer000042.example); copy k of customer i is
customer i + k * N (N the block's customers), and copy k of move number n of
a sequence prefix (INV/2026/) is n + k * the block's highest number there (a
copy's invoices have the block's dates: numbers follow dates within a copy,
not across copies). assign_profiles is relance_facture's setup of a book once
the addon is installed on a copy (scripts/benchmark.py's phase setup).
"""

import argparse
import collections
import datetime
import hashlib
import json
import math
import random
import re
import sys
import time

# Bump when the rows a book holds change (the generator or the cloner):
# books of another version are rebuilt.
BOOK_VERSION = 2
GEN_PARAM = "relance_benchmark.generation"
BLOCK_CUSTOMERS = 1000
CHUNK = 1000
# The book of the issue.
PARAMETERS = {
    "share_consumers": 0.25,
    "share_without_email": 0.10,
    "share_invoice_contact": 0.20,  # of the companies
    "share_taxed": 0.5,
    "share_paid": 0.30,
    "share_partial": 0.10,
    "share_credit_notes": 0.05,  # of the invoices
    "share_credit_notes_open": 0.20,  # of the credit notes: unmatched credits
    "share_credit_notes_full": 0.50,  # of the matched ones: the whole invoice
    "due_spread_days": 90,
    "amount_min": 50.0,
    "amount_max": 20_000.0,
    "payment_terms_days": (0, 30, 30, 45, 60),
}
FIRST_NAMES = "Jean Marie Pierre Sophie Luc Claire Paul Julie Marc Anne".split()
LAST_NAMES = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy".split()
COMPANY_SUFFIXES = ("SARL", "SAS", "SA", "EURL", "SCOP")
# Tables whose rows the book owns (rows with an id above the watermark taken
# before the generation), cloned with their ids offset; many2many tables
# between them and the rest are found through the foreign keys.
CLONED_TABLES = (
    "res_partner",
    "account_move",
    "account_move_line",
    "account_partial_reconcile",
    "account_full_reconcile",
    "mail_followers",
)
MODEL_TABLES = {
    "res.partner": "res_partner",
    "account.move": "account_move",
    "account.move.line": "account_move_line",
    "account.partial.reconcile": "account_partial_reconcile",
    "account.full.reconcile": "account_full_reconcile",
}
# relance_facture's setup of a book (assign_profiles): shipped profiles and
# their shares of the customers.
PROFILES = (
    ("relance_facture.profile_strict", 0.20),
    ("relance_facture.profile_standard", 0.45),
    ("relance_facture.profile_lenient", 0.25),
    ("relance_facture.profile_never", 0.10),
)
PROFILE_CHUNK = 2000
CUSTOMER_DIGITS = 6
CUSTOMER_PATTERN = r"(?<![0-9])[0-9]{%d}(?![0-9])" % CUSTOMER_DIGITS


def log(message):
    print(message, file=sys.stderr, flush=True)


# ----------------------------------------------------------------------------
# Pure logic (no Odoo): plan, key, renumbering
# ----------------------------------------------------------------------------
def plan(customers, block=BLOCK_CUSTOMERS):
    """(customers of the block generated through the ORM, copies): a
    multiple of the block above it is cloned, any other size is not."""
    if customers < 1 or block < 1:
        raise ValueError("sizes must be positive")
    if customers > block and customers % block == 0:
        return block, customers // block
    return customers, 1


def book_key(template, customers, invoices, seed, block=BLOCK_CUSTOMERS):
    """Short hash of everything a book depends on: the generator's version
    and parameters, the dependency template (Odoo, its addons), the size, the
    seed and, for a cloned book, the block's size."""
    block_customers, copies = plan(customers, block)
    data = {
        "version": BOOK_VERSION,
        "parameters": PARAMETERS,
        "template": template,
        "customers": customers,
        "invoices": invoices,
        "seed": seed,
        "block": block_customers if copies > 1 else None,
    }
    blob = json.dumps(data, sort_keys=True).encode()
    return hashlib.sha1(blob).hexdigest()[:10]


def book_name(template, customers, invoices, seed, block=BLOCK_CUSTOMERS):
    """The template database of a book: relance_book_<C>x<M>_<key>."""
    key = book_key(template, customers, invoices, seed, block)
    return f"relance_book_{customers}x{invoices}_{key}"


def customer_number(number):
    return f"{number:0{CUSTOMER_DIGITS}d}"


def renumber_customer(text, copy, block_customers):
    """The first customer number of ``text`` (six digits alone) in copy
    ``copy``: number + copy * block_customers, as wide at least."""
    if not text:
        return text
    match = re.search(CUSTOMER_PATTERN, text)
    if not match:
        return text
    number = int(match.group()) + copy * block_customers
    return text[: match.start()] + customer_number(number) + text[match.end() :]


def _regex_literal(text):
    """``text`` as a literal in both Python's and PostgreSQL's regexes."""
    return "".join(char if char.isalnum() else "\\" + char for char in text)


def sequence_pattern(prefixes):
    """Regex of a move number: one of ``prefixes`` (INV/2026/) not preceded
    by a letter or digit, then its digits (groups: prefix, digits)."""
    alternatives = "|".join(
        _regex_literal(prefix) for prefix in sorted(prefixes, key=lambda p: -len(p))
    )
    return rf"(?<![A-Za-z0-9])({alternatives})([0-9]+)"


def renumber_sequence(text, copy, steps):
    """The first move number of ``text`` (a prefix of ``steps``, {prefix:
    step}, then digits) in copy ``copy``: number + copy * step, zero-padded
    as wide as it was (wider if needed)."""
    if not text or not steps:
        return text
    match = re.search(sequence_pattern(steps), text)
    if not match:
        return text
    prefix, digits = match.groups()
    number = str(int(digits) + copy * steps[prefix])
    return (
        text[: match.start()] + prefix + number.zfill(len(digits)) + text[match.end() :]
    )


def sequence_steps(groups):
    """{prefix: step} from the block's numbering, rows of (journal_id,
    prefix, lowest number, highest number, count of moves of the prefix in
    the block, count in the whole database): copy k of number n is n + k *
    step, step the block's highest number, so that copies never overlap.
    Raises ValueError when the block cannot be renumbered that way."""
    steps, journals = {}, {}
    for journal_id, prefix, low, high, in_block, in_database in groups:
        if not prefix or low is None or low < 1:
            raise ValueError(f"moves of prefix {prefix!r} have no sequence number")
        if in_block != in_database:
            raise ValueError(f"prefix {prefix!r}: moves outside the block share it")
        if journals.setdefault(prefix, journal_id) != journal_id:
            raise ValueError(f"prefix {prefix!r} is used by two journals")
        steps[prefix] = high
    return steps


# ----------------------------------------------------------------------------
# Odoo
# ----------------------------------------------------------------------------
def bootstrap(db, addons_path=None, log_level="warn"):
    """Odoo configured for ``db``; returns the registry."""
    from odoo.tools import config

    options = ["-d", db, "--no-http", f"--log-level={log_level}"]
    if addons_path:
        options.append(f"--addons-path={addons_path}")
    config.parse_config(options)
    from odoo.modules.registry import Registry

    return Registry(db)


def _env(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(
        cr,
        SUPERUSER_ID,
        {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
    )


def get_facts(env):
    value = env["ir.config_parameter"].sudo().get_param(GEN_PARAM)
    return json.loads(value) if value else {}


def set_facts(env, facts):
    env["ir.config_parameter"].sudo().set_param(GEN_PARAM, json.dumps(facts))
    # The commit flushes through the transaction's environments, weakly held:
    # a caller's temporary env may be gone by then.
    env.flush_all()


def _max_ids(cr):
    marks = {}
    for table in CLONED_TABLES:
        cr.execute(f'SELECT COALESCE(max(id), 0) FROM "{table}"')  # noqa: S608
        marks[table] = cr.fetchone()[0]
    return marks


# ---- Generation (ORM) --------------------------------------------------------
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


def _pick_shares(rng, records, shares):
    """Split ``records`` at random by ``shares`` (a list of fractions)."""
    records = list(records)
    rng.shuffle(records)
    parts, start = [], 0
    for share in shares:
        end = start + round(share * len(records))
        parts.append(records[start:end])
        start = end
    return parts


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


def _receivable(move):
    return move.line_ids.filtered(lambda line: line.display_type == "payment_term")[:1]


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


def book_facts(cr, watermarks, today):
    """What the book holds, by SQL (the same for any size)."""
    partner_wm, move_wm = watermarks["res_partner"], watermarks["account_move"]

    def one(query, params=()):
        cr.execute(query, params)
        return cr.fetchone()[0]

    def by_state(move_type):
        cr.execute(
            """SELECT payment_state, count(*) FROM account_move
                WHERE id > %s AND move_type = %s AND state = 'posted'
                GROUP BY 1 ORDER BY 1""",
            [move_wm, move_type],
        )
        return dict(cr.fetchall())

    customers = "FROM res_partner WHERE id > %s AND parent_id IS NULL"
    return {
        "customers": one(f"SELECT count(*) {customers}", [partner_wm]),  # noqa: S608
        "consumers": one(
            f"SELECT count(*) {customers} AND NOT is_company",  # noqa: S608
            [partner_wm],
        ),
        "customers_without_email": one(
            f"SELECT count(*) {customers} AND email IS NULL",  # noqa: S608
            [partner_wm],
        ),
        "invoice_contacts": one(
            "SELECT count(*) FROM res_partner WHERE id > %s AND type = 'invoice'"
            " AND parent_id IS NOT NULL",
            [partner_wm],
        ),
        "invoices": one(
            "SELECT count(*) FROM account_move WHERE id > %s"
            " AND move_type = 'out_invoice'",
            [move_wm],
        ),
        "credit_notes": one(
            "SELECT count(*) FROM account_move WHERE id > %s"
            " AND move_type = 'out_refund'",
            [move_wm],
        ),
        "payment_state": by_state("out_invoice"),
        "credit_note_payment_state": by_state("out_refund"),
        "overdue_open": one(
            """SELECT count(*) FROM account_move WHERE id > %s
                  AND move_type = 'out_invoice' AND state = 'posted'
                  AND payment_state IN ('not_paid', 'partial')
                  AND invoice_date_due < %s""",
            [move_wm, today],
        ),
        "moves": one("SELECT count(*) FROM account_move WHERE id > %s", [move_wm]),
        "move_lines": one(
            "SELECT count(*) FROM account_move_line WHERE id > %s",
            [watermarks["account_move_line"]],
        ),
    }


# ---- Clone (SQL) -------------------------------------------------------------
class Block:
    """The rows of a block book: per cloned table, ids lo..hi (stride = hi -
    lo + 1 apart from one copy to the next), the foreign keys into them, the
    many2many tables to copy along, the move numbering."""

    def __init__(self, cr, facts):
        self.cr = cr
        self.customers = facts["block_customers"]
        self.foreign_keys = self._foreign_keys()
        layout = facts.get("layout")
        if layout:  # a cloned book: the block is its first copy
            self.ranges = {table: tuple(r) for table, r in layout["ranges"].items()}
            self.relations = {
                table: [tuple(column) for column in columns]
                for table, columns in layout["relations"].items()
            }
            self.steps = layout["steps"]
            return
        self.ranges = {}
        for table in CLONED_TABLES:
            low = facts["watermarks"][table] + 1
            cr.execute(
                f'SELECT max(id), count(*) FROM "{table}" WHERE id >= %s',  # noqa: S608
                [low],
            )
            high, count = cr.fetchone()
            if count:
                self.ranges[table] = (low, high, high - low + 1, count)
        self.relations = self._relations()
        self.steps = self._steps()

    def layout(self):
        """What a cloned book keeps of its block (its facts' "layout")."""
        return {
            "ranges": self.ranges,
            "relations": self.relations,
            "steps": self.steps,
        }

    def _foreign_keys(self):
        """{(table, column): referenced table} of single-column foreign keys
        into the cloned tables."""
        self.cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname,
                      c.confrelid::regclass::text
                 FROM pg_constraint c
                 JOIN pg_attribute a
                   ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
                  AND c.confrelid::regclass::text = ANY(%s)""",
            [list(CLONED_TABLES)],
        )
        return {(table, column): ref for table, column, ref in self.cr.fetchall()}

    def columns(self, table, types=None):
        self.cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = %s
                  AND is_generated = 'NEVER'
                  AND (%s::text[] IS NULL OR data_type = ANY(%s::text[]))
                ORDER BY ordinal_position""",
            [table, types, types],
        )
        return [row[0] for row in self.cr.fetchall()]

    def in_block(self, table, expr, copies=1):
        """SQL condition: ``expr`` is an id of ``table`` in the block (or in
        one of the first ``copies`` copies)."""
        if table not in self.ranges:
            return "false"
        low, high, stride, _count = self.ranges[table]
        return f"{expr} BETWEEN {low} AND {high + (copies - 1) * stride}"

    def _relations(self):
        """Tables outside CLONED_TABLES whose rows point into the block:
        many2many tables (no id) are copied along; anything else is a row the
        block owns that this cloner does not know: refuse."""
        relations, unknown = {}, []
        by_table = collections.defaultdict(list)
        for (table, column), ref in self.foreign_keys.items():
            if table not in CLONED_TABLES:
                by_table[table].append((column, ref))
        for table, columns in sorted(by_table.items()):
            where = self._any_in_block(columns, "")
            self.cr.execute(f'SELECT count(*) FROM "{table}" WHERE {where}')  # noqa: S608
            count = self.cr.fetchone()[0]
            if not count:
                continue
            if "id" in self.columns(table):
                unknown.append(f"{table} ({count} rows)")
            else:
                relations[table] = columns
        # Rows pointing at the block by (model, res_id), without foreign key.
        self.cr.execute(
            """SELECT table_name, string_agg(column_name, ',')
                 FROM information_schema.columns
                WHERE table_schema = current_schema()
                  AND column_name IN ('res_id', 'res_model', 'model')
                GROUP BY table_name
               HAVING bool_or(column_name = 'res_id')
                  AND bool_or(column_name IN ('res_model', 'model'))"""
        )
        for table, names in self.cr.fetchall():
            if table in CLONED_TABLES:
                continue
            model_column = "res_model" if "res_model" in names.split(",") else "model"
            checks = [
                f"({model_column} = '{model}' AND {self.in_block(ref, 'res_id')})"
                for model, ref in MODEL_TABLES.items()
            ]
            self.cr.execute(
                f'SELECT count(*) FROM "{table}" WHERE {" OR ".join(checks)}'  # noqa: S608
            )
            count = self.cr.fetchone()[0]
            if count:
                unknown.append(f"{table} ({count} rows by res_id)")
        if unknown:
            raise RuntimeError(
                "rows of other tables belong to the block, the cloner does not "
                f"copy them: {', '.join(unknown)}"
            )
        return relations

    def _any_in_block(self, columns, alias, copies=1):
        return " OR ".join(
            self.in_block(ref, f'{alias}"{column}"', copies) for column, ref in columns
        )

    def where(self, table, alias="", copies=1):
        """SQL condition: the row of ``table`` (as ``alias``) is the block's
        (or one of the first ``copies`` copies')."""
        if table in self.ranges:
            return self.in_block(table, f"{alias}id", copies)
        return self._any_in_block(self.relations[table], alias, copies)

    def tables(self):
        return [t for t in CLONED_TABLES if t in self.ranges] + sorted(self.relations)

    def _steps(self):
        """{prefix: step} of the block's move numbers (see sequence_steps);
        every move of the block must be posted and named prefix + number."""
        low = self.ranges["account_move"][0]
        self.cr.execute(
            """SELECT count(*) FROM account_move WHERE id >= %s AND (
                      state != 'posted' OR sequence_prefix IS NULL
                   OR name != sequence_prefix || lpad(sequence_number::text,
                          length(name) - length(sequence_prefix), '0')
                   OR length(name) - length(sequence_prefix)
                      < length(sequence_number::text))""",
            [low],
        )
        odd = self.cr.fetchone()[0]
        if odd:
            raise RuntimeError(f"{odd} moves of the block are not prefix + number")
        self.cr.execute(
            """SELECT b.journal_id, b.sequence_prefix, min(b.sequence_number),
                      max(b.sequence_number), count(*),
                      (SELECT count(*) FROM account_move a
                        WHERE a.sequence_prefix = b.sequence_prefix
                          AND a.journal_id = b.journal_id)
                 FROM account_move b WHERE b.id >= %s
                GROUP BY 1, 2 ORDER BY 2""",
            [low],
        )
        return sequence_steps(self.cr.fetchall())


# Columns rewritten in a copy, beside the ids and the foreign keys into the
# block: {table: {column: rule}}, a rule being CUSTOMER or SEQUENCE (the text's
# customer or move number renumbered, see renumber_customer and
# renumber_sequence) or the SQL of the copy's value (``s`` the block's row,
# {k} the copy). The block's text columns holding a customer or move number
# must have a rule or be in KEPT_TEXT (checked before cloning).
CUSTOMER, SEQUENCE = "customer", "sequence"


def _rules(block):
    full = block.ranges.get("account_full_reconcile", (0, 0, 0, 0))[2]
    partial = block.ranges.get("account_partial_reconcile", (0, 0, 0, 0))[2]
    return {
        "res_partner": dict.fromkeys(
            (
                "name",
                "complete_name",
                "email",
                "email_normalized",
                "commercial_company_name",
            ),
            CUSTOMER,
        ),
        "account_move": {
            **dict.fromkeys(
                ("name", "ref", "payment_reference", "invoice_origin"), SEQUENCE
            ),
            "invoice_partner_display_name": CUSTOMER,
            "sequence_number": "s.sequence_number + {k} * ("
            "SELECT step FROM book_seq_step WHERE prefix = s.sequence_prefix)",
            "access_token": "NULL",
        },
        "account_move_line": {
            **dict.fromkeys(("name", "ref", "move_name"), SEQUENCE),
            "matching_number": "CASE WHEN s.matching_number ~ '^[0-9]+$'"
            f" THEN (s.matching_number::bigint + {{k}} * {full})::text"
            " WHEN s.matching_number ~ '^P[0-9]+$' THEN 'P' ||"
            f" (substr(s.matching_number, 2)::bigint + {{k}} * {partial})::text"
            " ELSE s.matching_number END",
        },
        "mail_followers": {
            "res_id": "CASE "
            + " ".join(
                f"WHEN s.res_model = '{model}' THEN "
                + _offset_sql(block, table, "s.res_id")
                for model, table in MODEL_TABLES.items()
                if table in block.ranges
            )
            + " ELSE s.res_id END",
        },
    }


def _renumbering_tables(cr, block, rules):
    """Temp tables book_customer and book_sequence: every text of the block
    that a CUSTOMER or SEQUENCE rule renumbers, cut around its number (head,
    number, width, step per copy, tail), so that a copy joins instead of
    running a regex per row; book_seq_step: the step of each prefix."""
    cr.execute(
        "CREATE TEMP TABLE book_seq_step (prefix varchar PRIMARY KEY, step bigint)"
        " ON COMMIT DROP"
    )
    for prefix, step in block.steps.items():
        cr.execute("INSERT INTO book_seq_step VALUES (%s, %s)", [prefix, step])
    for kind, pattern in (
        (CUSTOMER, f"({CUSTOMER_PATTERN})"),
        (SEQUENCE, sequence_pattern(block.steps)),
    ):
        texts = " UNION ".join(
            f'SELECT s."{column}"::text AS t FROM "{table}" s'  # noqa: S608
            f" WHERE {block.where(table, 's.')}"
            for table, columns in rules.items()
            for column, rule in columns.items()
            if rule == kind and table in block.ranges
        )
        if kind == CUSTOMER:
            number, prefix, step = "m[1]", "''", str(block.customers)
        else:
            number, prefix = "m[2]", "m[1]"
            step = "(SELECT step FROM book_seq_step WHERE prefix = m[1])"
        cr.execute(
            f"""CREATE TEMP TABLE book_{kind} ON COMMIT DROP AS
                SELECT t AS old, left(t, p - 1) || {prefix} AS head,
                       {number}::bigint AS number, length({number}) AS width,
                       {step}::bigint AS step,
                       substr(t, p + length({prefix}) + length({number})) AS tail
                  FROM (SELECT t, regexp_match(t, %s) AS m, regexp_instr(t, %s) AS p
                          FROM ({texts}) u WHERE t ~ %s) x""",  # noqa: S608
            [pattern, pattern, pattern],
        )
        cr.execute(f"ALTER TABLE book_{kind} ADD PRIMARY KEY (old)")
        cr.execute(f"ANALYZE book_{kind}")


def _renumbered(kind, column, alias):
    """SQL of ``column`` renumbered in copy {k} by the lookup ``alias`` of
    book_<kind>; the join for it."""
    number = f"({alias}.number + {{k}} * {alias}.step)::text"
    expr = (
        f'CASE WHEN {alias}.old IS NULL THEN s."{column}" ELSE {alias}.head'
        f" || lpad({number}, greatest({alias}.width, length({number})), '0')"
        f" || {alias}.tail END"
    )
    join = f'LEFT JOIN book_{kind} {alias} ON {alias}.old = s."{column}"'
    return expr, join


KEPT_TEXT = {
    ("res_partner", "phone"),
    ("res_partner", "phone_sanitized"),
    ("res_partner", "street"),
    ("res_partner", "zip"),
}


def _offset_sql(block, table, expr):
    """Like Block.offset, with the copy as a ``{k}`` placeholder."""
    if table not in block.ranges:
        return expr
    low, high, stride, _count = block.ranges[table]
    return (
        f"CASE WHEN {expr} BETWEEN {low} AND {high} "
        f"THEN {expr} + {{k}} * {stride} ELSE {expr} END"
    )


def _check_text(block, rules):
    """Refuse to clone when a text column not in the rules holds a customer
    or move number in the block: its copies would not be renumbered."""
    pattern = sequence_pattern(block.steps)
    missed = []
    for table in block.ranges:
        for column in block.columns(table, ["character varying", "text"]):
            if column in rules.get(table, {}) or (table, column) in KEPT_TEXT:
                continue
            block.cr.execute(
                f"""SELECT count(*) FROM "{table}" s
                     WHERE {block.in_block(table, "s.id")}
                       AND (s."{column}" ~ %s OR s."{column}" ~ %s)""",  # noqa: S608
                [CUSTOMER_PATTERN, pattern],
            )
            if block.cr.fetchone()[0]:
                missed.append(f"{table}.{column}")
    if missed:
        raise RuntimeError(
            f"columns holding customer or move numbers without a rule: {missed}"
        )


def _insert_statement(block, table, rules):
    """INSERT of copy {k} of the block's rows of ``table``."""
    columns = block.columns(table)
    exprs, joins = [], []
    for column in columns:
        rule = rules.get(column)
        if rule in (CUSTOMER, SEQUENCE):
            expr, join = _renumbered(rule, column, f"r{len(joins)}")
            exprs.append(expr)
            joins.append(join)
        elif rule:
            exprs.append(rule)
        elif column == "id":
            exprs.append(_offset_sql(block, table, "s.id"))
        elif (table, column) in block.foreign_keys:
            ref = block.foreign_keys[(table, column)]
            exprs.append(_offset_sql(block, ref, f's."{column}"'))
        else:
            exprs.append(f's."{column}"')
    where = block.where(table, "s.")
    names = ", ".join(f'"{column}"' for column in columns)
    return (
        f'INSERT INTO "{table}" ({names}) SELECT {", ".join(exprs)} '  # noqa: S608
        f'FROM "{table}" s {" ".join(joins)} WHERE {where} ORDER BY 1'
    )


def clone(registry, copies):
    """Multiply the block book ``copies`` times (copies - 1 new copies), then
    check the result (see verify)."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts or facts.get("copies") != 1:
            sys.exit(f"{cr.dbname}: not a block book (generate it with 'build')")
        if copies < 2:
            sys.exit("--copies must be 2 or more")
        block = Block(cr, facts)
        rules = _rules(block)
        _check_text(block, rules)
        tables = block.tables()
        statements = {
            table: _insert_statement(block, table, rules.get(table, {}))
            for table in tables
        }
        before = {table: _count(cr, table) for table in tables}
        block_rows = {table: _count(cr, table, block) for table in tables}
        # Foreign keys are checked once at the end (verify), not row by row;
        # the indexes but the unique ones are built again after the copies.
        cr.execute("SET LOCAL session_replication_role = replica")
        cr.execute("SET LOCAL jit = off")
        cr.execute("SET LOCAL maintenance_work_mem = '512MB'")
        _renumbering_tables(cr, block, rules)
        indexes = _drop_indexes(cr, tables)
        for k in range(1, copies):
            for table in tables:
                cr.execute(statements[table].replace("{k}", str(k)))
                if cr.rowcount != block_rows[table]:
                    raise RuntimeError(
                        f"copy {k} of {table}: {cr.rowcount} rows, "
                        f"{block_rows[table]} in the block"
                    )
            if k % 10 == 0 or k == copies - 1:
                log(f"  clone: {k + 1}/{copies} copies of the block")
        cr.execute("SET LOCAL session_replication_role = origin")
        tick = time.perf_counter()
        for _name, definition in indexes:
            cr.execute(definition)
        seconds = time.perf_counter() - tick
        log(f"  clone: {len(indexes)} indexes built again in {seconds:.1f} s")
        for table in tables:
            if table in block.ranges:
                cr.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    f' (SELECT max(id) FROM "{table}"))',  # noqa: S608
                    [table],
                )
        insert_seconds = time.perf_counter() - start
        tick = time.perf_counter()
        for table in tables:
            total = _count(cr, table)
            if total != before[table] + (copies - 1) * block_rows[table]:
                raise RuntimeError(
                    f"{table}: {total} rows, expected {before[table]} + "
                    f"{copies - 1} x {block_rows[table]}"
                )
        counts = verify_rows(block, copies)
        block_facts = {
            key: facts[key]
            for key in (
                "customers",
                "invoices",
                "credit_notes",
                "moves",
                "move_lines",
                "payment_state",
                "generation_seconds",
            )
        }
        today = datetime.date.fromisoformat(facts["date"])
        facts.update(book_facts(cr, facts["watermarks"], today))
        facts.update(
            copies=copies,
            block=block_facts,
            clone_seconds=round(insert_seconds, 1),
            clone_rows=counts,
            layout=block.layout(),
        )
        set_facts(env, facts)
        cr.commit()
    verify_orm(registry, block, sorted({1, copies // 2, copies - 1}))
    facts["verify_seconds"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    vacuum(registry, tables)
    facts["vacuum_seconds"] = round(time.perf_counter() - tick, 1)
    with registry.cursor() as cr:
        set_facts(_env(cr), facts)
    log(
        f"Cloned the block {copies} times in {facts['clone_seconds']} s "
        f"(self-check {facts['verify_seconds']} s, VACUUM ANALYZE "
        f"{facts['vacuum_seconds']} s): {facts['customers']} customers, "
        f"{facts['invoices']} invoices, {facts['moves']} moves, "
        f"{facts['move_lines']} lines"
    )
    return facts


def _drop_indexes(cr, tables):
    """Drops the indexes of ``tables`` that are not unique (faster to build
    once after a bulk insert than to update row by row); returns [(name,
    CREATE INDEX statement)]."""
    cr.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
             JOIN pg_class c ON c.relname = i.indexname
             JOIN pg_index x ON x.indexrelid = c.oid
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT x.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                               WHERE k.conindid = c.oid)
            ORDER BY 1""",
        [tables],
    )
    indexes = cr.fetchall()
    for name, _definition in indexes:
        cr.execute(f'DROP INDEX "{name}"')
    return indexes


def _count(cr, table, block=None, copies=1):
    where = "true" if block is None else block.where(table, copies=copies)
    cr.execute(f'SELECT count(*) FROM "{table}" WHERE {where}')  # noqa: S608
    return cr.fetchone()[0]


def vacuum(registry, tables):
    """VACUUM ANALYZE the tables (so that copies of the book do not start
    their autovacuum during a benchmark)."""
    with registry.cursor() as cr:
        cr._cnx.autocommit = True
        try:
            for table in tables:
                cr.execute(f'VACUUM ANALYZE "{table}"')
        finally:
            cr._cnx.autocommit = False


# ---- Self-check --------------------------------------------------------------
def verify_rows(block, copies):
    """Raises RuntimeError unless every table holds ``copies`` times the
    block's rows, every foreign key of the copies points at a row, the move
    numbers are gapless per journal and prefix, and the renumbered texts of
    some copies are what the Python twins make of the block's. Returns the
    rows per table."""
    cr = block.cr
    counts = {}
    for table in block.tables():
        rows = _count(cr, table, block)
        book = _count(cr, table, block, copies)
        if book != copies * rows:
            raise RuntimeError(f"{table}: {book} rows, expected {copies} x {rows}")
        counts[table] = {"block": rows, "book": book}
    for (table, column), ref in block.foreign_keys.items():
        if table not in block.ranges and table not in block.relations:
            continue
        cr.execute(
            f"""SELECT count(*) FROM "{table}" s
                 WHERE s."{column}" IS NOT NULL
                   AND NOT EXISTS (SELECT 1 FROM "{ref}" r
                                    WHERE r.id = s."{column}")"""  # noqa: S608
        )
        orphans = cr.fetchone()[0]
        if orphans:
            raise RuntimeError(f"{table}.{column}: {orphans} rows point nowhere")
    _verify_sequences(cr)
    _verify_names(block, sorted({1, copies // 2, copies - 1}))
    return counts


def _verify_sequences(cr):
    """Numbers 1..n in each journal and prefix: the next invoice Odoo posts
    gets n + 1 (sequence.mixin reads the highest number of the prefix of the
    latest move; no ir.sequence numbers moves)."""
    cr.execute(
        """SELECT journal_id, sequence_prefix, max(sequence_number), count(*),
                  count(DISTINCT sequence_number)
             FROM account_move WHERE state = 'posted' GROUP BY 1, 2"""
    )
    for journal_id, prefix, high, count, distinct in cr.fetchall():
        if count != distinct or high != count:
            raise RuntimeError(
                f"journal {journal_id} prefix {prefix}: {count} moves, "
                f"{distinct} numbers, highest {high}"
            )


def _verify_names(block, samples):
    cr = block.cr
    checks = {
        "res_partner": ("name", "complete_name", "email", "commercial_company_name"),
        "account_move": ("name", "ref", "payment_reference", "invoice_origin"),
        "account_move_line": ("name", "move_name", "ref"),
    }
    for table, columns in checks.items():
        low, high, stride, count = block.ranges[table]
        cols = ", ".join(f's."{c}", c."{c}"' for c in columns)
        for k in samples:
            cr.execute(
                f"""SELECT s.id, {cols} FROM "{table}" s
                      JOIN "{table}" c ON c.id = s.id + %s
                     WHERE s.id BETWEEN %s AND %s""",  # noqa: S608
                [k * stride, low, high],
            )
            rows = cr.fetchall()
            if len(rows) != count:
                raise RuntimeError(f"{table}: copy {k} misses rows")
            for row in rows:
                for index, column in enumerate(columns):
                    old, new = row[1 + 2 * index], row[2 + 2 * index]
                    if table == "res_partner":
                        expected = renumber_customer(old, k, block.customers)
                    else:
                        expected = renumber_sequence(old, k, block.steps)
                    if new != expected:
                        raise RuntimeError(
                            f"{table} {row[0]} copy {k}: {column} {new!r}, "
                            f"expected {expected!r}"
                        )


def verify_orm(registry, block, samples):
    """In a transaction rolled back: cloned invoices and credit notes of each
    payment state, their receivable lines and partners recomputed by the ORM
    equal the block's; a new invoice of a cloned customer gets the next
    number; paying it and a cloned partly paid invoice reconciles them.
    Raises RuntimeError otherwise."""
    cr = registry.cursor()
    try:
        _verify_orm(_env(cr), block, samples)
    finally:
        cr.rollback()
        cr.close()


def _verify_orm(env, block, samples):
    cr = env.cr
    move_low, move_high, move_stride, _count_ = block.ranges["account_move"]
    partner_stride = block.ranges["res_partner"][2]
    cr.execute(
        """SELECT DISTINCT ON (move_type, payment_state) id FROM account_move
            WHERE id BETWEEN %s AND %s
              AND move_type IN ('out_invoice', 'out_refund')
            ORDER BY move_type, payment_state, id DESC""",
        [move_low, move_high],
    )
    originals = env["account.move"].browse([row[0] for row in cr.fetchall()])
    for k in samples:
        clones = env["account.move"].browse(
            [move.id + k * move_stride for move in originals]
        )
        lines = clones.line_ids
        partners = clones.partner_id
        for name in ("amount_residual", "payment_state"):
            env.add_to_compute(clones._fields[name], clones)
        for name in ("amount_residual", "reconciled"):
            env.add_to_compute(lines._fields[name], lines)
        env.add_to_compute(partners._fields["commercial_partner_id"], partners)
        for original, copy in zip(originals, clones, strict=True):
            mine, theirs = _receivable(copy), _receivable(original)
            expected = original.commercial_partner_id.id + k * partner_stride
            checks = [
                ("payment_state", copy.payment_state, original.payment_state),
                ("reconciled", mine.reconciled, theirs.reconciled),
                (
                    "partner's commercial partner",
                    copy.partner_id.commercial_partner_id.id,
                    expected,
                ),
                ("commercial partner", copy.commercial_partner_id.id, expected),
            ]
            currency = copy.currency_id
            for name, value, block_value in (
                ("amount_residual", copy.amount_residual, original.amount_residual),
                ("amount_total", copy.amount_total, original.amount_total),
                ("line residual", mine.amount_residual, theirs.amount_residual),
            ):
                checks.append(
                    (name, currency.round(value), currency.round(block_value))
                )
            for name, value, block_value in checks:
                if value != block_value:
                    raise RuntimeError(
                        f"move {copy.id} (copy {k} of {original.id}): {name} "
                        f"{value!r}, block {block_value!r}"
                    )
    partial = originals.filtered(
        lambda m: m.move_type == "out_invoice" and m.payment_state == "partial"
    )[:1]
    if partial:
        _verify_new_documents(
            env, env["account.move"].browse(partial.id + samples[-1] * move_stride)
        )


def _verify_new_documents(env, invoice):
    journal = invoice.journal_id
    env.cr.execute(
        "SELECT max(sequence_number) FROM account_move WHERE sequence_prefix = %s"
        " AND journal_id = %s",
        [invoice.sequence_prefix, journal.id],
    )
    highest = env.cr.fetchone()[0]
    new = env["account.move"].create(
        {
            "move_type": "out_invoice",
            "journal_id": journal.id,
            "partner_id": invoice.partner_id.id,
            "invoice_date": invoice.invoice_date,
            "invoice_line_ids": [
                (0, 0, {"name": "Check", "quantity": 1, "price_unit": 100.0})
            ],
        }
    )
    new.action_post()
    if new.sequence_prefix == invoice.sequence_prefix and (
        new.sequence_number != highest + 1
    ):
        raise RuntimeError(
            f"new invoice {new.name}: number {new.sequence_number}, "
            f"expected {highest + 1}"
        )
    for move in new + invoice:
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({})._create_payments()
        if not move.currency_id.is_zero(move.amount_residual) or (
            move.payment_state not in ("paid", "in_payment")
        ):
            raise RuntimeError(
                f"{move.name} after its payment: residual {move.amount_residual}, "
                f"{move.payment_state}"
            )
    log(
        f"  self-check: {new.name} posted after {invoice.name}, both paid "
        "(rolled back)"
    )


def verify(registry):
    """The self-check of a cloned book, again."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        facts = get_facts(_env(cr))
        if not facts.get("layout"):
            sys.exit(f"{cr.dbname}: not a cloned book")
        block = Block(cr, facts)
        copies = facts["copies"]
        counts = verify_rows(block, copies)
        cr.rollback()
    verify_orm(registry, block, sorted({1, copies // 2, copies - 1}))
    log(
        f"Checked {copies} copies of the block in "
        f"{time.perf_counter() - start:.1f} s: {counts}"
    )


# ---- Shift -------------------------------------------------------------------
def shift(registry, today=None):
    """Move every date of the book by the days since it was built."""
    today = today or datetime.date.today()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts:
            sys.exit(f"{cr.dbname}: no generated book")
        days = (today - datetime.date.fromisoformat(facts["date"])).days
        if not days:
            return facts
        marks = facts["watermarks"]
        for table in CLONED_TABLES:
            cr.execute(
                """SELECT column_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = %s
                      AND data_type = 'date'""",
                [table],
            )
            columns = [row[0] for row in cr.fetchall()]
            if not columns:
                continue
            sets = ", ".join(f'"{c}" = "{c}" + {int(days)}' for c in columns)
            cr.execute(
                f'UPDATE "{table}" SET {sets} WHERE id > %s',  # noqa: S608
                [marks[table]],
            )
        facts.update(book_facts(cr, marks, today))
        facts.setdefault("built", facts["date"])
        facts.update(date=today.isoformat(), shifted_days=days)
        set_facts(env, facts)
        cr.commit()
    vacuum(registry, CLONED_TABLES)
    log(f"Moved the book's dates by {days} days")
    return facts


# ---- relance_facture's setup --------------------------------------------------
def split_profiles(customer_ids, seed):
    """{xmlid: customer ids}: the customers spread over PROFILES at random
    from the seed (the same book and seed, the same split)."""
    rng = random.Random(f"profiles:{seed}")
    parts = _pick_shares(rng, sorted(customer_ids), [s for _x, s in PROFILES])
    parts[-1] += sorted(set(customer_ids) - {i for part in parts for i in part})
    return {
        xmlid: sorted(part) for (xmlid, _s), part in zip(PROFILES, parts, strict=True)
    }


def assign_profiles(registry, args=None):
    """What relance_facture needs of a book once installed on a copy: each
    customer's dunning profile (strict 20 %, standard 45 %, lenient 25 %,
    never 10 %, drawn from the book's seed), written through the ORM by
    chunks of PROFILE_CHUNK customers (their invoices' planning follows).
    Adds the profiles and the planning figures to the book's facts."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts:
            sys.exit(f"{cr.dbname}: no generated book")
        if "relance_facture" not in registry._init_modules:
            sys.exit(f"{cr.dbname}: relance_facture is not installed")
        seed = facts.get("seed", getattr(args, "seed", 42))
        cr.execute(
            "SELECT id FROM res_partner WHERE id > %s AND parent_id IS NULL",
            [facts["watermarks"]["res_partner"]],
        )
        split = split_profiles([row[0] for row in cr.fetchall()], seed)
        for xmlid, ids in split.items():
            profile = env.ref(xmlid)
            for begin in range(0, len(ids), PROFILE_CHUNK):
                partners = env["res.partner"].browse(ids[begin : begin + PROFILE_CHUNK])
                partners.relance_profile_id = profile
                env.flush_all()
                cr.commit()
                env.invalidate_all()
        today = datetime.date.today()
        cr.execute(
            """SELECT count(*) FROM account_move WHERE id > %s
                  AND move_type = 'out_invoice' AND relance_next_date <= %s""",
            [facts["watermarks"]["account_move"], today],
        )
        due = cr.fetchone()[0]
        facts.update(book_facts(cr, facts["watermarks"], today))
        profiles = {env.ref(xmlid).name: len(ids) for xmlid, ids in split.items()}
        facts.update(
            profiles=dict(sorted(profiles.items())),
            due_today_or_before_per_plan=due,
            setup_seconds=round(time.perf_counter() - start, 1),
        )
        set_facts(env, facts)
        cr.commit()
    log(f"Assigned the dunning profiles in {facts['setup_seconds']} s: {profiles}")
    return facts


# ----------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True)
    plan_ = sub.add_parser("plan", help="database name, block and copies (no Odoo)")
    plan_.add_argument("--template", required=True)
    for command in ("plan", "build"):
        target = plan_ if command == "plan" else sub.add_parser(command)
        target.add_argument("--customers", type=int, default=BLOCK_CUSTOMERS)
        target.add_argument("--invoices", type=int, default=10)
        target.add_argument("--seed", type=int, default=42)
    plan_.add_argument("--block", type=int, default=BLOCK_CUSTOMERS)
    clone_ = sub.add_parser("clone")
    clone_.add_argument("--copies", type=int, required=True)
    sub.add_parser("shift")
    sub.add_parser("verify")
    for name, target in sub.choices.items():
        if name != "plan":
            target.add_argument("--db", required=True)
            target.add_argument("--addons-path")
            target.add_argument("--log-level", default="warn")
    args = parser.parse_args(argv)
    if getattr(args, "customers", 1) < 1 or getattr(args, "invoices", 1) < 1:
        parser.error("--customers and --invoices must be positive")
    return args


def main(argv=None):
    args = parse_args(argv)
    if args.command == "plan":
        block, copies = plan(args.customers, args.block)
        name = book_name(
            args.template, args.customers, args.invoices, args.seed, args.block
        )
        print(name, block, copies)
        return 0
    registry = bootstrap(args.db, args.addons_path, args.log_level)
    if args.command == "build":
        with registry.cursor() as cr:
            env = _env(cr)
            generate(
                env,
                random.Random(args.seed),
                args.customers,
                args.invoices,
                datetime.date.today(),
                seed=args.seed,
            )
        vacuum(registry, CLONED_TABLES)
    elif args.command == "clone":
        clone(registry, args.copies)
    elif args.command == "shift":
        shift(registry)
    elif args.command == "verify":
        verify(registry)
    return 0


if __name__ == "__main__":
    sys.exit(main())
