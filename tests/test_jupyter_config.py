"""jupyter_config/: what makes a lesson open unmodified (issue 23)."""

from __future__ import annotations

from pathlib import Path

from traitlets.config.loader import PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


def test_kernels_report_language_info_without_the_python_version():
    from ipykernel.ipkernel import IPythonKernel

    config = PyFileConfigLoader("ipython_kernel_config.py", str(ROOT / "jupyter_config")).load_config()
    kernel = config.IPKernelApp.kernel_class
    assert issubclass(kernel, IPythonKernel)
    expected = {key: value for key, value in IPythonKernel.language_info.items() if key != "version"}
    assert kernel.language_info == expected and "version" in IPythonKernel.language_info


def test_a_kernel_started_from_this_environment_stores_no_python_version(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1 + 1")])
    NotebookClient(notebook, kernel_name="python3", timeout=60).execute()
    assert notebook.metadata.language_info["name"] == "python"
    assert "version" not in notebook.metadata.language_info


def test_the_kernels_control_lock_exists_before_any_control_message():
    import asyncio

    config = PyFileConfigLoader("ipython_kernel_config.py", str(ROOT / "jupyter_config")).load_config()
    trait = config.IPKernelApp.kernel_class.class_traits()["_control_lock"]
    assert isinstance(trait.make_dynamic_default(), asyncio.Lock)  # ipykernel's own default: None
