#!/usr/bin/env python3
"""The floor of a dunning day: Odoo's own cost of the records it leaves.

    python3 scripts/floor.py --db DB --addons-path PATHS [--json FILE]

DB holds a day that relance_facture's daily run has done (``benchmark.sh
--keep-db``; ``benchmark.sh --floor`` runs this script after its run).
Whatever the engine decides, the specification asks the day to leave these
records, all through Odoo's frameworks: the events (the
history), the dispatches (the messages), the emails queued through
``mail.mail``, the notes in the chatter of the invoices and the customers,
the activities of the calls and of the steps waiting for validation. This
script times Odoo writing the same records again, with the same values and
the same calls the run makes, and rendering the same emails, with no
planning, no choice and no reading of the book.

In one transaction, rolled back at the end: the day's records are deleted
(not timed), then created again, step by step, each step flushed and timed
with its queries. Followers the activities subscribed stay, so the
activities' step is cheaper than in the run: the figures are a lower bound.

Prints a table and one ``FLOOR_JSON {...}`` line; --json writes it too.
"""

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402  (Odoo's bootstrap)

EVENT_FIELDS = (
    "move_id",
    "partner_id",
    "level_id",
    "company_id",
    "currency_id",
    "channel",
    "date",
    "state",
    "user_id",
    "amount_residual",
    "due_date",
    "days_late",
    "plan_line_id",
    "plan_id",
    "profile_id",
    "kind",
    "reminder_number",
    "note",
    "message_date",
)
DISPATCH_FIELDS = (
    "partner_id",
    "recipient_id",
    "company_id",
    "currency_id",
    "channel",
    "level_id",
    "date",
    "user_id",
    "state",
    "note",
)
MAIL_FIELDS = (
    "subject",
    "body_html",
    "body",
    "email_from",
    "email_to",
    "email_cc",
    "reply_to",
    "recipient_ids",
    "model",
    "res_id",
    "record_name",
    "auto_delete",
    "message_type",
    "subtype_id",
    "author_id",
    "mail_server_id",
    "is_notification",
    "scheduled_date",
    "state",
)
# each value's customer, to make the records by batches of customers
CUSTOMER = "_customer"
# the one step that writes nothing
RENDER_STEP = "emails rendered (mail.template)"
# customers per batch, as the daily run (relance.engine._cron_run_daily)
BATCH_SIZE = 200
ACTIVITY_FIELDS = (
    "res_model_id",
    "res_id",
    "activity_type_id",
    "user_id",
    "date_deadline",
    "summary",
    "note",
    "relance_company_id",
)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True, help="a database after a dunning day")
    parser.add_argument("--addons-path", help="Odoo's --addons-path")
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--json", help="also write the figures to this file")
    return parser.parse_args(argv)


def followers():
    """The invoices' fields that follow their events, as the engine has them
    (importable once Odoo is bootstrapped)."""
    from odoo.addons.relance_facture.models.relance_engine import EVENT_FOLLOWERS

    return EVENT_FOLLOWERS


def _vals(records, fnames):
    """The records' values as ``create`` takes them (ids for relations)."""
    rows = records.read(list(fnames), load=None)
    for row in rows:
        row.pop("id")
        for fname, value in row.items():
            if records._fields[fname].type == "many2many":
                row[fname] = [(6, 0, value)]
    return rows


def collect(env):
    """The day's records, as values to create them again; each carries its
    customer (``CUSTOMER``), and references others by their position."""
    today = env["relance.event"]._fields["date"].context_today(env["relance.event"])
    events = env["relance.event"].search([("date", "=", today)], order="id")
    if not events:
        sys.exit(f"{env.cr.dbname}: no dunning event today; run the day first")
    since = min(events.mapped("create_date"))
    dispatches = env["relance.dispatch"].search(
        [("event_ids", "in", events.ids)], order="id"
    )
    mails = dispatches.mail_id.sorted("id")
    notes = env["mail.message"].search(
        [
            ("model", "in", ("account.move", "res.partner")),
            ("message_type", "=", "notification"),
            ("create_date", ">=", since),
        ],
        order="id",
    )
    activities = env["mail.activity"].search(
        [("create_date", ">=", since), ("res_model", "=", "res.partner")],
        order="id",
    )
    moves = events.move_id
    event_keys = {event.id: i for i, event in enumerate(events)}
    dispatch_keys = {dispatch.id: i for i, dispatch in enumerate(dispatches)}
    day = {
        "moves": _vals(moves, followers()),
        "events": _vals(events, EVENT_FIELDS),
        "dispatches": _vals(dispatches, DISPATCH_FIELDS),
        "mails": _vals(mails, MAIL_FIELDS),
        "notes": [
            {"model": m.model, "res_id": m.res_id, "body": m.body} for m in notes
        ],
        "activities": _vals(activities, ACTIVITY_FIELDS),
    }
    for vals, move in zip(day["moves"], moves, strict=True):
        vals.update({"id": move.id, CUSTOMER: move.commercial_partner_id.id})
    for vals in day["events"]:
        vals[CUSTOMER] = vals["partner_id"]
    for vals, dispatch in zip(day["dispatches"], dispatches, strict=True):
        vals["event_ids"] = [event_keys[e.id] for e in dispatch.event_ids]
        vals["template_id"] = dispatch.level_id.mail_template_id.id
        vals[CUSTOMER] = vals["partner_id"]
    for vals in day["mails"]:
        vals["res_id"] = dispatch_keys[vals["res_id"]]
        vals[CUSTOMER] = day["dispatches"][vals["res_id"]][CUSTOMER]
    customer_of_move = {move.id: move.commercial_partner_id.id for move in moves}
    for vals in day["notes"]:
        vals[CUSTOMER] = (
            customer_of_move.get(vals["res_id"], 0)
            if vals["model"] == "account.move"
            else vals["res_id"]
        )
    for vals in day["activities"]:
        vals[CUSTOMER] = vals["res_id"]
    records = {
        "relance_event": events.ids,
        "relance_dispatch": dispatches.ids,
        "mail_mail": mails.ids,
        "mail_message": notes.ids + mails.mail_message_id.ids,
        "mail_activity": activities.ids,
        "account_move": moves.ids,
    }
    return day, records


def delete(env, records):
    """The day's records out, in SQL (not timed; rolled back at the end)."""
    env.flush_all()
    for table in (
        "mail_activity",
        "relance_event",
        "relance_dispatch",
        "mail_mail",
        "mail_message",
    ):
        env.cr.execute(
            f"DELETE FROM {table} WHERE id = ANY(%s)",  # noqa: S608 (fixed names)
            [records[table]],
        )
    # the invoices' dunning fields back to empty, so that writing them counts
    env.cr.execute(
        "UPDATE account_move SET "
        + ", ".join(f"{fname} = NULL" for fname in followers())
        + " WHERE id = ANY(%s)",
        [records["account_move"]],
    )
    env.invalidate_all()


class Steps:
    """Time and queries of each step, summed over the batches."""

    def __init__(self, env, emails):
        self.env, self.emails, self.totals = env, emails, {}

    def run(self, label, function):
        env = self.env
        env.flush_all()
        queries = env.cr.sql_log_count
        start = time.perf_counter()
        result = function()
        env.flush_all()
        total = self.totals.setdefault(label, [0.0, 0])
        total[0] += time.perf_counter() - start
        total[1] += env.cr.sql_log_count - queries
        return result

    def figures(self):
        return [
            {
                "step": label,
                "seconds": round(seconds, 2),
                "queries": queries,
                "ms_per_email": round(seconds * 1000 / max(self.emails, 1), 1),
            }
            for label, (seconds, queries) in self.totals.items()
        ]


def rewrite(env, day, batch_size=BATCH_SIZE):
    """Create the day's records again, step by step, by batches of
    customers as the run makes them; returns the figures."""
    quiet = env(
        context=dict(
            env.context,
            mail_create_nolog=True,
            mail_notrack=True,
            tracking_disable=True,
            relance_sanitize_once=True,
            mail_notify_force_send=False,
        )
    )
    steps = Steps(env, len(day["mails"]))
    events, dispatches = {}, {}
    customers = sorted({vals[CUSTOMER] for vals in day["events"]})
    for start in range(0, len(customers), batch_size):
        batch = set(customers[start : start + batch_size])

        def of_batch(name, batch=batch):
            return [
                (i, {k: v for k, v in vals.items() if k != CUSTOMER})
                for i, vals in enumerate(day[name])
                if vals[CUSTOMER] in batch
            ]

        # not timed: the run's plan has read the batch's customers and
        # invoices before it writes anything (without this, Odoo would read
        # the customers one by one: an artefact of this script)
        partners = quiet["res.partner"].browse(sorted(batch))
        partners.mapped("name")  # all the columns Odoo prefetches
        quiet["account.move"].search(
            [("commercial_partner_id", "in", partners.ids)]
        ).mapped("name")
        _rewrite_batch(quiet, steps, of_batch, events, dispatches)
        env.invalidate_all()  # the run's cron worker starts each batch afresh
    return steps.figures()


def _rewrite_batch(env, steps, of_batch, events, dispatches):
    move_rows = of_batch("moves")
    moves = env["account.move"].browse([vals.pop("id") for _i, vals in move_rows])
    computed = [moves._fields[fname] for fname in followers()]

    def create_events():
        # the invoices' dunning fields are written below, as values: their
        # computation is relance_facture's planner, not Odoo's floor
        rows = of_batch("events")
        with env.protecting(computed, moves):
            created = env["relance.event"].create([vals for _i, vals in rows])
            env.flush_all()
        events.update(zip((i for i, _vals in rows), created, strict=True))

    steps.run("events (history)", create_events)

    def write_moves():
        # as a compute method sets them (no account.move.write() per invoice)
        with env.protecting(computed, moves):
            for move, (_i, values) in zip(moves, move_rows, strict=True):
                for fname, value in values.items():
                    move[fname] = value
            env.flush_all()

    steps.run("invoices' dunning fields", write_moves)

    rows = of_batch("dispatches")
    templates = {}
    for i, vals in rows:
        vals["event_ids"] = [(6, 0, [events[e].id for e in vals["event_ids"]])]
        templates.setdefault(vals.pop("template_id"), []).append(i)

    def create_dispatches():
        created = env["relance.dispatch"].create([vals for _i, vals in rows])
        dispatches.update(zip((i for i, _vals in rows), created, strict=True))

    steps.run("dispatches (messages)", create_dispatches)
    mail_rows = of_batch("mails")
    emailed = {vals["res_id"] for _i, vals in mail_rows}

    def render():
        for template_id, positions in templates.items():
            ids = [dispatches[i].id for i in positions if i in emailed]
            if template_id and ids:
                env["mail.template"].browse(template_id)._generate_template(
                    ids,
                    ("subject", "body_html", "email_from", "partner_to", "reply_to"),
                )

    steps.run(RENDER_STEP, render)

    def create_mails():
        env["mail.mail"].create(
            [dict(vals, res_id=dispatches[vals["res_id"]].id) for _i, vals in mail_rows]
        )

    steps.run("emails queued (mail.mail)", create_mails)

    def log_notes():
        by_model = {}
        for _i, vals in of_batch("notes"):
            by_model.setdefault(vals["model"], {})[vals["res_id"]] = vals["body"]
        for model, bodies in by_model.items():
            env[model].browse(list(bodies))._message_log_batch(bodies)

    steps.run("chatter notes", log_notes)
    steps.run(
        "activities (calls, validations)",
        lambda: env["mail.activity"]._relance_create(
            [vals for _i, vals in of_batch("activities")]
        ),
    )


def report(result):
    """The figures as a table, a line per step, then the total."""
    steps = result["steps"]
    width = max([len(step["step"]) for step in steps] + [len("total")])
    lines = [f"The day's records written again by Odoo ({result['db']}):"]
    for step in steps:
        lines.append(
            f"  {step['step']:<{width}}  {step['seconds']:7.2f} s"
            f"  {step['queries']:6d} queries  {step['ms_per_email']:6.1f} ms/email"
        )
    lines.append(
        f"  {'total':<{width}}  {result['total_seconds']:7.2f} s"
        f"  for {result['counts']['mails']} emails"
        f" ({result['total_ms_per_email']:.1f} ms/email;"
        f" writing records: {result['write_seconds']:.2f} s)"
    )
    return lines


def main(argv=None):
    args = parse_args(argv)
    registry = benchmark.bootstrap(args)
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        day, records = collect(env)
        counts = {name: len(values) for name, values in day.items()}
        delete(env, records)
        figures = rewrite(env, day)
        cr.rollback()
    emails = counts["mails"]
    total = sum(f["seconds"] for f in figures)
    writes = sum(f["seconds"] for f in figures if f["step"] != RENDER_STEP)
    result = {
        "db": args.db,
        "counts": counts,
        "steps": figures,
        "total_seconds": round(total, 2),
        "total_ms_per_email": round(total * 1000 / max(emails, 1), 1),
        "write_seconds": round(writes, 2),
    }
    print("\n".join(report(result)))
    print("FLOOR_JSON " + json.dumps(result, sort_keys=True))
    if args.json:
        with open(args.json, "w", encoding="utf-8") as handle:
            json.dump(result, handle, indent=2, sort_keys=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
