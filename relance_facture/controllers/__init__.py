from . import relance_portal
