"""Memoized calls, for formatting the same values many times in a batch."""


def memoized(function, cache=None):
    """``function`` remembering its results by arguments in ``cache`` (a
    dict, shared by several memoized functions when given): a batch of
    reminders prints the same dates and amounts many times, and Odoo's
    ``formatLang`` and ``format_date`` cost a tenth of a millisecond a call.
    Arguments must be hashable."""
    results = {} if cache is None else cache

    def call(*args, **kwargs):
        key = (function, args, tuple(sorted(kwargs.items())))
        if key not in results:
            results[key] = function(*args, **kwargs)
        return results[key]

    return call
