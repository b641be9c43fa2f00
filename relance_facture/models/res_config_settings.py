from datetime import datetime, time

import pytz

from odoo import api, fields, models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relance_min_gap_days = fields.Integer(
        related="company_id.relance_min_gap_days", readonly=False
    )
    relance_default_profile_id = fields.Many2one(
        related="company_id.relance_default_profile_id", readonly=False
    )
    relance_default_user_id = fields.Many2one(
        related="company_id.relance_default_user_id", readonly=False
    )
    relance_small_amount = fields.Float(
        related="company_id.relance_small_amount", readonly=False
    )
    relance_attach_invoice = fields.Boolean(
        related="company_id.relance_attach_invoice", readonly=False
    )
    relance_promise_grace_days = fields.Integer(
        related="company_id.relance_promise_grace_days", readonly=False
    )
    relance_promise_max_days = fields.Integer(
        related="company_id.relance_promise_max_days", readonly=False
    )
    relance_paid_claim_days = fields.Integer(
        related="company_id.relance_paid_claim_days", readonly=False
    )
    relance_reply_pause_days = fields.Integer(
        related="company_id.relance_reply_pause_days", readonly=False
    )
    relance_answer_daily_limit = fields.Integer(
        related="company_id.relance_answer_daily_limit", readonly=False
    )
    relance_fr_rules = fields.Boolean(
        related="company_id.relance_fr_rules", readonly=False
    )
    relance_penalty_rate = fields.Float(
        related="company_id.relance_penalty_rate", readonly=False
    )
    relance_penalty_basis = fields.Integer(
        related="company_id.relance_penalty_basis", readonly=False
    )
    relance_invoice_mentions = fields.Boolean(
        related="company_id.relance_invoice_mentions", readonly=False
    )
    relance_discount_terms = fields.Char(
        related="company_id.relance_discount_terms", readonly=False
    )
    relance_payment_term_cap = fields.Selection(
        related="company_id.relance_payment_term_cap", readonly=False
    )
    relance_notice_deadline_days = fields.Integer(
        related="company_id.relance_notice_deadline_days", readonly=False
    )
    relance_notice_delivery_days = fields.Integer(
        related="company_id.relance_notice_delivery_days", readonly=False
    )
    relance_signatory_id = fields.Many2one(
        related="company_id.relance_signatory_id", readonly=False
    )
    relance_legal_form = fields.Char(
        related="company_id.relance_legal_form", readonly=False
    )
    relance_share_capital = fields.Monetary(
        related="company_id.relance_share_capital",
        readonly=False,
        currency_field="currency_id",
    )
    relance_rcs_city = fields.Char(
        related="company_id.relance_rcs_city", readonly=False
    )
    relance_penalty_product_id = fields.Many2one(
        related="company_id.relance_penalty_product_id", readonly=False
    )
    relance_penalty_rate_warning = fields.Char(
        compute="_compute_relance_penalty_rate_warning"
    )
    relance_rate_missing_warning = fields.Char(
        compute="_compute_relance_rate_missing_warning"
    )
    relance_new_months = fields.Integer(
        related="company_id.relance_new_months", readonly=False
    )
    relance_new_paid_count = fields.Integer(
        related="company_id.relance_new_paid_count", readonly=False
    )
    relance_risky_days_late = fields.Integer(
        related="company_id.relance_risky_days_late", readonly=False
    )
    relance_risky_second_reminders = fields.Integer(
        related="company_id.relance_risky_second_reminders", readonly=False
    )
    relance_loyal_paid_count = fields.Integer(
        related="company_id.relance_loyal_paid_count", readonly=False
    )
    relance_loyal_on_time_share = fields.Integer(
        related="company_id.relance_loyal_on_time_share", readonly=False
    )
    relance_loyal_grace_days = fields.Integer(
        related="company_id.relance_loyal_grace_days", readonly=False
    )
    relance_business_days = fields.Boolean(
        related="company_id.relance_business_days", readonly=False
    )
    relance_closed_days = fields.Char(
        related="company_id.relance_closed_days", readonly=False
    )
    relance_bank_check = fields.Boolean(
        related="company_id.relance_bank_check", readonly=False
    )
    relance_bank_stale_days = fields.Integer(
        related="company_id.relance_bank_stale_days", readonly=False
    )
    relance_bank_warning = fields.Char(compute="_compute_relance_bank_warning")
    relance_silence_days = fields.Integer(
        related="company_id.relance_silence_days", readonly=False
    )
    relance_thank_you = fields.Boolean(
        related="company_id.relance_thank_you", readonly=False
    )
    relance_max_attempts = fields.Integer(
        related="company_id.relance_max_attempts", readonly=False
    )
    relance_max_calls = fields.Integer(
        related="company_id.relance_max_calls", readonly=False
    )
    relance_call_calendar_id = fields.Many2one(
        related="company_id.relance_call_calendar_id", readonly=False
    )
    relance_run_hour = fields.Float(
        string="Hour of the Daily Run",
        compute="_compute_relance_run_hour",
        inverse="_inverse_relance_run_hour",
        help="Local time at which the daily dunning run starts.",
    )

    @api.depends("relance_penalty_rate")
    def _compute_relance_penalty_rate_warning(self):
        for settings in self:
            settings.relance_penalty_rate_warning = (
                settings.company_id._relance_rate_floor_warning(
                    settings.relance_penalty_rate, fields.Date.context_today(settings)
                )
            )

    def _compute_relance_rate_missing_warning(self):
        # penalties may be claimed for five years (L110-4 C. com.)
        today = fields.Date.context_today(self)
        missing = self.env["relance.rate"]._relance_missing_semesters(
            today.replace(year=today.year - 5), today
        )
        warning = missing and self.env._(
            "No published rate for %(semesters)s: penalties of those semesters are "
            "not computed until you add them (Late-Payment Rates).",
            semesters=", ".join(missing),
        )
        for settings in self:
            settings.relance_rate_missing_warning = warning or False

    @api.depends("relance_bank_check", "relance_bank_stale_days")
    def _compute_relance_bank_warning(self):
        for settings in self:
            settings.relance_bank_warning = settings.company_id._relance_bank_warning(
                fields.Date.context_today(settings)
            )

    def _relance_cron(self):
        return self.env.ref(
            "relance_facture.ir_cron_relance_daily", raise_if_not_found=False
        )

    def _relance_tz(self):
        return pytz.timezone(self.env.user.tz or "UTC")

    @api.depends("company_id")
    def _compute_relance_run_hour(self):
        cron = self._relance_cron()
        for settings in self:
            if not cron:
                settings.relance_run_hour = 0.0
                continue
            local = pytz.utc.localize(cron.sudo().nextcall).astimezone(
                self._relance_tz()
            )
            settings.relance_run_hour = local.hour + local.minute / 60

    def _inverse_relance_run_hour(self):
        cron = self._relance_cron()
        if not cron:
            return
        for settings in self:
            hours = int(settings.relance_run_hour) % 24
            minutes = round((settings.relance_run_hour % 1) * 60) % 60
            tz = self._relance_tz()
            nextcall_local = pytz.utc.localize(cron.sudo().nextcall).astimezone(tz)
            wanted = tz.localize(
                datetime.combine(nextcall_local.date(), time(hours, minutes))
            )
            cron.sudo().nextcall = wanted.astimezone(pytz.utc).replace(tzinfo=None)
