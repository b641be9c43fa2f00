from odoo import Command
from odoo.exceptions import AccessError, UserError
from odoo.tests import freeze_time, new_test_user, tagged

from .common import RelanceCommon

DUE = "2026-01-10"
# Standard ladder: Reminder 1 at J+3.
R1_DAY = "2026-01-13"


@tagged("post_install", "-at_install", "relance_facture")
class TestTwoCompanies(RelanceCommon):
    """A French company in EUR and a British one in GBP share customers; one
    daily run reminds each company's invoices with its own settings,
    templates, sender and currency, and nothing mixes the two (SPEC §10)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.fr = cls._relance_company(
            "Acme France", "base.fr", "base.EUR", "compta@acme.fr"
        )
        cls.uk = cls._relance_company(
            "Acme Ltd", "base.uk", "base.GBP", "accounts@acme.co.uk"
        )
        # the test user works in the three companies at once
        cls.env = cls.env(
            context=dict(
                cls.env.context,
                allowed_company_ids=(cls.company | cls.fr | cls.uk).ids,
            )
        )
        # the British company reminds with a ladder and a template of its own
        template = cls.env.ref("relance_facture.mail_template_relance_reminder_1")
        uk_template = template.copy(
            {"subject": "Acme Ltd payment reminder {{ object.move_ids[0].name }}"}
        )
        cls.uk_profile = cls.profile_standard.copy(
            {"name": "UK Standard", "company_id": cls.uk.id}
        )
        r1 = cls.uk_profile.level_ids.filtered(
            lambda lvl: lvl.kind == "reminder" and lvl.reminder_number == 1
        )
        r1.mail_template_id = uk_template
        cls.uk.relance_default_profile_id = cls.uk_profile
        cls.fr.relance_default_profile_id = cls.profile_standard
        cls.shared = cls._relance_customer("Client Partagé", "ap@partage.example")

    @classmethod
    def _relance_company(cls, name, country, currency, email):
        currency = cls.env.ref(currency)
        currency.active = True
        # the generic chart: the French one may not be installed
        company = cls.setup_other_company(name=name, currency_id=currency.id)["company"]
        cls.change_company_country(company, cls.env.ref(country))
        company.write(
            {
                "email": email,
                "relance_default_user_id": cls.env.user.id,
                "relance_business_days": False,
                "street": "1 High Street",
                "zip": "75002",
                "city": "Paris" if country == "base.fr" else "London",
                "company_registry": "123 456 789",
            }
        )
        return company

    def _invoice(self, company, amount, partner=None, currency=None, due=DUE):
        with freeze_time("2026-01-01"):
            move = (
                self.env["account.move"]
                .with_company(company)
                .create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": (partner or self.shared).id,
                        "invoice_date": "2025-12-20",
                        "invoice_date_due": due,
                        "currency_id": (currency or company.currency_id).id,
                        "invoice_line_ids": [
                            Command.create(
                                {"name": "Service", "price_unit": amount, "tax_ids": []}
                            )
                        ],
                    }
                )
            )
            move.action_post()
        return move

    def _run(self, day):
        with self.mock_mail_gateway(), freeze_time(day):
            self._relance_run()
            return self._new_mails

    def _calls(self, partner):
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        return partner.activity_ids.filtered(lambda a: a.activity_type_id == call_type)

    # ------------------------------------------------------------------
    # Point 6: one run, two companies
    # ------------------------------------------------------------------
    def test_one_run_each_company_its_own_reminder(self):
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        letter_customer = self._relance_customer("Sans Courriel SARL")
        fr_letter = self._invoice(self.fr, 300.0, letter_customer)
        uk_letter = self._invoice(self.uk, 400.0, letter_customer)
        mails = self._run(R1_DAY)

        # one email per company, from its address, its template, its currency
        self.assertEqual(len(mails), 2)
        by_from = {mail.email_from: mail for mail in mails}
        self.assertEqual(
            set(by_from), {self.fr.email_formatted, self.uk.email_formatted}
        )
        fr_mail, uk_mail = (
            by_from[self.fr.email_formatted],
            by_from[self.uk.email_formatted],
        )
        self.assertEqual(fr_mail.recipient_ids, self.shared)
        self.assertEqual(uk_mail.recipient_ids, self.shared)
        self.assertIn("Acme France: reminder", fr_mail.subject)
        self.assertEqual(uk_mail.subject, f"Acme Ltd payment reminder {uk_move.name}")
        # (each company numbers its invoices: both are INV/2025/00001)
        self.assertIn(fr_move.name, fr_mail.body_html)
        self.assertIn("1,200.00", fr_mail.body_html)
        self.assertNotIn("800.00", fr_mail.body_html)
        self.assertIn("€", fr_mail.body_html)
        self.assertNotIn("£", fr_mail.body_html)
        self.assertIn(uk_move.name, uk_mail.body_html)
        self.assertIn("800.00", uk_mail.body_html)
        self.assertNotIn("1,200.00", uk_mail.body_html)
        self.assertIn("£", uk_mail.body_html)
        self.assertNotIn("€", uk_mail.body_html)

        # the history: each step under its company, ladder and currency
        self.assertEqual(fr_move.relance_event_ids.company_id, self.fr)
        self.assertEqual(
            fr_move.relance_event_ids.level_id.profile_id.company_id.id, False
        )
        self.assertEqual(uk_move.relance_event_ids.level_id.profile_id, self.uk_profile)
        self.assertEqual(
            uk_move.relance_event_ids.dispatch_id.currency_id, self.uk.currency_id
        )

        # letters: one per company for the customer without email
        letters = (fr_letter | uk_letter).relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "letter"
        )
        self.assertEqual(len(letters), 2)
        for letter in letters:
            self.assertEqual(len(letter.move_ids), 1)
            self.assertEqual(letter.move_ids.company_id, letter.company_id)
            self.assertEqual(letter.currency_id, letter.company_id.currency_id)

        # statistics: each company counts its own invoices and reminders
        Stat = self.env["relance.partner.stat"]
        with freeze_time(R1_DAY):
            for company in (self.fr, self.uk):
                Stat._relance_refresh(self.shared, company, self._day(R1_DAY))
        stats = {
            stat.company_id: stat
            for stat in Stat.search([("partner_id", "=", self.shared.id)])
        }
        self.assertEqual(stats[self.fr].total_overdue, 1200.0)
        self.assertEqual(stats[self.uk].total_overdue, 800.0)
        self.assertEqual(stats[self.fr].reminder_count_12m, 1)
        self.assertEqual(stats[self.uk].reminder_count_12m, 1)

    def test_each_company_its_own_law_and_gap(self):
        """French rules follow the company's country: the French invoice
        counts penalties and the 40 EUR indemnity, the British one none; the
        minimum gap between two messages is each company's own."""
        self.assertTrue(self.fr.relance_fr_rules)
        self.assertFalse(self.uk.relance_fr_rules)
        self.fr.relance_min_gap_days = 5
        self.uk.relance_min_gap_days = 20
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        self._run(R1_DAY)
        with freeze_time("2026-02-10"):
            fr_move.invalidate_recordset()
            uk_move.invalidate_recordset()
            self.assertGreater(fr_move.relance_penalty_amount, 0.0)
            self.assertEqual(fr_move.relance_indemnity_amount, 40.0)
            self.assertEqual(uk_move.relance_penalty_amount, 0.0)
            self.assertEqual(uk_move.relance_indemnity_amount, 0.0)
        # Reminder 2 is due at J+12 (22 January); on the 25th, 12 days after
        # Reminder 1,
        # past the French gap, inside the British one
        mails = self._run("2026-01-25")
        self.assertEqual(mails.mapped("email_from"), [self.fr.email_formatted])
        self.assertEqual(len(uk_move.relance_event_ids), 1)
        self.assertEqual(len(fr_move.relance_event_ids), 2)

    # ------------------------------------------------------------------
    # Focused: activities
    # ------------------------------------------------------------------
    def test_call_activities_per_company(self):
        """A phone-first customer of both companies gets one call per
        company; the call logged for one company cancels only that
        company's waiting email."""
        self.shared.relance_preferred_channel = "phone"
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        self._run(R1_DAY)
        calls = self._calls(self.shared)
        self.assertEqual(len(calls), 2)
        by_company = {call.relance_company_id: call for call in calls}
        self.assertEqual(set(by_company), {self.fr, self.uk})
        # (each company numbers its invoices: tell them by amount)
        self.assertIn(fr_move.name, str(by_company[self.fr].note))
        self.assertIn("1,200.00", str(by_company[self.fr].note))
        self.assertNotIn("800.00", str(by_company[self.fr].note))
        self.assertIn(uk_move.name, str(by_company[self.uk].note))
        self.assertIn("800.00", str(by_company[self.uk].note))

        # the workspace counts the calls of the companies selected
        card = self.env.ref("relance_facture.relance_workspace_calls")
        self.assertEqual(card.with_context(allowed_company_ids=self.fr.ids).count, 1)
        self.assertEqual(
            card.with_context(allowed_company_ids=(self.fr | self.uk).ids).count, 2
        )

        # a re-run of the same day stacks nothing
        self._run(R1_DAY)
        self.assertEqual(len(self._calls(self.shared)), 2)

        held = (fr_move | uk_move).relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "email"
        )
        self.assertEqual(held.mapped("state"), ["held", "held"])
        with freeze_time("2026-01-14"):
            by_company[self.fr].action_feedback(feedback="Reached")
        fr_email = held.filtered(lambda d: d.company_id == self.fr)
        uk_email = held.filtered(lambda d: d.company_id == self.uk)
        self.assertEqual(fr_email.state, "cancelled")
        self.assertEqual(uk_email.state, "held")
        self.assertEqual(self._calls(self.shared).relance_company_id, self.uk)
        # the call counts against the limit of the company that made it
        phone = self.env["relance.channel.phone"]
        with freeze_time("2026-01-14"):
            self.assertEqual(
                phone._relance_call_counts(self.shared, self.fr), {self.shared.id: 1}
            )
            self.assertEqual(phone._relance_call_counts(self.shared, self.uk), {})

    def test_call_activity_of_other_company_hidden(self):
        self.shared.relance_preferred_channel = "phone"
        self._invoice(self.fr, 1200.0)
        self._invoice(self.uk, 800.0)
        self._run(R1_DAY)
        uk_user = new_test_user(
            self.env,
            login="uk_billing",
            groups="account.group_account_invoice,base.group_partner_manager",
            company_id=self.uk.id,
            company_ids=self.uk.ids,
        )
        visible = (
            self.env["mail.activity"]
            .with_user(uk_user)
            .with_context(allowed_company_ids=self.uk.ids)
            .search(
                [("res_model", "=", "res.partner"), ("res_id", "=", self.shared.id)]
            )
        )
        self.assertEqual(visible.relance_company_id, self.uk)

    def test_validation_activity_per_company(self):
        """Formal notices waiting in both companies: one validation activity
        each; cancelling one company's step closes only its activity."""
        for company in (self.fr, self.uk):
            self.shared.with_company(company).relance_profile_id = self.profile_strict
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        self._run("2026-01-26")  # J+16: the formal notice is the highest step
        validate_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_validate"
        )
        activities = self.shared.activity_ids.filtered(
            lambda a: a.activity_type_id == validate_type
        )
        self.assertEqual(activities.relance_company_id, self.fr | self.uk)
        self.assertEqual(len(activities), 2)
        fr_activity = activities.filtered(lambda a: a.relance_company_id == self.fr)
        self.assertIn(fr_move.name, str(fr_activity.note))
        fr_draft = fr_move.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertEqual(len(fr_draft), 1)
        fr_draft.action_cancel()
        left = self.shared.activity_ids.filtered(
            lambda a: a.activity_type_id == validate_type
        )
        self.assertEqual(left.relance_company_id, self.uk)
        self.assertIn(uk_move.name, str(left.note))

    # ------------------------------------------------------------------
    # Focused: unmatched payments, stages, case file, payment plans
    # ------------------------------------------------------------------
    def test_unmatched_payment_holds_its_company_and_currency_only(self):
        chf = self.setup_other_currency("CHF")
        fr_move = self._invoice(self.fr, 1200.0)
        fr_chf_move = self._invoice(self.fr, 500.0, currency=chf)
        uk_move = self._invoice(self.uk, 800.0)
        payment = (
            self.env["account.payment"]
            .with_company(self.fr)
            .create(
                {
                    "amount": 300,
                    "date": "2026-01-12",
                    "payment_type": "inbound",
                    "partner_type": "customer",
                    "partner_id": self.shared.id,
                }
            )
        )
        payment.action_post()
        self.assertEqual(payment.state, "in_process")
        unmatched = self.env["relance.engine"]._relance_unmatched_credits()
        key = (self.shared.id, self.fr.id, self.fr.currency_id.id)
        self.assertEqual(list(unmatched), [key])
        self.assertIn("300.00", unmatched[key])
        self.assertIn("€", unmatched[key])
        mails = self._run(R1_DAY)
        self.assertFalse(fr_move.relance_event_ids)
        self.assertEqual(len(fr_chf_move.relance_event_ids), 1)
        self.assertEqual(len(uk_move.relance_event_ids), 1)
        self.assertEqual(len(mails), 2)
        self.assertNotIn("1,200.00", "".join(mails.mapped("body_html")))

    def test_stage_per_company(self):
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        self._run(R1_DAY)
        self.assertEqual(self.shared.with_company(self.fr).relance_stage, "reminder_1")
        self.assertEqual(self.shared.with_company(self.uk).relance_stage, "reminder_1")
        with freeze_time("2026-01-14"):
            self._relance_pay(uk_move.with_company(self.uk))
        self.assertIn(uk_move.payment_state, ("paid", "in_payment"))
        self.env.invalidate_all()
        self.assertEqual(self.shared.with_company(self.fr).relance_stage, "reminder_1")
        self.assertFalse(self.shared.with_company(self.uk).relance_stage)
        Partner = self.env["res.partner"]
        self.assertIn(
            self.shared,
            Partner.with_company(self.fr).search([("relance_stage", "!=", False)]),
        )
        self.assertNotIn(
            self.shared,
            Partner.with_company(self.uk).search([("relance_stage", "!=", False)]),
        )
        groups = Partner.with_company(self.fr).read_group(
            [("id", "=", self.shared.id)], ["relance_stage"], ["relance_stage"]
        )
        counts = {g["relance_stage"]: g["relance_stage_count"] for g in groups}
        self.assertEqual(counts["reminder_1"], 1)
        self.assertTrue(fr_move.relance_event_ids)

    def test_case_file_stays_in_its_company(self):
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        self._run(R1_DAY)
        CaseFile = self.env["relance.case.file"].with_company(self.fr)
        self.assertEqual(CaseFile._relance_default_moves(self.shared), fr_move)
        attachment = CaseFile._relance_build(self.shared)
        fr_dispatch = fr_move.relance_event_ids.dispatch_id
        self.assertEqual(
            (attachment.res_model, attachment.res_id),
            ("relance.dispatch", fr_dispatch.id),
        )
        self.assertEqual(attachment.company_id, self.fr)
        with self.assertRaises(UserError):
            CaseFile._relance_build(self.shared, fr_move | uk_move)
        uk_user = new_test_user(
            self.env,
            login="uk_reader",
            groups="account.group_account_invoice,base.group_partner_manager",
            company_id=self.uk.id,
            company_ids=self.uk.ids,
        )
        with self.assertRaises(AccessError):
            attachment.with_user(uk_user).with_context(
                allowed_company_ids=self.uk.ids
            ).read(["datas"])

    def test_payment_plan_only_readable_invoices_of_one_company(self):
        fr_move = self._invoice(self.fr, 1200.0)
        uk_move = self._invoice(self.uk, 800.0)
        Schedule = self.env["relance.payment.schedule"]
        with self.assertRaises(UserError):
            Schedule._relance_open_for(fr_move | uk_move)
        fr_user = new_test_user(
            self.env,
            login="fr_billing",
            groups="account.group_account_invoice",
            company_id=self.fr.id,
            company_ids=self.fr.ids,
        )
        with self.assertRaises(AccessError):
            fr_env = Schedule.with_user(fr_user).with_context(
                allowed_company_ids=self.fr.ids
            )
            fr_env._relance_open_for(uk_move.with_env(fr_env.env))
        # the client sends an invoice of another company: refused
        with freeze_time("2026-01-05"):
            schedule = Schedule.with_company(self.fr).create(
                {
                    "partner_id": self.shared.id,
                    "company_id": self.fr.id,
                    "currency_id": self.fr.currency_id.id,
                    "move_ids": [Command.set(fr_move.ids)],
                }
            )
            schedule.move_ids = [Command.link(uk_move.id)]
            with self.assertRaises(UserError):
                schedule.action_confirm()
        self.assertFalse(fr_move.relance_plan_id)
        self.assertFalse(uk_move.relance_plan_id)
