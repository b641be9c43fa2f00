from collections import Counter
from contextlib import closing

from dateutil.relativedelta import relativedelta
from lxml import etree

from odoo import api, fields, sql_db
from odoo.tests import freeze_time, tagged
from odoo.tools.safe_eval import safe_eval

from .common import RelanceCommon

# The invoice statuses that name the kind of the last step done.
STATUS_OF_KIND = {
    "pre_due": "courtesy",
    "formal_notice": "formal_notice",
    "escalation": "escalated",
}
DEMO_SKIP = (
    "The demo data is not loaded: scripts/test.sh installs the addon without "
    "demo data (--without-demo=all). These checks run on the demo database: "
    "odoo -d relance_demo --test-tags /relance_facture:TestDemoData "
    "--stop-after-init (after ./scripts/demo.sh)."
)


def counter_disagreements(partners):
    """What a user would see disagree on each customer's form, in the
    partners' company: the "Reminders" button, the rows of the list it opens
    (with its default filter), the "Reminders (12 months)" and "Formal
    Notices (12 months)" figures and the steps sent in the history."""
    env = partners.env
    # computed when read, as when the form is opened
    partners.invalidate_recordset(
        [
            "relance_event_count",
            "relance_reminder_count_12m",
            "relance_formal_notice_count_12m",
        ]
    )
    view = env.ref("relance_facture.relance_event_view_search")
    filters = {
        node.get("name"): node.get("domain")
        for node in etree.fromstring(view.arch).iter("filter")
    }
    since = fields.Date.context_today(partners) - relativedelta(months=12)
    Event = env["relance.event"]
    problems = []
    for partner in partners:
        action = partner.action_relance_open_history()
        listed = list(action["domain"])
        for key, value in (action.get("context") or {}).items():
            if key.startswith("search_default_") and value:
                listed += safe_eval(
                    filters[key[len("search_default_") :]], {"uid": env.uid}
                )
        shown = Event.search_count(listed)
        history = Event.search(
            [
                ("partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", env.company.id),
            ]
        )
        sent = history.filtered(lambda e: e.state == "sent")
        recent = sent.filtered(lambda e, since=since: e.date >= since)
        figures = {
            "button": partner.relance_event_count,
            "rows of the list it opens": shown,
            "steps sent": len(sent),
        }
        if len(set(figures.values())) != 1:
            problems.append(f"{partner.name}: {figures}")
        if partner.relance_reminder_count_12m != len(recent):
            problems.append(
                f"{partner.name}: Reminders (12 months) "
                f"{partner.relance_reminder_count_12m}, {len(recent)} sent since "
                f"{since}"
            )
        notices = len(recent.filtered(lambda e: e.kind == "formal_notice"))
        if partner.relance_formal_notice_count_12m != notices:
            problems.append(
                f"{partner.name}: Formal Notices (12 months) "
                f"{partner.relance_formal_notice_count_12m}, {notices} sent"
            )
    return problems


def status_disagreements(moves):
    """Invoices whose dunning status does not say what their last step is."""
    problems = []
    for move in moves:
        events = move._relance_cycle_events()
        done = events.filtered(lambda e: e.state in ("sent", "failed"))
        last = done.sorted(lambda e: (e.date, e.level_id.sequence, e.id))[-1:]
        state, level = move.relance_state, move.relance_level_id
        label = f"{move.name} ({move.partner_id.name}): status {state}"
        if level != last.level_id:
            problems.append(
                f"{label}, last step {level.name}, history {last.level_id.name}"
            )
        if any(e.state == "draft" for e in events) != (state == "to_validate"):
            problems.append(f"{label}, steps {events.mapped('state')}")
        if state.startswith("reminder_"):
            expected = f"reminder_{min(level.reminder_number, 3) or 1}"
            if level.kind != "reminder" or state != expected:
                problems.append(f"{label}, last step {level.name} ({level.kind})")
        elif state in STATUS_OF_KIND.values():
            if STATUS_OF_KIND.get(level.kind) != state:
                problems.append(f"{label}, last step {level.name} ({level.kind})")
        elif state in ("not_due", "overdue") and level:
            problems.append(f"{label}, last step {level.name}")
    return problems


@tagged("post_install", "-at_install", "relance_facture")
class TestDemoData(RelanceCommon):
    """A customer's "Reminders" button, the list it opens, its "Reminders (12
    months)" figure and its history agree at any time, and an invoice's status
    agrees with its last step: on a ladder walked here (the test database has
    no demo data) and, when the demo is loaded, on every demo customer."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.write(
            {"country_id": cls.env.ref("base.fr").id, "relance_fr_rules": True}
        )

    def _assert_agree(self, invoice):
        self.assertEqual(counter_disagreements(self.customer), [])
        self.assertEqual(status_disagreements(invoice), [])

    def test_counters_agree_along_the_ladder(self):
        """Right after each run (the statistics table is refreshed only at
        the next run) and whatever waits for validation or was cancelled."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        counts = []
        with self.mock_mail_gateway():
            for day in ("2026-01-13", "2026-01-23", "2026-02-01", "2026-02-14"):
                with freeze_time(day):
                    self._relance_run()
                    self._assert_agree(invoice)
                    counts.append(
                        (
                            invoice.relance_state,
                            self.customer.relance_event_count,
                            self.customer.relance_reminder_count_12m,
                        )
                    )
        self.assertEqual(
            counts,
            [
                ("courtesy", 1, 1),
                ("reminder_1", 2, 2),
                ("reminder_2", 3, 3),
                # the formal notice waits: it is no reminder yet
                ("to_validate", 3, 3),
            ],
        )
        notice = invoice.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertEqual(notice.kind, "formal_notice")
        with self.mock_mail_gateway(), freeze_time("2026-02-16"):
            notice.action_validate()
            self._assert_agree(invoice)
        self.assertEqual(invoice.relance_state, "formal_notice")
        self.assertEqual(self.customer.relance_event_count, 4)
        self.assertEqual(self.customer.relance_formal_notice_count_12m, 1)
        # a year later the first steps leave the 12 months, not the button
        with freeze_time("2027-01-25"):
            self.assertEqual(counter_disagreements(self.customer), [])
            self.assertEqual(self.customer.relance_event_count, 4)
            self.assertEqual(self.customer.relance_reminder_count_12m, 2)

    def test_cancelled_step_is_no_reminder(self):
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(due="2026-01-20")
        with self.mock_mail_gateway(), freeze_time("2026-02-14"):
            # catch-up: the formal notice only, waiting for validation
            self._relance_run()
            self._assert_agree(invoice)
            self.assertEqual(invoice.relance_state, "to_validate")
            self.assertEqual(self.customer.relance_event_count, 0)
            invoice.relance_event_ids.action_cancel()
            self._assert_agree(invoice)
            self.assertEqual(self.customer.relance_event_count, 0)
            self.assertEqual(self.customer.relance_reminder_count_12m, 0)

    def test_counters_are_those_of_the_current_company(self):
        other = self.setup_other_company(name="Other Company")["company"]
        other.write({"email": "other@example.com"})
        with freeze_time("2026-01-01"):
            mine = self._relance_invoice(due="2026-01-20")
            theirs = self._relance_invoice(
                due="2026-01-20", amount=800, invoice_date="2026-01-01", company=other
            )
        with self.mock_mail_gateway(), freeze_time("2026-01-23"):
            self._relance_run()
            self.assertEqual(len((mine | theirs).relance_event_ids), 2)
            both = self.customer.with_context(
                allowed_company_ids=(self.company | other).ids
            )
            for company in (self.company, other):
                partner = both.with_company(company)
                self.assertEqual(counter_disagreements(partner), [])
                self.assertEqual(partner.relance_event_count, 1)
                self.assertEqual(partner.relance_reminder_count_12m, 1)
            self.assertEqual(status_disagreements(mine | theirs), [])

    def test_demo(self):
        """The demo: a French company in euros with the French rules, every
        customer's counters and every invoice's status agree, penalties and
        the 40 EUR indemnity, the invoice mentions, a formal notice waiting
        for validation, answers of each kind handled or not."""
        company = self.env.ref("relance_facture.company_demo", False)
        if not company:
            self.skipTest(DEMO_SKIP)
        # The demo as its users see it, in its own transaction: the setup of
        # this class (MailCommon) rewrites the admin's company, the demo's.
        with closing(sql_db.db_connect(self.env.cr.dbname).cursor()) as cr:
            env = api.Environment(
                cr,
                self.env.ref("base.user_admin").id,
                {"allowed_company_ids": company.ids, "lang": "en_US"},
            )
            try:
                self._check_demo(env, company.with_env(env))
            finally:
                cr.rollback()

    def _check_demo(self, env, company):
        self.assertEqual(company.country_id.code, "FR")
        self.assertEqual(company.currency_id.name, "EUR")
        self.assertTrue(company.relance_fr_rules)
        for fname in (
            "company_registry",
            "vat",
            "relance_rcs_city",
            "relance_legal_form",
            "relance_share_capital",
            "relance_signatory_id",
            "relance_call_calendar_id",
        ):
            self.assertTrue(company[fname], fname)
        self.assertEqual(company.partner_id.bank_ids[:1].acc_type, "iban")
        self.assertEqual(env.ref("base.user_admin").company_id, company)

        data = env["ir.model.data"].search(
            [("module", "=", "relance_facture"), ("model", "=", "account.move")]
        )
        moves = env["account.move"].browse(data.mapped("res_id"))
        self.assertEqual(len(moves), 20)
        self.assertEqual(moves.company_id, company)
        self.assertEqual(moves.currency_id.name, "EUR")
        self.assertEqual(status_disagreements(moves), [])
        self.assertEqual(counter_disagreements(moves.commercial_partner_id), [])
        states = Counter(moves.mapped("relance_state"))
        for state in ("courtesy", "reminder_1", "reminder_2", "to_validate", "paid"):
            self.assertIn(state, states)

        late = moves.filtered(
            lambda m: m.relance_state in ("reminder_1", "reminder_2")
            and not m.commercial_partner_id.relance_is_consumer
        )
        self.assertTrue(any(m.relance_penalty_amount > 0 for m in late))
        self.assertEqual(set(late.mapped("relance_indemnity_amount")), {40.0})
        self.assertTrue(late[:1]._relance_invoice_legal_mention())
        drafts = moves.relance_event_ids.filtered(lambda e: e.state == "draft")
        self.assertIn("formal_notice", drafts.mapped("kind"))

        answers = env["relance.answer"].search([("company_id", "=", company.id)])
        self.assertEqual(
            set(answers.mapped("kind")),
            {"paid", "promise", "dispute", "plan", "reply"},
        )
        self.assertEqual(set(answers.mapped("state")), {"new", "done"})
        reply = answers.filtered(lambda a: a.kind == "reply")
        self.assertEqual(reply.source, "email")
        self.assertTrue(reply.dispatch_id and reply.message_answer_id)
