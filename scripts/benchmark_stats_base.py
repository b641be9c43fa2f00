"""Constants and helpers shared by scripts/benchmark_stats.py and its modules
(benchmark_stats_*.py): the parameters that keep the seed's facts and the
runs' figures, the targets, the seed book's shape, the environment."""

import json

import benchmark

ROOT = benchmark.ROOT
SEED_PARAM = "relance_benchmark_stats.seed"
RUNS_PARAM = "relance_benchmark_stats.runs"
TARGET_SECONDS = 10.0
TARGET_CUSTOMERS = 10_000
BATCH_SIZE = 2000  # _cron_refresh's default
SAMPLE = 40
# Seed book: history over two years, behaviour by customer.
HISTORY_DAYS = 720
FUTURE_DAYS = 45
SHARE_RECENT = 0.10  # customers whose first invoice is less than 6 months old
BEHAVIOURS = (  # name, share, days paid after the due date (min, max)
    ("punctual", 0.45, (-10, 4)),
    ("average", 0.35, (0, 35)),
    ("late", 0.20, (20, 120)),
)
SHARE_AUTO = 0.80  # customers in automatic profile mode (the others: manual)


def _env(cr):
    from odoo import SUPERUSER_ID, api

    return api.Environment(
        cr,
        SUPERUSER_ID,
        {"tracking_disable": True, "mail_create_nolog": True, "mail_notrack": True},
    )


def _get_json(env, key, default=None):
    value = env["ir.config_parameter"].get_param(key)
    return json.loads(value) if value else default


def _set_json(env, key, value):
    env["ir.config_parameter"].set_param(key, json.dumps(value, sort_keys=True))


def _high_id(cr, table):
    cr.execute(f"SELECT COALESCE(MAX(id), 0) FROM {table}")  # noqa: S608
    return cr.fetchone()[0]
