from dateutil.relativedelta import relativedelta

from odoo import api, fields, models
from odoo.tools import SQL

RULES = [
    ("new", "New customer"),
    ("risky", "Risky customer"),
    ("loyal", "Loyal customer"),
    ("standard", "Standard"),
]


class RelancePartnerStat(models.Model):
    """Payment figures of one customer in one company, refreshed in bulk by
    SQL (nightly, and for customers touched during the day): the customer
    form, the lists and the automatic profiles read them."""

    _name = "relance.partner.stat"
    _description = "Customer Payment Statistics"
    _rec_name = "partner_id"
    _check_company_auto = True

    partner_id = fields.Many2one(
        "res.partner", required=True, ondelete="cascade", index=True, check_company=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, ondelete="cascade", index=True
    )
    total_overdue = fields.Float()
    oldest_overdue_days = fields.Integer()
    avg_days_late = fields.Float(help="Over 12 months, weighted by amount.")
    late_base = fields.Float()
    paid_count = fields.Integer()
    paid_count_12m = fields.Integer()
    on_time_count_12m = fields.Integer()
    paid_count_24m = fields.Integer()
    paid_j5_count_24m = fields.Integer()
    first_invoice_date = fields.Date()
    reminder_count_12m = fields.Integer()
    second_reminder_count_12m = fields.Integer()
    formal_notice_count_12m = fields.Integer()
    formal_notice_count_24m = fields.Integer()
    rule = fields.Selection(RULES)
    refreshed_on = fields.Date()
    risky_decision = fields.Selection(
        [("proposed", "Proposed"), ("accepted", "Accepted"), ("refused", "Refused")],
        help="The person in charge's answer to the proposal of the Strict profile.",
    )
    risky_decision_date = fields.Date()

    _sql_constraints = [
        (
            "partner_company_uniq",
            "UNIQUE(partner_id, company_id)",
            "One line per customer and company.",
        )
    ]

    def _relance_is_chronic(self):
        """A chronic late payer: the figures of the risky rule, whatever the
        customer's age."""
        self.ensure_one()
        company = self.company_id
        return bool(
            self.avg_days_late > company.relance_risky_days_late
            or self.formal_notice_count_12m
            or self.second_reminder_count_12m >= company.relance_risky_second_reminders
        )

    def _relance_reason(self):
        """Why the rules chose this profile, in the user's words."""
        self.ensure_one()
        _ = self.env._
        if self.rule == "new":
            if not self.first_invoice_date:
                return _("new customer: no invoice yet")
            return _(
                "new customer: first invoice on %(date)s, %(paid)s invoice(s) paid",
                date=fields.Date.to_string(self.first_invoice_date),
                paid=self.paid_count,
            )
        if self.rule == "risky":
            reasons = []
            if self.avg_days_late > self.company_id.relance_risky_days_late:
                reasons.append(
                    _("late %(days)s days on average", days=round(self.avg_days_late))
                )
            if self.formal_notice_count_12m:
                reasons.append(_("formal notice in the last 12 months"))
            if (
                self.second_reminder_count_12m
                >= self.company_id.relance_risky_second_reminders
            ):
                reasons.append(
                    _(
                        "%(count)s second reminders in 12 months",
                        count=self.second_reminder_count_12m,
                    )
                )
            return _("risky: %(reasons)s", reasons=", ".join(reasons))
        if self.rule == "loyal":
            return _(
                "loyal: %(ok)s of %(count)s paid on time",
                ok=self.paid_j5_count_24m,
                count=self.paid_count_24m,
            )
        return _("standard payment behaviour")

    @api.model
    def _cron_refresh(self, batch_size=2000):
        """Nightly: every customer's figures and automatic profile, in batches."""
        today = fields.Date.context_today(self)
        for company in self.env["res.company"].search([]):
            stale = self._relance_stale_partners(company, today)
            for start in range(0, len(stale), batch_size):
                partners = stale[start : start + batch_size]
                self._relance_refresh(partners, company, today)
                self.env["res.partner"]._relance_apply_rules(partners, company)
                remaining = len(stale) - start - len(partners)
                self.env["ir.cron"]._notify_progress(
                    done=len(partners), remaining=remaining
                )
                if self.env.context.get("cron_id") and remaining:
                    return  # the worker commits and calls again

    @api.model
    def _relance_stale_partners(self, company, today):
        """Customers of ``company`` whose figures are not yet of today, read
        once (NOT EXISTS uses the unique index whatever the table's
        statistics say)."""
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT m.commercial_partner_id FROM account_move m
                   WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                     AND m.company_id = %s
                     AND NOT EXISTS (
                         SELECT 1 FROM relance_partner_stat s
                          WHERE s.partner_id = m.commercial_partner_id
                            AND s.company_id = %s AND s.refreshed_on >= %s)
                   ORDER BY m.commercial_partner_id""",
                company.id,
                company.id,
                today,
            )
        )
        return self.env["res.partner"].browse(row[0] for row in rows)

    @api.model
    def _relance_refresh_touched(self, company, today):
        """Customers whose invoices changed since their figures (a payment
        today): refreshed before the daily run uses their profile."""
        rows = self.env.execute_query(
            SQL(
                """SELECT DISTINCT m.commercial_partner_id FROM account_move m
                    JOIN relance_partner_stat s
                      ON s.partner_id = m.commercial_partner_id
                     AND s.company_id = m.company_id
                   WHERE m.move_type = 'out_invoice' AND m.company_id = %s
                     AND m.write_date >= s.write_date""",
                company.id,
            )
        )
        partners = self.env["res.partner"].browse(row[0] for row in rows)
        if partners:
            self._relance_refresh(partners, company, today)
            self.env["res.partner"]._relance_apply_rules(partners, company)

    @api.model
    def _relance_refresh(self, partners, company, today):
        """Recompute the figures of ``partners`` (commercial entities) in
        ``company``: three statements whatever their number."""
        if not partners:
            return
        self.env.flush_all()
        d12 = today - relativedelta(months=12)
        d24 = today - relativedelta(months=24)
        params = {
            "partners": partners.ids,
            "company": company.id,
            "today": today,
            "d12": d12,
            "d24": d24,
            "d_new": today - relativedelta(months=company.relance_new_months or 12),
            "grace": company.relance_loyal_grace_days,
        }
        self.env.cr.execute(self._relance_upsert_sql(params))
        self.env.cr.execute(self._relance_events_sql(params))
        self.env.cr.execute(self._relance_rule_sql(params))
        self.invalidate_model()

    @api.model
    def _relance_upsert_sql(self, p):
        open_late = SQL(
            "inv.payment_state IN ('not_paid', 'partial') AND inv.residual > 0 "
            "AND inv.due < %s",
            p["today"],
        )
        paid = SQL("inv.payment_state IN ('paid', 'in_payment', 'reversed')")
        return SQL(
            """
            WITH inv AS (
                SELECT m.id, m.commercial_partner_id AS partner_id, m.invoice_date,
                       m.invoice_date_due AS due, m.amount_total_signed AS total,
                       m.amount_residual_signed AS residual, m.payment_state
                  FROM account_move m
                 WHERE m.move_type = 'out_invoice' AND m.state = 'posted'
                   AND m.company_id = %(company)s
                   AND m.commercial_partner_id = ANY(%(partners)s)
            ), pay AS (
                SELECT line.move_id, MAX(counterpart.date) AS last_date,
                       SUM(part.amount * GREATEST(counterpart.date - inv.due, 0))
                           AS amount_days
                  FROM inv
                  JOIN account_move_line line
                    ON line.move_id = inv.id AND line.display_type = 'payment_term'
                  JOIN account_partial_reconcile part ON part.debit_move_id = line.id
                  JOIN account_move_line counterpart
                    ON counterpart.id = part.credit_move_id
                 GROUP BY line.move_id
            )
            INSERT INTO relance_partner_stat (
                partner_id, company_id, total_overdue, oldest_overdue_days,
                avg_days_late, late_base, paid_count, paid_count_12m,
                on_time_count_12m, paid_count_24m, paid_j5_count_24m,
                first_invoice_date, reminder_count_12m, second_reminder_count_12m,
                formal_notice_count_12m, formal_notice_count_24m, refreshed_on,
                create_uid, write_uid, create_date, write_date)
            SELECT partner.id, %(company)s,
                   COALESCE(SUM(inv.residual) FILTER (WHERE %(open_late)s), 0),
                   COALESCE(MAX(%(today)s - inv.due) FILTER (WHERE %(open_late)s), 0),
                   COALESCE(
                       SUM(COALESCE(pay.amount_days, 0)
                           + GREATEST(inv.residual, 0)
                             * GREATEST(%(today)s - inv.due, 0))
                           FILTER (WHERE inv.due >= %(d12)s AND inv.due < %(today)s)
                       / NULLIF(SUM(inv.total) FILTER (
                           WHERE inv.due >= %(d12)s AND inv.due < %(today)s), 0),
                       0),
                   COALESCE(SUM(inv.total)
                       FILTER (WHERE inv.due >= %(d12)s AND inv.due < %(today)s), 0),
                   COUNT(inv.id) FILTER (WHERE %(paid)s),
                   COUNT(inv.id) FILTER (WHERE %(paid)s AND inv.due >= %(d12)s),
                   COUNT(inv.id) FILTER (WHERE %(paid)s AND inv.due >= %(d12)s
                                          AND pay.last_date <= inv.due),
                   COUNT(inv.id) FILTER (WHERE %(paid)s AND inv.due >= %(d24)s),
                   COUNT(inv.id) FILTER (WHERE %(paid)s AND inv.due >= %(d24)s
                                          AND pay.last_date <= inv.due + %(grace)s),
                   MIN(inv.invoice_date), 0, 0, 0, 0, %(today)s,
                   %(uid)s, %(uid)s, NOW() AT TIME ZONE 'UTC', NOW() AT TIME ZONE 'UTC'
              FROM res_partner partner
              LEFT JOIN inv ON inv.partner_id = partner.id
              LEFT JOIN pay ON pay.move_id = inv.id
             WHERE partner.id = ANY(%(partners)s)
             GROUP BY partner.id
            ON CONFLICT (partner_id, company_id) DO UPDATE SET
                total_overdue = EXCLUDED.total_overdue,
                oldest_overdue_days = EXCLUDED.oldest_overdue_days,
                avg_days_late = EXCLUDED.avg_days_late,
                late_base = EXCLUDED.late_base,
                paid_count = EXCLUDED.paid_count,
                paid_count_12m = EXCLUDED.paid_count_12m,
                on_time_count_12m = EXCLUDED.on_time_count_12m,
                paid_count_24m = EXCLUDED.paid_count_24m,
                paid_j5_count_24m = EXCLUDED.paid_j5_count_24m,
                first_invoice_date = EXCLUDED.first_invoice_date,
                refreshed_on = EXCLUDED.refreshed_on,
                write_uid = EXCLUDED.write_uid,
                write_date = EXCLUDED.write_date
            """,
            open_late=open_late,
            paid=paid,
            uid=self.env.uid,
            **p,
        )

    @api.model
    def _relance_events_sql(self, p):
        return SQL(
            """
            UPDATE relance_partner_stat stat SET
                   reminder_count_12m = COALESCE(ev.reminders, 0),
                   second_reminder_count_12m = COALESCE(ev.seconds, 0),
                   formal_notice_count_12m = COALESCE(ev.notices_12, 0),
                   formal_notice_count_24m = COALESCE(ev.notices_24, 0)
              FROM res_partner partner
              LEFT JOIN (
                SELECT e.partner_id,
                       COUNT(*) FILTER (WHERE e.date >= %(d12)s) AS reminders,
                       COUNT(*) FILTER (WHERE e.date >= %(d12)s AND e.kind = 'reminder'
                                         AND e.reminder_number = 2) AS seconds,
                       COUNT(*) FILTER (WHERE e.date >= %(d12)s
                                         AND e.kind = 'formal_notice') AS notices_12,
                       COUNT(*) FILTER (WHERE e.date >= %(d24)s
                                         AND e.kind = 'formal_notice') AS notices_24
                  FROM relance_event e
                 WHERE e.state = 'sent' AND e.company_id = %(company)s
                   AND e.partner_id = ANY(%(partners)s)
                 GROUP BY e.partner_id
              ) ev ON ev.partner_id = partner.id
             WHERE stat.partner_id = partner.id AND stat.company_id = %(company)s
               AND partner.id = ANY(%(partners)s)
            """,
            **p,
        )

    @api.model
    def _relance_rule_sql(self, p):
        """SPEC §3, thresholds from the company settings."""
        company = self.env["res.company"].browse(p["company"])
        return SQL(
            """
            UPDATE relance_partner_stat SET rule = CASE
                WHEN first_invoice_date IS NULL OR first_invoice_date > %(d_new)s
                     OR paid_count < %(new_paid)s THEN 'new'
                WHEN avg_days_late > %(risky_days)s OR formal_notice_count_12m > 0
                     OR second_reminder_count_12m >= %(risky_seconds)s THEN 'risky'
                WHEN paid_count_24m >= %(loyal_paid)s
                     AND paid_j5_count_24m * 100 >= %(loyal_share)s * paid_count_24m
                     AND formal_notice_count_24m = 0 THEN 'loyal'
                ELSE 'standard' END
             WHERE company_id = %(company)s AND partner_id = ANY(%(partners)s)
            """,
            new_paid=company.relance_new_paid_count,
            risky_days=company.relance_risky_days_late,
            risky_seconds=company.relance_risky_second_reminders,
            loyal_paid=company.relance_loyal_paid_count,
            loyal_share=company.relance_loyal_on_time_share,
            **p,
        )
