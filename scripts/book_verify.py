"""The self-check of a cloned book (scripts/book.py ``verify``, also run by
``clone``): rows per table, foreign keys, gapless move numbers, the
renumbered texts, cloned documents recomputed by the ORM, new documents
posted and paid (rolled back)."""

import sys
import time

from book_base import (
    _count,
    _env,
    _receivable,
    get_facts,
    log,
    renumber_customer,
    renumber_sequence,
)
from book_block import Block


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
