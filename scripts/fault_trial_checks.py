"""Fault trial (scripts/fault_trial.py): the checks, each a dict (name,
pass, value, target, detail): snapshots compared, the "never twice" rules, the
runner children, the failed and retried messages, the SMTP server's count."""

import collections

from fault_trial_base import CUSTOMER_CHANNELS, EXAMPLES, LIVE_DISPATCH_STATES
from fault_trial_snapshot import counter, describe_event, describe_mail, sql


def compare(reference, trial, describe):
    """Multisets ``reference`` and ``trial`` compared: counts and examples."""
    missing, extra = reference - trial, trial - reference
    return {
        "reference": sum(reference.values()),
        "trial": sum(trial.values()),
        "missing": sum(missing.values()),
        "extra": sum(extra.values()),
        "examples_missing": [describe(k) for k in sorted(missing.elements())][
            :EXAMPLES
        ],
        "examples_extra": [describe(k) for k in sorted(extra.elements())][:EXAMPLES],
    }


def same_as(name, reference, trial, describe):
    diff = compare(reference, trial, describe)
    ok = not diff["missing"] and not diff["extra"]
    return check(
        name,
        ok,
        f"{diff['trial']} vs {diff['reference']} (missing {diff['missing']}, "
        f"extra {diff['extra']})",
        "identical",
        None if ok else diff,
    )


def duplicate_checks(db):
    """The two "never twice" rules, on the whole database."""
    events = sql(
        db,
        """SELECT move_id, level_id, plan_line_id, count(*) FROM relance_event
           GROUP BY 1, 2, 3 HAVING count(*) > 1 ORDER BY 1, 2, 3""",
    )
    dispatches = sql(
        db,
        """SELECT partner_id, company_id, currency_id, channel, date::text,
                  count(*), array_agg(state ORDER BY id)
           FROM relance_dispatch
           WHERE state IN %s AND channel IN %s
           GROUP BY 1, 2, 3, 4, 5 HAVING count(*) > 1 ORDER BY 1, 4, 5""",
        [LIVE_DISPATCH_STATES, CUSTOMER_CHANNELS],
    )
    return [
        check(
            "no_event_twice",
            not events,
            len(events),
            "0 (invoice, step, instalment) with two events",
            [
                f"invoice {m} step {lvl} instalment {pl}: {n} events"
                for m, lvl, pl, n in events[:EXAMPLES]
            ]
            or None,
        ),
        check(
            "no_message_twice",
            not dispatches,
            len(dispatches),
            "0 (customer, company, currency, channel, date) with two messages "
            "sent/planned/held",
            [
                f"customer {p} {ch} {day}: {n} messages {states}"
                for p, _co, _cur, ch, day, n, states in dispatches[:EXAMPLES]
            ]
            or None,
        ),
    ]


def check(name, ok, value, target=None, detail=None):
    result = {"name": name, "pass": bool(ok), "value": value, "target": target}
    if detail is not None:
        result["detail"] = detail
    return result


def run_checks(result, prefix=""):
    """Checks of a runner child: it ended its run, without a failed job nor a
    conflict between transactions."""
    status = result.get("status")
    failures = result.get("job_failures", 0)
    fatal = result.get("concurrency_job_failures", 0) + bool(
        result.get("concurrency_error")
    )
    errors = [
        r for r in result.get("log_errors", []) if r["level"] in ("ERROR", "CRITICAL")
    ]
    return [
        check(
            f"{prefix}run_completed",
            status == "done" and not failures,
            f"{status}, {failures} failed job call(s)"
            + (f": {result.get('exception')}" if result.get("exception") else ""),
            "done, 0 failed",
            errors[:3] or None,
        ),
        check(
            f"{prefix}no_serialization_failure",
            not fatal,
            f"{fatal} call(s) of the job or process(es) failed on one; "
            f"{result.get('log_concurrency_errors', 0)} logged in all",
            "0 failed",
        ),
    ]


def _count_by(values):
    return dict(sorted(collections.Counter(values).items()))


def _same_for(reference, got, keep, prefix):
    return [
        same_as(
            f"{prefix}steps_as_reference",
            counter(reference["events"], keep),
            counter(got["events"], keep),
            describe_event,
        ),
        same_as(
            f"{prefix}emails_as_reference",
            counter(reference["mails"], keep),
            counter(got["mails"], keep),
            describe_mail,
        ),
    ]


def _steps_follow(snap, dispatches, state):
    """The steps carried by ``dispatches``: (all, those not in ``state``,
    those excused). A step whose other message to the customer (a letter, an
    SMS...) went may stay sent when ``dispatches`` failed."""
    ids = {d["id"] for d in dispatches}
    carried = collections.defaultdict(list)
    for d in snap["dispatches"]:
        if d["id"] not in ids and d["state"] == "sent":
            if d["channel"] in CUSTOMER_CHANNELS:
                for event_id in d["event_ids"]:
                    carried[event_id].append(d["channel"])
    event_ids = {e for d in dispatches for e in d["event_ids"]}
    events = {e: snap["event_rows"][e] for e in event_ids if e in snap["event_rows"]}
    excused = {
        e: carried[e]
        for e, row in events.items()
        if state == "failed" and row["state"] == "sent" and carried.get(e)
    }
    wrong = [
        row for e, row in events.items() if e not in excused and row["state"] != state
    ]
    return events, wrong, excused


def _steps_check(name, snap, dispatches, state):
    events, wrong, excused = _steps_follow(snap, dispatches, state)
    return check(
        name,
        events and not wrong,
        f"{len(events) - len(wrong)}/{len(events)} "
        f"{_count_by(e['state'] for e in events.values())}"
        + (
            f", {len(excused)} sent by another message "
            f"{_count_by(ch for chs in excused.values() for ch in chs)}"
            if excused
            else ""
        ),
        f"all {state}, at least one"
        + (" (or sent by another message of the step)" if state == "failed" else ""),
        [describe_event(e["key"]) for e in wrong][:EXAMPLES] or None,
    )


def _failed_checks(got, picked):
    """The broken channel of each of the two customers failed, with its
    reason, and so did the steps it carried."""
    checks = []
    for role, channel in (("bad_template", "email"), ("bad_script", "phone")):
        partner = picked[role]["partner"]
        dispatches = [
            d
            for d in got["dispatches"]
            if d["partner"] == partner and d["channel"] == channel
        ]
        failed = [d for d in dispatches if d["state"] == "failed" and d["note"].strip()]
        checks.append(
            check(
                f"{role}_message_failed_with_reason",
                dispatches and len(failed) == len(dispatches),
                f"{len(failed)}/{len(dispatches)} {channel} message(s) of customer "
                f"{partner} failed with a note",
                "all, at least one",
                [f"{d['state']}: {d['note'][:200]}" for d in dispatches] or None,
            )
        )
        checks.append(_steps_check(f"{role}_steps_failed", got, dispatches, "failed"))
    return checks


def _sent_once_checks(reference, got, fixed, picked):
    """After the fix and the re-run: the failed messages went, once."""
    checks = []
    for role, channel in (("bad_template", "email"), ("bad_script", "phone")):
        partner = picked[role]["partner"]

        def sent(snap, partner=partner, channel=channel):
            return [
                d
                for d in snap["dispatches"]
                if d["partner"] == partner
                and d["channel"] == channel
                and d["state"] == "sent"
            ]

        failed_ids = {
            d["id"]
            for d in got["dispatches"]
            if d["partner"] == partner and d["channel"] == channel
        }
        now = {d["id"]: d for d in fixed["dispatches"] if d["id"] in failed_ids}
        checks.append(
            check(
                f"{role}_message_sent_once",
                len(sent(fixed)) == len(sent(reference))
                and all(d["state"] == "sent" for d in now.values()),
                f"{len(sent(fixed))} {channel} message(s) sent (reference "
                f"{len(sent(reference))}); failed ones now "
                f"{_count_by(d['state'] for d in now.values())}",
                "as many as in the reference, the failed one(s) retried",
                [
                    {k: d[k] for k in ("id", "state", "note", "attempt_count")}
                    for d in now.values()
                ]
                or None,
            )
        )
    return checks


def _dispatch_mail_ids(snap):
    return {d["mail_id"] for d in snap["dispatches"] if d["mail_id"]}


def _follow_checks(snap, mail_ids, mail_state, state, prefix):
    """The emails are in ``mail_state``; their messages and steps follow (a
    step whose other message to the customer, a letter or an SMS, went stays
    sent when its email fails)."""
    mails = snap["mail_rows"]
    in_state = [m for m in mail_ids if mails.get(m, {}).get("state") == mail_state]
    dispatches = [d for d in snap["dispatches"] if d["mail_id"] in mail_ids]
    following = [d for d in dispatches if d["state"] == state]
    return [
        check(
            f"{prefix}emails_{mail_state}",
            mail_ids and len(in_state) == len(mail_ids),
            f"{len(in_state)}/{len(mail_ids)} "
            f"{_count_by(mails.get(m, {}).get('state', 'deleted') for m in mail_ids)}",
            f"all {mail_state}",
        ),
        check(
            f"{prefix}messages_{state}",
            dispatches and len(following) == len(dispatches),
            f"{len(following)}/{len(dispatches)} "
            f"{_count_by(d['state'] for d in dispatches)}",
            f"all {state}",
        ),
        _steps_check(f"{prefix}steps_{state}", snap, dispatches, state),
    ]


def _smtp_checks(messages, snap, mail_ids):
    """Each email of a message reached the SMTP server once per recipient."""
    received = collections.Counter(m["message_id"] for m in messages)
    expected = collections.Counter()
    for mail_id in mail_ids:
        row = snap["mail_rows"].get(mail_id)
        if row:
            expected[row["message_id"]] += max(row["recipients"], 1)
    missing, extra = expected - received, received - expected
    return [
        check(
            "smtp_each_email_once",
            not missing and not extra,
            f"{sum(received.values())} received, {sum(expected.values())} expected "
            f"(missing {sum(missing.values())}, extra {sum(extra.values())})",
            "each email once",
            {"missing": sorted(missing)[:EXAMPLES], "extra": sorted(extra)[:EXAMPLES]}
            if missing or extra
            else None,
        )
    ]
