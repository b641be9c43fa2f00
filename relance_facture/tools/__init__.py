from . import ladder
from . import penalty
from . import holidays
