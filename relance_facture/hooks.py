from odoo.tools import SQL, split_every

from .hooks_demo import DEMO_COMPANY, _post_init_demo, _uninstall_demo
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
    env.cr.execute(
        "ALTER TABLE res_partner ADD COLUMN IF NOT EXISTS relance_stage jsonb"
    )


# Open invoices planned at install per batch: memory stays that of a batch
# whatever the size of the book.
INSTALL_BATCH = 5000


def post_init_hook(env):
    move_ids = (
        env["account.move"]
        .search(
            [
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial", "in_payment")),
            ],
            order="id",
        )
        .ids
    )
    for batch in split_every(INSTALL_BATCH, move_ids):
        moves = env["account.move"].browse(batch)
        for fname in RELANCE_STORED_COMPUTES:
            env.add_to_compute(moves._fields[fname], moves)
        moves.flush_recordset(list(RELANCE_STORED_COMPUTES))
        partners = moves.commercial_partner_id
        env.add_to_compute(partners._fields["relance_stage"], partners)
        partners.flush_recordset(["relance_stage"])
        env.invalidate_all()
    env["relance.dso.report"]._cron_refresh()
    if env.ref(DEMO_COMPANY, raise_if_not_found=False):
        _post_init_demo(env)


def uninstall_hook(env):
    """The history refers to the shipped steps, and dunning activities to the
    shipped activity types: remove them first so that Odoo can delete the
    module's data without foreign-key errors."""
    # Odoo drops views and tables of models, not materialized views.
    env.cr.execute("DROP MATERIALIZED VIEW IF EXISTS relance_dso_report")
    activity_types = [
        env.ref(f"relance_facture.{xmlid}", raise_if_not_found=False)
        for xmlid in (
            "mail_activity_type_relance_call",
            "mail_activity_type_relance_validate",
            "mail_activity_type_relance_escalation",
            "mail_activity_type_relance_risky",
            "mail_activity_type_relance_answer",
        )
    ]
    type_ids = [activity_type.id for activity_type in activity_types if activity_type]
    if type_ids:
        env["mail.activity"].search([("activity_type_id", "in", type_ids)]).unlink()
    # the customers' answers refer to customers, companies and reminders
    env.cr.execute(SQL("DELETE FROM relance_answer"))
    env.cr.execute(SQL("DELETE FROM relance_dispatch_event_rel"))
    env.cr.execute(SQL("DELETE FROM relance_event"))
    env.cr.execute(SQL("DELETE FROM relance_dispatch"))
    _uninstall_demo(env)
