"""Constants and helpers shared by scripts/book.py and its modules
(book_*.py): the generator's parameters, the cloned tables, the dunning
profiles, the renumbering of customer and move numbers (pure), Odoo's
bootstrap and environment, the book's facts, row counts and VACUUM."""

import json
import re
import sys

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
# Pure logic (no Odoo): renumbering
# ----------------------------------------------------------------------------
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


def _receivable(move):
    return move.line_ids.filtered(lambda line: line.display_type == "payment_term")[:1]


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


def post_reconciled(env, vals_list, receivables):
    """Post the bank entries of ``vals_list`` and reconcile each with the
    invoice receivable line at the same place of ``receivables``, in one
    batch (the books' payments)."""
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
    return entries
