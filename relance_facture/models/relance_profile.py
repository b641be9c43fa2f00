from odoo import fields, models


class RelanceProfile(models.Model):
    """A strictness profile: an ordered ladder of dunning steps."""

    _name = "relance.profile"
    _description = "Dunning Profile"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    description = fields.Text(translate=True)
    company_id = fields.Many2one(
        "res.company",
        help="Leave empty to share the profile between all companies.",
    )
    level_ids = fields.One2many(
        "relance.level", "profile_id", string="Steps", copy=True
    )
    level_count = fields.Integer(compute="_compute_level_count", string="Steps Count")
    small_amount_threshold = fields.Float(
        help="Invoices whose balance is below this amount get a single reminder "
        "after the due date, then their formal notice waits for validation. "
        "0 uses the company setting.",
    )

    def _compute_level_count(self):
        for profile in self:
            profile.level_count = len(profile.level_ids)

    def _relance_small_amount_threshold(self, company):
        """Threshold in force for ``company``: the profile's own, or the setting."""
        self.ensure_one()
        return self.small_amount_threshold or company.relance_small_amount
