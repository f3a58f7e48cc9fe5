"""The one registry type behind every extension point (probes, tasks, figures).

A registry maps a name to a spec; registering a name twice is an error (two modules
claiming one name would otherwise shadow each other silently), and looking up an
unknown name names the known ones. Heavy implementations (torch, matplotlib) are
referenced as ``"module:function"`` strings and imported by :func:`resolve` only in the
job that runs them, so that planning the workflow never imports them.
"""

from __future__ import annotations

import dataclasses
import importlib
from collections.abc import Iterable, Iterator
from typing import Any, Generic, Protocol, TypeVar


class Named(Protocol):
    name: str


T = TypeVar("T", bound=Named)


class Registry(Generic[T]):
    """Specs by name, in registration order."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self._specs: dict[str, T] = {}

    def register(self, spec: T) -> T:
        """Add ``spec`` under ``spec.name``; returns it (usable as a one-line declaration)."""
        if spec.name in self._specs:
            raise ValueError(f"{self.kind} {spec.name!r} is registered twice")
        self._specs[spec.name] = spec
        return spec

    def __getitem__(self, name: str) -> T:
        try:
            return self._specs[name]
        except KeyError:
            raise KeyError(f"unknown {self.kind} {name!r} (registered: {', '.join(self._specs)})") from None

    def __contains__(self, name: object) -> bool:
        return name in self._specs

    def __iter__(self) -> Iterator[T]:
        return iter(list(self._specs.values()))

    def __len__(self) -> int:
        return len(self._specs)

    def names(self) -> list[str]:
        return list(self._specs)


def resolve(ref: str) -> Any:
    """Import ``"package.module:attribute"`` and return the attribute."""
    module, _, attribute = ref.partition(":")
    if not attribute:
        raise ValueError(f"reference {ref!r} is not of the form 'module:attribute'")
    return getattr(importlib.import_module(module), attribute)


def require_fields(settings: type, owner: str, *names: str) -> None:
    """A spec's settings dataclass declares the fields the workflow reads (e.g. enabled, checkpoints)."""
    missing = set(names) - {f.name for f in dataclasses.fields(settings)}
    if missing:
        raise ValueError(f"{owner}: settings {settings.__name__} need the fields {sorted(missing)}")


def settings_section(specs: Iterable[Any], class_name: str, doc_text: str) -> type:
    """A frozen config section with one field per spec, named ``spec.name`` and typed ``spec.settings``."""
    from inforidge.core.configschema import doc

    fields = [(spec.name, spec.settings, doc(spec.doc, factory=spec.settings)) for spec in specs]
    cls = dataclasses.make_dataclass(class_name, fields, frozen=True)
    cls.__doc__ = doc_text
    cls.__module__ = "inforidge.config"
    return cls
