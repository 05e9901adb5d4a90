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

# Two workarounds, in the kernel class below. Kernels read this file when they
# start (JupyterLab's, nbval's, the hub's), so both hold wherever lessons run.
#
# 1. JupyterLab writes the kernel's language_info into a notebook when its kernel
#    starts, and marks the notebook modified when that differs from what the file
#    holds (jupyter/notebook#2123, still so in JupyterLab 4.6). The lessons were
#    stored by one Python (3.11.7), so on 3.11.9, 3.12 or 3.13 every lesson opened
#    modified and closing it asked to save. Their outputs are the same on every
#    supported Python, so this kernel leaves the Python version out of
#    language_info: the lessons store none, and opening one changes nothing.
# 2. ipykernel 6.31 listens on the control channel before it makes the lock that
#    channel's messages wait for (ipython/ipykernel#1567), so a message that comes
#    first, as JupyterLab's do right after Restart Kernel, printed a traceback
#    ending in "TraitError: The '_control_lock' trait ... expected a Lock, not the
#    NoneType None" in the terminal. Here the lock exists from the start.
import asyncio  # noqa: E402

from ipykernel.ipkernel import IPythonKernel  # noqa: E402
from traitlets import Instance  # noqa: E402


class SuiteKernel(IPythonKernel):
    """IPython's kernel: language_info without the Python version, a control lock from the start."""

    language_info = {key: value for key, value in IPythonKernel.language_info.items() if key != "version"}
    _control_lock = Instance(asyncio.Lock, args=())


c.IPKernelApp.kernel_class = SuiteKernel
