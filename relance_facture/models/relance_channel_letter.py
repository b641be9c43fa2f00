import functools
import logging
import subprocess

from odoo import api, fields, models
from odoo.exceptions import UserError
from odoo.tools import pdf

from odoo.addons.base.models.ir_actions_report import _get_wkhtmltopdf_bin

_logger = logging.getLogger(__name__)

LETTER_REPORT = "relance_facture.action_report_relance_letter"


@functools.cache
def _wkhtmltopdf_patched_qt():
    try:
        version = subprocess.run(
            [_get_wkhtmltopdf_bin(), "--version"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        ).stdout
    except (OSError, subprocess.SubprocessError):
        return False
    patched = "patched qt" in version.lower()
    if not patched:
        _logger.info(
            "wkhtmltopdf is built without patched Qt: dunning letters are "
            "rendered one by one."
        )
    return patched


class RelanceChannelLetter(models.AbstractModel):
    """Letter channel: a printed reminder letter (QWeb PDF) per dispatch,
    stored with the history and waiting in the "Letters to print" list."""

    _name = "relance.channel.letter"
    _inherit = "relance.channel"
    _description = "Dunning Channel: Printed Letter"

    @api.model
    def _relance_send(self, dispatches):
        without_address = dispatches.filtered(
            lambda d: not self._relance_has_postal_address(d.recipient_id)
        )
        for dispatch in without_address:
            dispatch.write(
                {
                    "state": "failed",
                    "note": self.env._(
                        "No postal address for %(recipient)s: the letter cannot be "
                        "posted.",
                        recipient=dispatch.recipient_id.display_name,
                    ),
                }
            )
        to_send = dispatches - without_address
        if not to_send:
            return
        # One wkhtmltopdf run for the batch when it can take several letters;
        # otherwise the daily run does not wait ~1 s per letter: they are
        # rendered when printed (the file is frozen then).
        if self._relance_wkhtmltopdf_batches():
            self._relance_render_letters(to_send)
        to_print = self.env._("Letter to print.")
        for dispatch in to_send:
            dispatch.write(
                {
                    "state": "sent",
                    "note": "\n".join(filter(None, [dispatch.note, to_print])),
                }
            )

    @api.model
    def _relance_has_postal_address(self, partner):
        """Can a letter to ``partner`` be posted (a street and a zip or city)?"""
        return bool(partner.street and (partner.zip or partner.city))

    @api.model
    def _relance_render_letters(self, dispatches):
        """Render the letters in one wkhtmltopdf call; Odoo splits the PDF per
        dispatch (one title per letter) and stores each part as the report's
        attachment, which ``attachment_id`` then points to.

        A wkhtmltopdf without patched Qt takes one document per run (Odoo's
        batch gives an empty PDF): the letters are then rendered one by one.
        Without a PDF engine (tests that do not force rendering), the letters
        are rendered when they are printed.
        """
        dispatches = dispatches.filtered(lambda d: not d.attachment_id)
        if not dispatches:
            return
        self.env["relance.channel.email"]._relance_ensure_access_tokens(
            dispatches.event_ids.move_id
        )
        Report = self.env["ir.actions.report"]
        if len(dispatches) > 1 and self._relance_wkhtmltopdf_batches():
            _content, report_type = Report._render_qweb_pdf(
                LETTER_REPORT, dispatches.ids
            )
            if report_type != "pdf":
                return
            self._relance_link_attachments(dispatches)
        # One by one: wkhtmltopdf cannot batch, or Odoo could not split the PDF.
        for dispatch in dispatches.filtered(lambda d: not d.attachment_id):
            _content, report_type = Report._render_qweb_pdf(LETTER_REPORT, dispatch.ids)
            if report_type != "pdf":
                return
            self._relance_link_attachments(dispatch)

    @api.model
    def _relance_wkhtmltopdf_batches(self):
        """Can wkhtmltopdf render several letters in one run? Only builds
        with patched Qt (the ones Odoo recommends) take several documents."""
        return _wkhtmltopdf_patched_qt()

    @api.model
    def _relance_link_attachments(self, dispatches):
        attachments = self.env["ir.attachment"].search(
            [
                ("res_model", "=", "relance.dispatch"),
                ("res_id", "in", dispatches.ids),
                ("mimetype", "=", "application/pdf"),
            ],
            order="id desc",
        )
        latest = {}
        for attachment in attachments:
            latest.setdefault(attachment.res_id, attachment)
        for dispatch in dispatches:
            if dispatch.id in latest:
                dispatch.attachment_id = latest[dispatch.id]

    @api.model
    def _relance_print(self, dispatches):
        """Print letters as one PDF, from their stored files (the missing ones
        are rendered first, in one call), and mark them printed."""
        letters = dispatches.filtered(
            lambda d: d.channel == "letter" and d.state == "sent"
        ).sorted(lambda d: (d.partner_id.name or "", d.id))
        if not letters:
            raise UserError(self.env._("Select letters that were prepared to print."))
        self._relance_render_letters(letters)
        missing = letters.filtered(lambda d: not d.attachment_id)
        if missing:
            raise UserError(
                self.env._(
                    "The letters to %(customers)s could not be generated: check "
                    "that wkhtmltopdf is installed.",
                    customers=", ".join(missing.partner_id.mapped("name")),
                )
            )
        content = pdf.merge_pdf([letter.attachment_id.raw for letter in letters])
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._(
                    "Letters to print %(date)s.pdf",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
                "raw": content,
                "mimetype": "application/pdf",
            }
        )
        letters.write({"printed": True})
        return {
            "type": "ir.actions.act_url",
            "url": f"/web/content/{attachment.id}?download=true",
            "target": "self",
        }
