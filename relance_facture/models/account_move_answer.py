# pylint: disable=consider-merging-classes-inherited
"""Customer answers on invoices: the answers given about them, and the pause
an answer sets while the person in charge looks into it."""

from odoo import fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_customer_answer_ids = fields.Many2many(
        "relance.answer",
        "relance_answer_move_rel",
        "move_id",
        "answer_id",
        string="Answers to Reminders",
        readonly=True,
        copy=False,
        groups="base.group_user",
    )

    def _relance_pause(self, until):
        """Dunning waits until ``until`` included (a longer pause already set
        stays), then takes up the next step only, not a catch-up."""
        for move in self:
            if move.relance_paused_until and move.relance_paused_until >= until:
                continue
            move.write({"relance_paused_until": until, "relance_resume_one_step": True})
