import importlib.util
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = ROOT / "scripts"
sys.path.insert(0, str(SCRIPTS))  # the script imports scripts/benchmark.py
spec = importlib.util.spec_from_file_location(
    "versus_credit_control", SCRIPTS / "versus_credit_control.py"
)
versus = importlib.util.module_from_spec(spec)
spec.loader.exec_module(versus)


def figures(seconds, queries, emails, pdf_seconds=0.0, pdfs=0):
    return {
        "seconds": seconds,
        "queries": queries,
        "emails": emails,
        "pdfs": pdfs,
        "pdf_seconds": pdf_seconds,
        "rss_peak_mb": 160.5,
        "rss_growth_mb": 6.0,
    }


def test_ladder_levels_count_days_from_the_due_date():
    vals = versus.ladder_level_vals()
    assert [(v["level"], v["delay_days"], v["channel"]) for v in vals] == [
        (1, 3, "email"),
        (2, 12, "email"),
        (3, 25, "email"),
        (4, 35, "letter"),
    ]
    assert {v["computation_mode"] for v in vals} == {"net_days"}
    assert all(v["custom_text"] and v["custom_mail_text"] for v in vals)


def test_ladder_follows_our_standard_profile():
    """The credit_control levels are our Standard profile's steps after the
    due date (reminders, formal notice, escalation)."""
    data = ROOT / "relance_facture" / "data" / "relance_profile_data.xml"
    days = []
    for record in ET.parse(data).getroot().iter("record"):
        fields = {f.get("name"): f for f in record.iter("field")}
        if (
            record.get("model") == "relance.level"
            and fields["profile_id"].get("ref") == "profile_standard"
            and fields["kind"].text != "pre_due"
        ):
            days.append(int(fields["offset_days"].text))
    assert sorted(days) == [days for _l, _n, days, _c in versus.LADDER]


@pytest.mark.parametrize(
    "ladder",
    [
        ((1, "a", 3, "email"), (1, "b", 12, "email")),
        ((2, "a", 3, "email"), (1, "b", 12, "email")),
        ((1, "a", 12, "email"), (2, "b", 3, "email")),
    ],
)
def test_ladder_must_grow(ladder):
    with pytest.raises(ValueError):
        versus.ladder_level_vals(ladder)


def test_compare_ratio_and_ratio_without_pdf():
    verdict = versus.compare(
        figures(144.0, 5457, 96, pdf_seconds=123.0, pdfs=96), figures(7.2, 240, 61)
    )
    assert verdict == {
        "ratio": 20.0,
        "ratio_without_pdf": 2.92,
        "target": 10.0,
        "pass": True,
    }
    assert versus.exit_code(verdict) == 0


def test_compare_target_is_ten_times_inclusive():
    assert versus.compare(figures(10.0, 1, 1), figures(1.0, 1, 1))["pass"]
    verdict = versus.compare(figures(9.99, 1, 1), figures(1.0, 1, 1))
    assert not verdict["pass"]
    assert versus.exit_code(verdict) == 3


def test_compare_without_our_time_fails():
    verdict = versus.compare(figures(10.0, 1, 1), figures(0.0, 1, 1))
    assert verdict["ratio"] is None
    assert not verdict["pass"]


def test_per_email():
    assert versus.per_email(240, 61) == 3.93
    assert versus.per_email(26, 0) is None


def test_table_puts_both_sides_side_by_side():
    text = versus.table(
        figures(144.054, 5457, 96, pdf_seconds=123.3, pdfs=96), figures(7.3, 26, 0)
    )
    header, rule, cc, ours = text.splitlines()
    assert header.count("|") == rule.count("|") == cc.count("|") == ours.count("|")
    assert cc.startswith("| account_credit_control | lines + emails | 144.054 s ")
    assert "| 56.84 | 96 (123.3 s) | 160.5 MB (+6) |" in cc
    assert ours.startswith("| relance_facture | the whole day | 7.3 s | 26 | 0 | – |")


def test_summary_says_pass_or_fail():
    cc = figures(144.0, 5457, 96, pdf_seconds=123.0, pdfs=96)
    cc.update(
        version="18.0.2.0.2",
        lines=344,
        lines_by_level_channel={"L1 email": 333},
        communications=96,
        steps={"compute_lines": 2.0, "send_emails": 140.0},
    )
    ours = figures(20.0, 240, 61)
    ours.update(
        events=350,
        events_by_state={"sent": 128},
        dispatches=121,
        dispatches_by_channel={"email": 61},
        activities=117,
        scheduler_calls=1,
    )
    result = {
        "date": "2026-12-01",
        "machine": {"cpus": 2, "odoo": "18.0"},
        "parameters": {"customers": 100, "invoices_per_customer": 10, "seed": 42},
        "credit_control": cc,
        "ours": ours,
        "verdict": versus.compare(cc, ours),
    }
    text = versus.summary(result)
    assert "Ratio credit_control time / our time: 7.2 " in text
    assert text.endswith("target >= 10: FAIL")
    assert "send_emails 140.0 s" in text


def test_parse_args_needs_what_each_phase_uses():
    with pytest.raises(SystemExit):
        versus.parse_args(["--phase", "cc-run", "--db", "x"])  # no --result
    with pytest.raises(SystemExit):
        versus.parse_args(["--phase", "report", "--cc", "a.json"])
    args = versus.parse_args(["--phase", "ours-setup", "--db", "x", "--seed", "7"])
    assert (args.db, args.seed, args.customers) == ("x", 7, 1000)
