from odoo import api, fields, models

from .html_once import pop_html, store_html


class MailActivity(models.Model):
    _inherit = "mail.activity"

    # Dunning activities sit on the customer, whom several companies share:
    # this says whose steps they carry, so that one company's run never
    # replaces, counts or closes another company's.
    relance_company_id = fields.Many2one(
        "res.company",
        string="Dunning Company",
        index="btree_not_null",
        readonly=True,
        help="The company whose dunning steps this activity is about.",
    )

    @api.model
    def _relance_create(self, vals_list):
        """Create dunning activities in batches holding one activity per
        record: Odoo subscribes the assignees to a batch's records at once,
        and a customer listed twice (one activity per company) would be
        subscribed twice (a duplicate follower). Their notes are sanitized
        once (html_once)."""
        rounds = []
        for vals in vals_list:
            key = (vals["res_model_id"], vals["res_id"])
            batch = next((b for b in rounds if key not in b), None)
            if batch is None:
                batch = {}
                rounds.append(batch)
            batch[key] = vals
        activities = self.browse()
        for batch in rounds:
            batch_vals = list(batch.values())
            notes = pop_html(batch_vals, "note")
            created = self.with_context(mail_activity_quick_update=True).create(
                batch_vals
            )
            store_html(created, "note", notes)
            activities |= created
        return activities

    def action_relance_call_outcome(self):
        """Record the outcome of a dunning call from the list of calls to make."""
        self.ensure_one()
        partner = self.env[self.res_model].browse(self.res_id)
        return partner.action_relance_call_outcome()

    def _action_done(self, feedback=False, attachment_ids=None):
        # EXTENDS mail: a dunning call marked done was made, so the emails
        # of its company waiting for it never go. The call outcome wizard
        # decides itself (a call without answer does not count).
        call_type = self.env.ref(
            "relance_facture.mail_activity_type_relance_call", raise_if_not_found=False
        )
        answers = self.env["relance.answer"].browse(
            self.filtered(lambda a: a.res_model == "relance.answer").mapped("res_id")
        )
        messages = self.env["mail.message"]
        next_activities = self.env["mail.activity"]
        called = {}
        for company, activities in self.grouped("relance_company_id").items():
            if call_type and "relance_call_outcome" not in self.env.context:
                calls = activities.filtered(
                    lambda a: a.activity_type_id == call_type
                    and a.res_model == "res.partner"
                )
                if calls:
                    called[company] = self.env["res.partner"].browse(
                        calls.mapped("res_id")
                    )
            done, follow = super(MailActivity, activities)._action_done(
                feedback=feedback, attachment_ids=attachment_ids
            )
            if company:
                # the call counts against the limit of the company that made it
                done.sudo().write({"record_company_id": company.id})
                # flushed now: mail.message searches of non-admin users
                # run their own SQL, which flushes only some fields
                done.flush_recordset(["record_company_id"])
            messages |= done
            next_activities |= follow
        for company, partners in called.items():
            self.env["relance.engine"].sudo()._relance_cancel_held(
                partners,
                self.env._(
                    "Email not sent: the call was marked done on %(date)s.",
                    date=fields.Date.to_string(fields.Date.context_today(self)),
                ),
                company=company or None,
            )
        # an answer whose last activity is done is handled
        answers.sudo().exists()._relance_activities_done()
        return messages, next_activities
