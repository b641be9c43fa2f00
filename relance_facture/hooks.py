from odoo import fields
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
    if env.ref("relance_facture.invoice_roux_1_demo", raise_if_not_found=False):
        _post_init_demo(env)


def _post_init_demo(env):
    """Demo: one invoice paid, one partly paid (payments cannot be registered
    from XML), then today's dunning run so that every stage shows at once."""
    today = fields.Date.context_today(env["account.move"])
    paid = env.ref("relance_facture.invoice_roux_1_demo")
    partial = env.ref("relance_facture.invoice_garnier_1_demo")
    for move, amount in ((paid, paid.amount_residual), (partial, 1000.0)):
        env["account.payment.register"].with_context(
            active_model="account.move", active_ids=move.ids
        ).create({"amount": amount, "payment_date": today})._create_payments()
    env["relance.engine"]._cron_run_daily()
