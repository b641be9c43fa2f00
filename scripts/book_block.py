"""The rows of a block book (class Block), read by the clone and the
self-check of scripts/book.py: id ranges of the cloned tables, foreign
keys into them, many2many tables to copy along, move numbering."""

import collections

from book_base import CLONED_TABLES, MODEL_TABLES, sequence_steps


class Block:
    """The rows of a block book: per cloned table, ids lo..hi (stride = hi -
    lo + 1 apart from one copy to the next), the foreign keys into them, the
    many2many tables to copy along, the move numbering."""

    def __init__(self, cr, facts):
        self.cr = cr
        self.customers = facts["block_customers"]
        self.foreign_keys = self._foreign_keys()
        layout = facts.get("layout")
        if layout:  # a cloned book: the block is its first copy
            self.ranges = {table: tuple(r) for table, r in layout["ranges"].items()}
            self.relations = {
                table: [tuple(column) for column in columns]
                for table, columns in layout["relations"].items()
            }
            self.steps = layout["steps"]
            return
        self.ranges = {}
        for table in CLONED_TABLES:
            low = facts["watermarks"][table] + 1
            cr.execute(
                f'SELECT max(id), count(*) FROM "{table}" WHERE id >= %s',  # noqa: S608
                [low],
            )
            high, count = cr.fetchone()
            if count:
                self.ranges[table] = (low, high, high - low + 1, count)
        self.relations = self._relations()
        self.steps = self._steps()

    def layout(self):
        """What a cloned book keeps of its block (its facts' "layout")."""
        return {
            "ranges": self.ranges,
            "relations": self.relations,
            "steps": self.steps,
        }

    def _foreign_keys(self):
        """{(table, column): referenced table} of single-column foreign keys
        into the cloned tables."""
        self.cr.execute(
            """SELECT c.conrelid::regclass::text, a.attname,
                      c.confrelid::regclass::text
                 FROM pg_constraint c
                 JOIN pg_attribute a
                   ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
                WHERE c.contype = 'f' AND array_length(c.conkey, 1) = 1
                  AND c.confrelid::regclass::text = ANY(%s)""",
            [list(CLONED_TABLES)],
        )
        return {(table, column): ref for table, column, ref in self.cr.fetchall()}

    def columns(self, table, types=None):
        self.cr.execute(
            """SELECT column_name FROM information_schema.columns
                WHERE table_schema = current_schema() AND table_name = %s
                  AND is_generated = 'NEVER'
                  AND (%s::text[] IS NULL OR data_type = ANY(%s::text[]))
                ORDER BY ordinal_position""",
            [table, types, types],
        )
        return [row[0] for row in self.cr.fetchall()]

    def in_block(self, table, expr, copies=1):
        """SQL condition: ``expr`` is an id of ``table`` in the block (or in
        one of the first ``copies`` copies)."""
        if table not in self.ranges:
            return "false"
        low, high, stride, _count = self.ranges[table]
        return f"{expr} BETWEEN {low} AND {high + (copies - 1) * stride}"

    def _relations(self):
        """Tables outside CLONED_TABLES whose rows point into the block:
        many2many tables (no id) are copied along; anything else is a row the
        block owns that this cloner does not know: refuse."""
        relations, unknown = {}, []
        by_table = collections.defaultdict(list)
        for (table, column), ref in self.foreign_keys.items():
            if table not in CLONED_TABLES:
                by_table[table].append((column, ref))
        for table, columns in sorted(by_table.items()):
            where = self._any_in_block(columns, "")
            self.cr.execute(f'SELECT count(*) FROM "{table}" WHERE {where}')  # noqa: S608
            count = self.cr.fetchone()[0]
            if not count:
                continue
            if "id" in self.columns(table):
                unknown.append(f"{table} ({count} rows)")
            else:
                relations[table] = columns
        # Rows pointing at the block by (model, res_id), without foreign key.
        self.cr.execute(
            """SELECT table_name, string_agg(column_name, ',')
                 FROM information_schema.columns
                WHERE table_schema = current_schema()
                  AND column_name IN ('res_id', 'res_model', 'model')
                GROUP BY table_name
               HAVING bool_or(column_name = 'res_id')
                  AND bool_or(column_name IN ('res_model', 'model'))"""
        )
        for table, names in self.cr.fetchall():
            if table in CLONED_TABLES:
                continue
            model_column = "res_model" if "res_model" in names.split(",") else "model"
            checks = [
                f"({model_column} = '{model}' AND {self.in_block(ref, 'res_id')})"
                for model, ref in MODEL_TABLES.items()
            ]
            self.cr.execute(
                f'SELECT count(*) FROM "{table}" WHERE {" OR ".join(checks)}'  # noqa: S608
            )
            count = self.cr.fetchone()[0]
            if count:
                unknown.append(f"{table} ({count} rows by res_id)")
        if unknown:
            raise RuntimeError(
                "rows of other tables belong to the block, the cloner does not "
                f"copy them: {', '.join(unknown)}"
            )
        return relations

    def _any_in_block(self, columns, alias, copies=1):
        return " OR ".join(
            self.in_block(ref, f'{alias}"{column}"', copies) for column, ref in columns
        )

    def where(self, table, alias="", copies=1):
        """SQL condition: the row of ``table`` (as ``alias``) is the block's
        (or one of the first ``copies`` copies')."""
        if table in self.ranges:
            return self.in_block(table, f"{alias}id", copies)
        return self._any_in_block(self.relations[table], alias, copies)

    def tables(self):
        return [t for t in CLONED_TABLES if t in self.ranges] + sorted(self.relations)

    def _steps(self):
        """{prefix: step} of the block's move numbers (see sequence_steps);
        every move of the block must be posted and named prefix + number."""
        low = self.ranges["account_move"][0]
        self.cr.execute(
            """SELECT count(*) FROM account_move WHERE id >= %s AND (
                      state != 'posted' OR sequence_prefix IS NULL
                   OR name != sequence_prefix || lpad(sequence_number::text,
                          length(name) - length(sequence_prefix), '0')
                   OR length(name) - length(sequence_prefix)
                      < length(sequence_number::text))""",
            [low],
        )
        odd = self.cr.fetchone()[0]
        if odd:
            raise RuntimeError(f"{odd} moves of the block are not prefix + number")
        self.cr.execute(
            """SELECT b.journal_id, b.sequence_prefix, min(b.sequence_number),
                      max(b.sequence_number), count(*),
                      (SELECT count(*) FROM account_move a
                        WHERE a.sequence_prefix = b.sequence_prefix
                          AND a.journal_id = b.journal_id)
                 FROM account_move b WHERE b.id >= %s
                GROUP BY 1, 2 ORDER BY 2""",
            [low],
        )
        return sequence_steps(self.cr.fetchall())
