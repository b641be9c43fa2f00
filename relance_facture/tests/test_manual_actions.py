from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestManualActions(RelanceCommon):
    def test_send_now_on_invoice_takes_next_step(self):
        """At J+1 under Standard, nothing is due by date: "Send now" sends
        Reminder 1 at once and the daily run does not repeat it."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-21"):
            action = invoice.action_relance_send_now()
            self.assertEqual(len(self._new_mails), 1)
            self.assertEqual(action["params"]["type"], "success")
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails, "Reminder 1 already done")
        self.assertEqual(invoice.relance_event_ids.level_id.name, "Reminder 1")

    def test_send_now_on_customer_and_mass_action(self):
        other = self._relance_customer("Martin SAS", "ap@martin.example")
        with freeze_time("2026-01-01"):
            mine = self._relance_invoice(due="2026-01-20") | self._relance_invoice(
                due="2026-01-22"
            )
            theirs = self._relance_invoice(other, due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self.customer.action_relance_send_now()
            self.assertEqual(len(self._new_mails), 1, "one email for both invoices")
            self.assertEqual(mine.relance_event_ids.dispatch_id.move_ids, mine)
            action = self.env.ref(
                "relance_facture.account_move_action_relance_send_now"
            )
            action.with_context(
                active_model="account.move", active_ids=theirs.ids
            ).run()
            self.assertEqual(len(self._new_mails), 2)
        self.assertEqual(theirs.relance_level_id.name, "Reminder 1")

    def test_send_now_paid_invoice_refused(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
            self._relance_reconcile_paid(invoice)
        with self.assertRaises(UserError), freeze_time("2026-01-24"):
            invoice.action_relance_send_now()
        self.assertFalse(invoice.relance_event_ids)

    def test_preview_lists_without_sending(self):
        nomail = self._relance_customer("Sans Mail", False)
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=300)
            silent = self._relance_invoice(nomail, due="2026-01-20")
            self._relance_invoice(due="2026-06-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            action = self.env["relance.preview"].action_open_preview()
            preview = self.env["relance.preview"].browse(action["res_id"])
            self.assertFalse(self._new_mails)
        self.assertFalse(invoice.relance_event_ids)
        lines = preview.line_ids.sorted(lambda line: line.partner_id.name)
        self.assertEqual(
            [(ln.partner_id, ln.channel, ln.level_names, ln.move_ids) for ln in lines],
            [
                (self.customer, "email", "Reminder 1", invoice),
                (nomail, "letter", "Reminder 1", silent),
            ],
        )
        self.assertEqual(lines[0].recipient_id, self.customer)
        self.assertEqual(lines[0].amount_residual, 300)
        self.assertFalse(lines[0].warning)
        self.assertIn("No email address", lines[1].warning)
        # the preview does what the run then does
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)

    def test_preview_follows_preferred_channels(self):
        """The preview applies the customers' preferred channel as the run
        does: a letter instead of the email, the call with the email that
        waits for it."""
        letters = self._relance_customer(
            "Lettres", "l@example.com", relance_preferred_channel="letter"
        )
        phone = self._relance_customer(
            "Téléphone", "t@example.com", relance_preferred_channel="phone"
        )
        with freeze_time("2026-01-01"):
            self._relance_invoice(letters, due="2026-01-20")
            self._relance_invoice(phone, due="2026-01-20")
        with freeze_time("2026-01-23"):
            action = self.env["relance.preview"].action_open_preview()
        preview = self.env["relance.preview"].browse(action["res_id"])
        channels = {
            (line.partner_id.name, line.channel): line.warning
            for line in preview.line_ids
        }
        self.assertEqual(
            sorted(channels),
            [("Lettres", "letter"), ("Téléphone", "email"), ("Téléphone", "phone")],
        )
        self.assertIn("waits for the call", channels[("Téléphone", "email")])
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails, "the letter, and the email waits")
        dispatches = self.env["relance.dispatch"].search(
            [("partner_id", "in", (letters | phone).ids)]
        )
        self.assertEqual(
            sorted((d.partner_id.name, d.channel) for d in dispatches),
            sorted(channels),
        )

    def test_cancel_draft_and_history_kept(self):
        customer = self._relance_customer(
            "Cancel", "c@example.com", self.profile_strict
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(customer, due="2026-01-10")
        with self.mock_mail_gateway(), freeze_time("2026-01-25"):
            self._relance_run()
        notice = invoice.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertEqual(notice.kind, "formal_notice")
        notice.action_cancel()
        self.assertEqual(notice.state, "cancelled")
        with self.assertRaises(UserError):
            notice.unlink()
        # cancelled: the ladder goes on to the escalation proposal
        self.assertEqual(invoice.relance_next_level_id.kind, "escalation")

    def test_partner_profile_form(self):
        """Manual mode keeps the chosen profile; automatic uses the default."""
        self.assertEqual(self.customer.relance_profile_mode, "auto")
        self.assertEqual(self.customer.relance_profile_id, self.profile_standard)
        with Form(self.customer) as form:
            form.relance_profile_mode = "manual"
            form.relance_profile_id = self.profile_lenient
        self.assertEqual(self.customer.relance_profile_id, self.profile_lenient)
        self.company.relance_default_profile_id = self.profile_strict
        self.customer.invalidate_recordset()
        self.assertEqual(self.customer.relance_profile_id, self.profile_lenient)
        self.customer.relance_profile_mode = "auto"
        self.assertEqual(self.customer.relance_profile_id, self.profile_strict)
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        self.assertEqual(invoice.relance_profile_id, self.profile_strict)
        # overridden on the invoice only
        invoice.relance_profile_id = self.profile_never
        self.assertEqual(self.customer.relance_profile_id, self.profile_strict)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails)

    def test_settings_hour_moves_cron(self):
        self.env.user.tz = "Europe/Paris"
        with Form(self.env["res.config.settings"]) as form:
            form.relance_run_hour = 7.5
            form.relance_min_gap_days = 6
        self.assertEqual(self.company.relance_min_gap_days, 6)
        nextcall = self.cron.nextcall
        self.assertIn(nextcall.hour, (5, 6), "07:30 Paris is 05:30 or 06:30 UTC")
        self.assertEqual(nextcall.minute, 30)

    def test_step_offsets_validated(self):
        from odoo.exceptions import ValidationError

        with self.assertRaises(ValidationError):
            self.env["relance.level"].create(
                {
                    "name": "Bad",
                    "profile_id": self.profile_standard.id,
                    "kind": "reminder",
                    "offset_days": -2,
                }
            )
        with self.assertRaises(ValidationError):
            self.env["relance.level"].create(
                {
                    "name": "No template",
                    "profile_id": self.profile_standard.id,
                    "kind": "reminder",
                    "offset_days": 4,
                    "use_email": True,
                }
            )
