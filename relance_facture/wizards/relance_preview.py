from odoo import api, fields, models

from ..models.relance_access import check_relance_user
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
        """The day's plan of ``moves``, as the run writes it: the planner
        runs in a savepoint that is rolled back, and each planned dispatch
        (and each step waiting for validation) becomes a line."""
        savepoint = self.env.cr.savepoint()
        try:
            # the planner writes the history (users only read it), rolled back
            events, dispatches = (
                self.env["relance.planner"]
                .sudo()
                ._relance_plan_moves(moves.sudo(), today)
            )
            vals_list = [self._relance_dispatch_line_vals(d) for d in dispatches]
            waiting = events.filtered(lambda e: not e.level_id.auto_send)
            for (partner, company, currency), group in waiting.grouped(
                lambda e: (e.partner_id, e.company_id, e.currency_id)
            ).items():
                vals_list.append(
                    {
                        "partner_id": partner.id,
                        "company_id": company.id,
                        "currency_id": currency.id,
                        "channel": "validation",
                        "level_names": ", ".join(
                            sorted(set(group.level_id.mapped("name")))
                        ),
                        "move_ids": [fields.Command.set(group.move_id.ids)],
                        "amount_residual": sum(group.mapped("amount_residual")),
                        "warning": "\n".join(filter(None, group.mapped("note")))
                        or False,
                    }
                )
        finally:
            # nothing of the plan stays: the run writes it anew
            savepoint.close(rollback=True)
        return vals_list

    @api.model
    def _relance_dispatch_line_vals(self, dispatch):
        notes = [dispatch.note, *dispatch.event_ids.mapped("note")]
        return {
            "partner_id": dispatch.partner_id.id,
            "recipient_id": dispatch.recipient_id.id,
            "company_id": dispatch.company_id.id,
            "currency_id": dispatch.currency_id.id,
            "channel": dispatch.channel,
            "state": dispatch.state,
            "date": dispatch.date,
            "level_names": ", ".join(
                sorted(set(dispatch.event_ids.level_id.mapped("name")))
            ),
            "move_ids": [fields.Command.set(dispatch.event_ids.move_id.ids)],
            "amount_residual": sum(dispatch.event_ids.mapped("amount_residual")),
            "warning": "\n".join(dict.fromkeys(n for n in notes if n)) or False,
        }

    @api.model
    def action_open_preview(self, moves=None):
        check_relance_user(self.env)
        today = fields.Date.context_today(self)
        engine = self.env["relance.engine"]
        closed, unmatched = engine._relance_day_filters(today)
        if moves is None:
            moves = self.env["account.move"].search(engine._relance_due_domain(today))

        def unmatched_key(move):
            return (
                move.commercial_partner_id.id,
                move.company_id.id,
                move.currency_id.id,
            )

        skipped = moves.filtered(lambda m: unmatched_key(m) in unmatched)
        warnings = [
            w for w in (c._relance_bank_warning(today) for c in moves.company_id) if w
        ]
        warnings += [
            f"{move.commercial_partner_id.name}: {unmatched[key]}"
            for key, move in {unmatched_key(m): m for m in skipped}.items()
        ]
        closed = closed & moves.company_id
        warnings += [
            self.env._(
                "%(company)s: no reminder goes out today (closed day).", company=c.name
            )
            for c in closed
        ]
        moves = moves - skipped - moves.filtered(lambda m: m.company_id in closed)
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
