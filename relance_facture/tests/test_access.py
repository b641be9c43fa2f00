from odoo.exceptions import AccessError, UserError
from odoo.tests import Form, freeze_time, new_test_user, tagged

from .common import RelanceCommon

# Who tries (columns of the matrix).
ROLES = (
    "public",
    "portal",
    "internal",
    "billing",
    "dunning_user",
    "dunning_manager",
    "admin_a",
    "user_b",
)

# What each outcome code means: the error class and a part of its message.
OUTCOMES = {
    "ok": (None, None),
    "acl": (AccessError, "You are not allowed to"),
    "rule": (AccessError, "top-secret records"),
    "field": (AccessError, "You do not have enough rights to access the fields"),
    "history": (AccessError, "The dunning history cannot be edited"),
    "user": (AccessError, "Only Dunning Users can do this"),
    "manager": (AccessError, "Only Dunning Managers can validate or send"),
}

# The access matrix: one row per model operation or action button, one code
# per role in the order of ROLES. Billing users are Dunning Users and
# Invoicing administrators Dunning Managers; a Dunning User or Manager alone
# reads the invoices (as Sales users do) but edits or creates none.
#                  public   portal   internal billing  d_user   d_manager admin_a user_b
MATRIX = {
    "event: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "event: write note": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "event: write state": (
        *("acl", "acl", "acl"),
        *("history", "history", "history", "history", "rule"),
    ),
    "event: write amount": (
        *("acl", "acl", "acl"),
        *("history", "history", "history", "history", "rule"),
    ),
    "event: create": ("acl",) * 8,
    "event: delete": ("acl",) * 8,
    "event: validate formal notice": (
        *("acl", "acl", "acl", "manager", "manager"),
        *("ok", "ok", "rule"),
    ),
    "event: cancel formal notice": (
        *("acl", "acl", "acl", "manager", "manager"),
        *("ok", "ok", "rule"),
    ),
    "event: retry failed reminder": (
        *("acl", "acl", "acl", "ok", "ok"),
        *("ok", "ok", "rule"),
    ),
    "event: retry failed formal notice": (
        *("acl", "acl", "acl", "manager", "manager"),
        *("ok", "ok", "rule"),
    ),
    "message: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "message: write note": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "message: write state": (
        *("acl", "acl", "acl"),
        *("history", "history", "history", "history", "rule"),
    ),
    "message: write acknowledgement": (
        *("acl", "acl", "acl"),
        *("history", "history", "history", "history", "rule"),
    ),
    "message: create": ("acl",) * 8,
    "message: delete": ("acl",) * 8,
    "message: print letters": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "message: registered letter": (
        *("acl", "acl", "acl", "ok", "ok"),
        *("ok", "ok", "rule"),
    ),
    "profile: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "ok"),
    "profile: write": ("acl", "acl", "acl", "acl", "acl", "ok", "ok", "acl"),
    "step: write": ("acl", "acl", "acl", "acl", "acl", "ok", "ok", "acl"),
    "rate: write": ("acl", "acl", "acl", "acl", "acl", "ok", "ok", "acl"),
    "statistics: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "statistics: write": ("acl",) * 8,
    "payment plan instalment: read": (
        *("acl", "acl", "acl", "ok", "ok"),
        *("ok", "ok", "rule"),
    ),
    "ageing report: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "rule"),
    "workspace: read": ("acl", "acl", "acl", "ok", "ok", "ok", "ok", "ok"),
    "invoice: send reminder now": (
        *("acl", "user", "acl", "ok", "ok"),
        *("ok", "ok", "rule"),
    ),
    "invoice: read risk note": (
        *("field", "field", "acl", "ok", "ok"),
        *("ok", "ok", "rule"),
    ),
    "customer: read chronic flag": (
        *("field", "field", "acl", "ok", "ok"),
        *("ok", "ok", "ok"),
    ),
    "customer: invoice penalties": (
        *("rule", "field", "acl", "manager", "manager"),
        *("acl", "ok", "manager"),
    ),
    "customer: log call outcome": (
        *("acl", "acl", "acl", "ok", "ok"),
        *("ok", "ok", "ok"),
    ),
    "preview next run": ("user", "user", "user", "ok", "ok", "ok", "ok", "ok"),
}


@tagged("post_install", "-at_install", "relance_facture")
class TestAccess(RelanceCommon):
    """Who may read, write and press what, on a stock Community database:
    the roles Settings gives, nothing hidden."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        company_b = cls.setup_other_company(name="Company B")["company"]
        cls.company.relance_fr_rules = True
        cls.strict = cls._relance_customer(
            "Strict SA", "s@example.com", cls.profile_strict
        )
        cls.late = cls._relance_customer(
            "Late SARL", "late@example.com", cls.profile_strict
        )
        cls.noticed = cls._relance_customer(
            "Noticed SAS", "n@example.com", cls.profile_strict
        )
        cls.by_post = cls._relance_customer("Sans Email", False, cls.profile_standard)
        with freeze_time("2026-01-01"):
            cls.invoice = cls._relance_invoice(due="2026-01-20")
            cls.failed_invoice = cls._relance_invoice(cls.by_post, due="2026-01-20")
            cls.notice_invoice = cls._relance_invoice(cls.strict, due="2026-01-10")
            cls.failed_notice_invoice = cls._relance_invoice(cls.late, due="2026-01-10")
            cls.sent_notice_invoice = cls._relance_invoice(
                cls.noticed, due="2026-01-10"
            )
            cls.new_invoice = cls._relance_invoice(due="2026-02-20")
        with freeze_time("2026-01-25"):
            cls.cron.method_direct_trigger()
            drafts = (
                cls.failed_notice_invoice + cls.sent_notice_invoice
            ).relance_event_ids.filtered(lambda e: e.state == "draft")
            drafts.filtered(
                lambda e: e.move_id == cls.sent_notice_invoice
            ).sudo().action_validate()
        cls.sent_event = cls.invoice.relance_event_ids
        cls.letter = cls.failed_invoice.relance_event_ids.dispatch_id
        cls.notice_event = cls.notice_invoice.relance_event_ids.filtered(
            lambda e: e.state == "draft"
        )
        failed = cls.failed_invoice.relance_event_ids | drafts.filtered(
            lambda e: e.move_id == cls.failed_notice_invoice
        )
        failed.sudo().write({"state": "failed", "note": "SMTP down"})
        cls.failed_event = cls.failed_invoice.relance_event_ids
        cls.failed_notice = failed - cls.failed_event
        cls.sent_notice = cls.sent_notice_invoice.relance_event_ids.dispatch_ids
        cls.sent_notice = cls.sent_notice.filtered(
            lambda d: d.channel == "formal_notice"
        )
        Stat = cls.env["relance.partner.stat"].sudo()
        cls.stat = Stat.search(
            [("partner_id", "=", cls.customer.id), ("company_id", "=", cls.company.id)]
        ) or Stat.create({"partner_id": cls.customer.id, "company_id": cls.company.id})
        plan = cls.env["relance.payment.plan"].create(
            {
                "partner_id": cls.customer.id,
                "company_id": cls.company.id,
                "currency_id": cls.company.currency_id.id,
                "move_ids": [(6, 0, cls.invoice.ids)],
                "line_ids": [(0, 0, {"date": "2026-03-01", "amount": 1200})],
            }
        )
        cls.plan_line = plan.line_ids
        portal_partner = cls.env["res.partner"].create(
            {"name": "Dupont Portal", "parent_id": cls.customer.id}
        )
        one = {"company_id": cls.company.id, "company_ids": cls.company.ids}
        cls.users = {
            "public": cls.env.ref("base.public_user"),
            "portal": new_test_user(
                cls.env,
                login="portal_a",
                groups="base.group_portal",
                partner_id=portal_partner.id,
                **one,
            ),
            "internal": new_test_user(cls.env, login="internal_a", **one),
            "billing": new_test_user(
                cls.env, login="billing", groups="account.group_account_invoice", **one
            ),
            "dunning_user": new_test_user(
                cls.env,
                login="dunning_user",
                groups="relance_facture.group_relance_user",
                **one,
            ),
            "dunning_manager": new_test_user(
                cls.env,
                login="dunning_manager",
                groups="relance_facture.group_relance_manager",
                **one,
            ),
            "admin_a": new_test_user(
                cls.env, login="admin_a", groups="account.group_account_manager", **one
            ),
            "user_b": new_test_user(
                cls.env,
                login="user_b",
                groups="account.group_account_invoice",
                company_id=company_b.id,
                company_ids=company_b.ids,
            ),
        }

    # ---- the operations of the matrix, each as the given user's env ----
    def _operations(self):
        def event(env, record):
            return env["relance.event"].browse(record.id)

        def message(env, record):
            return env["relance.dispatch"].browse(record.id)

        def tracking(env):
            action = message(env, self.sent_notice).action_relance_notice_tracking()
            wizard = env["relance.notice.tracking"].browse(action["res_id"])
            wizard.tracking_ref = "1A234"
            return wizard.action_apply()

        def call_outcome(env):
            wizard = (
                env["relance.call.outcome"]
                .with_context(active_model="res.partner", active_ids=self.customer.ids)
                .create({"partner_id": self.customer.id, "outcome": "reached"})
            )
            return wizard.action_confirm()

        level = self.profile_standard.level_ids[:1]
        rate = self.env["relance.rate"].search([], limit=1)
        return {
            "event: read": lambda env: event(env, self.sent_event).read(["state"]),
            "event: write note": lambda env: event(env, self.sent_event).write(
                {"note": "Called"}
            ),
            "event: write state": lambda env: event(env, self.notice_event).write(
                {"state": "failed"}
            ),
            "event: write amount": lambda env: event(env, self.sent_event).write(
                {"amount_residual": 1.0}
            ),
            "event: create": lambda env: env["relance.event"].create(
                {
                    "move_id": self.new_invoice.id,
                    "partner_id": self.customer.id,
                    "level_id": level.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "email",
                }
            ),
            "event: delete": lambda env: event(env, self.sent_event).unlink(),
            "event: validate formal notice": lambda env: event(
                env, self.notice_event
            ).action_validate(),
            "event: cancel formal notice": lambda env: event(
                env, self.notice_event
            ).action_cancel(),
            "event: retry failed reminder": lambda env: event(
                env, self.failed_event
            ).action_relance_retry(),
            "event: retry failed formal notice": lambda env: event(
                env, self.failed_notice
            ).action_relance_retry(),
            "message: read": lambda env: message(env, self.letter).read(["state"]),
            "message: write note": lambda env: message(env, self.letter).write(
                {"note": "Posted"}
            ),
            "message: write state": lambda env: message(env, self.letter).write(
                {"state": "cancelled"}
            ),
            "message: write acknowledgement": lambda env: message(
                env, self.sent_notice
            ).write({"ack_date": "2026-01-20"}),
            "message: create": lambda env: env["relance.dispatch"].create(
                {
                    "partner_id": self.customer.id,
                    "company_id": self.company.id,
                    "currency_id": self.company.currency_id.id,
                    "channel": "email",
                }
            ),
            "message: delete": lambda env: message(env, self.letter).unlink(),
            "message: print letters": lambda env: message(env, self.letter)
            .with_context(force_report_rendering=True)
            .action_relance_print_letters(),
            "message: registered letter": tracking,
            "profile: read": lambda env: env["relance.profile"]
            .browse(self.profile_standard.id)
            .read(["name"]),
            "profile: write": lambda env: env["relance.profile"]
            .browse(self.profile_standard.id)
            .write({"name": "Softer"}),
            "step: write": lambda env: env["relance.level"]
            .browse(level.id)
            .write({"offset_days": -2}),
            "rate: write": lambda env: env["relance.rate"]
            .browse(rate.id)
            .write({"ecb_rate": 9.0}),
            "statistics: read": lambda env: env["relance.partner.stat"]
            .browse(self.stat.id)
            .read(["partner_id"]),
            "statistics: write": lambda env: env["relance.partner.stat"]
            .browse(self.stat.id)
            .write({"risky_decision": "accepted"}),
            "payment plan instalment: read": lambda env: env[
                "relance.payment.plan.line"
            ]
            .browse(self.plan_line.id)
            .read(["amount"]),
            "ageing report: read": lambda env: env["relance.ageing.report"]
            .browse(
                self.env["relance.ageing.report"]
                .search([("move_id", "=", self.invoice.id)])
                .ids
            )
            .read(["move_id"]),
            "workspace: read": lambda env: env["relance.workspace"]
            .search([])
            .read(["name"]),
            "invoice: send reminder now": lambda env: env["account.move"]
            .browse(self.new_invoice.id)
            .action_relance_send_now(),
            "invoice: read risk note": lambda env: env["account.move"]
            .browse(self.invoice.id)
            .read(["relance_partner_reason"]),
            "customer: read chronic flag": lambda env: env["res.partner"]
            .browse(self.customer.id)
            .read(["relance_chronic"]),
            "customer: invoice penalties": lambda env: env["res.partner"]
            .browse(self.customer.id)
            .action_relance_create_penalty_invoice(),
            "customer: log call outcome": call_outcome,
            "preview next run": lambda env: env[
                "relance.preview"
            ].action_open_preview(),
        }

    def _try_as(self, operation, user):
        """The code of what happens when ``user`` runs ``operation``; nothing
        it does stays."""
        savepoint = self.env.cr.savepoint()
        try:
            with self.mock_mail_gateway():
                operation(self.env(user=user))
        except (AccessError, UserError) as error:
            for code, (error_class, text) in OUTCOMES.items():
                if (
                    error_class
                    and isinstance(error, error_class)
                    and text in str(error)
                ):
                    return code
            return f"{type(error).__name__}: {error}"
        finally:
            savepoint.close(rollback=True)
            self.env.invalidate_all()
        return "ok"

    def test_access_matrix(self):
        """Every operation and button, as every role: one table."""
        operations = self._operations()
        self.assertEqual(set(operations), set(MATRIX))
        actual = {}
        with freeze_time("2026-01-26"):
            for name, operation in operations.items():
                actual[name] = tuple(
                    self._try_as(operation, self.users[role]) for role in ROLES
                )
        self.assertEqual(actual, MATRIX)

    def test_stock_roles_at_install(self):
        """Invoicing › Administrator is a Dunning Manager and Billing a
        Dunning User, without the hidden "Show Full Accounting Features"."""
        admin = self.env.ref("base.user_admin")
        self.assertTrue(admin.has_group("relance_facture.group_relance_manager"))
        self.assertFalse(admin.has_group("account.group_account_user"))
        billing = self.users["billing"]
        self.assertTrue(billing.has_group("relance_facture.group_relance_user"))
        self.assertFalse(billing.has_group("relance_facture.group_relance_manager"))

    def test_failed_then_retry_does_not_bypass_validation(self):
        """The old trick: set a draft formal notice to failed, then retry.
        The state cannot be written, and the retry of a formal notice needs a
        Dunning Manager."""
        billing = self.users["billing"]
        notice = self.notice_event.with_user(billing)
        with self.assertRaisesRegex(AccessError, "cannot be edited"):
            notice.write({"state": "failed"})
        with self.assertRaisesRegex(AccessError, "Only Dunning Managers"):
            self.failed_notice.with_user(billing).action_relance_retry()
        self.assertEqual(self.notice_event.state, "draft")
        self.assertEqual(self.failed_notice.state, "failed")

    def test_invoice_with_history_cannot_be_deleted(self):
        self.invoice.button_draft()
        with self.assertRaisesRegex(UserError, "cancel the invoice"):
            self.invoice.unlink()
        self.assertTrue(self.sent_event.exists())
        self.invoice.button_cancel()
        self.assertEqual(self.invoice.state, "cancel")
        draft = self._relance_invoice(due="2026-03-01", post=False)
        draft.unlink()
        self.assertFalse(draft.exists())

    def test_portal_reads_its_invoice_without_internal_fields(self):
        """The customer reads its invoice and no risk, statistics or
        dunning note."""
        portal = self.users["portal"]
        invoice = self.invoice.with_user(portal)
        self.assertEqual(invoice.read(["name"])[0]["name"], self.invoice.name)
        readable = invoice.fields_get()
        leaks = sorted(name for name in readable if name.startswith("relance_"))
        self.assertEqual(leaks, [])
        partner_fields = self.customer.with_user(portal).fields_get()
        self.assertEqual(
            sorted(name for name in partner_fields if name.startswith("relance_")),
            [],
        )

    def test_forms_open_for_every_internal_role(self):
        """A salesperson opens a customer, a billing user an invoice: the
        dunning fields they may not read are not in their views."""
        for role in ("internal", "billing", "dunning_user", "dunning_manager"):
            with self.subTest(role=role):
                user = self.users[role]
                form = Form(self.customer.with_user(user))
                self.assertEqual(form.name, "Dupont SARL")
        for role in ("billing", "dunning_user", "admin_a"):
            with self.subTest(role=role):
                form = Form(self.invoice.with_user(self.users[role]))
                self.assertEqual(form.partner_id, self.customer)
