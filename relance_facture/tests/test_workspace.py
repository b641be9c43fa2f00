from odoo import fields
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestWorkspace(RelanceCommon):
    """The workspace counts today's work on cards that open the right list."""

    def _card(self, code):
        return self.env["relance.workspace"].search([("code", "=", code)])

    def _event(self, move, level, state, **values):
        return (
            self.env["relance.event"]
            .sudo()
            .create(
                {
                    "move_id": move.id,
                    "partner_id": move.commercial_partner_id.id,
                    "level_id": level.id,
                    "company_id": move.company_id.id,
                    "currency_id": move.currency_id.id,
                    "channel": "email",
                    "state": state,
                    "user_id": self.env.uid,
                    **values,
                }
            )
        )

    def _open(self, code):
        action = self._card(code).action_open()
        return self.env[action["res_model"]].search(action["domain"]), action

    def test_empty_workspace_counts_nothing(self):
        cards = self.env["relance.workspace"].search([])
        self.assertEqual(
            cards.mapped("code"),
            [
                "to_validate",
                "answers",
                "replies",
                "calls",
                "failed",
                "letters",
                "promises",
                "disputes",
                "plans",
            ],
        )
        self.assertEqual(cards.mapped("count"), [0] * 9)

    def test_cards_count_and_open_todays_work(self):
        today = fields.Date.context_today(self.env.user)
        notice_move = self._relance_invoice(due=fields.Date.add(today, days=-30))
        failed_move = self._relance_invoice(due=fields.Date.add(today, days=-5))
        promised = self._relance_invoice(due=fields.Date.add(today, days=-10))
        promised_later = self._relance_invoice(due=fields.Date.add(today, days=-10))
        disputed = self._relance_invoice(due=fields.Date.add(today, days=-10))
        notice = self._event(
            notice_move,
            self.env.ref("relance_facture.level_standard_5"),
            "draft",
            channel="formal_notice",
        )
        failed = self._event(
            failed_move,
            self.env.ref("relance_facture.level_standard_3"),
            "failed",
            note="The customer has no email address.",
        )
        promised.relance_promise_date = today
        promised_later.relance_promise_date = fields.Date.add(today, days=3)
        disputed.write({"relance_dispute": True, "relance_dispute_reason": "Broken"})
        self.assertEqual(disputed.relance_dispute_date, today)
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        other_user = self.env["res.users"].create(
            {"name": "Other Clerk", "login": "other_clerk_ws"}
        )
        for user in (self.env.user, other_user):
            self.customer.activity_schedule(
                activity_type_id=call_type.id, user_id=user.id, summary="Call"
            )
        letter = (
            self.env["relance.dispatch"]
            .sudo()
            .create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "letter",
                    "state": "sent",
                }
            )
        )
        self.env["relance.dispatch"].sudo().create(
            {
                "partner_id": self.customer.id,
                "company_id": self.company.id,
                "currency_id": self.company.currency_id.id,
                "channel": "letter",
                "state": "sent",
                "printed": True,
                # one letter a day per customer: this one went yesterday
                "date": fields.Date.subtract(today, days=1),
            }
        )

        cards = self.env["relance.workspace"].search([])
        self.assertEqual(
            {card.code: card.count for card in cards},
            {
                "to_validate": 1,
                "answers": 0,
                "replies": 0,
                "calls": 2,
                "failed": 1,
                "letters": 1,
                "promises": 1,
                "disputes": 1,
                "plans": 0,
            },
        )
        self.assertEqual(self._card("calls").my_count, 1)

        records, action = self._open("to_validate")
        self.assertEqual(records, notice)
        records, action = self._open("failed")
        self.assertEqual(records, failed)
        failed_list = self.env.ref("relance_facture.relance_event_view_list_failed")
        self.assertEqual(tuple(action["views"][0]), (failed_list.id, "list"))
        records, action = self._open("calls")
        self.assertEqual(len(records), 2)
        self.assertEqual(action["context"], {"search_default_filter_user_id_uid": 1})
        outcome = records[0].action_relance_call_outcome()
        self.assertEqual(outcome["res_model"], "relance.call.outcome")
        self.assertEqual(outcome["context"]["active_ids"], self.customer.ids)
        records, _action = self._open("letters")
        self.assertEqual(records, letter)
        records, _action = self._open("promises")
        self.assertEqual(records, promised)
        records, _action = self._open("disputes")
        self.assertEqual(records, disputed)

    def test_old_dispute_is_not_new(self):
        with freeze_time("2026-01-05"):
            move = self._relance_invoice(due="2026-01-01")
            move.write({"relance_dispute": True, "relance_dispute_reason": "Late"})
            self.assertEqual(move.relance_dispute_date, self._day("2026-01-05"))
        with freeze_time("2026-01-12"):
            self.assertEqual(self._card("disputes").count, 1)
        self.env.invalidate_all()
        with freeze_time("2026-01-13"):
            self.assertEqual(self._card("disputes").count, 0)
        move.relance_dispute = False
        self.assertFalse(move.relance_dispute_date)

    def test_retry_failed_send(self):
        """A step that failed for want of an email address is sent again once
        the address is known."""
        customer = self._relance_customer(
            "Sans Mail SAS", profile=self.profile_standard
        )
        today = fields.Date.context_today(self.env.user)
        move = self._relance_invoice(customer, due=fields.Date.add(today, days=-4))
        event = self._event(
            move,
            self.env.ref("relance_facture.level_standard_3"),
            "failed",
            note="No email.",
        )
        customer.email = "compta@sansmail.example"
        with self.mock_mail_gateway():
            result = event.action_relance_retry()
        self.assertEqual(event.state, "sent")
        self.assertEqual(result["params"]["type"], "success")
        self.assertEqual(len(self._new_mails), 1)
        self.assertEqual(self._card("failed").count, 0)


@tagged("post_install", "-at_install", "relance_facture")
class TestCustomerStage(RelanceCommon):
    """Customers are filed under the furthest stage of their open invoices."""

    @freeze_time("2026-02-05")
    def test_stage_follows_invoices(self):
        self.customer.relance_profile_id = self.profile_standard
        first = self._relance_invoice(due="2026-02-01")
        older = self._relance_invoice(due="2026-01-10")
        calm = self._relance_customer("Calme SA", "calme@example.com")
        self._relance_invoice(calm, due="2026-03-01")
        with self.mock_mail_gateway():
            self._relance_run()
        self.assertEqual(first.relance_state, "reminder_1")
        self.assertEqual(older.relance_state, "to_validate")
        self.assertEqual(self.customer.relance_stage, "to_validate")
        self.assertFalse(calm.relance_stage)
        partners = self.env["res.partner"].search([("relance_stage", "!=", False)])
        self.assertIn(self.customer, partners)
        self.assertNotIn(calm, partners)
        groups = self.env["res.partner"].read_group(
            [("relance_stage", "!=", False)], ["relance_stage"], ["relance_stage"]
        )
        # Every stage is a column, even when empty.
        self.assertEqual(
            [group["relance_stage"] for group in groups],
            [
                "overdue",
                "reminder_1",
                "reminder_2",
                "reminder_3",
                "to_validate",
                "formal_notice",
                "escalated",
                "proceedings",
            ],
        )
        self._relance_reconcile_paid(older)
        self.assertEqual(self.customer.relance_stage, "reminder_1")
        self._relance_reconcile_paid(first)
        self.assertFalse(self.customer.relance_stage)
