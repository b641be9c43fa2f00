# pylint: disable=consider-merging-classes-inherited
"""Customer invoices of a customer in collective proceedings: which claims
the opening judgment freezes, and "Send now" refused for them."""

from odoo import models
from odoo.exceptions import UserError

from ..tools import proceedings
from .relance_access import check_relance_user


class AccountMove(models.Model):
    _inherit = "account.move"

    def _relance_claim_birth_date(self):
        """The day the claim of this invoice was born.

        A claim is born of the delivery of the goods or the performance of
        the service it pays for, not of its invoice nor of its due date.
        Odoo knows the delivery date when it is filled in (the French
        localisation does), else the invoice date, which French invoicing
        rules put at the delivery or the performance at the latest (CGI
        art. 289): an invoice issued after the judgment for earlier work
        needs its delivery date to be declared."""
        self.ensure_one()
        return self.delivery_date or self.invoice_date

    def _relance_in_proceedings(self):
        """A customer invoice born before the opening judgment of its
        customer's collective proceedings: it may not be paid (C. com.
        L622-7) nor claimed (L622-21), it is declared (L622-24). Invoices
        born on or after the judgment are paid at their due date and
        reminded as usual (L622-17)."""
        self.ensure_one()
        return self.move_type == "out_invoice" and proceedings.born_before(
            self._relance_claim_birth_date(),
            self.commercial_partner_id.relance_proceedings_date,
        )

    def action_relance_send_now(self):
        # EXTENDS relance_facture: no reminder about a frozen claim (the
        # roles are checked first, as the engine's action does)
        self.check_access("read")
        check_relance_user(self.env)
        frozen = self.filtered(lambda m: m.sudo()._relance_in_proceedings())
        if frozen and frozen == self:
            raise UserError(
                self.env._(
                    "%(invoices)s: the customer is in collective proceedings and "
                    "these invoices were born before the opening judgment. They "
                    "may no longer be reminded (article L622-21 of the French "
                    "Commercial Code): declare them with the Declaration of Claim.",
                    invoices=", ".join(frozen.mapped("name")),
                )
            )
        return super(AccountMove, self - frozen).action_relance_send_now()

    def _relance_create_penalty_invoices(self, on_date=None):
        # EXTENDS relance_facture: the penalties of a frozen claim are
        # declared with it, never invoiced (C. com. L622-7, L622-21)
        return super(
            AccountMove, self.filtered(lambda m: not m.sudo()._relance_in_proceedings())
        )._relance_create_penalty_invoices(on_date)
