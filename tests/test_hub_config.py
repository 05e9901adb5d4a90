"""The shipped JupyterHub configuration and the Zero to JupyterHub values file, read
without starting anything (the hub itself is tested in tests/hub, `make test-hub`)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from traitlets.config import Config, PyFileConfigLoader

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    monkeypatch.setenv("SOFTMAX_HUB_STATE", str(tmp_path))
    (tmp_path / "password").write_text("a-long-shared-password\n")
    return PyFileConfigLoader("jupyterhub_config.py", path=str(ROOT / "hub")).load_config()


def test_shipped_hub_listens_on_loopback_only_and_asks_for_the_shared_password(shipped: Config):
    assert shipped.JupyterHub.ip == "127.0.0.1"
    assert shipped.JupyterHub.hub_ip == "127.0.0.1"
    assert shipped.Spawner.ip == "127.0.0.1"
    assert shipped.ConfigurableHTTPProxy.api_url.startswith("http://127.0.0.1:")
    assert shipped.JupyterHub.authenticator_class == "shared-password"
    assert shipped.SharedPasswordAuthenticator.user_password == "a-long-shared-password"


DUMMY_CHOSEN = re.compile(r"authenticator_class\W+(dummy|jupyterhub\.auth\.DummyAuthenticator)\b")


def test_no_shipped_file_chooses_the_dummy_authenticator():
    shipped_files = [ROOT / "hub" / "jupyterhub_config.py", ROOT / "hub" / "run_hub.py",
                     *sorted((ROOT / "deploy").glob("*"))]
    for path in shipped_files:
        assert not DUMMY_CHOSEN.search(path.read_text()), path
    # The pattern does find the trial configuration, which only the tests and the benchmark load.
    assert DUMMY_CHOSEN.search((ROOT / "hub" / "classroom.py").read_text())


def test_students_servers_cull_idle_kernels_and_stop_when_unused(shipped: Config):
    args = dict(a.lstrip("-").split("=", 1) for a in shipped.Spawner.args if "=" in a)
    assert int(args["MappingKernelManager.cull_idle_timeout"]) > 0
    assert args["MappingKernelManager.cull_connected"] == "True"
    assert int(args["ServerApp.shutdown_no_activity_timeout"]) > 0
    assert ("--allow-root" in shipped.Spawner.args) == (os.geteuid() == 0)


def test_zero_to_jupyterhub_values_are_valid_yaml_with_image_memory_and_culling():
    values = yaml.safe_load((ROOT / "deploy" / "z2jh-values.yaml").read_text())
    singleuser = values["singleuser"]
    assert singleuser["image"]["name"] and singleuser["image"]["tag"]
    guarantee, limit = singleuser["memory"]["guarantee"], singleuser["memory"]["limit"]
    in_mb = {"M": 1, "G": 1024}
    assert 0 < int(guarantee[:-1]) * in_mb[guarantee[-1]] < int(limit[:-1]) * in_mb[limit[-1]]
    assert values["cull"]["enabled"] is True and values["cull"]["timeout"] > 0
    assert values["hub"]["config"]["JupyterHub"]["authenticator_class"] != "dummy"
