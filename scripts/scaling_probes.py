"""Reading the database and the machine for scripts/scaling.py: the
database's state and growth, the duplicate checks, the Sampler of memory
and CPU."""

import collections
import os
import threading
import time

from scaling_base import GROWING_TABLES, SAMPLE_SECONDS, _read
from scaling_figures import cpu_busy_ticks, duplicate_sql, parse_proc_stat


def connect(db):
    import psycopg2

    conn = psycopg2.connect(dbname=db)
    conn.autocommit = True
    return conn


def sql(conn, query, params=None):
    with conn.cursor() as cr:
        cr.execute(query, params)
        return cr.fetchall() if cr.description else []


def db_state(conn):
    """What the measures compare before and after: highest ids, table
    sizes, the WAL position."""
    ids = {}
    for table_name in ("mail_mail", "relance_event", "relance_dispatch", "queue_job"):
        rows = sql(conn, "SELECT to_regclass(%s)", [table_name])
        ids[table_name] = (
            sql(conn, f"SELECT COALESCE(max(id), 0) FROM {table_name}")[0][0]
            if rows[0][0]
            else 0
        )
    sizes = dict(
        sql(
            conn,
            """SELECT relname::text, pg_total_relation_size(oid)
               FROM pg_class WHERE relkind = 'r' AND relname = ANY(%s)""",
            [list(GROWING_TABLES)],
        )
    )
    [(lsn,)] = sql(conn, "SELECT pg_current_wal_lsn()::text")
    return {"ids": ids, "sizes": sizes, "wal_lsn": lsn}


def db_growth(conn, before, after):
    """Rows created and bytes added since ``before``."""
    created = {
        table_name: sql(
            conn,
            f"SELECT count(*) FROM {table_name} WHERE id > %s",
            [before["ids"][table_name]],
        )[0][0]
        for table_name in ("mail_mail", "relance_event", "relance_dispatch")
    }
    [(wal,)] = sql(
        conn,
        "SELECT pg_wal_lsn_diff(%s::pg_lsn, %s::pg_lsn)::bigint",
        [after["wal_lsn"], before["wal_lsn"]],
    )
    bytes_added = {
        name: after["sizes"].get(name, 0) - before["sizes"].get(name, 0)
        for name in GROWING_TABLES
        if after["sizes"].get(name, 0) != before["sizes"].get(name, 0)
    }
    return {
        "created": created,
        "table_bytes": dict(sorted(bytes_added.items())),
        "table_bytes_total": sum(bytes_added.values()),
        "wal_bytes_cluster": wal,
    }


def duplicates(conn):
    checks = {name: sql(conn, query)[0][0] for name, query in duplicate_sql().items()}
    return {"checks": checks, "total": sum(checks.values())}


class Sampler(threading.Thread):
    """Samples every SAMPLE_SECONDS: the summed RSS of the Odoo processes
    (``pids`` and every process of the ``sessions``), their CPU, the CPU of
    the PostgreSQL backends of ``db`` and the machine's."""

    def __init__(self, db, pids=(), sessions=(), server_session=None):
        super().__init__(daemon=True)
        self.db = db
        self.pids = set(pids)
        self.sessions = set(sessions)
        self.server_session = server_session
        if server_session is not None:
            self.sessions.add(server_session)
        self._stop_event = threading.Event()
        # set once the first sample is taken: the CPU figures start there
        self.ready = threading.Event()
        self.rss_peak = self.server_rss_peak = 0
        self.odoo_ticks = {}  # pid: (first, last)
        self.pg_ticks = {}
        self.pg_pids = {}  # pid: backend type (client backend, autovacuum ...)
        self._page = os.sysconf("SC_PAGE_SIZE")
        self._hz = os.sysconf("SC_CLK_TCK")

    def run(self):
        conn = connect(self.db)
        [(own,)] = sql(conn, "SELECT pg_backend_pid()")
        last_pg = 0.0
        self._cpu0 = cpu_busy_ticks(_read("/proc/stat"))
        self._t0 = time.monotonic()
        try:
            while True:
                if time.monotonic() - last_pg >= 1.0:
                    self.pg_pids.update(
                        sql(
                            conn,
                            """SELECT pid, backend_type FROM pg_stat_activity
                               WHERE datname = %s AND pid != %s""",
                            [self.db, own],
                        )
                    )
                    last_pg = time.monotonic()
                self._sample()
                self.ready.set()
                if self._stop_event.wait(SAMPLE_SECONDS):
                    break
            self._sample()
        finally:
            conn.close()
        self._cpu1 = cpu_busy_ticks(_read("/proc/stat"))
        self._t1 = time.monotonic()

    def _sample(self):
        rss = server_rss = 0
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            pid = int(entry)
            try:
                session, ticks, pages = parse_proc_stat(_read(f"/proc/{pid}/stat"))
            except (OSError, ValueError, IndexError):
                continue
            if pid in self.pids or session in self.sessions:
                rss += pages * self._page
                if session == self.server_session:
                    server_rss += pages * self._page
                first, _last = self.odoo_ticks.get(pid, (ticks, ticks))
                self.odoo_ticks[pid] = (first, ticks)
            elif pid in self.pg_pids:
                first, _last = self.pg_ticks.get(pid, (ticks, ticks))
                self.pg_ticks[pid] = (first, ticks)
        self.rss_peak = max(self.rss_peak, rss)
        self.server_rss_peak = max(self.server_rss_peak, server_rss)

    def stop(self):
        self._stop_event.set()
        self.join()
        seconds = self._t1 - self._t0
        busy = (self._cpu1[0] - self._cpu0[0]) / self._hz
        odoo = sum(last - first for first, last in self.odoo_ticks.values()) / self._hz
        pg = sum(last - first for first, last in self.pg_ticks.values()) / self._hz
        pg_by_type = collections.Counter()
        for pid, (first, last) in self.pg_ticks.items():
            pg_by_type[self.pg_pids[pid]] += (last - first) / self._hz
        return {
            "rss_peak_mb": round(self.rss_peak / 2**20, 1),
            "server_rss_peak_mb": round(self.server_rss_peak / 2**20, 1),
            "cpu": {
                "seconds": round(seconds, 1),
                "odoo_cpu_seconds": round(odoo, 1),
                "postgres_cpu_seconds": round(pg, 1),
                "postgres_cpu_seconds_by_backend": {
                    kind: round(value, 1) for kind, value in sorted(pg_by_type.items())
                },
                "machine_busy_cpu_seconds": round(busy, 1),
                "others_cpu_seconds": round(max(busy - odoo - pg, 0.0), 1),
                "machine_busy_cores": round(busy / seconds, 2) if seconds else None,
                "cpus": os.cpu_count(),
            },
        }
