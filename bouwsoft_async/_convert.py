"""The one converter: JSON bytes to models, and models to plain data.

Every response goes through here; no endpoint calls ``json.loads`` or builds a model by hand.

Record models (attrs classes with an ``extra`` field) get a structure hook generated once per
class as straight-line Python: one type check per field, no per-field hook lookup, unknown keys
collected into ``extra``. It is several times faster than cattrs' generic path on 124-field
invoices, which matters for bulk exports. Other classes use cattrs' own generated hooks.
"""

from __future__ import annotations

import json
import linecache
import math
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from types import MappingProxyType, NoneType, UnionType
from typing import Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs

from ._errors import DecodeError
from ._models import NO_EXTRA, RecordChanges
from ._protocol import MAX_CURRENCY_DECIMALS, excerpt
from ._types import Money, Rate

__all__ = [
    "converter",
    "decode_json",
    "money_from_wire",
    "rate_from_wire",
    "structure",
    "structure_changes",
    "structure_many",
    "try_decode_json",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter()

# -- scalars ---------------------------------------------------------------------------------

_MONEY_QUANTUM = Decimal(1).scaleb(-MAX_CURRENCY_DECIMALS)
_ONE = Decimal(1)
# the dot and at most MAX_CURRENCY_DECIMALS digits after it
_MONEY_TEXT_TAIL = MAX_CURRENCY_DECIMALS + 1
# amounts repeat a lot (0.0 above all, and each amount in its VAT slot); a small memo makes the
# common case a dict lookup and keeps memory flat however many invoices pass
_MEMO_LIMIT = 1 << 12
# floats and ints apart: 0 == 0.0, but Decimal("0") and Decimal("0.0") are written differently
_money_memo: dict[float, Decimal] = {}
_money_int_memo: dict[int, Decimal] = {}
_rate_memo: dict[float, Decimal] = {}
_rate_int_memo: dict[int, Decimal] = {}
# dates repeat even more: every day of 40 years fits (ten years of invoices are 3,650 days, and
# a memo that is cleared in the middle of an export is a memo that misses); the optional memo
# also maps "" to None
_DATE_MEMO_LIMIT = 1 << 14
_date_memo: dict[str, date] = {}
_opt_date_memo: dict[str, date | None] = {"": None}


def _remember(memo: dict[Any, Any], key: object, value: object) -> None:
    # full means mostly one-off values: start over, and the common values come back at once
    limit = _DATE_MEMO_LIMIT if memo is _date_memo or memo is _opt_date_memo else _MEMO_LIMIT
    if len(memo) >= limit:
        empty = memo is _opt_date_memo
        memo.clear()
        if empty:
            memo[""] = None
    memo[key] = value


def _tidy(value: Decimal) -> Decimal:
    """No positive exponent (``1E+2`` -> ``100``)."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return value.quantize(_ONE)
    return value


def _exact_decimal(value: object, field: str) -> Decimal:
    """The shortest decimal that the wire value stands for; floats via their shortest repr."""
    cls = value.__class__
    if cls is float:
        assert isinstance(value, float)
        if not math.isfinite(value):
            raise DecodeError(f"field {field!r} is not a finite number", excerpt=repr(value))
        return _tidy(Decimal(repr(value)))
    if cls is int:
        assert isinstance(value, int)
        return Decimal(value)
    if cls is str or cls is Decimal:
        try:
            result = Decimal(str(value).strip())
        except InvalidOperation:
            raise DecodeError(
                f"field {field!r} is not a number", excerpt=repr(value)[:80]
            ) from None
        if not result.is_finite():
            raise DecodeError(f"field {field!r} is not a finite number", excerpt=repr(value))
        return _tidy(result)
    raise DecodeError(f"field {field!r} is not a number", excerpt=repr(value)[:80])


def money_from_wire(value: object, field: str = "amount") -> Decimal:
    """A ``tpCurrency`` value: ``100.049999999999997`` -> ``Decimal("100.05")``.

    The vendor stores at most 4 decimals and prints them as a binary float; the float's
    shortest repr recovers the stored value, and anything finer is rounded to 4 decimals.
    """
    cls = value.__class__
    memo = _money_memo if cls is float else _money_int_memo if cls is int else None
    if memo is not None and value in memo:
        return memo[value]  # type: ignore[index]
    if cls is float:
        # the common case, a finite float of at most 4 decimals: its repr is the exact text
        text = repr(value)
        dot = text.find(".")
        if dot >= 0 and "e" not in text and len(text) - dot <= MAX_CURRENCY_DECIMALS + 1:
            result = Decimal(text)
            _remember(_money_memo, value, result)
            return result
    result = _exact_decimal(value, field)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_CURRENCY_DECIMALS:
        result = result.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN).normalize()
        result = _tidy(result)
    if memo is not None:
        _remember(memo, value, result)
    return result


def _new_money_float(value: float, field: str) -> Decimal:
    """``money_from_wire`` for a float the memo does not hold yet (the hot miss path)."""
    text = repr(value)
    if "e" not in text and "n" not in text and len(text) - text.find(".") <= _MONEY_TEXT_TAIL:
        result = Decimal(text)
        if len(_money_memo) >= _MEMO_LIMIT:
            _money_memo.clear()
        _money_memo[value] = result
        return result
    return money_from_wire(value, field)


def rate_from_wire(value: object, field: str = "rate") -> Decimal:
    """A percentage or factor (``tpDouble`` used with money), exact as its shortest decimal."""
    cls = value.__class__
    memo = _rate_memo if cls is float else _rate_int_memo if cls is int else None
    if memo is not None and value in memo:
        return memo[value]  # type: ignore[index]
    result = _exact_decimal(value, field)
    if memo is not None:
        _remember(memo, value, result)
    return result


def _wrong(field: str, expected: str, value: object) -> DecodeError:
    return DecodeError(f"field {field!r} should be {expected}", excerpt=repr(value)[:80])


def _int(value: object, field: str) -> int:
    if isinstance(value, float) and value.is_integer():
        return int(value)
    raise _wrong(field, "an integer", value)


def _str(value: object, field: str) -> str:
    raise _wrong(field, "text", value)


def _bool(value: object, field: str) -> bool:
    raise _wrong(field, "true or false", value)


def _float(value: object, field: str) -> float:
    if value.__class__ is float or value.__class__ is int:
        return float(value)
    raise _wrong(field, "a number", value)


def _date(value: object, field: str) -> date:
    if value.__class__ is str:
        assert isinstance(value, str)
        result = _date_memo.get(value)
        if result is not None:
            return result
        try:
            result = date.fromisoformat(value)
        except ValueError:
            pass
        else:
            _remember(_date_memo, value, result)
            return result
    raise _wrong(field, "a date YYYY-MM-DD", value)


def _optional_date(value: object, field: str) -> date | None:
    if value == "" or value is None:
        return None
    result = _date(value, field)
    _remember(_opt_date_memo, value, result)
    return result


def _timestamp(value: object, field: str) -> datetime:
    if value.__class__ is str:
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            # Upload answers stamp files as 2025-02-12T14:28:56Z; before 3.11 fromisoformat
            # does not read the Z
            if value.endswith("Z"):
                try:
                    return datetime.fromisoformat(value[:-1] + "+00:00")
                except ValueError:
                    pass
    raise _wrong(field, "a timestamp YYYY-MM-DD HH:MM:SS", value)


def _optional_timestamp(value: object, field: str) -> datetime | None:
    if value == "" or value is None:
        return None
    return _timestamp(value, field)


def loose(value: Any) -> Any:
    """A JSON value kept as it came, except that floats become exact Decimals."""
    if value.__class__ is float:
        return _exact_decimal(value, "extra")
    if isinstance(value, list):
        return [loose(item) for item in value]
    if isinstance(value, dict):
        return {key: loose(item) for key, item in value.items()}
    return value


# -- record hooks ----------------------------------------------------------------------------

# Each template reads the raw value ``{o}`` once (into ``_v``) and leaves the field's value in
# ``_x``; ``{n}`` is the quoted field name. Memo hits stay in bytecode (``in`` and ``[]``, no
# call): with 124 fields an invoice, a function call per field is most of the cost.
_FIELD_CODE: dict[Any, str] = {
    int: "_x = _v if (_v := {o}).__class__ is int else _int(_v, {n})",
    str: "_x = _v if (_v := {o}).__class__ is str else _str(_v, {n})",
    bool: "_x = _v if (_v := {o}).__class__ is bool else _bool(_v, {n})",
    float: (
        "_c = (_v := {o}).__class__\n"
        "_x = _v if _c is float else float(_v) if _c is int else _float(_v, {n})"
    ),
    # one hashing of the float (a bound ``get``), not two (``in``, then ``[]``)
    Money: (
        "if (_v := {o}).__class__ is float:\n"
        "    if (_x := _money_get(_v)) is None: _x = _new_money(_v, {n})\n"
        "elif _v.__class__ is int and _v in _money_int_memo: _x = _money_int_memo[_v]\n"
        "else: _x = _money(_v, {n})"
    ),
    Rate: (
        "if (_v := {o}).__class__ is float:\n"
        "    if (_x := _rate_get(_v)) is None: _x = _rate(_v, {n})\n"
        "elif _v.__class__ is int and _v in _rate_int_memo: _x = _rate_int_memo[_v]\n"
        "else: _x = _rate(_v, {n})"
    ),
    date: (
        "_x = _date_memo[_v] if (_v := {o}).__class__ is str and _v in _date_memo"
        " else _date(_v, {n})"
    ),
    Union[date, None]: (
        "_x = _opt_date_memo[_v] if (_v := {o}).__class__ is str and _v in _opt_date_memo"
        " else _optional_date(_v, {n})"
    ),
    datetime: "_x = _timestamp({o}, {n})",
    Union[datetime, None]: "_x = None if (_v := {o}) == '' else _optional_timestamp(_v, {n})",
}
_HELPERS: dict[str, Any] = {
    "_int": _int,
    "_str": _str,
    "_bool": _bool,
    "_float": _float,
    "_money": money_from_wire,
    "_new_money": _new_money_float,
    "_rate": rate_from_wire,
    "_date": _date,
    "_optional_date": _optional_date,
    "_timestamp": _timestamp,
    "_optional_timestamp": _optional_timestamp,
    "_money_get": _money_memo.get,
    "_rate_get": _rate_memo.get,
    "_money_int_memo": _money_int_memo,
    "_rate_int_memo": _rate_int_memo,
    "_date_memo": _date_memo,
    "_opt_date_memo": _opt_date_memo,
}


def _canonical(tp: Any) -> Any:
    if get_origin(tp) in (Union, UnionType):
        args = get_args(tp)
        if len(args) == 2 and NoneType in args:
            other = args[0] if args[1] is NoneType else args[1]
            return Union[other, None]
    return tp


def is_record(cls: Any) -> bool:
    """A record model: an attrs class with an ``extra`` field for unknown wire fields."""
    return attrs.has(cls) and any(a.name == "extra" for a in attrs.fields(cls))


def _stores_only(cls: Any) -> bool:
    """True when attrs' ``__init__`` of ``cls`` does nothing but store each argument.

    Then the generated hook stores the fields itself, as that ``__init__`` would, and skips
    matching 125 keyword arguments by name, which costs as much as converting them.
    """
    if cls.__new__ is not object.__new__ or hasattr(cls, "_attrs_cached_hash"):
        return False
    if hasattr(cls, "__attrs_pre_init__") or hasattr(cls, "__attrs_post_init__"):
        return False
    return all(
        a.init and a.validator is None and a.converter is None and a.alias == a.name
        for a in attrs.fields(cls)
    )


def _builder(cls: type) -> type | None:
    """A private subclass of frozen ``cls`` whose instances take plain attribute stores.

    A frozen class routes every store through ``object.__setattr__``, a call per field; on the
    builder ``r.name = value`` is one specialised bytecode, several times cheaper. It adds no
    slots, so its instances have ``cls``'s exact layout and become ``cls`` instances by
    ``__class__`` assignment once filled; none ever reaches a caller. None when the
    interpreter refuses that assignment (then the hook falls back to the stores attrs uses).
    """
    builder = type(
        f"_Build{cls.__name__}",
        (cls,),
        {
            "__slots__": (),
            "__module__": __name__,
            # both, so the type keeps the generic setter that the interpreter specialises
            "__setattr__": object.__setattr__,
            "__delattr__": object.__delattr__,
        },
    )
    instance: Any = object.__new__(builder)
    try:
        instance.__class__ = cls
    except TypeError:
        return None
    return builder


def _record_hook(cls: type[T]) -> Callable[[Any, Any], T]:
    attrs.resolve_types(cast(Any, cls))
    fields = [a for a in attrs.fields(cast(Any, cls)) if a.name != "extra"]
    known = frozenset(a.name for a in fields)
    builder = _builder(cls) if _stores_only(cls) else None
    namespace: dict[str, Any] = {
        **_HELPERS,
        "_cls": cls,
        "_builder": builder,
        "_known": known,
        "_loose": loose,
        "_no_extra": MappingProxyType({}),
        "_proxy": MappingProxyType,
        "_DecodeError": DecodeError,
        "_excerpt": excerpt,
        "_structure": converter.structure,
        "_new": object.__new__,
    }
    lines = [
        "def structure(o, _):",
        "    if o.__class__ is not dict:",
        f"        raise _DecodeError('a {cls.__name__} should be a JSON object',"
        " excerpt=repr(o)[:80])",
    ]
    if builder is not None:
        lines.append("    r = _new(_builder)")
    lines.append("    try:")
    for index, field in enumerate(fields):
        tp = _canonical(field.type)
        key = repr(field.name)
        template = _FIELD_CODE.get(tp)
        if template is None:
            namespace[f"_t{index}"] = tp
            template = f"_x = _structure({{o}}, _t{index})"
        code = template.format(o=f"o[{key}]", n=key).splitlines()
        lines += [f"        {line}" for line in code]
        lines.append(f"        r.{field.name} = _x" if builder else f"        f{index} = _x")
    lines += [
        "    except KeyError as exc:",
        f"        raise _DecodeError('a {cls.__name__} is missing field ' + repr(exc.args[0]),"
        " excerpt=repr(sorted(o))[:80]) from None",
        # every known key was read above, so a longer dict means unknown keys
        "    extra = _proxy({k: _loose(o[k]) for k in o.keys() - _known})"
        f" if len(o) != {len(known)} else _no_extra",
    ]
    if builder is not None:
        lines += ["    r.extra = extra", "    r.__class__ = _cls", "    return r"]
    else:
        arguments = "".join(f"{field.name}=f{index}, " for index, field in enumerate(fields))
        lines.append(f"    return _cls({arguments}extra=extra)")
    source = "\n".join(lines) + "\n"
    filename = f"<bouwsoft_async structure {cls.__module__}.{cls.__qualname__}>"
    linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
    exec(compile(source, filename, "exec"), namespace)
    hook: Callable[[Any, Any], T] = namespace["structure"]
    return hook


converter.register_structure_hook_factory(is_record, _record_hook)
converter.register_structure_hook(Money, lambda v, _: money_from_wire(v))
converter.register_structure_hook(Rate, lambda v, _: rate_from_wire(v))
converter.register_structure_hook(Decimal, lambda v, _: _exact_decimal(v, "value"))
converter.register_structure_hook(date, lambda v, _: _date(v, "date"))
converter.register_structure_hook(datetime, lambda v, _: _timestamp(v, "timestamp"))
converter.register_unstructure_hook(Decimal, str)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_unstructure_hook(datetime, lambda v: v.isoformat(sep=" "))
converter.register_unstructure_hook(MappingProxyType, dict)

# -- entry points ----------------------------------------------------------------------------


def decode_json(body: bytes, secrets: Iterable[str] = ()) -> Any:
    """Parse a JSON body; anything else (HTML, a cut body, nothing) raises DecodeError."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError) as exc:
        what = "an empty body" if not body.strip() else "a body that is not JSON"
        raise DecodeError(f"expected JSON, got {what}", excerpt=excerpt(body, secrets)) from exc


def try_decode_json(body: bytes) -> Any:
    """The parsed body if it is JSON, else None (for error bodies of any shape)."""
    try:
        return json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None


def structure(data: Any, cls: type[T]) -> T:
    """Build ``cls`` from parsed JSON; a shape mismatch raises DecodeError."""
    try:
        return converter.structure(data, cls)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(
            f"the answer does not fit {cls.__name__}: {_summary(exc)}",
            excerpt=repr(data)[:120],
        ) from exc


def structure_many(items: list[Any], cls: type[T]) -> list[T]:
    """Build a list of ``cls`` with the class's hook looked up once."""
    hook = converter.get_structure_hook(cls)
    try:
        return [hook(item, cls) for item in items]
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"the answer does not fit {cls.__name__}: {_summary(exc)}") from exc


_SCALAR_CHECKS: dict[Any, Callable[[Any, str], Any]] = {
    int: lambda v, n: v if v.__class__ is int else _int(v, n),
    str: lambda v, n: v if v.__class__ is str else _str(v, n),
    bool: lambda v, n: v if v.__class__ is bool else _bool(v, n),
    float: lambda v, n: v if v.__class__ is float else _float(v, n),
    Money: money_from_wire,
    Rate: rate_from_wire,
    date: _date,
    Union[date, None]: _optional_date,
    datetime: _timestamp,
    Union[datetime, None]: _optional_timestamp,
}


def structure_changes(data: Any, cls: type[T]) -> RecordChanges[T]:
    """A write answer's record (``id``, maybe ``ts_lastupdate``, the changed fields), each field
    typed as ``cls`` types it; fields ``cls`` does not know are kept as they came (floats as
    Decimal). A value that can't be read as its type is kept raw in ``extra``, never raised:
    the write behind the answer was applied. Only a record without a readable id raises."""
    if not isinstance(data, dict) or "id" not in data:
        raise DecodeError("expected changed fields with an id", excerpt=repr(data)[:120])
    attrs.resolve_types(cast(Any, cls))
    types = {a.name: _canonical(a.type) for a in attrs.fields(cast(Any, cls))}
    fields: dict[str, Any] = {}
    unreadable: dict[str, Any] = {}
    for name, value in data.items():
        if name == "id":
            continue
        check = _SCALAR_CHECKS.get(types.get(name))
        if check is None:
            fields[name] = loose(value)
            continue
        try:
            fields[name] = check(value, name)
        except (DecodeError, ValueError, TypeError, ArithmeticError):
            unreadable[name] = value
    return RecordChanges(
        record_type=cls,
        id=_SCALAR_CHECKS[types.get("id", int)](data["id"], "id"),
        ts_lastupdate=fields.pop("ts_lastupdate", None),
        fields=MappingProxyType(fields),
        extra=MappingProxyType(unreadable) if unreadable else NO_EXTRA,
    )


def unstructure(obj: Any) -> Any:
    """Plain data from a model (Decimal as exact text, dates in ISO form)."""
    return converter.unstructure(obj)


def _summary(exc: BaseException) -> str:
    if isinstance(exc, cattrs.BaseValidationError):
        inner = [_summary(e) for e in exc.exceptions]
        return "; ".join(inner)[:200]
    return f"{type(exc).__name__}: {exc}"[:200]


# -- RamBase: camelCase wire names -----------------------------------------------------------
#
# RamBase models opt in with ``__camel_case_wire__: ClassVar[bool] = True``: each field is read
# from the camelCase form of its name (``payment_item_id`` <- ``paymentItemId``). RamBase lowers
# only the first letter of a leading acronym (``vATAmount``, ``sWIFTCode``), which no rule can
# derive, so such a field names its key in ``metadata={WIRE_NAME: "vATAmount"}``.
# Permissions remove fields from an answer, so every field is optional on the wire: an absent or
# null key leaves the field's default (None). Amounts are exact: the body is parsed with
# ``parse_float=Decimal`` and a string amount goes through the same exact path.

# imported here, not at the top, so that this section stays self-contained
import re  # noqa: E402

from cattrs.gen import make_dict_structure_fn, override  # noqa: E402

WIRE_NAME = "wire"
_CAMEL_MARKER = "__camel_case_wire__"
# .NET writes up to 7 fraction digits; Python before 3.11 reads at most 6
_FRACTION = re.compile(r"(\.\d{6})\d+")


def decode_json_exact(body: bytes, secrets: Iterable[str] = ()) -> Any:
    """Parse a JSON body with every fraction as an exact Decimal; else raise DecodeError."""
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        what = "an empty body" if not body.strip() else "a body that is not JSON"
        raise DecodeError(f"expected JSON, got {what}", excerpt=excerpt(body, secrets)) from exc


def camel_case(name: str) -> str:
    """``payment_item_id`` -> ``paymentItemId``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON key of a camelCase-wire field: its metadata override or its camelCase name."""
    override = attribute.metadata.get(WIRE_NAME)
    return override if isinstance(override, str) else camel_case(attribute.name)


def _is_camel_wire(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls) and getattr(cls, _CAMEL_MARKER, False) is True


def _wire_int(value: object, field: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    raise _wrong(field, "an integer", value)


def _wire_decimal(value: object, field: str) -> Decimal | None:
    if value is None:
        return None
    if value.__class__ is bool:
        raise _wrong(field, "a number", value)
    return _exact_decimal(value, field)


def _wire_str(value: object, field: str) -> str | None:
    if value is None or isinstance(value, str):
        return value
    raise _wrong(field, "text", value)


def _wire_datetime(value: object, field: str) -> datetime | None:
    """``{Datetime}``: ``2026-05-07T09:21:28``, naive as sent, or aware with ``Z`` or an offset."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        text = _FRACTION.sub(r"\1", value.strip())
        if text[-1:] in ("Z", "z"):
            text = text[:-1] + "+00:00"
        try:
            return datetime.fromisoformat(text)
        except ValueError:
            pass
    raise _wrong(field, "a timestamp YYYY-MM-DDTHH:MM:SS", value)


def _wire_date(value: object, field: str) -> date | None:
    """``{Date}``: ``2026-05-07``; a timestamp is read as its date."""
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            pass
        try:
            parsed = _wire_datetime(value, field)
        except DecodeError:
            pass
        else:
            assert parsed is not None
            return parsed.date()
    raise _wrong(field, "a date YYYY-MM-DD", value)


# keyed by typing.Union, the form ``_canonical`` gives back
_WIRE_SCALARS: dict[Any, Callable[[object, str], Any]] = {
    Union[int, None]: _wire_int,
    Union[Decimal, None]: _wire_decimal,
    Union[str, None]: _wire_str,
    Union[datetime, None]: _wire_datetime,
    Union[date, None]: _wire_date,
}


def _wire_object(cls: type[T]) -> Callable[[object, Any], T | None]:
    def hook(value: object, _: Any) -> T | None:
        if value is None:
            return None
        return converter.structure(value, cls)

    return hook


def _camel_wire_hook(cls: Any) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    overrides: dict[str, Any] = {}
    for attribute in attrs.fields(cls):
        key = wire_name(attribute)
        tp = _canonical(attribute.type)
        scalar = _WIRE_SCALARS.get(tp)
        if scalar is not None:
            hook: Any = lambda v, _, f=scalar, k=key: f(v, k)  # noqa: E731
        elif get_origin(tp) is Union and _is_camel_wire(get_args(tp)[0]):
            hook = _wire_object(get_args(tp)[0])
        else:
            hook = None  # the converter's own hook for anything else
        overrides[attribute.name] = override(rename=key, struct_hook=hook)
    generated = make_dict_structure_fn(
        cls, converter, _cattrs_detailed_validation=False, **overrides
    )

    def structure_object(value: Any, tp: Any) -> Any:
        if not isinstance(value, Mapping):
            raise DecodeError(f"a {cls.__name__} should be a JSON object", excerpt=repr(value)[:80])
        return generated(value, tp)

    return structure_object


converter.register_structure_hook_factory(_is_camel_wire, _camel_wire_hook)
