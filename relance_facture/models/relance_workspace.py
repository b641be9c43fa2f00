from odoo import api, fields, models

CARDS = [
    ("to_validate", "Steps to validate"),
    ("calls", "Calls to make"),
    ("failed", "Failed sends"),
    ("letters", "Letters to print"),
    ("promises", "Promises due today"),
    ("disputes", "New disputes"),
    ("plans", "Missed instalments"),
    ("answers", "Customer answers"),
    ("replies", "Replies to answer"),
]

# Days during which a dispute counts as new on the workspace.
NEW_DISPUTE_DAYS = 7


class RelanceWorkspace(models.Model):
    """One card of the dunning workspace: today's work of one kind.

    The cards are data records; their counts are computed when the workspace
    is opened, for the user and the companies selected, so they are never
    stale. Each card opens the list where the work is done.
    """

    _name = "relance.workspace"
    _description = "Dunning Workspace Card"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Selection(CARDS, required=True)
    sequence = fields.Integer(default=10)
    description = fields.Char(translate=True)
    count = fields.Integer(compute="_compute_count", string="To Do")
    my_count = fields.Integer(
        compute="_compute_count",
        string="Mine",
        help="Calls assigned to the current user (the list opens on them).",
    )
    color = fields.Integer(compute="_compute_count")

    _sql_constraints = [
        ("code_uniq", "UNIQUE(code)", "There is one workspace card per kind of work.")
    ]

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_count(self):
        for card in self:
            model, domain = card._relance_target()
            records = self.env[model]
            card.count = records.search_count(domain)
            card.my_count = (
                records.search_count([*domain, ("user_id", "=", self.env.uid)])
                if card.code == "calls"
                else 0
            )
            # Red when something failed or waits, grey when there is nothing.
            card.color = (
                0
                if not card.count
                else 1
                if card.code in ("failed", "disputes", "plans", "replies")
                else 4
            )

    def _relance_target(self):
        """(model, domain) of the records behind the card."""
        self.ensure_one()
        today = fields.Date.context_today(self)
        company_ids = self.env.companies.ids
        if self.code == "to_validate":
            return "relance.event", [
                ("state", "=", "draft"),
                ("company_id", "in", company_ids),
            ]
        if self.code == "failed":
            return "relance.event", [
                ("state", "=", "failed"),
                ("company_id", "in", company_ids),
            ]
        if self.code == "calls":
            activity_type = self.env.ref(
                "relance_facture.mail_activity_type_relance_call"
            )
            # calls sit on customers shared between companies: count those
            # the run planned for the companies selected, and those planned
            # by hand (of no company)
            return "mail.activity", [
                ("activity_type_id", "=", activity_type.id),
                ("res_model", "=", "res.partner"),
                "|",
                ("relance_company_id", "=", False),
                ("relance_company_id", "in", company_ids),
            ]
        if self.code == "plans":
            return "relance.payment.plan", [
                ("is_late", "=", True),
                ("company_id", "in", company_ids),
            ]
        if self.code == "letters":
            return "relance.dispatch", [
                ("channel", "=", "letter"),
                ("state", "=", "sent"),
                ("printed", "=", False),
                ("company_id", "in", company_ids),
            ]
        if self.code in ("answers", "replies"):
            kind = (
                ("kind", "=", "reply")
                if self.code == "replies"
                else ("kind", "!=", "reply")
            )
            return "relance.answer", [
                kind,
                ("state", "=", "new"),
                ("company_id", "in", company_ids),
            ]
        moves = [
            *self.env["account.move"]._relance_open_domain(),
            ("company_id", "in", company_ids),
        ]
        if self.code == "promises":
            return "account.move", [*moves, ("relance_promise_date", "=", today)]
        # disputes
        since = fields.Date.add(today, days=-NEW_DISPUTE_DAYS)
        return "account.move", [
            *moves,
            ("relance_dispute", "=", True),
            ("relance_dispute_date", ">=", since),
        ]

    def action_open(self):
        """The list of the card's records, with the buttons to act on them."""
        self.ensure_one()
        xmlids = {
            "to_validate": "relance_facture.relance_event_action_to_validate",
            "failed": "relance_facture.relance_event_action_failed",
            "calls": "relance_facture.relance_workspace_action_calls",
            "letters": "relance_facture.relance_dispatch_action_letter",
            "promises": "relance_facture.account_move_action_relance_promises",
            "disputes": "relance_facture.account_move_action_relance_disputes",
            "plans": "relance_facture.relance_payment_plan_action",
            "answers": "relance_facture.relance_answer_action",
            "replies": "relance_facture.relance_answer_action",
        }
        action = self.env["ir.actions.act_window"]._for_xml_id(xmlids[self.code])
        model, domain = self._relance_target()
        action["domain"] = domain
        action["name"] = self.name
        if self.code == "calls" and self.my_count:
            action["context"] = {"search_default_filter_user_id_uid": 1}
        else:
            action["context"] = {}
        return action
