from dateutil.relativedelta import relativedelta

from odoo import api, fields, models

from .relance_access import check_relance_user

# Stages of a customer, from its open invoices' dunning states: the highest
# wins. Paused and excluded invoices are listed elsewhere.
PARTNER_STAGES = [
    ("overdue", "Overdue"),
    ("reminder_1", "Reminder 1"),
    ("reminder_2", "Reminder 2"),
    ("reminder_3", "Reminder 3"),
    ("to_validate", "Waiting for validation"),
    ("formal_notice", "Formal notice sent"),
    ("escalated", "Escalated"),
    # last: a customer in proceedings is filed there whatever its other invoices
    ("proceedings", "In collective proceedings"),
]


class ResPartner(models.Model):
    _inherit = "res.partner"

    relance_profile_mode = fields.Selection(
        [("auto", "Automatic"), ("manual", "Manual")],
        string="Dunning Profile Mode",
        default="auto",
        required=True,
        help="Automatic: the profile follows the company default (and later the "
        "customer's payment history). Manual: the profile chosen here is kept.",
        groups="base.group_user",
    )
    relance_profile_manual_id = fields.Many2one(
        "relance.profile",
        string="Chosen Dunning Profile",
        company_dependent=True,
        check_company=True,
        groups="base.group_user",
    )
    relance_profile_auto_id = fields.Many2one(
        "relance.profile",
        string="Automatic Dunning Profile",
        company_dependent=True,
        check_company=True,
        help="Set by the automatic rules; empty means the company default.",
        groups="base.group_user",
    )
    relance_profile_id = fields.Many2one(
        "relance.profile",
        string="Dunning Profile",
        compute="_compute_relance_profile_id",
        inverse="_inverse_relance_profile_id",
        search="_search_relance_profile_id",
        help="The profile in force for this customer in the current company.",
        groups="base.group_user",
    )
    relance_excluded = fields.Boolean(
        string="Exclude from Dunning",
        help="No reminder is ever sent to this customer.",
        groups="base.group_user",
    )
    relance_user_id = fields.Many2one(
        "res.users",
        string="Dunning Person in Charge",
        help="Receives the call and validation activities for this customer; "
        "empty uses the company default.",
        groups="base.group_user",
    )
    relance_contact_id = fields.Many2one(
        "res.partner",
        string="Reminders Sent To",
        help="Contact who receives the reminders; empty uses the invoice address.",
        groups="base.group_user",
    )
    relance_is_consumer = fields.Boolean(
        string="Consumer",
        compute="_compute_relance_is_consumer",
        store=True,
        readonly=False,
        help="A private person (B2C) rather than a professional (B2B). "
        "Proposed from the customer: a company, or a person with a company ID "
        "(SIRET/SIREN) or a VAT number, is a professional; can be corrected.",
        groups="base.group_user",
    )
    relance_preferred_channel = fields.Selection(
        [("email", "Email"), ("letter", "Letter"), ("phone", "Phone")],
        string="Preferred Dunning Channel",
        help="Letter: letters instead of emails. Phone: a call first at every "
        "email step; the email follows 2 business days after the call's day "
        "unless the call is logged.",
        groups="base.group_user",
    )
    relance_collective_proceedings = fields.Boolean(
        string="In Collective Proceedings",
        compute="_compute_relance_collective_proceedings",
        store=True,
        help="Safeguard, receivership or liquidation: follows the date of the "
        "opening judgment.",
        groups="base.group_user",
    )
    relance_penalty_rate = fields.Float(
        string="Contractual Penalty Rate (%)",
        digits=(5, 2),
        help="Rate agreed with this customer; empty uses the company's.",
        groups="base.group_user",
    )
    relance_public_buyer = fields.Boolean(
        string="Public Buyer",
        help="A public-sector customer paying under a public contract: late-payment "
        "interest at the ECB rate of the semester when it started running plus 8 "
        "points (R2192-31 of the French Public Procurement Code).",
        groups="base.group_user",
    )
    relance_penalty_total = fields.Monetary(
        string="Penalties and Indemnities to Date",
        compute="_compute_relance_penalty_total",
        currency_field="relance_currency_id",
        groups="base.group_user",
    )
    relance_currency_id = fields.Many2one(
        "res.currency",
        compute="_compute_relance_penalty_total",
        groups="base.group_user",
    )
    relance_stat_id = fields.Many2one(
        "relance.partner.stat",
        compute="_compute_relance_stats",
        string="Statistics",
        groups="base.group_user",
    )
    relance_total_overdue = fields.Float(
        string="Total Overdue",
        compute="_compute_relance_stats",
        groups="base.group_user",
    )
    relance_oldest_overdue_days = fields.Integer(
        string="Oldest Overdue (days)",
        compute="_compute_relance_stats",
        groups="base.group_user",
    )
    relance_avg_days_late = fields.Float(
        string="Average Days Late",
        compute="_compute_relance_stats",
        help="Over the last 12 months, weighted by amount; unpaid invoices count "
        "their days late to today.",
        groups="base.group_user",
    )
    relance_on_time_rate = fields.Float(
        string="Paid on Time (%)",
        compute="_compute_relance_stats",
        help="Share of the invoices due in the last 12 months and paid, paid by "
        "their due date.",
        groups="base.group_user",
    )
    relance_reminder_count_12m = fields.Integer(
        string="Reminders (12 months)",
        compute="_compute_relance_event_count",
        groups="base.group_user",
    )
    relance_formal_notice_count_12m = fields.Integer(
        string="Formal Notices (12 months)",
        compute="_compute_relance_event_count",
        groups="base.group_user",
    )
    relance_profile_reason = fields.Char(
        string="Why This Profile",
        compute="_compute_relance_stats",
        groups="base.group_user",
    )
    relance_chronic = fields.Boolean(
        string="Chronic Late Payer",
        compute="_compute_relance_stats",
        search="_search_relance_chronic",
        groups="base.group_user",
    )
    relance_risky_decision = fields.Selection(
        [("proposed", "Proposed"), ("accepted", "Accepted"), ("refused", "Refused")],
        string="Strict Profile Proposal",
        compute="_compute_relance_stats",
        groups="base.group_user",
    )
    relance_event_ids = fields.One2many(
        "relance.event",
        "partner_id",
        string="Dunning History",
        groups="base.group_user",
    )
    relance_event_count = fields.Integer(
        compute="_compute_relance_event_count", groups="base.group_user"
    )
    relance_move_ids = fields.One2many(
        "account.move",
        "commercial_partner_id",
        string="Accounting Entries",
        groups="base.group_user",
    )
    relance_plan_ids = fields.One2many(
        "relance.payment.plan",
        "partner_id",
        string="Payment Plans",
        groups="base.group_user",
    )
    relance_plan_count = fields.Integer(
        string="Running Payment Plans",
        compute="_compute_relance_plan_count",
        groups="base.group_user",
    )
    relance_stage = fields.Selection(
        PARTNER_STAGES,
        string="Dunning Stage",
        compute="_compute_relance_stage",
        store=True,
        company_dependent=True,
        group_expand="_read_group_relance_stage",
        help="The furthest dunning stage of the customer's open invoices in the "
        "current company.",
        groups="base.group_user",
    )

    @api.depends(
        "relance_profile_mode", "relance_profile_manual_id", "relance_profile_auto_id"
    )
    @api.depends_context("company")
    def _compute_relance_profile_id(self):
        default = self.env.company._relance_default_profile()
        for partner in self:
            commercial = partner.commercial_partner_id
            if commercial.relance_profile_mode == "manual":
                partner.relance_profile_id = (
                    commercial.relance_profile_manual_id or default
                )
            else:
                partner.relance_profile_id = (
                    commercial.relance_profile_auto_id or default
                )

    @api.depends("relance_move_ids.relance_state")
    def _compute_relance_stage(self):
        # One stage per company (a company-dependent column): a customer of
        # two companies is filed under each company's own invoices. Computed
        # for every company at once, whoever triggers it.
        rank = {key: index for index, (key, _label) in enumerate(PARTNER_STAGES)}
        partner_ids = [pid for pid in self._origin._ids if isinstance(pid, int)]
        rows = (
            self.env["account.move"]
            .sudo()
            ._read_group(
                [
                    ("commercial_partner_id", "in", partner_ids),
                    # only customer invoices have a dunning state (and the
                    # customer's index covers them)
                    ("move_type", "=", "out_invoice"),
                    ("relance_state", "in", list(rank)),
                ],
                ["commercial_partner_id", "company_id", "relance_state"],
            )
        )
        stages = {}
        for partner, company, state in rows:
            key = (partner.id, company.id)
            if rank[state] >= rank.get(stages.get(key), -1):
                stages[key] = state
        for company in self.env["res.company"].sudo().search([]):
            for partner in self.sudo().with_company(company):
                partner.relance_stage = stages.get(
                    (partner._origin.id, company.id), False
                )

    @api.model
    def _read_group_relance_stage(self, stages, domain):
        return [key for key, _label in PARTNER_STAGES]

    def _inverse_relance_profile_id(self):
        for partner in self:
            partner.relance_profile_manual_id = partner.relance_profile_id
            partner.relance_profile_mode = "manual"

    def _search_relance_profile_id(self, operator, value):
        # Sets of ids the effective profile can be, resolved in Python: profiles
        # are few, so this stays two searches whatever the number of partners.
        profiles = self.env["relance.profile"].search([("id", operator, value)])
        default = self.env.company._relance_default_profile()
        domain = [
            "|",
            "&",
            ("relance_profile_mode", "=", "manual"),
            ("relance_profile_manual_id", "in", profiles.ids),
            "&",
            ("relance_profile_mode", "=", "auto"),
            ("relance_profile_auto_id", "in", profiles.ids),
        ]
        if default in profiles:
            domain = [
                "|",
                *domain,
                "|",
                "&",
                ("relance_profile_mode", "=", "manual"),
                ("relance_profile_manual_id", "=", False),
                "&",
                ("relance_profile_mode", "=", "auto"),
                ("relance_profile_auto_id", "=", False),
            ]
        return domain

    @api.depends_context("company")
    def _compute_relance_stats(self):
        stats = self.env["relance.partner.stat"].search(
            [
                ("partner_id", "in", self.commercial_partner_id.ids),
                ("company_id", "=", self.env.company.id),
            ]
        )
        by_partner = {stat.partner_id: stat for stat in stats}
        for partner in self:
            stat = by_partner.get(partner.commercial_partner_id, stats.browse())
            partner.relance_stat_id = stat
            partner.relance_total_overdue = stat.total_overdue
            partner.relance_oldest_overdue_days = stat.oldest_overdue_days
            partner.relance_avg_days_late = stat.avg_days_late
            partner.relance_on_time_rate = (
                100.0 * stat.on_time_count_12m / stat.paid_count_12m
                if stat.paid_count_12m
                else 0.0
            )
            partner.relance_profile_reason = stat and stat._relance_reason()
            partner.relance_chronic = bool(stat) and stat._relance_is_chronic()
            partner.relance_risky_decision = stat.risky_decision

    def _search_relance_chronic(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise NotImplementedError(
                self.env._("Unsupported search on chronic late payers.")
            )
        company = self.env.company
        stats = self.env["relance.partner.stat"].search(
            [
                ("company_id", "=", company.id),
                "|",
                "|",
                ("avg_days_late", ">", company.relance_risky_days_late),
                ("formal_notice_count_12m", ">", 0),
                (
                    "second_reminder_count_12m",
                    ">=",
                    company.relance_risky_second_reminders,
                ),
            ]
        )
        chronic = (operator == "=") == value
        return [
            (
                "commercial_partner_id",
                "in" if chronic else "not in",
                stats.partner_id.ids,
            )
        ]

    @api.model
    def _relance_apply_rules(self, partners, company):
        """Give automatic customers the profile their figures call for, and
        say why in their chatter; "risky" is only proposed to the person in
        charge, whose answer is kept."""
        stats = self.env["relance.partner.stat"].search(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        )
        profile_by_rule = {
            "new": self.env.ref("relance_facture.profile_strict"),
            "risky": self.env.ref("relance_facture.profile_strict"),
            "loyal": self.env.ref("relance_facture.profile_lenient"),
            "standard": self.env.ref("relance_facture.profile_standard"),
        }
        today = fields.Date.context_today(self)
        default = company._relance_default_profile()
        notes, to_propose, changes = {}, stats.browse(), {}
        stats.filtered(lambda st: st.rule != "risky" and st.risky_decision).write(
            {"risky_decision": False}  # no longer risky: ask again next time
        )
        for stat in stats:
            partner = stat.partner_id.with_company(company)
            if partner.relance_profile_mode != "auto":
                continue
            if stat.rule == "risky" and stat.risky_decision != "accepted":
                recently_refused = (
                    stat.risky_decision == "refused"
                    and stat.risky_decision_date
                    and stat.risky_decision_date > fields.Date.add(today, months=-12)
                )
                if stat.risky_decision != "proposed" and not recently_refused:
                    to_propose |= stat
                continue
            wanted = profile_by_rule[stat.rule]
            current = partner.relance_profile_auto_id or default
            if wanted != current:
                changes.setdefault(wanted, []).append(partner.id)
                notes[partner.id] = self.env._(
                    "Dunning profile changed from %(old)s to %(new)s: %(reason)s.",
                    old=current.name,
                    new=wanted.name,
                    reason=stat._relance_reason(),
                )
        for profile, partner_ids in changes.items():
            self.browse(partner_ids).with_company(company).write(
                {"relance_profile_auto_id": profile.id}
            )
        if notes:
            self.browse(notes).sudo()._message_log_batch(notes)
        if to_propose:
            self._relance_propose_strict(to_propose, company)

    @api.model
    def _relance_propose_strict(self, stats, company):
        activity_type = self.env.ref("relance_facture.mail_activity_type_relance_risky")
        model_id = self.env["ir.model"]._get_id("res.partner")
        admin = self.env.ref("base.user_admin")
        self.env["mail.activity"].with_context(mail_activity_quick_update=True).create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": stat.partner_id.id,
                    "activity_type_id": activity_type.id,
                    "relance_company_id": company.id,
                    "user_id": stat.partner_id._relance_responsible(company, admin).id,
                    "summary": self.env._("Switch to the Strict dunning profile?"),
                    "note": self.env._(
                        "This customer looks risky (%(reason)s). Accept or refuse the "
                        "Strict profile from the Dunning tab of the customer.",
                        reason=stat._relance_reason(),
                    ),
                }
                for stat in stats
            ]
        )
        stats.write(
            {
                "risky_decision": "proposed",
                "risky_decision_date": fields.Date.context_today(self),
            }
        )

    def action_relance_accept_strict(self):
        return self._relance_answer_strict("accepted")

    def action_relance_refuse_strict(self):
        return self._relance_answer_strict("refused")

    def _relance_answer_strict(self, answer):
        check_relance_user(self.env)
        self.check_access("read")
        company = self.env.company
        partners = self.commercial_partner_id
        stats = self.env["relance.partner.stat"].search(
            [("partner_id", "in", partners.ids), ("company_id", "=", company.id)]
        )
        # statistics are written by the dunning only, after this check
        stats.sudo().write(
            {
                "risky_decision": answer,
                "risky_decision_date": fields.Date.context_today(self),
            }
        )
        activity_type = self.env.ref("relance_facture.mail_activity_type_relance_risky")
        self.env["mail.activity"].search(
            [
                ("res_model", "=", "res.partner"),
                ("res_id", "in", partners.ids),
                ("activity_type_id", "=", activity_type.id),
                ("relance_company_id", "in", [company.id, False]),
            ]
        ).action_feedback(
            feedback=self.env._("Strict profile accepted")
            if answer == "accepted"
            else self.env._("Strict profile refused")
        )
        self.sudo()._relance_apply_rules(partners.sudo(), company)
        return True

    def _relance_professional_id_fields(self):
        """Identifiers only a professional has: a sole trader is not a company
        in Odoo but has a SIRET/SIREN or a VAT number (l10n_fr adds siret)."""
        return [
            fname
            for fname in ("company_registry", "vat", "siret")
            if fname in self._fields
        ]

    @api.depends(
        lambda self: [
            "is_company",
            "parent_id.is_company",
            *self._relance_professional_id_fields(),
        ]
    )
    def _compute_relance_is_consumer(self):
        # Only a default: the user may correct it, and only a change of these
        # fields proposes it again.
        id_fields = self._relance_professional_id_fields()
        for partner in self:
            partner.relance_is_consumer = not (
                partner.is_company
                or partner.parent_id.is_company
                or any(partner[fname] for fname in id_fields)
            )

    @api.depends_context("company")
    def _compute_relance_penalty_total(self):
        moves = self.env["account.move"].search(self._relance_late_moves_domain())
        details = moves._relance_penalty_details()
        by_partner = moves.grouped("commercial_partner_id")
        for partner in self:
            partner_moves = by_partner.get(
                partner.commercial_partner_id, moves.browse()
            )
            partner.relance_currency_id = self.env.company.currency_id
            partner.relance_penalty_total = sum(
                details[m]["penalty"] + details[m]["indemnity"]
                for m in partner_moves
                if m.currency_id == self.env.company.currency_id
            )

    def _relance_late_moves_domain(self):
        """These customers' late open invoices in the current company: those
        that bear penalties."""
        return [
            ("commercial_partner_id", "in", self.commercial_partner_id.ids),
            ("company_id", "=", self.env.company.id),
            ("move_type", "=", "out_invoice"),
            ("state", "=", "posted"),
            ("payment_state", "in", ("not_paid", "partial")),
            ("invoice_date_due", "<", fields.Date.context_today(self)),
        ]

    @api.depends_context("company")
    def _compute_relance_event_count(self):
        # The steps sent to the customer in the current company, read from the
        # history itself, so that the "Reminders" button (which opens them),
        # the 12-month figures and the history agree at any time: steps
        # waiting for validation, failed or cancelled are no reminders, and
        # the statistics table only catches up at the next daily run.
        domain = self._relance_sent_events_domain()
        since = fields.Date.context_today(self) - relativedelta(months=12)
        Event = self.env["relance.event"]
        totals = dict(Event._read_group(domain, ["partner_id"], ["__count"]))
        recent, notices = {}, {}
        for commercial, kind, count in Event._read_group(
            [*domain, ("date", ">=", since)], ["partner_id", "kind"], ["__count"]
        ):
            recent[commercial] = recent.get(commercial, 0) + count
            if kind == "formal_notice":
                notices[commercial] = count
        for partner in self:
            commercial = partner.commercial_partner_id
            partner.relance_event_count = totals.get(commercial, 0)
            partner.relance_reminder_count_12m = recent.get(commercial, 0)
            partner.relance_formal_notice_count_12m = notices.get(commercial, 0)

    def _relance_sent_events_domain(self):
        """The steps the "Reminders" counters count: sent, current company."""
        return [
            ("partner_id", "in", self.commercial_partner_id.ids),
            ("company_id", "=", self.env.company.id),
            ("state", "=", "sent"),
        ]

    def _relance_recipient(self):
        """The contact who receives reminders: the chosen one, else the
        invoice address, else the customer itself."""
        self.ensure_one()
        commercial = self.commercial_partner_id
        if commercial.relance_contact_id:
            return commercial.relance_contact_id
        invoice_address = commercial.address_get(["invoice"])["invoice"]
        return self.browse(invoice_address) or commercial

    def _relance_responsible(self, company, fallback=None):
        """User in charge of this customer's dunning in ``company``: its own,
        the company default, its salesperson, else ``fallback`` (the admin)."""
        self.ensure_one()
        return (
            self.commercial_partner_id.relance_user_id
            or company.relance_default_user_id
            or self.user_id
            or fallback
            or self.env.ref("base.user_admin")
        )

    @api.depends("relance_plan_ids.state")
    def _compute_relance_plan_count(self):
        counts = dict(
            self.env["relance.payment.plan"]._read_group(
                [("partner_id", "in", self.ids), ("state", "=", "running")],
                ["partner_id"],
                ["__count"],
            )
        )
        for partner in self:
            partner.relance_plan_count = counts.get(partner._origin, 0)
