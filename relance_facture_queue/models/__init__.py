from . import queue_job
from . import relance_engine
from . import relance_workspace
from . import res_config_settings
