from odoo import api, fields, models
from odoo.exceptions import ValidationError

from ..tools import ladder

STEP_KINDS = [
    (ladder.PRE_DUE, "Courtesy (before due date)"),
    (ladder.REMINDER, "Reminder"),
    (ladder.FORMAL_NOTICE, "Formal notice"),
    (ladder.ESCALATION, "Escalation"),
]


class RelanceLevel(models.Model):
    """One step of a dunning ladder."""

    _name = "relance.level"
    _description = "Dunning Step"
    _order = "profile_id, sequence, offset_days, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    profile_id = fields.Many2one(
        "relance.profile", required=True, ondelete="cascade", index=True
    )
    company_id = fields.Many2one(related="profile_id.company_id", store=True)
    sequence = fields.Integer(default=10)
    kind = fields.Selection(
        STEP_KINDS,
        required=True,
        default=ladder.REMINDER,
    )
    offset_days = fields.Integer(
        string="Days from Due Date",
        required=True,
        help="Negative: before the due date (J-7 is -7); positive: after it.",
    )
    auto_send = fields.Boolean(
        string="Send Automatically",
        default=True,
        help="Unchecked: the daily run prepares the step and waits for an "
        "accountant to validate it.",
    )
    min_amount = fields.Float(
        string="Minimum Amount",
        help="The step is skipped for invoices whose balance is below this amount.",
    )
    use_email = fields.Boolean(string="Email")
    mail_template_id = fields.Many2one(
        "mail.template",
        string="Email Template",
        domain=[("model", "=", "relance.dispatch")],
    )
    use_sms = fields.Boolean(string="SMS")
    sms_template_id = fields.Many2one(
        "sms.template",
        string="SMS Template",
        domain=[("model", "=", "relance.dispatch")],
    )
    sms_consumers_only = fields.Boolean(
        string="SMS to Consumers Only",
        help="Professionals get the other channels of the step, not the SMS.",
    )
    use_letter = fields.Boolean(string="Printed Letter")
    use_phone = fields.Boolean(
        string="Phone Call",
        help="A Call activity for the person in charge, with the call script.",
    )
    call_script = fields.Text(
        translate=True,
        help="Read to the customer. Placeholders: {customer}, {invoices}, "
        "{due_dates}, {amount}.",
    )
    reminder_number = fields.Integer(
        compute="_compute_reminder_number",
        store=True,
        help="1 for the first reminder after the due date, 2 for the second...",
    )

    @api.depends("profile_id.level_ids.kind", "profile_id.level_ids.sequence")
    def _compute_reminder_number(self):
        for level in self:
            reminders = level.profile_id.level_ids.filtered(
                lambda lvl: lvl.kind == ladder.REMINDER
            ).sorted(lambda lvl: (lvl.sequence, lvl.offset_days, lvl.id))
            level.reminder_number = (
                list(reminders).index(level) + 1 if level in reminders else 0
            )

    @api.constrains("kind", "offset_days")
    def _check_offset_days(self):
        for level in self:
            if level.kind == ladder.PRE_DUE and level.offset_days >= 0:
                raise ValidationError(
                    self.env._(
                        "The courtesy step %(step)s must come before the due date: "
                        "give it a negative number of days.",
                        step=level.name,
                    )
                )
            if level.kind != ladder.PRE_DUE and level.offset_days <= 0:
                raise ValidationError(
                    self.env._(
                        "The step %(step)s reminds a late customer: it must come "
                        "at least one day after the due date.",
                        step=level.name,
                    )
                )

    @api.constrains("use_email", "mail_template_id", "use_sms", "sms_template_id")
    def _check_templates(self):
        for level in self:
            if level.use_email and not level.mail_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s sends an email: choose its template.",
                        step=level.name,
                    )
                )
            if level.use_sms and not level.sms_template_id:
                raise ValidationError(
                    self.env._(
                        "Step %(step)s sends an SMS: choose its template.",
                        step=level.name,
                    )
                )

    def _relance_is_customer_facing(self):
        """Does this step send something to the customer (bound by the gap)?"""
        self.ensure_one()
        return bool(
            self.use_email
            or self.use_sms
            or self.use_letter
            or self.kind == ladder.FORMAL_NOTICE
        )

    def _relance_channels(self, partner=None):
        """Channels of this step, the main one first (for ``partner`` when
        given: the SMS of a consumers-only step is dropped for professionals)."""
        self.ensure_one()
        channels = []
        if self.kind == ladder.FORMAL_NOTICE:
            channels.append("formal_notice")
        if self.use_email:
            channels.append("email")
        if self.use_sms and not (
            partner is not None
            and self.sms_consumers_only
            and not partner.relance_is_consumer
        ):
            channels.append("sms")
        if self.use_letter:
            channels.append("letter")
        if self.use_phone:
            channels.append("phone")
        if self.kind == ladder.ESCALATION:
            channels.append("escalation")
        return channels

    def _relance_main_channel(self):
        self.ensure_one()
        channels = self._relance_channels()
        return channels[0] if channels else "phone"

    def _relance_step(self):
        """This step as a pure ``ladder.Step``."""
        self.ensure_one()
        return ladder.Step(
            key=self.id,
            kind=self.kind,
            offset_days=self.offset_days,
            customer_facing=self._relance_is_customer_facing(),
            auto_send=self.auto_send,
            min_amount=self.min_amount,
        )
