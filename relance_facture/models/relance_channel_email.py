import uuid

from odoo import api, fields, models
from odoo.tools import SQL


class RelanceChannelEmail(models.AbstractModel):
    """Email channel: the step's template rendered on each dispatch, queued
    in ``mail.mail`` (never sent inline), inside Odoo's mail layout."""

    _name = "relance.channel.email"
    _description = "Dunning Channel: Email"

    @api.model
    def _relance_send(self, dispatches):
        without_email = dispatches.filtered(lambda d: not d.recipient_id.email)
        if without_email:
            self._relance_replace_without_email(without_email)
        to_send = dispatches - without_email
        if not to_send:
            return
        self._relance_ensure_access_tokens(to_send.event_ids.move_id)
        for template, group in to_send.grouped(
            lambda d: d.level_id.mail_template_id
        ).items():
            mails = template.with_context(mail_notify_force_send=False).send_mail_batch(
                group.ids,
                force_send=False,
                email_layout_xmlid="mail.mail_notification_light",
            )
            mail_by_dispatch = {mail.res_id: mail for mail in mails}
            for dispatch in group:
                dispatch.mail_id = mail_by_dispatch.get(dispatch.id)
            self._relance_attach_invoices(group)
        to_send.filtered("mail_id").write({"state": "sent"})

    @api.model
    def _relance_replace_without_email(self, dispatches):
        """No email address: the message fails and goes out as a printed
        letter instead (the same step's letter when it has one), or, without
        a postal address either, as a call activity for the person in charge."""
        Letter = self.env["relance.channel.letter"]
        by_letter = dispatches.grouped(
            lambda d: Letter._relance_has_postal_address(d.recipient_id)
        )
        to_letter = by_letter.get(True, dispatches.browse())
        to_call = by_letter.get(False, dispatches.browse())
        for dispatch in to_letter:
            dispatch.write(
                {
                    "state": "failed",
                    "note": self.env._(
                        "No email address for %(recipient)s: a letter was prepared "
                        "instead.",
                        recipient=dispatch.recipient_id.display_name,
                    ),
                }
            )
        for dispatch in to_call:
            dispatch.write(
                {
                    "state": "failed",
                    "note": self.env._(
                        "No email address nor postal address for %(recipient)s: a "
                        "call activity was created for %(user)s instead.",
                        recipient=dispatch.recipient_id.display_name,
                        user=dispatch.user_id.name,
                    ),
                }
            )
        if to_letter:
            Letter._relance_send(self._relance_letter_dispatches(to_letter))
        if to_call:
            self.env["relance.channel.phone"]._relance_schedule_calls(
                to_call,
                reason=self.env._("The customer has no email address: please call."),
            )

    @api.model
    def _relance_letter_dispatches(self, dispatches):
        """The letters replacing these emails: a step that also sends a letter
        already has it in this run; the others get one, with the same steps."""
        existing = self.env["relance.dispatch"].search(
            [
                ("channel", "=", "letter"),
                ("event_ids", "in", dispatches.event_ids.ids),
                ("state", "!=", "failed"),
            ]
        )
        covered = existing.event_ids
        vals_list = [
            {
                "partner_id": dispatch.partner_id.id,
                "recipient_id": dispatch.recipient_id.id,
                "company_id": dispatch.company_id.id,
                "currency_id": dispatch.currency_id.id,
                "channel": "letter",
                "level_id": dispatch.level_id.id,
                "date": dispatch.date,
                "user_id": dispatch.user_id.id,
                "event_ids": [fields.Command.set(dispatch.event_ids.ids)],
            }
            for dispatch in dispatches
            if dispatch.event_ids - covered
        ]
        return self.env["relance.dispatch"].create(vals_list)

    @api.model
    def _relance_ensure_access_tokens(self, moves):
        """Portal links need a token. ``_portal_ensure_token`` writes invoices
        one by one (and an invoice write re-checks its balance), so the
        missing tokens are set in one statement."""
        missing = moves.filtered(lambda m: not m.access_token)
        if not missing:
            return
        self.env.execute_query(
            SQL(
                """UPDATE account_move SET access_token = tokens.token
                   FROM (SELECT unnest(%s::int[]) AS id,
                                unnest(%s::varchar[]) AS token) tokens
                   WHERE account_move.id = tokens.id
                     AND account_move.access_token IS NULL""",
                missing.ids,
                [str(uuid.uuid4()) for _move in missing],
            )
        )
        missing.invalidate_recordset(["access_token"])

    @api.model
    def _relance_attach_invoices(self, dispatches):
        """Attach the invoice PDFs when the company asks for it, reusing the
        stored PDF of an invoice when there is one."""
        for dispatch in dispatches.filtered(
            lambda d: d.company_id.relance_attach_invoice and d.mail_id
        ):
            attachments = self.env["ir.attachment"]
            for move in dispatch.event_ids.move_id:
                attachments |= (
                    move.invoice_pdf_report_id or self._relance_render_invoice(move)
                )
            dispatch.mail_id.attachment_ids = [
                fields.Command.link(a.id) for a in attachments
            ]

    @api.model
    def _relance_render_invoice(self, move):
        content, _report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account.account_invoices", move.ids
        )
        return self.env["ir.attachment"].create(
            {
                "name": f"{move._get_report_base_filename()}.pdf",
                "raw": content,
                "mimetype": "application/pdf",
                "res_model": "mail.message",
                "res_id": 0,
            }
        )
