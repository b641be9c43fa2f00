# pylint: disable=consider-merging-classes-inherited
"""Pay-online links of customer invoices: the link reminders carry."""

from odoo import api, fields, models


class AccountMove(models.Model):
    _inherit = "account.move"

    relance_pay_url = fields.Char(
        compute="_compute_relance_pay_url",
        string="Pay Online Link",
        help="The link of reminders: Odoo's payment page of the invoice when a "
        "payment provider accepts its payment, else the invoice on the customer "
        "portal (with its access token).",
        groups="base.group_user",
    )
    relance_pay_online = fields.Boolean(
        compute="_compute_relance_pay_url",
        string="Payable Online",
        help="A payment provider accepts the payment of this invoice on the "
        "customer portal.",
        groups="base.group_user",
    )

    @api.depends(
        "access_token",
        "state",
        "payment_state",
        "amount_residual",
        "partner_id",
        "currency_id",
        "company_id",
    )
    def _compute_relance_pay_url(self):
        invoices = self.filtered(lambda m: isinstance(m.id, int))
        # get_portal_url() would write the missing tokens invoice by invoice
        self.env["relance.channel.email"]._relance_ensure_access_tokens(invoices)
        payable = invoices._relance_payable_online()
        for move in self:
            if move not in invoices:
                move.relance_pay_url = False
                move.relance_pay_online = False
                continue
            move.relance_pay_online = move in payable
            # The link of Odoo's "Pay Now" button of the portal: the invoice
            # page with the payment form open. The payment.link.wizard link
            # cannot be made outside an HTTP request (its token signs with
            # request.env) and it fixes the amount, which a partial payment
            # made after a letter was printed would make wrong.
            url = (
                move.get_portal_url(anchor="portal_pay", query_string="&payment=True")
                if move.relance_pay_online
                else move.get_portal_url()
            )
            move.relance_pay_url = move.get_base_url() + url

    def _relance_payable_online(self):
        """The invoices whose portal page takes an online payment, by the
        rules of Odoo's portal: the invoice is to be paid (``_has_to_be_paid``:
        posted, open, portal payment enabled, no pending transaction) and a
        published provider of its company, in test or enabled mode, accepts
        its customer, amount and currency with at least one payment method.

        Providers depend on the customer through its country only, and a
        provider that takes an amount takes any smaller one: they are asked
        once per company, country and currency, not per invoice."""
        Provider = self.env["payment.provider"].sudo()
        if not self or not Provider.search_count(
            [
                ("company_id", "in", self.company_id.ids),
                ("state", "in", ("enabled", "test")),
                ("is_published", "=", True),
            ],
            limit=1,
        ):
            return self.browse()
        Method = self.env["payment.method"].sudo()
        answers = {}

        def can_pay(move, amount):
            key = (move.company_id, move.partner_id.country_id, move.currency_id)
            if (*key, amount) not in answers:
                # The customer opens the link logged out: only published
                # providers are offered (Odoo filters them for portal users).
                providers = Provider._get_compatible_providers(
                    move.company_id.id,
                    move.partner_id.id,
                    amount,
                    currency_id=move.currency_id.id,
                ).filtered("is_published")
                answers[(*key, amount)] = bool(
                    providers
                    and Method._get_compatible_payment_methods(
                        providers.ids,
                        move.partner_id.id,
                        currency_id=move.currency_id.id,
                    )
                )
            return answers[(*key, amount)]

        to_pay = self.sudo().filtered(lambda m: m._has_to_be_paid())
        payable = self.browse()
        for group in to_pay.grouped(
            lambda m: (m.company_id, m.partner_id.country_id, m.currency_id)
        ).values():
            amounts = group.mapped("amount_total")
            if can_pay(group[0], max(amounts)):
                payable |= group
            elif can_pay(group[0], min(amounts)):
                # a provider's maximum amount lies between the two
                payable |= group.filtered(lambda m: can_pay(m, m.amount_total))
        return payable.with_env(self.env)
