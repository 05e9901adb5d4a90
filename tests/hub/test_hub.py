"""A real JupyterHub with two simulated students (`make test-hub`, about 1-2 minutes).

The hub is the shipped hub/jupyterhub_config.py with JupyterHub's DummyAuthenticator
swapped in (hub/classroom.py), on 127.0.0.1. The tests run in file order on one hub:
it starts, two students run lesson 01 through it, their files stay apart, one
student gets the students' repository (make student-repo) through the nbgitpuller
link, with no solution in it, and the hub stops leaving nothing behind.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

import psutil
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "hub"))
from classroom import PROXY, SUITE_FOLDER, TrialHub, run_notebook  # noqa: E402

sys.path.insert(0, str(ROOT / "tools"))
import student_repo  # noqa: E402

pytestmark = pytest.mark.skipif(
    not PROXY.exists(), reason="configurable-http-proxy is not installed: run `make test-hub` (npm ci in hub/)")

LESSON_01 = sorted((ROOT / "notebooks").glob("01_*.ipynb"))[0].name
STUDENTS = ["ada", "grace"]


@pytest.fixture(scope="module")
def hub(tmp_path_factory):
    trial = TrialHub(tmp_path_factory.mktemp("hub")).start()
    yield trial
    trial.stop()


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


def test_two_students_log_in_and_each_runs_lesson_01_to_the_end(hub):
    for student in STUDENTS:
        hub.add_student(student)
        hub.start_server(student)
    lesson = f"{SUITE_FOLDER}/notebooks/{LESSON_01}"

    async def both():
        return await asyncio.gather(*(run_notebook(hub, s, lesson, cell_seconds=240) for s in STUDENTS))

    runs = asyncio.run(both())
    code_cells = sum(1 for c in json.loads((ROOT / "notebooks" / LESSON_01).read_text())["cells"]
                     if c["cell_type"] == "code" and "".join(c["source"]).strip())
    for student, run in zip(STUDENTS, runs):
        assert run.error == "", f"{student}: {run.error}"
        assert run.cells == code_cells, f"{student} ran {run.cells} of {code_cells} code cells"
    # Every server and kernel binds to loopback too.
    assert listening_addresses(hub.processes()) == {"127.0.0.1"}


def test_closing_a_lesson_tab_on_the_hub_shuts_its_kernel_down(hub):
    # JupyterLab reads the setting from the student's own settings, written at spawn.
    settings = hub.student_api(STUDENTS[0], "GET", "/lab/api/settings/@jupyterlab/notebook-extension:tracker")
    assert settings["settings"]["kernelShutdown"] is True


def test_students_files_are_kept_apart(hub):
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


def test_the_nbgitpuller_link_pulls_the_students_repository_with_no_solution_and_00_opens(hub, tmp_path):
    # The students' repository as `make student-repo` makes it, served from a local git URL: no network.
    made = subprocess.run([sys.executable, str(ROOT / "tools" / "student_repo.py"), str(tmp_path / "students")],
                          capture_output=True, text=True)
    assert made.returncode == 0, made.stdout + made.stderr
    origin = tmp_path / "softmax-lab-students.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(tmp_path / "students"), str(origin)], check=True)
    student = "newcomer"
    hub.add_student(student, copy_suite=False)
    hub.start_server(student)
    assert not (hub.home(student) / SUITE_FOLDER).exists()

    # The link in docs/hub.md: /hub/user-redirect/git-pull?repo=...&branch=...&urlpath=... The page it
    # opens pulls through git-pull/api (an event stream) and then goes to urlpath.
    query = urllib.parse.urlencode({"repo": f"file://{origin}", "branch": "main", "targetpath": SUITE_FOLDER})
    request = urllib.request.Request(f"{hub.base}/user/{student}/git-pull/api?{query}",
                                     headers={"Authorization": f"token {hub.student_tokens[student]}"})
    with urllib.request.urlopen(request, timeout=120) as response:
        events = response.read().decode()
    assert '"phase": "finished"' in events, events[-2000:]

    pulled = hub.home(student) / SUITE_FOLDER
    assert not (pulled / "instructor").exists() and not (pulled / "tests").exists()
    assert (pulled / "notebooks" / "07_exercises.ipynb").exists()
    assert student_repo.leaks(pulled, student_repo.solution_lines()) == []
    exercises = json.loads((pulled / "notebooks" / "07_exercises.ipynb").read_text())
    assert not [c for c in exercises["cells"] if "worked-solution" in c["metadata"].get("tags", [])]
    assert "### BEGIN SOLUTION" not in json.dumps(exercises)

    start_here = f"{SUITE_FOLDER}/notebooks/00_start_here.ipynb"
    assert (hub.home(student) / start_here).exists()
    model = hub.student_api(student, "GET", f"/api/contents/{start_here}")
    assert model["type"] == "notebook" and model["content"]["cells"]
    page = urllib.request.Request(f"{hub.base}/user/{student}/lab/tree/{start_here}",
                                  headers={"Authorization": f"token {hub.student_tokens[student]}"})
    with urllib.request.urlopen(page, timeout=60) as response:
        assert response.status == 200 and "JupyterLab" in response.read().decode()
    run = asyncio.run(run_notebook(hub, student, start_here, cell_seconds=240))
    assert run.error == "", run.error


def test_hub_stops_cleanly_and_leaves_no_processes(hub):
    tree = hub.processes()
    assert len(tree) >= 2 + len(STUDENTS)  # hub, proxy, servers (and kernels)
    took, left = hub.stop()
    assert left == [], f"still running after the hub stopped: {left}"
    assert not [p for p in tree if p.is_running() and p.status() != psutil.STATUS_ZOMBIE]
    assert took < 60, f"stopping took {took:.1f} s"
