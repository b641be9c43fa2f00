from . import relance_preview
from . import relance_preview_line
from . import relance_call_outcome
from . import relance_notice_tracking
