from odoo.tools import SQL

from .models.account_move import RELANCE_STORED_COMPUTES


def pre_init_hook(env):
    """Create the dunning columns of account_move before the ORM does, so
    that installing on a large book does not compute them for every invoice
    ever posted; the post-init hook plans the open ones only."""
    for column, sql_type in RELANCE_STORED_COMPUTES.items():
        env.cr.execute(
            SQL(
                "ALTER TABLE account_move ADD COLUMN IF NOT EXISTS %s %s",
                SQL.identifier(column),
                SQL(sql_type),
            )
        )


def post_init_hook(env):
    moves = env["account.move"].search(
        [
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial", "in_payment")),
        ]
    )
    for fname in RELANCE_STORED_COMPUTES:
        env.add_to_compute(moves._fields[fname], moves)
    moves.flush_recordset(list(RELANCE_STORED_COMPUTES))
