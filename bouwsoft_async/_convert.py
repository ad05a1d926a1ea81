"""The one converter: JSON bytes to models and rows, and models to plain data.

Every response goes through here; no endpoint calls ``json.loads`` or builds a model by hand.
Bodies are parsed with orjson (RamBase's with stdlib ``json`` and ``parse_float=Decimal``: its
amounts must be exact from the first character). ``SCALARS`` is the one table of how a wire value
becomes a field's Python type; it is registered on the cattrs ``converter`` once, and serves
records, ``RecordChanges`` and RamBase's models alike.

Record models (attrs classes with an ``extra`` field) are the one place where cattrs' generated
hooks are not used: ``benchmarks/decode_cost.py`` measures them at about 4x stdlib ``json.loads``
for a page of invoices, and the target is 1x with orjson in front. ``_RecordStructurer`` (the hook
factory registered for them) converts a page column by column instead: a column of 500 strings
is checked with one ``set(map(type, ...))``, a column of amounts converts each distinct value
once, and the page's records are filled one field at a time through the slot descriptors (what
attrs' ``__init__`` of a frozen slotted class writes with), so almost no Python bytecode runs
per field. Unknown keys go to ``extra``.
"""

from __future__ import annotations

import json
import math
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from itertools import repeat
from operator import itemgetter, setitem
from types import MappingProxyType, MemberDescriptorType
from typing import Annotated, Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, override

from ._errors import DecodeError
from ._models import NO_EXTRA, RecordChanges
from ._protocol import MAX_CURRENCY_DECIMALS, excerpt, redact
from ._types import Money, Rate

__all__ = [
    "ROW_TEXT",
    "SCALARS",
    "converter",
    "decode_json",
    "decode_json_exact",
    "money_from_wire",
    "rate_from_wire",
    "record_rows",
    "structure",
    "structure_changes",
    "structure_many",
    "try_decode_json",
    "unstructure",
]

T = TypeVar("T")

converter = cattrs.Converter()

# -- JSON ------------------------------------------------------------------------------------


def _not_json(body: bytes, secrets: Iterable[str]) -> DecodeError:
    what = "an empty body" if not body.strip() else "a body that is not JSON"
    return DecodeError(f"expected JSON, got {what}", excerpt=excerpt(body, secrets))


def decode_json(body: bytes, secrets: Iterable[str] = ()) -> Any:
    """Parse a JSON body; anything else (HTML, a cut body, nothing) raises DecodeError.

    orjson first. What it refuses but stdlib ``json`` reads (a number past a double's range,
    such as ``1e400``) is read again with every fraction as an exact Decimal; nesting too deep
    for either (orjson stops at 1024 levels) is a DecodeError, never a RecursionError.
    """
    # ASSUMPTION (README, "What the client assumes"): the vendor's numbers fit 64 bits (tpLong is
    # 32-bit, tpCurrency a 64-bit count of ten-thousandths). orjson reads a larger integer as a
    # float, which a tpLong field then refuses (above 2**53) rather than round.
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        pass
    return decode_json_exact(body, secrets)


def try_decode_json(body: bytes) -> Any:
    """The parsed body if it is JSON, else None (for error bodies of any shape)."""
    try:
        return decode_json(body)
    except DecodeError:
        return None


def decode_json_exact(body: bytes, secrets: Iterable[str] = ()) -> Any:
    """Parse a JSON body with every fraction as an exact Decimal; else raise DecodeError."""
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    # raised outside the except block: the parser's exception keeps the whole body (``.doc``),
    # which may echo a secret, so it is neither the cause nor the context of ours
    raise _not_json(body, secrets)


# -- scalars: how a wire value becomes a field's type ----------------------------------------

_MONEY_QUANTUM = Decimal(1).scaleb(-MAX_CURRENCY_DECIMALS)
# room for any number a double can hold, so rounding never raises InvalidOperation
_WIDE = Context(prec=1000)
# a float above 2**53 is not an exact integer any more
_EXACT_FLOAT_INT = 2**53
_INT_TEXT = re.compile(r"[+-]?\d+")


def _wrong(field: str, expected: str, value: object) -> DecodeError:
    return DecodeError(f"field {field!r} should be {expected}", excerpt=repr(value)[:80])


def _tidy(value: Decimal) -> Decimal:
    """No positive exponent (``1E+2`` -> ``100``), exactly, however large."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent > 0:
        return Decimal(int(value))
    return value


def exact_decimal(value: object, field: str) -> Decimal:
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
    shortest repr recovers the stored value, and anything finer is rounded half-even to 4
    decimals. Values past the vendor's range are read exactly all the same.
    """
    result = exact_decimal(value, field)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_CURRENCY_DECIMALS:
        result = result.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN, context=_WIDE)
        result = _tidy(result.normalize(_WIDE))
    return result


def rate_from_wire(value: object, field: str = "rate") -> Decimal:
    """A percentage or factor (``tpDouble`` used with money), exact as its shortest decimal."""
    return exact_decimal(value, field)


def read_int(value: object, field: str) -> int:
    """``tpLong``: an int; a whole float or a digit string (an older vendor page) as that int."""
    if isinstance(value, int) and value.__class__ is not bool:
        return value
    if isinstance(value, float) and value.is_integer() and abs(value) <= _EXACT_FLOAT_INT:
        return int(value)
    if isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        return int(value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)
    raise _wrong(field, "an integer", value)


def read_text(value: object, field: str) -> str:
    """Text; a number (not a bool) as its exact decimal text."""
    cls = value.__class__
    if cls is str:
        return cast(str, value)
    if cls is int:
        return str(value)
    if cls is float or cls is Decimal:
        try:
            number = exact_decimal(value, field)
        except DecodeError:
            raise _wrong(field, "text", value) from None
        return format(number, "f")
    raise _wrong(field, "text", value)


def read_bool(value: object, field: str) -> bool:
    if value.__class__ is bool:
        return value
    raise _wrong(field, "true or false", value)


def read_float(value: object, field: str) -> float:
    if isinstance(value, float | int | Decimal) and value.__class__ is not bool:
        return float(value)
    raise _wrong(field, "a number", value)


def read_date(value: object, field: str) -> date:
    """``YYYY-MM-DD``; a timestamp at midnight (RamBase's ``{Date}``) as its date."""
    if value.__class__ is str:
        text = str(value).strip()
        try:
            return date.fromisoformat(text)
        except ValueError:
            pass
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            pass
        else:
            if moment.time() == datetime.min.time():
                return moment.date()
    raise _wrong(field, "a date YYYY-MM-DD", value)


def read_optional_date(value: object, field: str) -> date | None:
    if value == "" or value is None:
        return None
    return read_date(value, field)


def read_timestamp(value: object, field: str) -> datetime:
    """``YYYY-MM-DD HH:MM:SS`` naive; also ``T``, fractions and ``Z`` or an offset (aware)."""
    if value.__class__ is str:
        try:
            return datetime.fromisoformat(str(value).strip())
        except ValueError:
            pass
    raise _wrong(field, "a timestamp YYYY-MM-DD HH:MM:SS", value)


def read_optional_timestamp(value: object, field: str) -> datetime | None:
    if value == "" or value is None:
        return None
    return read_timestamp(value, field)


def loose(value: Any) -> Any:
    """A JSON value kept as it came, except that floats become exact Decimals."""
    if value.__class__ is float:
        return exact_decimal(value, "extra")
    if isinstance(value, list):
        return [loose(item) for item in value]
    if isinstance(value, dict):
        return {key: loose(item) for key, item in value.items()}
    return value


# a float's repr that is not plain digits with at most 4 decimals (an exponent, nan, inf, or a
# fifth decimal): such amounts take the value-by-value path
_NOT_PLAIN_MONEY = re.compile(r"[^-.0-9\n]|\.\d{5}")
_NOT_PLAIN_NUMBER = re.compile(r"[^-.0-9\n]")


FastConvert = Callable[[type, list[Any], bool], list[Any] | None]


def _plain_numbers(not_plain: re.Pattern[str]) -> FastConvert:
    """Distinct wire numbers of one class converted in C loops, as the value-by-value reader
    converts them, or None (then that reader runs): floats whose reprs are all plain become
    ``Decimal(repr)``, ints ``Decimal(int)``. ``written``: their exact text instead (a plain
    float's repr and an int's str are already the text of their Decimal)."""

    def convert(cls: type, values: list[Any], written: bool) -> list[Any] | None:
        if cls is int:
            return list(map(str, values)) if written else list(map(Decimal, values))
        if cls is not float:
            return None
        texts = list(map(repr, values))
        if not_plain.search("\n".join(texts)) is not None:
            return None
        return texts if written else list(map(Decimal, texts))

    return convert


# the canonical texts of a date and a timestamp: what ``isoformat`` writes back (ASCII digits
# only: ``\d`` would take other scripts' digits, which ``fromisoformat`` may read)
_DATE_TEXT = "[0-9]{4}-[0-9]{2}-[0-9]{2}"
_TIMESTAMP_TEXT = _DATE_TEXT + " [0-9]{2}:[0-9]{2}:[0-9]{2}"


def _canonical_texts(parse: Callable[[str], Any], text: str, *, optional: bool) -> FastConvert:
    """Distinct wire texts that are all canonical (``""`` too, as None, if ``optional``),
    parsed in a C loop; else None (then the value-by-value reader runs and names the bad one).
    ``written``: the texts themselves, which is what ``isoformat`` writes of what they parse to."""
    one = f"(?:{text})?" if optional else text
    every = re.compile(f"{one}(?:\n{one})*")

    def convert(cls: type, values: list[Any], written: bool) -> list[Any] | None:
        if cls is not str or every.fullmatch("\n".join(values)) is None:
            return None
        present = [value for value in values if value] if optional else values
        try:
            parsed = list(map(parse, present))  # still refuses 2012-02-30
        except ValueError:
            return None
        if written:
            return [value or None for value in values] if optional else values
        if len(present) == len(values):
            return parsed
        found = iter(parsed)
        return [next(found) if value else None for value in values]

    return convert


@attrs.frozen
class Scalar:
    """How a wire value becomes one Python type: ``read`` one value (strict, DecodeError);
    ``exact`` is the wire class that needs no conversion; ``distinct`` says whether a column
    of it is converted once per distinct value (amounts and dates repeat); ``fast`` converts
    the distinct values of one wire class in C loops (written as text, if asked), or says None."""

    read: Callable[[Any, str], Any]
    exact: type | None = None
    distinct: bool = False
    fast: FastConvert | None = None


# THE type table: every model field's Python type, and how its wire value is read. The keys
# are typing.Union[X, None] for optional types (what ``X | None`` compares equal to).
SCALARS: dict[Any, Scalar] = {
    int: Scalar(read_int, exact=int),
    str: Scalar(read_text, exact=str),
    bool: Scalar(read_bool, exact=bool),
    float: Scalar(read_float, exact=float, distinct=True),
    Money: Scalar(money_from_wire, distinct=True, fast=_plain_numbers(_NOT_PLAIN_MONEY)),
    Rate: Scalar(rate_from_wire, distinct=True, fast=_plain_numbers(_NOT_PLAIN_NUMBER)),
    Decimal: Scalar(exact_decimal, distinct=True, fast=_plain_numbers(_NOT_PLAIN_NUMBER)),
    date: Scalar(
        read_date,
        distinct=True,
        fast=_canonical_texts(date.fromisoformat, _DATE_TEXT, optional=False),
    ),
    date | None: Scalar(
        read_optional_date,
        distinct=True,
        fast=_canonical_texts(date.fromisoformat, _DATE_TEXT, optional=True),
    ),
    datetime: Scalar(
        read_timestamp,
        distinct=True,
        fast=_canonical_texts(datetime.fromisoformat, _TIMESTAMP_TEXT, optional=False),
    ),
    datetime | None: Scalar(
        read_optional_timestamp,
        distinct=True,
        fast=_canonical_texts(datetime.fromisoformat, _TIMESTAMP_TEXT, optional=True),
    ),
}


def _scalar_of(tp: Any) -> Scalar | None:
    """The rule for ``tp``; for ``X | None`` without its own rule, the rule for ``X`` (the
    caller decides what None means)."""
    if get_origin(tp) is Annotated:  # a field table row: the type is its first argument
        tp = get_args(tp)[0]
    scalar = SCALARS.get(tp)
    if scalar is None and get_origin(tp) is not None:
        args = get_args(tp)
        # X | None (types.UnionType) and Optional[X] compare equal; look up both spellings
        scalar = SCALARS.get(Union[args])
        if scalar is None and len(args) == 2 and type(None) in args:
            scalar = SCALARS.get(args[0] if args[1] is type(None) else args[1])
    return scalar


Plain = Mapping[type, Callable[[Any], Any]]


def _convert_columns(
    scalar: Scalar, columns: list[tuple[Any, ...]], names: list[str], plain: Plain | None
) -> list[list[Any] | tuple[Any, ...]]:
    """The wire values of a page's fields of one type, converted; DecodeError names the first
    bad value. A column of one wire class is converted once per distinct value of the whole
    group (``basis`` and ``basis1`` repeat each other's amounts); others value by value.

    With ``plain`` (a row's writers by the converted value's class), the values come out
    written: each distinct one written once."""
    exact = scalar.exact
    read = scalar.read
    results: list[list[Any] | tuple[Any, ...] | None] = []
    # per wire class (0 == 0.0 == False, but they read differently): the distinct values
    pending: dict[type, set[Any]] = {}
    uniform: list[type | None] = []
    for column, name in zip(columns, names, strict=True):
        classes = set(map(type, column))
        cls = classes.pop() if len(classes) == 1 else None
        if cls is not None and cls is exact:
            results.append(column)
            uniform.append(None)
            continue
        if cls is not None and scalar.distinct:
            try:
                pending.setdefault(cls, set()).update(column)
            except TypeError:  # unhashable (a list): read one by one, for the error
                pass
            else:
                results.append(None)
                uniform.append(cls)
                continue
        one_by_one = [read(value, name) for value in column]
        if plain is not None:
            one_by_one = [_written(value, plain) for value in one_by_one]
            if cls is str and _same_text(list(column), one_by_one):
                one_by_one = column  # type: ignore[assignment]
        results.append(one_by_one)
        uniform.append(None)
    tables: dict[type, dict[Any, Any]] = {}
    for cls, values in pending.items():
        distinct = list(values)
        fast = scalar.fast
        converted = fast(cls, distinct, plain is not None) if fast is not None else None
        if converted is None:
            try:
                converted = [read(value, names[0]) for value in distinct]
            except DecodeError:
                # read again column by column, so that the error names the right field
                for column, name, kind in zip(columns, names, uniform, strict=True):
                    if kind is cls:
                        for value in column:
                            read(value, name)
                raise
            if plain is not None:
                converted = [_written(value, plain) for value in converted]
        if plain is not None and cls is str and _same_text(distinct, converted):
            # written as it came (a date already YYYY-MM-DD): the wire column is the row's
            tables[cls] = {}
            continue
        tables[cls] = dict(zip(distinct, converted, strict=True))
    return [
        result
        if result is not None
        else (list(map(table.__getitem__, column)) if (table := tables[cls]) else column)  # type: ignore[index]
        for result, cls, column in zip(results, uniform, columns, strict=True)
    ]


def _same_text(wire: list[Any], written: list[Any]) -> bool:
    """Whether each written value is the very text its wire value was."""
    return wire == written and all(value.__class__ is str for value in written)


def _written(value: Any, plain: Plain) -> Any:
    write = plain.get(value.__class__)
    return value if write is None else write(value)


def _scalar_hook(read: Callable[[Any, str], Any]) -> Callable[[Any, Any], Any]:
    return lambda value, _: read(value, "value")


for _type, _scalar in SCALARS.items():
    converter.register_structure_hook(_type, _scalar_hook(_scalar.read))
converter.register_unstructure_hook(Decimal, str)
converter.register_unstructure_hook(date, date.isoformat)
converter.register_unstructure_hook(datetime, lambda v: v.isoformat(sep=" "))
converter.register_unstructure_hook(MappingProxyType, dict)


# -- records ---------------------------------------------------------------------------------


def is_record(cls: Any) -> bool:
    """A record model: an attrs class with an ``extra`` field for unknown wire fields."""
    return attrs.has(cls) and any(a.name == "extra" for a in attrs.fields(cls))


_new = object.__new__


class _RecordStructurer:
    """Builds one record model from a page of wire dicts, column by column (see the module
    docstring for why this is not cattrs' generated hook)."""

    def __init__(self, cls: type) -> None:
        attrs.resolve_types(cls)
        fields = [a for a in attrs.fields(cls) if a.name != "extra"]
        self.cls = cls
        self.required = tuple(a.name for a in fields if a.default is attrs.NOTHING)
        self.optional = {
            a.name: a.default for a in fields if a.default is not attrs.NOTHING
        }  # left out by older servers
        self.names = (*self.required, *self.optional)
        self.known = frozenset(self.names)
        scalars = {}
        for a in fields:
            scalar = _scalar_of(a.type)
            if scalar is None:
                raise TypeError(f"{cls.__name__}.{a.name}: no rule for {a.type!r} in SCALARS")
            scalars[a.name] = scalar
        self.scalars = scalars
        # the fields of each type, converted together
        groups: dict[int, tuple[Scalar, list[int]]] = {}
        for index, name in enumerate(self.names):
            groups.setdefault(id(scalars[name]), (scalars[name], []))[1].append(index)
        self.groups = list(groups.values())
        self.get_required = itemgetter(*self.required) if len(self.required) > 1 else None
        # a record stores only its fields: no hooks of its own in __init__
        assert not any(a.validator or a.converter for a in fields), cls
        # a slotted model (the style's) is filled column by column through its slots'
        # descriptors, which write past the frozen ``__setattr__`` as attrs' own ``__init__``
        # does; a model without slots through each instance's ``__dict__``
        slots: list[Any] = [getattr(cls, name, None) for name in (*self.names, "extra")]
        self.setters = (
            [slot.__set__ for slot in slots]
            if all(isinstance(slot, MemberDescriptorType) for slot in slots)
            else None
        )

    def _wire_columns(self, records: list[Any]) -> list[tuple[Any, ...]]:
        """Every field's wire values, in ``names`` order (an absent optional field: its
        default)."""
        cls_name = self.cls.__name__
        for record in records:
            if record.__class__ is not dict:
                raise DecodeError(
                    f"a {cls_name} should be a JSON object", excerpt=repr(record)[:80]
                )
        if records:
            # a server sends every record of a page with the same keys in the same order (and
            # orjson gives equal keys as one object): then each record's values are its row
            layout = tuple(records[0])
            if all(map(layout.__eq__, map(tuple, records))):
                return self._columns_of_layout(layout, records)
        try:
            if self.get_required is not None:
                rows = list(map(self.get_required, records))
            else:
                rows = [(record[self.required[0]],) for record in records]
        except KeyError as exc:
            raise DecodeError(
                f"a {cls_name} is missing field {exc.args[0]!r}",
                excerpt=repr(sorted(records[0]))[:80],
            ) from None
        columns = list(zip(*rows, strict=True))
        for name, default in self.optional.items():
            columns.append(tuple([record.get(name, default) for record in records]))
        return columns

    def _columns_of_layout(
        self, layout: tuple[str, ...], records: list[Any]
    ) -> list[tuple[Any, ...]]:
        """``_wire_columns`` of records whose keys are all ``layout``, in that order."""
        where = {key: index for index, key in enumerate(layout)}
        missing = [name for name in self.required if name not in where]
        if missing:
            raise DecodeError(
                f"a {self.cls.__name__} is missing field {missing[0]!r}",
                excerpt=repr(sorted(layout))[:80],
            )
        by_key = list(zip(*map(dict.values, records), strict=True))
        columns = [by_key[where[name]] for name in self.required]
        for name, default in self.optional.items():
            index = where.get(name)
            columns.append(by_key[index] if index is not None else (default,) * len(records))
        return columns

    def columns(
        self, records: list[Any], plain: Plain | None = None
    ) -> list[list[Any] | tuple[Any, ...]]:
        """The converted values of every field, one column per field in ``names`` order
        (written by ``plain``, if given)."""
        return self._converted(self._wire_columns(records), plain) if records else []

    def _converted(
        self, wire: list[tuple[Any, ...]], plain: Plain | None
    ) -> list[list[Any] | tuple[Any, ...]]:
        """``wire`` converted; a column that needs no conversion is returned as it is."""
        converted: list[list[Any] | tuple[Any, ...]] = [()] * len(wire)
        for scalar, indexes in self.groups:
            done = _convert_columns(
                scalar, [wire[i] for i in indexes], [self.names[i] for i in indexes], plain
            )
            for i, column in zip(indexes, done, strict=True):
                converted[i] = column
        return converted

    def rows(self, records: list[Any], plain: Plain) -> list[dict[str, Any]]:
        """``records`` (fresh from the parser) made rows in place: each value that reads or
        writes differently from the wire is replaced, absent optional fields are added."""
        if not records:
            return records
        wire = self._wire_columns(records)
        converted = self._converted(wire, plain)
        optional = self.optional
        for name, before, after in zip(self.names, wire, converted, strict=True):
            if after is not before or name in optional:
                # record[name] = value for each record, in a C loop
                deque(map(setitem, records, repeat(name), after), maxlen=0)
        for record, extra in zip(records, self.extras(records), strict=True):
            if extra:
                for key, value in extra.items():
                    record[key] = _plain_value(value, plain)
        return records

    def extras(self, records: list[Any]) -> list[Mapping[str, Any]]:
        """Each record's unknown fields (floats as exact Decimals)."""
        known = self.known
        if self.optional:
            base = len(self.required)
            optional = tuple(self.optional)
            # every required field is there (``columns`` checked): count the optional ones
            counts = [
                len(record) - base - sum(map(record.__contains__, optional)) for record in records
            ]
        else:
            size = len(known)
            counts = [len(record) - size for record in records]
        return [
            MappingProxyType({k: loose(v) for k, v in record.items() if k not in known})
            if count
            else NO_EXTRA
            for record, count in zip(records, counts, strict=True)
        ]

    def many(self, records: list[Any]) -> list[Any]:
        if not records:
            return []
        columns = self.columns(records)
        extras = self.extras(records)
        cls = self.cls
        if self.setters is not None:
            built: list[Any] = list(map(_new, repeat(cls, len(records))))
            for set_field, column in zip(self.setters, (*columns, extras), strict=True):
                # instance.<field> = value for each instance, in a C loop
                deque(map(set_field, built, column), maxlen=0)
            return built
        names = (*self.names, "extra")
        built = []
        for row, extra in zip(zip(*columns, strict=True), extras, strict=True):
            instance: Any = _new(cls)
            # what attrs' __init__ of a frozen class without slots does, in one call
            instance.__dict__.update(zip(names, (*row, extra), strict=True))
            built.append(instance)
        return built

    def one(self, record: Any, _: Any = None) -> Any:
        return self.many([record])[0]


converter.register_structure_hook_factory(is_record, lambda cls: _RecordStructurer(cls).one)


def _structurer(cls: type) -> _RecordStructurer:
    """The structurer of a record model, from the converter's own cache of hooks."""
    structurer = converter.get_structure_hook(cls).__self__  # type: ignore[attr-defined]
    assert isinstance(structurer, _RecordStructurer)
    return structurer


# -- entry points ----------------------------------------------------------------------------


def structure(data: Any, cls: type[T], secrets: Iterable[str] = ()) -> T:
    """Build ``cls`` from parsed JSON; a shape mismatch raises DecodeError.

    The error quotes the data and the failure redacted of ``secrets``, and chains nothing: the
    converter's own exceptions hold the values they failed on, which a server may have echoed.
    """
    try:
        return converter.structure(data, cls)
    except DecodeError as exc:
        reason = str(exc).removesuffix(f": {exc.excerpt!r}") if exc.excerpt else str(exc)
        error = DecodeError(redact(reason, secrets), excerpt=redact(exc.excerpt, secrets))
    except Exception as exc:
        error = DecodeError(
            f"the answer does not fit {cls.__name__}: {redact(_summary(exc), secrets)}",
            excerpt=redact(repr(data), secrets)[:120],
        )
    raise error


def structure_many(items: list[Any], cls: type[T]) -> list[T]:
    """Build a list of ``cls`` (a page's records) in one pass per field."""
    if not is_record(cls):
        return [structure(item, cls) for item in items]
    try:
        return _structurer(cls).many(items)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"the answer does not fit {cls.__name__}: {_summary(exc)}") from exc


def decimal_text(value: Decimal) -> str:
    """Exact text of a Decimal, in plain digits (``str`` switches to exponents at the edges)."""
    text = str(value)
    return format(value, "f") if "E" in text else text


# how a row (an export's, ``rows()``'s) writes the converted values that JSON can't hold
ROW_TEXT: Mapping[type, Callable[[Any], Any]] = MappingProxyType(
    {
        Decimal: decimal_text,
        date: date.isoformat,
        datetime: lambda v: v.isoformat(sep=" "),
    }
)


def record_rows(items: list[Any], cls: type, plain: Plain) -> list[dict[str, Any]]:
    """A page's records (fresh from the parser: they are reused) as plain rows under their
    wire names, without building models.

    Each value is read exactly as ``structure_many`` reads it, then written by ``plain`` (keyed
    by the converted value's class: Decimal, date, datetime); each distinct value once. The
    fields stay in the order the server sent them; a model field the server left out is added
    with its default; unknown fields are written by ``plain`` too (floats as exact text).
    """
    try:
        return _structurer(cls).rows(items, plain)
    except DecodeError:
        raise
    except Exception as exc:
        raise DecodeError(f"the answer does not fit {cls.__name__}: {_summary(exc)}") from exc


def _plain_value(value: Any, plain: Mapping[type, Callable[[Any], Any]]) -> Any:
    write = plain.get(value.__class__)
    if write is not None:
        return write(value)
    if isinstance(value, Mapping):
        return {key: _plain_value(item, plain) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain_value(item, plain) for item in value]
    return value


def structure_changes(data: Any, cls: type[T]) -> RecordChanges[T]:
    """A write answer's record (``id``, maybe ``ts_lastupdate``, the changed fields), each field
    typed as ``cls`` types it; fields ``cls`` does not know are kept as they came (floats as
    Decimal). A value that can't be read as its type is kept raw in ``extra``, never raised:
    the write behind the answer was applied (the caller logs the warning). Only a record
    without a readable id raises."""
    if not isinstance(data, dict) or "id" not in data:
        raise DecodeError("expected changed fields with an id", excerpt=repr(data)[:120])
    structurer = _structurer(cls)
    fields: dict[str, Any] = {}
    unreadable: dict[str, Any] = {}
    for name, value in data.items():
        if name == "id":
            continue
        scalar = structurer.scalars.get(name)
        if scalar is None:
            fields[name] = loose(value)
            continue
        try:
            fields[name] = scalar.read(value, name)
        except (DecodeError, ValueError, TypeError, ArithmeticError):
            unreadable[name] = value
    return RecordChanges(
        record_type=cls,
        # the id as the model types it (an uploaded file's is text)
        id=structurer.scalars["id"].read(data["id"], "id")
        if "id" in structurer.scalars
        else read_int(data["id"], "id"),
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
# ``decode_json_exact`` and the scalars of ``SCALARS`` read each value.

WIRE_NAME = "wire"
_CAMEL_MARKER = "__camel_case_wire__"


def camel_case(name: str) -> str:
    """``payment_item_id`` -> ``paymentItemId``."""
    first, *rest = name.split("_")
    return first + "".join(part[:1].upper() + part[1:] for part in rest)


def wire_name(attribute: attrs.Attribute[Any]) -> str:
    """The JSON key of a camelCase-wire field: its metadata override or its camelCase name."""
    name = attribute.metadata.get(WIRE_NAME)
    return name if isinstance(name, str) else camel_case(attribute.name)


def _is_camel_wire(cls: Any) -> bool:
    return isinstance(cls, type) and attrs.has(cls) and getattr(cls, _CAMEL_MARKER, False) is True


def _optional(read: Callable[[Any, str], Any], key: str) -> Callable[[Any, Any], Any]:
    def hook(value: Any, _: Any) -> Any:
        return None if value is None else read(value, key)

    return hook


def _camel_wire_hook(cls: Any) -> Callable[[Any, Any], Any]:
    attrs.resolve_types(cls)
    overrides: dict[str, Any] = {}
    for attribute in attrs.fields(cls):
        key = wire_name(attribute)
        scalar = _scalar_of(attribute.type)
        # scalars name the wire key in their errors; nested models use the converter's hook
        hook = _optional(scalar.read, key) if scalar is not None else None
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
