from . import test_ladder_calendar
from . import test_daily_run
from . import test_recipients_channels
from . import test_manual_actions
from . import test_access
from . import test_performance
from . import test_penalties
from . import test_strictness
