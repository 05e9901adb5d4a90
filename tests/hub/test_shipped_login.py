"""The hub as `make hub` ships it: the login form takes the shared password and nothing else."""

from __future__ import annotations

import http.cookiejar
import os
import re
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hub"))
from classroom import CONFIG, PROXY, free_port  # noqa: E402

pytestmark = pytest.mark.skipif(
    not PROXY.exists(), reason="configurable-http-proxy is not installed: run `make test-hub` (npm ci in hub/)")

PASSWORD = "correct-horse-battery"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@pytest.fixture(scope="module")
def shipped_hub(tmp_path_factory):
    state = tmp_path_factory.mktemp("shipped-hub")
    (state / "password").write_text(PASSWORD + "\n")
    port = free_port()
    env = dict(os.environ, SOFTMAX_HUB_STATE=str(state), SOFTMAX_HUB_PORT=str(port),
               SOFTMAX_HUB_API_PORT=str(free_port()), SOFTMAX_HUB_PROXY_API_PORT=str(free_port()))
    with open(state / "hub.log", "wb") as log:
        hub = subprocess.Popen([str(Path(sys.executable).parent / "jupyterhub"), "-f", str(CONFIG)],
                               cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and hub.poll() is None:
        try:
            urllib.request.urlopen(f"{base}/hub/login", timeout=2).close()
            break
        except (urllib.error.URLError, OSError):
            time.sleep(0.5)
    else:
        hub.kill()
        pytest.fail("the shipped hub did not start:\n" + (state / "hub.log").read_text()[-3000:])
    yield base
    hub.terminate()
    hub.wait(timeout=60)


def log_in(base: str, name: str, password: str) -> int:
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)
    page = opener.open(f"{base}/hub/login", timeout=30).read().decode()
    xsrf = re.search(r'name="_xsrf" value="([^"]+)"', page).group(1)
    form = urllib.parse.urlencode({"username": name, "password": password, "_xsrf": xsrf}).encode()
    try:
        return opener.open(f"{base}/hub/login", data=form, timeout=30).status
    except urllib.error.HTTPError as answer:
        return answer.code


def test_the_shared_password_logs_a_student_in(shipped_hub):
    assert log_in(shipped_hub, "alice", PASSWORD) == 302  # on to her server


def test_a_wrong_or_empty_password_is_refused(shipped_hub):
    assert log_in(shipped_hub, "mallory", "not-the-password") == 403
    assert log_in(shipped_hub, "mallory", "") == 403
