from . import report_relance_letter
