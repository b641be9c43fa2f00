from odoo import fields, models, tools
from odoo.tools import SQL

from .relance_event import CHANNELS

# An invoice counts as paid thanks to a step when paid within this many days.
EFFECTIVE_DAYS = 15


class RelanceStepEffectiveness(models.Model):
    """Effectiveness of each dunning step: one row per step sent, saying
    whether the invoice was paid in full within 15 days after it (its last
    payment reconciled by then). The average of "Paid within 15 Days (%)"
    over a group is the share of its invoices paid in time."""

    _name = "relance.step.effectiveness"
    _description = "Dunning Step Effectiveness"
    _auto = False
    _order = "date desc, id desc"
    _rec_name = "move_id"

    event_id = fields.Many2one("relance.event", string="Dunning Step", readonly=True)
    move_id = fields.Many2one("account.move", string="Invoice", readonly=True)
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    level_id = fields.Many2one("relance.level", string="Step", readonly=True)
    profile_id = fields.Many2one("relance.profile", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one("res.currency", readonly=True)
    user_id = fields.Many2one("res.users", string="Person in Charge", readonly=True)
    channel = fields.Selection(CHANNELS, readonly=True)
    date = fields.Date(string="Step Date", readonly=True)
    amount_residual = fields.Monetary(string="Amount Claimed", readonly=True)
    last_payment_date = fields.Date(readonly=True)
    paid_count = fields.Integer(string="Paid within 15 Days", readonly=True)
    paid_rate = fields.Float(
        string="Paid within 15 Days (%)",
        aggregator="avg",
        digits=(16, 1),
        readonly=True,
        help="Share of the invoices reminded at this step that were paid in full "
        "within 15 days after it.",
    )
    paid_amount = fields.Monetary(
        string="Amount Recovered in 15 Days",
        readonly=True,
        help="Amount claimed by the step for the invoices paid within 15 days.",
    )

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
CREATE VIEW %(table)s AS (
    WITH payment AS (
        -- Last reconciliation date of each invoice paid in full.
        SELECT line.move_id, MAX(partial.max_date) AS last_payment_date
          FROM account_partial_reconcile partial
          JOIN account_move_line line ON line.id = partial.debit_move_id
          JOIN account_move move ON move.id = line.move_id
         WHERE line.display_type = 'payment_term'
           AND move.payment_state IN ('paid', 'in_payment')
         GROUP BY line.move_id
    ), step AS (
        SELECT event.id,
               event.id AS event_id,
               event.move_id,
               event.partner_id,
               event.level_id,
               event.profile_id,
               event.company_id,
               event.currency_id,
               event.user_id,
               event.channel,
               event.date,
               event.amount_residual,
               payment.last_payment_date,
               COALESCE(payment.last_payment_date <= event.date + %(days)s, FALSE)
                   AS paid
          FROM relance_event event
     LEFT JOIN payment ON payment.move_id = event.move_id
         WHERE event.state = 'sent'
    )
    SELECT step.id, step.event_id, step.move_id, step.partner_id, step.level_id,
           step.profile_id, step.company_id, step.currency_id, step.user_id,
           step.channel, step.date, step.amount_residual, step.last_payment_date,
           CASE WHEN step.paid THEN 1 ELSE 0 END AS paid_count,
           CASE WHEN step.paid THEN 100.0 ELSE 0.0 END AS paid_rate,
           CASE WHEN step.paid THEN step.amount_residual ELSE 0 END AS paid_amount
      FROM step
)
""",
                table=SQL.identifier(self._table),
                days=EFFECTIVE_DAYS,
            )
        )
