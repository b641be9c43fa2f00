from odoo.tests import TransactionCase, tagged
from odoo.tools.misc import formatLang

from ..tools.money import money_formatter


@tagged("post_install", "-at_install", "relance_facture")
class TestMoneyFormatter(TransactionCase):
    """The batch formatter of amounts prints what Odoo's ``formatLang``
    prints, in every language and currency the reminders use."""

    def test_same_as_format_lang(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["res.lang"]._activate_lang("de_CH")
        usd = self.env.ref("base.USD")
        usd.active = True
        jpy = self.env.ref("base.JPY")
        jpy.active = True
        currencies = [self.env.ref("base.EUR"), usd, jpy]
        amounts = [
            0.0,
            0.004,
            0.005,
            0.015,
            0.025,
            2.675,
            40,
            999.995,
            1234.5,
            -1234.567,
            1000000.0,
            -987654321.129,
            12345678901.5,
            "",
        ]
        for lang in ("en_US", "fr_FR", "de_CH"):
            env = self.env(context=dict(self.env.context, lang=lang))
            money = money_formatter(env)
            for currency in currencies:
                for amount in amounts:
                    with self.subTest(lang=lang, currency=currency.name, amount=amount):
                        self.assertEqual(
                            money(amount, currency_obj=currency),
                            formatLang(env, amount, currency_obj=currency),
                        )
        french = money_formatter(self.env(context={"lang": "fr_FR"}))
        self.assertTrue(
            french(1234.5, currency_obj=currencies[0]).endswith(
                "234,50\N{NO-BREAK SPACE}€"
            )
        )
