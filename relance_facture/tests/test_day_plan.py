from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from odoo.addons.sms.tests.common import SMSCase

from .day_plan_common import DUE, R1_DAY, DayPlanCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestDayPlan(DayPlanCommon, SMSCase):
    """The day's plan as records (planned dispatches), sent customer by
    customer: one customer's bad data never stops the others, failures are
    in the history with their reason and retried, the preview is the run."""

    # ------------------------------------------------------------------
    # Isolation, failures in the history, retries
    # ------------------------------------------------------------------
    def test_template_failing_for_one_customer_others_reminded(self):
        """The email template raises for one customer: the other is reminded;
        the failure is in the history and on the Failed Sends card; once the
        template is fixed, the next run sends it, once."""
        template = self.env.ref(
            "relance_facture.mail_template_relance_reminder_1"
        ).copy()
        template.body_html = (
            '<p>Hello <t t-out="object.partner_id.name"/></p>'
            "<t t-if=\"object.partner_id.name == 'Dupont SARL'\" "
            't-out="object.no_such_field"/>'
        )
        profile = self._profile_with_r1("Broken", template)
        (self.customer | self.other).relance_profile_id = profile
        broken, fine = self._two_invoices()
        failed_before = self._failed_card_count()
        mails = self._run()
        self.assertEqual(mails.recipient_ids, self.other)
        self.assertEqual(fine.relance_event_ids.state, "sent")
        event = broken.relance_event_ids
        self.assertEqual(event.state, "failed")
        self.assertIn("no_such_field", event.note)
        dispatch = event.dispatch_ids
        self.assertEqual(dispatch.state, "failed")
        self.assertEqual(dispatch.attempt_count, 1)
        self.assertIn("no_such_field", dispatch.note)
        self.assertEqual(self._failed_card_count(), failed_before + 1)

        # same day again: still broken, second attempt
        self.assertFalse(self._run())
        self.assertEqual(dispatch.attempt_count, 2)
        # fixed: the next run sends the same message, once
        template.body_html = '<p>Hello <t t-out="object.partner_id.name"/></p>'
        mails = self._run("2026-01-24")
        self.assertEqual(mails.recipient_ids, self.customer)
        self.assertEqual(dispatch.state, "sent")
        self.assertTrue(dispatch.note.startswith("Attempt 2 failed:"), dispatch.note)
        self.assertEqual(event.state, "sent")
        self.assertEqual(len(broken.relance_event_ids), 1)
        self.assertFalse(self._run("2026-01-25"), "nothing is sent twice")

    def test_retries_are_bounded(self):
        template = self.env.ref(
            "relance_facture.mail_template_relance_reminder_1"
        ).copy({"body_html": '<t t-out="object.no_such_field"/>'})
        self.customer.relance_profile_id = self._profile_with_r1("Broken", template)
        self.company.relance_max_attempts = 2
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
        for day in ("2026-01-23", "2026-01-24", "2026-01-25", "2026-01-26"):
            self.assertFalse(self._run(day))
        self.assertEqual(invoice.relance_event_ids.dispatch_ids.attempt_count, 2)

    def test_deleted_template_fails_with_reason(self):
        template = self.env.ref(
            "relance_facture.mail_template_relance_reminder_1"
        ).copy()
        self.customer.relance_profile_id = self._profile_with_r1("Orphan", template)
        broken, fine = self._two_invoices()
        template.unlink()
        mails = self._run()
        self.assertEqual(mails.recipient_ids, self.other)
        self.assertEqual(fine.relance_event_ids.state, "sent")
        event = broken.relance_event_ids
        self.assertEqual(event.state, "failed")
        self.assertIn("has no email template", event.note)

    def test_call_script_with_stray_brace(self):
        """A call script the formatting cannot read fails that customer's
        call with the error; the other customer's email goes."""
        profile = self._profile_with_r1(
            "Call", use_email=False, use_phone=True, call_script="Bonjour {customer"
        )
        self.customer.relance_profile_id = profile
        broken, fine = self._two_invoices()
        mails = self._run()
        self.assertEqual(mails.recipient_ids, self.other)
        event = broken.relance_event_ids
        self.assertEqual(event.state, "failed")
        self.assertEqual(event.channel, "phone")
        self.assertTrue(event.note.startswith("Not sent:"), event.note)
        self.assertEqual(fine.relance_event_ids.state, "sent")

    def test_bad_inputs_end_with_a_reason(self):
        """Customers and invoices a real book has: each ends with its step in
        the history (or nothing when nothing is owed), never a crash."""
        foreign = self.env.ref("base.CHF")
        foreign.active = True
        no_email = self._relance_customer("Sans Email", False, self.profile_standard)
        nowhere = self._relance_customer(
            "Nulle Part", False, self.profile_standard, street=False, city=False
        )
        consumer = self._relance_customer(
            "Jean Client", "jean@example.com", self.profile_standard, is_company=False
        )
        archived = self._relance_customer(
            "Archivé SARL", "a@example.com", self.profile_standard
        )
        no_country = self._relance_customer(
            "Sans Pays", "p@example.com", self.profile_standard, country_id=False
        )
        with freeze_time("2026-01-01"):
            invoices = {
                "no_email": self._relance_invoice(no_email, due=DUE),
                "nowhere": self._relance_invoice(nowhere, due=DUE),
                "consumer": self._relance_invoice(consumer, due=DUE),
                "archived": self._relance_invoice(archived, due=DUE),
                "no_country": self._relance_invoice(no_country, due=DUE),
                "foreign": self._relance_invoice(self.other, due=DUE, currency=foreign),
                "eur": self._relance_invoice(self.other, due=DUE),
                "credited": self._relance_invoice(self.customer, due=DUE),
                "paid": self._relance_invoice(self.customer, due=DUE),
                "cancelled": self._relance_invoice(self.customer, due=DUE),
            }
            self._relance_reconcile_paid(invoices["paid"])
            invoices["cancelled"].button_draft()
            invoices["cancelled"].button_cancel()
            # a credit note matched with its invoice: nothing is owed
            refund = invoices["credited"]._reverse_moves(cancel=True)
        archived.active = False
        # no rate for the semesters of the penalties: nothing is computed
        self.env["relance.rate"].search([]).unlink()
        mails = self._run()
        for key in ("paid", "cancelled", "credited"):
            self.assertFalse(invoices[key].relance_event_ids, key)
        self.assertFalse(refund.relance_event_ids)

        letter = invoices["no_email"].relance_event_ids
        self.assertEqual((letter.state, letter.channel), ("sent", "letter"))
        self.assertIn(
            "No email address for Sans Email: a letter was prepared instead",
            letter.note,
        )

        call = invoices["nowhere"].relance_event_ids
        self.assertEqual((call.state, call.channel), ("sent", "phone"))
        self.assertIn("nor postal address", call.note)
        self.assertTrue(nowhere.activity_ids)

        sms = invoices["consumer"].relance_event_ids
        self.assertEqual((sms.state, sms.channel), ("sent", "email"))
        self.assertIn("No mobile number for Jean Client: no SMS.", sms.note)

        for key in ("archived", "no_country", "foreign", "eur"):
            event = invoices[key].relance_event_ids
            self.assertEqual((event.state, event.channel), ("sent", "email"), key)
        # one email per currency for Martin SA, one for each other customer
        usd_mail = invoices["foreign"].relance_event_ids.mail_id
        eur_mail = invoices["eur"].relance_event_ids.mail_id
        self.assertNotEqual(usd_mail, eur_mail)
        self.assertEqual(
            sorted(mail.recipient_ids.name for mail in mails),
            ["Archivé SARL", "Jean Client", "Martin SA", "Martin SA", "Sans Pays"],
        )

    def test_other_company_invoice_reminded_by_its_company(self):
        """An invoice of another company of the database goes out in its own
        message, from that company and in its currency; the first company's
        run is not disturbed."""
        other_company = self.setup_other_company(name="Other Co")["company"]
        other_company.write(
            {"email": "other@example.com", "relance_business_days": False}
        )
        with freeze_time("2026-01-01"):
            ours = self._relance_invoice(self.customer, due=DUE)
            theirs = (
                self.env["account.move"]
                .with_company(other_company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": self.customer.id,
                        "invoice_date": "2025-12-21",
                        "invoice_date_due": DUE,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Service", "price_unit": 800, "tax_ids": []}
                            )
                        ],
                    }
                )
            )
            theirs.action_post()
        mails = self._run()
        self.assertEqual(len(mails), 2)
        mine, other = ours.relance_event_ids, theirs.relance_event_ids
        self.assertEqual((mine.state, other.state), ("sent", "sent"))
        self.assertEqual(other.company_id, other_company)
        self.assertEqual(other.dispatch_id.company_id, other_company)
        self.assertEqual(other.dispatch_id.currency_id, other_company.currency_id)
        self.assertNotEqual(mine.mail_id, other.mail_id)

    # ------------------------------------------------------------------
    # Drafts follow the invoice
    # ------------------------------------------------------------------
    def _waiting_formal_notice(self):
        self.customer.relance_profile_id = self.profile_strict
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE, amount=5000)
        for day in ("2026-01-21", "2026-01-28", "2026-02-04"):
            self._run(day)
        draft = invoice.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertEqual(draft.kind, "formal_notice")
        return invoice, draft

    def test_paid_invoice_cancels_waiting_formal_notice(self):
        invoice, draft = self._waiting_formal_notice()
        with freeze_time("2026-02-05"):
            self._relance_reconcile_paid(invoice)
        self.assertFalse(self._run("2026-02-06"))
        self.assertEqual(draft.state, "cancelled")
        self.assertIn("paid", draft.note)
        self.assertFalse(draft.dispatch_ids)

    def test_validate_leaves_out_paid_invoice(self):
        invoice, draft = self._waiting_formal_notice()
        with freeze_time("2026-02-05"):
            self._relance_reconcile_paid(invoice)
            with self.mock_mail_gateway():
                draft.action_validate()
                self.assertFalse(self._new_mails)
        self.assertEqual(draft.state, "cancelled")
        self.assertFalse(draft.dispatch_ids)

    def test_retry_leaves_out_paid_invoice(self):
        self.customer.relance_profile_id = self._profile_with_r1(
            "Broken",
            self.env.ref("relance_facture.mail_template_relance_reminder_1").copy(
                {"body_html": '<t t-out="object.no_such_field"/>'}
            ),
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
        self._run()
        event = invoice.relance_event_ids
        self.assertEqual(event.state, "failed")
        with freeze_time("2026-01-24"):
            self._relance_reconcile_paid(invoice)
            with self.mock_mail_gateway():
                event.action_relance_retry()
                self.assertFalse(self._new_mails)
        self.assertEqual(event.dispatch_ids.state, "cancelled")

    # ------------------------------------------------------------------
    # One message per customer, channel and day; the minimum gap
    # ------------------------------------------------------------------
    def test_manual_send_after_the_run_same_day_refused(self):
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(self.customer, due=DUE)
            second = self._relance_invoice(self.customer, due="2026-02-20")
        self.assertEqual(len(self._run()), 1)
        self.assertEqual(first.relance_event_ids.state, "sent")
        with self.mock_mail_gateway(), freeze_time(R1_DAY):
            with self.assertRaisesRegex(UserError, "already received a reminder today"):
                second.action_relance_send_now()
            self.assertFalse(self._new_mails)
        self.assertFalse(second.relance_event_ids)

    def test_run_after_manual_send_waits_until_tomorrow(self):
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(self.customer, due=DUE)
            second = self._relance_invoice(self.customer, due=DUE)
        with self.mock_mail_gateway(), freeze_time(R1_DAY):
            first.action_relance_send_now()
            self.assertEqual(len(self._new_mails), 1)
        self.assertFalse(self._run(), "one message a day")
        self.assertFalse(second.relance_event_ids)
        mails = self._run("2026-01-24")
        self.assertEqual(len(mails), 1)
        self.assertEqual(second.relance_event_ids.state, "sent")

    def test_manual_send_respects_the_gap_unless_forced(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
        self._run()
        with self.mock_mail_gateway(), freeze_time("2026-01-25"):
            with self.assertRaisesRegex(UserError, "Too soon after the last reminder"):
                invoice.action_relance_send_now()
            self.assertFalse(self._new_mails)
            invoice.action_relance_force_send_now()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(invoice.relance_level_id.name, "Reminder 2")

    # ------------------------------------------------------------------
    # Emails follow the mail queue
    # ------------------------------------------------------------------
    def test_mail_exception_fails_then_requeued_not_recreated(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
        mails = self._run()
        event = invoice.relance_event_ids
        mail = event.mail_id
        self.assertEqual(mails, mail)
        mail.write({"state": "exception", "failure_reason": "SMTP down"})
        self.assertEqual(event.dispatch_id.state, "failed")
        self.assertEqual(event.state, "failed")
        self.assertIn("SMTP down", event.note)
        self.assertFalse(self._run("2026-01-24"), "the same email, not a new one")
        self.assertEqual(mail.state, "outgoing")
        self.assertEqual(event.dispatch_id.state, "sent")
        mail.write({"state": "sent"})
        self.assertEqual(event.state, "sent")
        self.assertEqual(len(invoice.relance_event_ids), 1)
        self.assertEqual(len(event.dispatch_ids), 1)

    # ------------------------------------------------------------------
    # The channel contract
    # ------------------------------------------------------------------
    def test_every_channel_reports_and_creates_no_other_channel(self):
        """Each handler, given planned dispatches of its channel, leaves each
        one sent or failed and creates no dispatch of another channel."""
        engine = self.env["relance.engine"]
        handlers = engine._relance_channel_handlers()
        self.assertEqual(
            set(handlers),
            {"email", "sms", "letter", "phone", "formal_notice", "escalation"},
        )
        no_email = self._relance_customer("Sans Email", False, self.profile_standard)
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
            bare = self._relance_invoice(no_email, due=DUE)
        level = self.profile_standard.level_ids.filtered(
            lambda lvl: lvl.kind == "reminder"
        )[:1]
        for channel, model in handlers.items():
            for move in (invoice, bare):
                with self.subTest(channel=channel, customer=move.partner_id.name):
                    savepoint = self.env.cr.savepoint()
                    try:
                        self._check_channel_contract(channel, model, move, level)
                    finally:
                        # leave the step free for the next channel
                        savepoint.close(rollback=True)

    def _check_channel_contract(self, channel, model, move, level):
        if channel not in ("email", "sms", "letter", "phone"):
            level = self.profile_standard.level_ids.filtered(
                lambda lvl: lvl.kind == channel
            )[:1]
        event = (
            self.env["relance.event"]
            .sudo()
            .create(
                {
                    "move_id": move.id,
                    "partner_id": move.partner_id.id,
                    "level_id": level.id,
                    "company_id": self.company.id,
                    "currency_id": move.currency_id.id,
                    "channel": channel,
                    "state": "draft",
                }
            )
        )
        # the channels are the engine's internals: they run as the scheduler
        Dispatch = self.env["relance.dispatch"].sudo()
        dispatch = Dispatch.create(
            {
                "partner_id": move.partner_id.id,
                "recipient_id": move.partner_id.id,
                "company_id": self.company.id,
                "currency_id": move.currency_id.id,
                "channel": channel,
                "level_id": level.id,
                "user_id": self.env.user.id,
                "event_ids": [Command.set(event.ids)],
            }
        )
        self.assertEqual(dispatch.state, "planned")
        before = Dispatch.search([])
        with self.mock_mail_gateway():
            self.env[model].sudo()._relance_send(dispatch)
        self.assertIn(dispatch.state, ("sent", "failed"))
        if dispatch.state == "failed":
            self.assertTrue(dispatch.note)
        self.assertEqual(Dispatch.search([]) - before, Dispatch)

    # ------------------------------------------------------------------
    # The preview is the run
    # ------------------------------------------------------------------
    def test_preview_lists_what_the_run_creates(self):
        """On a mixed book, the preview of the day lists exactly the
        dispatches (customer, channel, recipient, invoices) the run of that
        day then creates, and sends nothing."""
        phone_first = self._relance_customer(
            "Appel SARL", "appel@example.com", self.profile_standard
        )
        phone_first.relance_preferred_channel = "phone"
        letters = self._relance_customer(
            "Courrier SARL", "courrier@example.com", self.profile_standard
        )
        letters.relance_preferred_channel = "letter"
        no_email = self._relance_customer("Sans Email", False, self.profile_standard)
        consumer = self._relance_customer(
            "Jean Client",
            "jean@example.com",
            self.profile_standard,
            is_company=False,
            mobile="+33612345678",
        )
        small = self._relance_customer(
            "Petit SARL", "p@example.com", self.profile_lenient
        )
        plan_customer = self._relance_customer(
            "Echeancier SARL", "e@example.com", self.profile_standard
        )
        with freeze_time("2026-01-01"):
            book = [
                self._relance_invoice(phone_first, due=DUE),
                self._relance_invoice(letters, due=DUE),
                self._relance_invoice(no_email, due=DUE),
                self._relance_invoice(consumer, due=DUE),
                self._relance_invoice(small, due="2026-01-16", amount=90),
                self._relance_invoice(self.customer, due="2026-01-11", amount=3000),
                self._relance_invoice(self.other, due="2026-01-30", amount=3000),
            ]
            planned = self._relance_invoice(plan_customer, due="2026-01-05", amount=900)
            action = planned.action_relance_payment_plan()
            form = Form(self.env[action["res_model"]].with_context(**action["context"]))
            form.instalment_count = 3
            form.first_date = self._day("2026-01-15")
            form.save().action_confirm()
        with self.mock_mail_gateway(), freeze_time(R1_DAY):
            action = self.env["relance.preview"].action_open_preview()
            preview = self.env["relance.preview"].browse(action["res_id"])
            self.assertFalse(self._new_mails)
            self.assertFalse(
                self.env["relance.event"].search(
                    [("move_id", "in", [m.id for m in book])]
                )
            )
            lines = {
                (
                    line.partner_id.name,
                    line.channel,
                    line.recipient_id.name,
                    tuple(sorted(line.move_ids.mapped("name"))),
                )
                for line in preview.line_ids
                if line.channel != "validation"
            }
            before = self.env["relance.dispatch"].search([])
            self._relance_run()
            created = self.env["relance.dispatch"].search([]) - before
        run = {
            (
                d.partner_id.name,
                d.channel,
                d.recipient_id.name,
                tuple(sorted(d.event_ids.move_id.mapped("name"))),
            )
            for d in created
        }
        self.assertEqual(lines, run)
        channels = {(name, channel) for name, channel, _r, _m in run}
        self.assertIn(("Appel SARL", "phone"), channels)
        self.assertIn(("Appel SARL", "email"), channels)
        self.assertIn(("Courrier SARL", "letter"), channels)
        self.assertIn(("Sans Email", "letter"), channels)
        self.assertIn(("Jean Client", "sms"), channels)
        self.assertIn(("Echeancier SARL", "email"), channels)
        held = created.filtered(
            lambda d: d.partner_id == phone_first and d.channel == "email"
        )
        self.assertEqual(held.state, "held")
