from . import ladder
from . import penalty
from . import holidays
from . import call_hours
from . import prescription
from . import memo
