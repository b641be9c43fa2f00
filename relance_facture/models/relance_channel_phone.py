from functools import partial

from markupsafe import Markup

from odoo import api, fields, models
from odoo.tools.misc import format_date

from ..tools.memo import memoized
from ..tools.money import money_formatter


class RelanceChannelPhone(models.AbstractModel):
    """Phone channel: a Call activity on the customer for the person in
    charge, with the call script and the invoices to talk about."""

    _name = "relance.channel.phone"
    _inherit = "relance.channel"
    _description = "Dunning Channel: Phone Call"

    @api.model
    def _relance_send(self, dispatches):
        # the planner leaves out the calls beyond the company's limit
        self._relance_schedule_calls(dispatches)
        dispatches.write({"state": "sent"})

    @api.model
    def _relance_call_counts(self, partners, company):
        """{customer id: calls made for ``company`` (its call activities
        done) in the last 30 days}, in one grouped query: another company's
        calls do not use up this one's limit."""
        if not partners:
            return {}
        activity_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        since = fields.Datetime.subtract(fields.Datetime.now(), days=30)
        return dict(
            self.env["mail.message"]._read_group(
                [
                    ("model", "=", "res.partner"),
                    ("res_id", "in", partners.ids),
                    ("mail_activity_type_id", "=", activity_type.id),
                    ("record_company_id", "=", company.id),
                    ("date", ">=", since),
                ],
                ["res_id"],
                ["__count"],
            )
        )

    @api.model
    def _relance_call_limit_reached(self, partners, company=None):
        """Customers already called as many times as ``company`` (default:
        the customer's, else the current one) allows in the last 30 days."""
        reached = partners.browse()
        for owner, group in partners.grouped(
            lambda p: company or p.company_id or self.env.company
        ).items():
            if not owner.relance_max_calls:
                continue
            counts = self._relance_call_counts(group, owner)
            reached |= group.filtered(
                lambda p, o=owner, c=counts: c.get(p.id, 0) >= o.relance_max_calls
            )
        return reached

    @api.model
    def _relance_schedule_calls(self, dispatches, reason=None):
        """One Call activity per customer and company, replacing the one a
        previous step of that company left open, so that re-runs never stack
        calls and one company's call never carries another's invoices. It is
        dated on the first day with call hours not yet over, and says which
        hours."""
        activity_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        by_customer = dispatches.grouped(lambda d: (d.partner_id, d.company_id))
        old = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", dispatches.partner_id.ids),
                ("activity_type_id", "=", activity_type.id),
                ("relance_company_id", "in", dispatches.company_id.ids),
            ]
        )
        old.filtered(
            lambda a: (a.env["res.partner"].browse(a.res_id), a.relance_company_id)
            in by_customer
        ).unlink()
        model_id = self.env["ir.model"]._get_id("res.partner")
        money = memoized(money_formatter(self.env))
        format_day = memoized(partial(format_date, self.env))
        call_days = {}
        vals_list = []
        for (partner, company), group in by_customer.items():
            if company not in call_days:
                call_days[company] = company._relance_call_day()
            day, slots = call_days[company]
            hours = company._relance_call_hours_text(slots)
            notes = Markup().join(
                d._relance_call_note(reason or d.note, money=money, day=format_day)
                for d in group
            )
            if hours:
                notes = (
                    Markup("<p>%s</p>") % self.env._("Call %(hours)s.", hours=hours)
                    + notes
                )
            summary = self.env._(
                "Call %(customer)s: %(step)s",
                customer=partner.name,
                step=group[0].level_id.name,
            )
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "relance_company_id": company.id,
                    "user_id": (group[0].user_id or self.env.ref("base.user_admin")).id,
                    "date_deadline": day,
                    "summary": f"{summary}, {hours}" if hours else summary,
                    "note": notes,
                }
            )
        return self.env["mail.activity"]._relance_create(vals_list)
