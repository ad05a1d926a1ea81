"""The pure protocol functions and the retry policy's waits: no server, no clock, no I/O."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

from bouwsoft_async import (
    APIError,
    AuthenticationError,
    BadRequestError,
    BouwsoftError,
    DecodeError,
    NotFoundError,
    RateLimitError,
    RetryPolicy,
    ServerError,
    ValidationError,
    and_filters,
    condition,
    or_filters,
    set_instant_retries,
)
from bouwsoft_async._protocol import (
    ContentRange,
    changed_since,
    data_headers,
    data_server_url,
    digits_value,
    encode_value,
    error_for_status,
    excerpt,
    parse_content_range,
    parse_retry_after,
    parse_valid_until,
    path_of,
    peek_page,
    redact,
    redact_error,
    resource_url,
    token_headers,
)

NOW = datetime(2025, 2, 12, 14, 0, 0, tzinfo=UTC)

# -- Content-Range ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "guess"),
    [
        # as the vendor and the fake print a page: Content-Range first, records start with id
        (b'{"Content-Range":"0-1/5","Records":[{"id":24,"nr":1},{"id":27,"nr":2}]}', 27),
        (b'{ "Content-Range" : "0-1/5", "Records": [{"id": 24}, { "id" : 27 , "nr": 2}]}', 27),
        # the last page by its total: still read (a full page is followed by one more request)
        (b'{"Content-Range":"0-1/2","Records":[{"id":24},{"id":27}]}', 27),
        (b'{"Content-Range":"0-0/0","Records":[]}', None),
        # laid out otherwise: no guess
        (b'{"Records":[{"id":24},{"id":27}],"Content-Range":"0-1/5"}', None),
        (b'{"Content-Range":"0-1/5","Records":[{"id":24},{"nr":2,"id":27}]}', None),
        (b'{"Content-Range":"0-1/5","Records":[{"id":24},{"id":"27"}]}', None),
        (b"<html>502 Bad Gateway</html>", None),
        (b"", None),
        # a wrong guess is possible (a nested object with an id last); the walk checks it
        (b'{"Content-Range":"0-0/5","Records":[{"id":24,"meta":{"id":999}}]}', 999),
    ],
)
def test_peek_page(body: bytes, guess: int | None) -> None:
    peek = peek_page(body)
    assert (peek[2] if peek else None) == guess


def test_peek_page_reads_the_content_range() -> None:
    peek = peek_page(b'{"Content-Range":"0-1/5","Records":[{"id":24,"nr":1},{"id":27,"nr":2}]}')
    assert peek == (2, 5, 27)  # two records of five, the last with id 27


def test_content_range_vendor_example() -> None:
    cr = parse_content_range("0-4/3412")
    assert (cr.first, cr.last, cr.total) == (0, 4, 3412)
    assert cr.count == 5
    assert not cr.is_last_page


def test_content_range_single_record_is_last_page() -> None:
    cr = parse_content_range("0-0/1")
    assert (cr.first, cr.last, cr.total, cr.count) == (0, 0, 1, 1)
    assert cr.is_last_page


def test_content_range_tolerates_spaces() -> None:
    assert parse_content_range(" 0 - 9 / 10 ") == ContentRange(0, 9, 10)


@pytest.mark.parametrize("value", ["*/0", "0-0/0", " * / 0 "])
def test_content_range_empty_result(value: str) -> None:
    cr = parse_content_range(value)
    assert cr.total == 0
    assert cr.count == 0
    assert cr.is_last_page


def test_content_range_last_page_exactly_reaches_total() -> None:
    assert parse_content_range("0-499/500").is_last_page
    assert not parse_content_range("0-498/500").is_last_page


@pytest.mark.parametrize(
    "value",
    [
        "",
        "0-4",
        "0/4",
        "abc",
        "0–4/3412",  # an en dash, as on the vendor's page, is not what the wire carries
        "-1-4/10",
        "0-4/10/3",
        "0-4/ten",
        "bytes 0-4/3412",
        "0.5-4/10",
    ],
)
def test_content_range_malformed(value: str) -> None:
    with pytest.raises(DecodeError, match="malformed Content-Range"):
        parse_content_range(value)


@pytest.mark.parametrize("value", [None, 5, ["0-4/10"], {"first": 0}])
def test_content_range_missing_or_not_a_string(value: object) -> None:
    with pytest.raises(DecodeError, match="missing or not a string"):
        parse_content_range(value)


@pytest.mark.parametrize("value", ["5-4/10", "0-10/10", "0-4/4", "3-3/3", "1-0/0"])
def test_content_range_contradicting_itself(value: str) -> None:
    with pytest.raises(DecodeError) as info:
        parse_content_range(value)
    assert info.value.excerpt == value


def test_decode_error_is_a_bouwsoft_error() -> None:
    with pytest.raises(BouwsoftError):
        parse_content_range("nonsense")


# -- Retry-After -----------------------------------------------------------------------------


@pytest.mark.parametrize(("value", "seconds"), [("0", 0.0), ("7", 7.0), (" 120 ", 120.0)])
def test_retry_after_seconds(value: str, seconds: float) -> None:
    assert parse_retry_after(value, now=NOW) == seconds


def test_retry_after_http_date_in_the_future() -> None:
    assert parse_retry_after("Wed, 12 Feb 2025 14:00:30 GMT", now=NOW) == 30.0


def test_retry_after_http_date_in_the_past_means_now() -> None:
    assert parse_retry_after("Wed, 12 Feb 2025 13:59:00 GMT", now=NOW) == 0.0


def test_retry_after_http_date_without_zone_is_utc() -> None:
    assert parse_retry_after("Wed, 12 Feb 2025 14:01:00 -0000", now=NOW) == 60.0


@pytest.mark.parametrize("value", [None, "", "soon", "-5", "1.5", "Wed, 99 Foo 2025", "😀"])
def test_retry_after_absent_or_garbage(value: str | None) -> None:
    assert parse_retry_after(value, now=NOW) is None


# -- the status table ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, BadRequestError),
        (401, AuthenticationError),
        (404, NotFoundError),
        (429, RateLimitError),
        (500, ServerError),
        (502, ServerError),
        (503, ServerError),
        (504, ServerError),
        (418, APIError),
        (409, APIError),
    ],
)
def test_error_for_status(status: int, cls: type[APIError]) -> None:
    error = error_for_status(
        status, method="GET", path="/api/v1/SalesInvoices/5", excerpt="oops", retry_after=None
    )
    assert type(error) is cls
    assert isinstance(error, BouwsoftError)
    assert error.status == status
    assert error.method == "GET"
    assert error.path == "/api/v1/SalesInvoices/5"
    assert error.excerpt == "oops"
    assert str(error) == f"GET /api/v1/SalesInvoices/5 -> HTTP {status}: oops"


def test_error_for_status_rate_limit_carries_retry_after() -> None:
    error = error_for_status(429, method="GET", path="/x", excerpt="", retry_after=12.0)
    assert isinstance(error, RateLimitError)
    assert error.retry_after == 12.0


def test_error_for_status_server_error_carries_retry_after() -> None:
    error = error_for_status(503, method="GET", path="/x", excerpt="", retry_after=3.0)
    assert isinstance(error, ServerError)
    assert error.retry_after == 3.0


def test_error_message_prefers_message_and_error_id() -> None:
    error = error_for_status(
        400, method="PUT", path="/x", excerpt="{...}", message="bad field", error_id=104870
    )
    assert str(error) == "PUT /x -> HTTP 400: error 104870: bad field"
    assert error.message == "bad field"
    assert error.error_id == 104870


def test_error_without_body_says_so() -> None:
    error = error_for_status(502, method="GET", path="/x", excerpt="")
    assert str(error) == "GET /x -> HTTP 502: no body"


# -- redaction and excerpts ------------------------------------------------------------------


def test_redact_replaces_every_occurrence_and_skips_empty_secrets() -> None:
    assert redact("a TOKEN b TOKEN c refresh", ["TOKEN", "", "refresh"]) == "a *** b *** c ***"


def test_excerpt_collapses_whitespace_and_redacts() -> None:
    body = b"<html>\n  <body>token=SECRET123\n</body></html>"
    assert excerpt(body, ["SECRET123"]) == "<html> <body>token=*** </body></html>"


def test_excerpt_is_short() -> None:
    text = excerpt(b"x" * 10_000)
    assert len(text) == 200
    assert text.endswith("…")
    assert excerpt(b"x" * 10_000, limit=20) == "x" * 19 + "…"


def test_excerpt_of_invalid_utf8_does_not_raise() -> None:
    assert excerpt(b"\xff\xfeabc") == "\ufffd\ufffdabc"


def test_excerpt_redacts_a_secret_cut_by_the_limit_partially_visible_only_redacted() -> None:
    secret = "S" * 30
    text = excerpt(b"y" * 190 + secret.encode(), [secret])
    assert secret not in text
    assert "***" in text


# -- URLs and headers ------------------------------------------------------------------------


def test_resource_url_quotes_segments() -> None:
    base = "https://ra.bouwsoft.be/api/v1/"
    assert resource_url(base, "SalesInvoices", 16126) == (
        "https://ra.bouwsoft.be/api/v1/SalesInvoices/16126"
    )
    assert resource_url(base, "SalesInvoices", "") == "https://ra.bouwsoft.be/api/v1/SalesInvoices/"
    assert resource_url(base, "SalesInvoices", "../Payments?x=1") == (
        "https://ra.bouwsoft.be/api/v1/SalesInvoices/..%2FPayments%3Fx%3D1"
    )
    assert resource_url(base, "a b", "c/d") == "https://ra.bouwsoft.be/api/v1/a%20b/c%2Fd"


def test_path_of_never_includes_the_query() -> None:
    assert path_of("https://h/api/v1/SalesInvoices/?filter=id%20gt%205") == "/api/v1/SalesInvoices/"
    assert path_of("https://h") == "/"


def test_headers() -> None:
    assert data_headers(115, "tok") == {
        "Clientnr": "115",
        "AccessToken": "tok",
        "Accept": "application/json",
    }
    assert token_headers(115, "ref") == {
        "Clientnr": "115",
        "RefreshToken": "ref",
        "Accept": "application/json",
    }


OSIRIS = "https://osiris.bouwsoft.be/api/v1"


@pytest.mark.parametrize(
    ("auth_url", "server", "expected"),
    [
        (
            "https://charon.bouwsoft.be/api/v1",
            "Osiris.bouwsoft.be",
            "https://osiris.bouwsoft.be/api/v1",
        ),
        # seen with and without a scheme and a trailing slash: only the host is taken
        ("https://charon.bouwsoft.be/api/v1", "https://Osiris.bouwsoft.be/", OSIRIS),
        ("https://charon.bouwsoft.be/api/v1", "https://osiris.bouwsoft.be", OSIRIS),
        ("https://charon.bouwsoft.be/api/v1", "osiris.bouwsoft.be/", OSIRIS),
        ("https://charon.bouwsoft.be/api/v1", " HTTPS://osiris.bouwsoft.be// ", OSIRIS),
        (
            "https://charon.bouwsoft.be/api/v1/",
            "osiris.bouwsoft.be",
            "https://osiris.bouwsoft.be/api/v1",
        ),
        ("http://127.0.0.1:5555/api/v1", "127.0.0.1:6666", "http://127.0.0.1:6666/api/v1"),
    ],
)
def test_data_server_url(auth_url: str, server: str, expected: str) -> None:
    assert data_server_url(auth_url, server) == expected


@pytest.mark.parametrize(
    "server",
    [
        "",
        "evil.com/path",
        "user@evil.com",
        "host name",
        "a.b:99999999",
        "x?y",
        "https://",
        "https://evil.com/path/",
    ],
)
def test_data_server_url_rejects_unusable_server_names(server: str) -> None:
    with pytest.raises(DecodeError, match="ServerName"):
        data_server_url("https://charon.bouwsoft.be/api/v1", server)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2017-09-05T15:01Z", datetime(2017, 9, 5, 15, 1, tzinfo=UTC)),
        ("2017-09-05T15:01:30z", datetime(2017, 9, 5, 15, 1, 30, tzinfo=UTC)),
        ("2017-09-05T15:01", datetime(2017, 9, 5, 15, 1, tzinfo=UTC)),
        (
            "2017-09-05T17:01+02:00",
            datetime(2017, 9, 5, 17, 1, tzinfo=timezone(timedelta(hours=2))),
        ),
    ],
)
def test_parse_valid_until(value: str, expected: datetime) -> None:
    parsed = parse_valid_until(value)
    assert parsed == expected
    assert parsed.tzinfo is not None


@pytest.mark.parametrize("value", ["tomorrow", "", None, 1504623660, "2017-13-05T15:01Z"])
def test_parse_valid_until_garbage(value: object) -> None:
    with pytest.raises(DecodeError, match="ValidUntil"):
        parse_valid_until(value)


# -- filters ---------------------------------------------------------------------------------


def test_condition_forms() -> None:
    assert condition("id", "gt", 25) == "id gt 25"
    assert condition("type", "eq", "FAKTUUR") == "type eq 'FAKTUUR'"
    assert condition("address_name", "ne", "D'Hondt") == "address_name ne 'D''Hondt'"
    # booleans as the production clients write them in filters (issue 12)
    assert condition("approved", "eq", True) == "approved eq true"
    assert condition("approved", "ne", False) == "approved ne false"
    assert condition("balance", "le", Decimal("-1105.69")) == "balance le -1105.69"
    assert condition("date", "ge", date(2024, 7, 15)) == "date ge '2024-07-15'"


@pytest.mark.parametrize("op", ["eq", "ne", "gt", "ge", "lt", "le"])
def test_condition_every_operator(op: str) -> None:
    assert condition("id", op, 1) == f"id {op} 1"


@pytest.mark.parametrize(
    ("field", "op"), [("id", "like"), ("id", "=="), ("id; drop", "eq"), ("1id", "eq"), ("", "eq")]
)
def test_condition_rejects_bad_field_or_operator(field: str, op: str) -> None:
    with pytest.raises(ValidationError) as info:
        condition(field, op, 1)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "call",
    [
        lambda: condition(None, "eq", 1),  # type: ignore[arg-type]
        lambda: condition("id", ["eq"], 1),  # type: ignore[arg-type]
        lambda: and_filters("a eq 1", 5),  # type: ignore[arg-type]
        lambda: or_filters(b"a eq 1", "b eq 2"),  # type: ignore[arg-type]
        lambda: and_filters(b"a eq 1"),  # type: ignore[arg-type]
    ],
)
def test_a_filter_of_the_wrong_type_is_a_validation_error(call: Callable[[], object]) -> None:
    # TypeError, AttributeError, or bytes handed back as a filter
    with pytest.raises(ValidationError):
        call()


def test_condition_rejects_unsendable_values() -> None:
    with pytest.raises(ValidationError):
        condition("title", "eq", "line\nbreak")
    with pytest.raises(ValidationError):
        condition("id", "eq", None)
    with pytest.raises(ValidationError):
        condition("basis", "eq", float("nan"))


@pytest.mark.parametrize(
    ("op", "second"),
    [("gt", "10:00:00"), ("le", "10:00:00"), ("ge", "10:00:01"), ("lt", "10:00:01")],
)
def test_a_timestamp_with_a_fraction_keeps_the_comparisons_meaning(op: str, second: str) -> None:
    # the wire form and the stamps have whole seconds: "lt 10:00:00.5" sent as "lt 10:00:00"
    # would miss 10:00:00; "gt" and "le" round down, "ge" and "lt" up, exactly
    half = datetime(2024, 1, 31, 10, 0, 0, 500000)
    assert condition("ts_lastupdate", op, half) == f"ts_lastupdate {op} '2024-01-31 {second}'"
    assert condition("ts_lastupdate", op, half.replace(microsecond=0)) == (
        f"ts_lastupdate {op} '2024-01-31 10:00:00'"
    )


def test_condition_refuses_a_timestamp_with_a_fraction_it_cannot_write() -> None:
    half = datetime(2024, 1, 31, 10, 0, 0, 500000)
    for op in ("eq", "ne"):
        with pytest.raises(ValidationError, match="whole seconds"):
            condition("ts_lastupdate", op, half)
    with pytest.raises(ValidationError, match="no whole second"):
        condition("ts_lastupdate", "ge", datetime.max)
    assert condition("ts_lastupdate", "gt", datetime(5, 1, 2, 3, 4, 5)) == (
        "ts_lastupdate gt '0005-01-02 03:04:05'"
    )


def test_since_the_first_second_there_is_is_refused_not_an_overflow() -> None:
    with pytest.raises(ValidationError, match="since"):
        changed_since(datetime.min)
    with pytest.raises(ValidationError, match="since"):
        changed_since(datetime.min.replace(microsecond=7))
    assert changed_since(datetime(1, 1, 1, 0, 0, 1)) == "ts_lastupdate gt '0001-01-01 00:00:00'"


def test_and_filters() -> None:
    assert and_filters("type eq 'FAKTUUR'", "id gt 5") == "type eq 'FAKTUUR' and id gt 5"
    assert and_filters(None, "id gt 5") == "id gt 5"
    assert and_filters("  type eq 'X'  ", None, "", "   ") == "type eq 'X'"
    assert and_filters() is None
    assert and_filters(None, "", "  ") is None


# -- encode_value ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "wire"),
    [
        (True, "True"),
        (False, "False"),
        (0, "0"),
        (-17, "-17"),
        (Decimal("100.05"), "100.05"),
        (Decimal("1E+2"), "100"),
        (Decimal("-0"), "0"),
        (Decimal("0.0001"), "0.0001"),
        (100.05, "100.05"),
        (0.1 + 0.2, "0.30000000000000004"),
        (1e20, "100000000000000000000"),
        ("O'Brien", "'O''Brien'"),
        ("", "''"),
        (date(2017, 4, 20), "'2017-04-20'"),
        (datetime(2019, 11, 26, 9, 43, 3), "'2019-11-26 09:43:03'"),
        # four digits, as the date beside it: glibc's strftime wrote "'999-12-31 23:59:59'"
        (datetime(999, 12, 31, 23, 59, 59), "'0999-12-31 23:59:59'"),
        (date(999, 12, 31), "'0999-12-31'"),
    ],
)
def test_encode_value(value: object, wire: str) -> None:
    assert encode_value(value) == wire


def test_encode_value_max_decimals() -> None:
    assert encode_value(Decimal("1.23450000"), max_decimals=4) == "1.2345"
    with pytest.raises(ValidationError, match="more than 4 decimals"):
        encode_value(Decimal("1.23456"), max_decimals=4)


@pytest.mark.parametrize(
    "value",
    [float("inf"), float("nan"), Decimal("NaN"), Decimal("Infinity"), None, [1], b"x", "\t"],
)
def test_encode_value_rejects(value: object) -> None:
    with pytest.raises(ValidationError):
        encode_value(value, field="f")


# -- RetryPolicy.wait_seconds ----------------------------------------------------------------


@pytest.fixture
def real_waits() -> Iterator[None]:
    set_instant_retries(False)
    yield
    set_instant_retries(True)


class _Retry(Exception):
    def __init__(self, retry_after: object) -> None:
        super().__init__("retry")
        self.retry_after = retry_after


@pytest.mark.usefixtures("real_waits")
@pytest.mark.parametrize("attempt", [1, 2, 3, 4, 8, 20])
def test_wait_is_full_jitter_within_the_exponential_ceiling(attempt: int) -> None:
    policy = RetryPolicy(initial_backoff=0.5, max_backoff=5.0)
    ceiling = min(5.0, 0.5 * 2 ** (attempt - 1))
    waits = [policy.wait_seconds(attempt, RuntimeError()) for _ in range(300)]
    assert all(0.0 <= w <= ceiling for w in waits)
    # full jitter: spread over the range, not a fixed backoff
    assert len(set(waits)) > 250
    assert min(waits) < ceiling * 0.2
    assert max(waits) > ceiling * 0.8


@pytest.mark.usefixtures("real_waits")
def test_wait_honours_retry_after_up_to_the_cap() -> None:
    policy = RetryPolicy(max_retry_after=60.0)
    assert policy.wait_seconds(1, _Retry(7.0)) == 7.0
    assert policy.wait_seconds(3, _Retry(0)) == 0.0
    assert policy.wait_seconds(1, _Retry(3600.0)) == 60.0
    assert (
        policy.wait_seconds(1, RateLimitError(status=429, method="GET", path="/", retry_after=2.5))
        == 2.5
    )


@pytest.mark.usefixtures("real_waits")
def test_wait_without_retry_after_falls_back_to_backoff() -> None:
    policy = RetryPolicy(initial_backoff=1.0, max_backoff=1.0)
    for exc in (_Retry(None), _Retry("7"), None):
        assert 0.0 <= policy.wait_seconds(1, exc) <= 1.0


def test_instant_retries_switch() -> None:
    policy = RetryPolicy()
    assert policy.wait_seconds(5, _Retry(30.0)) == 0.0


@pytest.mark.parametrize(
    "kwargs", [{"max_retries": -1}, {"initial_backoff": -0.1}, {"max_retry_after": -1}]
)
def test_retry_policy_rejects_negative_values(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be >="):
        RetryPolicy(**kwargs)  # type: ignore[arg-type]


def test_excerpt_never_shows_part_of_a_secret_behind_whitespace() -> None:
    # whitespace is collapsed after the body is cut, so a secret just past the cut must not
    # come back half visible
    secret = "tlPfWxfIADzSfklmGfzRqOtkflGffGjDffUkzrlVlVkGbPlfOI"
    text = excerpt(b" " * 790 + secret.encode(), [secret])
    assert secret[:8] not in text


# -- the core's pure rules (issue 9, 12) -------------------------------------------------------


def test_secret_forms_cover_every_encoding_a_server_may_echo() -> None:
    from bouwsoft_async._protocol import redact, secret_forms

    secret = 's3cret+XYZ/1=&"é'
    forms = secret_forms(secret)
    for echoed in (
        secret,
        "s3cret%2BXYZ%2F1%3D%26%22%C3%A9",  # a query or path
        "s3cret%2bXYZ%2f1%3d%26%22%c3%a9",  # lower-case hex
        "s3cret%2BXYZ/1%3D%26%22%C3%A9",  # "/" left raw
        "s3cret%2BXYZ%2F1%3D%26%22%C3%A9".replace("%20", "+"),  # a form
        's3cret+XYZ/1=&\\"\\u00e9',  # JSON, ASCII-only
        's3cret+XYZ/1=&\\"é',  # JSON
        's3cret+XYZ\\/1=&\\"\\u00e9',  # JSON with "/" escaped
        "s3cret+XYZ/1=&amp;&quot;é",  # HTML
    ):
        assert echoed in forms, echoed
        assert redact(f"<p>{echoed}</p>", [secret]) == "<p>***</p>"
    assert excerpt(b"client_secret=s3cret%2BXYZ%2F1%3D%26%22%C3%A9&x=1", [secret]) == (
        "client_secret=***&x=1"
    )
    assert secret_forms("") == []


@pytest.mark.parametrize("value", ["²", "١٢", "1e3", "-5", "1.5", "soon", "", "99999999999"])
def test_unreadable_retry_after_is_none(value: str) -> None:
    assert parse_retry_after(value, now=datetime(2026, 1, 1, tzinfo=UTC)) is None


def test_vendor_error_of_reads_the_older_error_record() -> None:
    from bouwsoft_async._protocol import VendorError, vendor_error_of

    record = {
        "Code": 400,
        "Description": "Could not create a new record",
        "Message": "Bad Request",
        "RequestId": "115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-250212-142620",
    }
    expected = VendorError(
        code=400,
        description="Could not create a new record",
        message="Bad Request",
        request_id="115-1d64fa85-2d7e-4f9d-a397-10ed1dc09df7-250212-142620",
    )
    assert vendor_error_of({"RecordChanges": [record]}) == expected
    assert vendor_error_of({"RecordChanges": [{"id": 1}, record]}) == expected
    assert vendor_error_of(record) == expected
    assert vendor_error_of({"RecordChanges": [{**record, "Code": "404"}]}).code == 404  # type: ignore[union-attr]
    for nothing in (
        None,
        [],
        "x",
        {"RecordChanges": [{"id": 3149, "unr": 1275}]},
        {"RecordChanges": [{**record, "Code": 200}]},
        {"RecordChanges": [{**record, "Code": True}]},
        {"RecordChanges": [{**record, "Description": " "}]},
        {"RecordChanges": {"Code": 400}},
    ):
        assert vendor_error_of(nothing) is None


def test_json_in_a_declared_charset_becomes_utf8() -> None:
    from bouwsoft_async._protocol import json_as_utf8

    text = '{"concerning": "Élec – €"}'
    assert json_as_utf8("application/json; charset=windows-1252", text.encode("cp1252")) == (
        text.encode()
    )
    assert json_as_utf8('application/json;charset="UTF-16"', text.encode("utf-16")) == (
        text.encode()
    )
    body = text.encode()
    assert json_as_utf8("application/json; charset=utf-8", body) is body
    assert json_as_utf8("application/json", body) is body
    assert json_as_utf8("text/html; charset=windows-1252", b"\xe9") == b"\xe9"
    with pytest.raises(DecodeError, match="unknown charset"):
        json_as_utf8("application/json; charset=klingon", body)
    with pytest.raises(DecodeError, match="not valid"):
        json_as_utf8("application/json; charset=utf-16-le", b'{\x00"')  # cut in a character


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://ra.bouwsoft.be/api/v1/", "https://ra.bouwsoft.be/api/v1"),
        ("http://127.0.0.1:5555/api/v1", "http://127.0.0.1:5555/api/v1"),
        (" HTTPS://ra.bouwsoft.be/api/v1 ", "HTTPS://ra.bouwsoft.be/api/v1"),
    ],
)
def test_base_urls(url: str, expected: str) -> None:
    from bouwsoft_async._protocol import check_base_url

    assert check_base_url(url, field="base_url") == expected


@pytest.mark.parametrize(
    "url",
    ["ra.bouwsoft.be/api/v1", "//ra.bouwsoft.be", "ftp://a/b", "https://a/b?x=1", "https://a b/"],
)
def test_base_urls_refused(url: str) -> None:
    from bouwsoft_async._protocol import check_base_url

    with pytest.raises(ValidationError, match="base_url"):
        check_base_url(url, field="base_url")


def test_a_number_in_text_is_ascii_digits_of_at_most_64_bits() -> None:
    # the one rule for a vendor error Code, a RamBase ErrorMessageId and a FieldInfo Length
    assert digits_value(" 400 ") == 400
    assert digits_value("9" * 19) == int("9" * 19)
    for text in ("", "9" * 20, "9" * 5000, "-1", "+1", "1.0", "4 00", "\u0664\u0660\u0660"):
        assert digits_value(text) is None, text


def test_a_quote_cut_inside_a_secret_hides_its_start_but_not_a_chance_match() -> None:
    token = "0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b"
    cut = redact_error(DecodeError("bad", excerpt="'note " + token[:30]), [token])
    assert cut.excerpt == "'note ***"
    # a quote that merely ends with the token's first characters is left as it came
    for ending in ("'2012-01-0", "'2012-01-0a", "'id 0a1"):
        assert redact_error(DecodeError("bad", excerpt=ending), [token]).excerpt == ending
    assert redact_error(DecodeError("bad", excerpt="'x 0a1b"), [token]).excerpt == "'x ***"
