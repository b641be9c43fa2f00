# pylint: disable=consider-merging-classes-inherited
"""The daily run and collective proceedings: what waited to go out about a
claim frozen by an opening judgment is cancelled, and the declaration of
claim takes the place of the formal notice and the escalation."""

from odoo import api, fields, models


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _cron_run_daily(self, batch_size=200):
        # EXTENDS relance_facture: judgments entered since the last run, or
        # invoices born before them posted since, before the day's plan
        partners = (
            self.env["res.partner"]
            .sudo()
            .search([("relance_proceedings_date", "!=", False)])
        )
        if partners:
            self.sudo()._relance_stop_for_proceedings(partners)
            partners._relance_schedule_declarations()
        return super()._cron_run_daily(batch_size=batch_size)

    @api.model
    def _relance_due_domain(self, today, closed=None, skip_partners=None):
        # EXTENDS relance_facture: a claim born before the opening judgment
        # is never loaded by the run (C. com. L622-21)
        return [
            *super()._relance_due_domain(today, closed, skip_partners),
            ("relance_state", "!=", "proceedings"),
        ]

    @api.model
    def _relance_stop_for_proceedings(self, partners):
        """Steps waiting for validation (formal notices, escalations) and
        messages waiting to go out or to be tried again about the invoices
        of ``partners`` born before their opening judgment are cancelled,
        with the reason: individual actions are suspended (L622-21)."""
        if not partners:
            return
        partners = partners.sudo()
        domain = [
            ("partner_id", "in", partners.ids),
            ("move_id.relance_state", "=", "proceedings"),
        ]
        reason = self.env._(
            "Cancelled: the customer is in collective proceedings and the "
            "invoice was born before the opening judgment (article L622-21 of "
            "the French Commercial Code)."
        )
        drafts = self.env["relance.event"].search([*domain, ("state", "=", "draft")])
        if drafts:
            self._relance_cancel_events(drafts, reason)
        frozen = self.env["relance.event"].search(domain)
        waiting = self.env["relance.dispatch"].search(
            [
                ("event_ids", "in", frozen.ids),
                ("state", "in", ("held", "failed", "planned")),
            ]
        )
        for dispatch in waiting:
            kept = dispatch.event_ids - frozen
            if kept:
                # the message goes on for the invoices born after the judgment
                dispatch.event_ids = [
                    fields.Command.unlink(event.id)
                    for event in dispatch.event_ids & frozen
                ]
            else:
                dispatch.write(
                    {
                        "state": "cancelled",
                        "note": "\n".join(filter(None, [dispatch.note, reason])),
                    }
                )
