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
        """Rate record of ``day``'s semester, and whether it is missing.

        A missing semester is never filled with another semester's rate: the
        caller says so and computes nothing rather than something wrong."""
        record = table.get(penalty.semester_start(day))
        return (record, False) if record else (self.browse(), True)

    @api.model
    def _relance_semester_label(self, day):
        start = penalty.semester_start(day)
        return f"{start.year} H{1 if start.month <= 6 else 2}"

    @api.model
    def _relance_missing_semesters(self, first_day, last_day):
        """Labels of the semesters from ``first_day`` to ``last_day`` that
        have no rate in the table."""
        table = self._relance_table()
        missing = []
        day = penalty.semester_start(first_day)
        while day <= last_day:
            if day not in table:
                missing.append(self._relance_semester_label(day))
            day = day.replace(
                year=day.year + (day.month == 7), month=1 if day.month == 7 else 7
            )
        return missing
