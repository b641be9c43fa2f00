#!/usr/bin/env python3
"""Our daily run against OCA account_credit_control on the same book, side by side.

    python3 scripts/versus_credit_control.py --phase PHASE --db DB
        --addons-path PATHS [--result FILE] [--customers N] [--invoices M]
        [--seed S]
    python3 scripts/versus_credit_control.py --phase report --cc FILE
        --ours FILE [--output-dir var] [...]

scripts/versus_credit_control.sh copies one generated book (scripts/book.sh,
neither addon installed) twice and calls this script once per phase, each in
a fresh process, one after the other (never two at once):

  cc-setup    copy A, account_credit_control installed: one policy with the
              ladder of LADDER (our Standard profile's days), on every
              receivable account, the company's default policy and every
              customer's ``credit_policy_id``; the shipped policies archived.
  cc-run      copy A: what its users do each day, one transaction per button
              as the web client does, timed as a whole (scripts/benchmark.py's
              ``Meter``): create a ``credit.control.run`` for today and
              ``generate_credit_lines`` (button "Compute Credit Control
              Lines"); mark all its draft lines "To Do" (the
              ``credit.control.marker`` wizard); send the email lines (the
              ``credit.control.emailer`` wizard: one communication per customer,
              level and currency, one ``message_post_with_source`` of the
              shipped template each, hence one mail.mail each).
  ours-setup  copy B, relance_facture installed: the book's dunning profiles
              (scripts/book.py).
  ours-run    copy B: today's daily run exactly as ``scripts/benchmark.py
              --phase run`` times it (its ``measure``: the scheduled action
              called as the cron worker does, a commit per batch).
  report      the side-by-side table, the ratio credit_control time / our
              time, var/versus-credit-control-<date>.json and one
              ``VERSUS_JSON {...}`` line; exit 3 when the ratio is below
              TARGET_RATIO (the issue's target), 0 otherwise.

What each side does, and what favours one side:
- credit_control: lines and emails only. Its run creates one line per overdue
  receivable line at the next level (first level only on a fresh book: a level
  needs the previous one sent, there is no catch-up), then one email per
  customer, level and currency with an email address. Letter lines (customers
  without email, the last level) are marked "To Do" but not printed:
  printing renders a PDF per communication, and our run does not render its
  letters either (wkhtmltopdf without patched Qt cannot batch them).
- ours: the whole day. Courtesy reminders before the due date, reminders,
  formal notices waiting for validation, calls as activities, letters to
  print, SMS, one event per (invoice, step) and one dispatch per customer and
  channel, catch-up to the highest step due, French-law checks.
- Favours ours: the shipped credit_control template attaches a PDF summary
  (``report_template_ids``: one wkhtmltopdf call per email, while composing
  it); ours attaches no invoice PDF by default (a company setting). The time
  in PDF rendering is measured on both sides (``pdf_seconds``) and a ratio
  without it is printed too. Every customer is on the credit_control policy;
  10 % of ours are on "Never remind", and ours holds back the customers with
  an unmatched credit (the book's open credit notes), which credit_control
  reminds as if the credit were not there. Our run runs as the cron's user
  (superuser, no record rules); credit_control's buttons as the administrator
  (record rules checked), as in the web client.
- Favours credit_control: it does far less per customer (see above: no
  events, activities, SMS, pre-due reminders, catch-up or legal checks; on a
  fresh book all its lines are first reminders). Without an HTTP server the
  requests of wkhtmltopdf for the report's stylesheets are refused at once;
  in production Odoo serves them, so its PDFs take at least as long.
- Neutral: same book, same machine and Odoo, fresh processes one after the
  other, installs and configuration not timed; both measured up to the mail
  queue, SMTP excluded (its buttons would send each email right after their
  transaction, ``force_send``; they run with ``mail_notify_force_send=False``
  as our run does).
"""

import argparse
import collections
import datetime
import functools
import json
import logging
import os
import sys
import time

import benchmark
import book

ROOT = benchmark.ROOT
CC_ADDON = "account_credit_control"
TARGET_RATIO = 10.0
POLICY_NAME = "Relances clients"
# Our Standard profile (relance_facture/data/relance_profile_data.xml): the
# days after the due date of reminder 1, reminder 2, the formal notice and
# the escalation, as credit_control levels counted from the due date
# ("net_days"): (level, name, days after due, channel).
LADDER = (
    (1, "Relance 1", 3, "email"),
    (2, "Relance 2", 12, "email"),
    (3, "Mise en demeure", 25, "email"),
    (4, "Contentieux (lettre)", 35, "letter"),
)
LEVEL_TEXT = (
    "Sauf erreur de notre part, les factures ci-dessous restent impayées à ce "
    "jour. Merci de procéder à leur règlement ou de nous indiquer la date "
    "prévue."
)


# ----------------------------------------------------------------------------
# Pure helpers (tested in tests_unit/test_versus_credit_control.py)
# ----------------------------------------------------------------------------
def ladder_level_vals(ladder=LADDER, text=LEVEL_TEXT):
    """``credit.control.policy.level`` values of a ladder, without the policy
    and template ids. Days count from the due date; levels must grow."""
    levels = [level for level, _name, _days, _channel in ladder]
    if levels != sorted(set(levels)):
        raise ValueError(f"levels must be unique and increasing: {levels}")
    days = [days for _level, _name, days, _channel in ladder]
    if days != sorted(days):
        raise ValueError(f"days after due must not decrease: {days}")
    return [
        {
            "level": level,
            "name": name,
            "computation_mode": "net_days",
            "delay_days": days,
            "channel": channel,
            "custom_text": text,
            "custom_mail_text": f"<p>{text}</p>",
            "mail_show_invoice_detail": True,
        }
        for level, name, days, channel in ladder
    ]


def per_email(queries, emails):
    return round(queries / emails, 2) if emails else None


def ratio(numerator, denominator):
    return round(numerator / denominator, 2) if denominator > 0 else None


def compare(cc, ours, target=TARGET_RATIO):
    """The verdict: credit_control's time over ours (and the same without
    the PDF rendering of both sides)."""
    main = ratio(cc["seconds"], ours["seconds"])
    without_pdf = ratio(
        cc["seconds"] - cc.get("pdf_seconds", 0.0),
        ours["seconds"] - ours.get("pdf_seconds", 0.0),
    )
    return {
        "ratio": main,
        "ratio_without_pdf": without_pdf,
        "target": target,
        "pass": main is not None and main >= target,
    }


def exit_code(verdict):
    return 0 if verdict["pass"] else 3


def _cell(value, unit=""):
    if value is None:
        return "–"
    if isinstance(value, float):
        value = f"{value:g}"
    return f"{value}{unit}"


def table(cc, ours):
    """The side-by-side table, as Markdown (the README's style)."""
    header = (
        "| Side | Does | Time | SQL queries | Emails | Queries / email "
        "| PDFs (time) | RSS peak |"
    )
    rows = [header, "|---|---|---|---|---|---|---|---|"]
    for label, does, fig in (
        ("account_credit_control", "lines + emails", cc),
        ("relance_facture", "the whole day", ours),
    ):
        rows.append(
            f"| {label} | {does} | {_cell(fig['seconds'], ' s')} "
            f"| {_cell(fig['queries'])} | {_cell(fig['emails'])} "
            f"| {_cell(per_email(fig['queries'], fig['emails']))} "
            f"| {_cell(fig.get('pdfs', 0))} ({_cell(fig.get('pdf_seconds', 0.0))} s) "
            f"| {_cell(fig['rss_peak_mb'], ' MB')} "
            f"(+{_cell(fig['rss_growth_mb'])}) |"
        )
    return "\n".join(rows)


def book_line(facts):
    if not facts:
        return "Book: (no facts)"
    return (
        f"Book: {facts.get('customers')} customers ({facts.get('consumers')} "
        f"consumers, {facts.get('customers_without_email')} without email, "
        f"{facts.get('invoice_contacts')} invoice contacts), "
        f"{facts.get('invoices')} invoices {facts.get('payment_state', {})}, "
        f"{facts.get('credit_notes', 0)} credit notes, "
        f"{facts.get('overdue_open')} overdue and open; our profiles "
        f"{facts.get('profiles', {})}"
    )


def summary(result):
    cc, ours, verdict = result["credit_control"], result["ours"], result["verdict"]
    params = result["parameters"]
    lines = [
        "",
        f"Daily run versus account_credit_control {cc.get('version', '')}, "
        f"{result['date']} ({result['machine']['cpus']} CPUs, Odoo "
        f"{result['machine']['odoo']}), book {params['customers']} customers x "
        f"{params['invoices_per_customer']} invoices (seed {params['seed']})"
        + (f", {params['source']}" if params.get("source") else ""),
        book_line(result.get("book") or {}),
        table(cc, ours),
        f"credit_control: {cc['lines']} lines {cc['lines_by_level_channel']}, "
        f"{cc['communications']} communications; steps "
        + ", ".join(f"{step} {sec} s" for step, sec in cc["steps"].items()),
        f"relance_facture: {ours['events']} events {ours['events_by_state']}, "
        f"{ours['dispatches']} messages {ours['dispatches_by_channel']}, "
        f"{ours['activities']} activities, {ours['scheduler_calls']} "
        f"scheduler call(s)",
        f"Load average (1, 5, 15 min) before/after: credit_control "
        f"{cc.get('load_before')}/{cc.get('load_after')}, ours "
        f"{ours.get('load_before')}/{ours.get('load_after')}",
        f"Ratio credit_control time / our time: {_cell(verdict['ratio'])} "
        f"(without PDF rendering: {_cell(verdict['ratio_without_pdf'])}); target "
        f">= {verdict['target']:g}: {'PASS' if verdict['pass'] else 'FAIL'}",
    ]
    return "\n".join(lines)


# ----------------------------------------------------------------------------
# Odoo side
# ----------------------------------------------------------------------------
def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--phase",
        required=True,
        choices=("cc-setup", "cc-run", "ours-setup", "ours-run", "report"),
    )
    parser.add_argument("--db", help="the copy of the book of this phase")
    parser.add_argument("--addons-path", help="Odoo's --addons-path")
    parser.add_argument("--result", help="where a run phase writes its figures")
    parser.add_argument("--cc", help="report: figures of cc-run")
    parser.add_argument("--ours", help="report: figures of ours-run")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10, help="per customer")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--book", default="", help="report: the book's database")
    parser.add_argument("--source", default="", help="what code of ours is measured")
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    args = parser.parse_args(argv)
    if args.phase != "report" and not args.db:
        parser.error(f"--phase {args.phase} needs --db")
    if args.phase in ("cc-run", "ours-run") and not args.result:
        parser.error(f"--phase {args.phase} needs --result")
    if args.phase == "report" and not (args.cc and args.ours):
        parser.error("--phase report needs --cc and --ours")
    return args


class PdfMeter(logging.Filter):
    """Counts the PDF reports rendered and the seconds spent in them
    (``ir.actions.report._render_qweb_pdf``, wkhtmltopdf included), and the
    warnings of wkhtmltopdf (counted, not logged: two lines per PDF)."""

    LOGGER = "odoo.addons.base.models.ir_actions_report"

    def __init__(self):
        super().__init__()
        self.count = 0
        self.seconds = 0.0
        self.warnings = 0

    def filter(self, record):
        if record.levelno == logging.WARNING and "wkhtmltopdf" in record.getMessage():
            self.warnings += 1
            return False
        return True

    def install(self):
        from odoo.addons.base.models.ir_actions_report import IrActionsReport

        logging.getLogger(self.LOGGER).addFilter(self)

        original = IrActionsReport._render_qweb_pdf
        meter = self

        @functools.wraps(original)
        def _render_qweb_pdf(self, *args, **kwargs):
            tick = time.perf_counter()
            try:
                return original(self, *args, **kwargs)
            finally:
                meter.count += 1
                meter.seconds += time.perf_counter() - tick

        IrActionsReport._render_qweb_pdf = _render_qweb_pdf
        return self


def _load():
    """The machine's load averages (1, 5, 15 min): others' work skews timings."""
    return [round(load, 2) for load in os.getloadavg()]


def _admin_env(cr, **context):
    from odoo import api

    env = api.Environment(cr, 1, {})
    admin = env.ref("base.user_admin")
    return api.Environment(
        cr,
        admin.id,
        {"lang": admin.lang or "en_US", "tz": admin.tz or "Europe/Paris", **context},
    )


def cc_setup(registry, args):
    """One policy with LADDER for the whole company and every customer."""
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {"tracking_disable": True})
        company = env.company
        if not company.email:
            company.email = "compta@my-company.example"
        shipped = env["credit.control.policy"].search([])
        template = env.ref("account_credit_control.email_template_credit_control_base")
        receivables = env["account.account"].search(
            [
                ("account_type", "=", "asset_receivable"),
                ("company_ids", "in", company.ids),
            ]
        )
        policy = env["credit.control.policy"].create(
            {
                "name": POLICY_NAME,
                "company_id": company.id,
                "account_ids": [(6, 0, receivables.ids)],
                "level_ids": [
                    (0, 0, {**vals, "email_template_id": template.id})
                    for vals in ladder_level_vals()
                ],
            }
        )
        shipped.active = False
        company.credit_policy_id = policy
        customers = (
            env["account.move"]
            .search([("move_type", "in", ("out_invoice", "out_refund"))])
            .commercial_partner_id
        )
        customers.credit_policy_id = policy
        cr.commit()
        print(
            f"credit_control: policy {policy.name!r} ({len(policy.level_ids)} "
            f"levels) on {len(receivables)} receivable account(s), the company "
            f"and {len(customers)} customers; {len(shipped)} shipped policies "
            "archived",
            flush=True,
        )


def _high_ids(env, models):
    return {
        model: env[model]
        .sudo()
        .with_context(active_test=False)
        .search([], order="id desc", limit=1)
        .id
        or 0
        for model in models
    }


CC_MODELS = (
    "mail.mail",
    "mail.message",
    "credit.control.line",
    "credit.control.communication",
)


def cc_day(registry, today):
    """The day's clicks, one transaction each; returns their timings."""
    steps = {}

    def step(name, action):
        tick = time.perf_counter()
        with registry.cursor() as cr:
            action(_admin_env(cr))
            cr.commit()
        steps[name] = round(time.perf_counter() - tick, 3)

    run_ids = []

    def compute_lines(env):
        run = env["credit.control.run"].create({"date": today})
        run.generate_credit_lines()
        run_ids.append(run.id)

    def mark_to_do(env):
        run = env["credit.control.run"].browse(run_ids)
        drafts = run.line_ids.filtered(lambda line: line.state == "draft")
        if not drafts:
            return
        marker = (
            env["credit.control.marker"]
            .with_context(active_model="credit.control.line", active_ids=drafts.ids)
            .create({"name": "to_be_sent"})
        )
        marker.mark_lines()

    def send_emails(env):
        run = env["credit.control.run"].browse(run_ids)
        to_send = run.line_ids.filtered(
            lambda line: line.state == "to_be_sent" and line.channel == "email"
        )
        if not to_send:
            return
        emailer = (
            env["credit.control.emailer"]
            .with_context(
                active_model="credit.control.line",
                active_ids=to_send.ids,
                mail_notify_force_send=False,
            )
            .create({})
        )
        emailer.email_lines()

    step("compute_lines", compute_lines)
    step("mark_to_do", mark_to_do)
    step("send_emails", send_emails)
    return run_ids[0], steps


def cc_run(registry, args):
    from odoo import SUPERUSER_ID, api

    pdf = PdfMeter().install()
    today = datetime.date.today()
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        before = _high_ids(env, CC_MODELS)
        version = env["ir.module.module"].search([("name", "=", CC_ADDON)])
        version = version.latest_version
    load_before = _load()
    meter = benchmark.Meter()
    with meter:
        run_id, steps = cc_day(registry, today)
    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})

        def new(model):
            return env[model].search([("id", ">", before[model])])

        lines = new("credit.control.line")
        mails = new("mail.mail")
        counter = collections.Counter
        figures = {
            "version": version,
            "run_id": run_id,
            "steps": steps,
            "lines": len(lines),
            "lines_by_level_channel": dict(
                sorted(counter(f"L{ln.level} {ln.channel}" for ln in lines).items())
            ),
            "lines_by_state": dict(sorted(counter(lines.mapped("state")).items())),
            "communications": len(new("credit.control.communication")),
            "emails": len(mails.filtered(lambda m: m.state == "outgoing")),
            "emails_created": len(mails),
            "messages": len(new("mail.message")),
            "pdfs": pdf.count,
            "pdf_seconds": round(pdf.seconds, 3),
            "pdf_warnings": pdf.warnings,
            "load_before": load_before,
            "load_after": _load(),
            **meter.result,
        }
    figures["queries_per_email"] = per_email(figures["queries"], figures["emails"])
    print(
        f"  credit_control day: {figures['seconds']} s, {figures['queries']} "
        f"queries, {figures['emails']} emails, {figures['lines']} lines",
        file=sys.stderr,
        flush=True,
    )
    return figures


def ours_setup(registry, args):
    """The book's dunning profiles, as scripts/book.py assigns them once
    relance_facture is installed."""
    book.assign_profiles(registry, args)


def ours_run(registry, args):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        facts = book.get_facts(api.Environment(cr, SUPERUSER_ID, {}))
    if facts.get("date") != datetime.date.today().isoformat():
        sys.exit(f"{args.db}: no book dated today")
    if "profiles" not in facts:
        sys.exit(f"{args.db}: no dunning profiles (run --phase ours-setup first)")
    pdf = PdfMeter().install()
    run_args = argparse.Namespace(profile=False, tracemalloc=False, mode="cron")
    load_before = _load()
    figures = benchmark.measure(registry, run_args, "our daily run")
    figures.update(
        emails=figures["emails_queued"],
        pdfs=pdf.count,
        pdf_seconds=round(pdf.seconds, 3),
        pdf_warnings=pdf.warnings,
        load_before=load_before,
        load_after=_load(),
    )
    figures["book"] = facts
    return figures


def _write(path, data):
    with open(path, "w") as file:
        json.dump(data, file, indent=2, sort_keys=True, default=str)


def report(args):
    import odoo.release

    with open(args.cc) as file:
        cc = json.load(file)
    with open(args.ours) as file:
        ours = json.load(file)
    today = datetime.date.today().isoformat()
    result = {
        "date": today,
        "parameters": {
            "customers": args.customers,
            "invoices_per_customer": args.invoices,
            "seed": args.seed,
            "book": args.book,
            "source": args.source,
            "ladder": [list(row) for row in LADDER],
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "odoo": odoo.release.version,
        },
        "book": ours.pop("book", {}),
        "credit_control": cc,
        "ours": ours,
        "verdict": compare(cc, ours),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"versus-credit-control-{today}.json")
    _write(path, result)
    print(summary(result))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("VERSUS_JSON " + json.dumps(result, sort_keys=True, default=str), flush=True)
    return exit_code(result["verdict"])


def main(argv=None):
    args = parse_args(argv)
    if args.phase == "report":
        return report(args)
    module = CC_ADDON if args.phase.startswith("cc-") else benchmark.ADDON
    registry = benchmark.bootstrap(args, module)
    if args.phase == "cc-setup":
        cc_setup(registry, args)
    elif args.phase == "ours-setup":
        ours_setup(registry, args)
    else:
        run = cc_run if args.phase == "cc-run" else ours_run
        _write(args.result, run(registry, args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
