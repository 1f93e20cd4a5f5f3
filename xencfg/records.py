"""Value classes without :mod:`dataclasses`.

Importing ``dataclasses`` (it imports ``inspect``) and building a dataclass
costs a one-file run more than reading the file, so the classes on the
start-up path are plain: each has its own ``__init__`` and lists its fields
in ``_fields``; these bases give them the equality and ``repr`` a dataclass
would (fields compared in order, only with the same class).
"""

from __future__ import annotations


class Record:
    __slots__ = ()
    _fields: tuple[str, ...] = ()

    def _values(self) -> tuple:
        return tuple([getattr(self, n) for n in self._fields])

    def __eq__(self, other):
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    __hash__ = None  # type: ignore[assignment]  # mutable: unhashable

    def __repr__(self) -> str:
        inner = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__qualname__}({inner})"


class Frozen(Record):
    """A Record whose fields cannot change once set (``__init__`` sets them
    with ``object.__setattr__``); hashable."""

    __slots__ = ()

    def __setattr__(self, name, value):
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name):
        raise AttributeError(f"cannot delete field {name!r}")

    def __hash__(self) -> int:
        return hash(self._values())

    def __reduce__(self):
        # (pickle and copy would set the fields one by one, which is refused:
        # they call the class with them instead, as ``__init__`` takes them)
        return type(self), self._values()
