"""Runs one student's notebook inside the sandbox, then answers calls to their functions.

This file is copied read-only into each sandbox (grading/sandbox.py starts it).
It is the grader's code, but it runs in the student's process, after and beside
the student's own code, so nothing it reports is trusted: the grader outside
decodes every message defensively and computes every verdict itself.

The channel is the process's original stdin and stdout, one JSON document per
line. Nothing is ever pickled: arrays travel as .npy bytes (allow_pickle=False)
in base64.

1. The grader sends {"cells": [...], "cell_seconds": 30, "call_seconds": 5}.
   A cell is {"kind": "code", "index": i, "source": ...} or
   {"kind": "capture", "index": i, "grade_id": ..., "name": "my_softmax"}.
2. For each cell the runner sends {"event": "start", "index": i}, runs it and
   sends {"event": "done", ...outputs}. A capture cell keeps the object bound to
   ``name`` at that point and sends {"event": "captured", ...}.
3. Then {"event": "ready"}, and it answers {"call": n, "grade_id": ..., "args": [...]}
   with {"reply": n, ...} until its input closes.
"""

from __future__ import annotations

import base64
import io
import json
import os
import signal
import sys
import warnings

# The channel: the original stdin/stdout, kept on private descriptors. The
# student's code writes to fd 1 and 2, which lead to /dev/null and the grader's log.
_IN = os.fdopen(os.dup(0), "rb")
_OUT = os.fdopen(os.dup(1), "wb", buffering=0)
_null = os.open(os.devnull, os.O_RDWR)
os.dup2(_null, 0)
os.dup2(_null, 1)
sys.stdin = open(os.devnull)
sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", buffering=0), write_through=True)

TEXT_LIMIT = 20_000  # characters kept of each stream of one cell
IMAGE_LIMIT = 1_000_000  # bytes of one PNG kept
OUTPUTS_LIMIT = 20  # rich outputs kept per cell
NOTEBOOK_OUTPUT_LIMIT = 20_000_000  # characters of output kept for the whole notebook
ARRAY_LIMIT = 1_000_000  # elements in one returned array


def send(message: dict) -> None:
    _OUT.write(json.dumps(message, allow_nan=True).encode() + b"\n")


def receive() -> dict | None:
    line = _IN.readline()
    return json.loads(line) if line else None


class CellTimeout(BaseException):
    """Raised in the student's code when a cell or a call runs out of time."""


def _alarm(signum, frame):
    raise CellTimeout()


# ------------------------------------------------------------------ capturing outputs


class CappedText(io.TextIOBase):
    def __init__(self):
        self.parts, self.size = [], 0

    def writable(self):
        return True

    def write(self, text):
        text = str(text)
        if self.size < TEXT_LIMIT:
            self.parts.append(text[: TEXT_LIMIT - self.size])
        self.size += len(text)
        return len(text)

    def value(self) -> str:
        text = "".join(self.parts)
        return text + ("\n[... output cut]" if self.size > TEXT_LIMIT else "")


CELL_OUTPUTS: list = []


def _keep_bundle(data) -> dict:
    kept = {}
    text = data.get("text/plain")
    if isinstance(text, str):
        kept["text/plain"] = text[:TEXT_LIMIT]
    image = data.get("image/png")
    if isinstance(image, bytes):
        image = base64.b64encode(image).decode()
    if isinstance(image, str) and len(image) <= IMAGE_LIMIT * 4 // 3 + 4:
        kept["image/png"] = image
    return kept


def _shell():
    from IPython.core.displayhook import DisplayHook
    from IPython.core.displaypub import DisplayPublisher
    from IPython.core.interactiveshell import InteractiveShell

    class Publisher(DisplayPublisher):
        def publish(self, data, metadata=None, source=None, *, transient=None, update=False, **kw):
            if len(CELL_OUTPUTS) < OUTPUTS_LIMIT:
                CELL_OUTPUTS.append({"output_type": "display_data", "data": _keep_bundle(data)})

        def clear_output(self, wait=False):
            CELL_OUTPUTS.clear()

    class Hook(DisplayHook):
        def write_output_prompt(self):
            pass

        def write_format_data(self, format_dict, md_dict=None):
            if len(CELL_OUTPUTS) < OUTPUTS_LIMIT:
                CELL_OUTPUTS.append({"output_type": "execute_result", "data": _keep_bundle(format_dict)})

        def finish_displayhook(self):
            pass

    class Shell(InteractiveShell):
        def _showtraceback(self, etype, evalue, stb):
            CELL_OUTPUTS.append({"output_type": "error", "ename": getattr(etype, "__name__", "Error"),
                                 "evalue": str(evalue)[:2000], "traceback": [s[:4000] for s in stb[-40:]]})

    Shell.displayhook_class = Hook
    Shell.display_pub_class = Publisher
    return Shell.instance()


def run_cell(shell, source: str, seconds: float) -> dict:
    CELL_OUTPUTS.clear()
    out, err = CappedText(), CappedText()
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    timed_out = False
    signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        shell.run_cell(source, store_history=True)
    except CellTimeout:  # raised outside the student's code: the cell is over anyway
        pass
    finally:
        left = signal.setitimer(signal.ITIMER_REAL, 0)[0]
        sys.stdout, sys.stderr = saved
    errors = [o for o in CELL_OUTPUTS if o["output_type"] == "error"]
    if left == 0 and any(o["ename"] == "CellTimeout" for o in errors):
        timed_out = True
    outputs = []
    for name, stream in (("stdout", out), ("stderr", err)):
        if stream.value():
            outputs.append({"output_type": "stream", "name": name, "text": stream.value()})
    return {"outputs": outputs + list(CELL_OUTPUTS), "timed_out": timed_out}


# ------------------------------------------------------------------ encoding values


def _npy(array) -> str:
    import numpy as np

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return base64.b64encode(buffer.getvalue()).decode()


def decode(value):
    import numpy as np

    kind = value["t"]
    if kind == "nd":
        return np.load(io.BytesIO(base64.b64decode(value["npy"])), allow_pickle=False)
    if kind == "np":
        return np.load(io.BytesIO(base64.b64decode(value["npy"])), allow_pickle=False)[()]
    return value.get("v")


def encode(result) -> dict:
    """The student's result as something the grader can rebuild without unpickling."""
    import numpy as np

    if result is None:
        return {"t": "none"}
    if isinstance(result, bool):
        return {"t": "bool", "v": result}
    if isinstance(result, int) and abs(result) < 2**63:
        return {"t": "int", "v": result}
    if isinstance(result, float):
        return {"t": "float", "v": result}
    if isinstance(result, str):
        return {"t": "str", "v": result[:500]}
    if isinstance(result, bytes):
        return {"t": "bytes", "v": result[:500].decode("latin-1")}
    try:
        if hasattr(result, "numpy") and callable(result.numpy):  # a TensorFlow tensor
            result = result.numpy()
        if isinstance(result, np.generic) and result.dtype.kind in "biufc":
            return {"t": "np", "npy": _npy(np.asarray(result))}
        if isinstance(result, (np.ndarray, list, tuple)):
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                array = np.asarray(result)
            if array.dtype.kind in "biufc" and array.size <= ARRAY_LIMIT:
                return {"t": "nd", "npy": _npy(array)}
    except BaseException:  # noqa: BLE001 - an object that breaks on conversion is "other"
        pass
    try:
        text = repr(result)[:200]
    except BaseException:  # noqa: BLE001
        text = "<an object whose repr fails>"
    return {"t": "other", "type": type(result).__name__[:60], "repr": text}


# Exception classes the grader recreates, most specific first.
_KINDS = ("NotImplementedError", "NameError", "AxisError", "TypeError", "ValueError", "IndexError",
          "KeyError", "ZeroDivisionError", "OverflowError", "FloatingPointError", "AttributeError",
          "RecursionError", "RuntimeError", "ArithmeticError", "LookupError")


def _kind(error: BaseException) -> str:
    names = {cls.__name__ for cls in type(error).__mro__}
    return next((name for name in _KINDS if name in names), "Exception")


def call(captured: dict, request: dict, seconds: float) -> dict:
    import numpy as np

    reply = {"reply": request.get("call")}
    function = captured.get(request.get("grade_id"))
    arguments = [decode(a) for a in request["args"]]
    recorded = []
    printed = CappedText()
    saved = sys.stdout
    sys.stdout = printed
    signal.signal(signal.SIGALRM, _alarm)
    try:
        with warnings.catch_warnings(record=True) as recorded, np.errstate(
                over="warn", divide="warn", invalid="warn", under="ignore"):
            warnings.simplefilter("always")
            signal.setitimer(signal.ITIMER_REAL, seconds)
            try:
                result = function(*arguments)
            finally:
                signal.setitimer(signal.ITIMER_REAL, 0)
        reply.update(ok=True, result=encode(result))
    except CellTimeout:
        reply.update(ok=False, timed_out=True)
    except BaseException as error:  # noqa: BLE001 - the student's error is the reply
        reply.update(ok=False, error={"type": type(error).__name__[:60], "kind": _kind(error),
                                      "message": str(error)[:1000]})
    finally:
        sys.stdout = saved
    reply["printed"] = printed.value()[:2000]
    reply["warnings"] = list(dict.fromkeys(
        str(w.message)[:200] for w in recorded if issubclass(w.category, RuntimeWarning)))[:5]
    reply["args_after"] = [encode(a) if isinstance(a, np.ndarray) else None for a in arguments]
    return reply


def describe(value) -> dict:
    name = getattr(value, "__name__", "")
    qualname = getattr(value, "__qualname__", "")
    return {"callable": callable(value), "type": type(value).__name__[:60],
            "name": name[:60] if isinstance(name, str) else "",
            "qualname": qualname[:60] if isinstance(qualname, str) else ""}


def _within_budget(result: dict, budget: list) -> dict:
    """The cell's outputs, or one line saying they were not kept once the notebook's are too many."""
    size = len(json.dumps(result["outputs"]))
    budget[0] -= size
    if budget[0] < 0:
        result["outputs"] = [{"output_type": "stream", "name": "stdout",
                              "text": "[this cell's output was not kept: the notebook printed too much]"}]
    return result


def main() -> None:
    job = receive()
    shell = _shell()
    captured = {}
    budget = [NOTEBOOK_OUTPUT_LIMIT]
    for cell in job["cells"]:
        send({"event": "start", "index": cell["index"]})
        if cell["kind"] == "capture":
            name = cell["name"]
            if name in shell.user_ns:
                captured[cell["grade_id"]] = shell.user_ns[name]
                send({"event": "captured", "grade_id": cell["grade_id"],
                      **describe(shell.user_ns[name])})
            else:
                send({"event": "captured", "grade_id": cell["grade_id"], "missing": True})
            continue
        result = _within_budget(run_cell(shell, cell["source"], job["cell_seconds"]), budget)
        send({"event": "done", "index": cell["index"], **result})
    send({"event": "ready"})
    while (request := receive()) is not None:
        send(call(captured, request, job["call_seconds"]))


if __name__ == "__main__":
    main()
