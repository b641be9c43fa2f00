"""relance_facture's setup of a book once the addon is installed on a copy
(scripts/benchmark.py's phase setup): each customer's dunning profile,
drawn from the book's seed."""

import datetime
import random
import sys
import time

from book_base import (
    PROFILE_CHUNK,
    PROFILES,
    _env,
    _pick_shares,
    book_facts,
    get_facts,
    log,
    set_facts,
)


def split_profiles(customer_ids, seed):
    """{xmlid: customer ids}: the customers spread over PROFILES at random
    from the seed (the same book and seed, the same split)."""
    rng = random.Random(f"profiles:{seed}")
    parts = _pick_shares(rng, sorted(customer_ids), [s for _x, s in PROFILES])
    parts[-1] += sorted(set(customer_ids) - {i for part in parts for i in part})
    return {
        xmlid: sorted(part) for (xmlid, _s), part in zip(PROFILES, parts, strict=True)
    }


def assign_profiles(registry, args=None):
    """What relance_facture needs of a book once installed on a copy: each
    customer's dunning profile (strict 20 %, standard 45 %, lenient 25 %,
    never 10 %, drawn from the book's seed), written through the ORM by
    chunks of PROFILE_CHUNK customers (their invoices' planning follows).
    Adds the profiles and the planning figures to the book's facts."""
    start = time.perf_counter()
    with registry.cursor() as cr:
        env = _env(cr)
        facts = get_facts(env)
        if not facts:
            sys.exit(f"{cr.dbname}: no generated book")
        if "relance_facture" not in registry._init_modules:
            sys.exit(f"{cr.dbname}: relance_facture is not installed")
        seed = facts.get("seed", getattr(args, "seed", 42))
        cr.execute(
            "SELECT id FROM res_partner WHERE id > %s AND parent_id IS NULL",
            [facts["watermarks"]["res_partner"]],
        )
        split = split_profiles([row[0] for row in cr.fetchall()], seed)
        for xmlid, ids in split.items():
            profile = env.ref(xmlid)
            for begin in range(0, len(ids), PROFILE_CHUNK):
                partners = env["res.partner"].browse(ids[begin : begin + PROFILE_CHUNK])
                partners.relance_profile_id = profile
                env.flush_all()
                cr.commit()
                env.invalidate_all()
        today = datetime.date.today()
        cr.execute(
            """SELECT count(*) FROM account_move WHERE id > %s
                  AND move_type = 'out_invoice' AND relance_next_date <= %s""",
            [facts["watermarks"]["account_move"], today],
        )
        due = cr.fetchone()[0]
        facts.update(book_facts(cr, facts["watermarks"], today))
        profiles = {env.ref(xmlid).name: len(ids) for xmlid, ids in split.items()}
        facts.update(
            profiles=dict(sorted(profiles.items())),
            due_today_or_before_per_plan=due,
            setup_seconds=round(time.perf_counter() - start, 1),
        )
        set_facts(env, facts)
        cr.commit()
    log(f"Assigned the dunning profiles in {facts['setup_seconds']} s: {profiles}")
    return facts
