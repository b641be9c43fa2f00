from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestConsumerDetection(RelanceCommon):
    """Who is a consumer: a person without a SIRET/SIREN or a VAT number;
    a sole trader is a professional (B2B penalties and 40 €). Editable."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.company.relance_fr_rules = True

    def _person(self, name, **values):
        return self._relance_customer(name, is_company=False, **values)

    def test_defaults(self):
        cases = [
            ("company", {"is_company": True}, False),
            ("individual", {"is_company": False}, True),
            (
                "individual with a SIRET",
                {"is_company": False, "company_registry": "12345678900012"},
                False,
            ),
            (
                "individual with a VAT number",
                {"is_company": False, "vat": "FR23334175221"},
                False,
            ),
        ]
        for label, values, consumer in cases:
            with self.subTest(label):
                partner = self._relance_customer(label, **values)
                self.assertEqual(partner.relance_is_consumer, consumer)

    def test_contact_of_a_company_is_professional(self):
        contact = self.env["res.partner"].create(
            {"name": "Paul, accountant", "parent_id": self.customer.id}
        )
        self.assertFalse(contact.relance_is_consumer)

    def test_registry_number_added_later(self):
        partner = self._person("Jean Artisan")
        self.assertTrue(partner.relance_is_consumer)
        partner.company_registry = "12345678900012"
        self.assertFalse(partner.relance_is_consumer)

    def test_manual_choice_kept_on_unrelated_edits(self):
        sole_trader = self._person("Luc Plombier", vat="FR23334175221")
        sole_trader.relance_is_consumer = True  # acts privately, says the user
        company = self._relance_customer("Famille SCI")
        company.relance_is_consumer = True
        for partner in (sole_trader, company):
            partner.write(
                {"email": "new@example.com", "street": "3 rue Neuve", "phone": "01"}
            )
            self.env["res.partner"].create(
                {"name": "A contact", "parent_id": partner.id}
            )
        self.env.invalidate_all()
        self.assertTrue(sole_trader.relance_is_consumer)
        self.assertTrue(company.relance_is_consumer)

    def _amounts(self, move, day):
        with freeze_time(day):
            move.invalidate_recordset(
                ["relance_penalty_amount", "relance_indemnity_amount"]
            )
            return (move.relance_penalty_amount, move.relance_indemnity_amount)

    def test_sole_trader_with_siret_owes_b2b_penalties_and_40(self):
        sole_trader = self._person("Luc Plombier", company_registry="12345678900012")
        private = self._person("Marie Curie")
        invoice = self._relance_invoice(sole_trader, due="2026-01-15", amount=12000)
        private_invoice = self._relance_invoice(private, due="2026-01-15", amount=12000)
        # 32 days x 12,000 x 12.15 % / 365
        self.assertEqual(self._amounts(invoice, "2026-02-16"), (127.82, 40.0))
        self.assertEqual(self._amounts(private_invoice, "2026-02-16"), (0.0, 0.0))
        self.assertEqual(str(invoice.relance_prescription_date), "2031-01-15")
        self.assertEqual(str(private_invoice.relance_prescription_date), "2027-12-16")
