#!/usr/bin/env python3
"""Screenshots of the main screens, from a running demo server.

    python3 scripts/screenshots.py --url http://127.0.0.1:PORT --db DB --out DIR
        [--invoice ID] [--customer ID] [--validate-notice]

Logs in as admin/admin with requests, hands the session cookie to a headless
Chromium through the DevTools protocol (websocket-client), opens each screen,
waits for it, and writes DIR/<name>.png, in the admin's language (French in
the demo). Serve the demo database first, e.g. ``./scripts/demo.sh --port
PORT``. The invoice and the customer shown default to the demo's Bâtiment
Moreau, whose formal notice waits for validation.

--validate-notice also validates that formal notice and writes the first page
of its letter as DIR/formal_notice.png (pdftoppm): the database changes, so
take the screenshots on a demo of their own, e.g.
``RELANCE_DEMO_DB=relance_shots ./scripts/demo.sh --reset --port PORT``.
"""

import argparse
import base64
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from urllib.parse import urlparse

import requests
import websocket

# Clicks the element matched by {selector} (a notebook tab).
CLICK = """(() => {{
    const element = document.querySelector({selector});
    if (element) {{ element.click(); return true; }}
    return false;
}})()"""
# The Dunning tab of a form, whatever the language of its title.
DUNNING_TAB = '.o_notebook .nav-link[name="relance"]'
# The notebook at the top of the screen, smaller, once its tab is shown: the
# whole Dunning tab in sight.
SCROLL_TO_NOTEBOOK = """document.body.style.zoom = '0.8';
setTimeout(() => document.querySelector('.o_notebook').scrollIntoView(), 700);
true"""
# Every filter of the search bar removed (the list shows all its records).
CLEAR_FILTERS = """(() => {
    document.querySelectorAll('.o_searchview_facet .o_facet_remove')
        .forEach(button => button.click());
    return true;
})()"""
# The demo invoice shown when none is given (xml id in relance_facture).
DEMO_INVOICE = "invoice_moreau_1_demo"


class Browser:
    def __init__(self, size=(1400, 900), port=9333):
        self.profile = tempfile.mkdtemp(prefix="relance_shots_")
        binary = shutil.which("chromium") or shutil.which("google-chrome")
        self.proc = subprocess.Popen(
            [
                binary,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--hide-scrollbars",
                f"--remote-debugging-port={port}",
                f"--user-data-dir={self.profile}",
                f"--window-size={size[0]},{size[1]}",
                "about:blank",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _i in range(50):
            try:
                tabs = requests.get(f"http://127.0.0.1:{port}/json", timeout=1).json()
                break
            except requests.RequestException:
                time.sleep(0.2)
        page = next(t for t in tabs if t["type"] == "page")
        self.ws = websocket.create_connection(page["webSocketDebuggerUrl"])
        self.next_id = 0
        self.call(
            "Emulation.setDeviceMetricsOverride",
            width=size[0],
            height=size[1],
            deviceScaleFactor=1,
            mobile=False,
        )

    def call(self, method, **params):
        self.next_id += 1
        self.ws.send(
            json.dumps({"id": self.next_id, "method": method, "params": params})
        )
        while True:
            message = json.loads(self.ws.recv())
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})

    def evaluate(self, expression):
        result = self.call(
            "Runtime.evaluate", expression=expression, returnByValue=True
        )
        return result.get("result", {}).get("value")

    def wait(self, selector, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.evaluate(f"!!document.querySelector({json.dumps(selector)})"):
                return
            time.sleep(0.3)
        raise TimeoutError(selector)

    def shot(self, path):
        data = self.call("Page.captureScreenshot", format="png")["data"]
        with open(path, "wb") as f:
            f.write(base64.b64decode(data))

    def close(self):
        self.ws.close()
        self.proc.terminate()
        self.proc.wait(timeout=10)
        shutil.rmtree(self.profile, ignore_errors=True)


def login(url, db):
    session = requests.Session()
    page = session.get(f"{url}/web/login", params={"db": db}, timeout=60).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{url}/web/login",
        data={"login": "admin", "password": "admin", "csrf_token": csrf, "db": db},
        timeout=60,
    )
    response.raise_for_status()
    return session


def call(session, url, model, method, *args, **kwargs):
    """A method of a model, through the web client's JSON-RPC route."""
    response = session.post(
        f"{url}/web/dataset/call_kw/{model}/{method}",
        json={
            "jsonrpc": "2.0",
            "method": "call",
            "params": {
                "model": model,
                "method": method,
                "args": args,
                "kwargs": kwargs,
            },
        },
        timeout=300,
    )
    response.raise_for_status()
    body = response.json()
    if "error" in body:
        raise RuntimeError(f"{model}.{method}: {body['error']['data']['message']}")
    return body["result"]


def demo_id(session, url, name):
    rows = call(
        session,
        url,
        "ir.model.data",
        "search_read",
        [("module", "=", "relance_facture"), ("name", "=", name)],
        ["res_id"],
    )
    if not rows:
        raise SystemExit(
            f"relance_facture.{name} not found: serve the demo database or give "
            "--invoice and --customer"
        )
    return rows[0]["res_id"]


def formal_notice(session, url, invoice, out):
    """Validate the formal notice of ``invoice`` waiting for validation and
    write the first page of its letter as out/formal_notice.png."""
    events = call(
        session,
        url,
        "relance.event",
        "search",
        [
            ("move_id", "=", invoice),
            ("state", "=", "draft"),
            ("kind", "=", "formal_notice"),
        ],
    )
    if not events:
        raise SystemExit(
            f"invoice {invoice} has no formal notice waiting for validation"
        )
    # as the web client would: in the user's language and timezone
    info = session.post(
        f"{url}/web/session/get_session_info",
        json={"jsonrpc": "2.0", "method": "call", "params": {}},
        timeout=60,
    ).json()["result"]
    call(
        session,
        url,
        "relance.event",
        "action_validate",
        events,
        context=info["user_context"],
    )
    letters = call(
        session,
        url,
        "relance.dispatch",
        "search",
        [("event_ids", "in", events), ("channel", "=", "formal_notice")],
    )
    response = session.get(
        f"{url}/report/pdf/relance_facture.report_mise_en_demeure/{letters[0]}",
        timeout=300,
    )
    response.raise_for_status()
    with tempfile.TemporaryDirectory() as tmp:
        pdf = os.path.join(tmp, "letter.pdf")
        with open(pdf, "wb") as f:
            f.write(response.content)
        # A4 at 80 dpi: 662 x 936
        subprocess.run(
            [
                "pdftoppm",
                "-png",
                "-r",
                "80",
                "-f",
                "1",
                "-l",
                "1",
                "-singlefile",
                pdf,
                os.path.join(tmp, "page"),
            ],
            check=True,
        )
        path = os.path.join(out, "formal_notice.png")
        shutil.move(os.path.join(tmp, "page.png"), path)
    return path


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument(
        "--invoice", type=int, help="default: the demo's Bâtiment Moreau"
    )
    parser.add_argument("--customer", type=int, help="default: the invoice's customer")
    parser.add_argument(
        "--validate-notice",
        action="store_true",
        help="validate the invoice's formal notice and take its letter (changes the "
        "database)",
    )
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    session = login(args.url, args.db)
    invoice = args.invoice or demo_id(session, args.url, DEMO_INVOICE)
    customer = (
        args.customer
        or call(
            session,
            args.url,
            "account.move",
            "read",
            [invoice],
            ["commercial_partner_id"],
        )[0]["commercial_partner_id"][0]
    )
    browser = Browser()
    browser.call("Network.enable")
    browser.call(
        "Network.setCookie",
        name="session_id",
        value=session.cookies["session_id"],
        domain=urlparse(args.url).hostname,
        path="/",
    )
    action = f"{args.url}/odoo/action-relance_facture"
    # (name, url, selector of the screen ready, script to run then)
    shots = [
        ("workspace", f"{action}.relance_workspace_action", ".o_kanban_record", None),
        (
            "customers_by_stage",
            f"{action}.res_partner_action_relance_stage",
            ".o_kanban_group .o_kanban_record",
            # five stages in sight, up to the formal notices to validate
            "document.body.style.zoom = '0.8'",
        ),
        (
            "invoice_dunning_tab",
            f"{args.url}/odoo/action-account.action_move_out_invoice_type/{invoice}",
            ".o_form_view .o_notebook",
            CLICK.format(selector=json.dumps(DUNNING_TAB)) + ";" + SCROLL_TO_NOTEBOOK,
        ),
        (
            "customer_statistics",
            f"{args.url}/odoo/action-account.res_partner_action_customer/{customer}",
            ".o_form_view .o_notebook",
            CLICK.format(selector=json.dumps(DUNNING_TAB)),
        ),
        (
            "customer_answers",
            f"{action}.relance_answer_action",
            ".o_list_view .o_data_row",
            CLEAR_FILTERS,
        ),
        (
            "history_graph",
            f"{action}.relance_event_action?view_type=graph",
            ".o_graph_view canvas",
            None,
        ),
        (
            "ageing_pivot",
            f"{action}.relance_ageing_report_action",
            ".o_pivot_view .o_pivot",
            None,
        ),
    ]
    try:
        for name, url, ready, script in shots:
            browser.call("Page.navigate", url=url)
            time.sleep(1)
            browser.wait(ready)
            if script:
                browser.evaluate(script)
            time.sleep(2)
            path = os.path.join(args.out, f"{name}.png")
            browser.shot(path)
            print(path)
    finally:
        browser.close()
    if args.validate_notice:
        print(formal_notice(session, args.url, invoice, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
