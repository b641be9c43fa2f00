import inspect
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

    def test_odoo_render_steps_unchanged(self):
        """models/mail_template.py replays the steps of ``ir.qweb._render``
        (prepare the environment, check the values, compile, run) with one
        compilation per batch: Odoo has no public API that renders an inline
        template for many records with one compilation. When Odoo changes
        these steps, this test fails: review the replay, or drop it (Odoo's
        per-record path is always correct, only slower)."""
        IrQweb = type(self.env["ir.qweb"])
        source = inspect.getsource(inspect.unwrap(IrQweb._render))
        steps = [
            "irQweb = self.with_context(**options)._prepare_environment(values)",
            "safe_eval.check_values(values)",
            "template_functions, def_name = irQweb._compile(template)",
            "render_template = template_functions[def_name]",
            "rendering = render_template(irQweb, values)",
            "result = ''.join(rendering)",
            "return Markup(result)",
        ]
        positions = [source.find(step) for step in steps]
        self.assertNotIn(
            -1,
            positions,
            "ir.qweb._render changed: review models/mail_template.py",
        )
        self.assertEqual(positions, sorted(positions))
        # mail's per-record path wraps the template in a <div> it cuts off
        mixin_source = inspect.getsource(
            type(self.env["mail.render.mixin"])._render_template_qweb
        )
        self.assertIn(
            "html.fragment_fromstring(template_src, create_parent='div')", mixin_source
        )
        self.assertIn("render_result = render_result[5:-6]", mixin_source)

    def _relance_count_sanitizer(self, calls):
        """Patch that appends ``("model.field", value)`` to ``calls`` for
        each pass of the HTML sanitizer."""
        html_class = type(self.env["mail.message"]._fields["body"])
        original = html_class._convert

        def counting_convert(field, value, record, validate):
            if field.sanitize and validate and value:
                calls.append((f"{field.model_name}.{field.name}", value))
            return original(field, value, record, validate)

        return patch.object(html_class, "_convert", counting_convert)

    def test_email_in_odoo_layout(self):
        """The email is the one Odoo's ``send_mail_batch`` makes with the
        light layout; the message keeps the body without the layout (as
        Odoo's message_post does), sanitized once: Odoo's create would run
        the sanitizer three times on it (the message's column and cache, the
        email's cache), and never on the layout."""
        customer = self._relance_customer("Client Layout", "layout@example.com")
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(customer, due="2026-01-20", amount=250.0)
        calls = []
        with (
            self.mock_mail_gateway(),
            freeze_time("2026-01-23"),
            self._relance_count_sanitizer(calls),
        ):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 1)
        dispatch = invoice.relance_event_ids.dispatch_ids.filtered(
            lambda d: d.channel == "email"
        )
        mail = dispatch.mail_id
        self.assertIn(invoice.name, mail.body)
        self.assertNotIn("Powered by", mail.body)
        self.assertIn("Powered by", mail.body_html)
        self.assertEqual(
            [name for name, body in calls if invoice.name in body and "Dear" in body],
            ["mail.message.body"],
            "the email's body goes through the sanitizer once",
        )
        # stored as Odoo's own path stores it
        template = dispatch.level_id.mail_template_id
        with freeze_time("2026-01-23"):
            odoo_plain = template.send_mail_batch(
                dispatch.ids, email_layout_xmlid=False
            )
        self.assertEqual(mail.mail_message_id.body, odoo_plain.mail_message_id.body)
        self.assertEqual(mail.body, odoo_plain.body)
        with freeze_time("2026-01-23"):
            odoo_mail = template.send_mail_batch(
                dispatch.ids, email_layout_xmlid="mail.mail_notification_light"
            )
        self.assertEqual(mail.body_html, odoo_mail.body_html)
        self.assertEqual(mail.subject, odoo_mail.subject)
        self.assertEqual(mail.recipient_ids, odoo_mail.recipient_ids)

    def test_layout_rendered_once_per_language(self):
        """The layout is rendered once per language and company, then filled
        with each email's body, name and preview: every email is the one
        Odoo's ``send_mail_batch`` makes with the light layout, names with
        a slash or markup included, in English and in French."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search(
            [("name", "in", ("mail", "relance_facture"))]
        )._update_translations(["fr_FR"])
        customers = [
            self._relance_customer(name, f"layout{i}@example.com", lang=lang)
            for i, (name, lang) in enumerate(
                [
                    ("Dupont / Fils", "en_US"),
                    ("<b>Martin</b> & Cie", "en_US"),
                    ("Durand SA", "en_US"),
                    ("Lefèvre / Frères", "fr_FR"),
                    ("Moreau & Associés", "fr_FR"),
                ]
            )
        ]
        with freeze_time("2026-01-01"):
            for i, customer in enumerate(customers):
                self._relance_invoice(customer, due="2026-01-20", amount=100.0 + i)
        IrQweb = type(self.env["ir.qweb"])
        original = IrQweb._render
        layouts = []

        def counting_render(qweb, template, values=None, **options):
            if template == "mail.mail_notification_light":
                layouts.append(qweb.env.lang)
            return original(qweb, template, values, **options)

        with (
            self.mock_mail_gateway(),
            freeze_time("2026-01-23"),
            patch.object(IrQweb, "_render", counting_render),
        ):
            self._relance_run()
            self.assertEqual(len(self._new_mails), 5)
        # per language: the markers, the first email, the second one checked
        self.assertEqual(sorted(layouts), ["en_US"] * 3 + ["fr_FR"] * 3)
        dispatches = self.env["relance.dispatch"].search(
            [("partner_id", "in", [c.id for c in customers]), ("channel", "=", "email")]
        )
        self.assertEqual(len(dispatches), 5)
        for dispatch in dispatches:
            template = dispatch.level_id.mail_template_id
            with freeze_time("2026-01-23"):
                odoo_mail = template.send_mail_batch(
                    dispatch.ids, email_layout_xmlid="mail.mail_notification_light"
                )
            self.assertEqual(dispatch.mail_id.body_html, odoo_mail.body_html)
            self.assertNotIn("relance-layout-", dispatch.mail_id.body_html)
        for dispatch in dispatches:
            powered = (
                "Powered by" if dispatch.partner_id.lang == "en_US" else "Généré par"
            )
            self.assertIn(powered, dispatch.mail_id.body_html)

    def test_notes_and_calls_sanitized_once(self):
        """The run's chatter notes and call activities: each note through the
        sanitizer once (Odoo's create: twice), and stored as Odoo stores it."""
        with freeze_time("2026-01-17"):
            invoice = self._relance_invoice(due="2026-01-20", amount=1200)
        calls = []
        with (
            self.mock_mail_gateway(),
            freeze_time("2026-01-17"),
            self._relance_count_sanitizer(calls),
        ):
            self._relance_run()
        call_type = self.env.ref("relance_facture.mail_activity_type_relance_call")
        call = self.customer.activity_ids.filtered(
            lambda a: a.activity_type_id == call_type
        )
        self.assertEqual(len(call), 1)
        notes = self.env["mail.message"].search(
            [
                ("model", "in", ("account.move", "res.partner")),
                ("res_id", "in", (invoice.id, self.customer.id)),
                ("body", "ilike", invoice.name),
                ("message_type", "=", "notification"),
            ]
        )
        self.assertEqual(sorted(notes.mapped("model")), ["account.move", "res.partner"])
        for note in notes:
            self.assertIn("<strong>Dunning</strong>", note.body)
        self.assertIn(invoice.name, call.note)
        self.assertEqual(
            sorted(name for name, body in calls if invoice.name in body),
            # the call; the email, the invoice's note and the customer's
            ["mail.activity.note"] + ["mail.message.body"] * 3,
        )
        # as Odoo stores them
        html = call._fields["note"]
        self.assertEqual(call.note, html.convert_to_cache(call.note, call))
        for note in notes:
            self.assertEqual(
                note.body, note._fields["body"].convert_to_cache(note.body, note)
            )
