"""The demo: a French company, its customers' invoices at every dunning stage
after the weeks before today replayed, and the customers' answers of each
kind. Called by the install and uninstall hooks when the demo data is loaded."""

from contextlib import nullcontext
from datetime import datetime, time
from email.message import EmailMessage
from email.utils import formataddr, formatdate, make_msgid

from odoo import Command, fields
from odoo.tools import config

from .tools import penalty

# The demo's French company (demo/relance_demo.xml): with demo data, the
# post-init hook gives it its accounting, invoices, dunning run and answers.
DEMO_COMPANY = "relance_facture.company_demo"
# Demo invoices: "<customer>_<n>" (xml ids invoice_<customer>_<n>_demo of
# partner_<customer>_demo), invoice date and due date in days from today,
# amount before VAT, line. Their dates put each one at a stage of its ladder
# after today's run.
DEMO_INVOICES = [
    ("martin_1", -23, 7, 840.0, "Habillage chêne de la vitrine"),
    ("petit_1", -27, 3, 1560.0, "Comptoir d'accueil sur mesure"),
    ("durand_1", -33, -3, 2380.0, "Rayonnages de l'atelier"),
    ("leroy_1", -42, -12, 4200.0, "Aménagement des bureaux du dépôt"),
    ("moreau_1", -56, -26, 12600.0, "Menuiseries intérieures, chantier Garibaldi"),
    ("lefevre_1", -46, -16, 3150.0, "Bibliothèque et bureau en noyer"),
    ("dubois_1", -37, -7, 460.0, "Banquette et tablettes de la salle"),
    ("dupont_1", -34, -4, 320.0, "Placard d'entrée sur mesure"),
    ("bernard_1", -33, -3, 90.0, "Réparation de l'étal"),
    ("roux_1", -35, -5, 1800.0, "Sous-traitance : escalier en chêne"),
    ("garnier_1", -33, -3, 2600.0, "Gaines techniques en médium"),
    ("fontaine_1", -50, -20, 980.0, "Mobilier de l'agence"),
    ("girard_1", -45, -15, 1240.0, "Meubles de l'officine"),
    ("lambert_1", -40, -10, 2750.0, "Cloisons acoustiques du studio"),
    ("bonnet_1", -33, -3, 670.0, "Plan de travail en hêtre"),
    ("mercier_1", -60, -30, 150.0, "Étagères de la salle associative"),
    ("rousseau_1", -42, -12, 1900.0, "Établis de l'atelier"),
    ("rousseau_2", -23, 7, 640.0, "Portes coulissantes"),
    ("rousseau_3", -2, 28, 2200.0, "Verrière d'atelier"),
    ("blanc_1", -100, -70, 1800.0, "Agencement sur mesure"),
]


def _demo_customer(key):
    """xml id of the customer of the demo invoice ``key``."""
    return f"partner_{key.rsplit('_', 1)[0]}_demo"


# Days of the demo's past replayed by _demo_history: from the oldest invoice.
HISTORY_DAYS = -min(row[1] for row in DEMO_INVOICES)
DEMO_CUSTOMERS = tuple(dict.fromkeys(_demo_customer(row[0]) for row in DEMO_INVOICES))


def _post_init_demo(env):
    """Demo: the French company's accounting and invoices, the weeks before
    today (daily runs, payments, a payment plan, calls), then today's run so
    that every stage shows at once, and the customers' answers of each kind."""
    company = env.ref(DEMO_COMPANY)
    today = fields.Date.context_today(env["account.move"])
    if _demo_french_language(env):
        # the history and the chatter of the French demo in French
        env = env(context=dict(env.context, lang="fr_FR"))
    _demo_accounting(env(context=dict(env.context, lang="en_US")), company)
    _demo_rates(env, fields.Date.add(today, days=-HISTORY_DAYS), today)
    moves = _demo_history(env, company, today)
    # today: a part payment, the day's run, then the customers answer
    _demo_pay(env, company, "invoice_garnier_1_demo", 1000.0)
    env["relance.engine"]._cron_run_daily()
    _demo_answers(env, today)
    # Figures and profiles on the customer forms at once, not tonight.
    customers = moves.commercial_partner_id
    env["relance.partner.stat"]._relance_refresh(customers, company, today)
    env["res.partner"]._relance_apply_rules(customers, company)


def _demo_ref(env, name):
    return env.ref(f"relance_facture.{name}")


def _demo_french_language(env):
    """French for the demo's users, company and customers when French is
    loaded (scripts/demo.sh loads it): reminders go out in French."""
    if not env["res.lang"].search_count([("code", "=", "fr_FR")]):
        return False
    partners = env["res.partner"].browse(
        _demo_ref(env, name).id for name in ("partner_company_demo", *DEMO_CUSTOMERS)
    )
    partners.write({"lang": "fr_FR"})
    users = env.ref("base.user_admin") | _demo_ref(env, "user_signatory_demo")
    users.write({"lang": "fr_FR", "tz": "Europe/Paris"})
    return True


def _demo_accounting(env, company):
    """The generic chart of accounts in euros, with French VAT at 20 %."""
    euro, france = env.ref("base.EUR"), env.ref("base.fr")
    # (try_loading would only warn that the registry is still loading)
    env["account.chart.template"]._load("generic_coa", company, install_demo=False)
    # the generic chart is the US one: back to euros and France
    company.write({"currency_id": euro.id, "account_fiscal_country_id": france.id})
    vat = company.account_sale_tax_id
    vat.tax_group_id.write({"name": "TVA 20 %", "country_id": france.id})
    vat.write(
        {
            "name": "TVA 20 %",
            "description": "TVA collectée 20 %",
            "invoice_label": "TVA 20 %",
            "amount": 20.0,
            "country_id": france.id,
        }
    )
    purchase_vat = company.account_purchase_tax_id
    purchase_vat.write(
        {
            "name": "TVA déductible 20 %",
            "invoice_label": "TVA 20 %",
            "amount": 20.0,
            "country_id": france.id,
            "tax_group_id": vat.tax_group_id.id,
        }
    )


def _demo_rates(env, first_day, today):
    """Penalties need the rates of each semester from ``first_day`` to today.
    When the shipped table does not have one yet (they are published each
    January and July), the demo copies the latest earlier one so that its
    penalties show, under an xml id ``relance_facture.rate_demo_<semester>``
    (scripts/demo.sh says so)."""
    Rate = env["relance.rate"]
    start = penalty.semester_start(first_day)
    while start <= today:
        if not Rate.search_count([("date_start", "=", start)]):
            latest = Rate.search(
                [("date_start", "<", start)], order="date_start desc", limit=1
            )
            if latest:
                rate = Rate.create(
                    {
                        "date_start": start,
                        "ecb_rate": latest.ecb_rate,
                        "legal_rate_private": latest.legal_rate_private,
                        "legal_rate_other": latest.legal_rate_other,
                    }
                )
                env["ir.model.data"]._update_xmlids(
                    [
                        {
                            "xml_id": "relance_facture.rate_demo_"
                            + rate.name.replace(" ", "_").lower(),
                            "record": rate,
                            "noupdate": True,
                        }
                    ]
                )
        start = penalty.semester_start(fields.Date.add(start, months=6))


def _demo_invoices(env, company, today, rows):
    """The demo invoices of ``rows`` (of DEMO_INVOICES), posted, under their
    xml ids."""
    vat = company.account_sale_tax_id
    Move = env["account.move"].with_company(company)
    moves = Move.create(
        [
            {
                "move_type": "out_invoice",
                "company_id": company.id,
                "partner_id": _demo_ref(env, _demo_customer(key)).id,
                "invoice_date": fields.Date.add(today, days=invoice_days),
                "invoice_date_due": fields.Date.add(today, days=due_days),
                "invoice_payment_term_id": False,
                "invoice_line_ids": [
                    Command.create(
                        {
                            "name": label,
                            "quantity": 1,
                            "price_unit": amount,
                            "tax_ids": [Command.set(vat.ids)],
                        }
                    )
                ],
            }
            for key, invoice_days, due_days, amount, label in rows
        ]
    )
    moves.action_post()
    env["ir.model.data"]._update_xmlids(
        [
            {
                "xml_id": f"relance_facture.invoice_{row[0]}_demo",
                "record": move,
                "noupdate": True,
            }
            for row, move in zip(rows, moves, strict=True)
        ]
    )
    return moves


def _demo_history(env, company, today):
    """The weeks before today, day after day as they would have gone: the
    invoices made on their dates, each day's dunning run, the calls of the
    day logged, and what happened on some days. Today's steps follow that
    history: the reminders a formal notice recalls, the counts on the
    customer forms. Returns the demo invoices.

    Each day runs with the clock set to it (freezegun, which Odoo's tests
    use; without it, the invoices and those events are made today, and the
    dunning starts today). The clock of the whole process is set while the
    demo installs: only in a process that serves nothing else, Odoo started to
    install and stop (``--stop-after-init``, as scripts/demo.sh does); from the
    Apps menu of a running server the demo starts today."""
    try:
        from freezegun import freeze_time
    except ImportError:
        freeze_time = None
    if not config.get("stop_after_init"):
        freeze_time = None
    happened = {
        # a payment plan agreed after Menuiserie Blanc's second reminder
        -50: lambda: _demo_plan(
            env,
            company,
            "invoice_blanc_1_demo",
            [fields.Date.add(today, days=days) for days in (-35, -5, 25)],
            "Échéancier accepté par téléphone avec la gérante.",
        ),
        # its first instalment paid on time, the second one will be missed
        -35: lambda: _demo_pay_instalment(env, company, "invoice_blanc_1_demo"),
        -6: lambda: _demo_call(
            env,
            company,
            "invoice_lambert_1_demo",
            "promise",
            promise_date=fields.Date.add(today, days=5),
            note="Le studio attend le règlement de son client.",
        ),
        -2: lambda: _demo_call(
            env,
            company,
            "invoice_girard_1_demo",
            "dispute",
            dispute_type="quality",
            dispute_reason="Quantité livrée inférieure à la commande",
        ),
        # paid after its first reminder
        -1: lambda: _demo_pay(env, company, "invoice_roux_1_demo"),
    }
    moves = env["account.move"]
    for days in range(-HISTORY_DAYS, 0):
        day = fields.Date.add(today, days=days)
        env.flush_all()
        env.invalidate_all()
        clock = (
            freeze_time(datetime.combine(day, time(8, 0)))
            if freeze_time
            else nullcontext()
        )
        with clock:
            rows = [row for row in DEMO_INVOICES if row[1] == days]
            if rows:
                moves |= _demo_invoices(env, company, today, rows)
            if days in happened:
                happened[days]()
            if freeze_time:
                env["relance.engine"]._cron_run_daily()
                _demo_log_calls(env, company, day)
    env.flush_all()
    env.invalidate_all()
    rows = [row for row in DEMO_INVOICES if row[1] >= 0]
    if rows:
        moves |= _demo_invoices(env, company, today, rows)
    return moves


def _demo_pay(env, company, invoice, amount=None):
    """A payment of ``amount`` (default: the balance) on ``invoice``, today
    (the clock's)."""
    move = _demo_ref(env, invoice)
    wizard = (
        env["account.payment.register"]
        .with_company(company)
        .with_context(active_model="account.move", active_ids=move.ids)
        .create(
            {
                "amount": move.amount_residual if amount is None else amount,
                "payment_date": fields.Date.context_today(move),
            }
        )
    )
    wizard._create_payments()
    wizard.unlink()


def _demo_pay_instalment(env, company, invoice):
    move = _demo_ref(env, invoice)
    _demo_pay(env, company, invoice, move.relance_plan_id.next_line_id.amount)


def _demo_plan(env, company, invoice, dates, note):
    """A payment plan of ``invoice`` in equal instalments on ``dates``."""
    move = _demo_ref(env, invoice)
    share = move.currency_id.round(move.amount_residual / len(dates))
    amounts = [share] * (len(dates) - 1)
    amounts.append(move.amount_residual - sum(amounts))
    plan = env["relance.payment.plan"].create(
        {
            "partner_id": move.commercial_partner_id.id,
            "company_id": company.id,
            "currency_id": move.currency_id.id,
            "move_ids": [Command.set(move.ids)],
            "note": note,
            "line_ids": [
                Command.create({"date": date, "amount": amount})
                for date, amount in zip(dates, amounts, strict=True)
            ],
        }
    )
    env["ir.model.data"]._update_xmlids(
        [
            {
                "xml_id": "relance_facture." + invoice.replace("invoice_", "plan_"),
                "record": plan,
                "noupdate": True,
            }
        ]
    )
    move.relance_plan_id = plan


def _demo_call(env, company, invoice, outcome, **values):
    """A dunning call about ``invoice``, logged with its outcome."""
    move = _demo_ref(env, invoice)
    env["relance.call.outcome"].with_company(company).with_context(
        active_model="account.move", active_ids=move.ids
    ).create({"outcome": outcome, **values}).action_confirm()


def _demo_log_calls(env, company, day):
    """The dunning calls of the day were made: the customer was reached."""
    call_type = env.ref("relance_facture.mail_activity_type_relance_call")
    calls = env["mail.activity"].search(
        [
            ("activity_type_id", "=", call_type.id),
            ("res_model", "=", "res.partner"),
            ("relance_company_id", "=", company.id),
            ("date_deadline", "<=", day),
        ]
    )
    for partner in env["res.partner"].browse(set(calls.mapped("res_id"))):
        env["relance.call.outcome"].with_company(company).with_context(
            active_model="res.partner", active_ids=partner.ids
        ).create(
            {"outcome": "reached", "note": "Échéance rappelée, paiement annoncé."}
        ).action_confirm()


def _demo_answers(env, today):
    """One answer of each kind, as customers give them: four on the reminder's
    page, one by replying to the reminder email (through Odoo's mail gateway);
    the promise is already handled."""
    Answer = env["relance.answer"]

    def answer(invoice, kind, **values):
        move = _demo_ref(env, invoice)
        return Answer._relance_portal_answer(
            move, kind, {"move_ids": [str(move.id)], **values}
        )

    answer(
        "invoice_durand_1_demo",
        "paid",
        paid_date=fields.Date.to_string(fields.Date.add(today, days=-1)),
        payment_ref="VIR SEPA DURAND 4471",
        comment="Virement émis hier depuis notre compte Banque Populaire.",
    )
    promise = answer(
        "invoice_bernard_1_demo",
        "promise",
        promise_date=fields.Date.to_string(fields.Date.add(today, days=10)),
        comment="Je passe régler au magasin la semaine prochaine.",
    )
    answer(
        "invoice_dubois_1_demo",
        "dispute",
        dispute_type="price",
        comment="Le devis signé prévoyait 420 € HT pour la banquette, pas 460 €.",
    )
    answer(
        "invoice_moreau_1_demo",
        "plan",
        instalment_count="4",
        comment="Notre client nous paie le chantier Garibaldi en retard : "
        "nous proposons de régler en 4 mensualités.",
    )
    _demo_email_reply(
        env,
        _demo_ref(env, "invoice_garnier_1_demo"),
        "Bonjour,\n\nNous avons réglé 1 000 € aujourd'hui ; le solde suivra dès "
        "que notre client nous aura payés, d'ici trois semaines.\n\n"
        "Cordialement,\nSophie Garnier",
    )
    promise.action_relance_done()


def _demo_email_reply(env, move, body):
    """The customer's reply to the reminder email of ``move``, as a mail
    server hands it to Odoo: it lands in the reminder's chatter and is
    recorded as an answer."""
    mail = move.relance_event_ids.filtered(lambda e: e.channel == "email").mail_id[:1]
    if not mail:
        return
    customer = move.commercial_partner_id
    message = EmailMessage()
    message["From"] = formataddr((customer.name, customer.email))
    message["To"] = mail.reply_to or mail.email_from
    message["Subject"] = f"Re: {mail.subject}"
    message["Message-ID"] = make_msgid(domain=customer.email.split("@")[-1])
    message["In-Reply-To"] = mail.message_id
    message["References"] = mail.message_id
    message["Date"] = formatdate()
    message.set_content(body)
    env["mail.thread"].message_process(None, message.as_string())


def _uninstall_demo(env):
    """Posted demo invoices and their payments would keep the demo customers
    alive: reset and delete them with the module's other demo data."""
    demo = env["ir.model.data"].search(
        [
            ("module", "=", "relance_facture"),
            ("model", "in", ("account.move", "res.partner")),
        ]
    )
    moves = (
        env["account.move"]
        .browse(
            demo.filtered(lambda data: data.model == "account.move").mapped("res_id")
        )
        .exists()
    )
    partners = (
        env["res.partner"]
        .browse(
            demo.filtered(lambda data: data.model == "res.partner").mapped("res_id")
        )
        .exists()
    )
    company = env.ref(DEMO_COMPANY, raise_if_not_found=False)
    if company:
        # the admin opened the demo in its company: back to the main one, so
        # that Odoo can delete the demo company with the module's data
        main = env.ref("base.main_company")
        users = (
            env["res.users"]
            .with_context(active_test=False)
            .search([("company_ids", "in", company.ids)])
        )
        for user in users.filtered(lambda u: main in u.company_ids):
            user.write(
                {
                    "company_id": (
                        main if user.company_id == company else user.company_id
                    ).id,
                    "company_ids": [Command.unlink(company.id)],
                }
            )
    payments = env["account.payment"].search([("partner_id", "in", partners.ids)])
    payments.action_draft()
    payments.unlink()
    moves.filtered(lambda move: move.state == "posted").button_draft()
    moves.with_context(force_delete=True).unlink()
