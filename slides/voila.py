# Voilà's configuration for `make present`: tools/slides.py passes this folder to
# Voilà (--Voila.config_file_paths), which reads this file. The rest of the
# settings are on Voilà's command line in tools/slides.py (voila_command).
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tools"))
import slides as softmax_slides  # noqa: E402 - tools/slides.py

c = get_config()  # noqa: F821 - provided by traitlets when it reads this file
# Before each page's kernel starts: the _xsrf cookie (voila-dashboards/voila#1458)
# and the scripted scenarios' buttons (see tools/slides.py, prelaunch).
c.VoilaConfiguration.prelaunch_hook = softmax_slides.prelaunch
