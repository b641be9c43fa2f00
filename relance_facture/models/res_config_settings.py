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
    relance_run_hour = fields.Float(
        string="Hour of the Daily Run",
        compute="_compute_relance_run_hour",
        inverse="_inverse_relance_run_hour",
        help="Local time at which the daily dunning run starts.",
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
