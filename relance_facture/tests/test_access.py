from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestAccess(RelanceCommon):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.billing_user = new_test_user(
            cls.env,
            login="billing",
            groups="account.group_account_invoice",
            company_id=cls.company.id,
            company_ids=cls.company.ids,
        )

    def test_billing_user_sends_and_reads_but_cannot_configure(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            invoice.with_user(self.billing_user).action_relance_send_now()
            self.assertEqual(len(self._new_mails), 1)
        events = (
            self.env["relance.event"]
            .with_user(self.billing_user)
            .search([("move_id", "=", invoice.id)])
        )
        self.assertEqual(len(events), 1)
        self.assertEqual(events.state, "sent")
        with self.assertRaises(AccessError):
            self.profile_standard.with_user(self.billing_user).name = "Softer"
        with self.assertRaises(AccessError):
            self.profile_standard.level_ids[0].with_user(
                self.billing_user
            ).offset_days = -1
        with self.assertRaises(AccessError):
            events.with_user(self.billing_user).unlink()
        with self.assertRaises(UserError):
            events.unlink()

    def test_billing_user_cannot_validate_formal_notice(self):
        customer = self._relance_customer(
            "Strict", "s@example.com", self.profile_strict
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(customer, due="2026-01-10")
        with self.mock_mail_gateway(), freeze_time("2026-01-25"):
            self._relance_run()
        notice = invoice.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertTrue(notice)
        with self.assertRaises(UserError):
            notice.with_user(self.billing_user).action_validate()
        self.assertEqual(notice.state, "draft")

    def test_other_company_events_hidden(self):
        other = self.setup_other_company(name="Other Co")["company"]
        self.billing_user.company_ids |= other
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
        self.assertTrue(invoice.relance_event_ids)
        visible = (
            self.env["relance.event"]
            .with_user(self.billing_user)
            .with_context(allowed_company_ids=other.ids)
            .search([("move_id", "=", invoice.id)])
        )
        self.assertFalse(visible)
