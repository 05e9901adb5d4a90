"""A class of N simulated students on a real JupyterHub (`make bench-classroom STUDENTS=N`).

1. Starts the suite's JupyterHub (hub/jupyterhub_config.py, with a dummy
   authenticator: simulated students, 127.0.0.1 only) in build/bench-classroom/.
2. N students log in through the hub's REST API and start their servers, at once.
3. Every student runs Restart & Run All of the heaviest lesson at the same time
   (hub/classroom.py: heaviest_lesson), then the remaining lessons in order,
   leaving every lesson open (its kernel running), as a student who never closes
   a tab does.
4. Measures, per student, the peak memory of their server plus kernels (sampled
   every second), wall time, failures, the memory held with every lesson open,
   and what is left once the student shuts their kernels down.
5. Stops the hub and checks that nothing it started is still running.

Bounded: each cell has --cell-seconds, the whole class --deadline; it stops by
itself either way. The last line is
    classroom: N students, F failed, wall T s, peak per student M MB
where M is the largest per-student peak of PSS (shared pages split among the
processes sharing them, so the students' figures add up to the machine's use).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import threading
import time
from pathlib import Path

import psutil

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "hub"))
from classroom import (SUITE_FOLDER, TrialHub, heaviest_lesson, lessons,  # noqa: E402
                       run_notebook, server_cpu_seconds, server_memory)


class Sampler(threading.Thread):
    """Every `interval` s: each student's server+kernels memory, and the machine's."""

    def __init__(self, pids: dict, interval: float = 1.0):
        super().__init__(daemon=True)
        self.pids, self.interval = pids, interval
        self.peak = {name: {"pss": 0.0, "uss": 0.0, "rss": 0.0} for name in pids}
        self.machine_peak = psutil.virtual_memory().used
        self.stopped = threading.Event()

    def run(self):
        while not self.stopped.is_set():
            for name, pid in self.pids.items():
                memory = server_memory(pid)
                for key in ("pss", "uss", "rss"):
                    self.peak[name][key] = max(self.peak[name][key], memory[key])
            self.machine_peak = max(self.machine_peak, psutil.virtual_memory().used)
            self.stopped.wait(self.interval)


async def student_day(hub: TrialHub, name: str, order: list[str], cell_seconds: float, first_done):
    runs = []
    for index, relpath in enumerate(order):
        runs.append(await run_notebook(hub, name, relpath, cell_seconds))
        print(f"  {name}: {Path(relpath).name} {runs[-1].seconds:.1f} s, {runs[-1].cells} cells, "
              f"{runs[-1].error or 'ok'}", flush=True)
        if index == 0:
            await first_done(name, runs[0])
    return runs


async def whole_class(hub, students, order, cell_seconds, deadline, when_all_ran_the_heaviest):
    heaviest_times = {}
    arrived = asyncio.Event()

    async def first_done(name, run):  # everybody starts the heaviest lesson together
        heaviest_times[name] = run
        if len(heaviest_times) == len(students):
            when_all_ran_the_heaviest()
            arrived.set()
        await asyncio.wait_for(arrived.wait(), deadline)

    tasks = {name: asyncio.ensure_future(student_day(hub, name, order, cell_seconds, first_done))
             for name in students}
    done, pending = await asyncio.wait(tasks.values(), timeout=deadline)
    for task in pending:
        task.cancel()
    results = {}
    for name, task in tasks.items():
        if task in done and not task.exception():
            results[name] = task.result()
        else:
            results[name] = None
    return results


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--students", type=int, default=4)
    parser.add_argument("--cell-seconds", type=float, default=300, help="limit for one cell")
    parser.add_argument("--deadline", type=float, default=1500, help="limit for the whole class, s")
    parser.add_argument("--state", type=Path, default=ROOT / "build" / "bench-classroom")
    args = parser.parse_args(argv)
    if not 1 <= args.students <= 40:
        print("STUDENTS must be between 1 and 40.")
        return 2

    paths = lessons()
    heaviest = heaviest_lesson(paths)
    order = [f"{SUITE_FOLDER}/notebooks/{p.name}" for p in [heaviest, *[p for p in paths if p != heaviest]]]
    students = [f"student{i + 1:02d}" for i in range(args.students)]
    shutil.rmtree(args.state, ignore_errors=True)
    load_before = os.getloadavg()
    machine_before = psutil.virtual_memory().used
    print(f"Machine: {psutil.cpu_count()} cores, {psutil.virtual_memory().total / 2**30:.1f} GB, "
          f"load average {load_before[0]:.2f} (other work on the machine counts in wall times, "
          f"not in per-student memory)")
    print(f"Heaviest lesson (most model fits): {heaviest.name}; then "
          + ", ".join(p.name for p in paths if p != heaviest))

    print("Starting the hub; then every student logs in and runs the lessons ...", flush=True)
    hub = TrialHub(args.state).start()
    failures = {name: [] for name in students}
    try:
        hub_memory = sum(p.memory_full_info().pss for p in hub.processes()) / 2**20
        started = time.monotonic()
        for name in students:
            hub.add_student(name)
        pids = {}

        async def start_all():
            loop = asyncio.get_running_loop()
            found = await asyncio.gather(*(loop.run_in_executor(None, hub.start_server, n) for n in students),
                                         return_exceptions=True)
            return dict(zip(students, found))

        for name, pid in asyncio.run(start_all()).items():
            if isinstance(pid, Exception):
                failures[name].append(f"server did not start: {pid}")
            else:
                pids[name] = pid
        login_seconds = time.monotonic() - started
        idle_server = {name: server_memory(pid)["pss"] for name, pid in pids.items()}
        sampler = Sampler(pids)
        sampler.start()
        after_heaviest = {}

        def measure_after_heaviest():  # one lesson open: the heaviest
            after_heaviest.update({name: server_memory(pid) for name, pid in pids.items()})

        results = asyncio.run(whole_class(hub, list(pids), order, args.cell_seconds, args.deadline,
                                          measure_after_heaviest))
        wall = time.monotonic() - started
        time.sleep(3)  # let the last kernels settle
        sampler.stopped.set()
        sampler.join()
        held = {name: server_memory(pid) for name, pid in pids.items()}
        cpu = {name: server_cpu_seconds(pid) for name, pid in pids.items()}
        machine_held = psutil.virtual_memory().used
        # What the bottom of every lesson tells a finished student: shut its kernel down.
        async def shut_down_kernels():
            loop = asyncio.get_running_loop()
            calls = [loop.run_in_executor(None, hub.student_api, name, "DELETE", f"/api/kernels/{kernel['id']}")
                     for name in pids for kernel in hub.student_api(name, "GET", "/api/kernels")]
            await asyncio.gather(*calls)

        asyncio.run(shut_down_kernels())
        time.sleep(3)
        freed = {name: server_memory(pid) for name, pid in pids.items()}
    finally:
        stop_seconds, left = hub.stop()

    print(f"\nHub and proxy alone: PSS {hub_memory:.0f} MB. {len(pids)} of {len(students)} servers "
          f"started and logged in within {login_seconds:.1f} s; idle server PSS "
          f"{min(idle_server.values(), default=0):.0f}-{max(idle_server.values(), default=0):.0f} MB.")
    print("\n| Student | Heaviest lesson, s | All lessons, s | Peak PSS MB | Peak USS MB | Peak RSS MB "
          "| Only the heaviest lesson open: PSS MB | Held, every lesson open: PSS MB (kernels) | After shutting kernels down: PSS MB | CPU s | Failures |")
    print("|---|---|---|---|---|---|---|---|---|---|---|")
    for name in students:
        runs = results.get(name) if name in pids else None
        if runs is None and name in pids:
            failures[name].append(f"did not finish within the {args.deadline:.0f} s deadline")
        for run in runs or []:
            if run.error:
                failures[name].append(f"{Path(run.notebook).name} {run.error}")
        peak = sampler.peak.get(name, {}) if name in pids else {}
        print(f"| {name} | {runs[0].seconds:.1f} | {sum(r.seconds for r in runs):.1f} | "
              f"{peak.get('pss', 0):.0f} | {peak.get('uss', 0):.0f} | {peak.get('rss', 0):.0f} | "
              f"{after_heaviest.get(name, {}).get('pss', 0):.0f} | "
              f"{held[name]['pss']:.0f} ({held[name]['kernels']}) | {freed[name]['pss']:.0f} | {cpu[name]:.0f} | "
              f"{'; '.join(failures[name]) or 'none'} |" if runs else
              f"| {name} | - | - | - | - | - | - | - | - | - | {'; '.join(failures[name])} |")
    if pids and all(results.get(n) for n in pids):
        per_lesson = {}
        for name in pids:
            for run in results[name]:
                per_lesson.setdefault(Path(run.notebook).name, []).append(run.seconds)
        print("\nPer lesson (seconds, each student's own kernel; median of the class): "
              + ", ".join(f"{k} {sorted(v)[len(v) // 2]:.1f}" for k, v in per_lesson.items()))
    load_after = os.getloadavg()
    print(f"\nMachine memory in use: {machine_before / 2**30:.2f} GB before, peak "
          f"{sampler.machine_peak / 2**30:.2f} GB, {machine_held / 2**30:.2f} GB with every lesson open "
          f"(other helpers' work included). Load average {load_before[0]:.2f} before, "
          f"{load_after[0]:.2f} after (1-minute).")
    print(f"Hub stopped in {stop_seconds:.1f} s; processes left behind: {len(left)}"
          + ("".join(f"\n  {line}" for line in left)))
    failed = sum(1 for name in students if failures[name])
    peak_pss = max((sampler.peak[n]["pss"] for n in pids), default=0)
    print(f"classroom: {len(students)} students, {failed} failed, wall {wall:.0f} s, "
          f"peak per student {peak_pss:.0f} MB")
    return 1 if failed or left else 0


if __name__ == "__main__":
    sys.exit(main())
