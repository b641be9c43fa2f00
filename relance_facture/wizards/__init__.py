from . import relance_preview
from . import relance_preview_line
