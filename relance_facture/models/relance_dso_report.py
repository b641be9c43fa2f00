from odoo import api, fields, models, tools
from odoo.tools import SQL

# DSO is computed over the credit sales of this many days.
DSO_DAYS = 90
# Months of trend the view goes back.
DSO_MONTHS = 12


class RelanceDsoReport(models.Model):
    """Days sales outstanding per customer, company and month end.

    DSO = receivables at the end of the period / credit sales of the 90 days
    up to it x 90. The current month ends today. Grouped figures are
    recomputed from the summed receivables and sales (a ratio of sums, never
    a sum of ratios), so the DSO of a company is the DSO of its whole book.

    A materialized view: computing twelve month ends over every receivable
    line takes seconds on a large book, so the daily scheduled action
    refreshes it (``_cron_refresh``) and the screens read the result.
    """

    _name = "relance.dso.report"
    _description = "Days Sales Outstanding"
    _auto = False
    _order = "date desc, id"
    _rec_name = "partner_id"

    date = fields.Date(string="Period End", readonly=True)
    company_id = fields.Many2one("res.company", readonly=True)
    currency_id = fields.Many2one(
        "res.currency", string="Company Currency", readonly=True
    )
    partner_id = fields.Many2one("res.partner", string="Customer", readonly=True)
    receivable_amount = fields.Monetary(
        string="Receivables",
        readonly=True,
        help="Customer balance at the end of the period.",
    )
    sales_amount = fields.Monetary(
        string="Credit Sales (90 days)",
        readonly=True,
        help="Invoices less credit notes dated in the 90 days up to the period end.",
    )
    dso = fields.Float(
        string="DSO (days)",
        digits=(16, 1),
        aggregator="avg",
        readonly=True,
        help="Receivables / credit sales of the last 90 days x 90.",
    )
    is_current = fields.Boolean(string="Current Month", readonly=True)

    @api.model
    def read_group(
        self, domain, fields, groupby, offset=0, limit=None, orderby=False, lazy=True
    ):
        # EXTENDS base: the DSO of a group is its ratio of sums.
        names = {spec.split(":")[0].strip() for spec in fields}
        wants_dso = "dso" in names
        if wants_dso:
            fields = [
                *fields,
                *(
                    f"{name}:sum"
                    for name in ("receivable_amount", "sales_amount")
                    if name not in names
                ),
            ]
        result = super().read_group(
            domain,
            fields,
            groupby,
            offset=offset,
            limit=limit,
            orderby=orderby,
            lazy=lazy,
        )
        if wants_dso:
            for row in result:
                row["dso"] = self._relance_dso(
                    row.get("receivable_amount") or 0.0, row.get("sales_amount") or 0.0
                )
        return result

    @api.model
    def _relance_dso(self, receivable, sales):
        return receivable / sales * DSO_DAYS if sales > 0 else 0.0

    @api.model
    def _cron_refresh(self):
        """Recompute the figures as of today."""
        self.env.flush_all()
        self.env.cr.execute(
            SQL("REFRESH MATERIALIZED VIEW %s", SQL.identifier(self._table))
        )
        self.env.invalidate_all()

    def init(self):
        tools.drop_view_if_exists(self.env.cr, self._table)
        self.env.cr.execute(
            SQL(
                """
CREATE MATERIALIZED VIEW %(table)s AS (
    WITH period AS (
        SELECT month::date AS date_start,
               LEAST((month + INTERVAL '1 month' - INTERVAL '1 day')::date,
                     CURRENT_DATE) AS date_end
          FROM generate_series(
                   date_trunc('month', CURRENT_DATE) - %(back)s * INTERVAL '1 month',
                   date_trunc('month', CURRENT_DATE),
                   INTERVAL '1 month'
               ) AS month
    ), movement AS (
        -- Net receivable movements per customer and month; older ones count
        -- in the first month, so that the running sum is the balance.
        SELECT aml.company_id,
               COALESCE(partner.commercial_partner_id, aml.partner_id) AS partner_id,
               GREATEST(date_trunc('month', aml.date)::date,
                        (SELECT MIN(date_start) FROM period)) AS date_start,
               SUM(aml.balance) AS balance
          FROM account_move_line aml
          JOIN account_account account ON account.id = aml.account_id
          JOIN res_partner partner ON partner.id = aml.partner_id
         WHERE account.account_type = 'asset_receivable'
           AND aml.parent_state = 'posted'
           AND aml.date <= CURRENT_DATE
         GROUP BY 1, 2, 3
    ), sale AS (
        SELECT move.company_id,
               move.commercial_partner_id AS partner_id,
               move.invoice_date,
               SUM(move.amount_total_signed) AS amount
          FROM account_move move
         WHERE move.state = 'posted'
           AND move.move_type IN ('out_invoice', 'out_refund')
           AND move.invoice_date > (SELECT MIN(date_start) FROM period) - %(days)s
           AND move.invoice_date <= CURRENT_DATE
         GROUP BY 1, 2, 3
    ), customer AS (
        SELECT company_id, partner_id FROM movement
         UNION
        SELECT company_id, partner_id FROM sale
    ), grid AS (
        SELECT customer.company_id,
               customer.partner_id,
               period.date_start,
               period.date_end,
               SUM(COALESCE(movement.balance, 0)) OVER (
                   PARTITION BY customer.company_id, customer.partner_id
                   ORDER BY period.date_start
               ) AS receivable_amount
          FROM customer
         CROSS JOIN period
          LEFT JOIN movement
                 ON movement.company_id = customer.company_id
                AND movement.partner_id = customer.partner_id
                AND movement.date_start = period.date_start
    ), sales AS (
        -- Each day's sales count for the period ends of the 90 days after it
        -- (at most four), so no range join between customers and sales.
        SELECT sale.company_id,
               sale.partner_id,
               period.date_start,
               SUM(sale.amount) AS sales_amount
          FROM sale
          JOIN period
            ON period.date_end >= sale.invoice_date
           AND period.date_end < sale.invoice_date + %(days)s
         GROUP BY 1, 2, 3
    )
    SELECT ROW_NUMBER() OVER (
               ORDER BY grid.date_start, grid.company_id, grid.partner_id
           ) AS id,
           grid.date_end AS date,
           grid.company_id,
           company.currency_id,
           grid.partner_id,
           grid.receivable_amount,
           COALESCE(sales.sales_amount, 0) AS sales_amount,
           CASE
               WHEN sales.sales_amount > 0
               THEN grid.receivable_amount / sales.sales_amount * %(days)s
           END AS dso,
           grid.date_end = CURRENT_DATE AS is_current
      FROM grid
      JOIN res_company company ON company.id = grid.company_id
 LEFT JOIN sales
        ON sales.company_id = grid.company_id
       AND sales.partner_id = grid.partner_id
       AND sales.date_start = grid.date_start
     WHERE grid.receivable_amount != 0 OR sales.sales_amount != 0
)
""",
                table=SQL.identifier(self._table),
                back=DSO_MONTHS - 1,
                days=DSO_DAYS,
            )
        )
        self.env.cr.execute(
            SQL(
                "CREATE INDEX %s ON %s (company_id, date)",
                SQL.identifier(f"{self._table}_company_date_index"),
                SQL.identifier(self._table),
            )
        )
