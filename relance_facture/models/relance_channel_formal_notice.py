import logging
from datetime import timedelta

from markupsafe import Markup

from odoo import api, fields, models
from odoo.exceptions import UserError

_logger = logging.getLogger(__name__)

REPORT = "relance_facture.action_report_mise_en_demeure"

# Days the letter takes to reach the customer, by sending mode. The legal
# deadline runs from receipt, so the deadline printed on the letter is the
# letter date + this delivery time + the company's deadline; recording the
# acknowledgement date (tracking wizard) replaces the estimate with
# AR date + deadline.
DELIVERY_DAYS = {"lrar": 3, "post": 3, "lre": 1, "bailiff": 1}


class RelanceChannelFormalNotice(models.AbstractModel):
    """Formal notice (mise en demeure): a PDF letter per customer, frozen as
    an attachment of its message, logged with the PDF in the customer's
    chatter; the registered letter itself is posted by the accountant, who
    records its tracking number and acknowledgement in
    ``relance.notice.tracking``."""

    _name = "relance.channel.formal_notice"
    _inherit = "relance.channel"
    _description = "Dunning Channel: Formal Notice"

    @api.model
    def _relance_missing_mentions(self, company, recipient):
        """Mandatory mentions the letter would lack, as readable labels."""
        missing = []
        if not company.company_registry:
            missing.append(
                self.env._(
                    "the SIREN/RCS number (Company ID) of %(company)s",
                    company=company.name,
                )
            )
        if not company.partner_id.bank_ids:
            missing.append(
                self.env._("a bank account (IBAN) of %(company)s", company=company.name)
            )
        if not (company.street and company.zip and company.city):
            missing.append(
                self.env._("the postal address of %(company)s", company=company.name)
            )
        if not (recipient.street and recipient.zip and recipient.city):
            missing.append(
                self.env._(
                    "the postal address (street, ZIP, city) of %(customer)s",
                    customer=recipient.display_name,
                )
            )
        return missing

    @api.model
    def _relance_check_mentions(self, events):
        """Refuse to validate formal notices that would lack a mandatory
        mention; nothing is sent."""
        events = events.filtered(
            lambda e: "formal_notice" in e.level_id._relance_channels()
        )
        if not events:
            return True
        recipients = self.env["relance.planner"]._relance_recipients(events.partner_id)
        problems = []
        for (partner, company), _group in events.grouped(
            lambda e: (e.partner_id, e.company_id)
        ).items():
            problems += self._relance_missing_mentions(company, recipients[partner])
        if problems:
            raise UserError(
                self.env._(
                    "The formal notice cannot be sent: its mandatory mentions are "
                    "incomplete. Missing:\n%(missing)s\nComplete the company "
                    "settings or the customer's address, then validate again.",
                    missing="\n".join(f"- {p}" for p in dict.fromkeys(problems)),
                )
            )
        return True

    @api.model
    def _relance_send(self, dispatches):
        incomplete = self.env["relance.dispatch"]
        for dispatch in dispatches:
            missing = self._relance_missing_mentions(
                dispatch.company_id, dispatch.recipient_id
            )
            if missing:
                incomplete |= dispatch
                dispatch.write(
                    {
                        "state": "failed",
                        "note": self.env._(
                            "Formal notice not sent, missing: %(missing)s",
                            missing="; ".join(missing),
                        ),
                    }
                )
        to_send = dispatches - incomplete
        if not to_send:
            return
        for dispatch in to_send:
            mode = dispatch.sending_mode or "lrar"
            dispatch.write(
                {
                    "sending_mode": mode,
                    "deadline_date": dispatch._relance_notice_deadline(
                        dispatch.date + timedelta(days=DELIVERY_DAYS[mode])
                    ),
                }
            )
        letters = self._relance_render_letters(to_send)
        for dispatch in to_send:
            dispatch.write({"attachment_id": letters[dispatch].id, "state": "sent"})
        self._relance_log_letters(to_send)

    @api.model
    def _relance_render_letters(self, dispatches):
        """{dispatch: attachment}. One rendering for the batch: the report
        splits the PDF per letter and stores each (``attachment``); a letter
        it could not split is rendered alone."""
        Report = self.env["ir.actions.report"]
        report = Report._get_report(REPORT)
        if len(dispatches) > 1:
            try:
                with self.env.cr.savepoint():
                    Report._render_qweb_pdf(REPORT, dispatches.ids)
            except Exception:  # pylint: disable=broad-except
                # wkhtmltopdf builds without patched Qt cannot print several
                # documents in one run: then each letter is printed alone.
                _logger.info("Formal notices printed one by one.")
        letters = {}
        for dispatch in dispatches:
            attachment = report.retrieve_attachment(dispatch)
            if not attachment:
                content, report_type = Report._render_qweb_pdf(REPORT, dispatch.ids)
                attachment = report.retrieve_attachment(dispatch)
                if not attachment:
                    # Tests render HTML instead of PDF and store nothing.
                    attachment = self.env["ir.attachment"].create(
                        {
                            "name": dispatch._relance_notice_filename(report_type),
                            "raw": content,
                            "res_model": dispatch._name,
                            "res_id": dispatch.id,
                        }
                    )
            letters[dispatch] = attachment
        return letters

    @api.model
    def _relance_log_letters(self, dispatches):
        """The letter, as sent, in the customer's chatter."""
        for dispatch in dispatches:
            mode = dict(
                dispatch._fields["sending_mode"]._description_selection(self.env)
            )[dispatch.sending_mode]
            body = Markup("<p>%s</p>") % self.env._(
                "Formal notice for %(invoices)s (%(amount)s) to send by %(mode)s; "
                "payment deadline %(deadline)s.",
                invoices=", ".join(dispatch.move_ids.mapped("name")),
                amount=dispatch.currency_id.format(dispatch.amount_residual),
                mode=mode,
                deadline=fields.Date.to_string(dispatch.deadline_date),
            )
            dispatch.partner_id.sudo()._message_log(
                body=body, attachment_ids=dispatch.attachment_id.ids
            )
