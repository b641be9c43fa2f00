from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestCustomerAnswers(RelanceCommon):
    """Disputes, promises, call outcomes, unmatched payments (SPEC §4-§6)."""

    def _record_call(self, records, **values):
        form = Form(
            self.env["relance.call.outcome"].with_context(
                active_model=records._name, active_ids=records.ids
            )
        )
        for name, value in values.items():
            setattr(form, name, value)
        return form.save().action_confirm()

    def test_dispute_pauses_then_resumes_without_burst(self):
        """Disputed after R1; cleared at J+40 (R2 and the formal notice both
        past): only R2 goes out, the formal notice comes later."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        with freeze_time("2026-01-25"):
            self._record_call(
                invoice,
                outcome="dispute",
                dispute_type="quality",
                dispute_reason="Two boxes missing",
            )
        self.assertTrue(invoice.relance_dispute)
        self.assertEqual(invoice.relance_state, "paused")
        self.assertIn("Two boxes missing", invoice.message_ids[0].body)
        with self.mock_mail_gateway(), freeze_time("2026-02-10"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        with freeze_time("2026-03-01"):
            invoice.relance_dispute = False
        with self.mock_mail_gateway(), freeze_time("2026-03-01"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("second reminder", self._new_mails.subject)
        self.assertFalse(
            invoice.relance_event_ids.filtered(lambda e: e.kind == "formal_notice")
        )
        with self.mock_mail_gateway(), freeze_time("2026-03-06"):
            self._relance_run()
        self.assertEqual(
            invoice.relance_event_ids.filtered(
                lambda e: e.kind == "formal_notice"
            ).state,
            "draft",
        )

    def test_promise_kept(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with freeze_time("2026-01-22"):
            self._record_call(
                invoice, outcome="promise", promise_date=self._day("2026-01-28")
            )
        with freeze_time("2026-01-27"):
            self._relance_reconcile_paid(invoice)
        with self.mock_mail_gateway():
            for day in range(22, 32):
                with freeze_time(f"2026-01-{day:02d}"):
                    self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertFalse(invoice.relance_promise_broken)
        self.assertEqual(invoice.relance_state, "paid")

    def test_promise_not_kept(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with freeze_time("2026-01-22"):
            self._record_call(
                invoice, outcome="promise", promise_date=self._day("2026-01-28")
            )
        self.assertEqual(invoice.relance_promise_date, self._day("2026-01-28"))
        with self.mock_mail_gateway():
            with freeze_time("2026-01-31"):
                self._relance_run()
            self.assertFalse(self._new_mails, "grace of 3 days")
            with freeze_time("2026-02-01"):
                self._relance_run()
            # J+12: R2 is the highest step, but after a pause only the next
            # step goes: Reminder 1
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(str(invoice.relance_promise_broken), "2026-01-28")
        self.assertFalse(invoice.relance_promise_date)
        self.assertTrue(
            invoice.message_ids.filtered(lambda m: "not kept" in (m.body or ""))
        )
        event = invoice.relance_event_ids
        self.assertEqual(event.level_id.name, "Reminder 1")
        self.assertIn("not kept", event.note)

    def test_call_outcomes(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-10")
        with self.mock_mail_gateway(), freeze_time("2026-01-22"):
            self._relance_run()  # Reminder 2 with a call
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        calls = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == call_type
        )
        self.assertEqual(len(calls), 1)
        with freeze_time("2026-01-23"):  # Friday
            self._record_call(self.customer, outcome="no_answer")
        retry = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == call_type
        )
        self.assertEqual(len(retry), 1)
        self.assertNotEqual(retry, calls)
        # the next day with call hours (Monday to Friday) is Monday
        self.assertEqual(str(retry.date_deadline), "2026-01-26")
        with freeze_time("2026-01-24"):
            self._record_call(
                self.customer, outcome="wrong_number", note="Number disconnected"
            )
        self.assertIn("Number disconnected", self.customer.message_ids[0].body)
        with freeze_time("2026-01-26"):
            self._record_call(
                self.customer, outcome="reached", note="Will check with the boss"
            )
        self.assertFalse(
            self.customer.activity_ids.filtered(
                lambda a: a.activity_type_id == call_type
            )
        )
        self.assertTrue(
            invoice.message_ids.filtered(
                lambda m: "Will check with the boss" in (m.body or "")
            )
        )

    def test_at_most_four_calls_in_30_days(self):
        with freeze_time("2026-01-01"):
            self._relance_invoice(due="2026-01-10")
        with self.mock_mail_gateway(), freeze_time("2026-01-22"):
            self._relance_run()  # Reminder 2 with a call
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        for day in ("2026-01-23", "2026-01-26", "2026-01-27"):
            with freeze_time(day):
                self._record_call(self.customer, outcome="no_answer")
            calls = self.customer.activity_ids.filtered(
                lambda a: a.activity_type_id == call_type
            )
            self.assertEqual(len(calls), 1, f"a new attempt after {day}")
        with freeze_time("2026-01-28"):
            self._record_call(self.customer, outcome="no_answer")  # 4th call made
        self.assertFalse(
            self.customer.activity_ids.filtered(
                lambda a: a.activity_type_id == call_type
            )
        )
        self.assertIn("limit of calls", self.customer.message_ids[0].body)
        # the next step with a call records why there is none
        with freeze_time("2026-01-29"):
            self.assertTrue(
                self.env["relance.channel.phone"]._relance_call_limit_reached(
                    self.customer
                )
            )
        with freeze_time("2026-03-05"):
            self.assertFalse(
                self.env["relance.channel.phone"]._relance_call_limit_reached(
                    self.customer
                )
            )

    def test_call_limit_of_the_reminding_company(self):
        """The limit is the one of the invoice's company, not of the user
        who runs the scheduled action."""
        self.company.relance_max_calls = 1
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-10")
        with freeze_time("2026-01-20 10:00:00"):
            self.customer.activity_schedule(
                "relance_facture.mail_activity_type_relance_call"
            ).action_done()
        with self.mock_mail_gateway(), freeze_time("2026-01-22"):
            self._relance_run()  # Reminder 2 with a call
            self.assertEqual(len(self._new_mails), 1)
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        self.assertFalse(
            self.customer.activity_ids.filtered(
                lambda a: a.activity_type_id == call_type
            )
        )
        self.assertIn("no further call", invoice.relance_event_ids.note)

    def test_unmatched_payment_skips_customer(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
            other = self._relance_customer("Other", "o@example.com")
            other_invoice = self._relance_invoice(other, due="2026-01-20")
        payment = self.env["account.payment"].create(
            {
                "amount": 300,
                "date": "2026-01-21",
                "payment_type": "inbound",
                "partner_type": "customer",
                "partner_id": self.customer.id,
            }
        )
        payment.action_post()
        self.assertEqual(payment.state, "in_process")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            action = self.env["relance.preview"].action_open_preview()
            preview = self.env["relance.preview"].browse(action["res_id"])
            self._relance_run()
            self.assertEqual(self._new_mails.recipient_ids, other)
        self.assertFalse(invoice.relance_event_ids)
        self.assertTrue(other_invoice.relance_event_ids)
        self.assertIn("Dupont SARL: Not reminded", preview.warning)
        self.assertEqual(preview.line_ids.partner_id, other)
        # matched with the invoice: reminded again
        (payment.move_id.line_ids + invoice.line_ids).filtered(
            lambda line: line.account_id.account_type == "asset_receivable"
        ).reconcile()
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
            self.assertEqual(self._new_mails.recipient_ids, self.customer)
        self.assertEqual(invoice.relance_event_ids.amount_residual, 900)

    def test_stale_bank_warning(self):
        journal = self.company_data["default_journal_bank"]
        # imported by an accountant (Community admins cannot create them)
        self.env["account.bank.statement.line"].sudo().create(
            {
                "journal_id": journal.id,
                "date": "2026-01-10",
                "payment_ref": "x",
                "amount": 10,
            }
        )
        self.assertIn(
            "2026-01-10", self.company._relance_bank_warning(self._day("2026-01-20"))
        )
        self.assertFalse(self.company._relance_bank_warning(self._day("2026-01-12")))
        self.company.relance_bank_check = False
        self.assertFalse(self.company._relance_bank_warning(self._day("2026-01-20")))
