from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo.tests import freeze_time, tagged

from .common import RelanceCommon

TODAY = "2026-06-15"


@tagged("post_install", "-at_install", "relance_facture")
class TestStrictness(RelanceCommon):
    """SPEC §3: profiles chosen from payment history, figures per customer."""

    def _history(self, partner, specs):
        """specs: (due date, amount, paid date or None)."""
        moves = self.env["account.move"]
        for due, amount, paid in specs:
            move = self._relance_invoice(partner, due=due, amount=amount)
            if paid:
                self._relance_reconcile_paid(move, day=self._day(str(paid)))
            moves |= move
        return moves

    def _refresh(self, partners, day=TODAY):
        with freeze_time(day):
            # as the daily run does it (the scheduler)
            Stat = self.env["relance.partner.stat"].sudo()
            Stat._relance_refresh(partners, self.company, self._day(day))
            self.env["res.partner"].sudo()._relance_apply_rules(partners, self.company)
        partners.invalidate_recordset()
        return Stat.search(
            [("partner_id", "in", partners.ids), ("company_id", "=", self.company.id)]
        )

    def _paid_on_time(self, count, first_due="2024-09-01", late_days=0):
        due = self._day(first_due)
        return [
            (
                str(due + timedelta(days=30 * i)),
                1000.0,
                due + timedelta(days=30 * i + late_days),
            )
            for i in range(count)
        ]

    def test_new_customer_boundaries(self):
        months_11 = self._relance_customer("Eleven", "a@example.com")
        months_12 = self._relance_customer("Twelve", "b@example.com")
        today = self._day(TODAY)
        for partner, months in ((months_11, 11), (months_12, 12)):
            start = today - relativedelta(months=months)
            specs = [
                (
                    str(start + timedelta(days=30 + 20 * i)),
                    500.0,
                    start + timedelta(days=30 + 20 * i),
                )
                for i in range(3)
            ]
            self._history(partner, specs)
            self._relance_invoice(
                partner,
                due=str(start + timedelta(days=30)),
                amount=10,
                invoice_date=start,
            )
        two_paid = self._relance_customer("Two paid", "c@example.com")
        three_paid = self._relance_customer("Three paid", "d@example.com")
        self._history(two_paid, self._paid_on_time(2, "2024-01-10"))
        self._history(three_paid, self._paid_on_time(3, "2024-01-10"))
        stats = self._refresh(months_11 | months_12 | two_paid | three_paid)
        rule = {s.partner_id: s.rule for s in stats}
        self.assertEqual(rule[months_11], "new")
        self.assertNotEqual(rule[months_12], "new")
        self.assertEqual(rule[two_paid], "new")
        self.assertNotEqual(rule[three_paid], "new")
        self.assertEqual(months_11.relance_profile_id, self.profile_strict)
        self.assertIn("new customer", months_11.relance_profile_reason)

    def test_risky_average_days_late_30_vs_31(self):
        late_30 = self._relance_customer("Thirty", "e@example.com")
        late_31 = self._relance_customer("Thirty-one", "f@example.com")
        self._history(late_30, self._paid_on_time(3, "2023-01-10"))
        self._history(late_31, self._paid_on_time(3, "2023-01-10"))
        self._history(late_30, self._paid_on_time(4, "2025-09-01", late_days=30))
        self._history(late_31, self._paid_on_time(4, "2025-09-01", late_days=31))
        stats = self._refresh(late_30 | late_31)
        by_partner = {s.partner_id: s for s in stats}
        self.assertAlmostEqual(by_partner[late_30].avg_days_late, 30.0)
        self.assertAlmostEqual(by_partner[late_31].avg_days_late, 31.0)
        self.assertEqual(by_partner[late_30].rule, "standard")
        self.assertEqual(by_partner[late_31].rule, "risky")
        self.assertTrue(late_31.relance_chronic)
        self.assertFalse(late_30.relance_chronic)
        self.assertIn("late 31 days on average", late_31.relance_profile_reason)
        chronic = self.env["res.partner"].search([("relance_chronic", "=", True)])
        self.assertIn(late_31, chronic)
        self.assertNotIn(late_30, chronic)

    def test_loyal_share_89_vs_90(self):
        ninety = self._relance_customer("Ninety", "g@example.com")
        eighty_nine = self._relance_customer("Eighty-nine", "h@example.com")
        # 10 paid in 24 months, 9 by J+5 -> 90 %
        self._history(ninety, self._paid_on_time(9, "2024-09-01", late_days=5))
        self._history(ninety, self._paid_on_time(1, "2026-04-01", late_days=6))
        # 9 paid, 8 by J+5 -> 88.9 %
        self._history(eighty_nine, self._paid_on_time(8, "2024-09-01", late_days=5))
        self._history(eighty_nine, self._paid_on_time(1, "2026-04-01", late_days=6))
        stats = self._refresh(ninety | eighty_nine)
        rule = {s.partner_id: s.rule for s in stats}
        self.assertEqual(rule[ninety], "loyal")
        self.assertEqual(rule[eighty_nine], "standard")
        self.assertEqual(ninety.relance_profile_id, self.profile_lenient)
        self.assertIn("loyal: 9 of 10 paid on time", ninety.relance_profile_reason)
        note = ninety.message_ids.filtered(lambda m: "Lenient" in (m.body or ""))
        self.assertEqual(len(note), 1, "the change of profile is in the chatter")
        self.assertIn("Standard", note.body)

    def test_formal_notice_11_vs_13_months_ago(self):
        recent = self._relance_customer("Recent notice", "i@example.com")
        old = self._relance_customer("Old notice", "j@example.com")
        today = self._day(TODAY)
        for partner, months in ((recent, 11), (old, 13)):
            moves = self._history(partner, self._paid_on_time(3, "2023-01-10"))
            self._notice_event(moves[0], today - relativedelta(months=months))
        stats = self._refresh(recent | old)
        rule = {s.partner_id: s.rule for s in stats}
        self.assertEqual(rule[recent], "risky")
        self.assertEqual(
            rule[old], "standard", "a notice within 24 months is not loyal"
        )
        self.assertIn(
            "formal notice in the last 12 months", recent.relance_profile_reason
        )

    def test_weighted_days_late_partial_and_unpaid(self):
        partner = self._relance_customer("Weighted", "k@example.com")
        self._history(partner, self._paid_on_time(3, "2023-01-10"))
        # 1000 due 2026-05-01: 400 paid 10 days late, 600 still unpaid (45 days)
        move = self._relance_invoice(partner, due="2026-05-01", amount=1000)
        self._relance_reconcile_paid(move, amount=400, day=self._day("2026-05-11"))
        # 3000 due 2026-03-01 paid 20 days late
        self._history(partner, [("2026-03-01", 3000.0, self._day("2026-03-21"))])
        stat = self._refresh(partner)
        # (400 x 10 + 600 x 45 + 3000 x 20) / 4000 = 22.75
        self.assertAlmostEqual(stat.avg_days_late, 22.75)
        self.assertEqual(stat.total_overdue, 600)
        self.assertEqual(stat.oldest_overdue_days, 45)
        self.assertAlmostEqual(partner.relance_avg_days_late, 22.75)

    def test_two_years_of_one_customer(self):
        """new -> standard -> loyal -> risky proposed, accepted -> strict;
        a manual customer beside it is never touched."""
        partner = self._relance_customer("Life", "l@example.com")
        manual = self._relance_customer("Manual", "m@example.com", self.profile_lenient)
        both = partner | manual
        self._history(partner, [("2024-07-01", 1000.0, self._day("2024-07-01"))])
        self._history(manual, [("2024-07-01", 1000.0, self._day("2024-08-30"))])
        self._refresh(both, "2024-07-15")
        self.assertEqual(partner.relance_profile_id, self.profile_strict, "new")
        self._history(partner, self._paid_on_time(3, "2024-08-01", late_days=2))
        self._refresh(both, "2025-08-01")
        self.assertEqual(partner.relance_profile_id, self.profile_standard)
        self._history(partner, self._paid_on_time(4, "2025-08-10", late_days=1))
        self._refresh(both, "2026-01-15")
        self.assertEqual(partner.relance_profile_id, self.profile_lenient, "loyal")
        late = self._relance_invoice(partner, due="2026-01-20", amount=5000)
        self._notice_event(late, self._day("2026-03-01"))
        stat = self._refresh(both, "2026-03-02").filtered(
            lambda s: s.partner_id == partner
        )
        self.assertEqual(stat.rule, "risky")
        self.assertEqual(
            partner.relance_profile_id, self.profile_lenient, "only proposed"
        )
        self.assertEqual(partner.relance_risky_decision, "proposed")
        proposal = partner.activity_ids.filtered(
            lambda a: a.activity_type_id
            == self.env.ref("relance_facture.mail_activity_type_relance_risky")
        )
        self.assertEqual(len(proposal), 1)
        self._refresh(both, "2026-03-03")
        self.assertEqual(len(partner.activity_ids), 1, "no nagging every night")
        with freeze_time("2026-03-03"):
            partner.action_relance_accept_strict()
        partner.invalidate_recordset()
        self.assertEqual(partner.relance_profile_id, self.profile_strict)
        self.assertFalse(proposal.exists())
        self._refresh(both, "2026-03-04")
        self.assertEqual(partner.relance_profile_id, self.profile_strict)
        self.assertEqual(manual.relance_profile_mode, "manual")
        self.assertEqual(manual.relance_profile_id, self.profile_lenient)

    def test_refused_proposal_is_remembered(self):
        partner = self._relance_customer("Refuse", "n@example.com")
        moves = self._history(partner, self._paid_on_time(3, "2023-01-10"))
        self._notice_event(moves[0], self._day("2026-03-01"))
        self._refresh(partner)
        with freeze_time(TODAY):
            partner.action_relance_refuse_strict()
        self._refresh(partner, "2026-06-16")
        self._refresh(partner, "2026-06-17")
        self.assertEqual(partner.relance_risky_decision, "refused")
        self.assertEqual(partner.relance_profile_id, self.profile_standard)
        self.assertFalse(partner.activity_ids)

    def test_profile_change_mid_ladder_no_resend_no_jump(self):
        """R1 sent under Standard; the invoice is moved to Strict at J+20:
        R1 is not sent again, and only R2 (not the formal notice) comes."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        self.assertEqual(invoice.relance_level_id.name, "Reminder 1")
        invoice.relance_profile_id = self.profile_strict
        with self.mock_mail_gateway(), freeze_time("2026-02-09"):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
            self.assertIn("second reminder", self._new_mails.subject)
        last = invoice.relance_event_ids.sorted("date")[-1]
        self.assertEqual(last.level_id.profile_id, self.profile_strict)
        self.assertEqual(last.level_id.name, "Reminder 2")
        self.assertEqual(
            invoice.relance_event_ids.filtered(
                lambda e: e.level_id.name == "Reminder 1"
            ).level_id,
            self.profile_standard.level_ids.filtered(
                lambda lvl: lvl.name == "Reminder 1"
            ),
        )

    def test_customer_profile_change_keeps_invoices_in_dunning(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
        self.customer.relance_profile_id = self.profile_strict
        self.assertEqual(invoice.relance_profile_id, self.profile_standard)

    def test_statistics_per_company(self):
        other = self.setup_other_company(name="Other Co")["company"]
        self._history(self.customer, [("2026-05-01", 1000.0, None)])
        with freeze_time("2026-01-01"):
            self._relance_invoice(
                due="2026-02-01", amount=300, invoice_date="2026-01-01", company=other
            )
        Stat = self.env["relance.partner.stat"]
        with freeze_time(TODAY):
            Stat._relance_refresh(self.customer, self.company, self._day(TODAY))
            Stat._relance_refresh(self.customer, other, self._day(TODAY))
        here = self.customer.with_company(self.company)
        there = self.customer.with_context(
            allowed_company_ids=[other.id, self.company.id]
        )
        self.assertEqual(here.relance_total_overdue, 1000)
        self.assertEqual(there.relance_total_overdue, 300)

    def test_nightly_cron_in_batches(self):
        partners = self.env["res.partner"].browse()
        for i in range(5):
            partner = self._relance_customer(f"Night {i}", f"n{i}@example.com")
            self._history(partner, [("2026-05-01", 100.0, None)])
            partners |= partner
        Stat = self.env["relance.partner.stat"]
        with freeze_time(TODAY):
            Stat._cron_refresh(batch_size=2)
            stats = Stat.search([("partner_id", "in", partners.ids)])
            self.assertEqual(len(stats), 5)
            self.assertEqual(set(stats.mapped("refreshed_on")), {self._day(TODAY)})
            self.assertFalse(
                Stat._relance_stale_partners(self.company, self._day(TODAY))
            )
        with freeze_time("2026-06-16"):
            self.assertEqual(
                len(
                    Stat._relance_stale_partners(self.company, self._day("2026-06-16"))
                    & partners
                ),
                5,
            )

    def test_refresh_query_count_constant(self):
        def customers(count, tag):
            partners = self.env["res.partner"].create(
                [{"name": f"Q{tag}{i}", "is_company": True} for i in range(count)]
            )
            moves = self.env["account.move"].create(
                [
                    {
                        "move_type": "out_invoice",
                        "partner_id": p.id,
                        "invoice_date": "2026-01-01",
                        "invoice_date_due": "2026-02-01",
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "x", "price_unit": 100, "tax_ids": []}
                            )
                        ],
                    }
                    for p in partners
                ]
            )
            moves.action_post()
            self.env.flush_all()
            return partners

        warmup, small, large = (
            customers(3, "w"),
            customers(10, "s"),
            customers(200, "l"),
        )
        refresh_counts, rules_counts = [], []
        for partners in (warmup, small, large):
            with freeze_time(TODAY):
                start = self.env.cr.sql_log_count
                self.env["relance.partner.stat"]._relance_refresh(
                    partners, self.company, self._day(TODAY)
                )
                refresh_counts.append(self.env.cr.sql_log_count - start)
                start = self.env.cr.sql_log_count
                self.env["res.partner"]._relance_apply_rules(partners, self.company)
                self.env.flush_all()
                rules_counts.append(self.env.cr.sql_log_count - start)
        stats = self.env["relance.partner.stat"].search(
            [("partner_id", "in", large.ids)]
        )
        self.assertEqual(len(stats), 200)
        self.assertEqual(set(stats.mapped("rule")), {"new"})
        self.assertEqual(
            len(large.filtered(lambda p: p.relance_profile_id == self.profile_strict)),
            200,
        )
        self.assertEqual(refresh_counts[1], refresh_counts[2], refresh_counts)
        # applying the profiles writes in bulk: only Odoo's own 100-row
        # INSERT/UPDATE batches (notes, profiles, invoices) add a query
        self.assertLessEqual(rules_counts[2] - rules_counts[1], 6, rules_counts)

    def _notice_event(self, move, day):
        level = self.profile_standard.level_ids.filtered(
            lambda lvl: lvl.kind == "formal_notice"
        )
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
                    "channel": "formal_notice",
                    "state": "sent",
                    "date": day,
                }
            )
        )
