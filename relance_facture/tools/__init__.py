from . import ladder
