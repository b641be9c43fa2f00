from odoo import api, fields, models

from ..models.relance_engine import CALL_FIRST_KINDS
from ..models.relance_event import CHANNELS


class RelancePreview(models.TransientModel):
    """What the next run would send, computed by the engine's planning
    without writing or sending anything."""

    _name = "relance.preview"
    _description = "Dunning Run Preview"

    date = fields.Date(default=fields.Date.context_today, readonly=True)
    warning = fields.Text(readonly=True)
    line_ids = fields.One2many("relance.preview.line", "preview_id", readonly=True)
    line_count = fields.Integer(compute="_compute_line_count")

    @api.depends("line_ids")
    def _compute_line_count(self):
        for preview in self:
            preview.line_count = len(preview.line_ids)

    @api.model
    def _relance_preview_vals(self, moves, today):
        """One line per customer, company, currency and channel, as the
        engine would group them."""
        engine = self.env["relance.engine"]
        plans = moves._relance_plan(today)
        due = {m: p.due_step for m, p in plans.items() if p.due_step}
        levels = self.env["relance.level"].browse({s.key for s in due.values()})
        level_by_id = {lvl.id: lvl for lvl in levels}
        recipients = engine._relance_recipients(
            self.env["account.move"].concat(*due).commercial_partner_id
        )
        handlers = engine._relance_channel_handlers()
        silent = engine._relance_silent_customers(
            self.env["account.move"].concat(*due).commercial_partner_id
        )
        groups = {}
        for move, step in due.items():
            level = level_by_id[step.key]
            # the customer's preferred channel applies, as in the run
            channels = [
                c
                for c in engine._relance_step_channels(
                    level, move.commercial_partner_id, silent
                )
                if c in handlers
            ]
            if not step.auto_send:
                channels = ["validation"]
            partner = move.commercial_partner_id
            for channel in channels:
                key = (partner, move.company_id, move.currency_id, channel)
                groups.setdefault(key, []).append((move, level))
        vals_list = []
        for (partner, company, currency, channel), items in groups.items():
            moves_of_line = self.env["account.move"].concat(*(m for m, _lvl in items))
            recipient = recipients[partner]
            vals_list.append(
                {
                    "partner_id": partner.id,
                    "recipient_id": recipient.id,
                    "company_id": company.id,
                    "currency_id": currency.id,
                    "channel": channel,
                    "level_names": ", ".join(sorted({lvl.name for _m, lvl in items})),
                    "move_ids": [fields.Command.set(moves_of_line.ids)],
                    "amount_residual": sum(moves_of_line.mapped("amount_residual")),
                    "warning": self._relance_line_warning(
                        channel, recipient, [lvl for _m, lvl in items]
                    ),
                }
            )
        return vals_list

    @api.model
    def _relance_line_warning(self, channel, recipient, levels=()):
        if channel == "email" and not recipient.email:
            return self.env._(
                "No email address: a call activity will be created instead."
            )
        if (
            channel == "email"
            and recipient.commercial_partner_id.relance_preferred_channel == "phone"
            and all(lvl.kind in CALL_FIRST_KINDS for lvl in levels)
        ):
            return self.env._(
                "Prefers the phone: the email waits two call days and goes only "
                "if the call is not logged."
            )
        return False

    @api.model
    def action_open_preview(self, moves=None):
        today = fields.Date.context_today(self)
        engine = self.env["relance.engine"]
        if moves is None:
            moves = self.env["account.move"].search(engine._relance_due_domain(today))
        unmatched = engine._relance_unmatched_credits()
        skipped = moves.filtered(lambda m: m.commercial_partner_id.id in unmatched)
        warnings = [
            w for w in (c._relance_bank_warning(today) for c in moves.company_id) if w
        ]
        warnings += [
            f"{partner.name}: {unmatched[partner.id]}"
            for partner in skipped.commercial_partner_id
        ]
        closed = moves.company_id.filtered(
            lambda c: not c._relance_is_sending_day(today)
        )
        warnings += [
            self.env._(
                "%(company)s: no reminder goes out today (closed day).", company=c.name
            )
            for c in closed
        ]
        moves -= skipped
        preview = self.create(
            {
                "date": today,
                "warning": "\n".join(warnings) or False,
                "line_ids": [
                    fields.Command.create(vals)
                    for vals in self._relance_preview_vals(moves, today)
                ],
            }
        )
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of the Next Dunning Run"),
            "res_model": self._name,
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }


PREVIEW_CHANNELS = CHANNELS + [("validation", "Waits for validation")]
