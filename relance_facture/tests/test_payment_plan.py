from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import Form, freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestPaymentPlan(RelanceCommon):
    """Payment plans (SPEC §4, seed 000): dunning follows the instalments."""

    def _agree(self, records, **values):
        """Agree a plan through the wizard, as a user would from ``records``
        (invoices or a customer); ``lines`` replaces the proposed split."""
        action = records.action_relance_payment_plan()
        lines = values.pop("lines", None)
        form = Form(self.env[action["res_model"]].with_context(**action["context"]))
        for name, value in values.items():
            setattr(form, name, value)
        if lines is not None:
            while len(form.line_ids):
                form.line_ids.remove(0)
            for day, amount in lines:
                with form.line_ids.new() as line:
                    line.date = self._day(day)
                    line.amount = amount
        wizard = form.save()
        result = wizard.action_confirm()
        return self.env["relance.payment.plan"].browse(result["res_id"])

    def _run_days(self, first, last):
        """Run the daily scheduled action every day from ``first`` to
        ``last``; returns {day: emails sent that day}."""
        sent = {}
        day = self._day(first)
        while day <= self._day(last):
            with self.mock_mail_gateway(), freeze_time(day):
                self._relance_run()
                if self._new_mails:
                    sent[str(day)] = self._new_mails
            day += timedelta(days=1)
        return sent

    def test_missed_instalment_starts_the_ladder(self):
        """R1 on 01-23; a plan of 3 × 400 from 02-10 is agreed on 01-26.
        Nothing more for the original due date; the first instalment is paid,
        the second (03-10) is missed: its own Reminder 1 goes on 03-13 (J+3
        of the instalment) with the instalment's amount, once."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200.0)
        self.assertEqual(
            list(self._run_days("2026-01-20", "2026-01-25")), ["2026-01-23"]
        )
        with freeze_time("2026-01-26"):
            plan = self._agree(invoice, first_date=self._day("2026-02-10"))
            self.assertEqual(
                [(str(x.date), x.amount) for x in plan.line_ids],
                [("2026-02-10", 400.0), ("2026-03-10", 400.0), ("2026-04-10", 400.0)],
            )
            self.assertEqual(invoice.relance_plan_id, plan)
            self.assertEqual(invoice.relance_state, "plan")
            self.assertEqual(str(invoice.relance_due_date), "2026-02-10")
        self.assertIn("Payment plan agreed", invoice.message_ids[0].body)
        self.assertIn("400.00", invoice.message_ids[0].body)
        self.assertIn("Payment plan agreed", self.customer.message_ids[0].body)

        # The original ladder would send Reminder 2 on 02-01: the plan holds it,
        # and no courtesy reminder precedes an agreed instalment.
        self.assertFalse(self._run_days("2026-01-26", "2026-02-10"))
        with freeze_time("2026-02-10"):
            self._relance_reconcile_paid(invoice, 400.0)
        self.assertEqual(plan.line_ids.mapped("state")[:1], ["paid"])
        self.assertEqual(plan.amount_paid, 400.0)
        self.assertEqual(str(invoice.relance_due_date), "2026-03-10")

        sent = self._run_days("2026-02-11", "2026-03-15")
        self.assertEqual(list(sent), ["2026-03-13"])
        mail = sent["2026-03-13"]
        self.assertEqual(len(mail), 1)
        self.assertIn("reminder", mail.subject)
        self.assertEqual(mail.recipient_ids, self.customer)
        self.assertIn("instalment of", mail.body_html)
        self.assertIn("03/10/2026", mail.body_html)
        self.assertIn("400.00", mail.body_html)
        event = invoice.relance_event_ids.filtered("plan_line_id")
        self.assertEqual(len(event), 1)
        self.assertEqual(event.level_id.name, "Reminder 1")
        self.assertEqual(event.plan_line_id, plan.line_ids[1])
        self.assertEqual(str(event.due_date), "2026-03-10")
        self.assertEqual(event.state, "sent")
        with freeze_time("2026-03-14"):
            self.assertTrue(plan.is_late)
            self.assertEqual(plan.line_ids[1].state, "late")
            self.assertEqual(invoice.relance_state, "reminder_1")
            self.assertIn(
                plan, self.env["relance.payment.plan"].search([("is_late", "=", True)])
            )
            card = self.env.ref("relance_facture.relance_workspace_plans")
            self.assertEqual(card.count, 1)
            self.assertEqual(card.action_open()["res_model"], "relance.payment.plan")

        # Paid on 03-16: Reminder 2 of the missed instalment never goes out.
        with freeze_time("2026-03-16"):
            self._relance_reconcile_paid(invoice, 400.0)
        self.assertFalse(self._run_days("2026-03-16", "2026-03-20"))
        self.assertEqual(invoice.relance_state, "plan")
        # The last instalment (04-10) is not paid on time either: overdue
        # from 04-11, its Reminder 1 would come on 04-13.
        self.assertFalse(self._run_days("2026-03-21", "2026-04-12"))
        self.assertEqual(invoice.relance_state, "overdue")
        self.assertEqual(len(invoice.relance_event_ids), 2, "R1, R1 of instalment 2")
        # The last instalment paid: the plan is done, the invoice paid.
        with freeze_time("2026-04-13"):
            self._relance_reconcile_paid(invoice, 400.0)
        self.assertEqual(plan.state, "done")
        self.assertEqual(invoice.relance_state, "paid")

    def test_customer_plan_covers_every_open_invoice(self):
        """From the customer: both open invoices in one plan; a payment of
        the first invoice settles the instalments in date order."""
        with freeze_time("2026-01-01"):
            first = self._relance_invoice(due="2026-01-20", amount=1000.0)
            second = self._relance_invoice(due="2026-01-25", amount=500.0)
            other = self._relance_invoice(
                self._relance_customer("Other"), due="2026-01-20", amount=300.0
            )
        with freeze_time("2026-01-28"):
            plan = self._agree(
                self.customer, instalment_count=3, first_date=self._day("2026-02-05")
            )
        self.assertEqual(plan.move_ids, first | second)
        self.assertEqual(plan.amount_total, 1500.0)
        self.assertEqual(plan.line_ids.mapped("amount"), [500.0, 500.0, 500.0])
        self.assertEqual((first | second).relance_plan_id, plan)
        self.assertFalse(other.relance_plan_id)
        self.assertEqual(self.customer.relance_plan_count, 1)
        with freeze_time("2026-02-05"):
            self._relance_reconcile_paid(first)
            self.assertEqual(
                plan.line_ids.mapped("state"), ["paid", "paid", "to_pay"], "1000 paid"
            )
        self.assertEqual(str(second.relance_due_date), "2026-04-05")
        with freeze_time("2026-04-08"):
            self.assertEqual(second.relance_next_date, self._day("2026-04-08"))

    def test_wrong_plans_are_refused(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200.0)
            other = self._relance_invoice(
                self._relance_customer("Other"), due="2026-01-20", amount=300.0
            )
        with freeze_time("2026-01-26"):
            with self.assertRaisesRegex(UserError, "add up to"):
                self._agree(
                    invoice, lines=[("2026-02-10", 500.0), ("2026-03-10", 500.0)]
                )
            with self.assertRaisesRegex(UserError, "in the past"):
                self._agree(
                    invoice, lines=[("2026-01-10", 600.0), ("2026-03-10", 600.0)]
                )
            with self.assertRaisesRegex(UserError, "own date"):
                self._agree(
                    invoice, lines=[("2026-03-10", 600.0), ("2026-03-10", 600.0)]
                )
            with self.assertRaisesRegex(UserError, "single customer"):
                (invoice | other).action_relance_payment_plan()
            self._agree(invoice)
            with self.assertRaisesRegex(UserError, "already follow a payment plan"):
                self.env["relance.payment.schedule"].create(
                    {
                        "partner_id": self.customer.id,
                        "company_id": self.company.id,
                        "currency_id": invoice.currency_id.id,
                        "move_ids": invoice.ids,
                    }
                ).action_confirm()
        self.assertEqual(len(invoice.relance_plan_id), 1)

    def test_cancelled_plan_resumes_one_step(self):
        """A formal notice waiting for validation is cancelled by the plan;
        the plan cancelled on 03-01, the invoice goes back to its own due
        date and moves one step only: Reminder 2, not a burst."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200.0)
        self._run_days("2026-01-23", "2026-01-23")
        with freeze_time("2026-01-26"):
            plan = self._agree(invoice, first_date=self._day("2026-02-10"))
        with freeze_time("2026-03-01"):
            plan.action_cancel()
        self.assertEqual(plan.state, "cancelled")
        self.assertFalse(invoice.relance_plan_id)
        self.assertIn("Payment plan cancelled", invoice.message_ids[0].body)
        sent = self._run_days("2026-03-01", "2026-03-01")
        self.assertEqual(len(sent["2026-03-01"]), 1)
        self.assertIn("second reminder", sent["2026-03-01"].subject)
        self.assertFalse(
            invoice.relance_event_ids.filtered(lambda e: e.kind == "formal_notice")
        )

    def test_plan_cancels_steps_waiting_for_validation(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200.0)
        self._run_days("2026-01-23", "2026-02-15")
        notice = invoice.relance_event_ids.filtered(lambda e: e.kind == "formal_notice")
        self.assertEqual(notice.state, "draft")
        with freeze_time("2026-02-16"):
            self._agree(invoice, first_date=self._day("2026-03-01"))
            self.assertEqual(invoice.relance_state, "plan")
        self.assertEqual(notice.state, "cancelled")
        self.assertEqual(notice.note, "Payment plan agreed.")
        self.assertFalse(self._run_days("2026-02-16", "2026-03-03"))
