"""The customer's answer page of a reminder: public, opened by the access
tokens of the reminder's invoices (Odoo's portal mechanism), no login.

GET shows the invoices still open and the answers the customer can give;
POST records one answer and redirects back to the page (PRG). Every check
of an answer is made by ``relance.answer._relance_portal_answer``.

The routes are frontend routes (``website=True``, which needs only
``http_routing``, not the Website app): Odoo's portal layout needs the
frontend rendering values. ``multilang=False`` keeps their URLs without a
language prefix: the page speaks its customer's language."""

from urllib.parse import urlencode

import pytz

from odoo import fields, http
from odoo.exceptions import ValidationError
from odoo.http import request
from odoo.tools.misc import format_date, formatLang

from ..models.relance_answer_portal import (
    ANSWER_PATH,
    INSTALMENTS_MAX,
    INSTALMENTS_MIN,
    MAX_COMMENT_CHARS,
    MAX_FILE_BYTES,
    MAX_REFERENCE_CHARS,
    PORTAL_KINDS,
)

# The text fields of the form, sent back to the page when an answer is refused.
FORM_FIELDS = (
    "kind",
    "paid_date",
    "payment_ref",
    "promise_date",
    "dispute_type",
    "instalment_count",
    "comment",
)
# The file input of each kind that takes one.
FILE_FIELDS = {"paid": "paid_file", "dispute": "dispute_file"}


class RelancePortal(http.Controller):
    @http.route(
        ANSWER_PATH,
        type="http",
        auth="public",
        methods=["GET"],
        website=True,
        multilang=False,
        sitemap=False,
    )
    def relance_answer_page(self, invoices="", answered="", **kwargs):
        moves = self._relance_link_moves(invoices)
        if not moves:
            return self._relance_render_invalid()
        moves = self._relance_set_context(moves)
        return self._relance_render(
            moves, invoices, answered=answered if answered in PORTAL_KINDS else ""
        )

    @http.route(
        f"{ANSWER_PATH}/submit",
        type="http",
        auth="public",
        methods=["POST"],
        website=True,
        multilang=False,
        csrf=True,
        sitemap=False,
    )
    def relance_answer_submit(self, invoices="", kind="", **kwargs):
        moves = self._relance_link_moves(invoices)
        if not moves:
            return self._relance_render_invalid()
        moves = self._relance_set_context(moves)
        if not moves.filtered(lambda m: m._relance_is_open()):
            # nothing left to answer: the page says so, nothing is recorded
            return self._relance_render(moves, invoices, status=410)
        form = request.httprequest.form
        values = {name: form.get(name, "") for name in FORM_FIELDS}
        values["move_ids"] = form.getlist("move_ids")
        try:
            with request.env.cr.savepoint():
                request.env["relance.answer"]._relance_portal_answer(
                    moves, kind, values, self._relance_upload(kind)
                )
        except ValidationError as error:
            return self._relance_render(
                moves, invoices, error=error.args[0], values=values, status=400
            )
        query = urlencode({"invoices": invoices, "answered": kind})
        return request.redirect(f"{ANSWER_PATH}?{query}", code=303, local=True)

    # ---- Helpers ----
    def _relance_link_moves(self, invoices):
        return request.env["relance.answer"]._relance_portal_moves(invoices)

    def _relance_set_context(self, moves):
        """The page in the customer's language (else the browser's), its
        dates in the customer's time zone; returns ``moves`` in that context."""
        partner = moves.commercial_partner_id
        installed = {code for code, _name in request.env["res.lang"].get_installed()}
        lang = next(
            (code for code in (partner.lang, request.best_lang) if code in installed),
            request.env.lang,
        )
        context = {"lang": lang}
        tz = partner.tz or moves.company_id.partner_id.tz
        if tz in pytz.all_timezones_set:
            context["tz"] = tz
        request.update_context(**context)
        return moves.with_env(request.env(su=True))

    def _relance_upload(self, kind):
        """(filename, content) of the file sent with an answer of ``kind``,
        read one byte past the limit so that a bigger one is refused."""
        storage = request.httprequest.files.get(FILE_FIELDS.get(kind, ""))
        if not storage or not storage.filename:
            return None
        return storage.filename, storage.read(MAX_FILE_BYTES + 1)

    def _relance_render_invalid(self):
        installed = {code for code, _name in request.env["res.lang"].get_installed()}
        if request.best_lang in installed:
            request.update_context(lang=request.best_lang)
        return request.render("relance_facture.relance_answer_invalid", {}, status=404)

    def _relance_render(
        self, moves, invoices, answered="", error="", values=None, status=200
    ):
        env = request.env
        company = moves.company_id
        today = fields.Date.context_today(moves.with_env(env))
        latest = fields.Date.add(today, days=company.relance_promise_max_days)
        lines = [
            self._relance_line(move, env)
            for move in moves.sorted(lambda m: (m.invoice_date_due or m.date, m.id))
        ]
        open_lines = [line for line in lines if line["open"]]
        values = dict(values or {})
        ticked = values.pop("move_ids", None)
        for line in open_lines:
            line["checked"] = str(line["id"]) in ticked if ticked else True
        open_moves = moves.filtered(lambda m: m._relance_is_open())
        # one total when the open invoices share a currency
        total_due = (
            formatLang(
                env,
                sum(open_moves.mapped("amount_residual")),
                currency_obj=open_moves.currency_id,
            )
            if len(open_moves.currency_id) == 1
            else False
        )
        Move = env["account.move"]
        return request.render(
            "relance_facture.relance_answer_page",
            {
                "res_company": company,
                "company": company,
                "customer": moves.commercial_partner_id,
                "invoices": invoices,
                "lines": lines,
                "open_lines": open_lines,
                "closed_lines": [line for line in lines if not line["open"]],
                "total_due": total_due,
                "answered": answered,
                "paid_pause_days": company.relance_paid_claim_days,
                "error": error,
                "values": values,
                "today": fields.Date.to_string(today),
                "latest_promise": fields.Date.to_string(latest),
                "latest_promise_text": format_date(env, latest),
                "dispute_types": Move._fields[
                    "relance_dispute_type"
                ]._description_selection(env),
                "instalments": range(INSTALMENTS_MIN, INSTALMENTS_MAX + 1),
                "max_comment": MAX_COMMENT_CHARS,
                "max_reference": MAX_REFERENCE_CHARS,
                "max_file_mb": MAX_FILE_BYTES // (1024 * 1024),
            },
            status=status,
        )

    def _relance_line(self, move, env):
        """What the page shows of an invoice: nothing of the dunning."""
        currency = move.currency_id
        is_open = move._relance_is_open()
        if move.state == "cancel":
            closed = env._("Cancelled")
        elif move.payment_state == "in_payment":
            closed = env._("Payment in progress")
        else:
            closed = env._("Paid")
        return {
            "id": move.id,
            "name": move.name,
            "invoice_date": format_date(env, move.invoice_date),
            "due_date": format_date(env, move.invoice_date_due),
            "amount_total": formatLang(env, move.amount_total, currency_obj=currency),
            "amount_due": formatLang(env, move.amount_residual, currency_obj=currency),
            "payment_reference": move.payment_reference or move.name,
            "open": is_open,
            "closed_label": "" if is_open else closed,
            "pay_url": move.relance_pay_url if is_open else False,
            "pay_online": is_open and move.relance_pay_online,
        }
