"""The ``shift`` subcommand of scripts/book.py: every date of a kept book
moved by the days since it was built."""

import datetime
import sys

from book_base import (
    CLONED_TABLES,
    _env,
    book_facts,
    get_facts,
    log,
    set_facts,
    vacuum,
)


def shift(registry, today=None):
    """Move every date of the book by the days since it was built."""
    today = today or datetime.date.today()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts:
            sys.exit(f"{cr.dbname}: no generated book")
        days = (today - datetime.date.fromisoformat(facts["date"])).days
        if not days:
            return facts
        marks = facts["watermarks"]
        for table in CLONED_TABLES:
            cr.execute(
                """SELECT column_name FROM information_schema.columns
                    WHERE table_schema = current_schema() AND table_name = %s
                      AND data_type = 'date'""",
                [table],
            )
            columns = [row[0] for row in cr.fetchall()]
            if not columns:
                continue
            sets = ", ".join(f'"{c}" = "{c}" + {int(days)}' for c in columns)
            cr.execute(
                f'UPDATE "{table}" SET {sets} WHERE id > %s',  # noqa: S608
                [marks[table]],
            )
        facts.update(book_facts(cr, marks, today))
        facts.setdefault("built", facts["date"])
        facts.update(date=today.isoformat(), shifted_days=days)
        set_facts(env, facts)
        cr.commit()
    vacuum(registry, CLONED_TABLES)
    log(f"Moved the book's dates by {days} days")
    return facts
