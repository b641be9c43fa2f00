from markupsafe import Markup

from odoo import api, fields, models


class RelanceChannelValidation(models.AbstractModel):
    """Steps that wait for an accountant (formal notice, escalation): an
    activity asks for validation; validated escalations become an activity
    proposing the next move (agency, lawyer, injonction de payer)."""

    _name = "relance.channel.validation"
    _inherit = "relance.channel"
    _description = "Dunning Channel: Validation and Escalation"

    @api.model
    def _relance_request(self, events):
        """One validation activity per customer and company, listing that
        company's steps waiting for validation; it replaces the one the same
        company left open, never another company's."""
        activity_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_validate"
        )
        partners, companies = events.partner_id, events.company_id
        keys = set(events.grouped(lambda e: (e.partner_id, e.company_id)))
        self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", activity_type.id),
                ("relance_company_id", "in", companies.ids),
            ]
        ).filtered(
            lambda a: (a.env["res.partner"].browse(a.res_id), a.relance_company_id)
            in keys
        ).unlink()
        pending = self.env["relance.event"].search(
            [
                ("partner_id", "in", partners.ids),
                ("company_id", "in", companies.ids),
                ("state", "=", "draft"),
            ]
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list = []
        for (partner, company), group in pending.grouped(
            lambda e: (e.partner_id, e.company_id)
        ).items():
            if (partner, company) not in keys:
                continue
            lines = Markup().join(
                Markup("<li>%s: %s</li>") % (event.move_id.name, event.level_id.name)
                for event in group
            )
            vals_list.append(
                {
                    "res_model_id": model_id,
                    "res_id": partner.id,
                    "activity_type_id": activity_type.id,
                    "relance_company_id": company.id,
                    "user_id": (group[0].user_id or self.env.ref("base.user_admin")).id,
                    "date_deadline": fields.Date.context_today(self),
                    "summary": self.env._("Dunning step to validate"),
                    "note": Markup("<p>%s</p><ul>%s</ul>")
                    % (
                        self.env._("Validate or cancel in Dunning › To Validate:"),
                        lines,
                    ),
                }
            )
        return self.env["mail.activity"]._relance_create(vals_list)

    @api.model
    def _relance_send(self, dispatches):
        """Validated escalation: propose the next move to the person in charge."""
        activity_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_escalation"
        )
        model_id = self.env["ir.model"]._get_id("res.partner")
        self.env["mail.activity"]._relance_create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": dispatch.partner_id.id,
                    "activity_type_id": activity_type.id,
                    "relance_company_id": dispatch.company_id.id,
                    "user_id": (dispatch.user_id or self.env.ref("base.user_admin")).id,
                    "date_deadline": dispatch.date,
                    "summary": self.env._("Escalate the unpaid invoices"),
                    "note": Markup("<p>%s</p><p>%s</p>")
                    % (
                        self.env._(
                            "Amicable dunning is over for %(invoices)s (%(amount)s).",
                            invoices=", ".join(dispatch.move_ids.mapped("name")),
                            amount=dispatch.currency_id.format(
                                dispatch.amount_residual
                            ),
                        ),
                        self._relance_escalation_routes(dispatch.partner_id),
                    ),
                }
                for dispatch in dispatches
            ]
        )
        dispatches.write({"state": "sent"})

    @api.model
    def _relance_escalation_routes(self, customer):
        """Which court hears an injonction de payer: the commercial court
        between traders (C. com. L721-3), the tribunal judiciaire otherwise
        (consumers, non-traders)."""
        if customer.relance_is_consumer:
            return self.env._(
                "Choose: collection agency, lawyer, or injonction de payer at the "
                "tribunal judiciaire (the customer is a consumer)."
            )
        return self.env._(
            "Choose: collection agency, lawyer, or injonction de payer at the "
            "commercial court if the customer is a trader or a commercial company, "
            "otherwise at the tribunal judiciaire."
        )
