"""Find the lines of a submission that try to change how it is graded.

Verdicts never depend on this: they are computed outside the student's process
(grading/grader.py), so a patch this misses still earns nothing. What finding it
adds is the rule "a tampered exercise scores 0" and one sentence saying which
line did it.

A line tampers when it, at the notebook's top level (or in a function through
``global``):

- binds a name the graded cells use (``check_softmax``, ``points``, ...) or
  ``print``, ``display`` or ``get_ipython`` to something that may be a function:
  by ``def``, ``class``, ``lambda``, an import of anything but the genuine object
  (``from IPython.display import display`` is not tampering), or an assignment of
  a name, an attribute or a call that does not plainly make data. A student's own
  data under such a name (``points = np.array(...)``, ``points = [1, 2]``) cannot
  change a verdict either, and is not called tampering: an honest notebook must
  never score 0 for a variable's name;
- assigns or deletes an attribute or item of NumPy, ``builtins``/``__builtins__``,
  ``lab_utils_checks``, ``sys`` or IPython (``np.allclose = ...``,
  ``sys.modules[...] = ...``), directly or with ``setattr``/``delattr``, or names
  one of them in a ``mock.patch("numpy....")``-style call;
- writes the notebook's names through ``globals()`` or ``vars()``;
- uses a private name of ``lab_utils_checks`` (``_softmax``, ``_cross_entropy``, ...):
  the checker's own reference answers, which a student's function must not call.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

PROTECTED_MODULES = ("numpy", "builtins", "lab_utils_checks", "sys", "IPython")
ALWAYS_PROTECTED_NAMES = ("print", "display", "get_ipython", "__builtins__", "__import__")
#: Where the genuine objects come from: importing them from there binds them to themselves.
GENUINE_SOURCES = {
    "display": ("IPython.display", "IPython.core.display", "IPython.core.display_functions"),
    "print": ("builtins",),
    "get_ipython": ("IPython",),
}
#: Calls of these builtins make data, never a function.
DATA_BUILTINS = frozenset({"list", "tuple", "dict", "set", "frozenset", "int", "float", "complex", "str",
                           "bool", "bytes", "len", "sum", "range", "sorted", "round", "abs", "min", "max",
                           "zip", "enumerate", "reversed", "any", "all", "divmod", "pow", "repr", "format"})


def _may_be_callable(value, aliases: dict[str, str]) -> bool:
    """Whether an assigned value might be a function (conservative: True unless it is plainly data)."""
    if isinstance(value, (ast.Constant, ast.JoinedStr, ast.ListComp, ast.SetComp, ast.DictComp,
                          ast.GeneratorExp, ast.BinOp, ast.UnaryOp, ast.Compare, ast.Dict)):
        return False
    if isinstance(value, (ast.List, ast.Tuple, ast.Set)):
        return False  # a container, even of functions, is not itself called
    if isinstance(value, ast.BoolOp):
        return any(_may_be_callable(operand, aliases) for operand in value.values)
    if isinstance(value, ast.IfExp):
        return _may_be_callable(value.body, aliases) or _may_be_callable(value.orelse, aliases)
    if isinstance(value, ast.Call):
        function = value.func
        if isinstance(function, ast.Name):
            return function.id not in DATA_BUILTINS
        root = _root(function)
        # np.array(...), np.zeros(...), np.random.default_rng(0).normal(...): NumPy's calls make data
        return not (isinstance(function, ast.Attribute) and root is not None
                    and aliases.get(root.id) == "numpy" and function.attr not in ("vectorize", "frompyfunc"))
    return True  # a name, an attribute, a subscript, a lambda, ...


@dataclass(frozen=True)
class Tampering:
    cell: int  # index of the cell in the submission
    line: str  # the offending line, as written
    what: str  # "redefines check_softmax", "changes np.allclose", ...
    name: str | None  # the graded name it rebinds, or None when it can touch every check
    why: str = "graded checks must run unchanged"  # the end of the feedback's sentence


def _python(source: str) -> str:
    """The cell as Python: IPython's magics and shell escapes turned into calls."""
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - an odd cell is analysed as written
        return source


def _root(node):
    """The Name at the root of a.b[c].d, or of vars(x)[...]; None if there is none."""
    while True:
        if isinstance(node, (ast.Attribute, ast.Subscript, ast.Starred)):
            node = node.value
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "vars" \
                and node.args:
            node = node.args[0]
        else:
            return node if isinstance(node, ast.Name) else None


def _dotted(node) -> str:
    try:
        return ast.unparse(node)
    except Exception:  # noqa: BLE001
        return "?"


def module_aliases(sources: list[str]) -> dict[str, str]:
    """{name in the notebook: protected module it refers to} from every import."""
    aliases = {"np": "numpy", "__builtins__": "builtins"}
    for source in sources:
        try:
            tree = ast.parse(_python(source))
        except SyntaxError:
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    top = alias.name.split(".")[0]
                    if top in PROTECTED_MODULES:
                        aliases[alias.asname or top] = top
            elif isinstance(node, ast.ImportFrom) and node.module:
                top = node.module.split(".")[0]
                if top in PROTECTED_MODULES:  # a submodule or a function: writing to it patches
                    for alias in node.names:
                        if alias.name != "*":
                            aliases[alias.asname or alias.name] = top
    for module in PROTECTED_MODULES:
        aliases.setdefault(module, module)
    return aliases


class _Finder(ast.NodeVisitor):
    def __init__(self, cell: int, lines: list[str], graded_names: set[str], aliases: dict[str, str]):
        self.cell, self.lines = cell, lines
        self.names = graded_names | set(ALWAYS_PROTECTED_NAMES)
        self.graded_names = graded_names
        self.aliases = aliases
        self.found: list[Tampering] = []
        self.scopes: list[set[str]] = []  # the ``global`` names of each enclosing function

    def _line(self, node) -> str:
        number = getattr(node, "lineno", 1) - 1
        return self.lines[number].strip() if 0 <= number < len(self.lines) else ""

    def _add(self, node, what: str, name: str | None, why: str | None = None) -> None:
        self.found.append(Tampering(self.cell, self._line(node), what, name,
                                    *([why] if why else [])))

    def _reference(self, node, dotted: str) -> None:
        self._add(node, f"uses {dotted}", None,
                  "which is the checker's own answer: your function must compute it itself")

    def visit_Attribute(self, node):
        root = _root(node)
        if isinstance(node.ctx, ast.Load) and node.attr.startswith("_") and not node.attr.startswith("__") \
                and root is not None and self.aliases.get(root.id) == "lab_utils_checks":
            self._reference(node, _dotted(node))
        self.generic_visit(node)

    def _module_level(self, name: str) -> bool:
        return not self.scopes or name in self.scopes[-1]

    def _bind(self, node, name: str, verb: str = "redefines") -> None:
        if name in self.names and self._module_level(name):
            self._add(node, f"{verb} {name}", name if name in self.graded_names else None)

    def _target(self, node, target, data: bool = False) -> None:
        """An assignment or deletion target; ``data``: the value bound is plainly not a function."""
        if isinstance(target, ast.Name):
            if not data:
                self._bind(node, target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                self._target(node, element)
        elif isinstance(target, ast.Starred):
            self._target(node, target.value)
        elif isinstance(target, (ast.Attribute, ast.Subscript)):
            root = _root(target)
            if root is not None and root.id in self.aliases:
                self._add(node, f"changes {_dotted(target)}", None)
            elif isinstance(target, ast.Subscript) and isinstance(target.value, ast.Call) and \
                    isinstance(target.value.func, ast.Name) and target.value.func.id in ("globals", "vars"):
                key = target.slice
                name = key.value if isinstance(key, ast.Constant) and isinstance(key.value, str) else None
                if (name is None or name in self.names) and not data:
                    self._add(node, f"changes {_dotted(target)}",
                              name if name in self.graded_names else None)

    # ---------------------------------------------------------------- bindings
    def _data(self, value) -> bool:
        return value is not None and not _may_be_callable(value, self.aliases)

    def visit_Assign(self, node):
        for target in node.targets:
            if isinstance(target, (ast.Tuple, ast.List)) and isinstance(node.value, (ast.Tuple, ast.List)) \
                    and len(target.elts) == len(node.value.elts):
                for element, value in zip(target.elts, node.value.elts):  # a, b = f, 1: pair by pair
                    self._target(node, element, self._data(value))
            else:
                self._target(node, target, self._data(node.value))
        self.generic_visit(node)

    def visit_AugAssign(self, node):
        self._target(node, node.target, self._data(node.value))
        self.generic_visit(node)

    def visit_AnnAssign(self, node):
        self._target(node, node.target, node.value is None or self._data(node.value))
        self.generic_visit(node)

    def visit_Delete(self, node):
        for target in node.targets:
            self._target(node, target)
        self.generic_visit(node)

    def visit_NamedExpr(self, node):
        self._target(node, node.target, self._data(node.value))
        self.generic_visit(node)

    def visit_For(self, node):
        self._target(node, node.target)
        self.generic_visit(node)

    visit_AsyncFor = visit_For

    def visit_With(self, node):
        for item in node.items:
            if item.optional_vars is not None:
                self._target(node, item.optional_vars)
        self.generic_visit(node)

    visit_AsyncWith = visit_With

    def visit_ExceptHandler(self, node):
        if node.name:
            self._bind(node, node.name)
        self.generic_visit(node)

    def visit_Import(self, node):
        for alias in node.names:
            self._bind(node, alias.asname or alias.name.split(".")[0], "imports something as")
        self.generic_visit(node)

    def visit_ImportFrom(self, node):
        for alias in node.names:
            bound = alias.asname or alias.name
            if node.module == "lab_utils_checks" and alias.name.startswith("_") \
                    and not alias.name.startswith("__"):
                self._reference(node, f"lab_utils_checks.{alias.name}")
                continue
            if node.module == "lab_utils_checks" and alias.name == bound:
                continue  # the real checker again
            if alias.name == bound and node.module in GENUINE_SOURCES.get(bound, ()):
                continue  # the genuine display, print or get_ipython again
            if alias.name == "*":
                continue
            self._bind(node, bound, "imports something as")
        self.generic_visit(node)

    def _scope(self, node, arguments=()):
        self._bind(node, node.name, "defines")
        for decorator in getattr(node, "decorator_list", []):
            self.visit(decorator)
        globals_here = {name for child in ast.walk(node) if isinstance(child, ast.Global)
                        for name in child.names}
        self.scopes.append(globals_here)
        for child in node.body:
            self.visit(child)
        self.scopes.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _scope

    def visit_Lambda(self, node):
        self.scopes.append(set())
        self.generic_visit(node)
        self.scopes.pop()

    # ---------------------------------------------------------------- calls
    def visit_Call(self, node):
        function = node.func
        name = function.id if isinstance(function, ast.Name) else (
            function.attr if isinstance(function, ast.Attribute) else "")
        if name == "getattr" and node.args:
            root = _root(node.args[0])
            if root is not None and self.aliases.get(root.id) == "lab_utils_checks":
                self._reference(node, f"getattr({_dotted(node.args[0])}, ...)")
        if name in ("setattr", "delattr", "__setattr__", "__delattr__") and node.args:
            root = _root(node.args[0])
            if root is not None and root.id in self.aliases:
                self._add(node, f"changes {_dotted(node.args[0])} with {name}", None)
        if name in ("update", "setdefault", "pop", "__setitem__", "__delitem__", "clear") and \
                isinstance(function, ast.Attribute):
            owner = function.value
            if isinstance(owner, ast.Call) and isinstance(owner.func, ast.Name) and \
                    owner.func.id in ("globals", "vars"):
                self._add(node, f"changes the notebook's names with {_dotted(function)}", None)
            else:
                root = _root(owner)
                if root is not None and root.id in self.aliases:
                    self._add(node, f"changes {_dotted(owner)} with .{name}", None)
        if name in ("run_line_magic", "run_cell_magic"):  # %time x = ..., %%capture: code in a string
            for argument in node.args[1:]:
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    try:
                        inner = ast.parse(argument.value)
                    except SyntaxError:
                        continue
                    for child in ast.walk(inner):
                        if hasattr(child, "lineno"):
                            child.lineno = node.lineno
                    self.visit(inner)
        if "patch" in name.lower() and node.args and isinstance(node.args[0], ast.Constant) and \
                isinstance(node.args[0].value, str) and \
                node.args[0].value.split(".")[0] in PROTECTED_MODULES + ("np",):
            self._add(node, f"patches {node.args[0].value}", None)
        self.generic_visit(node)


def find(cells: list[tuple[int, str]], graded_names: set[str]) -> list[Tampering]:
    """Every tampering line in ``cells`` ((submission index, source) of the student's code)."""
    aliases = module_aliases([source for _, source in cells])
    found = []
    for index, source in cells:
        python = _python(source)
        try:
            tree = ast.parse(python)
        except SyntaxError:
            continue  # it fails when it runs, and that is reported there
        lines = source.splitlines()  # quoted as the student wrote them, magics included
        if len(lines) != len(python.splitlines()):
            lines = python.splitlines()
        finder = _Finder(index, lines, graded_names, aliases)
        finder.visit(tree)
        found.extend(finder.found)
    return found
