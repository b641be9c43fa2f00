from . import tools
from . import models
from . import wizards
from .hooks import pre_init_hook, post_init_hook
