"""Names of a package imported on first use, so importing the package stays fast."""

from __future__ import annotations

from importlib import import_module


def lazy_names(package: str, table: dict, namespace: dict):
    """``(__getattr__, __dir__)`` for a package whose names live in submodules.

    Parameters
    ----------
    package : str
        The package's name, for error messages.
    table : dict of str -> str
        Public name -> the module that defines it.
    namespace : dict
        The package's ``globals()``: a name, once imported, is stored there so the next access
        costs nothing.

    Examples
    --------
    >>> ns = {}
    >>> getattr_, dir_ = lazy_names("pkg", {"sqrt": "math"}, ns)
    >>> getattr_("sqrt")(9.0), "sqrt" in ns, dir_()
    (3.0, True, ['sqrt'])
    """
    names = sorted(table)

    def __getattr__(name):
        if name in table:
            value = getattr(import_module(table[name]), name)
            namespace[name] = value
            return value
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    def __dir__():
        return list(names)

    return __getattr__, __dir__
