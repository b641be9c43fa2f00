from datetime import timedelta

from odoo import api, fields, models
from odoo.tools.misc import format_date, formatLang

LONG_DATE = "d MMMM y"


class ReportDeclarationCreance(models.AbstractModel):
    """Figures of the declaration of claim (C. com. L622-24, L622-25,
    R622-23) of the current company against a customer in collective
    proceedings: the template only lays them out.

    Printed from the customer rather than from a record of its own: it is
    the creditor's letter to the representative, signed and sent by hand
    with the invoices; the dunning history keeps the invoices' state."""

    _name = "report.relance_facture.report_declaration_creance"
    _description = "Declaration of Claim Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        docs = self.env["res.partner"].browse(docids).commercial_partner_id
        company = self.env.company
        return {
            "doc_ids": docs.ids,
            "doc_model": "res.partner",
            "docs": docs,
            "company": company,
            "declarations": {
                partner.id: self._relance_declaration_values(partner, company)
                for partner in docs
            },
        }

    @api.model
    def _relance_declaration_values(self, partner, company):
        """Everything the declaration says, in the representative's language."""
        representative = partner.relance_proceedings_representative_id
        lang = representative.lang or partner.lang or self.env.lang
        env = self.with_context(lang=lang).env
        opening = partner.relance_proceedings_date
        currency = company.currency_id
        today = fields.Date.context_today(self)

        def money(value):
            return formatLang(env, value, currency_obj=currency)

        def day(value, long=False):
            return format_date(env, value, lang, LONG_DATE if long else False)

        def in_company_currency(move, value):
            # foreign currencies at the rate of the judgment's date (L622-25)
            return move.currency_id._convert(value, currency, company, opening)

        moves = partner._relance_declared_moves(company)
        details = moves._relance_penalty_details(today)
        lines, rates = [], set()
        totals = dict.fromkeys(("due", "to_fall_due", "penalty", "indemnity"), 0.0)
        for move in moves:
            detail = details[move]
            due, to_fall_due, dates = 0.0, 0.0, []
            for term in move.line_ids.filtered(
                lambda ln: ln.display_type == "payment_term"
                and not ln.reconciled
                and ln.amount_residual_currency > 0
            ).sorted("date_maturity"):
                amount = in_company_currency(move, term.amount_residual_currency)
                maturity = term.date_maturity or move.invoice_date_due
                if maturity < opening:
                    due += amount
                else:
                    to_fall_due += amount
                    dates.append(day(maturity))
            line_penalty = in_company_currency(move, detail["penalty"])
            line_indemnity = detail["indemnity"]
            if detail["penalty"] and detail["rate"]:
                rates.add(detail["rate"])
            totals["due"] += due
            totals["to_fall_due"] += to_fall_due
            totals["penalty"] += line_penalty
            totals["indemnity"] += line_indemnity
            lines.append(
                {
                    "name": move.name,
                    "date": day(move.invoice_date),
                    "due_date": day(move.invoice_date_due),
                    "due": money(due),
                    "to_fall_due": money(to_fall_due) if to_fall_due else "",
                    "to_fall_due_dates": ", ".join(dates),
                    "penalty": money(line_penalty),
                    "indemnity": money(line_indemnity),
                }
            )
        claimed = totals["due"] + totals["penalty"] + totals["indemnity"]
        signatory = company.relance_signatory_id or self.env.user
        kind = partner.relance_proceedings_kind
        kind_label = dict(
            partner._fields["relance_proceedings_kind"]._description_selection(env)
        ).get(kind, "")
        rate_text = ", ".join(
            formatLang(env, rate, digits=2) + " %" for rate in sorted(rates)
        )
        return {
            "lang": lang,
            **company.with_env(env)._relance_letter_identity(partner),
            "lines": lines,
            "due": money(totals["due"]),
            "to_fall_due": money(totals["to_fall_due"]),
            "has_to_fall_due": bool(totals["to_fall_due"]),
            "penalty": money(totals["penalty"]),
            "indemnity": money(totals["indemnity"]),
            "claimed": money(claimed),
            "total": money(claimed + totals["to_fall_due"]),
            "security": partner.relance_proceedings_security or "",
            "signatory": signatory.name or company.name,
            "signatory_role": signatory.partner_id.function or "",
            "place_date": env._(
                "%(place)s, %(date)s",
                place=company.city or "",
                date=day(today, long=True),
            ),
            "proceedings_text": self._relance_proceedings_text(
                env, partner, kind_label, day(opening, long=True)
            ),
            "publication_text": partner.relance_proceedings_publication_date
            and env._(
                "Judgment published in the BODACC on %(date)s.",
                date=day(partner.relance_proceedings_publication_date, long=True),
            ),
            "declaration_text": env._(
                "We hereby declare our claim against %(debtor)s, born before the "
                "opening judgment, as it stands on the day of that judgment "
                "(articles L622-24 and L622-25 du Code de commerce).",
                debtor=partner.name,
            ),
            "penalty_text": env._(
                "Late-payment penalties from the day after each due date to "
                "%(date)s, the opening judgment stopping their course (article "
                "L622-28 du Code de commerce); annual rate: %(rate)s (article "
                "L441-10 du Code de commerce).",
                date=day(opening - timedelta(days=1)),
                rate=rate_text or "-",
            ),
        }

    @api.model
    def _relance_proceedings_text(self, env, partner, kind_label, opening):
        court = partner.relance_proceedings_court
        if court:
            return env._(
                "Proceedings: %(kind)s, opened by judgment of %(court)s dated "
                "%(date)s.",
                kind=kind_label or "-",
                court=court,
                date=opening,
            )
        return env._(
            "Proceedings: %(kind)s, opened by judgment dated %(date)s.",
            kind=kind_label or "-",
            date=opening,
        )
