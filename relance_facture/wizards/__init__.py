from . import relance_preview
from . import relance_preview_line
from . import relance_call_outcome
from . import relance_notice_tracking
from . import relance_payment_schedule
from . import relance_payment_schedule_line
