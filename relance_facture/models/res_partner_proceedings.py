# pylint: disable=consider-merging-classes-inherited
"""Collective proceedings of a customer (sauvegarde, redressement or
liquidation judiciaire): the judgment's dates, the creditors'
representative, and the declaration of claim to make in each company."""

from odoo import api, fields, models
from odoo.exceptions import UserError

from ..tools import proceedings
from .relance_access import check_relance_manager

# Fields whose change re-plans the customer's dunning and its declarations.
PROCEEDINGS_TRIGGERS = {
    "relance_proceedings_date",
    "relance_proceedings_publication_date",
}


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_proceedings_date = fields.Date(
        string="Opening Judgment",
        copy=False,
        tracking=True,
        help="Date of the judgment opening safeguard, receivership or liquidation "
        "proceedings. From it, the invoices born before are no longer reminded: "
        "they are declared to the creditors' representative (C. com. L622-7, "
        "L622-21, L622-24).",
        groups="base.group_user",
    )
    relance_proceedings_kind = fields.Selection(
        [
            ("sauvegarde", "Safeguard (sauvegarde)"),
            ("redressement", "Receivership (redressement judiciaire)"),
            ("liquidation", "Liquidation (liquidation judiciaire)"),
        ],
        string="Proceedings",
        copy=False,
        tracking=True,
        groups="base.group_user",
    )
    relance_proceedings_court = fields.Char(
        string="Court",
        copy=False,
        help="The court that opened the proceedings, e.g. Tribunal de commerce de "
        "Lyon.",
        groups="base.group_user",
    )
    relance_proceedings_publication_date = fields.Date(
        string="BODACC Publication",
        copy=False,
        tracking=True,
        help="Publication of the opening judgment in the BODACC: the time limit "
        "to declare the claims runs from it.",
        groups="base.group_user",
    )
    relance_proceedings_representative_id = fields.Many2one(
        "res.partner",
        string="Creditors' Representative",
        copy=False,
        help="Mandataire judiciaire (safeguard, receivership) or liquidator "
        "(liquidation), to whom the claims are declared.",
        groups="base.group_user",
    )
    relance_proceedings_security = fields.Char(
        string="Security of the Claims",
        copy=False,
        help="Nature and basis of any security or privilege of the claims "
        "(C. com. L622-25). Empty: the declaration states unsecured claims.",
        groups="base.group_user",
    )
    relance_proceedings_deadline = fields.Date(
        string="Declaration Deadline",
        compute="_compute_relance_proceedings_deadline",
        store=True,
        help="Two months from the BODACC publication (C. com. R622-24).",
        groups="base.group_user",
    )
    # The opening date the declaration activity of each company was made for:
    # the run makes it once, and again only for a new judgment.
    relance_declaration_opening_date = fields.Date(
        string="Declaration Scheduled for the Judgment of",
        company_dependent=True,
        copy=False,
        readonly=True,
        groups="base.group_user",
    )

    @api.depends("relance_proceedings_date")
    def _compute_relance_collective_proceedings(self):
        for partner in self:
            partner.relance_collective_proceedings = bool(
                partner.relance_proceedings_date
            )

    @api.depends("relance_proceedings_publication_date")
    def _compute_relance_proceedings_deadline(self):
        for partner in self:
            partner.relance_proceedings_deadline = proceedings.declaration_deadline(
                partner.relance_proceedings_publication_date
            )

    # ---- CRUD ----
    @api.model_create_multi
    def create(self, vals_list):
        # EXTENDS base: a customer created in proceedings gets its declarations
        partners = super().create(vals_list)
        opened = partners.filtered(lambda p: p.sudo().relance_proceedings_date)
        if opened:
            opened._relance_proceedings_changed()
        return partners

    def write(self, vals):
        # EXTENDS base: from the judgment on, no reminder for the earlier
        # invoices, and a declaration to make (not only at the next run)
        res = super().write(vals)
        if PROCEEDINGS_TRIGGERS & set(vals):
            self._relance_proceedings_changed()
        return res

    # ---- Actions ----
    def action_relance_declaration(self):
        """Print the declaration of claim of the current company."""
        self.ensure_one()
        check_relance_manager(self.env)
        partner = self.commercial_partner_id
        if not partner.relance_proceedings_date:
            raise UserError(
                self.env._(
                    "Enter the date of the opening judgment of %(customer)s first.",
                    customer=partner.name,
                )
            )
        if not partner._relance_declared_moves(self.env.company):
            raise UserError(
                self.env._(
                    "%(customer)s owes %(company)s nothing born before the opening "
                    "judgment of %(date)s: there is no claim to declare.",
                    customer=partner.name,
                    company=self.env.company.name,
                    date=fields.Date.to_string(partner.relance_proceedings_date),
                )
            )
        return self.env.ref(
            "relance_facture.action_report_declaration_creance"
        ).report_action(partner)

    # ---- Business methods ----
    def _relance_declared_moves(self, company):
        """Unpaid invoices of ``company`` born before the opening judgment:
        the claims of the declaration."""
        Move = self.env["account.move"]
        return Move.search(
            [
                ("commercial_partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", company.id),
                *Move._relance_open_domain(),
                ("relance_state", "=", "proceedings"),
            ],
            order="invoice_date, name, id",
        )

    def _relance_proceedings_changed(self):
        """Stop what was waiting to go out about the invoices now in
        proceedings, and plan (or move) the declaration activities."""
        partners = self.commercial_partner_id.sudo()
        self.env["relance.engine"].sudo()._relance_stop_for_proceedings(partners)
        partners._relance_schedule_declarations(reschedule=True)

    def _relance_schedule_declarations(self, reschedule=False):
        """One "declare the claims" activity per customer and company that
        has claims born before the judgment, due on the declaration deadline
        (today while the BODACC publication is unknown).

        An open activity follows the dates; a done one is not made again for
        the same judgment. ``reschedule`` (a change of the dates): the
        activities of customers no longer in proceedings are removed."""
        activity_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_declaration"
        )
        existing = self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", self.ids),
                ("activity_type_id", "=", activity_type.id),
            ]
        )
        by_key = {
            (activity.res_id, activity.relance_company_id.id): activity
            for activity in existing
        }
        Move = self.env["account.move"]
        rows = Move._read_group(
            [
                ("commercial_partner_id", "in", self.ids),
                *Move._relance_open_domain(),
                ("relance_state", "=", "proceedings"),
            ],
            ["commercial_partner_id", "company_id"],
        )
        today = fields.Date.context_today(self)
        admin = self.env.ref("base.user_admin")
        model_id = self.env["ir.model"]._get_id("res.partner")
        vals_list, wanted = [], set()
        for partner, company in rows:
            wanted.add((partner.id, company.id))
            opening = partner.relance_proceedings_date
            values = partner._relance_declaration_activity_values(today)
            activity = by_key.get((partner.id, company.id))
            if activity:
                # the note stays as written (its HTML is sanitised on save)
                changes = {
                    key: values[key]
                    for key in ("date_deadline", "summary")
                    if activity[key] != values[key]
                }
                if changes:
                    activity.write(changes)
            elif (
                partner.with_company(company).relance_declaration_opening_date
                != opening
            ):
                vals_list.append(
                    {
                        **values,
                        "res_model_id": model_id,
                        "res_id": partner.id,
                        "activity_type_id": activity_type.id,
                        "relance_company_id": company.id,
                        "user_id": partner._relance_responsible(company, admin).id,
                    }
                )
            in_company = partner.with_company(company)
            if in_company.relance_declaration_opening_date != opening:
                in_company.relance_declaration_opening_date = opening
        if vals_list:
            self.env["mail.activity"]._relance_create(vals_list)
        if reschedule:
            existing.filtered(
                lambda a: (a.res_id, a.relance_company_id.id) not in wanted
            ).unlink()

    def _relance_declaration_activity_values(self, today):
        self.ensure_one()
        deadline = self.relance_proceedings_deadline
        opening = fields.Date.to_string(self.relance_proceedings_date)
        if deadline:
            summary = self.env._(
                "Declare the claims by %(date)s",
                date=fields.Date.to_string(deadline),
            )
        else:
            summary = self.env._(
                "Declare the claims: enter the BODACC publication date"
            )
        return {
            "date_deadline": deadline or today,
            "summary": summary,
            "note": self.env._(
                "Collective proceedings opened on %(date)s: the invoices born "
                "before the judgment are no longer reminded. Declare them to the "
                "creditors' representative within two months of the BODACC "
                "publication (articles L622-24 and R622-24 of the French "
                "Commercial Code): print the Declaration of Claim from the "
                "Dunning tab of the customer.",
                date=opening,
            ),
        }
