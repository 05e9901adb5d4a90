"""One sandbox per submission: bubblewrap, no network, a scratch folder of its own.

What a sandbox sees (everything else of the machine is absent, not just locked):

- read-only: /usr, the suite's .venv and the Python it was made from, lab_utils/,
  deeplearning.mplstyle, the runner (grading/sandbox_runner.py) and a few files of /etc;
- read-write: its own scratch folder (mounted at /scratch, its home and working
  folder) and a private /tmp of at most 64 MB;
- no network: a network namespace of its own with only its own loopback, so
  neither the internet nor servers on this machine's 127.0.0.1 can be reached;
- its own process, IPC and hostname namespaces: it sees no other process.

Run as root (CI, containers), bubblewrap sets the mounts up and the student's
code then runs as the unprivileged user nobody (65534) with no capabilities and
no_new_privs, so even the mounted files are read with nobody's permissions.
Run as another user, bubblewrap uses an unprivileged user namespace and the code
runs as that user, seeing only the mounts above.

Limits: CPU time, address space, file size and (as root) the number of
processes, with util-linux's prlimit. If bubblewrap is missing or cannot create its
namespaces, grading stops with one sentence (``sandbox_problem``): nothing is
ever run without the sandbox.
"""

from __future__ import annotations

import base64
import collections
import io
import json
import os
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
RUNNER = Path(__file__).resolve().parent / "sandbox_runner.py"
NOBODY = 65534
MESSAGE_LIMIT = 64 * 2**20  # bytes of one message from the sandbox
TMP_BYTES = 64 * 2**20
RLIMITS = {  # prlimit's names
    "as": 4 * 2**30,  # bytes of address space: enough to import TensorFlow and fit a small model
    "fsize": 64 * 2**20,  # bytes of one file written
    "cpu": 600,  # seconds
    "core": 0,
}
PROCESSES = 512  # for user nobody, across all sandboxes running at once (root only)
ETC_FILES = ("/etc/ld.so.cache", "/etc/fonts", "/etc/localtime", "/etc/alternatives")


class SandboxBroken(Exception):
    """The sandboxed process stopped answering, died, or sent something malformed."""


def _python_home() -> Path:
    """The Python installation the .venv was made from (its stdlib lives there)."""
    return Path(os.path.realpath(sys.executable)).parent.parent


def _mounts() -> list[tuple[str, str]]:
    """(option, path) pairs: what the sandbox sees besides its scratch and /tmp."""
    read_only = [Path(sys.prefix), _python_home(), ROOT / "lab_utils", ROOT / "deeplearning.mplstyle"]
    paths = ["/usr"]
    for path in map(str, read_only):
        if os.path.exists(path) and not any(path == p or path.startswith(p + "/") for p in paths):
            paths.append(path)
    paths += [path for path in ETC_FILES if os.path.exists(path)]
    return [("--ro-bind", path) for path in paths]


def _parents(paths) -> list[str]:
    """Every folder above the mount points, created world-readable inside the sandbox
    (bubblewrap would otherwise create them readable by root only)."""
    folders = set()
    for path in paths:
        for parent in Path(path).parents:
            if str(parent) != "/":
                folders.add(str(parent))
    return sorted(folders, key=lambda p: p.count("/"))


def command(scratch: Path) -> list[str]:
    """The bwrap command line that runs the runner with ``scratch`` as /scratch."""
    as_root = os.geteuid() == 0
    mounts = _mounts()
    argv = ["bwrap", "--die-with-parent", "--new-session",
            "--unshare-pid", "--unshare-net", "--unshare-ipc", "--unshare-uts", "--unshare-cgroup-try"]
    if not as_root:  # an unprivileged user: bubblewrap needs a user namespace
        argv += ["--unshare-user", "--disable-userns"]
    argv += ["--symlink", "usr/bin", "/bin", "--symlink", "usr/lib", "/lib",
             "--symlink", "usr/lib64", "/lib64", "--symlink", "usr/sbin", "/sbin",
             "--proc", "/proc", "--dev", "/dev",
             "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/tmp",
             "--perms", "1777", "--size", str(TMP_BYTES), "--tmpfs", "/dev/shm"]
    mounted = [path for _, path in mounts]
    for folder in _parents(mounted):
        if not any(folder == path or folder.startswith(path + "/") for path in mounted):
            argv += ["--perms", "0755", "--dir", folder]
    for option, path in mounts:
        argv += [option, path, path]
    argv += ["--perms", "0755", "--dir", "/grader", "--ro-bind", str(RUNNER), "/grader/runner.py",
             "--bind", str(scratch), "/scratch",
             "--chdir", "/scratch", "--clearenv"]
    environment = {
        "HOME": "/scratch", "PATH": f"{Path(sys.prefix) / 'bin'}:/usr/bin:/bin", "LANG": "C.UTF-8",
        "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": "/tmp/matplotlib", "IPYTHONDIR": "/tmp/ipython", "TF_CPP_MIN_LOG_LEVEL": "2",
        "OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1",
    }
    for name, value in environment.items():
        argv += ["--setenv", name, value]
    argv.append("--")
    if as_root:  # mounts are made; the student's code runs as nobody, without capabilities
        argv += ["/usr/bin/setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups",
                 "--bounding-set=-all", "--inh-caps=-all", "--no-new-privs", "--"]
    argv += [str(Path(sys.prefix) / "bin" / "python"), "-I", "-B", "-X", "utf8", "/grader/runner.py"]
    return argv


def limited(argv: list[str]) -> list[str]:
    """``argv`` run under util-linux's prlimit: the limits hold for bwrap and the student's code.
    (prlimit rather than preexec_fn, which is unsafe in a process with threads.)"""
    limits = [f"--{name}={value}" for name, value in RLIMITS.items()]
    if os.geteuid() == 0:
        limits.append(f"--nproc={PROCESSES}")
    return ["prlimit", *limits, "--", *argv]


def make_scratch(folder: Path) -> Path:
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(folder, NOBODY, NOBODY)
    return folder


def sandbox_problem(scratch_parent: Path) -> str | None:
    """None when a sandbox can be started here; otherwise one sentence saying why not."""
    if shutil.which("bwrap") is None:
        return ("bubblewrap (bwrap) is not installed, and submissions are never graded without "
                "isolation: install it with `sudo apt-get install bubblewrap` (make autograde does "
                "this itself when run as root).")
    if shutil.which("prlimit") is None or (os.geteuid() == 0 and not Path("/usr/bin/setpriv").exists()):
        return ("util-linux's prlimit or setpriv is missing, so the sandbox could not be limited: "
                "install util-linux.")
    scratch_parent.mkdir(parents=True, exist_ok=True)
    # a folder of its own: two graders (or two test workers) may probe at the same moment
    scratch = make_scratch(Path(tempfile.mkdtemp(prefix="probe-", dir=scratch_parent)))
    probe = command(scratch)
    probe[-1:] = ["-c", "import numpy, IPython, lab_utils_checks; print('ok')"]
    try:
        run = subprocess.run(limited(probe), capture_output=True, text=True, timeout=120)
    except subprocess.TimeoutExpired:
        return "a test sandbox did not start within 120 s, so nothing was graded."
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    if run.returncode != 0 or run.stdout.strip() != "ok":
        reason = (run.stderr.strip().splitlines() or [f"exit status {run.returncode}"])[-1]
        return (f"bubblewrap could not start a sandbox here ({reason[:200]}), and submissions are "
                "never graded without isolation: allow user namespaces "
                "(sysctl kernel.unprivileged_userns_clone=1, or on Ubuntu "
                "kernel.apparmor_restrict_unprivileged_userns=0), or run make autograde as root.")
    return None


# ------------------------------------------------------------------ values over the channel


def _npy(array: np.ndarray) -> str:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode()


def encode_argument(value) -> dict:
    if isinstance(value, np.ndarray):
        return {"t": "nd", "npy": _npy(value)}
    if isinstance(value, np.generic):
        return {"t": "np", "npy": _npy(np.asarray(value))}
    if isinstance(value, (bool, int, float)) or value is None:
        return {"t": type(value).__name__, "v": value}
    raise TypeError(f"the grader cannot send a {type(value).__name__} to a sandbox")


class Opaque:
    """Stands in for an object the sandbox could only describe (its type name and repr)."""

    def __init__(self, text: str):
        self._text = text

    def __repr__(self) -> str:
        return self._text


def _opaque(type_name: str, text: str) -> Opaque:
    name = type_name if type_name.isidentifier() else "object"
    return type(name, (Opaque,), {})(text)


def _array(text: str, *, scalar: bool = False):
    raw = base64.b64decode(text, validate=True)
    array = np.load(io.BytesIO(raw), allow_pickle=False)
    if array.dtype.kind not in "biufc" or array.size > 10**7 or array.ndim > 8:
        raise SandboxBroken("an array of an unexpected kind")
    return array[()] if scalar else array


def decode_value(value):
    """Rebuild what the student's function returned from the sandbox's description."""
    if not isinstance(value, dict):
        raise SandboxBroken("a value that is not described")
    kind = value.get("t")
    if kind == "none":
        return None
    if kind == "nd":
        return _array(value["npy"])
    if kind == "np":
        return _array(value["npy"], scalar=True)
    if kind in ("bool", "int", "float", "str"):
        plain = value.get("v")
        expected = {"bool": bool, "int": int, "float": (int, float), "str": str}[kind]
        if not isinstance(plain, expected):
            raise SandboxBroken("a value whose type does not match its description")
        return {"bool": bool, "int": int, "float": float, "str": str}[kind](plain)
    if kind == "bytes" and isinstance(value.get("v"), str):
        return value["v"].encode("latin-1", "replace")
    if kind == "other":
        return _opaque(str(value.get("type", "object"))[:60], str(value.get("repr", ""))[:200])
    raise SandboxBroken(f"an unknown kind of value {str(kind)[:20]!r}")


# ------------------------------------------------------------------ one session


@dataclass
class Progress:
    """What one run of the notebook in a sandbox produced."""

    outputs: dict = field(default_factory=dict)  # cell index -> {"outputs": [...], "timed_out": bool}
    captured: dict = field(default_factory=dict)  # grade_id -> description of the captured object
    stuck: int | None = None  # the cell that ended the process or outran its hard limit
    stuck_reason: str = ""  # "timeout" or "ended"
    ready: bool = False


class Session:
    """A notebook running in a sandbox, then answering calls to the functions it captured."""

    def __init__(self, cells: list[dict], scratch: Path, cell_seconds: float, call_seconds: float):
        self.cells = cells
        self.scratch = scratch
        self.cell_seconds = cell_seconds
        self.call_seconds = call_seconds
        self.process: subprocess.Popen | None = None
        self.buffer = b""
        self.log = collections.deque(maxlen=200)
        self.calls = 0
        self.lock = threading.Lock()

    # ---------------------------------------------------------------- process
    def _start(self) -> None:
        self.process = subprocess.Popen(
            limited(command(self.scratch)), stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE, start_new_session=True)
        threading.Thread(target=self._drain_stderr, daemon=True).start()
        self.selector = selectors.DefaultSelector()
        os.set_blocking(self.process.stdout.fileno(), False)
        self.selector.register(self.process.stdout, selectors.EVENT_READ)

    def _drain_stderr(self) -> None:
        for line in self.process.stderr:
            self.log.append(line.decode(errors="replace").rstrip())

    def close(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        self.process.wait()
        for stream in (self.process.stdin, self.process.stdout):
            try:
                stream.close()
            except OSError:
                pass
        self.selector.close()
        self.process = None

    @property
    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    # ---------------------------------------------------------------- channel
    def _send(self, message: dict) -> None:
        try:
            self.process.stdin.write(json.dumps(message).encode() + b"\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError, ValueError) as error:
            raise SandboxBroken("the notebook's process no longer reads") from error

    def _receive(self, seconds: float) -> dict:
        """The next message, or SandboxBroken after ``seconds`` or at the process's end."""
        deadline = time.monotonic() + seconds
        while b"\n" not in self.buffer:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if not self.selector.select(timeout=min(left, 1.0)):
                continue
            chunk = self.process.stdout.read(1 << 20)
            if chunk == b"":
                raise SandboxBroken("the notebook's process ended")
            if chunk:
                self.buffer += chunk
            if len(self.buffer) > MESSAGE_LIMIT:
                raise SandboxBroken("a message too large")
        line, self.buffer = self.buffer.split(b"\n", 1)
        try:
            message = json.loads(line)
        except (ValueError, RecursionError) as error:
            raise SandboxBroken("a message that is not JSON") from error
        if not isinstance(message, dict):
            raise SandboxBroken("a message that is not an object")
        return message

    # ---------------------------------------------------------------- the notebook
    def run(self) -> Progress:
        """Start the sandbox and run every cell, each within its time limit."""
        progress = Progress()
        self._start()
        try:
            self._send({"cells": self.cells, "cell_seconds": self.cell_seconds,
                        "call_seconds": self.call_seconds})
        except SandboxBroken:
            progress.stuck_reason = "ended"
            return progress
        current = None
        while True:
            grace = self.cell_seconds + 10 if current is not None else 120
            try:
                message = self._receive(grace)
            except TimeoutError:
                progress.stuck, progress.stuck_reason = current, "timeout"
                self.close()
                return progress
            except SandboxBroken:
                progress.stuck, progress.stuck_reason = current, "ended"
                self.close()
                return progress
            event = message.get("event")
            if event == "start" and isinstance(message.get("index"), int):
                current = message["index"]
            elif event == "done" and message.get("index") == current:
                progress.outputs[current] = {"outputs": message.get("outputs", []),
                                             "timed_out": message.get("timed_out") is True}
                current = None
            elif event == "captured" and isinstance(message.get("grade_id"), str):
                progress.captured[message["grade_id"]] = message
                current = None
            elif event == "ready":
                progress.ready = True
                return progress

    def call(self, grade_id: str, arguments: tuple) -> dict:
        """Call the function captured for ``grade_id``; its reply, or SandboxBroken/TimeoutError."""
        with self.lock:
            if not self.alive:
                raise SandboxBroken("the notebook's process has ended")
            self.calls += 1
            number = self.calls
            self._send({"call": number, "grade_id": grade_id,
                        "args": [encode_argument(a) for a in arguments]})
            deadline = time.monotonic() + self.call_seconds + 5
            while True:
                try:
                    reply = self._receive(max(0.1, deadline - time.monotonic()))
                except TimeoutError:
                    self.close()
                    raise
                except SandboxBroken:
                    self.close()
                    raise
                if reply.get("reply") == number:
                    return reply
