"""The typing stubs ship with the package and agree with the runtime; mypy
(when installed) type-checks a small user program against them."""
from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap

import pytest

import rusttorch as rt

PKG_DIR = os.path.dirname(rt.__file__)


def stub_tree() -> ast.Module:
    with open(os.path.join(PKG_DIR, "_C.pyi"), encoding="utf-8") as f:
        return ast.parse(f.read())


def stub_names(tree: ast.Module):
    module, tensor = set(), set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            module.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            module.add(node.target.id)
        if isinstance(node, ast.ClassDef) and node.name == "Tensor":
            for item in node.body:
                if isinstance(item, ast.FunctionDef):
                    tensor.add(item.name)
                elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                    tensor.add(item.target.id)
    return module, tensor


def test_stub_files_are_shipped():
    assert os.path.isfile(os.path.join(PKG_DIR, "py.typed"))
    assert os.path.isfile(os.path.join(PKG_DIR, "_C.pyi"))


def test_stubs_match_the_native_module():
    module, tensor = stub_names(stub_tree())
    runtime = {n for n in dir(rt._C) if not n.startswith("__")}
    assert runtime - module == set(), "missing from _C.pyi"
    assert module - runtime - {"_b"} == set(), "in _C.pyi but not in rusttorch._C"
    runtime_methods = {n for n in dir(rt.Tensor) if not n.startswith("__") or n in (
        "__add__", "__getitem__", "__setitem__", "__dlpack__", "__dlpack_device__", "__array__", "__iadd__",
        "__matmul__", "__reduce__", "__deepcopy__", "__copy__", "__format__", "__len__", "__iter__", "__bool__",
        "__index__", "__contains__", "__neg__", "__invert__")}
    skipped = {"__init_subclass__", "__subclasshook__", "__class__", "__doc__", "__module__", "__weakref__"}
    assert runtime_methods - tensor - skipped == set(), "Tensor members missing from _C.pyi"
    dunder_ok = {"__init__", "__hash__", "__eq__", "__ne__", "__lt__", "__le__", "__gt__", "__ge__", "__buffer__",
                 "__array_priority__"}
    extra = {n for n in tensor - set(dir(rt.Tensor)) if n not in dunder_ok}
    assert extra == set(), "in the Tensor stub but not at runtime"


def test_package_modules_are_typed_python():
    for rel in ("__init__.py", "_tensor_methods.py", os.path.join("nn", "functional.py"),
                os.path.join("backends", "cpu.py")):
        with open(os.path.join(PKG_DIR, rel), encoding="utf-8") as f:
            ast.parse(f.read())


EXAMPLE = textwrap.dedent('''
    import numpy as np
    import rusttorch as rt
    import rusttorch.nn.functional as F

    x: rt.Tensor = rt.zeros(2, 3, dtype=rt.float64)
    y = rt.add(x, 1.5, alpha=2) * x.T.T - 1
    s: rt.Size = y.shape
    n: int = y.numel() + s[0] + y.size(1)
    d: rt.dtype = y.dtype
    z = rt.cat([x, y], dim=0)[1:, ::2]
    parts = z.split(1)
    first: rt.Tensor = parts[0]
    a: np.ndarray = first.numpy()
    v = rt.from_numpy(a)
    w = rt.where(v > 0, v, 0.0)
    w += 1
    cap: str = rt.backends.cpu.get_cpu_capability()
    rt.set_num_threads(rt.get_num_threads())
    t = rt.Tensor.zeros([2, 3])
    u = rt.from_dlpack(t)
    f: float = float(u.sum()) if hasattr(u, "sum") else 0.0
''')

BAD_EXAMPLE = textwrap.dedent('''
    import rusttorch as rt
    x = rt.zeros(2)
    n: str = x.numel()
''')


def run_mypy(tmp_path, source: str):
    mypy = pytest.importorskip("mypy.api")
    p = tmp_path / "example.py"
    p.write_text(source)
    env_path = os.path.dirname(PKG_DIR)
    old = os.environ.get("MYPYPATH")
    # An installed package is found by mypy itself (and MYPYPATH may not name site-packages);
    # a build tree (PYTHONPATH=<builddir>/python) is named through MYPYPATH.
    installed = "site-packages" in env_path.split(os.sep)
    if not installed:
        os.environ["MYPYPATH"] = env_path
    try:
        return mypy.run(["--no-incremental", "--cache-dir", os.devnull, "--ignore-missing-imports",
                         "--python-version", f"{sys.version_info.major}.{sys.version_info.minor}", str(p)])
    finally:
        if old is None:
            os.environ.pop("MYPYPATH", None)
        else:
            os.environ["MYPYPATH"] = old


def test_mypy_accepts_typical_code(tmp_path):
    out, err, status = run_mypy(tmp_path, EXAMPLE)
    assert status == 0, out + err


def test_mypy_rejects_type_errors(tmp_path):
    out, err, status = run_mypy(tmp_path, BAD_EXAMPLE)
    assert status == 1 and "Incompatible types" in out, out + err


def test_import_outside_repo_has_no_source_tree_dependency():
    r = subprocess.run([sys.executable, "-c", "import rusttorch, sys; print(rusttorch.__file__)"],
                       capture_output=True, text=True, cwd=os.path.expanduser("~"), timeout=120)
    assert r.returncode == 0, r.stderr
