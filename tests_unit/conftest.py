"""Let the unit tests import the addon's pure helpers without Odoo.

`import relance_facture.tools.penalty` would run relance_facture/__init__.py,
which imports Odoo. An empty package of the same name, pointing at the addon's
folder, gives the same import paths (relative imports inside tools/ included)
without running that file. RELANCE_ADDON_PARENT picks another copy of the addon.
"""

import os
import sys
import types
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ADDON_DIR = Path(os.environ.get("RELANCE_ADDON_PARENT") or ROOT) / "relance_facture"

package = types.ModuleType("relance_facture")
package.__path__ = [str(ADDON_DIR)]
sys.modules.setdefault("relance_facture", package)
