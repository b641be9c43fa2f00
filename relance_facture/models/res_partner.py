from odoo import api, fields, models


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_profile_mode = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")],
        string="Dunning Profile Mode",
        default="auto",
        required=True,
        help="Automatic: the profile follows the company default (and later the "
        "customer's payment history). Manual: the profile chosen here is kept.",
    )
    relance_profile_manual_id = fields.Many2one(
        "relance.profile", string="Chosen Dunning Profile", company_dependent=True
    )
    relance_profile_auto_id = fields.Many2one(
        "relance.profile",
        string="Automatic Dunning Profile",
        company_dependent=True,
        help="Set by the automatic rules; empty means the company default.",
    )
    relance_profile_id = fields.Many2one(
        "relance.profile",
        string="Dunning Profile",
        compute="_compute_relance_profile_id",
        inverse="_inverse_relance_profile_id",
        search="_search_relance_profile_id",
        help="The profile in force for this customer in the current company.",
    )
    relance_excluded = fields.Boolean(
        string="Exclude from Dunning", help="No reminder is ever sent to this customer."
    )
    relance_user_id = fields.Many2one(
        "res.users",
        string="Dunning Person in Charge",
        help="Receives the call and validation activities for this customer; "
        "empty uses the company default.",
    )
    relance_contact_id = fields.Many2one(
        "res.partner",
        string="Reminders Sent To",
        help="Contact who receives the reminders; empty uses the invoice address.",
    )
    relance_is_consumer = fields.Boolean(
        string="Consumer",
        compute="_compute_relance_is_consumer",
        store=True,
        readonly=False,
        help="A private person (B2C) rather than a professional (B2B).",
    )
    relance_collective_proceedings = fields.Boolean(
        string="In Collective Proceedings",
        help="Safeguard, receivership or liquidation: no recovery indemnity "
        "is claimed (D441-5).",
    )
    relance_penalty_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(5, 2),
        help="Rate agreed with this customer; empty uses the company's.",
    )
    relance_penalty_total = fields.Monetary(
        string="Penalties and Indemnities to Date",
        compute="_compute_relance_penalty_total",
        currency_field="relance_currency_id",
    )
    relance_currency_id = fields.Many2one(
        "res.currency", compute="_compute_relance_penalty_total"
    )
    relance_event_ids = fields.One2many(
        "relance.event", "partner_id", string="Dunning History"
    )
    relance_event_count = fields.Integer(compute="_compute_relance_event_count")

    @api.depends(
        "relance_profile_mode", "relance_profile_manual_id", "relance_profile_auto_id"
    )
    @api.depends_context("company")
    def _compute_relance_profile_id(self):
        default = self.env.company._relance_default_profile()
        for partner in self:
            commercial = partner.commercial_partner_id
            if commercial.relance_profile_mode == "manual":
                partner.relance_profile_id = (
                    commercial.relance_profile_manual_id or default
                )
            else:
                partner.relance_profile_id = (
                    commercial.relance_profile_auto_id or default
                )

    def _inverse_relance_profile_id(self):
        for partner in self:
            partner.relance_profile_manual_id = partner.relance_profile_id
            partner.relance_profile_mode = "manual"

    def _search_relance_profile_id(self, operator, value):
        # Sets of ids the effective profile can be, resolved in Python: profiles
        # are few, so this stays two searches whatever the number of partners.
        profiles = self.env["relance.profile"].search([("id", operator, value)])
        default = self.env.company._relance_default_profile()
        domain = [
            "|",
            "&",
            ("relance_profile_mode", "=", "manual"),
            ("relance_profile_manual_id", "in", profiles.ids),
            "&",
            ("relance_profile_mode", "=", "auto"),
            ("relance_profile_auto_id", "in", profiles.ids),
        ]
        if default in profiles:
            domain = [
                "|",
                *domain,
                "|",
                "&",
                ("relance_profile_mode", "=", "manual"),
                ("relance_profile_manual_id", "=", False),
                "&",
                ("relance_profile_mode", "=", "auto"),
                ("relance_profile_auto_id", "=", False),
            ]
        return domain

    @api.depends("is_company", "parent_id.is_company")
    def _compute_relance_is_consumer(self):
        for partner in self:
            partner.relance_is_consumer = not (
                partner.is_company or partner.parent_id.is_company
            )

    @api.depends_context("company")
    def _compute_relance_penalty_total(self):
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
            ]
        )
        details = moves._relance_penalty_details()
        by_partner = moves.grouped("commercial_partner_id")
        for partner in self:
            partner_moves = by_partner.get(
                partner.commercial_partner_id, moves.browse()
            )
            partner.relance_currency_id = self.env.company.currency_id
            partner.relance_penalty_total = sum(
                details[m]["penalty"] + details[m]["indemnity"]
                for m in partner_moves
                if m.currency_id == self.env.company.currency_id
            )

    def _compute_relance_event_count(self):
        rows = self.env["relance.event"]._read_group(
            [("partner_id", "in", self.commercial_partner_id.ids)],
            ["partner_id"],
            ["__count"],
        )
        counts = dict(rows)
        for partner in self:
            partner.relance_event_count = counts.get(partner.commercial_partner_id, 0)

    def _relance_recipient(self):
        """The contact who receives reminders: the chosen one, else the
        invoice address, else the customer itself."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        if commercial.relance_contact_id:
            return commercial.relance_contact_id
        invoice_address = commercial.address_get(["invoice"])["invoice"]
        return self.browse(invoice_address) or commercial

    def _relance_responsible(self, company, fallback=None):
        """User in charge of this customer's dunning in ``company``: its own,
        the company default, its salesperson, else ``fallback`` (the admin)."""
        self.ensure_one()
        return (
            self.commercial_partner_id.relance_user_id
            or company.relance_default_user_id
            or self.user_id
            or fallback
            or self.env.ref("base.user_admin")
        )

    def action_relance_send_now(self):
        """Send now the next dunning step of every open invoice of these customers."""
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "in", self.env.companies.ids),
                *self.env["account.move"]._relance_open_domain(),
            ]
        )
        return moves.action_relance_send_now()

    def action_relance_create_penalty_invoice(self):
        """Invoice the penalties and indemnities of this customer's late
        invoices that have not been invoiced for penalties yet."""
        moves = self.env["account.move"].search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial")),
                ("invoice_date_due", "<", fields.Date.context_today(self)),
                ("relance_penalty_invoice_id", "=", False),
            ]
        )
        return moves._relance_create_penalty_invoices()

    def action_relance_open_history(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "relance_facture.relance_event_action"
        )
        action["domain"] = [("partner_id", "=", self.commercial_partner_id.id)]
        action["context"] = {}
        return action
