import csv
import io
import zipfile

from odoo import api, fields, models


class RelanceCaseFile(models.AbstractModel):
    """The case file handed to an agency, a lawyer or the court when amicable
    dunning is over: the invoices, the history of reminders, the formal
    notices as sent and their acknowledgement, in one ZIP."""

    _name = "relance.case.file"
    _description = "Dunning Case File"

    @api.model
    def _relance_default_moves(self, partner):
        """The customer's unpaid invoices that went through dunning."""
        return self.env["account.move"].search(
            [
                ("commercial_partner_id", "=", partner.commercial_partner_id.id),
                ("move_type", "=", "out_invoice"),
                ("state", "=", "posted"),
                ("payment_state", "in", ("not_paid", "partial", "in_payment")),
                ("relance_event_ids", "!=", False),
            ],
            order="invoice_date_due, id",
        )

    @api.model
    def _relance_build(self, partner, moves=None):
        """Build the ZIP and store it on the customer; returns the attachment."""
        partner = partner.commercial_partner_id
        moves = moves if moves is not None else self._relance_default_moves(partner)
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
            archive.writestr(
                "formal_notices/acknowledgements.csv",
                self._relance_notices_csv(notices),
            )
        today = fields.Date.context_today(self)
        return self.env["ir.attachment"].create(
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
                "res_model": "res.partner",
                "res_id": partner.id,
            }
        )

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
