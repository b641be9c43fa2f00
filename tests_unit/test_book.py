"""The pure logic of scripts/book.py: plan, key, renumbering of clones."""

import importlib.util
import re
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "book.py"
spec = importlib.util.spec_from_file_location("book", SCRIPT)
book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(book)

STEPS = {"INV/2026/": 10000, "RINV/2026/": 500, "BNK1/2026/": 4000}


def test_plan_clones_multiples_of_the_block_only():
    assert book.plan(10_000) == (1000, 10)
    assert book.plan(100_000) == (1000, 100)
    assert book.plan(1000) == (1000, 1)
    assert book.plan(300) == (300, 1)
    assert book.plan(2500) == (2500, 1)
    assert book.plan(60, block=20) == (20, 3)
    with pytest.raises(ValueError):
        book.plan(0)


def test_key_changes_with_everything_the_book_depends_on():
    base = ("relance_tmpl_nodemo_1", 10_000, 10, 42)
    key = book.book_key(*base)
    assert re.fullmatch(r"[0-9a-f]{10}", key)
    assert book.book_key(*base) == key
    assert book.book_key("relance_tmpl_nodemo_2", 10_000, 10, 42) != key
    assert book.book_key("relance_tmpl_nodemo_1", 20_000, 10, 42) != key
    assert book.book_key("relance_tmpl_nodemo_1", 10_000, 5, 42) != key
    assert book.book_key("relance_tmpl_nodemo_1", 10_000, 10, 7) != key
    assert book.book_key(*base, block=500) != key


def test_key_of_an_orm_book_ignores_the_block_size():
    assert book.book_key("t", 300, 10, 42, block=1000) == book.book_key(
        "t", 300, 10, 42, block=500
    )


def test_key_follows_the_generator_parameters(monkeypatch):
    key = book.book_key("t", 1000, 10, 42)
    monkeypatch.setitem(book.PARAMETERS, "share_paid", 0.5)
    assert book.book_key("t", 1000, 10, 42) != key
    monkeypatch.undo()
    monkeypatch.setattr(book, "BOOK_VERSION", book.BOOK_VERSION + 1)
    assert book.book_key("t", 1000, 10, 42) != key


def test_book_name_fits_postgresql():
    name = book.book_name("relance_tmpl_nodemo_fe84e8ff", 100_000, 10, 42)
    assert name.startswith("relance_book_100000x10_")
    assert len(name + "_build_4194304") <= 63


def test_customer_numbers_continue_in_each_copy():
    assert book.renumber_customer("Martin 000001 SARL", 1, 1000) == (
        "Martin 001001 SARL"
    )
    assert book.renumber_customer("compta@customer000999.example", 99, 1000) == (
        "compta@customer099999.example"
    )
    assert book.renumber_customer("jean.leroy.000042@mail.example", 3, 20) == (
        "jean.leroy.000102@mail.example"
    )
    # complete name of an invoice contact: one number
    assert book.renumber_customer("Petit 000007 SA, Accounts payable", 2, 1000) == (
        "Petit 002007 SA, Accounts payable"
    )
    # wider when needed, never cut
    assert book.renumber_customer("Dubois 999999 SA", 1, 1000) == "Dubois 1000999 SA"


def test_customer_renumbering_leaves_other_digits():
    for text in ("75002", "+33 1 23 45 67 89", "+33123456789", "12 rue de la Paix"):
        assert book.renumber_customer(text, 5, 1000) == text
    assert book.renumber_customer(None, 1, 1000) is None
    assert book.renumber_customer("", 1, 1000) == ""


def test_move_numbers_continue_by_prefix():
    assert book.renumber_sequence("INV/2026/00042", 1, STEPS) == "INV/2026/10042"
    assert book.renumber_sequence("INV/2026/00042", 3, STEPS) == "INV/2026/30042"
    assert book.renumber_sequence("RINV/2026/00012", 2, STEPS) == "RINV/2026/01012"
    assert book.renumber_sequence("BNK1/2026/00001", 1, STEPS) == "BNK1/2026/04001"
    # 1,000,000 invoices: the numbers grow past the padding
    assert book.renumber_sequence("INV/2026/09999", 99, STEPS) == "INV/2026/999999"


def test_move_numbers_inside_texts():
    assert book.renumber_sequence("Payment INV/2026/00002", 1, STEPS) == (
        "Payment INV/2026/10002"
    )
    assert book.renumber_sequence("Reversal of: INV/2026/00048", 2, STEPS) == (
        "Reversal of: INV/2026/20048"
    )
    # RINV/ is not INV/ preceded by an R
    assert book.renumber_sequence("RINV/2026/00003", 1, {"INV/2026/": 10}) == (
        "RINV/2026/00003"
    )
    for text in ("Services", "Tax 15%", "", None, "INV/2025/00001"):
        assert book.renumber_sequence(text, 1, STEPS) == text


def test_sequence_pattern_is_literal():
    pattern = book.sequence_pattern(["INV.X/", "A+B-"])
    assert re.search(pattern, "INV.X/12").groups() == ("INV.X/", "12")
    assert re.search(pattern, "INVaX/12") is None
    assert re.search(pattern, "A+B-7").groups() == ("A+B-", "7")


def test_sequence_steps_are_the_block_highest_numbers():
    rows = [
        (1, "INV/2026/", 1, 9500, 9500, 9500),
        (1, "RINV/2026/", 1, 500, 500, 500),
        (6, "BNK1/2026/", 1, 4000, 4000, 4000),
    ]
    assert book.sequence_steps(rows) == {
        "INV/2026/": 9500,
        "RINV/2026/": 500,
        "BNK1/2026/": 4000,
    }


@pytest.mark.parametrize(
    "row, message",
    [
        ((1, "INV/2026/", 1, 10, 10, 11), "outside the block"),
        ((1, "INV/2026/", None, None, 10, 10), "no sequence number"),
        ((1, None, 1, 10, 10, 10), "no sequence number"),
    ],
)
def test_sequence_steps_refuse_what_copies_would_collide_with(row, message):
    with pytest.raises(ValueError, match=message):
        book.sequence_steps([row])


def test_sequence_steps_refuse_a_prefix_of_two_journals():
    rows = [(1, "INV/2026/", 1, 10, 10, 10), (2, "INV/2026/", 1, 10, 10, 10)]
    with pytest.raises(ValueError, match="two journals"):
        book.sequence_steps(rows)


def test_copies_never_share_a_number():
    """Copy k of the numbers low..high of a block lands in its own range."""
    steps = {"INV/2026/": 37}
    seen = set()
    for k in range(5):
        for n in range(1, 38):
            name = book.renumber_sequence(f"INV/2026/{n:05d}", k, steps)
            assert name not in seen
            seen.add(name)
    assert {int(name[-5:]) for name in seen} == set(range(1, 5 * 37 + 1))


def test_profiles_split_by_the_seed():
    ids = list(range(100, 1100))
    split = book.split_profiles(ids, 42)
    assert [len(part) for part in split.values()] == [200, 450, 250, 100]
    assert sorted(i for part in split.values() for i in part) == ids
    assert book.split_profiles(list(reversed(ids)), 42) == split
    assert book.split_profiles(ids, 43) != split
    small = book.split_profiles([1, 2, 3], 42)
    assert sorted(i for part in small.values() for i in part) == [1, 2, 3]
