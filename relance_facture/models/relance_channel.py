from odoo import api, models

# States a channel leaves a dispatch in once it tried to send it.
SEND_OUTCOMES = ("sent", "failed")


class RelanceChannel(models.AbstractModel):
    """The contract of a dunning channel.

    A channel receives dispatches that the planner (``relance.planner``)
    wrote in state ``planned``, all of its own channel, and sends them: each
    dispatch leaves in state ``sent`` or ``failed`` (with the reason in its
    ``note``). A channel never creates another channel's dispatches nor
    decides a fallback: the planner does. It may raise: the engine then
    rolls back the customer's dispatches and records the error as their
    failure, and the other customers go on.
    """

    _name = "relance.channel"
    _description = "Dunning Channel"

    # The ``relance.dispatch`` channel this handler sends.
    _relance_channel = None

    @api.model
    def _relance_send(self, dispatches):
        """Send ``dispatches`` (planned, of this channel); see the class."""
        raise NotImplementedError

    @api.model
    def _relance_fail(self, dispatches, reason):
        """Mark ``dispatches`` failed with ``reason``."""
        for dispatch in dispatches:
            dispatch.write({"state": "failed", "note": reason})
