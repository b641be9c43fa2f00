"""The ``clone`` subcommand of scripts/book.py: a block book multiplied
in SQL (INSERT ... SELECT per copy, ids offset, foreign keys remapped,
customer and move numbers renumbered), then checked and vacuumed."""

import datetime
import sys
import time

from book_base import (
    CUSTOMER_PATTERN,
    MODEL_TABLES,
    _count,
    _env,
    book_facts,
    get_facts,
    log,
    sequence_pattern,
    set_facts,
    vacuum,
)
from book_block import Block
from book_verify import verify_orm, verify_rows

# Columns rewritten in a copy, beside the ids and the foreign keys into the
# block: {table: {column: rule}}, a rule being CUSTOMER or SEQUENCE (the text's
# customer or move number renumbered, see renumber_customer and
# renumber_sequence) or the SQL of the copy's value (``s`` the block's row,
# {k} the copy). The block's text columns holding a customer or move number
# must have a rule or be in KEPT_TEXT (checked before cloning).
CUSTOMER, SEQUENCE = "customer", "sequence"


def _rules(block):
    full = block.ranges.get("account_full_reconcile", (0, 0, 0, 0))[2]
    partial = block.ranges.get("account_partial_reconcile", (0, 0, 0, 0))[2]
    return {
        "res_partner": dict.fromkeys(
            (
                "name",
                "complete_name",
                "email",
                "email_normalized",
                "commercial_company_name",
            ),
            CUSTOMER,
        ),
        "account_move": {
            **dict.fromkeys(
                ("name", "ref", "payment_reference", "invoice_origin"), SEQUENCE
            ),
            "invoice_partner_display_name": CUSTOMER,
            "sequence_number": "s.sequence_number + {k} * ("
            "SELECT step FROM book_seq_step WHERE prefix = s.sequence_prefix)",
            "access_token": "NULL",
        },
        "account_move_line": {
            **dict.fromkeys(("name", "ref", "move_name"), SEQUENCE),
            "matching_number": "CASE WHEN s.matching_number ~ '^[0-9]+$'"
            f" THEN (s.matching_number::bigint + {{k}} * {full})::text"
            " WHEN s.matching_number ~ '^P[0-9]+$' THEN 'P' ||"
            f" (substr(s.matching_number, 2)::bigint + {{k}} * {partial})::text"
            " ELSE s.matching_number END",
        },
        "mail_followers": {
            "res_id": "CASE "
            + " ".join(
                f"WHEN s.res_model = '{model}' THEN "
                + _offset_sql(block, table, "s.res_id")
                for model, table in MODEL_TABLES.items()
                if table in block.ranges
            )
            + " ELSE s.res_id END",
        },
    }


def _renumbering_tables(cr, block, rules):
    """Temp tables book_customer and book_sequence: every text of the block
    that a CUSTOMER or SEQUENCE rule renumbers, cut around its number (head,
    number, width, step per copy, tail), so that a copy joins instead of
    running a regex per row; book_seq_step: the step of each prefix."""
    cr.execute(
        "CREATE TEMP TABLE book_seq_step (prefix varchar PRIMARY KEY, step bigint)"
        " ON COMMIT DROP"
    )
    for prefix, step in block.steps.items():
        cr.execute("INSERT INTO book_seq_step VALUES (%s, %s)", [prefix, step])
    for kind, pattern in (
        (CUSTOMER, f"({CUSTOMER_PATTERN})"),
        (SEQUENCE, sequence_pattern(block.steps)),
    ):
        texts = " UNION ".join(
            f'SELECT s."{column}"::text AS t FROM "{table}" s'  # noqa: S608
            f" WHERE {block.where(table, 's.')}"
            for table, columns in rules.items()
            for column, rule in columns.items()
            if rule == kind and table in block.ranges
        )
        if kind == CUSTOMER:
            number, prefix, step = "m[1]", "''", str(block.customers)
        else:
            number, prefix = "m[2]", "m[1]"
            step = "(SELECT step FROM book_seq_step WHERE prefix = m[1])"
        cr.execute(
            f"""CREATE TEMP TABLE book_{kind} ON COMMIT DROP AS
                SELECT t AS old, left(t, p - 1) || {prefix} AS head,
                       {number}::bigint AS number, length({number}) AS width,
                       {step}::bigint AS step,
                       substr(t, p + length({prefix}) + length({number})) AS tail
                  FROM (SELECT t, regexp_match(t, %s) AS m, regexp_instr(t, %s) AS p
                          FROM ({texts}) u WHERE t ~ %s) x""",  # noqa: S608
            [pattern, pattern, pattern],
        )
        cr.execute(f"ALTER TABLE book_{kind} ADD PRIMARY KEY (old)")
        cr.execute(f"ANALYZE book_{kind}")


def _renumbered(kind, column, alias):
    """SQL of ``column`` renumbered in copy {k} by the lookup ``alias`` of
    book_<kind>; the join for it."""
    number = f"({alias}.number + {{k}} * {alias}.step)::text"
    expr = (
        f'CASE WHEN {alias}.old IS NULL THEN s."{column}" ELSE {alias}.head'
        f" || lpad({number}, greatest({alias}.width, length({number})), '0')"
        f" || {alias}.tail END"
    )
    join = f'LEFT JOIN book_{kind} {alias} ON {alias}.old = s."{column}"'
    return expr, join


KEPT_TEXT = {
    ("res_partner", "phone"),
    ("res_partner", "phone_sanitized"),
    ("res_partner", "street"),
    ("res_partner", "zip"),
}


def _offset_sql(block, table, expr):
    """Like Block.offset, with the copy as a ``{k}`` placeholder."""
    if table not in block.ranges:
        return expr
    low, high, stride, _count = block.ranges[table]
    return (
        f"CASE WHEN {expr} BETWEEN {low} AND {high} "
        f"THEN {expr} + {{k}} * {stride} ELSE {expr} END"
    )


def _check_text(block, rules):
    """Refuse to clone when a text column not in the rules holds a customer
    or move number in the block: its copies would not be renumbered."""
    pattern = sequence_pattern(block.steps)
    missed = []
    for table in block.ranges:
        for column in block.columns(table, ["character varying", "text"]):
            if column in rules.get(table, {}) or (table, column) in KEPT_TEXT:
                continue
            block.cr.execute(
                f"""SELECT count(*) FROM "{table}" s
                     WHERE {block.in_block(table, "s.id")}
                       AND (s."{column}" ~ %s OR s."{column}" ~ %s)""",  # noqa: S608
                [CUSTOMER_PATTERN, pattern],
            )
            if block.cr.fetchone()[0]:
                missed.append(f"{table}.{column}")
    if missed:
        raise RuntimeError(
            f"columns holding customer or move numbers without a rule: {missed}"
        )


def _insert_statement(block, table, rules):
    """INSERT of copy {k} of the block's rows of ``table``."""
    columns = block.columns(table)
    exprs, joins = [], []
    for column in columns:
        rule = rules.get(column)
        if rule in (CUSTOMER, SEQUENCE):
            expr, join = _renumbered(rule, column, f"r{len(joins)}")
            exprs.append(expr)
            joins.append(join)
        elif rule:
            exprs.append(rule)
        elif column == "id":
            exprs.append(_offset_sql(block, table, "s.id"))
        elif (table, column) in block.foreign_keys:
            ref = block.foreign_keys[(table, column)]
            exprs.append(_offset_sql(block, ref, f's."{column}"'))
        else:
            exprs.append(f's."{column}"')
    where = block.where(table, "s.")
    names = ", ".join(f'"{column}"' for column in columns)
    return (
        f'INSERT INTO "{table}" ({names}) SELECT {", ".join(exprs)} '  # noqa: S608
        f'FROM "{table}" s {" ".join(joins)} WHERE {where} ORDER BY 1'
    )


def clone(registry, copies):
    """Multiply the block book ``copies`` times (copies - 1 new copies), then
    check the result (see verify)."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts or facts.get("copies") != 1:
            sys.exit(f"{cr.dbname}: not a block book (generate it with 'build')")
        if copies < 2:
            sys.exit("--copies must be 2 or more")
        block = Block(cr, facts)
        rules = _rules(block)
        _check_text(block, rules)
        tables = block.tables()
        statements = {
            table: _insert_statement(block, table, rules.get(table, {}))
            for table in tables
        }
        before = {table: _count(cr, table) for table in tables}
        block_rows = {table: _count(cr, table, block) for table in tables}
        # Foreign keys are checked once at the end (verify), not row by row;
        # the indexes but the unique ones are built again after the copies.
        cr.execute("SET LOCAL session_replication_role = replica")
        cr.execute("SET LOCAL jit = off")
        cr.execute("SET LOCAL maintenance_work_mem = '512MB'")
        _renumbering_tables(cr, block, rules)
        indexes = _drop_indexes(cr, tables)
        for k in range(1, copies):
            for table in tables:
                cr.execute(statements[table].replace("{k}", str(k)))
                if cr.rowcount != block_rows[table]:
                    raise RuntimeError(
                        f"copy {k} of {table}: {cr.rowcount} rows, "
                        f"{block_rows[table]} in the block"
                    )
            if k % 10 == 0 or k == copies - 1:
                log(f"  clone: {k + 1}/{copies} copies of the block")
        cr.execute("SET LOCAL session_replication_role = origin")
        tick = time.perf_counter()
        for _name, definition in indexes:
            cr.execute(definition)
        seconds = time.perf_counter() - tick
        log(f"  clone: {len(indexes)} indexes built again in {seconds:.1f} s")
        for table in tables:
            if table in block.ranges:
                cr.execute(
                    "SELECT setval(pg_get_serial_sequence(%s, 'id'),"
                    f' (SELECT max(id) FROM "{table}"))',  # noqa: S608
                    [table],
                )
        insert_seconds = time.perf_counter() - start
        tick = time.perf_counter()
        for table in tables:
            total = _count(cr, table)
            if total != before[table] + (copies - 1) * block_rows[table]:
                raise RuntimeError(
                    f"{table}: {total} rows, expected {before[table]} + "
                    f"{copies - 1} x {block_rows[table]}"
                )
        counts = verify_rows(block, copies)
        block_facts = {
            key: facts[key]
            for key in (
                "customers",
                "invoices",
                "credit_notes",
                "moves",
                "move_lines",
                "payment_state",
                "generation_seconds",
            )
        }
        today = datetime.date.fromisoformat(facts["date"])
        facts.update(book_facts(cr, facts["watermarks"], today))
        facts.update(
            copies=copies,
            block=block_facts,
            clone_seconds=round(insert_seconds, 1),
            clone_rows=counts,
            layout=block.layout(),
        )
        set_facts(env, facts)
        cr.commit()
    verify_orm(registry, block, sorted({1, copies // 2, copies - 1}))
    facts["verify_seconds"] = round(time.perf_counter() - tick, 1)
    tick = time.perf_counter()
    vacuum(registry, tables)
    facts["vacuum_seconds"] = round(time.perf_counter() - tick, 1)
    with registry.cursor() as cr:
        set_facts(_env(cr), facts)
    log(
        f"Cloned the block {copies} times in {facts['clone_seconds']} s "
        f"(self-check {facts['verify_seconds']} s, VACUUM ANALYZE "
        f"{facts['vacuum_seconds']} s): {facts['customers']} customers, "
        f"{facts['invoices']} invoices, {facts['moves']} moves, "
        f"{facts['move_lines']} lines"
    )
    return facts


def _drop_indexes(cr, tables):
    """Drops the indexes of ``tables`` that are not unique (faster to build
    once after a bulk insert than to update row by row); returns [(name,
    CREATE INDEX statement)]."""
    cr.execute(
        """SELECT i.indexname, i.indexdef FROM pg_indexes i
             JOIN pg_class c ON c.relname = i.indexname
             JOIN pg_index x ON x.indexrelid = c.oid
            WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
              AND NOT x.indisunique
              AND NOT EXISTS (SELECT 1 FROM pg_constraint k
                               WHERE k.conindid = c.oid)
            ORDER BY 1""",
        [tables],
    )
    indexes = cr.fetchall()
    for name, _definition in indexes:
        cr.execute(f'DROP INDEX "{name}"')
    return indexes
