"""A trial class on a real JupyterHub, for the benchmark and the tests.

Used by benchmarks/bench_classroom.py (`make bench-classroom`) and tests/hub/.
It starts JupyterHub with the shipped hub/jupyterhub_config.py plus a service
token, because the students here are simulated. The tests keep the shipped
login (the shared password); the benchmark swaps in JupyterHub's
DummyAuthenticator. Everything stays on 127.0.0.1, every wait has a time limit,
and stopping the hub is checked to leave no process behind.

- TrialHub: start and stop a hub; add students, start their servers, give each
  student a token of their own (their login through the hub's REST API).
- run_notebook: Restart & Run All of one notebook in a student's server, over the
  kernel websocket, as JupyterLab does; stops at the first error, like JupyterLab.
- server_memory: PSS / USS / RSS of a student's server plus its kernels.
"""

from __future__ import annotations

import asyncio
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / "hub" / "jupyterhub_config.py"
PROXY = ROOT / "hub" / "node_modules" / ".bin" / "configurable-http-proxy"
SUITE_FOLDER = "softmax-lab"  # where each student's copy lives in their home
START_PAGE = "notebooks/00_start_here.ipynb"


def lessons(folder: Path = ROOT / "notebooks") -> list[Path]:
    """The numbered lessons, in order (notebooks/NN_*.ipynb)."""
    return sorted(folder.glob("[0-9][0-9]_*.ipynb"))


def code_cells(path: Path) -> list[tuple[int, str, list[str]]]:
    """(index, source, tags) of every code cell of a notebook, read as plain JSON: nbformat
    would import jsonschema, about 1.5 s of CPU in every process that runs this."""
    cells = json.loads(Path(path).read_text())["cells"]
    return [(index, "".join(cell["source"]), cell.get("metadata", {}).get("tags", []))
            for index, cell in enumerate(cells) if cell["cell_type"] == "code"]


def model_fits(path: Path) -> int:
    return sum(source.count(".fit(") for _, source, _ in code_cells(path))


def heaviest_lesson(paths: list[Path]) -> Path:
    """The lesson that trains the most Keras models (calls to `.fit(`); ties go to
    the one with the most code. Training is what takes a lesson's time and memory."""
    def code_size(path):
        return sum(len(source) for _, source, _ in code_cells(path))
    return max(paths, key=lambda p: (model_fits(p), code_size(p)))


def git_pull_link(base: str, repo: str, branch: str) -> str:
    """The nbgitpuller link: copy `repo` into ~/softmax-lab, then open lesson 00."""
    query = urllib.parse.urlencode({
        "repo": repo, "branch": branch, "targetpath": SUITE_FOLDER,
        "urlpath": f"lab/tree/{SUITE_FOLDER}/{START_PAGE}",
    })
    return f"{base}/hub/user-redirect/git-pull?{query}"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# Loaded after the shipped configuration: a service token that creates the simulated
# students, logs them in (a token each) and starts their servers, and the shipped spawner
# with quicker looks at whether a server has started or stopped.
TRIAL_CONFIG = """\
import asyncio
import os
import time
load_subconfig({config!r})
assert c.JupyterHub.ip == "127.0.0.1" and c.Spawner.ip == "127.0.0.1"


class TrialSpawner(c.JupyterHub.spawner_class):
    \"\"\"The shipped spawner, looking every 0.1 s whether a new server listens and whether a
    stopped one is gone. JupyterHub's own waits back off to 5 s between looks, which left
    the hub idle for seconds after each server had started and after the last had stopped.\"\"\"

    async def start(self):
        ip, port = await super().start()
        deadline = time.monotonic() + self.http_timeout
        while await self.poll() is None and time.monotonic() < deadline:
            try:
                _, writer = await asyncio.open_connection(ip, port)
            except OSError:
                await asyncio.sleep(0.1)
            else:
                writer.close()
                break
        return ip, port  # the hub then checks the server's API, as for any spawner

    async def wait_for_death(self, timeout=10):
        deadline = time.monotonic() + timeout
        while await self.poll() is None:
            if time.monotonic() > deadline:
                return False
            await asyncio.sleep(0.1)
        return True


c.JupyterHub.spawner_class = TrialSpawner
c.JupyterHub.services = [{{"name": "classroom-trial", "api_token": os.environ["SOFTMAX_HUB_TRIAL_TOKEN"]}}]
c.JupyterHub.load_roles = [{{
    "name": "classroom-trial",
    "scopes": ["admin:users", "admin:servers", "admin:server_state", "tokens", "list:users"],
    "services": ["classroom-trial"],
}}]
"""
# Added when the trial hub has no password (the benchmark): simulated students log in
# with any name and no password. Benchmark only, on loopback.
DUMMY_LOGIN = """\
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allow_all = True
"""


class HubError(RuntimeError):
    pass


@dataclass
class TrialHub:
    """A hub on 127.0.0.1 with the shipped configuration. With `password`, its login form is
    the shipped one (the shared password, written where `make hub` keeps it); without, the
    DummyAuthenticator lets any name in. Students come in through the service token either way."""
    state: Path
    password: str | None = None
    start_seconds: float = 90
    port: int = field(default_factory=free_port)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen | None = None
    student_tokens: dict = field(default_factory=dict)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # ------------------------------------------------------------ start / stop
    def start(self) -> "TrialHub":
        if not PROXY.exists():
            raise HubError("configurable-http-proxy is missing: run `make hub-deps` (npm ci in hub/).")
        self.state.mkdir(parents=True, exist_ok=True)
        config = TRIAL_CONFIG.format(config=str(CONFIG))
        if self.password:
            password = self.state / "password"
            password.write_text(self.password + "\n")
            password.chmod(0o600)
        else:
            config += DUMMY_LOGIN
        (self.state / "trial_config.py").write_text(config)
        env = dict(os.environ, SOFTMAX_HUB_STATE=str(self.state), SOFTMAX_HUB_PORT=str(self.port),
                   SOFTMAX_HUB_API_PORT=str(free_port()), SOFTMAX_HUB_PROXY_API_PORT=str(free_port()),
                   SOFTMAX_HUB_TRIAL_TOKEN=self.token, PYTHONDONTWRITEBYTECODE="1")
        self.log = open(self.state / "hub.log", "wb")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "jupyterhub"), "-f", str(self.state / "trial_config.py")],
            cwd=self.state, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + self.start_seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise HubError(f"JupyterHub exited with {self.process.returncode}:\n{self.log_tail()}")
            try:
                self.api("GET", "/hub/api/")
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.stop()
        raise HubError(f"JupyterHub did not answer within {self.start_seconds} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 30) -> str:
        path = self.state / "hub.log"
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:]) if path.exists() else ""

    def processes(self) -> list[psutil.Process]:
        """The hub and everything it started (proxy, servers, kernels)."""
        if self.process is None:
            return []
        try:
            hub = psutil.Process(self.process.pid)
            return [hub, *hub.children(recursive=True)]
        except psutil.NoSuchProcess:
            return []

    def stop(self, seconds: float = 60) -> tuple[float, list[str]]:
        """SIGTERM the hub (which stops the servers and the proxy). Returns the time it
        took and the processes still running afterwards, which are then killed."""
        if self.process is None:
            return 0.0, []
        started = time.monotonic()
        tree = self.processes()
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=seconds)
        except subprocess.TimeoutExpired:
            pass
        _, alive = psutil.wait_procs(tree, timeout=max(1.0, seconds - (time.monotonic() - started)))
        took = time.monotonic() - started
        left = []
        for proc in alive:
            try:
                left.append(f"{proc.pid} {' '.join(proc.cmdline())[:120]}")
                proc.kill()
            except psutil.NoSuchProcess:
                pass
        self.process = None
        self.log.close()
        return took, left

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()

    # ------------------------------------------------------------ REST API
    def api(self, method: str, path: str, body=None, token: str | None = None, timeout: float = 30):
        data = None if body is None else json.dumps(body).encode()
        request = urllib.request.Request(self.base + path, data=data, method=method, headers={
            "Authorization": f"token {token or self.token}", "Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=timeout) as response:
            text = response.read()
        return json.loads(text) if text else None

    def home(self, student: str) -> Path:
        return self.state / "homes" / student

    def add_student(self, student: str, copy_suite: bool = True) -> str:
        """Create the student, give them a copy of the suite (unless nbgitpuller
        will), and log them in: a token of their own."""
        self.api("POST", f"/hub/api/users/{student}")
        home = self.home(student)
        home.mkdir(parents=True, exist_ok=True)
        if copy_suite:
            shutil.copytree(ROOT / "notebooks", home / SUITE_FOLDER / "notebooks", symlinks=True,
                            ignore=shutil.ignore_patterns(".ipynb_checkpoints", "my_copies"))
        token = self.api("POST", f"/hub/api/users/{student}/tokens",
                         {"note": "classroom trial", "expires_in": 3600})["token"]
        self.student_tokens[student] = token
        return token

    def start_server(self, student: str, seconds: float = 240) -> int:
        """Start the student's server and wait until it is ready; returns its pid."""
        try:
            self.api("POST", f"/hub/api/users/{student}/server")
        except urllib.error.HTTPError as error:
            if error.code != 400:  # 400: already running
                raise
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            server = self.api("GET", f"/hub/api/users/{student}").get("servers", {}).get("", {})
            if server.get("ready"):
                return int(server["state"]["pid"])
            time.sleep(0.2)
        raise HubError(f"{student}'s server was not ready within {seconds} s:\n{self.log_tail()}")

    def student_api(self, student: str, method: str, path: str, body=None, timeout: float = 30):
        return self.api(method, f"/user/{student}{path}", body, token=self.student_tokens[student],
                        timeout=timeout)


# ---------------------------------------------------------------- memory
def server_memory(pid: int) -> dict:
    """MB of a student's server plus its kernels: PSS (shared pages split among their
    sharers: these add up to the machine's use), USS (only theirs), RSS."""
    totals = {"pss": 0.0, "uss": 0.0, "rss": 0.0, "kernels": 0}
    try:
        server = psutil.Process(pid)
        tree = [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        return totals
    for proc in tree:
        try:
            info = proc.memory_full_info()
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
        totals["pss"] += info.pss / 2**20
        totals["uss"] += info.uss / 2**20
        totals["rss"] += info.rss / 2**20
        totals["kernels"] += proc is not server and "ipykernel" in " ".join(proc.cmdline())
    return totals


def server_cpu_seconds(pid: int) -> float:
    """CPU seconds (user + system) used so far by a student's server and its running kernels."""
    try:
        server = psutil.Process(pid)
        tree = [server, *server.children(recursive=True)]
    except psutil.NoSuchProcess:
        return 0.0
    total = 0.0
    for proc in tree:
        try:
            times = proc.cpu_times()
            total += times.user + times.system
        except psutil.NoSuchProcess:
            pass
    return total


# ---------------------------------------------------------------- running a notebook
@dataclass
class Run:
    notebook: str
    seconds: float = 0.0
    cells: int = 0
    error: str = ""
    kernel_id: str = ""


async def run_notebook(hub: TrialHub, student: str, relpath: str, cell_seconds: float = 300) -> Run:
    """Restart & Run All of `relpath` (in the student's home) in a new kernel, as
    JupyterLab does: a session for the notebook, then every code cell in order over
    the kernel websocket. A cell is done when its execute_reply and its "idle" status
    have both arrived. Leaves the kernel running (the lesson stays open)."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    run = Run(relpath)
    started = time.monotonic()
    token = hub.student_tokens[student]
    loop = asyncio.get_running_loop()
    try:
        session = await loop.run_in_executor(None, lambda: hub.student_api(
            student, "POST", "/api/sessions",
            {"path": relpath, "name": Path(relpath).name, "type": "notebook", "kernel": {"name": "python3"}},
            timeout=120))
        run.kernel_id = session["kernel"]["id"]
        cells = code_cells(hub.home(student) / relpath)
        url = f"ws://127.0.0.1:{hub.port}/user/{student}/api/kernels/{run.kernel_id}/channels"
        socket_ = await asyncio.wait_for(websocket_connect(HTTPRequest(
            url, headers={"Authorization": f"token {token}"}), max_message_size=256 * 2**20), 60)
        session_id = uuid.uuid4().hex
        try:
            for index, source, tags in cells:
                if not source.strip():
                    continue
                # A cell tagged raises-exception shows an error on purpose; JupyterLab
                # goes on past it, and so does this.
                expected = "raises-exception" in tags
                error = await asyncio.wait_for(
                    _execute(socket_, session_id, source, stop_on_error=not expected), cell_seconds)
                run.cells += 1
                if error and not expected:
                    run.error = f"cell {index}: {error}"
                    break
        finally:
            socket_.close()
    except asyncio.TimeoutError:
        run.error = f"a cell took longer than {cell_seconds} s (or the websocket did not open)"
    except Exception as error:  # noqa: BLE001 - reported as this student's failure
        run.error = f"{type(error).__name__}: {error}"
    run.seconds = time.monotonic() - started
    return run


async def _execute(socket_, session_id: str, code: str, stop_on_error: bool = True) -> str:
    msg_id = uuid.uuid4().hex
    await socket_.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session_id,
                   "username": "student", "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": True, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": stop_on_error},
    }))
    replied = idle = False
    error = ""
    while not (replied and idle):
        frame = await socket_.read_message()
        if frame is None:
            return error or "the kernel's websocket closed (the kernel died?)"
        if isinstance(frame, bytes):  # widget and ipympl messages with buffers
            continue
        message = json.loads(frame)
        if message.get("parent_header", {}).get("msg_id") != msg_id:
            continue
        kind = message["header"]["msg_type"]
        content = message.get("content", {})
        if kind == "execute_reply":
            replied = True
            if content.get("status") != "ok" and not error:
                error = f"{content.get('ename', content.get('status'))}: {content.get('evalue', '')}"
        elif kind == "error" and not error:
            error = f"{content.get('ename')}: {content.get('evalue')}"
        elif kind == "status" and content.get("execution_state") == "idle":
            idle = True
    return error
