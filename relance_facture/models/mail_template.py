import logging

from lxml import html
from markupsafe import Markup

from odoo import api, models
from odoo.tools import safe_eval

_logger = logging.getLogger(__name__)


class MailTemplate(models.Model):
    _inherit = "mail.template"

    @api.model
    def _render_template_qweb(
        self, template_src, model, res_ids, add_context=None, options=None
    ):
        """EXTENDS mail: Odoo compiles a QWeb body anew for every record it
        renders. A dunning run renders one reminder per customer, hundreds
        per batch, and compiling took a fifth of the run: the bodies of
        dunning messages are compiled once per batch and language, then run
        for each message. Anything unusual goes through Odoo's own path.

        Odoo has no public call that renders an inline template for many
        records with one compilation, so this replays the steps of
        ``ir.qweb._render``; ``test_odoo_render_steps_unchanged`` fails when
        Odoo changes them, ``test_batch_compiled_once_same_bodies`` checks
        the bodies are Odoo's own."""
        if (
            model != "relance.dispatch"
            or len(res_ids) < 2
            or self.env.context.get("relance_render_per_record")
            or not template_src
            or not self._has_unsafe_expression_template_qweb(template_src, model)
            or not (
                self._unrestricted_rendering
                or self.env.is_admin()
                or self.env.user.has_group("mail.group_mail_template_editor")
            )
        ):
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
        variables = self._render_eval_context()
        if add_context:
            variables.update(**add_context)
        qweb = self.env["ir.qweb"].with_context(**(options or {}))
        try:
            functions, def_name = None, None
            results = {}
            for record in self.env[model].browse(res_ids):
                # the steps of ir.qweb._render, but one compilation
                values = dict(variables, object=record)
                prepared = qweb._prepare_environment(values)
                safe_eval.check_values(values)
                if functions is None:
                    element = html.fragment_fromstring(
                        template_src, create_parent="div"
                    )
                    functions, def_name = prepared._compile(element)
                rendered = Markup("".join(functions[def_name](prepared, values)))
                # without the <div> wrapping the template's nodes
                results[record.id] = rendered[5:-6]
            return results
        except Exception:  # noqa: BLE001 - Odoo's path reports the error
            _logger.debug("Rendering per record to report an error", exc_info=True)
            return super()._render_template_qweb(
                template_src, model, res_ids, add_context=add_context, options=options
            )
