"""Reading input files safely: scenarios, sweep files, options files and manifests.

Every file govsim reads as input goes through :func:`read_text`: only a regular file (a FIFO,
a device such as ``/dev/zero`` or a folder is refused at once instead of blocking or filling
memory), at most ``limits.scenario_bytes`` bytes (``govsim/data/bounds.toml``), UTF-8 with an
optional byte-order mark (Windows Notepad writes one). :func:`parse_toml` parses TOML and
refuses nesting deeper than ``limits.nesting_depth``, which would otherwise end in a
``RecursionError`` or in quadratic work later. Problems are :class:`~govsim.errors.InputError`
naming the file (and the line, for TOML syntax). :class:`InputModel` is the base of the
pydantic models that validate what such files hold: unknown keys, infinities, NaN, and
booleans where numbers belong are errors; :func:`validation_problems` is the one translation
of pydantic's errors into govsim's :class:`~govsim.errors.Problem` (field path, value, "did
you mean" for a mistyped key), used by the scenario and the sweep file alike.
"""

from __future__ import annotations

import difflib
import json
import os
import re
import stat
import tomllib
import types
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

from govsim.bounds import limit
from govsim.errors import InputError, Problem

__all__ = ["InputModel", "fields_at", "format_path", "nesting_depth", "parse_json",
           "parse_toml", "read_text", "validation_problems"]

BOM = "\ufeff"


def read_text(path: str | Path, what: str = "input file") -> str:
    """The UTF-8 text of a regular file of bounded size, without a byte-order mark.

    Raises
    ------
    InputError
        Naming the file: missing, not a regular file, too large, unreadable or not UTF-8.
    """
    name = str(path)
    maximum = limit("scenario_bytes")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise _error(name, f"cannot read the {what}: {reason}") from exc
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise _error(name, f"not a regular file ({_file_type(info.st_mode)}); give a "
                               f"{what} (TOML text)")
        if info.st_size > maximum:
            raise _error(name, f"{info.st_size:,} bytes is more than a {what} may have "
                               f"({maximum:,} bytes)")
        chunks, size = [], 0
        while size <= maximum:
            chunk = os.read(fd, min(1 << 20, maximum + 1 - size))
            if not chunk:
                break
            chunks.append(chunk)
            size += len(chunk)
    except OSError as exc:
        raise _error(name, f"cannot read the {what}: {exc.strerror or exc}") from exc
    finally:
        os.close(fd)
    if size > maximum:
        raise _error(name, f"more than {maximum:,} bytes: too large for a {what}")
    data = b"".join(chunks)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[:exc.start].count(b"\n") + 1
        raise _error(name, f"not UTF-8 text (byte {exc.start}); save the {what} as UTF-8",
                     line) from exc


def parse_toml(text: str, source: str | None, what: str = "input file") -> dict[str, Any]:
    """Parse TOML text (a leading byte-order mark is allowed) with a bounded nesting depth.

    Raises
    ------
    InputError
        Malformed TOML (with the line), or nesting deeper than ``limits.nesting_depth``.
    """
    text = text.removeprefix(BOM)
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        raise _error(source, f"malformed TOML: {exc}",
                     int(match.group(1)) if match else None) from exc
    except RecursionError as exc:
        raise _too_deep(source, what) from exc
    if nesting_depth(data) > limit("nesting_depth"):
        raise _too_deep(source, what)
    return data


def parse_json(text: str, source: str | None, what: str = "input file") -> Any:
    """Parse JSON text with a bounded nesting depth (see :func:`parse_toml`)."""
    try:
        data = json.loads(text.removeprefix(BOM))
    except json.JSONDecodeError as exc:
        raise _error(source, f"malformed JSON: {exc.msg} (column {exc.colno})",
                     exc.lineno) from exc
    except RecursionError as exc:
        raise _too_deep(source, what) from exc
    if nesting_depth(data) > limit("nesting_depth"):
        raise _too_deep(source, what)
    return data


def nesting_depth(value: Any, stop: int | None = None) -> int:
    """Levels of nested tables and arrays in parsed data (a scalar is 0), counted without
    recursion; counting stops just past ``stop`` (default ``limits.nesting_depth``)."""
    stop = limit("nesting_depth") if stop is None else stop
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        node, depth = stack.pop()
        if isinstance(node, dict):
            children = list(node.values())
        elif isinstance(node, list | tuple):
            children = list(node)
        else:
            continue
        deepest = max(deepest, depth + 1)
        if deepest > stop:
            return deepest
        stack.extend((child, depth + 1) for child in children)
    return deepest


def _error(source: str | None, message: str, line: int | None = None) -> InputError:
    return InputError([Problem("", message, file=source, line=line)])


def _too_deep(source: str | None, what: str) -> InputError:
    return _error(source, f"tables or arrays nested more than {limit('nesting_depth')} levels "
                          f"deep; a {what} needs only a few")


def _file_type(mode: int) -> str:
    for test, name in ((stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a file"


class InputModel(BaseModel):
    """Base of govsim's input models (scenario tables, sweep files).

    Infinities and NaN are valid TOML floats but meaningless as figures; booleans are ints to
    Python, so pydantic's lax mode reads ``dibao = true`` as 1 — both are refused where numbers
    belong.
    """

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_booleans_for_numbers(cls, value: Any, info: ValidationInfo) -> Any:
        field = cls.model_fields.get(info.field_name or "")
        if field is not None and _holds_bool(value) and _numbers_only(field.annotation):
            raise ValueError("a number is needed here, not true or false")
        return value


def _holds_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return True
    if isinstance(value, list | tuple):
        return any(isinstance(v, bool) for v in value)
    if isinstance(value, Mapping):
        return any(isinstance(v, bool) for v in value.values())
    return False


def _numbers_only(annotation: Any) -> bool:
    """Whether a field's type holds only numbers (int, float, their containers, or None)."""
    leaves: list[Any] = []
    stack = [annotation]
    while stack:
        kind = stack.pop()
        origin = typing.get_origin(kind)
        if origin is Annotated:
            stack.append(typing.get_args(kind)[0])
        elif origin is dict:
            stack.append(typing.get_args(kind)[1])
        elif origin in (tuple, list, typing.Union, types.UnionType):
            stack.extend(a for a in typing.get_args(kind) if a is not Ellipsis)
        else:
            leaves.append(kind)
    numbers = [leaf for leaf in leaves if leaf in (int, float)]
    return bool(numbers) and all(leaf in (int, float, type(None)) for leaf in leaves)


# -- pydantic errors as problems -------------------------------------------------------------

def validation_problems(model: type[BaseModel], data: Any) -> list[Problem]:
    """Every problem pydantic finds validating ``data`` as ``model`` (none: ``[]``).

    Each :class:`~govsim.errors.Problem` has the field path (``counties[3].dibao``), the
    offending value where there is one to show (not a whole table), and for an unknown key the
    closest known key ("did you mean") or the list of known keys.
    """
    try:
        model.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors()
        # A list whose entry is bad also reports "too short after validation": say it once.
        locs = [tuple(e["loc"]) for e in errors]
        return [_problem(model, e) for e, loc in zip(errors, locs, strict=True)
                if not any(len(o) > len(loc) and o[: len(loc)] == loc for o in locs)]
    return []


def _problem(root: type[BaseModel], err: Mapping[str, Any]) -> Problem:
    loc = tuple(err["loc"])
    path = format_path(loc)
    kind = err["type"]
    message = err["msg"].removeprefix("Value error, ")
    if kind == "extra_forbidden":
        known = fields_at(root, loc[:-1])
        message = "unknown key"
        hint = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        if hint:
            message += f"; did you mean {hint[0]!r}?"
        elif known:
            message += f" (known keys: {', '.join(known)})"
    elif kind == "missing":
        return Problem(path, "required field is missing")
    value = err.get("input", None)
    if kind.startswith("model_") or isinstance(value, dict):
        return Problem(path, message)
    return Problem(path, message, value=value)


def format_path(loc: tuple[Any, ...]) -> str:
    """``('counties', 3, 'dibao')`` -> ``counties[3].dibao``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out


def fields_at(root: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    """Keys of the model found by walking ``loc`` (list indices skipped) from ``root``."""
    model: Any = root
    for part in loc:
        if isinstance(part, int):
            continue
        fields = _keys(model)
        if part not in fields:
            return []
        model = _inner_model(fields[part].annotation)
    return list(_keys(model))


def _keys(model: Any) -> dict[str, Any]:
    """A model's fields by the key that input data uses (the alias where there is one)."""
    fields = getattr(model, "model_fields", None) or {}
    return {info.alias or name: info for name, info in fields.items()}


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    if typing.get_origin(annotation) in (tuple, list, typing.Union, types.UnionType):
        for arg in typing.get_args(annotation):
            found = _inner_model(arg)
            if found is not None:
                return found
    return None
