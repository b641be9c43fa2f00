from . import report_relance_letter
from . import report_mise_en_demeure
from . import report_declaration_creance
