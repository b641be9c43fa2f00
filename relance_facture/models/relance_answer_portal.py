# pylint: disable=consider-merging-classes-inherited
"""Answers given on the reminder's page (``/relance/answer``): the link that
opens it, and the checks an answer from the internet passes before it is
recorded. The customer has no user: every check is made here, as the system,
and the errors are said in the customer's language (the caller sets ``lang``).
"""

import re
import unicodedata
from datetime import date, datetime, time

import pytz

from odoo import api, fields, models
from odoo.exceptions import ValidationError
from odoo.tools import consteq
from odoo.tools.mimetypes import guess_mimetype
from odoo.tools.misc import format_date

ANSWER_PATH = "/relance/answer"
# The kinds a customer can give on the page ("reply" comes by email only).
PORTAL_KINDS = ("paid", "promise", "dispute", "plan")
# At most this many invoices in one link (a reminder lists far fewer).
MAX_LINK_INVOICES = 100
MAX_COMMENT_CHARS = 2000
MAX_REFERENCE_CHARS = 100
MAX_FILE_BYTES = 5 * 1024 * 1024
# Detected from the content, never from the name or the browser's word.
FILE_EXTENSIONS = {
    "application/pdf": "pdf",
    "image/png": "png",
    "image/jpeg": "jpg",
}
INSTALMENTS_MIN = 2
INSTALMENTS_MAX = 12

_PAIR_RE = re.compile(r"(\d{1,10})-([A-Za-z0-9_-]{1,128})", re.ASCII)
_DATE_RE = re.compile(r"\d{4}-\d{2}-\d{2}", re.ASCII)
_INT_RE = re.compile(r"\d{1,3}", re.ASCII)
_ID_RE = re.compile(r"\d{1,10}", re.ASCII)


class RelanceAnswer(models.Model):
    _inherit = "relance.answer"

    # ---- The link ----
    @api.model
    def _relance_portal_url(self, moves):
        """The absolute link of the answer page for ``moves`` (invoices of
        one customer and one company, tokens set)."""
        if not moves:
            return False
        pairs = ",".join(f"{move.id}-{move.access_token}" for move in moves)
        return f"{moves[:1].get_base_url()}{ANSWER_PATH}?invoices={pairs}"

    @api.model
    def _relance_portal_moves(self, invoices):
        """The invoices a link opens, as the system: ``invoices`` is
        "id-token,id-token" as made by ``_relance_portal_url``. Each token is
        compared in constant time with the invoice's access token, as Odoo's
        portal does. An empty recordset when anything is wrong: a malformed
        or unknown pair, a draft or another kind of move, invoices of several
        customers or companies. The caller tells nothing more to the visitor.
        """
        Move = self.env["account.move"].sudo()
        pairs = []
        for part in (invoices or "").split(","):
            match = _PAIR_RE.fullmatch(part.strip())
            if not match:
                return Move
            pairs.append((int(match[1]), match[2]))
        ids = [move_id for move_id, _token in pairs]
        if not pairs or len(pairs) > MAX_LINK_INVOICES or len(set(ids)) != len(ids):
            return Move
        if max(ids) > 2**31 - 1:
            return Move
        moves = Move.browse(ids).exists()
        if len(moves) != len(ids):
            return Move
        for move_id, token in pairs:
            move = Move.browse(move_id)
            if not move.access_token or not consteq(move.access_token, token):
                return Move
        if any(
            move.move_type != "out_invoice" or move.state not in ("posted", "cancel")
            for move in moves
        ):
            return Move
        if len(moves.commercial_partner_id) != 1 or len(moves.company_id) != 1:
            return Move
        return moves

    # ---- The answer ----
    @api.model
    def _relance_portal_answer(self, moves, kind, values, upload=None):
        """Check and record an answer given on the page of ``moves`` (the
        invoices its link opens, see ``_relance_portal_moves``).

        ``values`` holds the form's fields as the browser sent them (text):
        ``move_ids`` (list of the ids ticked), ``paid_date``, ``payment_ref``,
        ``promise_date``, ``dispute_type``, ``instalment_count``, ``comment``.
        ``upload`` is ``(filename, content)`` or None; content is read up to
        one byte over the limit by the caller.
        Raises ValidationError, said in the context's language, when an answer
        cannot be taken; returns the answer recorded (as the system), which
        drives the ladder like the matching call outcome."""
        open_moves = moves.filtered(lambda m: m._relance_is_open())
        if not open_moves:
            raise ValidationError(
                self.env._(
                    "There is nothing left to answer on these invoices: they are "
                    "paid or cancelled."
                )
            )
        if kind not in PORTAL_KINDS:
            raise ValidationError(self.env._("Choose what you want to tell us."))
        selected = self._relance_portal_selected(open_moves, values.get("move_ids"))
        self._relance_portal_check_daily_limit(selected)
        vals = {
            "kind": kind,
            "source": "portal",
            "partner_id": selected.commercial_partner_id.id,
            "company_id": selected.company_id.id,
            "move_ids": [fields.Command.set(selected.ids)],
            **self._relance_portal_kind_vals(kind, values, selected.company_id),
        }
        comment = (values.get("comment") or "").strip()
        if len(comment) > MAX_COMMENT_CHARS:
            raise ValidationError(
                self.env._(
                    "Your message is too long: %(max)s characters at most.",
                    max=MAX_COMMENT_CHARS,
                )
            )
        if kind == "dispute" and not comment:
            raise ValidationError(self.env._("Tell us what is wrong with the invoice."))
        vals["comment"] = comment or False
        attachment = self.env["ir.attachment"]
        if upload and kind in ("paid", "dispute"):
            attachment = self._relance_portal_attachment(*upload)
            vals["attachment_ids"] = [fields.Command.set(attachment.ids)]
        answer = self._relance_record(vals)
        if attachment:
            attachment.write({"res_id": answer.id})
        return answer

    def _relance_portal_selected(self, open_moves, move_ids):
        """The invoices ticked on the page, among the open ones of the link."""
        move_ids = move_ids or []
        if isinstance(move_ids, str):
            move_ids = [move_ids]
        if not move_ids:
            raise ValidationError(self.env._("Select at least one invoice."))
        ids = set()
        for move_id in move_ids:
            if not _ID_RE.fullmatch(str(move_id).strip()):
                ids = None
                break
            ids.add(int(move_id))
        if not ids or not ids <= set(open_moves.ids):
            raise ValidationError(
                self.env._(
                    "Some of the selected invoices cannot be answered from this "
                    "page: reload it and try again."
                )
            )
        return open_moves.filtered(lambda m: m.id in ids)

    def _relance_portal_day_start(self):
        """Midnight of today where the customer is (context tz), in UTC."""
        today = fields.Date.context_today(self)
        try:
            tz = pytz.timezone(self.env.context.get("tz") or "UTC")
        except pytz.UnknownTimeZoneError:
            tz = pytz.utc
        start = tz.localize(datetime.combine(today, time.min))
        return start.astimezone(pytz.utc).replace(tzinfo=None)

    def _relance_portal_check_daily_limit(self, moves):
        """At most ``relance_answer_daily_limit`` answers from the page per
        invoice and day: the page is public, its answers make tasks."""
        limit = moves.company_id.relance_answer_daily_limit
        counts = dict(
            self.sudo()._read_group(
                [
                    ("move_ids", "in", moves.ids),
                    ("source", "=", "portal"),
                    ("create_date", ">=", self._relance_portal_day_start()),
                ],
                ["move_ids"],
                ["__count"],
            )
        )
        for move in moves:
            count = counts.get(move, 0)
            if count >= limit:
                raise ValidationError(
                    self.env._(
                        "You have already answered %(count)s times today about "
                        "invoice %(invoice)s. Please try again tomorrow, or "
                        "contact us directly.",
                        count=count,
                        invoice=move.name,
                    )
                )

    def _relance_portal_kind_vals(self, kind, values, company):
        """The checked fields of an answer of ``kind``."""
        today = fields.Date.context_today(self)
        if kind == "paid":
            paid_date = self._relance_portal_date(values.get("paid_date"))
            if not paid_date:
                raise ValidationError(self.env._("Enter the date of your payment."))
            if paid_date > today:
                raise ValidationError(
                    self.env._("The payment date cannot be in the future.")
                )
            reference = (values.get("payment_ref") or "").strip()
            if len(reference) > MAX_REFERENCE_CHARS:
                raise ValidationError(
                    self.env._(
                        "The payment reference is too long: %(max)s characters at "
                        "most.",
                        max=MAX_REFERENCE_CHARS,
                    )
                )
            return {"paid_date": paid_date, "payment_ref": reference or False}
        if kind == "promise":
            promise_date = self._relance_portal_date(values.get("promise_date"))
            if not promise_date:
                raise ValidationError(self.env._("Enter the date you will pay on."))
            if promise_date < today:
                raise ValidationError(
                    self.env._("The promised date cannot be in the past.")
                )
            days = company.relance_promise_max_days
            latest = fields.Date.add(today, days=days)
            if promise_date > latest:
                raise ValidationError(
                    self.env._(
                        "The promised date can be at most %(days)s days ahead, "
                        "on %(date)s at the latest. For a longer delay, ask for a "
                        "payment plan.",
                        days=days,
                        date=format_date(self.env, latest),
                    )
                )
            return {"promise_date": promise_date}
        if kind == "dispute":
            dispute_type = values.get("dispute_type")
            types = dict(
                self.env["account.move"]
                ._fields["relance_dispute_type"]
                ._description_selection(self.env)
            )
            if dispute_type not in types:
                raise ValidationError(self.env._("Choose the reason of your dispute."))
            return {"dispute_type": dispute_type}
        # plan
        count = (values.get("instalment_count") or "").strip()
        if not _INT_RE.fullmatch(count) or not (
            INSTALMENTS_MIN <= int(count) <= INSTALMENTS_MAX
        ):
            raise ValidationError(
                self.env._(
                    "Choose between %(min)s and %(max)s instalments.",
                    min=INSTALMENTS_MIN,
                    max=INSTALMENTS_MAX,
                )
            )
        return {"instalment_count": int(count)}

    @api.model
    def _relance_portal_date(self, value):
        """A date written YYYY-MM-DD (what a date input sends), else None."""
        value = (value or "").strip()
        if not _DATE_RE.fullmatch(value):
            return None
        try:
            return date.fromisoformat(value)
        except ValueError:
            return None

    @api.model
    def _relance_portal_attachment(self, filename, content):
        """The file sent with an answer, checked (size, type read from its
        content) and stored as a private attachment of the answers."""
        if not content:
            raise ValidationError(self.env._("The file is empty."))
        if len(content) > MAX_FILE_BYTES:
            raise ValidationError(
                self.env._(
                    "The file is too big: %(max)s MB at most.",
                    max=MAX_FILE_BYTES // (1024 * 1024),
                )
            )
        mimetype = guess_mimetype(content, default="")
        if mimetype not in FILE_EXTENSIONS:
            raise ValidationError(
                self.env._("The file must be a PDF, PNG or JPEG document.")
            )
        return (
            self.env["ir.attachment"]
            .sudo()
            .create(
                {
                    "name": self._relance_portal_filename(filename, mimetype),
                    "raw": content,
                    "mimetype": mimetype,
                    "res_model": self._name,
                    "res_id": 0,
                    "public": False,
                }
            )
        )

    @api.model
    def _relance_portal_filename(self, filename, mimetype):
        """A safe name for a file sent from the internet: no folder, no
        control or markup character, a bounded length, and the extension of
        the type read from its content."""
        name = re.split(r"[\\/]", filename or "")[-1]
        name = unicodedata.normalize("NFKC", name)
        stem = name.rsplit(".", 1)[0] if "." in name else name
        stem = re.sub(r"[^\w .()-]+", "_", stem).strip(" ._-")[:80]
        return f"{stem or 'file'}.{FILE_EXTENSIONS[mimetype]}"
