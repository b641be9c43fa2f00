"""Amounts formatted exactly as Odoo's ``formatLang`` formats them, for a
batch of reminders.

``formatLang`` reads the language's separators through three cached
look-ups per call (a fifth of a millisecond each time); a reminder prints
dozens of amounts. Here they are read once per batch; the formatting steps
are ``formatLang``'s and ``res.lang.format``'s, and
``TestMoneyFormatter`` compares both on many amounts, languages and
currencies."""

import ast

from odoo.tools import float_round
from odoo.tools.misc import NON_BREAKING_SPACE, get_lang

from odoo.addons.base.models.res_lang import intersperse


def money_formatter(env):
    """``formatLang(env, value, currency_obj=currency)`` for many values, in
    the language of ``env``."""
    lang = get_lang(env)
    data = env["res.lang"]._get_data(id=lang.id)
    grouping = ast.literal_eval(data.grouping)
    thousands_sep = data.thousands_sep or ""
    decimal_point = data.decimal_point
    currencies = {}

    def money(value, currency_obj):
        if value == "":
            return ""
        if currency_obj not in currencies:
            currencies[currency_obj] = (
                currency_obj.decimal_places,
                currency_obj.symbol,
                currency_obj.position,
            )
        digits, symbol, position = currencies[currency_obj]
        rounded = float_round(
            value, precision_digits=digits, rounding_method="HALF-EVEN"
        )
        parts = (f"%.{digits}f" % rounded).split(".")
        parts[0] = intersperse(parts[0], grouping, thousands_sep)[0]
        formatted = decimal_point.join(parts)
        if not symbol:
            return formatted
        if position == "after":
            return f"{formatted}{NON_BREAKING_SPACE}{symbol}"
        return f"{symbol}{NON_BREAKING_SPACE}{formatted}"

    return money
