from odoo.tests import freeze_time

from .common import RelanceCommon

DUE = "2026-01-20"
R1_DAY = "2026-01-23"  # Standard: Reminder 1 at J+3


class DayPlanCommon(RelanceCommon):
    """Two customers on the Standard profile, and the helpers of the day's
    plan tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.customer.relance_profile_id = cls.profile_standard
        cls.other = cls._relance_customer(
            "Martin SA", "compta@martin.example", cls.profile_standard
        )

    # ------------------------------------------------------------------
    # Helpers
    # ------------------------------------------------------------------
    def _profile_with_r1(self, name, template=None, **level_values):
        """A one-step profile: Reminder 1 at J+3 by email (``template``, a
        copy of the shipped one by default)."""
        template = (
            template
            or self.env.ref("relance_facture.mail_template_relance_reminder_1").copy()
        )
        return self.env["relance.profile"].create(
            {
                "name": name,
                "level_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Reminder 1",
                            "kind": "reminder",
                            "offset_days": 3,
                            "use_email": True,
                            "mail_template_id": template.id,
                            **level_values,
                        },
                    )
                ],
            }
        )

    def _two_invoices(self):
        with freeze_time("2026-01-01"):
            return (
                self._relance_invoice(self.customer, due=DUE),
                self._relance_invoice(self.other, due=DUE),
            )

    def _run(self, day=R1_DAY):
        with self.mock_mail_gateway(), freeze_time(day):
            self._relance_run()
            return self._new_mails

    def _failed_card_count(self):
        card = self.env.ref("relance_facture.relance_workspace_failed")
        card.invalidate_recordset(["count"])
        return card.count
