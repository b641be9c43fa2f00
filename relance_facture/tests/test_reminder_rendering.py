from unittest.mock import patch

from lxml import etree

from odoo.tests import freeze_time, tagged

from .common import RelanceCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestReminderRendering(RelanceCommon):
    """The bodies of a batch of reminders are compiled once, and read
    exactly as Odoo's own per-record rendering would make them."""

    def test_batch_compiled_once_same_bodies(self):
        customers = [
            self._relance_customer(f"Client {i}", f"client{i}@example.com")
            for i in range(3)
        ]
        with freeze_time("2026-01-01"):
            invoices = [
                self._relance_invoice(
                    customer, due="2026-01-20", amount=100.0 * (i + 1)
                )
                for i, customer in enumerate(customers)
            ]
        IrQweb = type(self.env["ir.qweb"])
        original = IrQweb._compile
        compiled = []

        def counting_compile(qweb, template):
            if isinstance(template, etree._Element):
                compiled.append(template)
            return original(qweb, template)

        with (
            self.mock_mail_gateway(),
            freeze_time("2026-01-23"),
            patch.object(IrQweb, "_compile", counting_compile),
        ):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 3)
        self.assertEqual(len(compiled), 1, "one compilation for three reminders")

        dispatches = self.env["relance.dispatch"].search(
            [("partner_id", "in", [c.id for c in customers]), ("channel", "=", "email")]
        )
        self.assertEqual(len(dispatches), 3)
        template = dispatches.level_id.mail_template_id
        with freeze_time("2026-01-23"):
            batch = template._render_field("body_html", dispatches.ids)
            per_record = template.with_context(
                relance_render_per_record=True
            )._render_field("body_html", dispatches.ids)
        self.assertEqual(batch, per_record)
        for dispatch, invoice in zip(
            dispatches.sorted(lambda d: d.partner_id.name), invoices, strict=True
        ):
            self.assertIn(invoice.name, batch[dispatch.id])
            self.assertIn(dispatch.partner_id.name, batch[dispatch.id])
