# pylint: disable=consider-merging-classes-inherited
"""The daily run's side duties: thank-you emails, unmatched payments,
statuses of invoices that became late, prescription warnings."""

from collections.abc import Mapping

from odoo import api, fields, models
from odoo.osv import expression

from ..tools import prescription


class _UnmatchedCredits(Mapping):
    """{(customer id, company id, currency id): reason} of
    ``_relance_unmatched_credits``, each reason written when it is read: the
    day's filters are read again for every batch, and only the preview shows
    the reasons (formatting the amounts of a thousand customers took most of
    the time)."""

    def __init__(self, env, totals):
        self._env = env
        self._totals = totals  # key: (currency, sum of the amounts)

    def __getitem__(self, key):
        currency, amount = self._totals[key]
        return self._env._(
            "Not reminded: %(amount)s received or credited and not yet matched "
            "with invoices.",
            amount=currency.format(-amount),
        )

    def __iter__(self):
        return iter(self._totals)

    def __len__(self):
        return len(self._totals)


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _relance_thank_payers(self):
        """A thank-you email for the reminded invoices paid since the last
        run, in companies that ask for it (once per invoice)."""
        moves = self.env["account.move"].search(
            [
                ("company_id.relance_thank_you", "=", True),
                ("move_type", "=", "out_invoice"),
                ("payment_state", "in", ("paid", "in_payment")),
                ("relance_thanked", "=", False),
                ("relance_event_ids.state", "=", "sent"),
            ]
        )
        if not moves:
            return
        template = self.env.ref("relance_facture.mail_template_relance_thank_you")
        template.with_context(mail_notify_force_send=False).send_mail_batch(
            moves.ids, email_layout_xmlid="mail.mail_notification_light"
        )
        moves.write({"relance_thanked": True})

    @api.model
    def _relance_unmatched_credits(self):
        """{(customer id, company id, currency id): reason} for the customers
        with an incoming payment or a credit note not yet matched (companies
        that check the bank): they may have paid already, so their invoices of
        that company and currency are not reminded; the other companies and
        currencies go on. Two grouped queries."""
        companies = self.env["res.company"].search([("relance_bank_check", "=", True)])
        if not companies:
            return {}
        rows = self.env["account.move.line"]._read_group(
            [
                ("company_id", "in", companies.ids),
                ("account_type", "=", "asset_receivable"),
                ("parent_state", "=", "posted"),
                ("reconciled", "=", False),
                ("amount_residual", "<", 0),
            ],
            ["partner_id", "company_id", "currency_id"],
            ["amount_residual_currency:sum"],
        )
        # Odoo 18 can also keep a payment without journal entry until the bank
        # statement comes: such a payment is not matched either.
        rows += [
            (partner, company, currency, -amount)
            for partner, company, currency, amount in self.env[
                "account.payment"
            ]._read_group(
                [
                    ("company_id", "in", companies.ids),
                    ("partner_type", "=", "customer"),
                    ("payment_type", "=", "inbound"),
                    ("state", "=", "in_process"),
                    ("move_id", "=", False),
                ],
                ["partner_id", "company_id", "currency_id"],
                ["amount:sum"],
            )
        ]
        # the customers' commercial partner only (not every column of them)
        partners = self.env["res.partner"].concat(*(row[0] for row in rows))
        partners.fetch(["commercial_partner_id"])
        totals = {}
        for partner, company, currency, amount in rows:
            if partner:
                key = (partner.commercial_partner_id.id, company.id, currency.id)
                _currency, total = totals.get(key, (currency, 0.0))
                totals[key] = (currency, total + amount)
        return _UnmatchedCredits(self.env, totals)

    @api.model
    def _relance_skip_domain(self, unmatched, partner_field):
        """Domain leaving out the records of the (customer, company, currency)
        of ``unmatched``; ``partner_field`` names the customer field."""
        if not unmatched:
            return []
        # one clause per (company, currency), a handful, each with its
        # customers: a clause per customer made every row of the query test
        # them all, a cost growing with the book's open credits
        partners = {}
        for partner_id, company_id, currency_id in unmatched:
            partners.setdefault((company_id, currency_id), []).append(partner_id)
        return [
            "!",
            *expression.OR(
                [
                    (partner_field, "in", sorted(partner_ids)),
                    ("company_id", "=", company_id),
                    ("currency_id", "=", currency_id),
                ]
                for (company_id, currency_id), partner_ids in sorted(partners.items())
            ),
        ]

    @api.model
    def _relance_refresh_states(self, today):
        """Invoices that became late since yesterday show it, even before
        their first reminder."""
        moves = self.env["account.move"].search(
            [
                *self.env["account.move"]._relance_open_domain(),
                ("relance_state", "in", ("not_due", "courtesy", "paused", "plan")),
                ("relance_due_date", "<", today),
            ]
        )
        self.env.add_to_compute(moves._fields["relance_state"], moves)

    @api.model
    def _relance_warn_prescriptions(self, today):
        """Three months before a claim expires, an activity for the person in
        charge of the customer (once per expiry date: a date moved by a
        payment or an acknowledgement of debt is warned again)."""
        moves = self.env["account.move"].search(
            [
                *self.env["account.move"]._relance_open_domain(),
                ("relance_prescription_warned", "=", False),
                (
                    "relance_prescription_date",
                    "<=",
                    prescription.warning_horizon(today),
                ),
            ]
        )
        if not moves:
            return
        activity_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_prescription"
        )
        # the warning of an earlier date is obsolete
        moves.activity_unlink(
            ["relance_facture.mail_activity_type_relance_prescription"]
        )
        model_id = self.env["ir.model"]._get_id("account.move")
        admin = self.env.ref("base.user_admin")
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": move.id,
                    "activity_type_id": activity_type.id,
                    "automated": True,
                    "relance_company_id": move.company_id.id,
                    "user_id": move.commercial_partner_id._relance_responsible(
                        move.company_id, admin
                    ).id,
                    "date_deadline": today,
                    "summary": self.env._(
                        "Claim expires on %(date)s",
                        date=fields.Date.to_string(move.relance_prescription_date),
                    ),
                    "note": self.env._(
                        "The claim of %(invoice)s is time-barred after %(date)s. "
                        "Only the customer's acknowledgement of the debt (C. civ. "
                        "2240), a court claim, including an injonction de payer "
                        "request (C. civ. 2241), or an enforcement or protective "
                        "measure (C. civ. 2244) interrupts prescription; a "
                        "reminder or a "
                        "formal notice does not. Record an acknowledgement in the "
                        "invoice's Dunning tab.",
                        invoice=move.name,
                        date=fields.Date.to_string(move.relance_prescription_date),
                    ),
                }
                for move in moves
            ]
        )
        for expiry, group in moves.grouped("relance_prescription_date").items():
            group.write({"relance_prescription_warned_date": expiry})
