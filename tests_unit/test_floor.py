"""scripts/floor.py: its report (the timing itself needs Odoo, see README)."""

import sys
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent.parent / "scripts"
sys.path.insert(0, str(SCRIPTS))  # floor.py imports benchmark, book
import floor  # noqa: E402


def test_report_lists_steps_and_total():
    result = {
        "db": "day",
        "counts": {"mails": 500},
        "steps": [
            {
                "step": "events (history)",
                "seconds": 2.0,
                "queries": 48,
                "ms_per_email": 4.0,
            },
            {
                "step": "chatter notes",
                "seconds": 1.5,
                "queries": 19,
                "ms_per_email": 3.0,
            },
        ],
        "total_seconds": 3.5,
        "total_ms_per_email": 7.0,
        "write_seconds": 2.0,
    }
    lines = floor.report(result)
    assert lines[0] == "The day's records written again by Odoo (day):"
    assert lines[1].split() == [
        "events",
        "(history)",
        "2.00",
        "s",
        "48",
        "queries",
        "4.0",
        "ms/email",
    ]
    assert lines[2].split()[:3] == ["chatter", "notes", "1.50"]
    assert lines[-1].split() == [
        "total",
        "3.50",
        "s",
        "for",
        "500",
        "emails",
        "(7.0",
        "ms/email;",
        "writing",
        "records:",
        "2.00",
        "s)",
    ]


def test_values_for_create_turn_many2many_into_commands():
    class Field:
        def __init__(self, type_):
            self.type = type_

    class Records:
        _fields = {"partner_id": Field("many2one"), "recipient_ids": Field("many2many")}

        def read(self, fnames, load):
            assert load is None
            return [{"id": 7, "partner_id": 3, "recipient_ids": [4, 5]}]

    assert floor._vals(Records(), ("partner_id", "recipient_ids")) == [
        {"partner_id": 3, "recipient_ids": [(6, 0, [4, 5])]}
    ]
