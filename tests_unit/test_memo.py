from functools import partial

from relance_facture.tools.memo import memoized


def test_each_value_computed_once():
    calls = []

    def money(value, currency="EUR"):
        calls.append((value, currency))
        return f"{value:.2f} {currency}"

    memo = memoized(money)
    assert memo(10) == "10.00 EUR"
    assert memo(10) == "10.00 EUR"
    assert memo(10, currency="USD") == "10.00 USD"
    assert partial(memo, currency="USD")(10) == "10.00 USD"
    assert calls == [(10, "EUR"), (10, "USD")]


def test_shared_cache_keeps_functions_apart():
    cache = {}
    double = memoized(lambda v: v * 2, cache)
    triple = memoized(lambda v: v * 3, cache)
    assert (double(2), triple(2)) == (4, 6)
    assert len(cache) == 2
