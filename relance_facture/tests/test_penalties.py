from odoo import Command
from odoo.exceptions import UserError
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestPenalties(RelanceCommon):
    """SPEC §8: penalties day by day on what is still unpaid, to the cent."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.relance_fr_rules = True
        cls.consumer = cls._relance_customer(
            "Marie Curie", "marie@example.com", is_company=False
        )

    def _details(self, move, day):
        with freeze_time(day):
            move.invalidate_recordset(
                ["relance_penalty_amount", "relance_indemnity_amount"]
            )
            return (
                move.relance_penalty_amount,
                move.relance_indemnity_amount,
                move.relance_penalty_note or "",
            )

    def test_example_1_b2b_paid_32_days_late(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        self._relance_reconcile_paid(invoice, day=self._day("2026-02-16"))
        self.assertEqual(self._details(invoice, "2026-03-01")[:2], (127.82, 40.0))

    def test_example_2_b2b_partial_payments_across_1_july(self):
        invoice = self._relance_invoice(due="2025-06-15", amount=10000)
        self._relance_reconcile_paid(invoice, amount=4000, day=self._day("2025-07-10"))
        self._relance_reconcile_paid(invoice, amount=6000, day=self._day("2025-07-31"))
        detail = invoice._relance_penalty_details(self._day("2025-09-01"))[invoice]
        self.assertEqual((detail["penalty"], detail["indemnity"]), (129.27, 40.0))
        self.assertEqual(
            [
                (str(s), days, float(balance), rate)
                for s, _e, days, balance, rate in detail["segments"]
            ],
            [
                ("2025-06-16", 15, 10000.0, 13.15),
                ("2025-07-01", 10, 10000.0, 12.15),
                ("2025-07-11", 21, 6000.0, 12.15),
            ],
        )

    def test_example_3_consumer_legal_interest_from_notice(self):
        invoice = self._relance_invoice(self.consumer, due="2026-01-10", amount=1200)
        self._relance_formal_notice(invoice, ack="2026-02-02")
        self._relance_reconcile_paid(invoice, day=self._day("2026-03-02"))
        self.assertEqual(self._details(invoice, "2026-03-10")[:2], (2.41, 0.0))

    def test_consumer_without_notice_owes_nothing(self):
        invoice = self._relance_invoice(self.consumer, due="2026-01-10", amount=1200)
        self.assertEqual(self._details(invoice, "2026-03-10")[:2], (0.0, 0.0))

    def test_crossing_1_january(self):
        invoice = self._relance_invoice(due="2024-12-15", amount=10000)
        self._relance_reconcile_paid(invoice, day=self._day("2025-01-10"))
        # 16 days x 14.25 % + 10 days x 13.15 %, on 10,000
        self.assertEqual(self._details(invoice, "2025-02-01")[:2], (98.49, 40.0))

    def test_paid_before_due_date(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        self._relance_reconcile_paid(invoice, day=self._day("2026-01-10"))
        self.assertEqual(self._details(invoice, "2026-03-01")[:2], (0.0, 0.0))

    def test_unpaid_runs_to_today(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        # 32 days late on 16/02, still unpaid
        self.assertEqual(self._details(invoice, "2026-02-16")[:2], (127.82, 40.0))
        self.assertEqual(self._details(invoice, "2026-01-15")[:2], (0.0, 0.0))

    def test_three_partial_payments(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=9000)
        for day in ("2026-01-20", "2026-01-25", "2026-01-30"):
            self._relance_reconcile_paid(invoice, amount=3000, day=self._day(day))
        # 5 days x 9000 + 5 x 6000 + 5 x 3000 at 12.15 % = 29.96 (rounded once)
        self.assertEqual(self._details(invoice, "2026-03-01")[:2], (29.96, 40.0))

    def test_reversing_credit_note_reduces_base_from_due_date(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=10000)
        refund = self.env["account.move"].create(
            {
                "move_type": "out_refund",
                "partner_id": self.customer.id,
                "invoice_date": "2026-02-01",
                "reversed_entry_id": invoice.id,
                "invoice_line_ids": [
                    Command.create(
                        {"name": "Returned", "price_unit": 2000, "tax_ids": []}
                    )
                ],
            }
        )
        refund.action_post()  # a credit note of the invoice is matched with it
        self.assertEqual(invoice.amount_residual, 8000)
        # 8,000 x 12.15 % x 32 / 365
        self.assertEqual(self._details(invoice, "2026-02-16")[:2], (85.22, 40.0))

    def test_contractual_rate_floor(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        self.customer.relance_penalty_rate = 5.0  # floor: 3 x 2.62 = 7.86
        penalty, indemnity, note = self._details(invoice, "2026-02-16")
        self.assertEqual((penalty, indemnity), (127.82, 40.0), "legal default applies")
        self.assertIn("below 3", note)
        self.customer.relance_penalty_rate = 15.0
        penalty, _indemnity, note = self._details(invoice, "2026-02-16")
        self.assertEqual(penalty, 157.81)
        self.assertFalse(note)
        self.assertIn(
            "legal floor",
            self.company._relance_rate_floor_warning(5.0, self._day("2026-02-01")),
        )
        self.assertFalse(
            self.company._relance_rate_floor_warning(15.0, self._day("2026-02-01"))
        )

    def test_collective_proceedings_no_indemnity(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        # opened before the due date: paying at the due date is forbidden
        # (L441-10 II) and penalties never start (L622-28)
        self.customer.relance_proceedings_date = "2026-01-10"
        penalty, indemnity, note = self._details(invoice, "2026-02-16")
        self.assertEqual((penalty, indemnity), (0.0, 0.0))
        self.assertIn("collective proceedings", note)

    def test_rules_switched_off(self):
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        self.company.relance_fr_rules = False
        self.assertEqual(self._details(invoice, "2026-02-16")[:2], (0.0, 0.0))

    def test_missing_semester_computes_nothing(self):
        """2026 H2 is not in the shipped table: no other semester's rate
        fills it, the invoice says so and computes no penalty (the 40 EUR
        does not depend on a rate)."""
        invoice = self._relance_invoice(due="2026-06-20", amount=12000)
        penalty, indemnity, note = self._details(invoice, "2026-07-10")
        self.assertEqual((penalty, indemnity), (0.0, 40.0))
        self.assertIn("no published rate for 2026 H2: penalties not computed", note)
        # the manager adds the semester: the penalty follows
        self.env["relance.rate"].create(
            {"date_start": "2026-07-01", "ecb_rate": 2.0, "legal_rate_other": 2.5}
        )
        penalty, _indemnity, note = self._details(invoice, "2026-07-10")
        # 10 days at 12.15 % and 10 days at 12.00 % on 12 000
        self.assertEqual(penalty, round(12000 * (0.1215 + 0.12) * 10 / 365, 2))
        self.assertNotIn("no published rate", note)

    def test_public_buyer_ecb_plus_8_of_first_semester(self):
        """R2192-31 CCP: the ECB rate of the semester in which the interest
        started to run, plus 8 points, for the whole period (3.15 % in 2025
        H1, even after 1 July)."""
        self.customer.relance_public_buyer = True
        invoice = self._relance_invoice(due="2025-06-20", amount=12000)
        penalty, indemnity, _note = self._details(invoice, "2025-07-10")
        # 20 days x 12 000 x 11.15 % / 365
        self.assertEqual((penalty, indemnity), (73.32, 40.0))
        mention = invoice._relance_invoice_legal_mention()
        self.assertIn("R2192-31", mention)
        self.assertNotIn("L441-10", mention)

    def test_invoice_due_in_2022_uses_2022_rate(self):
        """ECB 0.00 % in 2022 H1: 10.00 %, not the 12.50 % of 2023 H1."""
        invoice = self._relance_invoice(due="2022-03-15", amount=10000)
        penalty, indemnity, note = self._details(invoice, "2022-04-14")
        # 30 days x 10 000 x 10.00 % / 365
        self.assertEqual((penalty, indemnity), (82.19, 40.0))
        self.assertEqual(note, "")

    def test_indemnity_converted_from_euros(self):
        """The 40 EUR of D441-5 in the invoice's currency, at the invoice
        date's rate: never 40 units of another currency."""
        euro = self.env.ref("base.EUR")
        euro.active = True
        # 1 unit of the company's currency = 0.8 EUR: 40 EUR = 50.00
        self.env["res.currency.rate"].create(
            {
                "currency_id": euro.id,
                "name": "2025-12-01",
                "rate": 0.8,
                "company_id": self.company.id,
            }
        )
        self.assertNotEqual(self.company.currency_id, euro)
        invoice = self._relance_invoice(due="2026-01-15", amount=12000)
        penalty, indemnity, note = self._details(invoice, "2026-02-16")
        self.assertEqual((penalty, indemnity), (127.82, 50.0))
        self.assertIn("40 EUR = ", note)

    def test_penalty_invoice_from_customer(self):
        late = self._relance_invoice(due="2026-01-15", amount=12000)
        self._relance_invoice(due="2026-12-15", amount=500)  # not late: not included
        with freeze_time("2026-02-16"):
            self.customer.invalidate_recordset(["relance_penalty_total"])
            self.assertEqual(self.customer.relance_penalty_total, 167.82)
            action = self.customer.action_relance_create_penalty_invoice()
        penalty_invoice = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(penalty_invoice.state, "draft")
        self.assertEqual(penalty_invoice.partner_id, self.customer)
        self.assertEqual(
            sorted(penalty_invoice.invoice_line_ids.mapped("price_unit")),
            [40.0, 127.82],
        )
        self.assertFalse(
            penalty_invoice.invoice_line_ids.tax_ids, "no VAT on penalties"
        )
        self.assertEqual(penalty_invoice.amount_total, 167.82)
        self.assertEqual(late.relance_penalty_invoice_id, penalty_invoice)
        self.assertIn("L441-10", penalty_invoice.invoice_line_ids[0].name)
        # not twice
        with freeze_time("2026-02-20"), self.assertRaises(UserError):
            self.customer.action_relance_create_penalty_invoice()

    def test_penalty_invoice_from_formal_notice(self):
        late = self._relance_invoice(due="2026-01-15", amount=12000)
        notice = self._relance_formal_notice(late, ack="2026-02-10")
        with freeze_time("2026-02-16"):
            action = notice.action_relance_create_penalty_invoice()
        penalty_invoice = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(penalty_invoice.amount_total, 167.82)
        self.assertEqual(late.relance_penalty_invoice_id, penalty_invoice)
        self.assertEqual(penalty_invoice.relance_penalty_origin_ids, late)

    def test_email_states_penalties_for_professionals_only(self):
        with freeze_time("2026-01-01"):
            pro = self._relance_invoice(due="2026-01-20", amount=12000)
            self._relance_invoice(self.consumer, due="2026-01-20", amount=1200)
        with self.mock_mail_gateway(), freeze_time("2026-02-01"):
            self._relance_run()
            pro_mail = self._new_mails.filtered(
                lambda m: m.recipient_ids == self.customer
            )
            consumer_mail = self._new_mails.filtered(
                lambda m: m.recipient_ids == self.consumer
            )
        self.assertIn("L441-10", pro_mail.body_html)
        self.assertIn("47.93", pro_mail.body_html)  # 12 days x 12,000 x 12.15 %
        self.assertIn("40.00", pro_mail.body_html)
        self.assertNotIn("L441-10", consumer_mail.body_html)
        self.assertTrue(pro.relance_event_ids)

    def _relance_formal_notice(self, invoice, ack):
        level = self.profile_standard.level_ids.filtered(
            lambda lvl: lvl.kind == "formal_notice"
        )
        event = (
            self.env["relance.event"]
            .sudo()
            .create(
                {
                    "move_id": invoice.id,
                    "partner_id": invoice.commercial_partner_id.id,
                    "level_id": level.id,
                    "company_id": invoice.company_id.id,
                    "currency_id": invoice.currency_id.id,
                    "channel": "formal_notice",
                    "state": "sent",
                    "date": "2026-01-30",
                }
            )
        )
        return (
            self.env["relance.dispatch"]
            .sudo()
            .create(
                {
                    "partner_id": invoice.commercial_partner_id.id,
                    "company_id": invoice.company_id.id,
                    "currency_id": invoice.currency_id.id,
                    "channel": "formal_notice",
                    "level_id": level.id,
                    "date": "2026-01-30",
                    "state": "sent",
                    "ack_date": ack,
                    "event_ids": [Command.set(event.ids)],
                }
            )
        )
