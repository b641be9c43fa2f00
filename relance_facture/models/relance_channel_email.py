import textwrap
import uuid

from markupsafe import Markup, escape

from odoo import api, fields, models
from odoo.tools import SQL, is_html_empty
from odoo.tools.mail import html_to_inner_content

# Odoo's light layout: the company's header and footer around the body.
EMAIL_LAYOUT = "mail.mail_notification_light"


class _LayoutMessage:
    """What mail's layouts read of the message they wrap: its body, the
    name of its record and its preview (``mail.message._compute_preview``)."""

    def __init__(self, body, record_name):
        self.body = body
        self.record_name = record_name
        text = html_to_inner_content(body)
        # the preview is its first 190 characters: shortening the whole body
        # only wraps text cut away, so a head still over twice that is read
        head = text[:1000]
        if len(" ".join(head.split())) > 400:
            text = head
        self.preview = textwrap.shorten(text, 190)


# Where a layout rendered once puts each email's own values.
_BODY, _NAME, _PREVIEW = (
    f"relance-layout-{part}-5f0c2a9e" for part in ("body", "name", "preview")
)


class _LayoutSkeleton:
    """A layout rendered around markers, filled for each email; ``checked``
    once a full render of another email of its group gave the same email."""

    def __init__(self, rendered):
        self.rendered = str(rendered)
        self.checked = False

    def fill(self, message, body):
        """The email of ``message``; ``body``: its body, local links made
        absolute (the markers sit between tags: no link spans them)."""
        name = message.record_name.replace("/", "-") if message.record_name else ""
        return Markup(
            self.rendered.replace(_PREVIEW, escape(message.preview))
            .replace(_NAME, escape(name))
            .replace(_BODY, body)
        )


class RelanceChannelEmail(models.AbstractModel):
    """Email channel: the step's template rendered on each dispatch, queued
    in ``mail.mail`` (never sent inline), inside Odoo's mail layout."""

    _name = "relance.channel.email"
    _inherit = "relance.channel"
    _description = "Dunning Channel: Email"

    @api.model
    def _relance_send(self, dispatches):
        # the planner plans emails to an address only; the address may have
        # been removed since (a waiting email)
        without_email = dispatches.filtered(lambda d: not d.recipient_id.email)
        for dispatch in without_email:
            self._relance_fail(
                dispatch,
                self.env._(
                    "No email address for %(recipient)s: no email.",
                    recipient=dispatch.recipient_id.display_name,
                ),
            )
        # a retry: the email of the dispatch is queued again, not re-created
        requeued = (dispatches - without_email).filtered(
            lambda d: d.mail_id and d.mail_id.state == "exception"
        )
        if requeued:
            requeued.mail_id.mark_outgoing()
            requeued.write({"state": "sent"})
        to_send = dispatches - without_email - requeued
        without_template = to_send.filtered(lambda d: not d.level_id.mail_template_id)
        for dispatch in without_template:
            self._relance_fail(
                dispatch,
                self.env._(
                    "The step %(step)s has no email template: choose one in its "
                    "profile.",
                    step=dispatch.level_id.name,
                ),
            )
        to_send -= without_template
        if not to_send:
            return
        self._relance_ensure_access_tokens(to_send.event_ids.move_id)
        for template, group in to_send.grouped(
            lambda d: d.level_id.mail_template_id
        ).items():
            # the layout is applied to the outgoing email only (as Odoo's
            # message_post does): the message keeps the body the template
            # made, and the sanitizer reads that body, not the layout too
            mails = template.with_context(
                mail_notify_force_send=False, relance_sanitize_once=True
            ).send_mail_batch(group.ids, force_send=False, email_layout_xmlid=False)
            if not template.email_layout_xmlid:  # else Odoo applied it
                self._relance_apply_layout(template, mails, EMAIL_LAYOUT)
            mail_by_dispatch = {mail.res_id: mail for mail in mails}
            for dispatch in group:
                dispatch.mail_id = mail_by_dispatch.get(dispatch.id)
            self._relance_attach_invoices(group)
        to_send.filtered("mail_id").write({"state": "sent"})
        for dispatch in to_send.filtered(lambda d: not d.mail_id):
            self._relance_fail(
                dispatch,
                self.env._(
                    "The email to %(recipient)s could not be queued.",
                    recipient=dispatch.recipient_id.display_name,
                ),
            )

    @api.model
    def _relance_apply_layout(self, template, mails, layout_xmlid):
        """The outgoing body of ``mails`` (created by ``send_mail_batch``
        without layout) inside the layout ``layout_xmlid``, as
        ``send_mail_batch`` would have put it: same values, same language
        and company. The layout reads the message's body, name and preview;
        ``_LayoutMessage`` gives them without building a ``mail.message``.

        The layout is rendered once per language and company, with markers
        where the body, name and preview go, then filled for each email. The
        second email of each group is also rendered in full and compared:
        a layout that reads anything else of the record (a customised one)
        is rendered for each email, as Odoo does."""
        if not mails:
            return
        records = self.env[template.model].browse(mails.mapped("res_id"))
        langs = template._render_lang(records.ids) if template.lang else {}
        companies = records._mail_get_companies(default=self.env.company)
        ir_model = self.env["ir.model"]._get(template.model)
        Render = self.env["mail.render.mixin"]
        skeletons = {}

        def render(record, message):
            lang = langs.get(record.id)
            model_lang = ir_model.with_context(lang=lang) if lang else ir_model
            return model_lang.env["ir.qweb"]._render(
                layout_xmlid,
                {
                    # the body as rendered, as Odoo gives it to the layout
                    "message": message,
                    "subtype": self.env["mail.message.subtype"].sudo(),
                    "model_description": model_lang.display_name,
                    "record": record,
                    "record_name": False,
                    "subtitles": False,
                    "company": companies.get(record.id) or self.env.company,
                    "email_add_signature": False,
                    "signature": "",
                    "website_url": "",
                    "is_html_empty": is_html_empty,
                },
                minimal_qcontext=True,
            )

        markers = _LayoutMessage(Markup(_BODY), _NAME)
        markers.preview = _PREVIEW
        for mail in mails:
            record = records.browse(mail.res_id)
            message = _LayoutMessage(Markup(mail.body_html), record.display_name)
            key = (langs.get(record.id), companies.get(record.id))
            skeleton = skeletons.get(key)
            if key not in skeletons:
                skeletons[key] = _LayoutSkeleton(
                    Render._replace_local_links(render(record, markers))
                )
                body = Render._replace_local_links(render(record, message))
            elif skeleton and skeleton.checked:
                body = skeleton.fill(message, Render._replace_local_links(message.body))
            else:
                body = Render._replace_local_links(render(record, message))
                filled = skeleton and skeleton.fill(
                    message, Render._replace_local_links(message.body)
                )
                if filled == body:
                    skeleton.checked = True
                else:
                    skeletons[key] = None  # render each email of the group
            mail.body_html = body

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
