#!/usr/bin/env python3
"""Benchmark of the daily dunning run on a generated book of invoices.

    python3 scripts/benchmark.py --db DB --addons-path PATHS [--phase PHASE]
        [--customers 1000] [--invoices 10] [--seed 42] [--mode cron|direct]
        [--profile] [--tracemalloc]

DB must hold relance_facture (installed without demo data); scripts/benchmark.sh
prepares such a database from the template and calls this script twice, once
per phase, so that the run is measured in a fresh process (as a cron worker
after a restart) and its memory figures are not those of the generation.

Phases:
  generate  creates the book (customers, invoices posted, payments reconciled)
            and commits; its figures are kept in the database.
  run       times today's daily run as the scheduler runs it, then a same-day
            re-run; prints the summary, one ``BENCHMARK_JSON {...}`` line and
            writes var/benchmark-<date>.json.
  all       both, in this process.

--mode cron (default) runs the scheduled action the way the cron worker does:
one batch per call with ``cron_id`` in the context, a commit after each batch,
again while the progress says work remains. --mode direct calls
``relance.engine._cron_run_daily()`` once (it loops over the batches itself)
and commits at the end. --profile counts queries by statement and by the
relance_facture function that issued them (timings are then inflated).
"""

import argparse
import collections
import cProfile
import datetime
import json
import math
import os
import pstats
import random
import re
import resource
import sys
import threading
import time
import tracemalloc

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ADDON = "relance_facture"
GEN_PARAM = "relance_benchmark.generation"
# The targets (1000 customers x 10 invoices).
TARGET_RUN_SECONDS = 15.0
TARGET_RUN_INVOICES = 10_000
TARGET_QUERIES_PER_EMAIL = 8.0
TARGET_RERUN_SECONDS = 1.0
PROFILES = (  # xmlid, share of customers
    ("relance_facture.profile_strict", 0.20),
    ("relance_facture.profile_standard", 0.45),
    ("relance_facture.profile_lenient", 0.25),
    ("relance_facture.profile_never", 0.10),
)
SHARE_CONSUMERS = 0.25
SHARE_WITHOUT_EMAIL = 0.04
SHARE_INVOICE_CONTACT = 0.08
SHARE_TAXED = 0.5
SHARE_PAID = 0.25
SHARE_PARTIAL = 0.15
DUE_SPREAD_DAYS = 90
AMOUNT_MIN, AMOUNT_MAX = 50.0, 20_000.0
CHUNK = 1000

FIRST_NAMES = "Jean Marie Pierre Sophie Luc Claire Paul Julie Marc Anne".split()
LAST_NAMES = "Martin Bernard Dubois Thomas Robert Richard Petit Durand Leroy".split()
COMPANY_SUFFIXES = ("SARL", "SAS", "SA", "EURL", "SCOP")


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True, help="database holding the addon")
    parser.add_argument("--addons-path", help="Odoo's --addons-path")
    parser.add_argument("--customers", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=10, help="per customer")
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--phase", choices=("all", "generate", "run"), default="all")
    parser.add_argument("--mode", choices=("cron", "direct"), default="cron")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="count the run's queries by statement and addon function, and "
        "write a cProfile dump to var/ (inflates the timings)",
    )
    parser.add_argument(
        "--tracemalloc",
        action="store_true",
        help="also trace Python allocations during the run (slows it down)",
    )
    parser.add_argument("--log-level", default="warn")
    parser.add_argument(
        "--source", default="", help="what code is measured (recorded in the JSON)"
    )
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    args = parser.parse_args(argv)
    if args.customers < 1 or args.invoices < 1:
        parser.error("--customers and --invoices must be positive")
    return args


def bootstrap(args):
    """Odoo configured for ``args.db``; returns the registry."""
    from odoo.tools import config

    options = ["-d", args.db, "--no-http", f"--log-level={args.log_level}"]
    if args.addons_path:
        options.append(f"--addons-path={args.addons_path}")
    config.parse_config(options)
    from odoo.modules.registry import Registry

    registry = Registry(args.db)
    if ADDON not in registry._init_modules:
        sys.exit(f"{args.db}: the module {ADDON} is not installed")
    return registry


# ----------------------------------------------------------------------------
# Generation
# ----------------------------------------------------------------------------
def generate(registry, args):
    from odoo import SUPERUSER_ID, api

    rng = random.Random(args.seed)
    today = datetime.date.today()
    start = time.perf_counter()
    steps = {}
    with registry.cursor() as cr:
        env = api.Environment(
            cr,
            SUPERUSER_ID,
            {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
        )
        if env["ir.config_parameter"].get_param(GEN_PARAM):
            sys.exit(f"{args.db} already holds a generated book: use a fresh database")
        company = env.company
        if not company.email:
            company.email = "compta@my-company.example"
        tick = time.perf_counter()
        customers, bill_to = _generate_customers(env, rng, args.customers)
        cr.commit()
        steps["customers_seconds"] = round(time.perf_counter() - tick, 1)
        tick = time.perf_counter()
        moves = _generate_invoices(env, rng, customers, bill_to, args, today)
        steps["invoices_seconds"] = round(time.perf_counter() - tick, 1)
        tick = time.perf_counter()
        payments = _generate_payments(env, rng, moves, today)
        steps["payments_seconds"] = round(time.perf_counter() - tick, 1)
        facts = _book_facts(env, customers, moves, today)
        facts.update(
            payments,
            seed=args.seed,
            date=today.isoformat(),
            generation_seconds=round(time.perf_counter() - start, 1),
            **steps,
        )
        env["ir.config_parameter"].set_param(GEN_PARAM, json.dumps(facts))
        cr.commit()
    print(
        f"Generated {facts['customers']} customers, {facts['invoices']} invoices "
        f"in {facts['generation_seconds']} s",
        flush=True,
    )
    return facts


def _pick_shares(rng, records, shares):
    """Split ``records`` at random by ``shares`` (a list of fractions)."""
    records = list(records)
    rng.shuffle(records)
    parts, start = [], 0
    for share in shares:
        end = start + round(share * len(records))
        parts.append(records[start:end])
        start = end
    return parts


def _generate_customers(env, rng, count):
    """Companies and consumers, most with an email, a few with an invoice
    address, spread over the shipped profiles. Returns (customers, {customer:
    partner the invoices are addressed to})."""
    consumers = set(rng.sample(range(count), round(SHARE_CONSUMERS * count)))
    no_email = set(rng.sample(range(count), round(SHARE_WITHOUT_EMAIL * count)))
    vals_list = []
    for i in range(count):
        consumer = i in consumers
        if consumer:
            name = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)} {i:05d}"
            domain = "mail.example"
            local = re.sub(r"\W+", ".", name.lower())
        else:
            name = f"{rng.choice(LAST_NAMES)} {i:05d} {rng.choice(COMPANY_SUFFIXES)}"
            domain = f"customer{i:05d}.example"
            local = "compta"
        vals_list.append(
            {
                "name": name,
                "is_company": not consumer,
                "email": False if i in no_email else f"{local}@{domain}",
                "phone": f"+33 1 {rng.randint(10, 99)} {rng.randint(10, 99)} "
                f"{rng.randint(10, 99)} {i % 100:02d}",
                "lang": "en_US",
                "street": f"{rng.randint(1, 200)} rue de la Paix",
                "city": "Paris",
                "zip": "75002",
            }
        )
    customers = env["res.partner"].create(vals_list)
    companies = customers.filtered("is_company")
    with_contact = rng.sample(
        list(companies), round(SHARE_INVOICE_CONTACT * len(companies))
    )
    contacts = env["res.partner"].create(
        [
            {
                "name": f"Accounts payable {partner.name}",
                "type": "invoice",
                "parent_id": partner.id,
                "email": f"ap@customer{partner.id}.example",
                "lang": "en_US",
            }
            for partner in with_contact
        ]
    )
    bill_to = {contact.parent_id: contact for contact in contacts}
    parts = _pick_shares(rng, customers, [share for _xmlid, share in PROFILES])
    parts[-1] = parts[-1] + list(set(customers) - set().union(*map(set, parts)))
    for (xmlid, _share), part in zip(PROFILES, parts, strict=True):
        env["res.partner"].concat(*part).relance_profile_id = env.ref(xmlid)
    env.flush_all()
    return customers, bill_to


def _generate_invoices(env, rng, customers, bill_to, args, today):
    """``args.invoices`` posted invoices per customer, due within +-90 days,
    created and posted by chunks of CHUNK (one commit each)."""
    company = env.company
    sale_tax = company.account_sale_tax_id
    journal = env["account.journal"].search(
        [("type", "=", "sale"), ("company_id", "=", company.id)], limit=1
    )
    vals_list = []
    for customer in customers:
        partner = bill_to.get(customer, customer)
        for _n in range(args.invoices):
            due = today + datetime.timedelta(
                days=rng.randint(-DUE_SPREAD_DAYS, DUE_SPREAD_DAYS)
            )
            vals_list.append(invoice_vals(rng, journal, partner, due, today, sale_tax))
    return post_invoices(env, vals_list)


def invoice_vals(rng, journal, partner, due, today, sale_tax):
    """One customer invoice: a usual payment term before ``due``, a
    log-uniform amount (many small invoices, a few large ones), half taxed."""
    term = rng.choice((0, 30, 30, 45, 60))
    invoice_date = min(due - datetime.timedelta(days=term), today)
    amount = math.exp(rng.uniform(math.log(AMOUNT_MIN), math.log(AMOUNT_MAX)))
    taxed = bool(sale_tax) and rng.random() < SHARE_TAXED
    if taxed and sale_tax.amount_type == "percent":
        amount /= 1 + sale_tax.amount / 100
    return {
        "move_type": "out_invoice",
        "journal_id": journal.id,
        "partner_id": partner.id,
        "invoice_date": invoice_date,
        "invoice_date_due": due,
        "invoice_line_ids": [
            (
                0,
                0,
                {
                    "name": "Services",
                    "quantity": 1,
                    "price_unit": round(amount, 2),
                    "tax_ids": [(6, 0, sale_tax.ids if taxed else [])],
                },
            )
        ],
    }


def post_invoices(env, vals_list):
    """Create and post the invoices in date order (sequence numbers follow the
    dates, as in real life), by chunks of CHUNK with a commit each."""
    vals_list.sort(key=lambda vals: vals["invoice_date"])
    move_ids = []
    for start in range(0, len(vals_list), CHUNK):
        moves = env["account.move"].create(vals_list[start : start + CHUNK])
        moves.action_post()
        move_ids += moves.ids
        env.cr.commit()
        env.invalidate_all()
        print(
            f"  invoices: {len(move_ids)}/{len(vals_list)} posted",
            file=sys.stderr,
            flush=True,
        )
    return env["account.move"].browse(move_ids)


def _generate_payments(env, rng, moves, today):
    """About 25 % of the invoices fully paid and 15 % partially, each by a
    bank entry reconciled with the invoice's receivable (in batch)."""
    paid, partial, _open = _pick_shares(
        rng, moves.ids, [SHARE_PAID, SHARE_PARTIAL, 1 - SHARE_PAID - SHARE_PARTIAL]
    )
    bank = env["account.journal"].search(
        [("type", "=", "bank"), ("company_id", "=", env.company.id)], limit=1
    )
    plan = [(move_id, True) for move_id in paid] + [
        (move_id, False) for move_id in partial
    ]
    plan.sort()
    for start in range(0, len(plan), CHUNK):
        chunk = plan[start : start + CHUNK]
        invoices = env["account.move"].browse([move_id for move_id, _full in chunk])
        vals_list, receivables = [], []
        for invoice, (_move_id, full) in zip(invoices, chunk, strict=True):
            receivable = invoice.line_ids.filtered(
                lambda line: line.display_type == "payment_term"
            )[:1]
            total = invoice.amount_residual
            amount = (
                total
                if full
                else invoice.currency_id.round(total * rng.uniform(0.1, 0.9))
            )
            days = max((today - invoice.invoice_date).days, 0)
            receivables.append(receivable)
            vals_list.append(
                {
                    "move_type": "entry",
                    "journal_id": bank.id,
                    "date": today - datetime.timedelta(days=rng.randint(0, days)),
                    "ref": f"Payment {invoice.name}",
                    "line_ids": [
                        (
                            0,
                            0,
                            {
                                "account_id": receivable.account_id.id,
                                "partner_id": invoice.commercial_partner_id.id,
                                "credit": amount,
                                "name": f"Payment {invoice.name}",
                            },
                        ),
                        (
                            0,
                            0,
                            {
                                "account_id": bank.default_account_id.id,
                                "debit": amount,
                                "name": f"Payment {invoice.name}",
                            },
                        ),
                    ],
                }
            )
        entries = env["account.move"].create(vals_list)
        entries.action_post()
        env["account.move.line"]._reconcile_plan(
            [
                receivable
                + entry.line_ids.filtered(
                    lambda line, r=receivable: line.account_id == r.account_id
                )
                for receivable, entry in zip(receivables, entries, strict=True)
            ]
        )
        env.cr.commit()
        env.invalidate_all()
        print(
            f"  payments: {start + len(chunk)}/{len(plan)} reconciled",
            file=sys.stderr,
            flush=True,
        )
    return {"payments_full": len(paid), "payments_partial": len(partial)}


def _book_facts(env, customers, moves, today):
    moves.invalidate_recordset()
    count_by = collections.Counter
    profiles = count_by(partner.relance_profile_id.name for partner in customers)
    return {
        "customers": len(customers),
        "consumers": len(customers.filtered(lambda p: not p.is_company)),
        "customers_without_email": len(customers.filtered(lambda p: not p.email)),
        "invoice_contacts": env["res.partner"].search_count(
            [("parent_id", "in", customers.ids), ("type", "=", "invoice")]
        ),
        "profiles": dict(sorted(profiles.items())),
        "invoices": len(moves),
        "payment_state": dict(
            sorted(count_by(move.payment_state for move in moves).items())
        ),
        "overdue_open": len(
            moves.filtered(
                lambda m: m.payment_state in ("not_paid", "partial")
                and m.invoice_date_due < today
            )
        ),
        "due_today_or_before_per_plan": env["account.move"].search_count(
            [("id", "in", moves.ids), ("relance_next_date", "<=", today)]
        ),
    }


# ----------------------------------------------------------------------------
# Measure
# ----------------------------------------------------------------------------
def _rss_bytes():
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class Meter:
    """Wall time, SQL queries (every cursor), peak RSS, optional tracemalloc
    peak and per-statement profile of one block."""

    def __init__(self, profile=False, trace_malloc=False, cprofile_path=None):
        self.profile = profile
        self.trace_malloc = trace_malloc
        self.cprofile_path = cprofile_path
        self.by_statement = collections.Counter()
        self.by_statement_ms = collections.Counter()
        self.by_code = collections.Counter()
        self.by_code_ms = collections.Counter()
        self.result = {}

    def __enter__(self):
        from odoo import sql_db

        self._sql_db = sql_db
        self._stop = threading.Event()
        self._rss0 = self._rss_peak = _rss_bytes()
        self._sampler = threading.Thread(target=self._sample, daemon=True)
        self._sampler.start()
        self._maxrss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if self.profile:
            threading.current_thread().query_hooks = (self._hook,)
        if self.trace_malloc:
            tracemalloc.start()
        self._cprofile = cProfile.Profile() if self.cprofile_path else None
        self._queries0 = sql_db.sql_counter
        self._t0 = time.perf_counter()
        if self._cprofile:
            self._cprofile.enable()
        return self

    def __exit__(self, *exc):
        seconds = time.perf_counter() - self._t0
        if self._cprofile:
            self._cprofile.disable()
            self._cprofile.dump_stats(self.cprofile_path)
        queries = self._sql_db.sql_counter - self._queries0
        self._stop.set()
        self._sampler.join()
        self.result = {
            "seconds": round(seconds, 3),
            "queries": queries,
            "rss_peak_mb": round(self._rss_peak / 2**20, 1),
            "rss_growth_mb": round((self._rss_peak - self._rss0) / 2**20, 1),
            "maxrss_delta_mb": round(
                (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - self._maxrss0)
                / 1024,
                1,
            ),
        }
        if self.trace_malloc:
            self.result["tracemalloc_peak_mb"] = round(
                tracemalloc.get_traced_memory()[1] / 2**20, 1
            )
            tracemalloc.stop()
        if self.profile:
            del threading.current_thread().query_hooks
        return False

    def _sample(self):
        while not self._stop.wait(0.02):
            self._rss_peak = max(self._rss_peak, _rss_bytes())
        self._rss_peak = max(self._rss_peak, _rss_bytes())

    def _hook(self, cr, query, params, start, delay):
        if isinstance(query, bytes):
            query = query.decode()
        statement = re.sub(r"\s+", " ", query).strip()[:200]
        self.by_statement[statement] += 1
        self.by_statement_ms[statement] += delay * 1000
        code = _addon_caller(sys._getframe(2))
        self.by_code[code] += 1
        self.by_code_ms[code] += delay * 1000

    def top(self, limit=20):
        return {
            "by_addon_code": [
                {"code": code, "queries": n, "ms": round(self.by_code_ms[code])}
                for code, n in self.by_code.most_common(limit)
            ],
            "by_statement": [
                {"statement": st, "queries": n, "ms": round(self.by_statement_ms[st])}
                for st, n in self.by_statement.most_common(limit)
            ],
        }


def _addon_caller(frame, depth=3):
    """The innermost ``depth`` relance_facture frames of a stack, as text."""
    chain = []
    while frame is not None and len(chain) < depth:
        path = frame.f_code.co_filename
        if f"/{ADDON}/" in path:
            chain.append(
                f"{os.path.basename(path)}:{frame.f_code.co_name}:{frame.f_lineno}"
            )
        frame = frame.f_back
    return " < ".join(chain) or "(outside relance_facture)"


def _high_ids(env):
    models = ("mail.mail", "mail.activity", "relance.event", "relance.dispatch")
    return {
        model: env[model]
        .sudo()
        .with_context(active_test=False)
        .search([], order="id desc", limit=1)
        .id
        or 0
        for model in models
    }


def _created(env, before):
    """What a run created (records still there at the end)."""

    def new(model):
        return env[model].sudo().search([("id", ">", before[model])])

    mails = new("mail.mail")
    events = new("relance.event")
    dispatches = new("relance.dispatch")
    activities = new("mail.activity")
    counter = collections.Counter
    return {
        "emails_queued": len(mails.filtered(lambda m: m.state == "outgoing")),
        "emails_created": len(mails),
        "events": len(events),
        "events_by_state": dict(sorted(counter(e.state for e in events).items())),
        "events_by_channel": dict(sorted(counter(e.channel for e in events).items())),
        "dispatches": len(dispatches),
        "dispatches_by_channel": dict(
            sorted(counter(d.channel for d in dispatches).items())
        ),
        "activities": len(activities),
        "activities_by_type": dict(
            sorted(counter(a.activity_type_id.name for a in activities).items())
        ),
    }


def _cron_job(registry):
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        cron = env.ref(f"{ADDON}.ir_cron_relance_daily")
        return {
            "id": cron.id,
            "user_id": cron.user_id.id,
            "lastcall": cron.lastcall,
            "ir_actions_server_id": cron.ir_actions_server_id.id,
            "name": cron.name,
        }


def run_daily(registry, job, mode):
    """Today's run as the scheduler does it; returns the number of batches
    (calls of the scheduled action) in cron mode."""
    from odoo import api

    with registry.cursor() as cr:
        context = {"lastcall": job["lastcall"]}
        if mode == "direct":
            env = api.Environment(cr, job["user_id"], context)
            env["relance.engine"]._cron_run_daily()
            env.flush_all()
            cr.commit()
            return 1
        # What ir.cron._run_job does, without its limit of 10 calls per job
        # (past it, the worker calls again at once through a trigger).
        env = api.Environment(cr, job["user_id"], {**context, "cron_id": job["id"]})
        cron = env["ir.cron"].browse(job["id"])
        calls = 0
        while True:
            cron, progress = cron._add_progress()
            cr.commit()
            cron.env["ir.actions.server"].browse(job["ir_actions_server_id"]).run()
            cron.env.flush_all()
            cr.commit()
            calls += 1
            if not (progress.done and progress.remaining):
                return calls


def measure(registry, args, label, cprofile_path=None):
    from odoo import SUPERUSER_ID, api

    job = _cron_job(registry)
    with registry.cursor() as cr:
        before = _high_ids(api.Environment(cr, SUPERUSER_ID, {}))
    meter = Meter(args.profile, args.tracemalloc, cprofile_path)
    with meter:
        calls = run_daily(registry, job, args.mode)
    with registry.cursor() as cr:
        figures = _created(api.Environment(cr, SUPERUSER_ID, {}), before)
    figures.update(meter.result, scheduler_calls=calls)
    emails = figures["emails_queued"]
    figures["queries_per_email"] = (
        round(figures["queries"] / emails, 2) if emails else None
    )
    if args.profile:
        figures["profile"] = meter.top()
    print(
        f"  {label}: {figures['seconds']} s, {figures['queries']} queries, "
        f"{emails} emails",
        file=sys.stderr,
        flush=True,
    )
    return figures


def targets(args, run, rerun):
    invoices = args.customers * args.invoices
    budget = TARGET_RUN_SECONDS * max(1.0, invoices / TARGET_RUN_INVOICES)
    qpe = run["queries_per_email"]
    checks = [
        {
            "name": "run_seconds",
            "target": f"<= {budget:g} s"
            + (
                ""
                if invoices <= TARGET_RUN_INVOICES
                else f" (15 s for 10000 invoices, scaled to {invoices})"
            ),
            "value": run["seconds"],
            "pass": run["seconds"] <= budget,
        },
        {
            "name": "queries_per_email",
            "target": f"<= {TARGET_QUERIES_PER_EMAIL:g}",
            "value": qpe,
            "pass": qpe is not None and qpe <= TARGET_QUERIES_PER_EMAIL,
        },
        {
            "name": "rerun_seconds",
            "target": f"< {TARGET_RERUN_SECONDS:g} s",
            "value": rerun["seconds"],
            "pass": rerun["seconds"] < TARGET_RERUN_SECONDS,
        },
        {
            "name": "rerun_emails",
            "target": "0",
            "value": rerun["emails_queued"],
            "pass": rerun["emails_queued"] == 0,
        },
    ]
    return checks


def run_phase(registry, args):
    import odoo
    from odoo import SUPERUSER_ID, api

    with registry.cursor() as cr:
        env = api.Environment(cr, SUPERUSER_ID, {})
        book = json.loads(env["ir.config_parameter"].get_param(GEN_PARAM) or "{}")
        if not book:
            sys.exit(f"{args.db}: no generated book (run --phase generate first)")
        if book["date"] != datetime.date.today().isoformat():
            sys.exit(f"{args.db}: book generated on {book['date']}, not today")
    os.makedirs(args.output_dir, exist_ok=True)
    today = datetime.date.today().isoformat()
    cprofile_path = (
        os.path.join(args.output_dir, f"benchmark-{today}.prof")
        if args.profile
        else None
    )
    run = measure(registry, args, "daily run", cprofile_path)
    rerun = measure(registry, args, "same-day re-run")
    checks = targets(args, run, rerun)
    result = {
        "date": today,
        "database": args.db,
        "parameters": {
            "customers": args.customers,
            "invoices_per_customer": args.invoices,
            "seed": args.seed,
            "mode": args.mode,
            "profile": args.profile,
            "tracemalloc": args.tracemalloc,
            "source": args.source,
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "odoo": odoo.release.version,
        },
        "book": book,
        "run": run,
        "rerun": rerun,
        "targets": checks,
        "pass": all(check["pass"] for check in checks),
    }
    return result


def summary(result):
    book, run, rerun = result["book"], result["run"], result["rerun"]
    params = result["parameters"]
    lines = [
        "",
        f"Dunning benchmark {result['date']} ({result['machine']['cpus']} CPUs, "
        f"Odoo {result['machine']['odoo']}, mode {params['mode']})"
        + (f", {params['source']}" if params["source"] else ""),
        f"Book: {book['customers']} customers ({book['consumers']} consumers, "
        f"{book['customers_without_email']} without email, "
        f"{book['invoice_contacts']} invoice contacts) x "
        f"{params['invoices_per_customer']} = {book['invoices']} invoices; "
        f"payment state {book['payment_state']}; profiles {book['profiles']}; "
        f"generated in {book['generation_seconds']} s",
        f"Daily run: {run['seconds']} s, {run['queries']} queries, "
        f"{run['emails_queued']} emails queued "
        f"({run['queries_per_email']} queries/email), {run['events']} events "
        f"{run['events_by_state']}, {run['dispatches']} messages, "
        f"{run['activities']} activities, {run['scheduler_calls']} scheduler "
        f"call(s), RSS peak {run['rss_peak_mb']} MB (+{run['rss_growth_mb']} MB)"
        + (
            f", tracemalloc peak {run['tracemalloc_peak_mb']} MB"
            if "tracemalloc_peak_mb" in run
            else ""
        ),
        f"Same-day re-run: {rerun['seconds']} s, {rerun['queries']} queries, "
        f"{rerun['emails_queued']} emails, {rerun['events']} events",
        "Targets:",
    ]
    for check in result["targets"]:
        lines.append(
            f"  {'PASS' if check['pass'] else 'FAIL'}  {check['name']}: "
            f"{check['value']} (target {check['target']})"
        )
    if "profile" in run:
        lines.append("Queries of the daily run by relance_facture code (top 20):")
        for row in run["profile"]["by_addon_code"]:
            lines.append(f"  {row['queries']:7d} {row['ms']:7d} ms  {row['code']}")
        lines.append("Queries of the daily run by statement (top 20):")
        for row in run["profile"]["by_statement"]:
            lines.append(
                f"  {row['queries']:7d} {row['ms']:7d} ms  {row['statement'][:150]}"
            )
    return "\n".join(lines)


def write_result(result, output_dir):
    path = os.path.join(output_dir, f"benchmark-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True)
    with open(os.path.join(output_dir, "benchmark-history.jsonl"), "a") as file:
        file.write(json.dumps(result, sort_keys=True) + "\n")
    return path


def main(argv=None):
    args = parse_args(argv)
    registry = bootstrap(args)
    if args.phase in ("all", "generate"):
        generate(registry, args)
    if args.phase == "generate":
        return 0
    result = run_phase(registry, args)
    path = write_result(result, args.output_dir)
    print(summary(result))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("BENCHMARK_JSON " + json.dumps(result, sort_keys=True), flush=True)
    if args.profile:
        stats = pstats.Stats(
            os.path.join(args.output_dir, f"benchmark-{result['date']}.prof")
        )
        stats.sort_stats("cumulative").print_stats(r"relance_facture", 25)
    return 0 if result["pass"] else 3


if __name__ == "__main__":
    sys.exit(main())
