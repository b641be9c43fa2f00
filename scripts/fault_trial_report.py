"""Fault trial (scripts/fault_trial.py): the summary printed at the end."""

import json


def summary(result):
    book, params = result["book"], result["parameters"]
    lines = [
        "",
        f"Fault trial {result['date']} ({result['machine']['cpus']} CPUs, Odoo "
        f"{result['machine']['odoo']})"
        + (f", {params['source']}" if params["source"] else ""),
        f"Book: {book.get('customers')} customers x {params['invoices']} = "
        f"{book.get('invoices')} invoices, seed {params['seed']}, payment state "
        f"{book.get('payment_state')}, profiles {book.get('profiles')}",
        f"Code: {result['code']}",
    ]
    if result["business_days_off"]:
        lines.append("Today is not a business day: sending on any day for the trial")
    for scenario in result["scenarios"]:
        lines.append(
            f"{scenario['id']}. {scenario['name']}: "
            f"{'PASS' if scenario['pass'] else 'FAIL'} ({scenario['seconds']} s)"
            + ("" if scenario["requested"] else " [run for the others]")
        )
        if scenario["error"]:
            lines.append(f"   ERROR {scenario['error']}")
        lines += _figure_lines(scenario)
        for item in scenario["checks"]:
            lines.append(
                f"   {'PASS' if item['pass'] else 'FAIL'}  {item['name']}: "
                f"{item['value']}"
                + (f" (target {item['target']})" if item["target"] else "")
            )
            if not item["pass"] and item.get("detail"):
                detail = json.dumps(item["detail"], default=str)
                lines.append(f"         {detail[:600]}")
    failed = [str(s["id"]) for s in result["scenarios"] if not s["pass"]]
    lines.append(
        "Result: PASS"
        if result["pass"]
        else f"Result: FAIL (scenario(s) {', '.join(failed)})"
    )
    return "\n".join(lines)


def _figure_lines(scenario):
    fig = scenario["figures"]
    if not fig:
        return []
    if scenario["id"] == 1:
        run = fig["run"]
        return [
            f"   run {run.get('seconds')} s ({run.get('calls')} calls of the job, "
            f"{run.get('acquisitions')} acquisitions), {fig['events']} steps "
            f"{fig['events_by_state']} {fig['events_by_channel']}, "
            f"{fig['dispatches']} messages {fig['dispatches_by_state']}, "
            f"{fig['emails_queued']} emails queued, {fig['activities']} activities, "
            f"{fig['customers_reminded']} customers; "
            f"re-run {fig['rerun'].get('seconds')} s"
        ]
    if scenario["id"] == 2:
        return [
            f"   {fig['killed_mid_run']}/{len(fig['kills'])} kills mid-run "
            f"({fig['killed_after_a_commit']} after a commit of the run), delays "
            f"{[k['delay'] for k in fig['kills']]} s, steps after each kill "
            f"{[k['steps_after'] for k in fig['kills']]}; final run "
            f"{fig['final_run'].get('seconds')} s; Odoo's timeout guard tripped "
            f"{fig['timeout_guard']} time(s) (3 calls killed in a row: the job "
            "fails and waits for its next day; triggered again here); "
            f"{fig['events']} steps, "
            f"{fig['emails']} emails, {fig['activities']} activities (reference "
            f"{fig['reference_activities']})"
        ]
    if scenario["id"] == 3:
        return [f"   customers {json.dumps(fig['customers'])}"]
    if scenario["id"] == 4:
        return [
            f"   worker {fig['worker'].get('status')} "
            f"{fig['worker'].get('seconds')} s, "
            f"emulated {fig['emulated'].get('status')} "
            f"{fig['emulated'].get('seconds')} s, send now after "
            f"{fig['send_now']['delay']} s on customers {fig['send_now']['customers']}"
        ]
    return [
        f"   {fig['emails']} emails; SMTP down: {fig['mail_states_down']}; "
        f"SMTP up on 127.0.0.1:{fig['port']}: {fig['mail_states_up']}, "
        f"{fig['smtp_received']} received"
    ]
