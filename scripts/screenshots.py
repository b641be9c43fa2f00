#!/usr/bin/env python3
"""Screenshots of the main screens, from a running demo server.

    python3 scripts/screenshots.py --url http://127.0.0.1:PORT --db DB --out DIR

Logs in as admin/admin with requests, hands the session cookie to a headless
Chromium through the DevTools protocol (websocket-client), opens each screen,
waits for it, and writes DIR/<name>.png. Serve the demo database first, e.g.
``./scripts/demo.sh --port PORT``.
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

CLICK_TAB = """(() => {{
    const tab = [...document.querySelectorAll('.o_notebook .nav-link')]
        .find(a => a.textContent.trim() === {label});
    if (tab) {{ tab.click(); return true; }}
    return false;
}})()"""


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
    page = session.get(f"{url}/web/login", params={"db": db}).text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
    response = session.post(
        f"{url}/web/login",
        data={"login": "admin", "password": "admin", "csrf_token": csrf, "db": db},
    )
    response.raise_for_status()
    return session.cookies["session_id"]


def main(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--url", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--out", required=True)
    parser.add_argument("--invoice", type=int, required=True)
    parser.add_argument("--customer", type=int, required=True)
    args = parser.parse_args(argv)
    os.makedirs(args.out, exist_ok=True)
    sid = login(args.url, args.db)
    browser = Browser()
    browser.call("Network.enable")
    browser.call(
        "Network.setCookie",
        name="session_id",
        value=sid,
        domain=urlparse(args.url).hostname,
        path="/",
    )
    action = f"{args.url}/odoo/action-relance_facture"
    shots = [
        ("workspace", f"{action}.relance_workspace_action", ".o_kanban_record", None),
        (
            "customers_by_stage",
            f"{action}.res_partner_action_relance_stage",
            ".o_kanban_group .o_kanban_record",
            None,
        ),
        (
            "invoice_dunning_tab",
            f"{args.url}/odoo/action-account.action_move_out_invoice_type/{args.invoice}",
            ".o_form_view .o_notebook",
            "Dunning",
        ),
        (
            "customer_statistics",
            f"{args.url}/odoo/action-account.res_partner_action_customer/{args.customer}",
            ".o_form_view .o_notebook",
            "Dunning",
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
        for name, url, ready, tab in shots:
            browser.call("Page.navigate", url=url)
            time.sleep(1)
            browser.wait(ready)
            if tab:
                browser.evaluate(CLICK_TAB.format(label=json.dumps(tab)))
            time.sleep(2)
            path = os.path.join(args.out, f"{name}.png")
            browser.shot(path)
            print(path)
    finally:
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
