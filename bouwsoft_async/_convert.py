"""The one converter: JSON bytes to models and rows, and models to plain data.

Every response goes through here; no endpoint calls ``json.loads`` or builds a model by hand.
Bodies are parsed with orjson (RamBase's with stdlib ``json`` and ``parse_float=Decimal``: its
amounts must be exact from the first character). ``SCALARS`` is the one table of how a wire value
becomes a field's Python type; it is registered on the cattrs ``converter`` once, and serves
records, ``RecordChanges`` and RamBase's models alike.

Record models (attrs classes with an ``extra`` field) are not built by cattrs' generated hooks,
which ``benchmarks/decode_cost.py`` measures at about 2.6x stdlib ``json.loads`` for a page of
invoices: ``_RecordStructurer`` reads a page column by column (a column of values already of the
class they read as is kept as it is, the others are read once per distinct value) and sets the
page's fields through the model's own slot descriptors in C loops. A page of a few records is
read record by record. Unknown keys go to ``extra``.
"""

from __future__ import annotations

import json
import re
from collections import deque
from collections.abc import Callable, Iterable, Mapping, Sequence
from collections.abc import Set as AbstractSet
from datetime import date, datetime
from decimal import ROUND_HALF_EVEN, Context, Decimal, InvalidOperation
from itertools import chain, compress, count, repeat, starmap
from operator import is_not, itemgetter, setitem
from types import MappingProxyType, MemberDescriptorType
from typing import Annotated, Any, TypeVar, Union, cast, get_args, get_origin

import attrs
import cattrs
import orjson
from cattrs.gen import make_dict_structure_fn, override

from ._errors import DecodeError
from ._models import NO_EXTRA, RecordChanges
from ._protocol import MAX_CURRENCY_DECIMALS, excerpt, redact, redact_error
from ._types import Money, Rate

__all__ = [
    "ROW_TEXT",
    "SCALARS",
    "converter",
    "decode_json",
    "decode_json_exact",
    "money_from_wire",
    "record_rows",
    "structure",
    "structure_changes",
    "structure_many",
    "try_decode_json",
    "unstructure",
]

T = TypeVar("T")
R = TypeVar("R")

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


def _no_constant(name: str) -> Any:
    # NaN, Infinity and -Infinity are not JSON (stdlib json reads them as floats)
    raise ValueError(f"{name} is not JSON")


# digits a number may have before or after its point, as int() reads at most 4,300 (Python's
# guard against quadratic conversions): "1e999999" is a few bytes, spelled out a minute of CPU
_MAX_DIGITS = 4300


def _digits_checked(value: Decimal, what: str) -> Decimal:
    if not -_MAX_DIGITS <= value.adjusted() < _MAX_DIGITS:
        raise DecodeError(f"{what} has more than {_MAX_DIGITS:,} digits before or after its point")
    return value


def _exact_fraction(text: str) -> Decimal:
    return _digits_checked(Decimal(text), "a number in the answer")


def decode_json_exact(body: bytes, secrets: Iterable[str] = ()) -> Any:
    """Parse a JSON body with every fraction as an exact Decimal; else raise DecodeError."""
    try:
        return json.loads(body, parse_float=_exact_fraction, parse_constant=_no_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        pass
    # raised outside the except block: the parser's exception keeps the whole body (``.doc``),
    # which may echo a secret, so it is neither the cause nor the context of ours
    raise _not_json(body, secrets)


# -- scalars: how a wire value becomes a field's type ----------------------------------------

_MONEY_QUANTUM = Decimal(1).scaleb(-MAX_CURRENCY_DECIMALS)
_FLOAT_ZERO = Decimal("0.0")
# the tail of a float's repr that holds its point if it has at most 4 decimals
_FOUR_DECIMALS = -1 - MAX_CURRENCY_DECIMALS
# the last few nonzero float amounts read, and what they read as (immutable Decimals; equal
# floats have one repr): a record repeats its amounts (basis, basis4, taxableamount4 ...)
_AMOUNTS: dict[float, Decimal] = {}
_AMOUNTS_KEPT = 64
# room for any number a double can hold, so rounding never raises InvalidOperation
_WIDE = Context(prec=1000)
# a float above 2**53 is not an exact integer any more
_EXACT_FLOAT_INT = 2**53
_INT_TEXT = re.compile(r"[+-]?\d{1,19}")  # 64 bits; int() refuses past 4,300 digits
# the whole numbers read most (zero amounts, whole percentages), made once: Decimals are immutable
_WHOLE = tuple(map(Decimal, range(101)))


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
    if type(value) is int:
        return _WHOLE[value] if 0 <= value <= 100 else Decimal(value)
    if type(value) is float:
        # -0.0 reads as 0.0, as a page that reads each distinct value once (-0.0 == 0.0) does
        text = repr(value + 0.0)
        if "e" not in text and "n" not in text:  # plain digits: no exponent, nan or inf
            return Decimal(text)
    elif type(value) is str or type(value) is Decimal:
        text = str(value).strip()
    else:
        raise DecodeError(f"field {field!r} is not a number", excerpt=repr(value)[:80])
    try:
        result = Decimal(text)
    except InvalidOperation:
        raise DecodeError(f"field {field!r} is not a number", excerpt=repr(value)[:80]) from None
    if not result.is_finite():
        raise DecodeError(f"field {field!r} is not a finite number", excerpt=repr(value))
    _digits_checked(result, f"field {field!r}")
    return _tidy(result) if "e" in text or "E" in text else result


def money_from_wire(value: object, field: str = "amount") -> Decimal:
    """A ``tpCurrency`` value: ``100.049999999999997`` -> ``Decimal("100.05")``.

    The vendor stores at most 4 decimals and prints them as a binary float; the float's
    shortest repr recovers the stored value, and anything finer is rounded half-even to 4
    decimals. Values past the vendor's range are read exactly all the same.
    """
    if type(value) is float:
        if not value:  # the most common amount; -0.0 as 0.0, as exact_decimal reads it
            return _FLOAT_ZERO
        seen = _AMOUNTS.get(value)
        if seen is not None:
            return seen
        text = repr(value)
        # a point among the last 5 characters: plain digits (an exponent, nan or inf have
        # none there) with at most 4 decimals, exact as printed
        if "." in text[_FOUR_DECIMALS:]:
            if len(_AMOUNTS) >= _AMOUNTS_KEPT:
                _AMOUNTS.clear()
            seen = _AMOUNTS[value] = Decimal(text)
            return seen
    elif type(value) is int:  # whole: nothing to round
        return _WHOLE[value] if 0 <= value <= 100 else Decimal(value)
    result = exact_decimal(value, field)
    exponent = result.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -MAX_CURRENCY_DECIMALS:
        result = result.quantize(_MONEY_QUANTUM, rounding=ROUND_HALF_EVEN, context=_WIDE)
        result = _tidy(result.normalize(_WIDE))
    return result


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
    if cls is int or cls is float or cls is Decimal:
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
    if value.__class__ is float or value.__class__ is int or value.__class__ is Decimal:
        result = float(value)  # a number past a double's range (1e400) would be inf
        if result - result == 0.0:  # finite
            return result
        raise DecodeError(f"field {field!r} is not a finite number", excerpt=repr(value)[:80])
    raise _wrong(field, "a number", value)


def read_date(value: object, field: str) -> date:
    """``YYYY-MM-DD``; a timestamp at midnight (RamBase's ``{Date}``) as its date."""
    if value.__class__ is str:
        text = value.strip()
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
            return datetime.fromisoformat(value.strip())
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


FastConvert = Callable[[type, list[Any], bool], list[Any] | None]
# a fifth decimal in a float's repr: such an amount is rounded (the value-by-value path)
_FIFTH_DECIMAL = re.compile(r"\.\d{5}")


def _numbers(*, money: bool) -> FastConvert:
    """Distinct wire numbers of one class converted in C loops as the value-by-value reader
    converts them, or None (then that reader runs): floats whose reprs are all plain (no
    exponent, nan or inf; for money no fifth decimal) become ``Decimal(repr)``, ints
    ``Decimal(int)``; ``written``: their text, which is what ``decimal_text`` writes of those."""

    def convert(cls: type, values: list[Any], written: bool) -> list[Any] | None:
        if cls is int:
            return list(map(str if written else Decimal, values))
        if cls is not float:
            return None
        # orjson writes each float as its shortest repr, in one C loop (0.00001 where repr
        # writes 1e-05: the same Decimal), nan and inf as null
        text = orjson.dumps(values).decode()
        if "e" in text or "n" in text or (money and _FIFTH_DECIMAL.search(text)):
            return None
        texts = text[1:-1].split(",")
        if "-0.0" in texts:  # read as 0.0
            texts[texts.index("-0.0")] = "0.0"
        return texts if written else list(map(Decimal, texts))

    return convert


def _texts(parse: Callable[[str], Any], *, optional: bool) -> FastConvert:
    """Distinct wire texts (``""`` too, as None, if ``optional``) parsed in a C loop as the
    value-by-value reader parses them, or None (then that reader runs and names the bad one):
    a text ``parse`` takes has no spaces to strip."""

    def convert(cls: type, values: list[Any], _: bool) -> list[Any] | None:
        if cls is not str:
            return None
        try:
            if optional:
                return [parse(value) if value else None for value in values]
            return list(map(parse, values))
        except ValueError:
            return None

    return convert


@attrs.frozen
class Scalar:
    """How a wire value becomes one Python type: ``read`` one value (strict, DecodeError);
    ``exact`` is the wire class that needs no conversion; ``fast`` converts the distinct
    values of one wire class in C loops, or says None."""

    read: Callable[[Any, str], Any]
    exact: type | None = None
    fast: FastConvert | None = None


# THE type table: every model field's Python type, and how its wire value is read. The keys
# are typing.Union[X, None] for optional types (what ``X | None`` compares equal to).
SCALARS: dict[Any, Scalar] = {
    int: Scalar(read_int, exact=int),
    str: Scalar(read_text, exact=str),
    bool: Scalar(read_bool, exact=bool),
    float: Scalar(read_float, exact=float),
    Money: Scalar(money_from_wire, fast=_numbers(money=True)),
    # a percentage or factor (tpDouble used with money): exact as its shortest decimal
    Rate: Scalar(exact_decimal, fast=_numbers(money=False)),
    Decimal: Scalar(exact_decimal, fast=_numbers(money=False)),
    date: Scalar(read_date, fast=_texts(date.fromisoformat, optional=False)),
    date | None: Scalar(read_optional_date, fast=_texts(date.fromisoformat, optional=True)),
    datetime: Scalar(read_timestamp, fast=_texts(datetime.fromisoformat, optional=False)),
    datetime | None: Scalar(
        read_optional_timestamp, fast=_texts(datetime.fromisoformat, optional=True)
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


Plain = Mapping[type, Callable[[Any], Any]]
# a page of fewer records is read record by record: columns cost more than they save
_SMALL_PAGE = 8
_new = object.__new__


def _all_text(column: Sequence[Any]) -> bool:
    """Whether every value is a str (a parser's texts are str itself), in one C loop."""
    try:
        "".join(column)
    except TypeError:
        return False
    return True


def _written(values: list[Any], plain: Plain | None) -> list[Any]:
    """``values`` written by ``plain`` (keyed by class; None: as they are)."""
    if plain is None:
        return values
    return [
        value if (write := plain.get(value.__class__)) is None else write(value) for value in values
    ]


class _RecordStructurer:
    """Builds one record model from a page of wire dicts (see the module docstring for why
    this is not cattrs' generated hook)."""

    def __init__(self, cls: type) -> None:
        attrs.resolve_types(cls)
        fields = [a for a in attrs.fields(cls) if a.name != "extra"]
        # a record stores only its fields: no hooks of its own in __init__
        assert not any(a.validator or a.converter for a in fields), cls
        self.cls = cls
        self.names = tuple(a.name for a in fields)
        self.known = frozenset(self.names)
        self.required = frozenset(a.name for a in fields if a.default is attrs.NOTHING)
        # the value of a field an older server leaves out
        self.defaults = tuple(None if a.default is attrs.NOTHING else a.default for a in fields)
        self.scalars: dict[str, Scalar] = {}
        for a in fields:
            scalar = _scalar_of(a.type)
            if scalar is None:
                raise TypeError(f"{cls.__name__}.{a.name}: no rule for {a.type!r} in SCALARS")
            self.scalars[a.name] = scalar
        self.exacts = tuple(scalar.exact for scalar in self.scalars.values())
        # each field's place, reader and name, for a record read alone
        reads = (scalar.read for scalar in self.scalars.values())
        self.reads = tuple(zip(count(), reads, self.names))
        # the keys of a record as a server sends it: each of the model's fields, in its order
        # (as orjson's own str objects, which it gives again for equal keys: compared by identity)
        self.keys = list(orjson.loads(orjson.dumps(dict.fromkeys(self.names))))
        # a model's fields are filled through its slots' descriptors, in C loops: what attrs'
        # frozen ``__init__`` writes with (past the frozen ``__setattr__``), without a bytecode
        # per field
        self.slot_names = (*self.names, "extra")
        self.slots = tuple(getattr(cls, name) for name in self.slot_names)
        if not all(isinstance(slot, MemberDescriptorType) for slot in self.slots):
            raise TypeError(f"{cls.__name__}: a record model is slotted (attrs' default)")

    def _check(self, record: Any) -> None:
        if record.__class__ is not dict:
            raise DecodeError(
                f"a {self.cls.__name__} should be a JSON object", excerpt=repr(record)[:80]
            )

    def _require(self, keys: AbstractSet[str]) -> None:
        if not keys >= self.required:
            missing = [name for name in self.names if name in self.required - keys]
            raise DecodeError(
                f"a {self.cls.__name__} is missing field {missing[0]!r}",
                excerpt=repr(sorted(keys))[:80],
            )

    def _record(self, record: Any) -> list[Any]:
        """A record's fields read one by one, in ``names`` order, then its ``extra``."""
        self._check(record)
        usual = list(record) == self.keys
        if usual:
            values = list(record.values())
        else:  # an optional field left out (or a required one: raise), or unknown fields
            self._require(record.keys())
            values = list(map(record.get, self.names, self.defaults))
        # the values that are not of the class they read as: read (in a C loop, the others)
        for index, read, name in compress(self.reads, map(is_not, map(type, values), self.exacts)):
            values[index] = read(values[index], name)
        values.append(NO_EXTRA if usual else self._extra(record))
        return values

    def _columns(
        self, records: list[Any], plain: Plain | None
    ) -> tuple[list[Any], list[Iterable[Any]], bool]:
        """A page's fields read column by column, in ``names`` order (written by ``plain``,
        if given): the wire columns (None where the records do not hold the field as they
        are); the read columns, where a column of values that read as they are is the wire
        column itself and the others are converted once per distinct value; whether any
        record may have unknown fields."""
        if any(map(is_not, map(type, records), repeat(dict))):
            for record in records:  # the first that is not a JSON object raises
                self._check(record)
        # a server sends every record of a page with the same keys in the same order (and
        # orjson gives equal keys as one object): then each record's values are its row
        layout: Sequence[str] = list(records[0])
        # every value in one list, record after record (the order the parser laid them out
        # in memory, much faster to read than a field across the records): a column is a
        # slice; each record's keys are compared as its values are read, still in the cache
        flat: list[Any] = []
        for record in records:
            if list(record) != layout:
                uniform = False
                break
            flat += record.values()
        else:
            uniform = True
        if uniform:
            self._require(set(layout))
        else:
            for record in records:
                self._require(record.keys())
            layout = self.names
            rows = (map(record.get, self.names, self.defaults) for record in records)
            flat = list(chain.from_iterable(rows))
        width = len(layout)
        where = dict(zip(layout, count()))
        size = len(records)
        wire: list[Any] = []
        columns: list[Iterable[Any]] = []
        # the fields to convert (index, column), per scalar and wire class (None: several)
        pending: dict[tuple[Scalar, type | None], list[tuple[int, Sequence[Any]]]] = {}
        for index, (name, default) in enumerate(zip(self.names, self.defaults, strict=True)):
            at = where.get(name)
            # left out by an older server: its default
            sent = [default] * size if at is None else flat[at::width]
            wire.append(sent if uniform and at is not None else None)
            columns.append(sent)
            scalar = self.scalars[name]
            if scalar.exact is str and _all_text(sent):
                continue
            types = list(map(type, sent))
            cls: type | None = types[0]
            if types.count(types[0]) < size:
                cls = None
            elif cls is scalar.exact:
                continue
            # equal Decimals may differ in digits: read one by one
            if cls is Decimal or (cls is None and Decimal in types):
                columns[index] = _written([scalar.read(value, name) for value in sent], plain)
                continue
            if cls is None:  # 0 == 0.0 == False, but they read differently: keyed apart
                sent = list(zip(sent, types, strict=True))
            elif sent == [sent[0]] * size:  # one value (all 0.0, say): read once
                sent = sent[:1]
            pending.setdefault((scalar, cls), []).append((index, sent))
        # whether a fast converter may give the text ``plain`` writes of its Decimals
        written = plain is not None and plain.get(Decimal) is decimal_text
        for (scalar, cls), fields in pending.items():
            name = self.names[fields[0][0]]
            try:
                # TypeError: unhashable
                distinct = list(set(chain.from_iterable(keyed for _, keyed in fields)))
                fast = scalar.fast
                converted = fast(cls, distinct, written) if fast and cls else None
                if converted is None:
                    values = distinct if cls is not None else [value for value, _ in distinct]
                    converted = [scalar.read(value, name) for value in values]
            except (TypeError, DecodeError):
                # read again field by field, so that the error names the right one
                for index, _ in fields:
                    for value in columns[index]:
                        scalar.read(value, self.names[index])
                raise
            converted = _written(converted, plain)
            if cls is str and converted == distinct:
                continue  # written as they came (dates YYYY-MM-DD): the wire columns
            table = dict(zip(distinct, converted, strict=True))
            for index, keyed in fields:
                # looked up now, in the cache, by one call (one key: no tuple, the value)
                column = itemgetter(*keyed)(table) if len(keyed) > 1 else [table[keyed[0]]]
                if cls is None and scalar.exact is not None:
                    # the values already of the class they read as are kept as they came, as a
                    # record read alone keeps them: -0.0 and 0.0 are one key (equal), but a
                    # float field keeps each sign
                    exact = scalar.exact
                    column = [
                        v if t is exact else c for (v, t), c in zip(keyed, column, strict=True)
                    ]
                columns[index] = column if len(keyed) == size else column * size
        unknown = not uniform or not self.known.issuperset(layout)
        return wire, columns, unknown

    def _extra(self, record: dict[str, Any]) -> Mapping[str, Any]:
        """A record's unknown fields (floats as exact Decimals)."""
        known = self.known
        if known.issuperset(record):
            return NO_EXTRA
        return MappingProxyType({k: loose(v) for k, v in record.items() if k not in known})

    def many(self, records: list[Any]) -> list[Any]:
        built: list[Any] = list(map(_new, repeat(self.cls, len(records))))
        if len(records) < _SMALL_PAGE:
            for instance, record in zip(built, records, strict=True):
                # object.__setattr__(instance, name, value) for each field and extra, in a C
                # loop: what attrs' frozen __init__ writes with (starmap passes zip's reused
                # tuple, where map would make a tuple per call)
                fields = zip(self.slot_names, self._record(record), strict=True)
                deque(starmap(object.__setattr__.__get__(instance), fields), maxlen=0)
            return built
        _, columns, unknown = self._columns(records, None)
        columns.append(map(self._extra, records) if unknown else [NO_EXTRA] * len(records))
        for slot, column in zip(self.slots, columns, strict=True):
            # slot.__set__(instance, value) for each instance, in a C loop (as above)
            deque(starmap(slot.__set__, zip(built, column, strict=True)), maxlen=0)
        return built

    def rows(self, records: list[Any], plain: Plain) -> list[dict[str, Any]]:
        """``records`` (fresh from the parser) made rows in place: each value that reads
        differently from the wire is replaced by what it reads as written by ``plain``,
        absent optional fields are added."""
        if not records:
            return records
        wire, columns, unknown = self._columns(records, plain)
        for name, column, as_sent in zip(self.names, columns, wire, strict=True):
            if column is not as_sent:
                # record[name] = value for each record, in a C loop
                deque(map(setitem, records, repeat(name), column), maxlen=0)
        if unknown:
            for record in records:
                extra = self._extra(record)
                record.update({key: _plain_value(value, plain) for key, value in extra.items()})
        return records

    def one(self, record: Any, _: Any = None) -> Any:
        return self.many([record])[0]


_STRUCTURERS: dict[type, _RecordStructurer] = {}


def _record_hook(cls: type) -> Callable[[Any, Any], Any]:
    structurer = _STRUCTURERS[cls] = _RecordStructurer(cls)
    return structurer.one


converter.register_structure_hook_factory(is_record, _record_hook)


def _structurer(cls: type) -> _RecordStructurer:
    """The structurer of a record model, without the converter's dispatch on every page."""
    if cls not in _STRUCTURERS:
        converter.get_structure_hook(cls)
    return _STRUCTURERS[cls]


# -- entry points ----------------------------------------------------------------------------


def structure(data: Any, cls: type[T], secrets: Iterable[str] = ()) -> T:
    """Build ``cls`` from parsed JSON; a shape mismatch raises DecodeError.

    The error quotes the data and the failure redacted of ``secrets``, and chains nothing: the
    converter's own exceptions hold the values they failed on, which a server may have echoed.
    """
    try:
        return converter.structure(data, cls)
    except DecodeError as exc:
        error = redact_error(exc, secrets)
    except Exception as exc:
        error = DecodeError(
            f"the answer does not fit {cls.__name__}: {redact(_summary(exc), secrets)}",
            excerpt=redact(repr(data), secrets)[:120],
        )
    raise error


def structure_many(items: list[Any], cls: type[T]) -> list[T]:
    """Build a list of ``cls`` (a page's records) in one pass per field."""
    if cls not in _STRUCTURERS and not is_record(cls):
        return [structure(item, cls) for item in items]
    return _on_page(cls, lambda structurer: structurer.many(items))


def _on_page(cls: type, read: Callable[[_RecordStructurer], R]) -> R:
    """``read`` with the structurer of ``cls``; any failure is a DecodeError."""
    try:
        return read(_structurer(cls))
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
    return _on_page(cls, lambda structurer: structurer.rows(items, plain))


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
