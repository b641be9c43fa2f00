from odoo import fields, models, tools
from odoo.tools import SQL

# Keys sort in the order of the buckets: pivots and graphs order groups by key.
BUCKETS = [
    ("0_not_due", "Not due"),
    ("1_1_30", "1-30 days"),
    ("2_31_60", "31-60 days"),
    ("3_61_90", "61-90 days"),
    ("4_over_90", "Over 90 days"),
]


class RelanceAgeingReport(models.Model):
    """Ageing of receivables: one row per open receivable line, its balance
    in company currency and its bucket of days past due, to today."""

    _name = "relance.ageing.report"
    _description = "Ageing of Receivables"
    _auto = False
    _order = "date_maturity, id"
    _rec_name = "move_id"

    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    move_id = fields.Many2one("account.move", string="Entry", readonly=True)
    account_id = fields.Many2one("account.account", readonly=True)
    date = fields.Date(readonly=True)
    date_maturity = fields.Date(string="Due Date", readonly=True)
    days_overdue = fields.Integer(string="Days Past Due", readonly=True)
    bucket = fields.Selection(BUCKETS, string="Age", readonly=True)
    amount_residual = fields.Monetary(string="Amount Due", readonly=True)
    amount_not_due = fields.Monetary(string="Not Due", readonly=True)
    amount_1_30 = fields.Monetary(string="1-30 Days", readonly=True)
    amount_31_60 = fields.Monetary(string="31-60 Days", readonly=True)
    amount_61_90 = fields.Monetary(string="61-90 Days", readonly=True)
    amount_over_90 = fields.Monetary(string="Over 90 Days", readonly=True)

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
CREATE VIEW %(table)s AS (
    WITH open_line AS (
        SELECT aml.id,
               aml.company_id,
               aml.company_currency_id AS currency_id,
               COALESCE(partner.commercial_partner_id, aml.partner_id) AS partner_id,
               aml.move_id,
               aml.account_id,
               aml.date,
               COALESCE(aml.date_maturity, aml.date) AS date_maturity,
               CURRENT_DATE - COALESCE(aml.date_maturity, aml.date) AS days_overdue,
               aml.amount_residual
          FROM account_move_line aml
          JOIN account_account account ON account.id = aml.account_id
     LEFT JOIN res_partner partner ON partner.id = aml.partner_id
         WHERE account.account_type = 'asset_receivable'
           AND aml.parent_state = 'posted'
           AND NOT aml.reconciled
           AND aml.amount_residual != 0
    ), bucketed AS (
        SELECT open_line.*,
               CASE
                   WHEN days_overdue <= 0 THEN '0_not_due'
                   WHEN days_overdue <= 30 THEN '1_1_30'
                   WHEN days_overdue <= 60 THEN '2_31_60'
                   WHEN days_overdue <= 90 THEN '3_61_90'
                   ELSE '4_over_90'
               END AS bucket
          FROM open_line
    )
    SELECT bucketed.*,
           CASE WHEN bucket = '0_not_due' THEN amount_residual ELSE 0 END
               AS amount_not_due,
           CASE WHEN bucket = '1_1_30' THEN amount_residual ELSE 0 END AS amount_1_30,
           CASE WHEN bucket = '2_31_60' THEN amount_residual ELSE 0 END
               AS amount_31_60,
           CASE WHEN bucket = '3_61_90' THEN amount_residual ELSE 0 END
               AS amount_61_90,
           CASE WHEN bucket = '4_over_90' THEN amount_residual ELSE 0 END
               AS amount_over_90
      FROM bucketed
)
""",
                table=SQL.identifier(self._table),
            )
        )
