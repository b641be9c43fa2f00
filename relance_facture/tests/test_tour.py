from odoo import Command, fields
from odoo.tests import HttpCase, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestTour(RelanceCommon, HttpCase):
    """The main screens in a real browser: workspace, customer, send now,
    preview, validation of a formal notice, history pivot."""

    def test_relance_facture_tour(self):
        admin = self.env.ref("base.user_admin")
        admin.write(
            {
                "company_id": self.company.id,
                "company_ids": [Command.link(self.company.id)],
            }
        )
        # the stock administrator, with only the groups the install gives:
        # Invoicing › Administrator makes a Dunning Manager, nothing hidden
        self.assertFalse(admin.has_group("account.group_account_user"))
        self.assertTrue(admin.has_group("relance_facture.group_relance_manager"))
        self.company.relance_default_user_id = admin
        customer = self._relance_customer(
            "Tour Customer SARL", "compta@tour.example", profile=self.profile_standard
        )
        today = fields.Date.context_today(admin)
        self._relance_invoice(customer, due=fields.Date.add(today, days=-5))
        notice_move = self._relance_invoice(
            customer, due=fields.Date.add(today, days=-30)
        )
        level = self.env.ref("relance_facture.level_standard_5")
        done = self.env.ref("relance_facture.level_standard_3") | self.env.ref(
            "relance_facture.level_standard_4"
        )
        for step in done:
            self.env["relance.event"].sudo().create(
                {
                    "move_id": notice_move.id,
                    "partner_id": customer.id,
                    "level_id": step.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "email",
                    "state": "sent",
                    "date": fields.Date.add(today, days=-10),
                }
            )
        notice = (
            self.env["relance.event"]
            .sudo()
            .create(
                {
                    "move_id": notice_move.id,
                    "partner_id": customer.id,
                    "level_id": level.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "formal_notice",
                    "state": "draft",
                    "user_id": admin.id,
                    "amount_residual": notice_move.amount_residual,
                }
            )
        )
        self.assertEqual(customer.relance_stage, "to_validate")

        self.start_tour("/odoo", "relance_facture_tour", login="admin")

        self.assertNotEqual(notice.state, "draft")
        sent = customer.relance_event_ids.filtered(
            lambda e: e.state == "sent"
            and e.level_id == self.env.ref("relance_facture.level_standard_3")
        )
        self.assertEqual(len(sent), 2)
