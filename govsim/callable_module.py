"""A package that is also a function: ``govsim.sweep(...)`` and ``govsim.compare(...)``.

``govsim`` loads its public names on first use; once a submodule such as
``govsim.compare.core`` has been imported, Python binds ``govsim.compare`` to the package, not
to the function of the same name. Making the package callable keeps ``govsim.compare(...)``
working either way.
"""

from __future__ import annotations

import sys
import types
from collections.abc import Callable
from typing import Any

__all__ = ["make_callable"]


def make_callable(module_name: str, function: Callable[..., Any]) -> None:
    """Calling the module ``module_name`` calls ``function``."""

    class _CallableModule(types.ModuleType):
        def __call__(self, *args: Any, **kwargs: Any) -> Any:
            return function(*args, **kwargs)

    _CallableModule.__doc__ = f"``{module_name}`` is a package and {function.__name__}()."
    sys.modules[module_name].__class__ = _CallableModule
