# pylint: disable=consider-merging-classes-inherited
"""The day's customers and invoices, and the locks that give each batch its
customers alone (``FOR UPDATE SKIP LOCKED``): the daily loop, its preview and
the jobs of ``relance_facture_queue`` choose their work here."""

import logging

from psycopg2 import errors as pg_errors

from odoo import api, models
from odoo.tools import SQL

from .relance_engine import LOCK_ROUNDS
from .relance_planner import CUSTOMER_CHANNELS

_logger = logging.getLogger(__name__)


class RelanceEngine(models.AbstractModel):
    _inherit = "relance.engine"

    @api.model
    def _relance_day_customers(self, today, filters=None, after=0, limit=None):
        """Ids of the customers (commercial partners) with invoices due
        today, in increasing order: those after ``after``, at most ``limit``
        (all when None). ``filters`` as ``_relance_run_customers``."""
        if filters is None:
            filters = self._relance_day_filters(today)
        closed, unmatched = filters
        domain = self._relance_due_domain(today, closed, unmatched)
        if after:
            domain.append(("commercial_partner_id", ">", after))
        # one scan of the day's due invoices (not a sub-query of their ids:
        # each batch would read them twice)
        query = self.env["account.move"]._search(domain)
        rows = self.env.execute_query(
            SQL(
                "SELECT DISTINCT %s FROM %s WHERE %s ORDER BY 1 LIMIT %s",
                SQL.identifier("account_move", "commercial_partner_id"),
                query.from_clause,
                query.where_clause,
                limit,
            )
        )
        return [row[0] for row in rows]

    @api.model
    def _relance_day_filters(self, today):
        """(companies closed today, {(customer id, company id, currency id):
        reason} of the invoices not reminded today because of unmatched
        payments): the run and its preview apply the same."""
        closed = (
            self.env["res.company"]
            .search([])
            .filtered(lambda c: not c._relance_is_sending_day(today))
        )
        return closed, self._relance_unmatched_credits()

    @api.model
    def _relance_due_domain(self, today, closed=None, skip_partners=None):
        domain = [
            *self.env["account.move"]._relance_open_domain(),
            ("relance_next_date", "<=", today),
            ("relance_excluded", "=", False),
            ("relance_dispute", "=", False),
            ("commercial_partner_id.relance_excluded", "=", False),
            # at most one message per customer, channel and day: a customer
            # reminded today (by hand) gets its next steps tomorrow
            ("commercial_partner_id", "not in", self._relance_reminded_today(today)),
        ]
        # unmatched payments hold back their customer's invoices of that
        # company and currency only
        domain += self._relance_skip_domain(skip_partners, "commercial_partner_id")
        if closed:
            # a closed day sends nothing: the plan waits for the next business day
            domain.append(("company_id", "not in", closed.ids))
        return domain

    @api.model
    def _relance_reminded_today(self, today):
        """Sub-query of the customers who received a message today."""
        return (
            self.env["relance.dispatch"]
            ._search(
                [
                    ("date", "=", today),
                    ("state", "in", ("planned", "sent")),
                    ("channel", "in", CUSTOMER_CHANNELS),
                ]
            )
            .subselect("partner_id")
        )

    @api.model
    def _relance_count_due_moves(
        self, today, closed=None, skip_partners=None, after=0, passed=()
    ):
        """Due invoices of the customers after ``after`` (an id) or in
        ``passed`` (ids of customers passed over): the day's remaining."""
        domain = self._relance_due_domain(today, closed, skip_partners)
        if after:
            domain += [
                "|",
                ("commercial_partner_id", ">", after),
                ("commercial_partner_id", "in", list(passed)),
            ]
        return self.env["account.move"].search_count(domain)

    @api.model
    def _relance_lock_due_moves(
        self, today, limit, closed=None, skip_partners=None, partner_ids=None
    ):
        """Lock the due invoices of the customers ``partner_ids``, or of the
        day's next ``limit`` customers when not given.

        A batch holds whole customers so that one customer gets one message
        per run; invoices locked by another transaction (a payment, a manual
        send) are skipped and come back in a later batch.
        """
        domain = self._relance_due_domain(today, closed, skip_partners)
        if partner_ids is not None:
            return self._relance_lock_customers(domain, partner_ids)
        # Customers whose invoices are all held by another transaction (a
        # second worker, a payment) are passed over for the next ones, so that
        # a call does not report "nothing done" while work remains.
        after = 0
        for _round in range(LOCK_ROUNDS):
            customers = self._relance_day_customers(
                today, (closed, skip_partners), after=after, limit=limit
            )
            if not customers:
                break
            moves = self._relance_lock_customers(domain, customers)
            if moves:
                return moves
            after = customers[-1]
        return self.env["account.move"]

    @api.model
    def _relance_lock_customers(self, domain, partner_ids):
        """Lock the invoices of ``domain`` (due invoices) of the customers
        ``partner_ids``; a customer of whom another transaction holds some
        invoices is left out: one customer's day is planned by one
        transaction."""
        if not partner_ids:
            return self.env["account.move"]
        # the customers inside the domain: PostgreSQL reads their invoices
        # only (index on customer and next date), not the whole day's
        query = self.env["account.move"]._search(
            [*domain, ("commercial_partner_id", "in", list(partner_ids))]
        )
        condition = SQL("id IN (%s)", query.subselect())
        locked = set(self._relance_lock_rows("account_move", condition))
        wanted = self.env.execute_query(
            SQL(
                "SELECT id, commercial_partner_id FROM account_move WHERE %s",
                condition,
            )
        )
        split = {partner for move_id, partner in wanted if move_id not in locked}
        ids = [
            move_id
            for move_id, partner in wanted
            if partner not in split and move_id in locked
        ]
        return self.env["account.move"].browse(sorted(ids))

    @api.model
    def _relance_lock_dispatches(self, domain, closed=None, skip_partners=None):
        """Lock the dispatches of ``domain`` the run may send today (not of
        a company closed today, nor of a customer with unmatched payments)."""
        domain = list(domain)
        if closed:
            domain.append(("company_id", "not in", closed.ids))
        domain += self._relance_skip_domain(skip_partners, "partner_id")
        query = self.env["relance.dispatch"]._search(domain)
        ids = self._relance_lock_rows(
            "relance_dispatch", SQL("id IN (%s)", query.subselect())
        )
        return self.env["relance.dispatch"].browse(ids)

    @api.model
    def _relance_lock_rows(self, table, condition):
        """Ids of the rows of ``table`` matching ``condition`` (an SQL),
        locked for this transaction: the one place dunning locks work.

        ``FOR UPDATE SKIP LOCKED``: rows another transaction holds (a
        payment, a manual send, another worker) are left to it. Under
        REPEATABLE READ a row changed and committed by another transaction
        since this one began cannot be locked (serialization failure): such
        rows are skipped too, so that the run goes on; the next call of the
        cron worker, a new transaction, finds them with their new values.
        """
        select = SQL(
            "SELECT id FROM %s WHERE %s ORDER BY id FOR UPDATE SKIP LOCKED",
            SQL.identifier(table),
            condition,
        )
        try:
            with self.env.cr.savepoint(flush=False):
                return [row[0] for row in self.env.execute_query(select)]
        except pg_errors.SerializationFailure:
            _logger.info(
                "Dunning: rows of %s changed meanwhile, locking one by one.", table
            )
        candidates = self.env.execute_query(
            SQL(
                "SELECT id FROM %s WHERE %s ORDER BY id",
                SQL.identifier(table),
                condition,
            )
        )
        locked = []
        for (row_id,) in candidates:
            try:
                with self.env.cr.savepoint(flush=False):
                    locked += [
                        row[0]
                        for row in self.env.execute_query(
                            SQL(
                                "SELECT id FROM %s WHERE id = %s "
                                "FOR UPDATE SKIP LOCKED",
                                SQL.identifier(table),
                                row_id,
                            )
                        )
                    ]
            except pg_errors.SerializationFailure:
                continue
        return locked
