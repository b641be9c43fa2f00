"""Fault trial (scripts/fault_trial.py): the five scenarios, methods of
``Trial`` (fault_trial_runner.py) kept apart in the ``Scenarios`` mixin."""

import collections
import os
import subprocess
import time

from fault_trial_base import EXAMPLES, SEND_NOW_CUSTOMERS, TrialError, _progress
from fault_trial_checks import (
    _count_by,
    _dispatch_mail_ids,
    _failed_checks,
    _follow_checks,
    _same_for,
    _sent_once_checks,
    _smtp_checks,
    check,
    run_checks,
    same_as,
)
from fault_trial_smtp import LoopbackSMTP, free_port
from fault_trial_snapshot import counter, describe_event, describe_mail, snapshot


class Scenarios:
    """The scenarios of ``Trial``, mixed into it (they use its databases,
    children and reference): each returns (checks, figures)."""

    def scenario_1(self):
        db = self.copy(1)
        result = self.run("s1-run", db)
        self.reference = snapshot(db, self.base)
        self.reference_seconds = result.get("seconds") or 1.0
        rerun = self.run("s1-rerun", db)
        self.reference_rerun = snapshot(db, self.base)
        self.rerun_seconds = rerun.get("seconds") or 0.1
        ref = self.reference
        events, mails = counter(ref["events"]), counter(ref["mails"])
        figures = {
            "run": _run_figures(result),
            "rerun": _run_figures(rerun),
            "events": len(ref["events"]),
            "events_by_state": _count_by(k[5] for _p, k in ref["events"]),
            "events_by_channel": _count_by(k[6] for _p, k in ref["events"]),
            "dispatches": len(ref["dispatches"]),
            "dispatches_by_state": _count_by(d["state"] for d in ref["dispatches"]),
            "emails_queued": sum(1 for _p, k in ref["mails"] if k[5] == "outgoing"),
            "emails": len(ref["mails"]),
            "activities": ref["activities"],
            "customers_reminded": len({p for p, _k in ref["events"]}),
        }
        checks = run_checks(result)
        checks += [
            check("steps_recorded", events, len(ref["events"]), "> 0"),
            check(
                "emails_queued",
                figures["emails_queued"],
                figures["emails_queued"],
                "> 0",
            ),
        ]
        checks += self.duplicates(db)
        checks += run_checks(rerun, "rerun_")
        checks += [
            same_as(
                "rerun_same_steps",
                events,
                counter(self.reference_rerun["events"]),
                describe_event,
            ),
            same_as(
                "rerun_same_emails",
                mails,
                counter(self.reference_rerun["mails"]),
                describe_mail,
            ),
        ]
        self.drop(db)
        return checks, figures

    def scenario_2(self):
        db = self.copy(2)
        ref_events = len(self.reference["events"])
        kills = []
        for number in range(1, self.args.kills + 1):
            before = self.events_count(db)
            done = min(before / ref_events, 1.0) if ref_events else 1
            # the expected time of this run: its fixed part (a re-run's) and
            # the share of the reference's steps still to do
            expected = self.rerun_seconds + (
                max(self.reference_seconds - self.rerun_seconds, 0) * (1 - done)
            )
            delay = round(self.rng.uniform(0, expected), 3)
            child = self.start_run(f"s2-kill-{number:02d}", db)
            child.go()
            try:
                child.proc.wait(delay)
            except subprocess.TimeoutExpired:
                pass
            alive = child.proc.poll() is None
            child.kill()
            ended = self.wait_backends(db)
            kills.append(
                {
                    "delay": delay,
                    "expected": round(expected, 3),
                    "killed_mid_run": alive,
                    "steps_before": before,
                    "steps_after": self.events_count(db),
                    "backends_ended": ended,
                    "result": None if alive else _run_figures(child.result()),
                }
            )
            _progress(
                f"  kill {number}: after {delay} s of ~{expected:.1f} s, "
                f"{'killed mid-run' if alive else 'run had ended'}, "
                f"{kills[-1]['steps_after']} steps recorded"
            )
        final = self.run("s2-final", db)
        got = snapshot(db, self.base)
        guard_trips = _count_in_logs(self.log_dir, "s2-", ") timed out")
        ended_early = [k["result"] for k in kills if k["result"]]
        checks = run_checks(final, "final_")
        checks += [
            check(
                "killed_runs_clean",
                all(
                    r["status"] == "done" and not r.get("job_failures")
                    for r in ended_early
                ),
                f"{len(ended_early)} run(s) ended before their kill, all done"
                if ended_early
                else "every run killed mid-run",
                "no failure",
                [r for r in ended_early if r["status"] != "done"] or None,
            ),
            same_as(
                "same_steps_as_reference",
                counter(self.reference["events"]),
                counter(got["events"]),
                describe_event,
            ),
            same_as(
                "same_emails_as_reference",
                counter(self.reference["mails"]),
                counter(got["mails"]),
                describe_mail,
            ),
        ]
        checks += self.duplicates(db)
        figures = {
            "kills": kills,
            "killed_mid_run": sum(k["killed_mid_run"] for k in kills),
            "killed_after_a_commit": sum(
                k["killed_mid_run"] and k["steps_after"] > k["steps_before"]
                for k in kills
            ),
            "timeout_guard": guard_trips,
            "final_run": _run_figures(final),
            "events": len(got["events"]),
            "emails": len(got["mails"]),
            "activities": got["activities"],
            "reference_activities": self.reference["activities"],
        }
        self.drop(db)
        return checks, figures

    def pick_bad_customers(self):
        """Customer A: its reference email was the first reminder; B: it got a
        call with a script. Customers that got nothing else are preferred
        (their step then has no other message to carry it)."""
        by_partner = collections.defaultdict(list)
        for dispatch in self.reference["dispatches"]:
            by_partner[dispatch["partner"]].append(dispatch)

        def candidates(match, channel, exclude=()):
            found = []
            for partner, dispatches in sorted(by_partner.items()):
                hits = [d for d in dispatches if match(d)]
                if partner in exclude or not hits:
                    continue
                pure = {d["channel"] for d in dispatches} == {channel}
                found.append((not pure, partner, hits[0]["level_id"]))
            if not found:
                return None
            purest = min(c[0] for c in found)
            return self.rng.choice([c for c in found if c[0] == purest])

        a = candidates(
            lambda d: d["channel"] == "email"
            and d["state"] == "sent"
            and d["mail_id"]
            and d["kind"] == "reminder"
            and d["reminder_number"] == 1,
            "email",
        )
        if not a:
            raise TrialError("no customer got a first reminder by email in 1")
        b = candidates(
            lambda d: d["channel"] == "phone"
            and d["state"] == "sent"
            and d["has_script"],
            "phone",
            exclude={a[1]},
        )
        if not b:
            raise TrialError("no customer got a call with a script in 1")
        return {
            "bad_template": {"partner": a[1], "level": a[2], "only_email": not a[0]},
            "bad_script": {"partner": b[1], "level": b[2], "only_call": not b[0]},
        }

    def scenario_3(self):
        db = self.copy(3)
        picked = self.pick_bad_customers()
        setup = self.call("s3-setup", "setup-bad", db, {"customers": picked})["setup"]
        bad = {picked["bad_template"]["partner"], picked["bad_script"]["partner"]}
        first = self.run("s3-run", db, max_failures=2)
        got = snapshot(db, self.base)
        checks = run_checks(first)
        checks += _same_for(self.reference, got, lambda p: p not in bad, "others_")
        checks += _failed_checks(got, picked)
        self.call("s3-fix", "fix-bad", db, {"setup": setup})
        second = self.run("s3-rerun", db, max_failures=2)
        fixed = snapshot(db, self.base)
        checks += run_checks(second, "rerun_")
        checks += _same_for(self.reference, fixed, lambda p: p in bad, "fixed_")
        checks += _sent_once_checks(self.reference, got, fixed, picked)
        checks += _same_for(
            self.reference_rerun, fixed, lambda p: p not in bad, "rerun_others_"
        )
        checks += self.duplicates(db)
        figures = {
            "customers": picked,
            "setup": setup,
            "run": _run_figures(first),
            "rerun": _run_figures(second),
            "bad_dispatches_after_run": _partner_dispatches(got, bad),
            "bad_dispatches_after_rerun": _partner_dispatches(fixed, bad),
        }
        self.drop(db)
        return checks, figures

    def scenario_4(self):
        db = self.copy(4)
        due = self.due_customers(db)
        chosen = sorted(self.rng.sample(sorted(due), min(SEND_NOW_CUSTOMERS, len(due))))
        delay = round(self.rng.uniform(0.2, max(self.reference_seconds * 0.6, 0.5)), 3)
        children = [
            self.start_run("s4-runner-worker", db, "worker"),
            self.start_run("s4-runner-emulated", db, "emulate"),
            self.child(
                "s4-send-now",
                "send-now",
                db,
                {
                    "customers": [[p, due[p]] for p in chosen],
                    "delay": delay,
                    "wait_go": True,
                },
            ),
        ]
        children[2].wait_ready()
        for child in children:
            child.go()
        for child in children:
            child.wait(self.args.run_timeout + 60)
        worker, emulated, send_now = (child.result() for child in children)
        got = snapshot(db, self.base)
        checks = run_checks(worker, "worker_") + run_checks(emulated, "emulated_")
        outcomes = send_now.get("outcomes", [])
        errors = [o for o in outcomes if o["outcome"] == "error"]
        checks.append(
            check(
                "send_now_no_error",
                send_now.get("status") == "done" and not errors,
                f"{send_now.get('status')}: "
                + ", ".join(
                    f"{n} {k}"
                    for k, n in _count_by(o["outcome"] for o in outcomes).items()
                ),
                "sent or refused (UserError), never an error",
                errors or send_now.get("exception"),
            )
        )
        fatal = sum(bool(o.get("concurrency_error")) for o in outcomes) + bool(
            send_now.get("concurrency_error")
        )
        retried = sum(o["tries"] - 1 for o in outcomes)
        checks.append(
            check(
                "send_now_no_serialization_failure",
                not fatal,
                f"{fatal} failed on one; {retried} retried by Odoo's RPC layer",
                "0 failed (retries allowed, as for a click)",
            )
        )
        checks += self.duplicates(db)
        checks += _same_for(
            self.reference, got, lambda p: p not in set(chosen), "untouched_"
        )
        figures = {
            "worker": _run_figures(worker),
            "emulated": _run_figures(emulated),
            "send_now": {"delay": delay, "customers": chosen, "outcomes": outcomes},
            "events": len(got["events"]),
            "emails": len(got["mails"]),
        }
        self.drop(db)
        return checks, figures

    def scenario_5(self):
        db = self.copy(5)
        first = self.run("s5-run", db)
        after_run = snapshot(db, self.base)
        mail_ids = _dispatch_mail_ids(after_run)
        port = free_port()
        self.call("s5-mail-server", "mail-server", db, {"port": port})
        down = self.call("s5-queue-down", "queue", db)
        failed = snapshot(db, self.base)
        checks = run_checks(first)
        checks.append(check("emails_queued", mail_ids, len(mail_ids), "> 0"))
        checks += _follow_checks(failed, mail_ids, "exception", "failed", "down_")
        with LoopbackSMTP(port) as smtp:
            retry = self.run("s5-retry-run", db)
            up = self.call("s5-queue-up", "queue", db)
            time.sleep(0.5)  # the last session's QUIT
        sent = snapshot(db, self.base)
        checks += run_checks(retry, "retry_")
        checks += _follow_checks(sent, mail_ids, "sent", "sent", "up_")
        checks += _smtp_checks(smtp.messages, sent, mail_ids)
        checks.append(
            check(
                "no_new_step",
                set(sent["event_rows"]) == set(after_run["event_rows"]),
                f"{len(sent['event_rows'])} steps, {len(after_run['event_rows'])} "
                "after the first run",
                "the same steps",
            )
        )
        checks.append(
            check(
                "same_emails_retried",
                _dispatch_mail_ids(sent) == mail_ids,
                f"{len(_dispatch_mail_ids(sent))} emails of messages, "
                f"{len(mail_ids)} after the first run",
                "the same mail.mail records",
                sorted(_dispatch_mail_ids(sent) ^ mail_ids)[:EXAMPLES] or None,
            )
        )
        checks += self.duplicates(db)
        figures = {
            "port": port,
            "run": _run_figures(first),
            "emails": len(mail_ids),
            "queue_down": down.get("rounds"),
            "mail_states_down": _count_by(
                failed["mail_rows"][m]["state"] for m in mail_ids
            ),
            "retry_run": _run_figures(retry),
            "queue_up": up.get("rounds"),
            "mail_states_up": _count_by(
                sent["mail_rows"][m]["state"]
                for m in mail_ids
                if m in sent["mail_rows"]
            ),
            "smtp_received": len(smtp.messages),
        }
        self.drop(db)
        return checks, figures


def _count_in_logs(log_dir, prefix, text):
    count = 0
    for name in sorted(os.listdir(log_dir)):
        if name.startswith(prefix):
            with open(os.path.join(log_dir, name), errors="replace") as file:
                count += sum(text in line for line in file)
    return count


def _run_figures(result):
    keys = (
        "status",
        "how",
        "seconds",
        "calls",
        "done",
        "acquisitions",
        "job_failures",
        "timeout_guard",
        "locked_waits",
        "log_error_count",
        "log_concurrency_errors",
        "concurrency_job_failures",
        "exception",
        "returncode",
        "log",
    )
    return {key: result[key] for key in keys if key in result}


def _partner_dispatches(snap, partners):
    return [
        {
            k: d[k]
            for k in ("id", "partner", "channel", "state", "note", "attempt_count")
        }
        for d in snap["dispatches"]
        if d["partner"] in partners
    ]
