"""The ``report`` subcommand of scripts/scaling.py: the measurements merged,
their speedups, the model of the day and its projection, the table, one
``SCALING_JSON`` line and var/scaling-<date>.json."""

import datetime
import json
import os
import sys

from scaling_base import IN_PROCESS, QUEUE, _mode
from scaling_figures import book_label, per_email, project, speedup, table


def _same_book(rows, label, mode, workers=None):
    return [
        row
        for row in rows
        if row["book_label"] == label
        and _mode(row) == mode
        and (workers is None or row["workers"] == workers)
    ]


def _run_value(row, *keys):
    """A figure of the row's run, 0 when the measurement did not record it."""
    value = row.get("run", {})
    for key in keys:
        value = value.get(key, {}) if isinstance(value, dict) else {}
    return value if isinstance(value, int | float) else 0


def _step_seconds(row, step):
    steps = row.get("run", {}).get("steps", {})
    return steps.get(f"relance.engine.{step}", {}).get("seconds", 0.0)


def model(rows):
    """The parts of the day on the biggest book measured in process and in
    the queue: serial (no worker shares it), batches, what the in-process
    cron mode repeats at each of its calls; the efficiency of N workers; the
    day of 1,000,000 invoices projected from the queue's figures."""
    inproc = [row for row in rows if _mode(row) == IN_PROCESS and row["emails"]]
    if not inproc:
        return None
    base = inproc[-1]
    label = base["book_label"]
    queue = sorted(_same_book(rows, label, QUEUE), key=lambda row: row["workers"])
    invoices = base["book"].get("invoices") or (
        base["customers"] * base["invoices_per_customer"]
    )
    # in process, each call of the cron redoes the day start and selects the
    # day's customers again
    repeated = sum(
        _step_seconds(base, step)
        for step in (
            "_relance_day_start",
            "_relance_day_customers",
            "_relance_count_due_moves",
        )
    )
    batches_1 = _step_seconds(base, "_relance_run_customers")
    one = _same_book(rows, label, QUEUE, 1)
    if one:  # the batches on one worker of the queue
        batches_1 = one[0]["wall_seconds"] - one[0]["serial_seconds"]
    serial = max((row["serial_seconds"] for row in queue), default=None)
    result = {
        "book": label,
        "invoices": invoices,
        "emails": base["emails"],
        "in_process": {
            "wall_seconds": base["wall_seconds"],
            "scheduler_calls": base.get("run", {}).get("scheduler_calls"),
            "repeated_per_call_seconds": round(repeated, 1),
            "batches_seconds": round(_step_seconds(base, "_relance_run_customers"), 1),
        },
        "queue_serial_seconds": serial,
        "batches_one_worker_seconds": round(batches_1, 1),
        "batch_ms_per_email": round(1000 * batches_1 / base["emails"], 1),
        "queue": {
            str(row["workers"]): {
                "wall_seconds": row["wall_seconds"],
                "batches_seconds": round(
                    row["wall_seconds"] - row["serial_seconds"], 1
                ),
                "parallel_efficiency": round(
                    batches_1
                    / (
                        row["workers"]
                        * max(row["wall_seconds"] - row["serial_seconds"], 1e-9)
                    ),
                    2,
                ),
                "cpu_ms_per_email": row.get("cpu_ms_per_email"),
                "odoo_cpu_ms_per_email": per_email(
                    1000 * _run_value(row, "sampled", "cpu", "odoo_cpu_seconds"),
                    row["emails"],
                ),
                "postgres_cpu_ms_per_email": per_email(
                    1000 * _run_value(row, "sampled", "cpu", "postgres_cpu_seconds"),
                    row["emails"],
                ),
                "table_bytes_per_email": per_email(
                    _run_value(row, "growth", "table_bytes_total"), row["emails"]
                ),
            }
            for row in queue
        },
    }
    if serial is not None:
        scale = 1_000_000 / invoices
        result["projection_1m_invoices_seconds"] = {
            str(workers): project(serial, batches_1, scale, workers)
            for workers in (1, 2, 4, 8, 16, 32)
        }
        result["projection_note"] = (
            "queue path: its serial part and the batches linear in the "
            "invoices, the batches divided by the workers, each with a core of "
            "its own and PostgreSQL not saturated (on this machine's 2 CPUs "
            "the efficiency measured is given per worker count)"
        )
    return result


def report(args):
    rows = []
    for path in args.results:
        with open(path) as file:
            row = json.load(file)
        row["book_label"] = book_label(row["customers"], row["invoices_per_customer"])
        rows.append(row)
    rows.sort(
        key=lambda row: (row["customers"], _mode(row) != IN_PROCESS, row["workers"])
    )
    for row in rows:
        for key, mode in (("speedup", IN_PROCESS), ("speedup_vs_queue_1", QUEUE)):
            base = _same_book(rows, row["book_label"], mode, 1)
            row[key] = speedup(base and base[0]["wall_seconds"], row["wall_seconds"])
    result = {
        "date": datetime.date.today().isoformat(),
        "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0]},
        "note": "other work may share the machine: see each row's load_before/"
        "load_after and run.sampled.cpu.others_cpu_seconds",
        "rows": rows,
        "model": model(rows),
    }
    os.makedirs(args.output_dir, exist_ok=True)
    path = os.path.join(args.output_dir, f"scaling-{result['date']}.json")
    with open(path, "w") as file:
        json.dump(result, file, indent=2, sort_keys=True, default=str)
    print(table(rows))
    print(f"Written to {os.path.relpath(path, os.getcwd())}")
    print("SCALING_JSON " + json.dumps(result, sort_keys=True, default=str), flush=True)
    bad = [row for row in rows if row["duplicates"] or row["rerun"]["emails"]]
    return 3 if bad else 0
