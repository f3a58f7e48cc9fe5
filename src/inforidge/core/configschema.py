"""Turning plain YAML data into typed dataclass configs, with errors that name the key.

Generic over any dataclass tree: each field's type annotation says what is accepted,
its default makes it optional, and ``metadata["doc"]`` documents it. Used by
``inforidge.config``; kept apart so the schema machinery and the schema itself stay
separately readable.
"""

from __future__ import annotations

import dataclasses
import types
import typing
from typing import Any, Literal, Union


class ConfigError(ValueError):
    """A user-facing configuration error; the message names the offending key path."""


class FieldError(ValueError):
    """A ``__post_init__`` check failed on one field; ``build`` prefixes the field's full key path."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def require(condition: bool, key: str, message: str) -> None:
    """Raise :class:`FieldError` for ``key`` (a field name, or a dotted path below it) unless ``condition``."""
    if not condition:
        raise FieldError(key, message)


def at_least(section: Any, minimum: float, *names: str) -> None:
    """Each named field of ``section`` is null or >= ``minimum``."""
    for name in names:
        value = getattr(section, name)
        require(value is None or value >= minimum, name, f"must be >= {minimum}, got {value!r}")


def positive(section: Any, *names: str) -> None:
    """Each named field of ``section`` is null or > 0 (learning rates, bandwidths, scales)."""
    for name in names:
        value = getattr(section, name)
        require(value is None or value > 0, name, f"must be > 0, got {value!r}")


def doc(text: str, default: Any = dataclasses.MISSING, *, factory: Any = dataclasses.MISSING) -> Any:
    """A dataclass field with a description (and optionally a default or default factory)."""
    if factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=factory, metadata={"doc": text})
    return dataclasses.field(default=default, metadata={"doc": text})


def build(cls: type, data: Any, path: str) -> Any:
    """Convert ``data`` into an instance of dataclass ``cls``, validating every key."""
    if not isinstance(data, dict):
        raise ConfigError(f"{path or 'config'}: expected a mapping, got {type(data).__name__}")
    hints = typing.get_type_hints(cls)
    fields = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(fields))
    if unknown:
        raise ConfigError(f"{_join(path, unknown[0])}: unknown key (known keys: {', '.join(sorted(fields))})")
    values = {}
    for name, field in fields.items():
        key = _join(path, name)
        if name in data:
            values[name] = convert(hints[name], data[name], key)
        elif field.default is dataclasses.MISSING and field.default_factory is dataclasses.MISSING:
            raise ConfigError(f"{key}: required key is missing ({field.metadata.get('doc', '')})")
    try:
        return cls(**values)
    except ConfigError:
        raise
    except FieldError as err:  # one field's range or cross-field check
        raise ConfigError(f"{_join(path, err.key)}: {err}") from None
    except ValueError as err:  # __post_init__ cross-field checks
        raise ConfigError(f"{path or 'config'}: {err}") from None


def convert(tp: Any, value: Any, path: str) -> Any:
    """Check ``value`` against type annotation ``tp`` and convert containers/dataclasses."""
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return value
    if origin in (Union, types.UnionType):
        return _convert_union(args, value, path)
    if origin is Literal:
        if value not in args:
            raise ConfigError(f"{path}: must be one of {list(args)}, got {value!r}")
        return value
    if dataclasses.is_dataclass(tp):
        return build(tp, value, path)
    if origin in (list, tuple):
        if not isinstance(value, (list, tuple)):
            raise ConfigError(f"{path}: expected a list, got {type(value).__name__} {value!r}")
        items = [convert(args[0], v, f"{path}[{i}]") for i, v in enumerate(value)]
        return items if origin is list else tuple(items)
    if origin is dict:
        if not isinstance(value, dict):
            raise ConfigError(f"{path}: expected a mapping, got {type(value).__name__}")
        return {convert(args[0], k, path): convert(args[1], v, _join(path, str(k))) for k, v in value.items()}
    return _convert_scalar(tp, value, path)


def _convert_union(args: tuple, value: Any, path: str) -> Any:
    if value is None and type(None) in args:
        return None
    options = [a for a in args if a is not type(None)]
    if len(options) == 1:  # X | None: X's own error, with its own (deeper) key path
        return convert(options[0], value, path)
    errors = []
    for option in options:
        try:
            return convert(option, value, path)
        except ConfigError as err:
            errors.append(str(err).removeprefix(f"{path}: "))
    raise ConfigError(f"{path}: {' / '.join(errors)}")


def _convert_scalar(tp: type, value: Any, path: str) -> Any:
    # bool is an int subclass in Python; a config "true" for an int field is a mistake.
    if tp is float and isinstance(value, (int, float)) and not isinstance(value, bool):
        return float(value)
    if tp in (int, str, bool) and type(value) is tp:
        return value
    raise ConfigError(f"{path}: expected {tp.__name__}, got {type(value).__name__} {value!r}")


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def describe(cls: type, prefix: str = "") -> list[tuple[str, str, str, str]]:
    """Flatten a dataclass tree into (key path, type, default, description) rows."""
    rows = []
    hints = typing.get_type_hints(cls)
    for field in dataclasses.fields(cls):
        key, tp = _join(prefix, field.name), hints[field.name]
        default = _default_repr(field)
        rows.append((key, _type_name(tp), default, field.metadata.get("doc", "")))
        nested = _nested_dataclass(tp)
        if nested is not None:
            rows.extend(describe(nested, key + (".<name>" if typing.get_origin(tp) is dict else "")))
    return rows


def _nested_dataclass(tp: Any) -> type | None:
    if dataclasses.is_dataclass(tp):
        return tp
    for arg in typing.get_args(tp):
        found = _nested_dataclass(arg)
        if found is not None:
            return found
    return None


def _default_repr(field: dataclasses.Field) -> str:
    if field.default is not dataclasses.MISSING:
        return repr(field.default)
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return "(see fields)" if dataclasses.is_dataclass(value) else repr(value)
    return "required"


def _type_name(tp: Any) -> str:
    return str(tp).replace("typing.", "") if typing.get_origin(tp) else getattr(tp, "__name__", str(tp))


# --- JSON Schema (draft 2020-12) of a dataclass tree, for tools outside Python -----------------

JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


def json_schema(cls: type) -> dict[str, Any]:
    """The JSON Schema of dataclass ``cls``: the same keys, types, defaults and docs ``build`` checks.

    Nested dataclasses become ``$defs`` entries (one per class). Cross-field checks of
    ``__post_init__`` cannot be expressed here; ``build`` remains the full validator.
    """
    defs: dict[str, Any] = {}
    root = _object_schema(cls, defs)
    return {"$schema": JSON_SCHEMA_DIALECT, "title": cls.__name__, **root, "$defs": dict(sorted(defs.items()))}


def _object_schema(cls: type, defs: dict[str, Any]) -> dict[str, Any]:
    hints = typing.get_type_hints(cls)
    properties, required = {}, []
    for field in dataclasses.fields(cls):
        if not field.init:
            continue
        prop = _type_schema(hints[field.name], defs)
        if field.metadata.get("doc"):
            prop["description"] = field.metadata["doc"]
        default = _json_default(field)
        if default is not dataclasses.MISSING:
            prop["default"] = default
        elif field.default_factory is dataclasses.MISSING:
            required.append(field.name)
        properties[field.name] = prop
    schema: dict[str, Any] = {"type": "object", "description": (cls.__doc__ or "").strip().split("\n")[0],
                              "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def _type_schema(tp: Any, defs: dict[str, Any]) -> dict[str, Any]:
    origin, args = typing.get_origin(tp), typing.get_args(tp)
    if tp is Any:
        return {}
    if origin in (Union, types.UnionType):
        return {"anyOf": [_type_schema(a, defs) for a in args]}
    if origin is Literal:
        return {"enum": list(args)}
    if dataclasses.is_dataclass(tp):
        if tp.__name__ not in defs:
            defs[tp.__name__] = {}  # placeholder first: a recursive tree terminates
            defs[tp.__name__] = _object_schema(tp, defs)
        return {"$ref": f"#/$defs/{tp.__name__}"}
    if origin in (list, tuple):
        return {"type": "array", "items": _type_schema(args[0], defs)}
    if origin is dict:
        return {"type": "object", "additionalProperties": _type_schema(args[1], defs)}
    return {"type": _JSON_SCALARS[tp]}


# int accepts integers only (``build`` rejects booleans); float accepts any number.
_JSON_SCALARS = {int: "integer", float: "number", str: "string", bool: "boolean", type(None): "null"}


def _json_default(field: dataclasses.Field) -> Any:
    """A field's default as JSON, or MISSING for required fields and nested-section factories."""
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        value = field.default_factory()
        return dataclasses.MISSING if dataclasses.is_dataclass(value) else value
    return dataclasses.MISSING
