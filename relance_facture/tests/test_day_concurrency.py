from unittest.mock import patch

import psycopg2
import psycopg2.errors

from odoo.tests import freeze_time, tagged
from odoo.tools import SQL, mute_logger

from .day_plan_common import DUE, R1_DAY, DayPlanCommon


@tagged("post_install", "-at_install", "relance_facture")
class TestDayConcurrency(DayPlanCommon):
    """The day's guards against other transactions: the database's unique
    message of the day, rows changed or held elsewhere passed over."""

    def test_database_refuses_a_second_message_of_the_day(self):
        """The last guard when a manual send races the run: one message per
        customer, company, currency, channel and day."""
        with freeze_time("2026-01-01"):
            invoice = self._relance_invoice(self.customer, due=DUE)
        self._run()
        dispatch = invoice.relance_event_ids.dispatch_id
        self.assertEqual((dispatch.channel, dispatch.state), ("email", "sent"))
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.IntegrityError),
            self.env.cr.savepoint(),
        ):
            dispatch.sudo().copy({"event_ids": [], "state": "planned"})
        # a failed or cancelled message does not hold the day
        dispatch.sudo().copy({"event_ids": [], "state": "failed"})

    def test_rows_changed_since_the_snapshot_are_skipped(self):
        """Under REPEATABLE READ, locking a row another transaction changed
        since this one began raises a serialization failure: the run locks
        the other rows one by one and leaves that one to its next call."""
        with freeze_time("2026-01-01"):
            invoices = self._two_invoices()
        changed = invoices[0]
        engine = self.env["relance.engine"]
        real_execute = type(self.env).execute_query

        def execute_query(env, query):
            text = query.code if hasattr(query, "code") else str(query)
            if "FOR UPDATE SKIP LOCKED" in text and (
                "WHERE id =" not in text or changed.id in query.params
            ):
                raise psycopg2.errors.SerializationFailure("concurrent update")
            return real_execute(env, query)

        with patch.object(type(self.env), "execute_query", execute_query):
            locked = engine._relance_lock_rows(
                "account_move",
                SQL("id IN %s", tuple(m.id for m in invoices)),
            )
        self.assertEqual(locked, [invoices[1].id])

    def test_customers_held_by_another_transaction_are_passed_over(self):
        """When every invoice of a batch's customers is held by another
        transaction, the call takes the next customers instead of reporting
        that nothing was done."""
        invoices = self._two_invoices()
        engine_cls = type(self.env["relance.engine"])
        real_lock = engine_cls._relance_lock_rows
        held = invoices[0]

        def lock_rows(engine, table, condition):
            ids = real_lock(engine, table, condition)
            return [i for i in ids if i != held.id]

        with patch.object(engine_cls, "_relance_lock_rows", lock_rows):
            moves = self.env["relance.engine"]._relance_lock_due_moves(
                self._day(R1_DAY), 1
            )
        self.assertEqual(moves, invoices[1])
