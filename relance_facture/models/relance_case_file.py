import csv
import io
import zipfile

from odoo import api, fields, models
from odoo.exceptions import UserError


class RelanceCaseFile(models.AbstractModel):
    """The case file handed to an agency, a lawyer or the court when amicable
    dunning is over: the invoices, the history of reminders, the formal
    notices as sent and their acknowledgement, in one ZIP."""

    _name = "relance.case.file"
    _description = "Dunning Case File"

    @api.model
    def _relance_default_moves(self, partner, company=None):
        """The customer's unpaid invoices that went through dunning in
        ``company`` (default: the current one): a case file is one
        creditor's claim."""
        company = company or self.env.company
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("company_id", "=", company.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial", "in_payment")),
                ("relance_event_ids", "!=", False),
            ],
            order="invoice_date_due, id",
        )

    @api.model
    def _relance_build(self, partner, moves=None):
        """Build the ZIP of one company's invoices and store it on their
        dunning history; returns the attachment."""
        partner = partner.commercial_partner_id
        moves = moves if moves is not None else self._relance_default_moves(partner)
        if not moves:
            raise UserError(
                self.env._(
                    "%(customer)s has no unpaid invoice that went through dunning "
                    "in %(company)s.",
                    customer=partner.name,
                    company=self.env.company.name,
                )
            )
        if len(moves.company_id) > 1:
            raise UserError(
                self.env._(
                    "A case file holds the invoices of one company: select the "
                    "steps of a single company."
                )
            )
        events = self.env["relance.event"].search(
            [("move_id", "in", moves.ids)], order="date, id"
        )
        notices = events.dispatch_ids.filtered(
            lambda d: d.channel == "formal_notice" and d.state == "sent"
        ).sorted(lambda d: (d.date, d.id))
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for move in moves:
                name, content = self._relance_invoice_file(move)
                archive.writestr(f"invoices/{name}", content)
            archive.writestr("reminder_history.csv", self._relance_history_csv(events))
            for notice in notices.filtered("attachment_id"):
                archive.writestr(
                    f"formal_notices/{self._relance_safe(notice.attachment_id.name)}",
                    notice.attachment_id.raw,
                )
            for notice in notices.filtered("ack_attachment_id"):
                # the signed acknowledgement of receipt (C. civ. 1344)
                scan = notice.ack_attachment_id.sudo()
                archive.writestr(
                    f"formal_notices/{notice.id}_{self._relance_safe(scan.name)}",
                    scan.raw,
                )
            archive.writestr(
                "formal_notices/acknowledgements.csv",
                self._relance_notices_csv(notices),
            )
        today = fields.Date.context_today(self)
        holder = self._relance_holder(events)
        # the user may read the history, not write it: the file is stored
        # by the dunning, and read back under the holder's company rule
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self._relance_safe(
                        self.env._(
                            "Case file %(customer)s %(date)s.zip",
                            customer=partner.name,
                            date=fields.Date.to_string(today),
                        )
                    ),
                    "raw": buffer.getvalue(),
                    "mimetype": "application/zip",
                    "res_model": holder._name,
                    "res_id": holder.id,
                    "company_id": moves.company_id.id,
                }
            )
            .with_env(self.env)
        )

    @api.model
    def _relance_holder(self, events):
        """The record the case file is attached to: an attachment is read by
        whoever may read its record, and the customer is shared between
        companies. So, like Odoo's reports stored on the document printed,
        it goes on the last message of the history (a dispatch), else on its
        last step (an event); both follow the company rule."""
        dispatches = events.dispatch_ids.filtered(lambda d: d.state == "sent")
        if dispatches:
            return dispatches.sorted(lambda d: (d.date, d.id))[-1]
        return events.sorted(lambda e: (e.date, e.id))[-1:]

    @api.model
    def _relance_download_action(self, attachment):
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }

    @api.model
    def _relance_safe(self, name):
        return name.replace("/", "_").replace("\\", "_")

    @api.model
    def _relance_invoice_file(self, move):
        """(file name, content): the stored invoice PDF, else a fresh one."""
        base = self._relance_safe(move._get_report_base_filename())
        if move.invoice_pdf_report_id:
            return f"{base}.pdf", move.invoice_pdf_report_id.raw
        content, report_type = self.env["ir.actions.report"]._render_qweb_pdf(
            "account.account_invoices", move.ids
        )
        # Tests render HTML instead of PDF.
        return f"{base}.{'pdf' if report_type == 'pdf' else 'html'}", content

    @api.model
    def _relance_csv(self, records, fnames, rows):
        """CSV with the fields' labels, in the user's language, as header."""
        output = io.StringIO()
        writer = csv.writer(output)
        writer.writerow(
            [records._fields[f]._description_string(self.env) for f in fnames]
        )
        writer.writerows(rows)
        return output.getvalue().encode("utf-8-sig")

    @api.model
    def _relance_value(self, record, fname):
        field = record._fields[fname]
        value = record[fname]
        if field.type == "selection":
            return dict(field._description_selection(self.env)).get(value, "")
        if field.type == "many2one":
            return value.display_name or ""
        if field.type in ("one2many", "many2many"):
            return ", ".join(value.mapped("display_name"))
        if field.type == "date":
            return fields.Date.to_string(value) or ""
        return "" if value is False else value

    @api.model
    def _relance_history_csv(self, events):
        fnames = [
            "date",
            "move_id",
            "level_id",
            "channel",
            "state",
            "recipient_id",
            "amount_residual",
            "days_late",
            "user_id",
            "note",
        ]
        rows = [[self._relance_value(e, f) for f in fnames] for e in events]
        return self._relance_csv(self.env["relance.event"], fnames, rows)

    @api.model
    def _relance_notices_csv(self, notices):
        fnames = [
            "date",
            "recipient_id",
            "sending_mode",
            "tracking_ref",
            "ack_date",
            "deadline_date",
            "move_ids",
            "amount_residual",
            "attachment_id",
        ]
        rows = [[self._relance_value(n, f) for f in fnames] for n in notices]
        return self._relance_csv(self.env["relance.dispatch"], fnames, rows)
