"""Runs inside the grading kernel: the tests compare with the real functions.

The autograder inserts cells that call `protect()` before any student code, `remember()`
after each locked cell that defines names the tests use, and `restore()` before each test
cell. A solution cell that patches `torch.allclose`, or redefines a test helper, is undone
before the tests run. This is a speed bump, not a sandbox: see the README.
"""

import builtins
import importlib

# "module:attribute" pairs the tests rely on to compare results.
PROTECTED = [
    "builtins:abs",
    "builtins:all",
    "builtins:any",
    "builtins:isinstance",
    "builtins:len",
    "builtins:max",
    "builtins:min",
    "builtins:round",
    "builtins:sum",
    "builtins:AssertionError",
    "math:isclose",
    "numpy:allclose",
    "numpy:isclose",
    "numpy:array_equal",
    "numpy.testing:assert_allclose",
    "numpy.testing:assert_array_equal",
    "torch:allclose",
    "torch:isclose",
    "torch:equal",
    "torch.testing:assert_close",
    "torch:Tensor",
]
# Methods of torch.Tensor a patch could turn into "always equal".
TENSOR_METHODS = ["allclose", "isclose", "equal", "item", "tolist", "all", "any", "abs"]
TENSOR_METHODS += ["max", "norm", "__eq__", "__lt__", "__le__", "__gt__", "__ge__"]

_originals: dict[tuple[str, str], object] = {}
_remembered: dict[str, object] = {}


def protect() -> None:
    """Record the protected functions as they are before any student code runs."""
    for entry in PROTECTED:
        module_name, name = entry.split(":")
        module = importlib.import_module(module_name)
        _originals[module_name, name] = getattr(module, name)
    tensor = _originals["torch", "Tensor"]
    for name in TENSOR_METHODS:
        _originals["torch.Tensor", name] = tensor.__dict__.get(name, getattr(tensor, name))


def remember(namespace: dict, names: list[str]) -> None:
    """Record the values a locked cell just gave to names the tests use."""
    _remembered.update({name: namespace[name] for name in names if name in namespace})


def restore(namespace: dict) -> None:
    """Put back every protected function and remembered name."""
    for (module_name, name), value in _originals.items():
        if module_name == "torch.Tensor":
            setattr(_originals["torch", "Tensor"], name, value)
        else:
            setattr(importlib.import_module(module_name), name, value)
    namespace.update(_remembered)
    namespace["__builtins__"] = builtins
