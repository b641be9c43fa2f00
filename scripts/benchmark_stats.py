#!/usr/bin/env python3
"""Benchmark of the customer statistics refresh on a large book.

    python3 scripts/benchmark_stats.py --db DB --addons-path PATHS --phase PHASE
        [--seed-customers 100] [--invoices 10] [--customers 10000] [--seed 42]

DB must hold relance_facture (installed without demo data);
scripts/benchmark_stats.sh prepares it from the template and calls the phases,
each in a fresh process:

  seed      creates a seed book through the ORM (--seed-customers customers x
            --invoices posted invoices spread over two years, most of the old
            ones paid by reconciled bank entries, some partly; sent reminders,
            second reminders and formal notices) and commits.
  multiply  clones the seed in SQL up to --customers customers (clone k of a
            seed record gets new ids through mapping tables; customers, invoice
            contacts, invoices, payment entries, their lines, partial and full
            reconciliations, line taxes, dunning events), shifts the due dates
            of each clone a little (a function of k and the invoice), suffixes
            names, then ANALYZEs. Called once per size, growing the book.
  run       resets the figures (no statistics row, no automatic profile), then
            times on the current book: the nightly ``_cron_refresh()`` as a
            manual trigger runs it (batches of 2000, first run: every row
            inserted, profiles applied), one ``_relance_refresh()`` of every
            customer, and a second ``_cron_refresh()`` the next night (rows
            updated, profiles unchanged); checks the result on a sample.
            Its figures are kept in the database under the book's size.
  report    prints the summary with PASS/FAIL, one ``BENCHMARK_STATS_JSON``
            line and writes var/benchmark-stats-<date>.json. Exits 3 when a
            target is missed.
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import benchmark  # noqa: E402  (bootstrap)
from benchmark_stats_base import ROOT, TARGET_CUSTOMERS  # noqa: E402
from benchmark_stats_multiply import multiply  # noqa: E402
from benchmark_stats_report import report  # noqa: E402
from benchmark_stats_run import run  # noqa: E402
from benchmark_stats_seed import seed  # noqa: E402


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n", 1)[0],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--db", required=True)
    parser.add_argument("--addons-path")
    parser.add_argument(
        "--phase", choices=("seed", "multiply", "run", "report"), required=True
    )
    parser.add_argument("--seed-customers", type=int, default=100)
    parser.add_argument("--invoices", type=int, default=10, help="per customer")
    parser.add_argument(
        "--customers",
        type=int,
        default=TARGET_CUSTOMERS,
        help="multiply: size of the book to reach (a multiple of the seed)",
    )
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--log-level", default="warn")
    parser.add_argument("--source", default="")
    parser.add_argument("--output-dir", default=os.path.join(ROOT, "var"))
    args = parser.parse_args(argv)
    if args.seed_customers < 1 or args.invoices < 1 or args.customers < 1:
        parser.error("sizes must be positive")
    # benchmark.bootstrap reads these
    args.profile = args.tracemalloc = False
    return args


def main(argv=None):
    args = parse_args(argv)
    registry = benchmark.bootstrap(args)
    if args.phase == "seed":
        seed(registry, args)
    elif args.phase == "multiply":
        multiply(registry, args)
    elif args.phase == "run":
        run(registry, args)
    else:
        return report(registry, args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
