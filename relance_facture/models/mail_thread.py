from odoo import models

# Headers of automatic replies (RFC 3834 and the usual vendor ones).
AUTO_REPLY_PRECEDENCE = ("auto_reply", "bulk", "junk", "list")


def is_auto_reply(message):
    """An out-of-office or other automatic answer, not the customer's."""
    auto_submitted = (message.get("Auto-Submitted") or "no").strip().lower()
    precedence = (message.get("Precedence") or "").strip().lower()
    return bool(
        auto_submitted != "no"
        or message.get("X-Autoreply")
        or message.get("X-Autorespond")
        or precedence in AUTO_REPLY_PRECEDENCE
    )


class MailThread(models.AbstractModel):
    _inherit = "mail.thread"

    def _message_route_process(self, message, message_dict, routes):
        # EXTENDS mail: an automatic reply to a reminder lands in its chatter
        # but is no answer of the customer (it pauses nothing)
        threads = (
            self.with_context(relance_auto_reply=True)
            if is_auto_reply(message)
            else self
        )
        return super(MailThread, threads)._message_route_process(
            message, message_dict, routes
        )
