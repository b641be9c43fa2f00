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
import datetime
import hashlib
import json
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from book_base import (  # noqa: E402
    BLOCK_CUSTOMERS,
    BOOK_VERSION,
    CHUNK,
    CLONED_TABLES,
    COMPANY_SUFFIXES,
    CUSTOMER_DIGITS,
    CUSTOMER_PATTERN,
    FIRST_NAMES,
    GEN_PARAM,
    LAST_NAMES,
    MODEL_TABLES,
    PARAMETERS,
    PROFILE_CHUNK,
    PROFILES,
    _env,
    _pick_shares,
    book_facts,
    bootstrap,
    customer_number,
    get_facts,
    log,
    renumber_customer,
    renumber_sequence,
    sequence_pattern,
    sequence_steps,
    set_facts,
    vacuum,
)
from book_block import Block  # noqa: E402
from book_clone import CUSTOMER, KEPT_TEXT, SEQUENCE, clone  # noqa: E402
from book_generate import (  # noqa: E402
    generate,
    generate_credit_notes,
    generate_customers,
    generate_invoices,
    generate_payments,
    invoice_vals,
    post_invoices,
    sale_journal,
)
from book_profiles import assign_profiles, split_profiles  # noqa: E402
from book_shift import shift  # noqa: E402
from book_verify import verify, verify_orm, verify_rows  # noqa: E402

# the entry; the names other scripts (benchmark.py, versus_credit_control.py)
# and tests_unit/test_book.py read here
__all__ = [
    "BLOCK_CUSTOMERS",
    "BOOK_VERSION",
    "Block",
    "CHUNK",
    "CLONED_TABLES",
    "COMPANY_SUFFIXES",
    "CUSTOMER",
    "CUSTOMER_DIGITS",
    "CUSTOMER_PATTERN",
    "FIRST_NAMES",
    "GEN_PARAM",
    "KEPT_TEXT",
    "LAST_NAMES",
    "MODEL_TABLES",
    "PARAMETERS",
    "PROFILES",
    "PROFILE_CHUNK",
    "SEQUENCE",
    "_env",
    "_pick_shares",
    "assign_profiles",
    "book_facts",
    "book_key",
    "book_name",
    "bootstrap",
    "clone",
    "customer_number",
    "generate",
    "generate_credit_notes",
    "generate_customers",
    "generate_invoices",
    "generate_payments",
    "get_facts",
    "invoice_vals",
    "log",
    "main",
    "parse_args",
    "plan",
    "post_invoices",
    "renumber_customer",
    "renumber_sequence",
    "sale_journal",
    "sequence_pattern",
    "sequence_steps",
    "set_facts",
    "shift",
    "split_profiles",
    "vacuum",
    "verify",
    "verify_orm",
    "verify_rows",
]


# ----------------------------------------------------------------------------
# Pure logic (no Odoo): plan, key (BOOK_VERSION read here: tests patch it)
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
