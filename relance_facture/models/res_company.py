from odoo import fields, models


class ResCompany(models.Model):
    _inherit = "res.company"

    relance_min_gap_days = fields.Integer(
        string="Minimum Days Between Two Reminders",
        default=5,
        help="Two messages to a customer about the same invoice are never closer "
        "than this; a step that comes too soon waits.",
    )
    relance_default_profile_id = fields.Many2one(
        "relance.profile",
        string="Default Dunning Profile",
        help="Profile of the customers in automatic mode.",
    )
    relance_default_user_id = fields.Many2one(
        "res.users",
        string="Default Person in Charge",
        help="Receives the call and validation activities of customers who have "
        "no person in charge of their own.",
    )
    relance_small_amount = fields.Float(
        string="Small Amount Threshold",
        default=150.0,
        help="Below this balance, an invoice gets a single reminder after its due "
        "date, then its formal notice waits for validation.",
    )
    relance_attach_invoice = fields.Boolean(
        string="Attach Invoice PDFs",
        help="Attach the invoice PDFs to reminder emails (the stored PDF when "
        "there is one). The portal link is always in the email.",
    )
    relance_promise_grace_days = fields.Integer(
        string="Grace After a Promise to Pay", default=3
    )

    def _relance_default_profile(self):
        """Profile in force for customers in automatic mode."""
        self.ensure_one()
        return self.relance_default_profile_id or self.env.ref(
            "relance_facture.profile_standard", raise_if_not_found=False
        )
