from . import ladder
from . import penalty
