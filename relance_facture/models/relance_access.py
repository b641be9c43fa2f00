"""Who may do what: the addon's two roles, checked by the actions that change
the dunning history (the history itself is written by those actions only)."""

from odoo.exceptions import AccessError

RELANCE_USER = "relance_facture.group_relance_user"
RELANCE_MANAGER = "relance_facture.group_relance_manager"


def check_relance_user(env):
    """Dunning User: works the day (sends, logs calls, records answers)."""
    if not env.su and not env.user.has_group(RELANCE_USER):
        raise AccessError(
            env._("Only Dunning Users can do this (Settings › Users › Dunning).")
        )


def check_relance_manager(env):
    """Dunning Manager: validates formal notices and escalations, configures."""
    if not env.su and not env.user.has_group(RELANCE_MANAGER):
        raise AccessError(
            env._(
                "Only Dunning Managers can validate or send formal notices and "
                "escalations (Settings › Users › Dunning)."
            )
        )


def check_user_writes(records, vals, allowed):
    """Users write only ``allowed`` fields of the history by hand; states,
    dates and amounts are written by the dunning actions, after their checks."""
    if records.env.su:
        return
    records.check_access("write")
    forbidden = set(vals) - set(allowed)
    if forbidden:
        raise AccessError(
            records.env._(
                "The dunning history cannot be edited (%(fields)s): use the "
                "actions of the dunning steps.",
                fields=", ".join(
                    sorted(
                        records._fields[f].get_description(records.env)["string"]
                        for f in forbidden
                        if f in records._fields
                    )
                ),
            )
        )
