from unittest.mock import patch

from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestDailyRun(RelanceCommon):
    """The scheduled action: selection, grouping, never twice, catch-up."""

    def test_one_email_per_customer_each_invoice_its_own_step(self):
        """Two invoices at different steps and a third not yet due: one
        email lists the two, summarises the third; each keeps its step."""
        with freeze_time("2026-01-01"):
            late = self._relance_invoice(due="2026-01-20", amount=500)
            later = self._relance_invoice(due="2026-01-30", amount=700)
            future = self._relance_invoice(due="2026-03-30", amount=900)
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            # R1 of the first invoice was sent at J+3 (01-23); the second is
            # at its courtesy step (J-7 = 01-23).
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            mail = self._new_mails
            self.assertEqual(mail.recipient_ids, self.customer)
            self.assertIn(late.name, mail.body_html)
            self.assertIn(later.name, mail.body_html)
            self.assertIn(
                future.name, mail.body_html, "other open invoices are summarised"
            )
            self.assertEqual(mail.state, "outgoing", "queued, never sent inline")
        self.assertEqual(late.relance_level_id.name, "Reminder 1")
        self.assertEqual(later.relance_level_id.name, "Courtesy reminder")
        self.assertFalse(future.relance_event_ids)
        self.assertEqual(late.relance_event_ids.mail_id, mail)
        self.assertEqual(late.relance_event_ids.amount_residual, 500)
        self.assertEqual(late.relance_state, "reminder_1")
        self.assertEqual(later.relance_state, "courtesy")
        # Both invoices and the customer have a note in their chatter.
        for record in (late, later, self.customer):
            self.assertTrue(
                record.message_ids.filtered(lambda m: "Dunning" in (m.body or "")),
                f"no chatter note on {record.display_name}",
            )

    def test_history_keeps_the_step_as_it_was_sent(self):
        """A step's event records its profile, kind and reminder number as
        they were that day: editing the profile afterwards (a new first
        reminder) does not rewrite the history."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        event = invoice.relance_event_ids
        self.assertEqual(
            (event.profile_id, event.kind, event.reminder_number),
            (self.profile_standard, "reminder", 1),
        )
        self.env["relance.level"].create(
            {
                "profile_id": self.profile_standard.id,
                "name": "Early reminder",
                "kind": "reminder",
                "offset_days": 1,
                "sequence": 0,
                "use_email": True,
                "mail_template_id": event.level_id.mail_template_id.id,
            }
        )
        self.assertEqual(event.level_id.reminder_number, 2, "the step moved")
        event.invalidate_recordset()
        self.assertEqual((event.kind, event.reminder_number), ("reminder", 1))

    def test_same_day_rerun_sends_nothing(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(len(invoice.relance_event_ids), 1)

    def test_message_and_call_due_together_run_the_same_day(self):
        """Invoice posted at J-3 (Standard, 1,200): the courtesy email and the
        courtesy call both go in that run; a re-run has nothing to do."""
        with freeze_time("2026-01-17"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200)
        with self.mock_mail_gateway(), freeze_time("2026-01-17"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertEqual(
                sorted(invoice.relance_event_ids.level_id.mapped("name")),
                ["Courtesy call", "Courtesy reminder"],
            )
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(len(invoice.relance_event_ids), 2)

    def test_outage_sends_only_highest_due_step(self):
        """Down from J+1 to J+14: at J+14 only Reminder 2 (J+12) goes out;
        Reminder 1 is skipped for good."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-03"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("second reminder", self._new_mails.subject)
        self.assertEqual(invoice.relance_event_ids.level_id.name, "Reminder 2")
        with self.mock_mail_gateway(), freeze_time("2026-02-05"):
            self._relance_run()
            self.assertFalse(self._new_mails, "Reminder 1 never comes back")

    def test_minimum_gap_delays_a_step(self):
        """A manual Reminder 1 at J+10 pushes Reminder 2 (J+12) to J+15."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-30"):
            invoice.action_relance_send_now()
        self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        self.assertEqual(str(invoice.relance_next_date), "2026-02-04")
        with self.mock_mail_gateway():
            with freeze_time("2026-02-01"):
                self._relance_run()
            with freeze_time("2026-02-03"):
                self._relance_run()
            self.assertFalse(self._new_mails)
            with freeze_time("2026-02-04"):
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(invoice.relance_level_id.name, "Reminder 2")

    def test_paid_between_planning_and_sending(self):
        """The invoice is paid after it was selected: re-read under lock,
        nothing goes out and no history is written."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        engine_cls = type(self.env["relance.engine"])
        original = engine_cls._relance_lock_due_moves

        def lock_then_paid(engine, today, limit, **kwargs):
            moves = original(engine, today, limit, **kwargs)
            if moves:
                self._relance_reconcile_paid(invoice)
                self.env.flush_all()
            return moves

        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            with patch.object(engine_cls, "_relance_lock_due_moves", lock_then_paid):
                self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertFalse(invoice.relance_event_ids)
        self.assertEqual(invoice.payment_state, "paid")
        self.assertEqual(invoice.relance_state, "paid")

    def test_in_payment_excluded_disputed_never(self):
        with freeze_time("2026-01-01"):
            in_payment = self._relance_invoice(due="2026-01-20")
            excluded = self._relance_invoice(due="2026-01-20")
            disputed = self._relance_invoice(due="2026-01-20")
            never = self._relance_invoice(
                self._relance_customer(
                    "Never", "never@example.com", self.profile_never
                ),
                due="2026-01-20",
            )
            excluded_customer = self._relance_invoice(
                self._relance_customer("Out", "out@example.com", relance_excluded=True),
                due="2026-01-20",
            )
            self._relance_pay(in_payment)
        # Community marks a registered payment "paid" at once; the bank
        # matching of the accounting app leaves it "in_payment" until the
        # statement is reconciled: set that state as it would.
        self.env.flush_all()
        self.env.cr.execute(
            "UPDATE account_move SET payment_state = 'in_payment' WHERE id = %s",
            [in_payment.id],
        )
        in_payment.invalidate_recordset(["payment_state"])
        self.assertEqual(in_payment.payment_state, "in_payment")
        excluded.relance_excluded = True
        disputed.write(
            {"relance_dispute": True, "relance_dispute_reason": "Wrong quantity"}
        )
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        for move in (in_payment, excluded, disputed, never, excluded_customer):
            self.assertFalse(move.relance_event_ids, move.partner_id.name)
        self.assertEqual(excluded.relance_state, "excluded")
        self.assertEqual(excluded_customer.relance_state, "excluded")
        self.assertEqual(disputed.relance_state, "paused")
        # Clearing the dispute resumes dunning at the next run.
        disputed.relance_dispute = False
        with self.mock_mail_gateway(), freeze_time("2026-01-24"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(disputed.relance_level_id.name, "Reminder 1")

    def test_promise_to_pay_pauses_then_resumes(self):
        """Promise on 01-25, grace 3 days: nothing until 01-28, the run of
        01-29 takes the invoice up again."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with freeze_time("2026-01-21"):
            invoice.relance_promise_date = "2026-01-25"
            self.assertEqual(invoice.relance_state, "paused")
            self.assertEqual(str(invoice.relance_next_date), "2026-01-29")
        with self.mock_mail_gateway():
            for day in range(22, 29):
                with freeze_time(f"2026-01-{day:02d}"):
                    self._relance_run()
            self.assertFalse(self._new_mails)
            with freeze_time("2026-01-29"):
                self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        self.assertEqual(str(invoice.relance_last_date), "2026-01-29")

    def test_partial_payment_claims_residual(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200)
        with freeze_time("2026-01-10"):
            self._relance_pay(invoice, amount=450)
        self.assertEqual(invoice.payment_state, "partial")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("750.00", self._new_mails.body_html)
        self.assertEqual(invoice.relance_event_ids.amount_residual, 750)

    def test_small_amount_single_reminder_then_validation(self):
        """100 EUR (< 150): courtesy, Reminder 1, then the formal notice
        waits for validation; Reminder 2 is never sent."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=100)
        with self.mock_mail_gateway():
            for day in range(13, 32):
                with freeze_time(f"2026-01-{day:02d}"):
                    self._relance_run()
            for day in range(1, 20):
                with freeze_time(f"2026-02-{day:02d}"):
                    self._relance_run()
            self.assertEqual(len(self._new_mails), 2)
        steps = invoice.relance_event_ids.sorted("date")
        self.assertEqual(
            [(e.level_id.name, str(e.date), e.state) for e in steps],
            [
                ("Courtesy reminder", "2026-01-13", "sent"),
                ("Reminder 1", "2026-01-23", "sent"),
                ("Formal notice", "2026-02-14", "draft"),
            ],
        )

    def test_instalments_earliest_unpaid_overdue_drives(self):
        """Two instalments (30 and 60 days): the first drives the ladder;
        once it is paid, the second one does."""
        term = self.env["account.payment.term"].create(
            {
                "name": "Half at 30, half at 60 days",
                "line_ids": [
                    (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 30}),
                    (0, 0, {"value": "percent", "value_amount": 50, "nb_days": 60}),
                ],
            }
        )
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(
                due="2026-03-02",
                invoice_date=self._day("2026-01-01"),
                payment_term=term,
                amount=2000,
            )
        self.assertEqual(str(invoice.relance_due_date), "2026-01-31")
        with self.mock_mail_gateway(), freeze_time("2026-02-03"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        self.assertEqual(invoice.relance_event_ids.due_date, self._day("2026-01-31"))
        with freeze_time("2026-02-05"):
            self._relance_reconcile_paid(invoice, amount=1000)
        self.assertEqual(str(invoice.relance_due_date), "2026-03-02")

    def test_crash_mid_run_resumes_cleanly(self):
        """The worker commits batch after batch. A channel that raises fails
        the customers of its batch with the error instead of stopping the
        run; the next call sends exactly what failed, once."""
        customers = [
            self._relance_customer(f"Batch {i}", f"b{i}@example.com") for i in range(4)
        ]
        with freeze_time("2026-01-01"):
            invoices = self.env["account.move"].concat(
                *(self._relance_invoice(c, due="2026-01-20") for c in customers)
            )
        email_cls = type(self.env["relance.channel.email"])

        def crash(handler, dispatches):
            raise RuntimeError("mail queue unavailable")

        # the worker's context: one batch per call, committed after it
        engine = self.env["relance.engine"].with_context(cron_id=self.cron.id)
        events = self.env["relance.event"]
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            engine._cron_run_daily(batch_size=2)
            self.assertEqual(len(events.search([("move_id", "in", invoices.ids)])), 2)
            with patch.object(email_cls, "_relance_send", crash):
                engine._cron_run_daily(batch_size=2)
            failed = events.search(
                [("move_id", "in", invoices.ids), ("state", "=", "failed")]
            )
            self.assertEqual(failed.partner_id, customers[2] | customers[3])
            for event in failed:
                self.assertIn("mail queue unavailable", event.note)
            engine._cron_run_daily(batch_size=2)
            engine._cron_run_daily(batch_size=2)
            queued = self._new_mails.exists()
            self.assertEqual(len(queued), 4)
            self.assertEqual(
                queued.recipient_ids,
                customers[0] | customers[1] | customers[2] | customers[3],
            )
        for invoice in invoices:
            self.assertEqual(len(invoice.relance_event_ids), 1)
            self.assertEqual(invoice.relance_event_ids.state, "sent")

    def test_worker_housekeeping_once_a_day(self):
        """The cron worker calls once per batch: the day's housekeeping runs
        at its first call of the day, not at each batch; failed messages are
        still retried at every call, and a manual run always does it."""
        engine_cls = type(self.env["relance.engine"])
        original = engine_cls._relance_refresh_states
        calls = []

        def counting(engine, today):
            calls.append(today)
            return original(engine, today)

        engine = self.env["relance.engine"].with_context(cron_id=self.cron.id)
        with (
            self.mock_mail_gateway(),
            patch.object(engine_cls, "_relance_refresh_states", counting),
        ):
            with freeze_time("2026-01-23"):
                engine._cron_run_daily(batch_size=2)
                engine._cron_run_daily(batch_size=2)
                self.assertEqual(len(calls), 1)
                self.env["relance.engine"]._cron_run_daily()
                self.assertEqual(len(calls), 2, "a manual run does it again")
            with freeze_time("2026-01-24"):
                engine._cron_run_daily(batch_size=2)
                self.assertEqual(len(calls), 3, "the next day's first call")
