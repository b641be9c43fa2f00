from odoo import api, models
from odoo.tools.misc import formatLang

from ..tools import ladder


class ReportRelanceLetter(models.AbstractModel):
    """Figures of the printed reminder letters: the tone of each letter, its
    invoices with their penalties to the letter's date, the bank details, the
    links to pay online and the SEPA QR code.
    The QWeb template only lays them out."""

    _name = "report.relance_facture.report_relance_letter"
    _description = "Dunning Letter Report"

    @api.model
    def _get_report_values(self, docids, data=None):
        dispatches = self.env["relance.dispatch"].browse(docids)
        return {
            "doc_ids": docids,
            "doc_model": "relance.dispatch",
            "docs": dispatches,
            "letters": self._relance_letter_values(dispatches),
        }

    @api.model
    def _relance_letter_values(self, dispatches):
        """{dispatch id: values of its letter}, penalties read in one pass
        per letter date."""
        values = {}
        for on_date, group in dispatches.grouped("date").items():
            details = group.move_ids._relance_penalty_details(on_date)
            for dispatch in group:
                values[dispatch.id] = self._relance_letter_value(dispatch, details)
        return values

    @api.model
    def _relance_letter_value(self, dispatch, details):
        tone = self._relance_tone(dispatch.level_id)
        professional = (
            dispatch.company_id.relance_fr_rules
            and not dispatch.partner_id.relance_is_consumer
        )
        lines = []
        for move in dispatch.move_ids:
            detail = details.get(move) or {}
            due = move.relance_due_date or move.invoice_date_due
            lines.append(
                {
                    "move": move,
                    "due_date": due,
                    "days_late": max((dispatch.date - due).days, 0) if due else 0,
                    "residual": move.amount_residual,
                    "penalty": detail.get("penalty", 0.0),
                    "indemnity": detail.get("indemnity", 0.0),
                    "rate": detail.get("rate", 0.0),
                    "pay_url": move.relance_pay_url,
                }
            )
        penalty = sum(line["penalty"] for line in lines)
        indemnity = sum(line["indemnity"] for line in lines)
        residual = sum(line["residual"] for line in lines)
        return {
            "tone": tone,
            "lines": lines,
            "residual": residual,
            "show_penalties": bool(professional and tone != "courtesy"),
            "penalty": penalty,
            "indemnity": indemnity,
            "total": residual + penalty + indemnity,
            "rate_text": self._relance_rate_text(dispatch, lines),
            "bank_accounts": dispatch.company_id.partner_id.bank_ids,
            "pay_online": dispatch.pay_online,
            # The code pays the "Total due" of the letter.
            "sepa_qr": dispatch._relance_sepa_qr(residual),
            "signatory": dispatch.user_id or self.env.user,
        }

    @api.model
    def _relance_rate_text(self, dispatch, lines):
        """The penalty rates of the letter, formatted in its language."""
        env = self.with_context(lang=dispatch._relance_lang()).env
        rates = sorted({line["rate"] for line in lines if line["rate"]})
        return ", ".join(f"{formatLang(env, rate, digits=2)} %" for rate in rates)

    @api.model
    def _relance_tone(self, level):
        """Polite, then firmer at each step: courtesy, reminder_1..3,
        formal_notice."""
        if level.kind == ladder.PRE_DUE:
            return "courtesy"
        if level.kind == ladder.REMINDER:
            return f"reminder_{min(level.reminder_number or 1, 3)}"
        return "formal_notice"
