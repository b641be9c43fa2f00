from datetime import timedelta

from odoo import api, models
from odoo.tools.misc import format_date, formatLang

from ..models.relance_channel_formal_notice import DELIVERY_DAYS

LONG_DATE = "d MMMM y"
CUSTOMER_CHANNELS = ("email", "sms", "letter", "formal_notice")


class ReportMiseEnDemeure(models.AbstractModel):
    """Figures of the formal notice letter: the template only lays them out,
    so that tests check the amounts the customer reads."""

    _name = "report.relance_facture.report_mise_en_demeure"
    _description = "Formal Notice Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["relance.dispatch"].browse(docids)
        moves = docs.event_ids.move_id
        details = {}
        for letter_date, group in docs.grouped("date").items():
            group_moves = group.event_ids.move_id
            details[letter_date] = group_moves._relance_penalty_details(letter_date)
        history = self.env["relance.event"].search(
            [
                ("move_id", "in", moves.ids),
                ("state", "=", "sent"),
                ("channel", "in", CUSTOMER_CHANNELS),
            ],
            order="date, id",
        )
        return {
            "doc_ids": docids,
            "doc_model": "relance.dispatch",
            "docs": docs,
            "letters": {
                doc.id: self._relance_letter_values(doc, details[doc.date], history)
                for doc in docs
            },
        }

    @api.model
    def _relance_letter_values(self, dispatch, details, history):
        """Everything the letter says, formatted in the recipient's language."""
        lang = dispatch._relance_lang()
        env = self.with_context(lang=lang).env
        company = dispatch.company_id
        partner = dispatch.partner_id
        currency = dispatch.currency_id
        letter_date = dispatch.date

        def money(value):
            return formatLang(env, value, currency_obj=currency)

        def day(value, long=False):
            return format_date(env, value, lang, LONG_DATE if long else False)

        kind = False
        if company.relance_fr_rules:
            kind = "b2c" if partner.relance_is_consumer else "b2b"
        lines, penalty, indemnity, late_count, rates = [], 0.0, 0.0, 0, set()
        missing_rates = set()
        Rate = env["relance.rate"]
        for move in dispatch.move_ids:
            detail = details[move]
            due = move.relance_due_date or move.invoice_date_due
            line_penalty = detail["penalty"] if kind == "b2b" else 0.0
            penalty += line_penalty
            if kind == "b2b" and detail["indemnity"]:
                indemnity += detail["indemnity"]
                late_count += 1
            if kind == "b2b":
                # every rate applied, with its semester (a period may span
                # a 1 January or a 1 July)
                rates.update(
                    (Rate._relance_semester_label(seg[0]), seg[4])
                    for seg in detail["segments"]
                )
                if detail.get("rate_missing"):
                    missing_rates.add(detail["rate_missing"])
            lines.append(
                {
                    "name": move.name,
                    "date": day(move.invoice_date),
                    "due": day(due),
                    "amount": money(move.amount_total),
                    "paid": money(move.amount_total - move.amount_residual),
                    "balance": money(move.amount_residual),
                    "days_late": max((letter_date - due).days, 0),
                    "penalty": money(line_penalty),
                }
            )
        principal = sum(dispatch.move_ids.mapped("amount_residual"))
        mode = dispatch.sending_mode or "lrar"
        deadline = dispatch.deadline_date or dispatch._relance_notice_deadline(
            letter_date + timedelta(days=DELIVERY_DAYS[mode])
        )
        # The period runs from receipt, which the letter cannot know: a date
        # is printed only with the company's delivery margin, as a condition.
        margin = company.relance_notice_delivery_days
        deadline_text = env._(
            "You have %(days)s days from receipt of this letter to pay.",
            days=company.relance_notice_deadline_days,
        )
        if margin > 0:
            deadline_text += " " + env._(
                "If this letter reaches you within %(margin)s days of its date, "
                "that is by %(date)s.",
                margin=margin,
                date=day(
                    dispatch._relance_notice_deadline(
                        letter_date + timedelta(days=margin)
                    ),
                    long=True,
                ),
            )
        signatory = company.relance_signatory_id or dispatch.user_id
        bank = company.partner_id.bank_ids[:1]
        rate_text = ", ".join(
            f"{formatLang(env, rate, digits=2)} % ({semester})"
            if len(rates) > 1
            else f"{formatLang(env, rate, digits=2)} %"
            for semester, rate in sorted(rates)
        )
        total = principal + penalty + indemnity
        # The code pays the sum the letter demands.
        sepa_qr = dispatch._relance_sepa_qr(total)
        texts = {
            "place_date": env._(
                "%(place)s, %(date)s",
                place=company.city or "",
                date=day(letter_date, long=True),
            ),
            "subject": env._(
                "formal notice to pay invoice(s) %(invoices)s",
                invoices=", ".join(dispatch.move_ids.mapped("name")),
            ),
            "penalty_label": env._(
                "Late-payment penalties to %(date)s at the annual rate of %(rate)s "
                "(article L441-10 du Code de commerce)",
                date=day(letter_date),
                rate=rate_text or "-",
            ),
            "indemnity_label": env._(
                "Fixed recovery indemnity: %(count)s late invoice(s) × %(amount)s "
                "(article D441-5 du Code de commerce)",
                count=late_count,
                # the law's amount, in euros (converted in the total)
                amount=formatLang(env, 40.0, currency_obj=env.ref("base.EUR")),
            ),
            "demand": env._(
                "We therefore formally demand that you pay the sum of %(total)s.",
                total=money(total),
            ),
            "deadline_text": deadline_text,
        }
        return {
            **texts,
            "lang": lang,
            "kind": kind,
            "mode": self._relance_label(env, dispatch, "sending_mode", mode),
            "place": company.city or "",
            "date": day(letter_date, long=True),
            **company.with_env(env)._relance_letter_identity(partner),
            "iban": bank.acc_number or "",
            "bic": bank.bank_bic or "",
            "rate_missing_text": missing_rates
            and env._(
                "No published rate for %(semesters)s: the penalties of that period "
                "are not claimed in this letter.",
                semesters=", ".join(sorted(missing_rates)),
            ),
            "debtor_ref": partner.ref or "",
            "reminders": self._relance_reminders(env, dispatch, history, day),
            "lines": lines,
            "principal": money(principal),
            "penalty": money(penalty),
            "penalty_value": penalty,
            "rates": rate_text,
            "late_count": late_count,
            "indemnity": money(indemnity),
            "indemnity_value": indemnity,
            "total": money(total),
            "deadline_days": company.relance_notice_deadline_days,
            "deadline": day(deadline, long=True),
            "signatory": signatory.name or company.name,
            "signatory_role": signatory.partner_id.function or "",
            "sepa_qr": sepa_qr,
            "pay_online": dispatch.pay_online,
            "pay_links": [
                {"name": move.name, "url": move.relance_pay_url}
                for move in dispatch.move_ids
            ],
        }

    @api.model
    def _relance_reminders(self, env, dispatch, history, day):
        """Earlier messages about the letter's invoices: date, step, channel."""
        earlier = history.filtered(
            lambda e: e.move_id in dispatch.move_ids
            and e not in dispatch.event_ids
            and e.date <= dispatch.date
        )
        rows = {}
        for event in earlier:
            key = (event.date, event.level_id, event.channel)
            rows.setdefault(key, []).append(event.move_id.name)
        events = env["relance.event"]
        return [
            {
                "date": day(date),
                "step": level.with_env(env).name,
                "channel": self._relance_label(env, events, "channel", channel),
                "invoices": ", ".join(names),
            }
            for (date, level, channel), names in rows.items()
        ]

    @api.model
    def _relance_label(self, env, record, fname, value):
        selection = record._fields[fname]._description_selection(env)
        return dict(selection).get(value, value or "")
