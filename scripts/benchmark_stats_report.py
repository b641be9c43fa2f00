"""The ``report`` phase of scripts/benchmark_stats.py: the targets checked,
the summary with PASS/FAIL, one ``BENCHMARK_STATS_JSON`` line and
var/benchmark-stats-<date>.json."""

import datetime
import json
import os
import sys

from benchmark_stats_base import (
    BATCH_SIZE,
    RUNS_PARAM,
    SEED_PARAM,
    TARGET_CUSTOMERS,
    TARGET_SECONDS,
    _env,
    _get_json,
)


def report(registry, args):
    import odoo

    with registry.cursor() as cr:
        env = _env(cr)
        facts = _get_json(env, SEED_PARAM) or {}
        runs = _get_json(env, RUNS_PARAM, {})
    if not runs:
        sys.exit(f"{args.db}: no run (run --phase run first)")
    sizes = sorted(runs, key=int)
    big, small = runs[sizes[-1]], runs[sizes[0]]
    checks = _targets(big, small, len(sizes) > 1)
    seed_facts = {
        key: value
        for key, value in facts.items()
        if key not in ("partner_ids", "move_ids", "event_ids")
    }
    result = {
        "date": datetime.date.today().isoformat(),
        "database": args.db,
        "parameters": {"source": args.source, "batch_size": BATCH_SIZE},
        "machine": {
            "cpus": os.cpu_count(),
            "python": sys.version.split()[0],
            "odoo": odoo.release.version,
        },
        "seed": seed_facts,
        "runs": runs,
        "targets": checks,
        "pass": all(check["pass"] for check in checks),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"benchmark-stats-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True)
    print(_summary(result, sizes))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("BENCHMARK_STATS_JSON " + json.dumps(result, sort_keys=True), flush=True)
    return 0 if result["pass"] else 3


def _targets(big, small, compared):
    book = big["book"]
    scale = max(1.0, book["customers"] / TARGET_CUSTOMERS)
    budget = TARGET_SECONDS * scale
    checks = []
    if book["customers"] < TARGET_CUSTOMERS:
        print(
            f"Note: the time target needs a book of {TARGET_CUSTOMERS} customers "
            f"(this one: {book['customers']}); not checked.",
            file=sys.stderr,
        )
    for key, label in (
        ("cron_first", "_cron_refresh() first night"),
        ("cron_next", "_cron_refresh() next night"),
        ("refresh_all", "_relance_refresh(all)"),
    ):
        if book["customers"] < TARGET_CUSTOMERS:
            break
        checks.append(
            {
                "name": f"{key}_seconds",
                "target": f"<= {budget:g} s for {book['customers']} customers / "
                f"{book['invoices']} invoices ({label})",
                "value": big[key]["seconds"],
                "pass": big[key]["seconds"] <= budget,
            }
        )
    if compared:
        n_big, n_small = big["book"]["customers"], small["book"]["customers"]
        checks.append(
            {
                "name": "refresh_queries_constant",
                "target": f"_relance_refresh: same queries for {n_small} and "
                f"{n_big} customers",
                "value": f"{small['refresh_all']['queries']} -> "
                f"{big['refresh_all']['queries']}",
                "pass": big["refresh_all"]["queries"]
                == small["refresh_all"]["queries"],
            }
        )
        for key in ("cron_first", "cron_next"):
            # Batches of 2000 customers: the cron's queries may only grow with
            # the number of batches, never with the customers of a batch.
            per_batch_big = big[key]["queries"] / max(big[key]["batches"], 1)
            per_batch_small = small[key]["queries"] / max(small[key]["batches"], 1)
            checks.append(
                {
                    "name": f"{key}_queries_per_batch",
                    "target": f"_cron_refresh: queries per batch of {BATCH_SIZE} "
                    f"customers at {n_big} <= at {n_small} + 50 %",
                    "value": f"{big[key]['queries']} queries / {big[key]['batches']} "
                    f"batches = {per_batch_big:.1f} vs {small[key]['queries']} / "
                    f"{small[key]['batches']} = {per_batch_small:.1f}",
                    "pass": per_batch_big <= 1.5 * per_batch_small,
                }
            )
    for size in (big, small):
        check = size["check"]
        checks.append(
            {
                "name": f"correct_{size['book']['customers']}",
                "target": "a row of today for every customer; sample recomputed "
                "with the ORM identical",
                "value": f"{check['stats_rows_today']}/{check['customers']} rows, "
                f"sample {check['sample_ok']}/{check['sample']}",
                "pass": check["rows_ok"] and check["sample_ok"] == check["sample"],
            }
        )
        if big is small:
            break
    return checks


def _summary(result, sizes):
    seed_facts = result["seed"]
    lines = [
        "",
        f"Customer statistics benchmark {result['date']} "
        f"({result['machine']['cpus']} CPUs, Odoo {result['machine']['odoo']})"
        + (
            f", {result['parameters']['source']}"
            if result["parameters"]["source"]
            else ""
        ),
        f"Seed (ORM): {seed_facts.get('seed_customers')} customers x "
        f"{seed_facts.get('invoices_per_customer')} invoices, behaviours "
        f"{seed_facts.get('behaviours')}, payments {seed_facts.get('payments')}, "
        f"{seed_facts.get('seed_events')} events, {seed_facts.get('seed_seconds')} s; "
        "cloned in SQL: "
        + ", ".join(
            f"{m['clones'][1] - m['clones'][0] + 1} clones in {m['seconds']} s"
            for m in seed_facts.get("multiply", [])
        ),
        "",
        "| Customers | Invoices | Events | Step | Seconds | Queries | Batches "
        "| RSS peak | RSS growth |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for size in sizes:
        res = result["runs"][size]
        book = res["book"]
        for key, label in (
            ("cron_first", "`_cron_refresh()` first night"),
            ("refresh_all", "`_relance_refresh(all)`"),
            ("cron_next", "`_cron_refresh()` next night"),
        ):
            fig = res[key]
            lines.append(
                f"| {book['customers']} | {book['invoices']} | {book['events']} "
                f"| {label} | {fig['seconds']:.2f} | {fig['queries']} "
                f"| {fig.get('batches', '-')} | {fig['rss_peak_mb']} MB "
                f"| +{fig['rss_growth_mb']} MB |"
            )
    lines.append("")
    for size in sizes:
        for key in ("cron_first", "cron_next"):
            steps = result["runs"][size][key].get("steps", {})
            lines.append(
                f"{size} customers, {key}: "
                + ", ".join(
                    f"{name} {step['calls']} call(s) {step['seconds']} s"
                    for name, step in steps.items()
                )
            )
    for size in sizes:
        res = result["runs"][size]
        lines.append(
            f"{size} customers: rules {res['check']['rules']}; profiles "
            f"{res['check']['auto_profiles']}; {res['activities']} Strict "
            "proposals"
        )
    lines.append("Targets:")
    for check in result["targets"]:
        lines.append(
            f"  {'PASS' if check['pass'] else 'FAIL'}  {check['name']}: "
            f"{check['value']} (target {check['target']})"
        )
    return "\n".join(lines)
