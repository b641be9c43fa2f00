from . import report_mise_en_demeure
