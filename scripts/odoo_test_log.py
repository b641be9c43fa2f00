"""Read the log of an Odoo 18 test run and tell what it proves.

    python3 scripts/odoo_test_log.py LOG ODOO_EXIT_CODE COUNTS_FILE

Prints the failures, errors and unexpected ERROR/CRITICAL lines (with their
tracebacks, shortened), and writes "passed failed skipped" to COUNTS_FILE:
each Odoo test counts as one; a run that crashed, ran no test, logged an
ERROR/CRITICAL line that is not a test report, or exited non-zero for no
reason seen in the log counts one more failure.
"""

import re
import sys

LINE = re.compile(
    r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (?P<level>[A-Z]+) \S+ "
    r"(?P<logger>[\w.]+): (?P<msg>.*)$"
)
RESULT = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests")
TEST_REPORT = re.compile(r"^(FAIL|ERROR): ")
MAX_LINES = 40  # lines of one excerpt
MAX_WIDTH = 300  # characters of one line


def read_records(path):
    """Yield (level, logger, message, continuation lines) for each log record."""
    record = None
    with open(path, encoding="utf-8", errors="replace") as log:
        for raw in log:
            line = raw.rstrip()
            match = LINE.match(line)
            if match:
                if record:
                    yield record
                record = (match["level"], match["logger"], match["msg"], [])
            elif record:
                record[3].append(line)
    if record:
        yield record


def excerpt(title, level, logger, msg, more):
    print(f"--- {title}: {level} {logger}: {msg}")
    if len(more) > MAX_LINES:  # the end of a traceback says what went wrong
        cut = len(more) - MAX_LINES
        more = [*more[:3], f"... ({cut} lines, see the log)", *more[cut + 3 :]]
    for line in more:
        cut = f" ... ({len(line) - MAX_WIDTH} more characters)"
        print(f"    {line[:MAX_WIDTH]}{cut if len(line) > MAX_WIDTH else ''}")


def main(path, exit_code, counts_file):
    result = None
    skipped = unexpected = 0
    for level, logger, msg, more in read_records(path):
        if logger == "odoo.tests.result":
            found = RESULT.search(msg)
            if found:
                result = tuple(int(n) for n in found.groups())
        elif level == "INFO" and msg.startswith("skipped "):
            skipped += 1
        elif level in ("ERROR", "CRITICAL"):
            if TEST_REPORT.match(msg) and ".tests." in logger:
                excerpt("test", level, logger, msg, more)
            else:
                unexpected += 1
                excerpt("log", level, logger, msg, more)
    failed, errors, run = result or (0, 0, 0)
    passed = max(run - failed - errors - skipped, 0)
    failed += errors
    print(
        f"Odoo: {run} tests run, {failed - errors} failed, {errors} error(s), "
        f"{skipped} skipped; exit code {exit_code}"
    )
    problems = []
    if result is None:
        problems.append("no test result in the log: Odoo stopped before the tests")
    elif run == 0:
        problems.append("Odoo ran no test: check the tags and the tests' __init__.py")
    if unexpected:
        problems.append(f"{unexpected} ERROR/CRITICAL log line(s) outside test reports")
    if exit_code != 0 and not (failed or problems):
        problems.append(f"Odoo exited with {exit_code}")
    for problem in problems:
        print(f"FAILED: {problem}")
    failed += 1 if problems else 0
    with open(counts_file, "w", encoding="utf-8") as out:
        out.write(f"{passed} {failed} {skipped}\n")


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
