"""Bouwsoft's protocol rules as pure functions: no I/O, no clock, no state.

Everything that decides what goes on the wire or what an answer means lives here: header sets,
URLs, Content-Range and Retry-After, the status-to-exception table, redaction, the filter grammar
and the ``columns`` encoding.
"""

from __future__ import annotations

import codecs
import email.utils
import functools
import html
import json
import re
import typing
from collections.abc import Iterable, Mapping
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import SplitResult, quote, quote_plus, urlsplit, urlunsplit

import attrs

from ._errors import (
    APIError,
    AuthenticationError,
    BadRequestError,
    DecodeError,
    NotFoundError,
    PermissionDeniedError,
    RateLimitError,
    ServerError,
    ValidationError,
)
from ._models import Payment, PurchaseInvoice, SalesInvoice

# -- headers and URLs ------------------------------------------------------------------------


def data_headers(client_nr: int, access_token: str) -> dict[str, str]:
    """Headers of every call to a Bouwsoft data server."""
    return {"Clientnr": str(client_nr), "AccessToken": access_token, "Accept": "application/json"}


def token_headers(client_nr: int, refresh_token: str) -> dict[str, str]:
    """Headers of the AccessToken request to the authentication server."""
    return {"Clientnr": str(client_nr), "RefreshToken": refresh_token, "Accept": "application/json"}


def fits_a_header(value: str) -> bool:
    """Whether a token can travel in a header: no line break or other control character (it
    would end the header; aiohttp refuses to send it) and nothing else unprintable."""
    return value.isprintable()


@functools.lru_cache(maxsize=256, typed=True)  # a client asks for the same few paths again
def resource_url(base_url: str, *segments: str | int) -> str:
    """Join ``base_url`` and path segments, each percent-quoted so an id can't change the path."""
    parts = [quote(str(segment), safe="") for segment in segments]
    return "/".join([base_url.rstrip("/"), *parts])


# CHOICE (the strictest server the evidence allows): every encoded example of the vendor and of
# the production clients writes a space as %20, and a server that only percent-decodes reads a
# "+" literally. So a query is written in RFC 3986 percent-encoding, with nothing but the
# unreserved characters left raw: a space is %20 (never "+"), a "+" is %2B, "'" is %27. The
# parameter names are the client's own ASCII words; RamBase's "$" stays raw, as its pages write.
# The table maps every ASCII character, the unreserved ones to themselves: a character missing
# from it would cost ``str.translate`` a failed lookup each time it occurs.
_PERCENT_ENCODED = {
    code: chr(code) if chr(code).isalnum() or chr(code) in "-._~" else f"%{code:02X}"
    for code in range(128)
}


def encode_query(params: Mapping[str, str]) -> str:
    """The query string for ``params``, in order, RFC 3986 percent-encoded (UTF-8; other ASCII
    text in one ``str.translate``); text with a lone surrogate is refused with ValidationError
    rather than sent changed."""
    parts = []
    for name, value in params.items():
        try:
            if not value.isascii():
                text = quote(value, safe="")
            elif value.replace(" ", "").isalnum():  # words and numbers: no table to walk
                text = value.replace(" ", "%20")
            else:
                text = value.translate(_PERCENT_ENCODED)
            parts.append(f"{name}={text}")
        except UnicodeEncodeError as exc:
            raise ValidationError(
                f"{name}: the text can't be sent exactly (it is not valid Unicode: {exc.reason})",
                field=name,
            ) from None
    return "&".join(parts)


def check_base_url(url: object, *, field: str) -> str:
    """``url`` without a trailing slash if it is an absolute http(s) URL with a host and no
    query or fragment; ValidationError otherwise (``ra.bouwsoft.be/api/v1`` has no scheme)."""
    if not isinstance(url, str) or not url.strip():
        raise ValidationError(f"{field} must be an http(s) URL", field=field)
    url = url.strip()
    try:
        parts = urlsplit(url)
    except ValueError:  # a bracket of an IPv6 host unclosed, or around no IPv6 address
        parts = urlsplit("")
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValidationError(
            f"{field} must start with https:// (or http://) and name a host, "
            f"e.g. https://ra.bouwsoft.be/api/v1; got {url[:80]!r}",
            field=field,
        )
    if parts.query or parts.fragment or re.search(r"[\s\x00-\x1f\x7f]", url):
        raise ValidationError(
            f"{field} must have no query, fragment, spaces or control characters", field=field
        )
    if not _reachable(parts):
        raise ValidationError(
            f"{field} must name a usable host and port; got {url[:80]!r}", field=field
        )
    return url.rstrip("/")


def _reachable(parts: SplitResult) -> bool:
    """Whether a request can be sent to the URL's host and port: a port of at most 65535, and
    host labels the IDNA codec takes (1 to 63 characters), as yarl encodes the host with it."""
    try:
        _ = parts.port
        (parts.hostname or "").encode("idna")
    except ValueError:  # UnicodeError too
        return False
    # after an IPv6 host's "]" only its port: urlsplit takes "[::1]x", yarl refuses it
    after_host = parts.netloc.rpartition("@")[2].partition("]")[2]
    return re.fullmatch(r"(:[0-9]*)?", after_host) is not None


def path_of(url: str) -> str:
    """The path of a URL, for messages: never the query string, which could carry data."""
    return urlsplit(url).path or "/"


def data_server_url(auth_url: str, server_name: str) -> str:
    """The auth URL's scheme and path on the ``ServerName`` host; ``ServerName`` has been seen
    with and without ``https://`` and a trailing slash: only its host (and port) is taken."""
    name = server_name.strip() if isinstance(server_name, str) else ""
    scheme_less = re.sub(r"^[A-Za-z][A-Za-z0-9+.\-]*://", "", name).rstrip("/")
    scheme, _, path, _, _ = urlsplit(auth_url)
    url = urlunsplit((scheme, scheme_less.lower(), path.rstrip("/"), "", ""))
    host = re.fullmatch(r"[A-Za-z0-9.\-]+(:[0-9]{1,5})?", scheme_less)
    if host is None or not _reachable(urlsplit(url)):
        raise DecodeError("the token answer has no usable ServerName", excerpt=name[:80])
    return url


def parse_valid_until(value: object) -> datetime:
    """Parse ``ValidUntil`` (``2017-09-05T15:01Z``) as an aware datetime (UTC if no zone)."""
    if not isinstance(value, str):
        raise DecodeError("the token answer's ValidUntil is not a string", excerpt=repr(value)[:80])
    try:
        parsed = datetime.fromisoformat(value.strip().upper())
    except ValueError as exc:
        raise DecodeError(
            "the token answer's ValidUntil is not a timestamp", excerpt=value
        ) from exc
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


# -- answers ---------------------------------------------------------------------------------


@attrs.frozen
class ContentRange:
    """A parsed ``Content-Range`` value: zero-based ``first``..``last`` of ``total`` records."""

    first: int
    last: int
    total: int

    @property
    def count(self) -> int:
        """How many records the range covers."""
        return 0 if self.total == 0 else self.last - self.first + 1

    @property
    def is_last_page(self) -> bool:
        """True when nothing matching the query lies beyond this range."""
        return self.total == 0 or self.last + 1 >= self.total


# numbers of at most 19 digits (64 bits): int() refuses a longer one past 4,300 digits
_CONTENT_RANGE = re.compile(r"\s*(\d{1,19})\s*-\s*(\d{1,19})\s*/\s*(\d{1,19})\s*")
_EMPTY_CONTENT_RANGE = re.compile(r"\s*(?:\*|0\s*-\s*0|0\s*-\s*-1)\s*/\s*0\s*")


def parse_content_range(value: object, secrets: Iterable[str] = ()) -> ContentRange:
    """Parse ``"0-4/3412"``; an empty result may be ``"*/0"``, ``"0-0/0"`` or ``"0--1/0"``.
    An error quotes a value that is not one with ``secrets`` redacted (a server may echo one)."""
    if not isinstance(value, str):
        raise DecodeError(
            "Content-Range is missing or not a string", excerpt=redact(repr(value), secrets)[:80]
        )
    match = _CONTENT_RANGE.fullmatch(value)
    if match is not None:
        first, last, total = int(match[1]), int(match[2]), int(match[3])
        if first <= last < total:
            return ContentRange(first, last, total)
    if _EMPTY_CONTENT_RANGE.fullmatch(value):
        return ContentRange(0, -1, 0)
    if match is None:
        raise DecodeError("malformed Content-Range", excerpt=redact(value, secrets)[:80])
    raise DecodeError("Content-Range contradicts itself", excerpt=value[:80])


def list_content_range(payload: Mapping[str, Any], secrets: Iterable[str] = ()) -> ContentRange:
    """The Content-Range of a list answer; an empty ``Records`` without one means "nothing"."""
    raw_range = payload.get("Content-Range")
    if raw_range is None and payload.get("Records") == []:
        return ContentRange(0, -1, 0)
    return parse_content_range(raw_range, secrets)


# a list answer as the vendor prints it: Content-Range first, then records that start with id
_PAGE_HEAD = re.compile(
    rb'\s*\{\s*"Content-Range"\s*:\s*"\s*(\d{1,19})\s*-\s*(\d{1,19})\s*/\s*(\d{1,19})\s*"'
)
_RECORD_HEAD = re.compile(rb'\{\s*"id"\s*:\s*(\d{1,19})\s*[,}]')


def peek_page(body: bytes) -> tuple[int, int, int] | None:
    """A guess, from a list page's raw bytes, at its record count, total and last id (None when
    empty or laid out otherwise), so a walk can ask for the next page while this one is
    decoded."""
    head = _PAGE_HEAD.match(body)
    if head is None:
        return None
    first, last, total = (int(group) for group in head.groups())
    if total == 0 or last < first:
        return None
    key = body.rfind(b'"id"')
    brace = body.rfind(b"{", 0, key) if key > 0 else -1
    if brace < 0 or body[brace + 1 : key].strip():
        return None
    record = _RECORD_HEAD.match(body, brace)
    if record is None:
        return None
    return last - first + 1, total, int(record.group(1))


_CHARSET = re.compile(r';\s*charset\s*=\s*"?([^";\s]+)', re.IGNORECASE)


@functools.lru_cache(maxsize=64)  # a server sends a few Content-Types again and again
def charset_of(content_type: str | None) -> str | None:
    """The ``charset`` parameter of a Content-Type value, lower-cased; None if there is none."""
    match = _CHARSET.search(content_type or "")
    return match[1].lower() if match else None


def json_as_utf8(content_type: str | None, body: bytes) -> bytes:
    """A JSON body re-encoded as UTF-8 when the server declared another charset (JSON is UTF-8
    by its RFC, but a server may declare ``charset=windows-1252`` and mean it)."""
    charset = charset_of(content_type)
    if charset in (None, "utf-8"):  # the usual answer: nothing more to read
        return body
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if not (media == "application/json" or media.endswith("+json")):
        return body
    try:
        name = codecs.lookup(charset).name
    except LookupError:
        raise DecodeError(f"the answer declares an unknown charset {charset[:40]!r}") from None
    if name in ("utf-8", "ascii"):
        return body
    try:
        return body.decode(name).encode("utf-8")
    except (UnicodeError, LookupError):  # LookupError: a codec of no text, such as base64
        raise DecodeError(f"the answer is not valid {charset[:40]} as it declares") from None


def parse_retry_after(value: str | None, *, now: datetime) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date); None if absent
    or unreadable (then the normal backoff applies). A date in the past means "now" (0)."""
    if value is None:
        return None
    text = value.strip()
    # ASCII digits only: str.isdigit() also accepts "²", which float() refuses
    if re.fullmatch(r"[0-9]{1,10}", text):
        return float(text)
    try:
        when = email.utils.parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    try:
        return max(0.0, (when - now).total_seconds())
    except OverflowError:  # pragma: no cover - dates near datetime's limits
        return None


_STATUS_ERRORS: dict[int, type[APIError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    429: RateLimitError,
}


def error_for_status(status: int, *, retry_after: float | None = None, **details: Any) -> APIError:
    """The exception for an error status: the one status-to-exception table of the package."""
    cls = ServerError if status >= 500 else _STATUS_ERRORS.get(status, APIError)
    if cls in (ServerError, RateLimitError):
        details["retry_after"] = retry_after
    return cls(status=status, **details)


@attrs.frozen(kw_only=True)
class VendorError:
    """An error record in Bouwsoft's write envelope (see ``vendor_error_of``)."""

    code: int
    description: str
    message: str | None = None
    request_id: str | None = None


def text_of(value: object) -> str | None:
    """An error answer's text field, stripped; None if it is blank or not text."""
    return value.strip() or None if isinstance(value, str) else None


# a whole number as a server may write it in text: ASCII digits, blanks around them, at most 19
# (the vendor's numbers fit 64 bits; int() refuses a text of more than 4,300 digits)
_DIGITS = re.compile(r"\s*[0-9]{1,19}\s*")


def digits_value(text: str) -> int | None:
    """The whole number ``text`` writes in digits (``" 400 "`` -> 400), or None."""
    return int(text) if _DIGITS.fullmatch(text) else None


def vendor_error_of(payload: Any) -> VendorError | None:
    """The vendor's error record in an answer, or None when the answer holds none.

    An older vendor page (POST /ProjectContacts) answers an error inside the usual write
    envelope: ``{"RecordChanges":[{"Code":400,"Description":"Could not create a new record",
    "Message":"Bad Request","RequestId":"115-<uuid>-250212-142620"}]}``. A record with a
    ``Code`` of 400 or more and a ``Description`` is an error whatever the HTTP status; the
    first such record counts. A bare record (no envelope) is read the same way.
    """
    records = payload.get("RecordChanges", [payload]) if isinstance(payload, Mapping) else payload
    for record in records if isinstance(records, list) else []:
        if not isinstance(record, Mapping):
            continue
        code = record.get("Code")
        if isinstance(code, str):
            code = digits_value(code)
        description = text_of(record.get("Description"))
        if type(code) is int and 400 <= code <= 599 and description:
            return VendorError(
                code=code,
                description=description,
                message=text_of(record.get("Message")),
                request_id=text_of(record.get("RequestId")),
            )
    return None


def secret_forms(secret: str) -> list[str]:
    """Every form in which a server may echo ``secret``: as it is, URL-encoded (as a form or a
    query writes it, either case of hex), JSON-escaped and HTML-escaped. Longest first."""
    if not secret:
        return []
    forms = {
        secret,
        quote(secret, safe=""),
        quote(secret, safe="/"),
        quote_plus(secret, safe=""),
        json.dumps(secret)[1:-1],
        json.dumps(secret, ensure_ascii=False)[1:-1],
        json.dumps(secret)[1:-1].replace("/", "\\/"),  # some encoders escape "/" too
        html.escape(secret),
        html.escape(secret, quote=False),
    }
    forms |= {re.sub(r"%[0-9A-F]{2}", lambda m: m[0].lower(), form) for form in forms}
    return sorted(forms, key=len, reverse=True)


def redact(text: str, secrets: Iterable[str]) -> str:
    """Replace every secret in ``text`` with ``***``, in any form ``secret_forms`` knows."""
    for secret in secrets:
        for form in secret_forms(secret):
            text = text.replace(form, "***")
    return text


def redact_error(error: DecodeError, secrets: Iterable[str]) -> DecodeError:
    """``error`` again with every secret redacted from its reason and its excerpt; the caller
    raises it outside its ``except`` block, so that nothing chained keeps the original."""
    shown = list(secrets)
    reason = str(error).removesuffix(f": {error.excerpt!r}") if error.excerpt else str(error)
    return DecodeError(
        redact(reason, shown), excerpt=_redact_cut(redact(error.excerpt, shown), shown)
    )


# the shortest start of a secret hidden at the end of a cut quote: fewer characters tell
# nothing of a token, and hiding them would mangle a quote whose last ones happen to match
_SECRET_START = 4


def _redact_cut(text: str, secrets: Iterable[str]) -> str:
    """``text`` without the start of a secret at its end: an excerpt is a value quoted cut to a
    length, and a cut inside a secret leaves its start, which ``redact`` does not know."""
    for secret in secrets:
        for form in secret_forms(secret):
            for size in range(min(len(form) - 1, len(text)), _SECRET_START - 1, -1):
                if text.endswith(form[:size]):
                    return text[:-size] + "***"
    return text


def excerpt(body: bytes, secrets: Iterable[str] = (), *, limit: int = 200) -> str:
    """A short, printable, redacted piece of a body for an exception message."""
    # redact the whole body before cutting it, so a cut can't leave part of a secret visible
    text = redact(body.decode("utf-8", errors="replace"), secrets)
    text = " ".join(text[: limit * 4].split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


# -- filters ---------------------------------------------------------------------------------
#
# ASSUMPTION (see shared/api-docs/README.md): the vendor shows only ``field eq value``; a
# production client also sends ``ne`` and ``gt``, ``and``/``or`` and parentheses, and booleans
# as ``true``/``false``. ``ge``, ``lt`` and ``le`` are assumed to follow the same OData-like form,
# so ``condition()`` lets a user write them, but the client's own narrowing never uses them.
# This block is the only place that knows the filter grammar; the fake server reads filters with
# its own, independent parser.

FILTER_OPERATORS = frozenset({"eq", "ne", "gt", "ge", "lt", "le"})
# ASSUMPTION, the strictest server the evidence allows: the client itself writes only ``eq``,
# ``ne`` and ``gt`` (the id walk, the parallel split, partitions, since). An ``id ge N`` is
# ``id gt N-1``; ``since=T`` is ``ts_lastupdate gt <T minus one second>`` (timestamps have whole
# seconds); an upper bound (``id lt``) is never sent: the walk enforces it on the client, and a
# rank is ``total - count(id gt X)``.
_FIELD_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# outside quoted text: a parenthesis, or ``and``/``or`` as a word
_FILTER_STRUCTURE = re.compile(r"'(?:[^']|'')*'|(\()|(\))|\b(and|or)\b", re.IGNORECASE)


def condition(field: str, op: str, value: object) -> str:
    """One comparison, e.g. ``condition("id", "gt", 25)`` -> ``"id gt 25"``; booleans are
    written ``true``/``false``; a timestamp must be naive, and one with a fraction of a second
    is written as the whole second that keeps the comparison's meaning (refused for eq/ne)."""
    if not isinstance(field, str) or not _FIELD_NAME.fullmatch(field):
        raise ValidationError(f"{field!r} is not a field name", field=str(field))
    if not isinstance(op, str) or op not in FILTER_OPERATORS:
        raise ValidationError(
            f"filter operator {op!r} is not one of {sorted(FILTER_OPERATORS)}", field=field
        )
    if isinstance(value, datetime) and field in _fields_typed(date):
        # written as a timestamp, it is compared with the date's text: "date ge <midnight>"
        # would leave out that day, "date eq <midnight>" match nothing
        raise ValidationError(
            f"{field} holds a date without a time: compare it with a datetime.date, not a datetime",
            field=field,
        )
    if op in ("eq", "ne") and type(value) is date and field in _fields_typed(datetime):
        # no stamp equals a day ("ts_lastupdate eq '2024-01-31'" matches nothing)
        raise ValidationError(
            f"{field} holds a timestamp, which no day equals: for a day D, join "
            f"{field} ge D and {field} lt the day after",
            field=field,
        )
    if isinstance(value, datetime) and value.tzinfo is not None:
        # a timestamp field carries no zone; guessing the server's would shift the cut silently
        raise ValidationError(
            f"{field}: use a naive datetime in the server's clock, not an aware one", field=field
        )
    if isinstance(value, datetime) and value.microsecond:
        # the wire form has whole seconds, and so have the stamps it is compared with: "gt" and
        # "le" 10:00:00.5 mean "gt"/"le" 10:00:00, "ge" and "lt" mean 10:00:01; no whole
        # second equals it, so "eq"/"ne" can't be written (dropping the fraction would change
        # what the filter means)
        if op in ("eq", "ne"):
            raise ValidationError(
                f"{field}: a timestamp compared with {op} has whole seconds; {value} has a "
                "fraction",
                field=field,
            )
        value = value.replace(microsecond=0)
        if op in ("ge", "lt"):
            if value == datetime.max.replace(microsecond=0):
                raise ValidationError(f"{field}: no whole second after {value}", field=field)
            value += timedelta(seconds=1)
    text = str(value).lower() if isinstance(value, bool) else encode_value(value, field=field)
    return f"{field} {op} {text}"


@functools.cache
def _fields_typed(kind: type) -> frozenset[str]:
    """The fields the models type as ``kind`` (a date; a timestamp, such as ts_lastupdate, is a
    datetime), or as ``kind`` or None."""
    return frozenset(
        name
        for model in (SalesInvoice, PurchaseInvoice, Payment)
        for name, hint in typing.get_type_hints(model).items()
        if hint in (kind, kind | None)
    )


def ids_after(last_id: int) -> str:
    """``id gt <last_id>``: the records after ``last_id`` (``id ge N`` is ``ids_after(N - 1)``)."""
    return f"id gt {last_id:d}"  # what condition("id", "gt", last_id) writes, on every page


def changed_since(since: datetime) -> str:
    """Records changed at or after ``since``: ``ts_lastupdate`` has whole seconds, so ``gt`` one
    second earlier is ``ge`` ``since`` (rounded down to its second, as the field is stored)."""
    if since.replace(microsecond=0) == datetime.min:
        raise ValidationError(  # no second before it to write "gt" with
            f"since must be after {datetime.min}, not {since}", field="since"
        )
    return condition("ts_lastupdate", "gt", since.replace(microsecond=0) - timedelta(seconds=1))


def _is_single_condition(text: str) -> bool:
    """True when ``text`` needs no parentheses to be joined: one comparison, or one group."""
    depth = 0
    for match in _FILTER_STRUCTURE.finditer(text):
        if match.group(1):
            depth += 1
        elif match.group(2):
            depth -= 1
            if depth == 0 and match.end() != len(text):
                return False  # "(a) or (b)": a group that ends early
        elif match.group(3) and depth == 0:
            return False
    return True


def _join_filters(conjunction: str, parts: tuple[str | None, ...]) -> str | None:
    for part in parts:
        if part is not None and not isinstance(part, str):
            raise ValidationError(
                f"a filter is a str or None, not {type(part).__name__}", field="filter"
            )
    kept = [part.strip() for part in parts if part and part.strip()]
    for part in kept:
        if part.count("'") % 2:  # what a walk joins to it would be read as part of the text
            raise ValidationError(
                f"filter {part[:80]!r} leaves a quote open (a ' inside text is written twice: "
                "'D''Hondt')",
                field="filter",
            )
    if len(kept) == 1:
        return kept[0]
    grouped = [part if _is_single_condition(part) else f"({part})" for part in kept]
    return conjunction.join(grouped) or None


def and_filters(*parts: str | None) -> str | None:
    """Join filter expressions with ``and``, skipping empty ones; None when nothing is left.

    A part that is more than one condition is put in parentheses, so the result means what
    each part meant whatever the server's precedence: ``and_filters("a eq 1 or a eq 2", "id gt
    5")`` is ``(a eq 1 or a eq 2) and id gt 5``.
    """
    return _join_filters(" and ", parts)


def or_filters(*parts: str | None) -> str | None:
    """Join filter expressions with ``or`` (parts of more than one condition in parentheses)."""
    return _join_filters(" or ", parts)


# -- the columns encoding --------------------------------------------------------------------
#
# POST and PUT carry their fields as ``columns=name=value,name=value``: numbers bare with a dot,
# text and dates in single quotes, booleans True/False. The vendor documents no escape for a quote
# inside text. CHOICE: a ``'`` inside text is doubled (``O''Brien``), the rule of the Pascal
# family of languages Bouwsoft's type names come from; control characters cannot be written
# safely at all and are rejected.

MAX_CURRENCY_DECIMALS = 4
_UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f]")


def check_utf8(text: str, *, field: str | None = None) -> str:
    """``text`` itself if it encodes exactly as UTF-8; a lone surrogate (``"\\udc80"``, what
    ``surrogateescape`` leaves of a bad byte) would be dropped or replaced on the way out, so two
    different keys could become one: such text is refused."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValidationError(
            f"{field or 'value'}: text with a lone surrogate ({text[exc.start]!r} at position "
            f"{exc.start}) can't be encoded exactly as UTF-8",
            field=field,
        ) from exc
    return text


def format_decimal(
    value: Decimal, *, field: str | None = None, max_decimals: int | None = None
) -> str:
    """A Decimal written exactly, without exponent: ``Decimal("1E+2")`` -> ``"100"``."""
    if not value.is_finite():
        raise ValidationError(f"{field or 'value'}: {value} is not a finite number", field=field)
    sign, digits, exponent = value.as_tuple()
    if max_decimals is not None and -int(exponent) > max_decimals:
        # trailing zeros dropped exactly, not by normalize(), which rounds to the decimal
        # context's precision (28 digits by default: 1.00000000000000000000000000001 would
        # be sent as 1)
        kept = "".join(map(str, digits)).rstrip("0")
        drop = min(len(digits) - len(kept), -int(exponent)) if kept else -int(exponent)
        if -(int(exponent) + drop) > max_decimals:
            raise ValidationError(
                f"{field or 'value'}: {value} has more than {max_decimals} decimals", field=field
            )
        value = Decimal((sign, digits[: len(digits) - drop] or (0,), int(exponent) + drop))
    text = format(value, "f")
    return "0" if text in ("-0", "-0.0") else text


def encode_value(
    value: object, *, field: str | None = None, max_decimals: int | None = None
) -> str:
    """One value in the wire form of ``columns`` (and of filters, booleans aside)."""
    if isinstance(value, bool):
        return "True" if value else "False"
    if isinstance(value, int):
        # the number itself, not the str() of a subclass: an int Enum's is its member's name
        return int.__repr__(value)
    if isinstance(value, float):
        # written through its shortest repr, never through binary expansion (nan and inf are
        # refused as Decimals)
        value = Decimal(float.__repr__(value))
    if isinstance(value, Decimal):
        return format_decimal(value, field=field, max_decimals=max_decimals)
    if isinstance(value, datetime):
        # not strftime: its %Y writes the year 999 as "999" on glibc, and "'999-..." sorts after
        # "'2019-..." as text; the vendor's form always has four digits
        return f"'{value.date().isoformat()} {value:%H:%M:%S}'"
    if isinstance(value, date):
        return f"'{value.isoformat()}'"
    if not isinstance(value, str):
        raise ValidationError(
            f"{field or 'value'}: can't send a {type(value).__name__}", field=field
        )
    if _UNSAFE_TEXT.search(check_utf8(value, field=field)):
        raise ValidationError(
            f"{field or 'value'}: control characters (newlines, tabs, ...) can't be sent safely",
            field=field,
        )
    return "'" + value.replace("'", "''") + "'"


def check_upload_filename(filename: str) -> str:
    """The name a file is uploaded under: non-empty, exact UTF-8, without quotes, slashes or
    control characters (which would break out of the multipart header or name a path)."""
    if not filename or re.search(r'[\x00-\x1f\x7f"\\/]', filename):
        raise ValidationError(
            f"filename {filename!r} must be non-empty, without quotes, slashes or control "
            "characters",
            field="filename",
        )
    return check_utf8(filename, field="filename")
