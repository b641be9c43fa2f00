"""Fault trial (scripts/fault_trial.py): reading a copy with SQL, what the
runs did: the steps, the messages and the emails as comparable keys, counted
and described."""

import collections

import psycopg2


def sql(db, query, params=None):
    conn = psycopg2.connect(dbname=db)
    try:
        with conn.cursor() as cr:
            cr.execute(query, params)
            rows = cr.fetchall() if cr.description else []
        conn.commit()
    finally:
        conn.close()
    return rows


def has_column(db, table, column):
    return bool(
        sql(
            db,
            """SELECT 1 FROM information_schema.columns
               WHERE table_name = %s AND column_name = %s""",
            [table, column],
        )
    )


EVENTS_SQL = """
    SELECT e.id, e.partner_id, e.move_id, l.kind, l.sequence, l.offset_days,
           COALESCE(e.plan_line_id, 0), e.state, e.channel
    FROM relance_event e JOIN relance_level l ON l.id = e.level_id
    WHERE e.id > %s"""
DISPATCHES_SQL = """
    SELECT d.id, d.partner_id, d.channel, d.state, d.date::text, d.mail_id,
           COALESCE(d.note, ''), d.level_id, l.kind, l.reminder_number,
           COALESCE(l.use_phone, false), COALESCE(l.call_script::text, '') <> '',
           ARRAY(SELECT r.event_id FROM relance_dispatch_event_rel r
                 WHERE r.dispatch_id = d.id ORDER BY 1),
           {attempts}
    FROM relance_dispatch d LEFT JOIN relance_level l ON l.id = d.level_id
    WHERE d.id > %s"""
MAILS_SQL = """
    SELECT m.id, m.state, COALESCE(mm.subject, ''), COALESCE(m.email_to, ''),
           COALESCE(mm.message_id, ''),
           ARRAY(SELECT r.res_partner_id FROM mail_mail_res_partner_rel r
                 WHERE r.mail_mail_id = m.id ORDER BY 1),
           d.partner_id, d.channel, COALESCE(m.failure_reason, '')
    FROM mail_mail m JOIN mail_message mm ON mm.id = m.mail_message_id
    LEFT JOIN relance_dispatch d ON d.mail_id = m.id
    WHERE m.id > %s"""
DISPATCH_FIELDS = (
    "id partner channel state date mail_id note level_id kind reminder_number"
    " use_phone has_script event_ids attempt_count"
).split()


def snapshot(db, base):
    """What the runs left in ``db`` since the book (``base``: its highest ids):
    the steps, the messages and the emails, as comparable keys."""
    events, event_rows = [], {}
    for row in sql(db, EVENTS_SQL, [base["relance_event"]]):
        event_id, partner, move, kind, seq, offset, plan_line, state, channel = row
        key = (move, kind, seq, offset, plan_line, state, channel)
        events.append((partner, key))
        event_rows[event_id] = {"partner": partner, "state": state, "key": key}
    attempts = (
        "d.attempt_count"
        if has_column(db, "relance_dispatch", "attempt_count")
        else "NULL::int"
    )
    dispatches = [
        dict(zip(DISPATCH_FIELDS, row, strict=True))
        for row in sql(
            db,
            DISPATCHES_SQL.format(attempts=attempts),
            [base["relance_dispatch"]],
        )
    ]
    mails, mail_rows = [], {}
    for row in sql(db, MAILS_SQL, [base["mail_mail"]]):
        mail_id, state, subject, email_to, message_id, rcpt, partner, channel, why = row
        key = (partner or 0, channel or "", subject, email_to, tuple(rcpt), state)
        mails.append((partner or 0, key))
        mail_rows[mail_id] = {
            "state": state,
            "message_id": message_id,
            "recipients": len(rcpt) + bool(email_to),
            "dispatch_partner": partner,
            "failure_reason": why[:200],
        }
    activities = sql(
        db, "SELECT count(*) FROM mail_activity WHERE id > %s", [base["mail_activity"]]
    )[0][0]
    return {
        "events": events,
        "event_rows": event_rows,
        "dispatches": dispatches,
        "mails": mails,
        "mail_rows": mail_rows,
        "activities": activities,
    }


def counter(pairs, keep=None):
    return collections.Counter(
        key for partner, key in pairs if keep is None or keep(partner)
    )


def describe_event(key):
    move, kind, _seq, offset, plan_line, state, channel = key
    instalment = f" instalment {plan_line}" if plan_line else ""
    return f"invoice {move} {kind} J{offset:+d}{instalment}: {state} ({channel})"


def describe_mail(key):
    partner, channel, subject, email_to, recipients, state = key
    to = ",".join(map(str, recipients)) or email_to
    return f"{subject!r} to partner(s) {to} ({state}; customer {partner} {channel})"
