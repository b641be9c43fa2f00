from odoo import api, fields, models
from odoo.exceptions import UserError

QUEUE_CARD = "queue_jobs"


class RelanceWorkspace(models.Model):
    _inherit = "relance.workspace"

    # the parallel run's card shows while the parallel run is on
    active = fields.Boolean(default=True)
    code = fields.Selection(
        selection_add=[(QUEUE_CARD, "Parallel run")],
        ondelete={QUEUE_CARD: "cascade"},
    )
    job_done_count = fields.Integer(compute="_compute_count", string="Jobs Done")
    job_failed_count = fields.Integer(compute="_compute_count", string="Jobs Failed")
    job_pending_count = fields.Integer(
        compute="_compute_count",
        string="Jobs Pending",
        help="Jobs waiting for a worker, running, or waiting for a retry.",
    )

    @api.depends_context("uid", "allowed_company_ids")
    def _compute_count(self):
        # EXTENDS relance_facture: the parallel run's card counts the jobs of
        # today's run, which only Job Queue Managers may read
        queue_cards = self.filtered(lambda card: card.code == QUEUE_CARD)
        others = self - queue_cards
        super(RelanceWorkspace, others)._compute_count()
        others.update(
            {"job_done_count": 0, "job_failed_count": 0, "job_pending_count": 0}
        )
        if not queue_cards:
            return
        today = fields.Date.context_today(self)
        counts = self.env["relance.engine"]._relance_queue_job_counts(today)
        for card in queue_cards:
            card.update(
                {
                    "count": counts["failed"] + counts["pending"],
                    "my_count": 0,
                    # red when a batch failed, grey when nothing waits
                    "color": 1 if counts["failed"] else 4 if counts["pending"] else 0,
                    "job_done_count": counts["done"],
                    "job_failed_count": counts["failed"],
                    "job_pending_count": counts["pending"],
                }
            )

    def _relance_target(self):
        # EXTENDS relance_facture: the jobs of today's run
        if self.code != QUEUE_CARD:
            return super()._relance_target()
        today = fields.Date.context_today(self)
        return "queue.job", self.env["relance.engine"]._relance_queue_day_domain(today)

    def action_open(self):
        # EXTENDS relance_facture: the job list of the queue, on today's run
        self.ensure_one()
        if self.code != QUEUE_CARD:
            return super().action_open()
        if not self.env["queue.job"].has_access("read"):
            raise UserError(
                self.env._(
                    "The jobs of the parallel run are shown to Job Queue Managers "
                    "(Settings › Users & Companies › Users, Job Queue section)."
                )
            )
        action = self.env["ir.actions.act_window"]._for_xml_id(
            "queue_job.action_queue_job"
        )
        action["domain"] = self._relance_target()[1]
        action["name"] = self.name
        # every state of the day's jobs, not queue_job's default filters
        action["context"] = {}
        return action

    @api.model
    def _relance_queue_sync_card(self):
        """Show the parallel run's card while the parallel run is on."""
        card = self.env.ref(
            "relance_facture_queue.relance_workspace_queue_jobs",
            raise_if_not_found=False,
        )
        parallel = self.env["relance.engine"]._relance_queue_parallel()
        if card and card.active != parallel:
            card.sudo().active = parallel
