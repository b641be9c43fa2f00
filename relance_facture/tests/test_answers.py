from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon

# A customer's reply as a mail server hands it to Odoo's gateway.
REPLY_EMAIL = """Return-Path: <{email_from}>
{headers}To: {to}
From: {email_from}
Subject: {subject}
Message-ID: <reply-{seq}@dupont.example>
In-Reply-To: {in_reply_to}
MIME-Version: 1.0
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: 8bit
Date: Fri, 23 Jan 2026 14:16:26 +0000

{body}
"""


@tagged("post_install", "-at_install", "relance_facture")
class TestAnswerRules(RelanceCommon):
    """What a customer's answer does to its ladder, its chatter and the
    person in charge (SPEC §12), whatever brought it (link or email)."""

    def _answer(self, invoices, kind, **values):
        return self.env["relance.answer"]._relance_record(
            {
                "kind": kind,
                "source": "portal",
                "partner_id": invoices.commercial_partner_id.id,
                "company_id": invoices.company_id.id,
                "move_ids": [fields.Command.set(invoices.ids)],
                **values,
            }
        )

    def _card(self, code):
        card = self.env["relance.workspace"].search([("code", "=", code)])
        card.invalidate_recordset(["count"])
        return card

    def test_already_paid_pauses_then_next_step_only(self):
        """Said paid on J+5: nothing goes out during the pause (5 days by
        default), the person in charge is asked to find the payment; after
        the pause the ladder takes up the next step only."""
        self.env.user.partner_id.email = "lead@example.com"
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        self.env.user.notification_type = "email"
        with self.mock_mail_gateway(), freeze_time("2026-01-25"):
            answer = self._answer(
                invoice,
                "paid",
                paid_date=fields.Date.to_date("2026-01-24"),
                payment_ref="VIR 4471",
            )
            # the person in charge is told by Odoo's activity notification
            notice = self._new_mails.filtered(
                lambda m: self.env.user.partner_id in m.recipient_ids
            )
            self.assertEqual(len(notice), 1, self._new_mails.mapped("subject"))
            self.assertIn("Find the payment", notice.body_html)
            self.assertEqual(invoice.relance_paused_until, self._day("2026-01-30"))
            self.assertEqual(invoice.relance_state, "paused")
        activity = answer.activity_ids
        self.assertEqual(activity.user_id, self.env.user)
        self.assertEqual(
            activity.summary, "Find the payment the customer says was made"
        )
        self.assertIn("VIR 4471", invoice.message_ids[0].body)
        self.assertIn("paid on 01/24/2026", self.customer.message_ids[0].body)
        with self.mock_mail_gateway(), freeze_time("2026-01-30"):
            self._relance_run()
            self.assertFalse(self._new_mails)
        with self.mock_mail_gateway(), freeze_time("2026-03-01"):
            # the second and third reminders' days went by during the pause
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("second reminder", self._new_mails.subject)

    def test_promise_and_dispute_pause_like_a_call(self):
        with freeze_time("2026-01-01"):
            promised = self._relance_invoice(due="2026-01-20")
            disputed = self._relance_invoice(due="2026-01-20", amount=300.0)
        with freeze_time("2026-01-22"):
            self._answer(
                promised, "promise", promise_date=fields.Date.to_date("2026-02-05")
            )
            self._answer(
                disputed,
                "dispute",
                dispute_type="quality",
                comment="The chairs arrived broken.",
            )
        self.assertEqual(promised.relance_promise_date, self._day("2026-02-05"))
        self.assertTrue(disputed.relance_dispute)
        self.assertEqual(disputed.relance_dispute_type, "quality")
        self.assertEqual(disputed.relance_dispute_reason, "The chairs arrived broken.")
        with self.mock_mail_gateway(), freeze_time("2026-02-07"):
            # promise date + 3 days of grace: still quiet
            self._relance_run()
            self.assertFalse(self._new_mails)
        self.assertEqual(disputed.relance_state, "paused")

    def test_plan_request_opens_the_plan_wizard(self):
        with freeze_time("2026-01-01"):
            invoices = self._relance_invoice(due="2026-01-20") | self._relance_invoice(
                due="2026-01-25", amount=800.0
            )
        with freeze_time("2026-01-26"):
            answer = self._answer(invoices, "plan", instalment_count=4)
            self.assertEqual(
                answer.activity_ids.summary, "Agree a payment plan with the customer"
            )
            action = answer.action_relance_agree_plan()
        listed = answer.action_relance_open_invoices()
        self.assertEqual(self.env["account.move"].search(listed["domain"]), invoices)
        self.assertEqual(action["res_model"], "relance.payment.schedule")
        self.assertEqual(action["context"]["default_instalment_count"], 4)
        wizard = (
            self.env["relance.payment.schedule"]
            .with_context(**action["context"])
            .create({})
        )
        self.assertEqual(wizard.move_ids, invoices)
        self.assertEqual(wizard.amount_total, 2000.0)

    def test_workspace_counts_answers_until_handled(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        card = self._card("answers")
        self.assertEqual(card.count, 0)
        with freeze_time("2026-01-22"):
            answer = self._answer(
                invoice, "promise", promise_date=fields.Date.to_date("2026-02-01")
            )
            other = self._answer(invoice, "plan", instalment_count=3)
        self.assertEqual(self._card("answers").count, 2)
        answer.activity_ids.action_feedback(feedback="Noted")
        self.assertEqual(answer.state, "done")
        self.assertEqual(other.state, "new")
        self.assertEqual(self._card("answers").count, 1)
        other.action_relance_done()
        self.assertFalse(other.activity_ids)
        self.assertEqual(self._card("answers").count, 0)
        self.assertEqual(
            invoice.relance_customer_answer_ids, answer | other, "history per invoice"
        )

    def test_answers_of_another_company_stay_there(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with freeze_time("2026-01-22"):
            self._answer(invoice, "plan", instalment_count=3)
        other_company = self.setup_other_company(name="Other Co")["company"]
        card = (
            self.env["relance.workspace"]
            .with_context(allowed_company_ids=other_company.ids)
            .search([("code", "=", "answers")])
        )
        self.assertEqual(card.count, 0)
        self.assertFalse(
            self.env["relance.answer"]
            .with_context(allowed_company_ids=other_company.ids)
            .search([])
        )


@tagged("post_install", "-at_install", "relance_facture")
class TestReminderReplies(RelanceCommon):
    """A reply to a reminder email, through Odoo's mail gateway."""

    def _reminder_mail(self):
        with freeze_time("2026-01-01"):
            self.invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            mail = self._new_mails
        self.assertEqual(len(mail), 1)
        return mail

    def _reply(self, mail, body, email_from="compta@dupont.example", seq=1, headers=""):
        raw = REPLY_EMAIL.format(
            headers=headers,
            email_from=email_from,
            to=mail.reply_to or "compta@example.com",
            subject=f"Re: {mail.subject}",
            in_reply_to=mail.message_id,
            seq=seq,
            body=body,
        )
        return self.env["mail.thread"].sudo().message_process(None, raw)

    def test_reply_lands_on_the_reminder_and_pauses_the_customer(self):
        mail = self._reminder_mail()
        dispatch = self.env["relance.dispatch"].browse(mail.res_id)
        self.assertEqual(mail.model, "relance.dispatch")
        with freeze_time("2026-01-24"):
            other = self._relance_invoice(due="2026-02-15", amount=50.0)
            thread_id = self._reply(
                mail, "We never received the goods of this invoice."
            )
        self.assertEqual(thread_id, dispatch.id)
        reply = dispatch.message_ids.filtered(lambda m: m.message_type == "email")
        self.assertIn("never received the goods", reply.body)
        answer = dispatch.reply_ids
        self.assertEqual(answer.kind, "reply")
        self.assertEqual(answer.source, "email")
        self.assertEqual(answer.message_answer_id, reply)
        self.assertEqual(answer.move_ids, self.invoice)
        # the customer's whole ladder waits 7 days (the setting)
        self.assertEqual(self.invoice.relance_paused_until, self._day("2026-01-31"))
        self.assertEqual(other.relance_paused_until, self._day("2026-01-31"))
        self.assertEqual(answer.activity_ids.summary, "Answer the customer's reply")
        self.assertEqual(answer.activity_ids.user_id, self.env.user)
        card = self.env["relance.workspace"].search([("code", "=", "replies")])
        self.assertEqual(card.count, 1)
        with self.mock_mail_gateway(), freeze_time("2026-01-30"):
            self._relance_run()
            self.assertFalse(self._new_mails)

    def test_answer_from_the_chatter_clears_the_reply(self):
        mail = self._reminder_mail()
        dispatch = self.env["relance.dispatch"].browse(mail.res_id)
        with freeze_time("2026-01-24"):
            self._reply(mail, "Can we talk about it?")
        answer = dispatch.reply_ids
        self.assertEqual(answer.state, "new")
        # an internal note does not answer the customer
        dispatch.message_post(body="Checking with sales", message_type="comment")
        self.assertEqual(answer.state, "new")
        with self.mock_mail_gateway():
            dispatch.message_post(
                body="Of course, call us on Monday.",
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=dispatch.recipient_id.ids,
            )
        self.assertEqual(answer.state, "done")
        self.assertFalse(answer.activity_ids)
        card = self.env["relance.workspace"].search([("code", "=", "replies")])
        card.invalidate_recordset(["count"])
        self.assertEqual(card.count, 0)

    def test_out_of_office_pauses_nothing(self):
        mail = self._reminder_mail()
        dispatch = self.env["relance.dispatch"].browse(mail.res_id)
        with freeze_time("2026-01-24"):
            self._reply(
                mail,
                "I am out of the office until February 2.",
                headers="Auto-Submitted: auto-replied\n",
            )
        # in the reminder's chatter, but no answer, no pause, no activity
        self.assertIn(
            "out of the office",
            dispatch.message_ids.filtered(lambda m: m.message_type == "email").body,
        )
        self.assertFalse(dispatch.reply_ids)
        self.assertFalse(self.invoice.relance_paused_until)
        with freeze_time("2026-01-24"):
            self._reply(mail, "Received, we pay Friday.", seq=2)
        self.assertEqual(len(dispatch.reply_ids), 1)

    def test_dispatches_carry_no_follower_nor_creation_note(self):
        mail = self._reminder_mail()
        dispatch = self.env["relance.dispatch"].browse(mail.res_id)
        self.assertFalse(dispatch.message_follower_ids)
        self.assertEqual(
            dispatch.message_ids.mapped("message_type"), ["email_outgoing"]
        )
