"""A real JupyterHub with simulated students (`make test-hub`, well under a minute).

The hub is the shipped hub/jupyterhub_config.py, with its shared-password login, plus a
service token that creates the students, logs them in (a token each) and starts their
servers (hub/classroom.py), on 127.0.0.1. The tests run in file order on this one hub:
it starts on loopback only; its login form takes the shared password and nothing else;
two students run lesson 01 through it; their files stay apart; a third student gets the
students' repository (make student-repo) through the nbgitpuller link, with no solution
in it, and runs 00; and the hub stops leaving nothing behind. The three students' servers
start together, and the three notebooks run side by side (the first_lessons fixture), as
in a room: the machine's two cores stay busy instead of taking turns.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
import json
import re
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hub"))
from classroom import PROXY, SUITE_FOLDER, Run, TrialHub, code_cells, run_notebook  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import student_repo  # noqa: E402

pytestmark = pytest.mark.skipif(
    not PROXY.exists(), reason="configurable-http-proxy is not installed: run `make test-hub` (npm ci in hub/)")

LESSON_01 = sorted((ROOT / "notebooks").glob("01_*.ipynb"))[0].name
STUDENTS = ["ada", "grace"]
NEWCOMER = "newcomer"  # gets the suite through the nbgitpuller link, not a copy
START_HERE = f"{SUITE_FOLDER}/notebooks/00_start_here.ipynb"
PASSWORD = "correct-horse-battery"


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    trial = TrialHub(tmp_path_factory.mktemp("hub"), password=PASSWORD).start()
    yield trial
    trial.stop()


@pytest.fixture(scope="module")
def servers(hub):
    """Every student logged in and their servers started, all at once, as a class starts."""
    for student in STUDENTS:
        hub.add_student(student)
    hub.add_student(NEWCOMER, copy_suite=False)
    everyone = [*STUDENTS, NEWCOMER]
    with ThreadPoolExecutor(len(everyone)) as pool:
        return dict(zip(everyone, pool.map(hub.start_server, everyone)))


@dataclass
class Arrival:
    """What newcomer met on following the nbgitpuller link (checked by the nbgitpuller test)."""
    suite_before_pull: bool
    made: subprocess.CompletedProcess | None = None  # tools/student_repo.py
    events: str = ""  # nbgitpuller's event stream
    run: Run | None = None  # 00 run to the end


async def newcomer_arrives(hub: TrialHub, folder: Path) -> Arrival:
    arrival = Arrival(suite_before_pull=(hub.home(NEWCOMER) / SUITE_FOLDER).exists())
    # The students' repository as `make student-repo` makes it, served from a local git URL: no network.
    arrival.made = await asyncio.to_thread(
        subprocess.run, [sys.executable, str(ROOT / "tools" / "student_repo.py"), str(folder / "students")],
        capture_output=True, text=True)
    if arrival.made.returncode != 0:
        return arrival
    origin = folder / "softmax-lab-students.git"
    await asyncio.to_thread(subprocess.run, ["git", "clone", "-q", "--bare", str(folder / "students"), str(origin)],
                            check=True)

    # The link in docs/hub.md: /hub/user-redirect/git-pull?repo=...&branch=...&urlpath=... The page it
    # opens pulls through git-pull/api (an event stream) and then goes to urlpath.
    query = urllib.parse.urlencode({"repo": f"file://{origin}", "branch": "main", "targetpath": SUITE_FOLDER})
    request = urllib.request.Request(f"{hub.base}/user/{NEWCOMER}/git-pull/api?{query}",
                                     headers={"Authorization": f"token {hub.student_tokens[NEWCOMER]}"})

    def pull() -> str:
        with urllib.request.urlopen(request, timeout=120) as response:
            return response.read().decode()

    arrival.events = await asyncio.to_thread(pull)
    if '"phase": "finished"' in arrival.events:
        arrival.run = await run_notebook(hub, NEWCOMER, START_HERE, cell_seconds=240)
    return arrival


@pytest.fixture(scope="module")
def first_lessons(hub, servers, tmp_path_factory):
    """A class's first minutes, side by side as in a room: ada and grace run lesson 01 from
    their copies while newcomer follows the nbgitpuller link and runs 00. Returns each
    student's Run, and newcomer's Arrival (or what it raised); the tests check them."""
    lesson = f"{SUITE_FOLDER}/notebooks/{LESSON_01}"

    async def together():
        return await asyncio.gather(*(run_notebook(hub, s, lesson, cell_seconds=240) for s in STUDENTS),
                                    newcomer_arrives(hub, tmp_path_factory.mktemp("newcomer")),
                                    return_exceptions=True)

    *runs, arrival = asyncio.run(together())
    return {**dict(zip(STUDENTS, runs)), NEWCOMER: arrival}


def listening_addresses(processes) -> set[str]:
    addresses = set()
    for proc in processes:
        try:
            for conn in proc.net_connections(kind="inet"):
                if conn.status == psutil.CONN_LISTEN:
                    addresses.add(conn.laddr.ip)
        except psutil.NoSuchProcess:
            pass
    return addresses


def test_hub_starts_and_listens_on_loopback_only(hub):
    assert "version" in hub.api("GET", "/hub/api/")
    assert listening_addresses(hub.processes()) == {"127.0.0.1"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


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


def test_the_shared_password_logs_a_student_in(hub):
    assert log_in(hub.base, "alice", PASSWORD) == 302  # on to her server


def test_a_wrong_or_empty_password_is_refused(hub):
    assert log_in(hub.base, "mallory", "not-the-password") == 403
    assert log_in(hub.base, "mallory", "") == 403


def test_two_students_log_in_and_each_runs_lesson_01_to_the_end(hub, first_lessons):
    cells = sum(1 for _, source, _ in code_cells(ROOT / "notebooks" / LESSON_01) if source.strip())
    for student in STUDENTS:
        run = first_lessons[student]
        if isinstance(run, BaseException):
            raise run
        assert run.error == "", f"{student}: {run.error}"
        assert run.cells == cells, f"{student} ran {run.cells} of {cells} code cells"
    # Every server and kernel binds to loopback too.
    assert listening_addresses(hub.processes()) == {"127.0.0.1"}


def test_closing_a_lesson_tab_on_the_hub_shuts_its_kernel_down(hub, servers):
    # JupyterLab reads the setting from the student's own settings, written at spawn.
    settings = hub.student_api(STUDENTS[0], "GET", "/lab/api/settings/@jupyterlab/notebook-extension:tracker")
    assert settings["settings"]["kernelShutdown"] is True


def test_students_files_are_kept_apart(hub, servers):
    ada, grace = STUDENTS
    hub.student_api(ada, "PUT", "/api/contents/answers.txt",
                    {"type": "file", "format": "text", "content": "ada's answer"})
    assert (hub.home(ada) / "answers.txt").read_text() == "ada's answer"
    assert not (hub.home(grace) / "answers.txt").exists()
    grace_sees = [item["name"] for item in hub.student_api(grace, "GET", "/api/contents")["content"]]
    assert "answers.txt" not in grace_sees
    # Grace's login does not open Ada's server.
    with pytest.raises(urllib.error.HTTPError) as refused:
        hub.api("GET", f"/user/{ada}/api/contents/answers.txt", token=hub.student_tokens[grace])
    assert refused.value.code in (403, 404)


def test_the_nbgitpuller_link_pulls_the_students_repository_with_no_solution_and_00_opens(hub, first_lessons):
    arrival = first_lessons[NEWCOMER]  # followed the link while ada and grace ran lesson 01
    if isinstance(arrival, BaseException):
        raise arrival
    student = NEWCOMER  # logged in, server started, no copy of the suite until the link
    assert not arrival.suite_before_pull
    assert arrival.made.returncode == 0, arrival.made.stdout + arrival.made.stderr
    assert '"phase": "finished"' in arrival.events, arrival.events[-2000:]

    pulled = hub.home(student) / SUITE_FOLDER
    assert not (pulled / "instructor").exists() and not (pulled / "tests").exists()
    assert (pulled / "notebooks" / "07_exercises.ipynb").exists()
    assert student_repo.leaks(pulled, student_repo.solution_lines()) == []
    exercises = json.loads((pulled / "notebooks" / "07_exercises.ipynb").read_text())
    assert not [c for c in exercises["cells"] if "worked-solution" in c["metadata"].get("tags", [])]
    assert "### BEGIN SOLUTION" not in json.dumps(exercises)

    assert (hub.home(student) / START_HERE).exists()
    model = hub.student_api(student, "GET", f"/api/contents/{START_HERE}")
    assert model["type"] == "notebook" and model["content"]["cells"]
    page = urllib.request.Request(f"{hub.base}/user/{student}/lab/tree/{START_HERE}",
                                  headers={"Authorization": f"token {hub.student_tokens[student]}"})
    with urllib.request.urlopen(page, timeout=60) as response:
        assert response.status == 200 and "JupyterLab" in response.read().decode()
    assert arrival.run.error == "", arrival.run.error


def test_hub_stops_cleanly_and_leaves_no_processes(hub, servers):
    tree = hub.processes()
    assert len(tree) >= 2 + len(servers)  # hub, proxy, servers (and kernels)
    took, left = hub.stop()
    assert left == [], f"still running after the hub stopped: {left}"
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert took < 60, f"stopping took {took:.1f} s"
