"""Benchmark: kernel-side cost of one slider move in the softmax explorer.

    python benchmarks/bench_explorer.py [--moves 200]

Compares ``plt_softmax(...).set_z`` (update including rendering, Agg backend)
with a baseline built the way the original course draws its explorer: four
matplotlib Slider widgets inside an 8 x 4 in figure, two barh axes, and a
redraw of the whole figure after every change. Both are driven with the same
single-slider moves, interleaved move by move in the same run, and the script
prints both medians and their ratio.

A second comparison decides whether the explorer's blitting pays: the live
explorer (an ipympl canvas, as in JupyterLab with a browser attached) redrawing
only its bars (blit) against the same explorer asking for a full redraw
(``draw_idle``, then the full draw the browser's request triggers). Each move
is timed until the frame's PNG is handed to the widget, interleaved move by
move in the same run.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.widgets import Slider  # noqa: E402

from lab_utils_softmax import SoftmaxExplorer, plt_softmax, softmax  # noqa: E402

START = np.array([1.0, 2.0, 0.5, 3.0])


def student_softmax(z):
    exp_z = np.exp(z)
    return exp_z / np.sum(exp_z)


class CourseStyleExplorer:
    """The baseline: Slider widgets drawn inside the figure, full redraw per change."""

    def __init__(self, function):
        self.function = function
        self.fig = plt.figure(figsize=(8, 4))
        grid = self.fig.add_gridspec(4, 3, width_ratios=[1, 1.3, 1.3])
        self.sliders = []
        for j in range(4):
            ax = self.fig.add_subplot(grid[j, 0])
            slider = Slider(ax, f"z{j}", 0.1, 10.0, valinit=START[j])
            slider.on_changed(self.update)
            self.sliders.append(slider)
        self.ax_z = self.fig.add_subplot(grid[:, 1])
        self.ax_a = self.fig.add_subplot(grid[:, 2])
        rows = np.arange(4)
        self.bars_z = self.ax_z.barh(rows, START)
        self.bars_a = self.ax_a.barh(rows, function(START))
        self.ax_z.set(xlim=(0, 10), title="z")
        self.ax_a.set(xlim=(0, 1), title="a = softmax(z)")
        self.labels = [self.ax_a.text(0, j, "") for j in rows]
        self.update(None)

    def update(self, _value):
        z = np.array([s.val for s in self.sliders])
        a = self.function(z)
        for bar_z, bar_a, label, zj, aj in zip(self.bars_z, self.bars_a, self.labels, z, a):
            bar_z.set_width(zj)
            bar_a.set_width(aj)
            label.set_text(f"{aj:.3f}")
        self.fig.canvas.draw_idle()  # Agg draws the whole figure now


class DrawIdleExplorer(SoftmaxExplorer):
    """The same explorer without blitting: every artist drawn in a full redraw."""

    def _build_figure(self) -> None:
        super()._build_figure()
        for artist in self._animated:
            artist.set_animated(False)

    def _render(self) -> None:
        self.fig.canvas.draw_idle()


def live_move_times(moves: int) -> tuple[list[float], list[float]]:
    """Seconds per move, from set_z until the frame is sent: (blit, draw_idle)."""
    blitting = plt_softmax(student_softmax, interactive=True)
    drawing = DrawIdleExplorer(student_softmax, interactive=True)
    sent = {id(blitting): 0, id(drawing): 0}
    for explorer in (blitting, drawing):
        explorer._repr_mimebundle_()
        canvas = explorer.fig.canvas
        canvas.syncing_data_url = False  # as once a browser is attached
        send = canvas.send_binary

        def counting_send(data, explorer=explorer, send=send):
            sent[id(explorer)] += 1
            send(data)

        canvas.send_binary = counting_send
    rng = np.random.default_rng(1)
    blit_times, draw_times = [], []

    def draw_when_asked(z):
        drawing.set_z(z)  # draw_idle: ipympl asks the browser to request a frame ...
        drawing.fig.canvas.handle_draw(None)  # ... and the browser's request draws it

    for move in range(moves):
        z = blitting.z.copy()
        z[move % 4] = float(np.round(rng.uniform(-9.5, 9.5), 1))
        for move_to, times in ((blitting.set_z, blit_times), (draw_when_asked, draw_times)):
            start = time.perf_counter()
            move_to(z)
            times.append(time.perf_counter() - start)
    assert sent[id(blitting)] >= moves and sent[id(drawing)] >= moves, sent
    return blit_times, draw_times


def report(title: str, baseline: tuple[str, list], candidate: tuple[str, list], target: str) -> None:
    """Print both medians in ms per move and the ratio candidate / baseline."""
    print(title)
    medians = []
    for label, times in (baseline, candidate):
        medians.append(statistics.median(times) * 1000)
        print(f"  {label + ':':<40} median {medians[-1]:.2f} ms per move")
    print(f"  ratio {candidate[0].split(' (')[0]} / {baseline[0].split(' (')[0]}: "
          f"{medians[1] / medians[0]:.3f}  ({target})")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moves", type=int, default=200)
    args = parser.parse_args(argv)

    baseline = CourseStyleExplorer(student_softmax)
    explorer = plt_softmax(student_softmax, interactive=False)
    explorer.set_z(START)
    rng = np.random.default_rng(0)
    baseline_times, explorer_times = [], []
    for move in range(args.moves):
        j = move % 4
        value = float(np.round(rng.uniform(0.5, 9.5), 1))
        start = time.perf_counter()
        baseline.sliders[j].set_val(value)
        baseline_times.append(time.perf_counter() - start)
        z = explorer.z.copy()
        z[j] = value
        start = time.perf_counter()
        explorer.set_z(z)
        explorer_times.append(time.perf_counter() - start)
    assert np.allclose(explorer.a, softmax(explorer.z)) and not explorer.message

    report(f"slider moves: {args.moves} (interleaved, single slider each, Agg backend)",
           ("baseline (course-style, full redraw)", baseline_times),
           ("plt_softmax explorer (set_z, blit)", explorer_times), "target <= 0.1")
    blit_times, draw_times = live_move_times(args.moves)
    report(f"live explorer, ipympl canvas, {args.moves} moves until the frame is sent (interleaved)",
           ("draw_idle (full redraw)", draw_times), ("blit (bars and text only)", blit_times),
           "blitting is kept only at <= 0.5")
    return 0


if __name__ == "__main__":
    sys.exit(main())
