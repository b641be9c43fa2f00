# pylint: disable=consider-merging-classes-inherited
"""Who receives what: the channels of a step for a customer (preferences,
silent customers, call-first), the fallbacks when an address is missing,
the contact that receives reminders, the one message a day per channel."""

from odoo import api, fields, models

from .relance_planner import CALL_FIRST_KINDS, CALL_FIRST_WAIT_DAYS, CUSTOMER_CHANNELS


class RelancePlanner(models.AbstractModel):
    _inherit = "relance.planner"

    @api.model
    def _relance_route(self, channels, recipient, company, user, call_limited):
        """[(channel, reason)] of a step's ``channels`` for ``recipient``:
        the fallbacks with their reason, ``(None, reason)`` for a channel
        left out. No email -> letter -> call; no postal address -> call."""
        Letter = self.env["relance.channel.letter"]
        has_address = Letter._relance_has_postal_address(recipient)
        name = recipient.display_name
        limit_note = self.env._(
            "%(count)s calls to %(customer)s in the last 30 days: no further call.",
            count=company.relance_max_calls,
            customer=recipient.commercial_partner_id.name,
        )

        def to_call(reason):
            if call_limited:
                return (None, f"{reason} {limit_note}")
            return ("phone", reason)

        routes = []
        for channel in channels:
            if channel == "email" and not recipient.email:
                if has_address:
                    reason = self.env._(
                        "No email address for %(recipient)s: a letter was prepared "
                        "instead.",
                        recipient=name,
                    )
                    routes.append(("letter", reason))
                else:
                    reason = self.env._(
                        "No email address nor postal address for %(recipient)s: a "
                        "call activity was created for %(user)s instead.",
                        recipient=name,
                        user=user.name,
                    )
                    routes.append(to_call(reason))
            elif channel == "letter" and not has_address:
                reason = self.env._(
                    "No postal address for %(recipient)s: a call activity was "
                    "created for %(user)s instead of the letter.",
                    recipient=name,
                    user=user.name,
                )
                routes.append(to_call(reason))
            elif channel == "sms" and not (
                recipient.mobile or recipient.commercial_partner_id.mobile
            ):
                reason = self.env._(
                    "No mobile number for %(recipient)s: no SMS.", recipient=name
                )
                routes.append((None, reason))
            elif channel == "phone" and call_limited:
                routes.append((None, limit_note))
            else:
                routes.append((channel, None))
        return routes

    @api.model
    def _relance_messaged_today(self, events, today):
        """{(customer, company, currency, channel)} already sent (or being
        sent) today: at most one message per customer, channel and day."""
        rows = self.env["relance.dispatch"]._read_group(
            [
                ("partner_id", "in", events.partner_id.ids),
                ("date", "=", today),
                ("state", "in", ("planned", "sent")),
                ("channel", "in", CUSTOMER_CHANNELS),
            ],
            ["partner_id", "company_id", "currency_id", "channel"],
        )
        return set(rows)

    @api.model
    def _relance_messaged_note(self, channel):
        label = dict(
            self.env["relance.dispatch"]
            ._fields["channel"]
            ._description_selection(self.env)
        )[channel]
        return self.env._(
            "Not sent by %(channel)s: the customer already received a message "
            "by %(channel)s today.",
            channel=label,
        )

    @api.model
    def _relance_step_channels(self, level, partner, silent, company):
        """Channels of ``level`` for ``partner`` reminded by ``company``: a
        customer who prefers letters gets a letter instead of the email, one
        who prefers the phone (or who did not answer ``company``'s last
        email, see ``silent``) gets a call too."""
        channels = level._relance_channels(partner)
        preferred = partner.relance_preferred_channel
        if preferred == "letter" and "email" in channels:
            channels = [c for c in channels if c != "email"]
            if "letter" not in channels:
                channels.append("letter")
        wants_call = preferred == "phone" or (partner, company) in silent
        if wants_call and "phone" not in channels and "email" in channels:
            channels.append("phone")
        return channels

    @api.model
    def _relance_call_first(self, partner, events):
        """Does the email of these events wait for the call? For a customer
        who prefers the phone, on courtesy and reminder steps."""
        return partner.relance_preferred_channel == "phone" and all(
            event.kind in CALL_FIRST_KINDS for event in events
        )

    @api.model
    def _relance_hold_date(self, company):
        """Day the email of a call-first customer goes when the call planned
        now is not logged: the call day + 2 call days (a call on Thursday
        leaves Thursday and Friday to call, the email goes on Monday)."""
        call_day, _slots = company._relance_call_day()
        return company._relance_next_call_day(call_day, CALL_FIRST_WAIT_DAYS)

    @api.model
    def _relance_call_limited(self, events):
        """{(customer, company)} already called as many times as the
        company that reminds allows in 30 days."""
        limited = set()
        phone = self.env["relance.channel.phone"]
        for company, group in events.grouped("company_id").items():
            if company.relance_max_calls:
                limited.update(
                    (partner, company)
                    for partner in phone._relance_call_limit_reached(
                        group.partner_id, company
                    )
                )
        return limited

    @api.model
    def _relance_silent_customers(self, partners):
        """{(customer, company)}: customers who neither paid nor answered in
        the N days (that company's setting) since the last reminder email of
        that company: its next step adds a call. Another company's email
        does not make the customer silent here."""
        last_emails = {
            (partner, company): day
            for partner, company, day in self.env["relance.dispatch"]._read_group(
                [
                    ("partner_id", "in", partners.ids),
                    ("channel", "=", "email"),
                    ("state", "=", "sent"),
                ],
                ["partner_id", "company_id"],
                ["date:max"],
            )
        }
        if not last_emails:
            return set()
        answers = dict(
            self.env["mail.message"]._read_group(
                [
                    (
                        "author_id.commercial_partner_id",
                        "in",
                        list({partner.id for partner, _company in last_emails}),
                    ),
                    ("message_type", "in", ("email", "comment")),
                    ("model", "in", ("account.move", "res.partner")),
                    ("date", ">=", min(last_emails.values())),
                ],
                ["author_id"],
                ["date:max"],
            )
        )
        answered = {}
        for author, day in answers.items():
            partner = author.commercial_partner_id
            answered[partner] = max(day, answered.get(partner, day))
        today = fields.Date.context_today(self)
        silent = set()
        for (partner, company), day in last_emails.items():
            days = company.relance_silence_days
            answer = answered.get(partner)
            if (
                days
                and (today - day).days >= days
                and not (answer and answer.date() >= day)
            ):
                silent.add((partner, company))
        return silent

    @api.model
    def _relance_recipients(self, partners):
        """{commercial partner: contact receiving reminders}, in one query."""
        invoice_contacts = self.env["res.partner"].search(
            [("parent_id", "in", partners.ids), ("type", "=", "invoice")], order="id"
        )
        first_contact = {}
        for contact in invoice_contacts:
            first_contact.setdefault(contact.parent_id, contact)
        return {
            partner: partner.relance_contact_id or first_contact.get(partner) or partner
            for partner in partners
        }
