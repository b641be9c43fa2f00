"""The pure helpers of scripts/scaling.py: the Odoo configuration of the
parallel run, the duplicate checks, the jobs' results, the figures."""

import configparser
import datetime
import importlib.util
import sys
from pathlib import Path

import pytest

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))  # scaling.py imports benchmark, book
spec = importlib.util.spec_from_file_location("scaling", SCRIPTS / "scaling.py")
scaling = importlib.util.module_from_spec(spec)
spec.loader.exec_module(scaling)


def _config(**overrides):
    values = {
        "db": "relance_scaling_1_w4",
        "workers": 4,
        "addons_path": "/odoo/addons,/repo,/repo/var/oca/x/odoo/addons",
        "http_port": 18069,
        "gevent_port": 18072,
        "logfile": "/repo/var/log/relance_scaling_1_w4.log",
    }
    values.update(overrides)
    parser = configparser.ConfigParser()
    parser.read_string(scaling.odoo_config(**values))
    return parser


def test_config_runs_the_jobs_in_n_workers_and_no_cron():
    parser = _config()
    options = parser["options"]
    assert options["workers"] == "4"
    assert options["max_cron_threads"] == "0"
    assert options["server_wide_modules"] == "base,web,queue_job"
    assert options["http_port"] == "18069"
    assert options["gevent_port"] == "18072"
    assert options["db_name"] == "relance_scaling_1_w4"
    assert options["addons_path"].endswith("/var/oca/x/odoo/addons")
    assert options["logfile"] == "/repo/var/log/relance_scaling_1_w4.log"
    # a batch is one request of the runner: no 60 s CPU limit
    assert int(options["limit_time_cpu"]) >= 600
    assert int(options["limit_time_real"]) >= 600
    assert parser["queue_job"]["channels"] == "root:4,root.relance:4"


def test_config_filters_the_database_exactly():
    import re

    dbfilter = _config()["options"]["dbfilter"]
    assert re.match(dbfilter, "relance_scaling_1_w4")
    assert not re.match(dbfilter, "relance_scaling_1_w40")
    assert not re.match(dbfilter, "xrelance_scaling_1_w4")


def test_config_needs_a_worker():
    with pytest.raises(ValueError):
        _config(workers=0)
    assert _config(workers=1)["queue_job"]["channels"] == "root:1,root.relance:1"


def test_duplicate_checks_cover_the_never_twice_rules():
    checks = scaling.duplicate_sql()
    assert set(checks) == {
        "event_twice",
        "dispatch_two_emails",
        "email_of_two_dispatches",
        "customer_message_twice",
        "recipient_two_emails_a_day",
    }
    for query in checks.values():
        assert query.startswith("SELECT count(*) FROM (")
        assert "HAVING count(" in query
    assert "COALESCE(plan_line_id, 0)" in checks["event_twice"]
    message = checks["customer_message_twice"]
    assert "GROUP BY partner_id, date, channel" in message
    assert "state IN ('planned', 'held', 'sent')" in message
    assert "'formal_notice'" in message
    assert "mm.model = 'relance.dispatch'" in checks["recipient_two_emails_a_day"]


def test_duplicate_checks_quote_their_values():
    query = scaling.duplicate_sql(live_states=("it's",))["customer_message_twice"]
    assert "IN ('it''s')" in query


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "12 invoices of 3 customers processed, 1 customers held by another "
            "transaction or with nothing due; 456 SQL queries.",
            {"invoices": 12, "customers": 3, "passed": 1, "queries": 456},
        ),
        (
            "12 factures de 3 clients traitées, 0 clients retenus par une autre "
            "transaction ou sans rien d'échu ; 78 requêtes SQL.",
            {"invoices": 12, "customers": 3, "passed": 0, "queries": 78},
        ),
        (
            # before the jobs reported their queries
            "5 invoices of 2 customers processed, 0 customers held by another "
            "transaction or with nothing due.",
            {"invoices": 5, "customers": 2, "passed": 0, "queries": None},
        ),
        (
            "Nothing done: the dunning run of 2026-01-22 is over, the run of "
            "2026-01-23 takes its customers.",
            {"invoices": None, "customers": None, "passed": None, "queries": None},
        ),
        (None, {"invoices": None, "customers": None, "passed": None, "queries": None}),
    ],
)
def test_parse_job_result(text, expected):
    assert scaling.parse_job_result(text) == expected


def _at(second):
    return datetime.datetime(2026, 12, 1, 6, 0) + datetime.timedelta(seconds=second)


def test_concurrency_counts_overlapping_jobs():
    assert scaling.concurrency([]) == (0, 0.0)
    assert scaling.concurrency([(0, 10), (10, 20)]) == (1, 1.0)
    assert scaling.concurrency([(0, 10), (0, 10), (5, 15)]) == (3, 2.0)
    # datetimes of queue_job, jobs never started left out
    assert scaling.concurrency([(_at(0), _at(4)), (_at(2), _at(6)), (None, None)]) == (
        2,
        1.33,
    )


def test_summarize_jobs_sums_the_reported_figures():
    # queue_job counts the first try: retry 1 is no retry
    def row(state, result, retry=1, started=0, done=10, pid=101):
        return {
            "state": state,
            "result": result,
            "retry": retry,
            "exec_time": float(done - started),
            "date_started": _at(started),
            "date_done": _at(done),
            "worker_pid": pid,
        }

    done = (
        "10 invoices of 4 customers processed, 1 customers held by another "
        "transaction or with nothing due; 100 SQL queries."
    )
    rows = [
        row("done", done),
        row("done", done.replace("100 SQL", "50 SQL"), started=5, done=15, pid=102),
        row("failed", None, retry=6, started=20, done=21, pid=101),
    ]
    summary = scaling.summarize_jobs(rows)
    assert summary["jobs"] == 3
    assert summary["by_state"] == {"done": 2, "failed": 1}
    assert summary["retries"] == 5
    assert summary["invoices"] == 20
    assert summary["customers"] == 8
    assert summary["customers_passed"] == 2
    assert summary["queries"] == 150
    assert summary["jobs_reporting_queries"] == 2
    assert summary["exec_seconds_sum"] == 21.0
    assert summary["exec_seconds_max"] == 10.0
    assert summary["worker_pids"] == 2
    assert summary["peak_concurrency"] == 2


def test_parse_proc_stat_reads_session_cpu_and_rss():
    # comm with a space and a parenthesis, as /proc/PID/stat gives it
    line = (
        "4242 (odoo (worker) x) S 1 4242 4242 0 -1 4194560 100 0 0 0 "
        "1500 250 0 0 20 0 3 0 12345 987654321 51200 18446744073709551615"
    )
    assert scaling.parse_proc_stat(line) == (4242, 1750, 51200)


def test_cpu_busy_ticks_leave_idle_and_iowait_out():
    text = "cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 50 2 25 500 10 0 1 1 0 0\n"
    busy, total = scaling.cpu_busy_ticks(text)
    assert total == 1181
    assert busy == 1181 - 1000 - 20
    with pytest.raises(ValueError):
        scaling.cpu_busy_ticks("intr 1 2 3\n")


def test_cpu_figures_split_ours_from_others():
    cpu = {
        "seconds": 20.0,
        "odoo_cpu_seconds": 24.0,
        "postgres_cpu_seconds": 6.0,
        "others_cpu_seconds": 8.0,
    }
    assert scaling.cpu_figures(cpu, 600) == {
        "cpu_seconds": 30.0,
        "cpu_ms_per_email": 50.0,
        "our_cores": 1.5,
        "others_cores": 0.4,
    }
    assert scaling.cpu_figures({**cpu, "seconds": 0}, 0)["cpu_ms_per_email"] is None


def test_ratios():
    assert scaling.per_email(1000, 400) == 2.5
    assert scaling.per_email(10, 0) is None
    assert scaling.speedup(100.0, 60.0) == 1.67
    assert scaling.speedup(None, 60.0) is None


def test_project_is_amdahl_scaled_linearly():
    # 10 s serial, 90 s of batches on 10,000 invoices -> 1,000,000 invoices
    assert scaling.project(10, 90, 100, 1) == 10000.0
    assert scaling.project(10, 90, 100, 4) == 3250.0
    assert scaling.project(10, 90, 100, 4, efficiency=0.5) == 5500.0


def _row(workers, wall, serial, emails=600, queries=1200):
    return {
        "book_label": "1000x10",
        "customers": 1000,
        "invoices_per_customer": 10,
        "book": {"invoices": 10000},
        "workers": workers,
        "wall_seconds": wall,
        "serial_seconds": serial,
        "emails": emails,
        "queries": queries,
        "queries_per_email": scaling.per_email(queries, emails),
        "rss_peak_mb": 180.0 * workers,
        "cpu_seconds": 30.0,
        "our_cores": 1.2,
        "others_cores": 0.3,
        "duplicates": 0,
        "speedup": None,
        "load_before": [1.5, 1.0, 0.5],
        "load_after": [2.0, 1.0, 0.5],
        "rerun": {"seconds": 0.05, "emails": 0, "jobs": 0},
    }


def test_model_splits_serial_and_batches():
    rows = [
        _row(1, 25.0, 5.0),
        dict(_row(1, 20.0, 5.0), mode=scaling.QUEUE),
        dict(_row(2, 12.5, 5.0), mode=scaling.QUEUE),
    ]
    model = scaling.model(rows)
    assert model["queue_serial_seconds"] == 5.0
    assert model["batches_one_worker_seconds"] == 15.0
    assert model["batch_ms_per_email"] == round(15000 / 600, 1)
    assert model["queue"]["2"]["batches_seconds"] == 7.5
    assert model["queue"]["2"]["parallel_efficiency"] == 1.0
    # serial and batches linear in the invoices (x 100), batches / workers
    assert model["projection_1m_invoices_seconds"]["1"] == 2000.0
    assert model["projection_1m_invoices_seconds"]["4"] == 875.0


def test_table_has_a_row_per_measurement():
    text = scaling.table([_row(1, 25.0, 5.0), _row(4, 12.5, 5.0)])
    lines = text.splitlines()
    assert len(lines) == 3
    assert lines[0].split()[:3] == ["book", "workers", "wall"]
    assert "1000x10" in lines[2] and "12.5" in lines[2]
    assert "0.05 s, 0 emails, 0 jobs" in lines[1]
    assert "1.20/0.30" in lines[1]
