# JupyterHub configuration for a local trial of a Softmax Lab class (`make hub`).
#
# - Everything binds to 127.0.0.1: the hub, its proxy, and every student's server.
# - Students log in with any user name and the shared password that `make hub`
#   generates (build/hub/password, readable by its owner only). The password is
#   never empty and nothing here lets anyone in beyond this machine.
# - Each student's server is the suite's own JupyterLab (.venv/bin/jupyterhub-singleuser),
#   started in a home of its own under build/hub/homes/<name>.
# - Idle kernels are shut down, and so is a server nobody has used for an hour;
#   see SERVER_ARGS below and docs/hub.md.
#
# The benchmark and the tests load this file and then swap in JupyterHub's
# DummyAuthenticator (see hub/classroom.py); nothing shipped for use does.
import os
import sys
from pathlib import Path

from jupyterhub.spawner import SimpleLocalProcessSpawner

ROOT = Path(__file__).resolve().parent.parent
STATE = Path(os.environ.get("SOFTMAX_HUB_STATE", ROOT / "build" / "hub"))
VENV_BIN = Path(sys.executable).parent  # the hub runs from the suite's .venv
PORT = int(os.environ.get("SOFTMAX_HUB_PORT", "8000"))
# The hub's own API and the proxy's API: the two ports after the public one.
HUB_PORT = int(os.environ.get("SOFTMAX_HUB_API_PORT", str(PORT + 1)))
PROXY_API_PORT = int(os.environ.get("SOFTMAX_HUB_PROXY_API_PORT", str(PORT + 2)))

# Culling, chosen from the measurement in docs/classroom.md: an open lesson's
# kernel keeps about 0.3-0.7 GB after its last cell, and does not give it back.
KERNEL_IDLE_SECONDS = 20 * 60   # a kernel idle this long is shut down, tab open or not
SERVER_IDLE_SECONDS = 60 * 60   # a server with no activity this long stops itself
SERVER_ARGS = [
    f"--MappingKernelManager.cull_idle_timeout={KERNEL_IDLE_SECONDS}",
    "--MappingKernelManager.cull_interval=60",
    "--MappingKernelManager.cull_connected=True",
    "--MappingKernelManager.cull_busy=False",
    f"--ServerApp.shutdown_no_activity_timeout={SERVER_IDLE_SECONDS}",
]
if os.geteuid() == 0:  # containers and CI run as root; Jupyter refuses unless told
    SERVER_ARGS.append("--allow-root")

c = get_config()  # noqa: F821 - provided by traitlets when it loads this file

STATE.mkdir(parents=True, exist_ok=True)
(STATE / "homes").mkdir(exist_ok=True)

# ---------------------------------------------------------------- the hub and its proxy
c.JupyterHub.ip = "127.0.0.1"
c.JupyterHub.port = PORT
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = HUB_PORT
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PROXY_API_PORT}"
c.ConfigurableHTTPProxy.command = [str(ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy")]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.JupyterHub.cleanup_servers = True  # stopping the hub stops every student's server

# ---------------------------------------------------------------- logging in
c.JupyterHub.authenticator_class = "shared-password"
password_file = STATE / "password"
if password_file.exists():
    c.SharedPasswordAuthenticator.user_password = password_file.read_text().strip()
c.Authenticator.allow_all = True  # any name, but only with the shared password

# ---------------------------------------------------------------- students' servers
class StudentServerSpawner(SimpleLocalProcessSpawner):
    """One process per student, as this user, stopped with SIGTERM.

    The stock spawner sends SIGINT first. A server with no terminal takes that as a plain
    KeyboardInterrupt and exits without shutting its kernels down; they linger until they see
    their parent gone, which they notice only if re-parented to PID 1 (not under a subreaper
    such as systemd --user, where each would keep its 0.3-0.7 GB). SIGTERM is the server's
    own clean stop: it shuts its kernels down, then exits (SIGKILL after term_timeout).
    """

    async def stop(self, now=False):
        await super().stop(now=True)  # now=True: skip the SIGINT, start with SIGTERM


c.JupyterHub.spawner_class = StudentServerSpawner
c.Spawner.ip = "127.0.0.1"
c.Spawner.cmd = [str(VENV_BIN / "jupyterhub-singleuser")]
c.Spawner.args = SERVER_ARGS
c.Spawner.default_url = "/lab"
c.Spawner.environment = {
    # Kernels import lab_utils from the repository: keep __pycache__ out of it.
    "PYTHONDONTWRITEBYTECODE": "1",
    "PATH": f"{VENV_BIN}{os.pathsep}{os.environ.get('PATH', '/usr/bin:/bin')}",
}
c.SimpleLocalProcessSpawner.home_dir_template = str(STATE / "homes" / "{username}")


def close_tab_frees_memory(spawner):
    """Closing a lesson's tab shuts its kernel down (JupyterLab's kernelShutdown setting,
    written into the student's own settings once: a student may turn it off again)."""
    settings = Path(spawner.home_dir, ".jupyter", "lab", "user-settings", "@jupyterlab",
                    "notebook-extension", "tracker.jupyterlab-settings")
    if not settings.exists():
        settings.parent.mkdir(parents=True, exist_ok=True)
        settings.write_text('{\n  "kernelShutdown": true\n}\n')


c.Spawner.pre_spawn_hook = close_tab_frees_memory
# A 2-core machine starting several students at once can take a while.
c.Spawner.start_timeout = 180
c.Spawner.http_timeout = 180
