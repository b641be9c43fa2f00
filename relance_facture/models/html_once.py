"""HTML values of the daily run's records sanitized once.

Creating a record converts each of its HTML values twice (for the column and
for the cache), and a record that inherits the value (an email of its
message) a third time: each time a full pass of Odoo's sanitizer, a tenth of
a daily run. The run's emails, chatter notes and activities are created
without their HTML value, which is then converted once by the field itself,
as Odoo would store it, and written in one statement per batch: messages and
emails with ``relance_sanitize_once`` in the context (the run's senders set
it), activities in ``mail.activity._relance_create``."""

from odoo.tools import SQL


def pop_html(vals_list, fname):
    """Take the values of ``fname`` out of ``vals_list``, in order. None
    where the value stays: empty, or with embedded images, which a message
    turns into attachments when it is created."""
    return [
        vals.pop(fname) if vals.get(fname) and "data:image" not in vals[fname] else None
        for vals in vals_list
    ]


def store_html(records, fname, values):
    """Write ``values`` (from ``pop_html``, in the order of ``records``) in
    the column of ``fname``, each converted once by the field."""
    field = records._fields[fname]
    pairs = [
        (record, value)
        for record, value in zip(records, values, strict=True)
        if value is not None
    ]
    if not pairs:
        return
    table = SQL.identifier(records._table)
    records.env.execute_query(
        SQL(
            """UPDATE %s SET %s = html.value
               FROM (SELECT unnest(%s::int[]) AS id,
                            unnest(%s::text[]) AS value) html
               WHERE %s.id = html.id""",
            table,
            SQL.identifier(fname),
            [record.id for record, _value in pairs],
            [field.convert_to_column(value, record) for record, value in pairs],
            table,
        )
    )
    records.invalidate_recordset([fname])
