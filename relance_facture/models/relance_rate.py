from odoo import api, fields, models

from ..tools import penalty


class RelanceRate(models.Model):
    """Published rates of one semester: the ECB rate on its first day, the
    default B2B late-payment rate (ECB + 10 points) and the legal interest
    rates (Banque de France)."""

    _name = "relance.rate"
    _description = "Late-Payment Rate"
    _order = "date_start desc"

    date_start = fields.Date(
        string="Semester Start", required=True, help="1 January or 1 July."
    )
    name = fields.Char(compute="_compute_name", store=True)
    ecb_rate = fields.Float(string="ECB Rate (%)", digits=(5, 2), required=True)
    b2b_rate = fields.Float(
        string="B2B Penalty Rate (%)",
        digits=(5, 2),
        compute="_compute_b2b_rate",
        store=True,
        readonly=False,
        help="Default rate of L441-10 II: the ECB rate plus 10 points.",
    )
    legal_rate_private = fields.Float(
        string="Legal Rate, Private Creditor (%)", digits=(5, 2)
    )
    legal_rate_other = fields.Float(
        string="Legal Rate, Other Cases (%)",
        digits=(5, 2),
        help="Applies to consumers' debts to businesses, and sets the floor of "
        "contractual B2B rates (three times this rate).",
    )

    _sql_constraints = [
        (
            "date_start_uniq",
            "UNIQUE(date_start)",
            "This semester already has its rates.",
        )
    ]

    @api.depends("date_start")
    def _compute_name(self):
        for rate in self:
            start = rate.date_start
            rate.name = start and f"{start.year} H{1 if start.month <= 6 else 2}"

    @api.depends("ecb_rate")
    def _compute_b2b_rate(self):
        for rate in self:
            rate.b2b_rate = rate.ecb_rate + 10.0

    @api.constrains("date_start")
    def _check_date_start(self):
        from odoo.exceptions import ValidationError

        for rate in self:
            if rate.date_start != penalty.semester_start(rate.date_start):
                raise ValidationError(
                    self.env._("A semester starts on 1 January or 1 July.")
                )

    @api.model
    def _relance_table(self):
        """{semester start: rate record}, read once."""
        return {rate.date_start: rate for rate in self.search([])}

    @api.model
    def _relance_lookup(self, table, day):
        """Rate record for ``day``, and whether it is a fallback (the
        semester is missing: the latest known earlier semester is used)."""
        start = penalty.semester_start(day)
        if start in table:
            return table[start], False
        earlier = [d for d in table if d <= start]
        if earlier:
            return table[max(earlier)], True
        return (table[min(table)], True) if table else (self.browse(), True)
