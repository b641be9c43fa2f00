from odoo import fields, models

from .relance_engine import CAPACITY_PARAM, PARALLEL_PARAM


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    relance_queue_parallel = fields.Boolean(
        string="Parallel Run",
        config_parameter=PARALLEL_PARAM,
        help="The scheduler's daily run sends its batches of customers to the "
        "job queue (channel root.relance), run by parallel workers, instead of "
        "running them one after the other; Run Manually still runs them itself.",
    )
    relance_queue_capacity = fields.Integer(
        string="Batches at Once",
        config_parameter=CAPACITY_PARAM,
        help="Most batches of the daily run at work at the same time; 0 leaves "
        "it to the job runner's configuration of the channel root.relance.",
    )

    def set_values(self):
        # EXTENDS base: the parallel run's workspace card follows the setting
        res = super().set_values()
        self.env["relance.workspace"]._relance_queue_sync_card()
        return res
