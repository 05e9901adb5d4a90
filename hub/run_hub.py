"""Start a local JupyterHub for trying a Softmax Lab class (`make hub`).

Makes the students' repository first (build/student-repo, as `make student-repo`
does: lessons, helpers, unsolved exercises, no solution), generates the shared
password once (build/hub/password, owner-readable only), starts JupyterHub with
hub/jupyterhub_config.py, waits until it answers, then prints how to log in and
the one link students get, which pulls that repository. Ctrl+C stops the hub,
its proxy and every student's server.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

HUB = Path(__file__).resolve().parent
sys.path.insert(0, str(HUB))
from classroom import ROOT, git_pull_link  # noqa: E402

STATE = Path(os.environ.get("SOFTMAX_HUB_STATE", ROOT / "build" / "hub"))
STUDENT_REPO = ROOT / "build" / "student-repo"  # `make student-repo DIR=build/student-repo`
PORT = int(os.environ.get("SOFTMAX_HUB_PORT", "8000"))
START_SECONDS = 120  # a busy 2-core machine took 30 s


def shared_password() -> str:
    STATE.mkdir(parents=True, exist_ok=True)
    path = STATE / "password"
    if not path.exists():
        path.touch(mode=0o600)
        path.write_text(secrets.token_urlsafe(12) + "\n")
    return path.read_text().strip()


def student_repository() -> Path | None:
    """Make (or update) build/student-repo, what students pull: no solution, no instructor/."""
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "student_repo.py"), str(STUDENT_REPO)],
                         capture_output=True, text=True)
    print(run.stdout.strip())
    return STUDENT_REPO if run.returncode == 0 else None


def wait_until_up(process: subprocess.Popen, url: str) -> bool:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    return False


def main() -> int:
    proxy = HUB / "node_modules" / ".bin" / "configurable-http-proxy"
    if not proxy.exists():
        print("configurable-http-proxy is missing: run `make hub` (it runs `npm ci` in hub/).")
        return 1
    repository = student_repository()
    if repository is None:
        print("No link for students: their repository could not be made (see above).")
        return 1
    password = shared_password()
    env = dict(os.environ, SOFTMAX_HUB_STATE=str(STATE), SOFTMAX_HUB_PORT=str(PORT))
    hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"),
                            "-f", str(HUB / "jupyterhub_config.py")], cwd=STATE, env=env)
    base = f"http://127.0.0.1:{PORT}"
    try:
        if not wait_until_up(hub, f"{base}/hub/health"):
            print(f"JupyterHub did not answer at {base} within {START_SECONDS} s; its log is above.")
            hub.terminate()
            return 1
        link = git_pull_link(base, f"file://{repository}", "main")
        print(f"""
============================================================================
 Softmax Lab's JupyterHub is running on this machine only: {base}/

 First login: open {base}/ and sign in with ANY user name
 (each name gets its own home under {STATE / 'homes'})
 and the shared password:  {password}
 (kept in {STATE / 'password'}; delete that file for a new one)

 The link students get (nbgitpuller copies the students' repository into
 their home, then opens lesson 00). Here it pulls {repository}
 (lessons, helpers, unsolved exercises: no solution, no instructor/),
 made by `make student-repo`; a real class pushes that repository
 somewhere the hub can reach and uses the link in docs/hub.md:
   {link}

 Stop with Ctrl+C: the hub stops every student's server too.
============================================================================
""", flush=True)
        return hub.wait()
    except KeyboardInterrupt:
        hub.send_signal(signal.SIGTERM)
        try:
            return hub.wait(timeout=30)
        except subprocess.TimeoutExpired:
            hub.kill()
            return 1


if __name__ == "__main__":
    sys.exit(main())
