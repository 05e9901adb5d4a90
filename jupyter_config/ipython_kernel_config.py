# Installed into <environment>/etc/ipython/ by `pip install` of this project,
# so every IPython kernel started from the environment reads it: JupyterLab's,
# nbval's and a conda environment's alike.
#
# TensorFlow writes its oneDNN and CPU-feature lines straight to file
# descriptor 2 while it is imported, before its logging is configured, so
# TF_CPP_MIN_LOG_LEVEL cannot silence them. By default ipykernel forwards
# that descriptor into the notebook, where a student sees a red block.
# With fd capture off, C-level output stays in the terminal that started
# Jupyter. Python-level output (print, warnings, tracebacks) still reaches
# the notebook as usual.
import os

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file
c.IPKernelApp.capture_fd_output = False

# Quieten TensorFlow's C++ logging that happens after import (terminal only).
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
