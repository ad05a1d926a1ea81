"""FieldInfo read tolerantly, and the schema check, over real HTTP against the fake and the
strict fake (issue 12 section 4)."""

from __future__ import annotations

import asyncio
import os
import sys
from typing import Any

import attrs
import orjson
import pytest
from seams import command_env

from bouwsoft_async import (
    BouwsoftClient,
    DecodeError,
    FieldInfo,
    SchemaDifference,
    ValidationError,
)
from bouwsoft_async._schema import read_field_info
from bouwsoft_async.testing import FakeBouwsoft, FieldRow


async def test_field_info_is_typed_whatever_the_spelling(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # the normal fake: Records wrapper, table titles, Yes/No; the strict: a bare list, API names
    info = await client.field_info("Payments")
    amount = next(row for row in info if row.name == "amount")
    assert amount == FieldInfo(
        name="amount", type="tpCurrency", type_id=8, length=0, required=False, writeable=True,
        force_write=False, link=None,
    )  # fmt: skip
    bic = next(row for row in info if row.name == "bic")
    assert (bic.type, bic.length, bic.writeable) == ("tpString", 11, True)
    assert [row.name for row in info][:2] == ["purchaseinvoice_id", "purchaseinvoice_nr"]
    sales = await client.field_info("SalesInvoices")
    assert {row.name: row.type for row in sales}["amountinclvat"] == "tpCurrency"
    assert fake.requests_to("GET", "/FieldInfo")[-1].path == "/api/v1/SalesInvoices/FieldInfo/"


async def test_field_info_refuses_a_bad_resource_name(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    for bad in ("", "Sales/Invoices", "../x", "Payments?x=1"):
        with pytest.raises(ValidationError):
            await client.field_info(bad)
    assert fake.requests_to("GET", "/FieldInfo") == []


async def test_check_schema_agrees_with_the_fake(client: BouwsoftClient) -> None:
    assert await client.check_schema() == []


async def test_check_schema_reports_drift(client: BouwsoftClient, fake: FakeBouwsoft) -> None:
    payments = fake.field_tables["Payments"]
    del payments["note"]
    payments["amount"] = attrs.evolve(payments["amount"], type_name="tpDouble")
    payments["bic"] = attrs.evolve(payments["bic"], length=15)
    fake.field_tables["SalesInvoices"]["vatamount6"] = FieldRow(
        name="vatamount6", type_name="tpCurrency"
    )
    differences = await client.check_schema()
    assert sorted(differences, key=str) == sorted(
        [
            SchemaDifference(resource="Payments", field="note", change="removed"),
            SchemaDifference(resource="Payments", field="amount", change="changed",
                             detail="type tpCurrency -> tpDouble"),
            SchemaDifference(resource="Payments", field="bic", change="changed",
                             detail="length 11 -> 15"),
            SchemaDifference(resource="SalesInvoices", field="vatamount6", change="added",
                             detail="type tpCurrency"),
        ],
        key=str,
    )  # fmt: skip
    assert str(differences[0]).startswith(differences[0].resource + ".")


@pytest.mark.parametrize(
    "payload",
    [
        [{"Field Name": "amount", "Type Id": 8, "Type Name": "tpCurrency", "Length": 0,
          "Required": "No", "Writeable": "Yes", "Force Write": "No", "Link": ""}],
        {"Content-Range": "0-0/1", "Records": [{"name": "amount", "typeid": "8",
          "typename": "tpCurrency", "length": "0", "required": False, "writeable": True,
          "forcewrite": False}]},
        [{"field_name": "amount", "type_id": 8, "length": 0, "required": "no",
          "writeable": "yes", "force_write": 0, "link": None}],
    ],
)  # fmt: skip
def test_field_info_rows_read_tolerantly(payload: Any) -> None:
    (row,) = read_field_info(payload)
    assert (row.name, row.type, row.type_id, row.length) == ("amount", "tpCurrency", 8, 0)
    assert (row.required, row.writeable, row.force_write, row.link) == (False, True, False, None)


def test_field_info_keeps_what_it_does_not_know() -> None:
    (row,) = read_field_info(
        {"Records": [{"Field Name": "id", "Type": "Number", "Comment": "key"}]}
    )
    assert row.type is None
    assert row.extra == {"Type": "Number", "Comment": "key"}
    assert read_field_info({"Content-Range": "*/0", "Records": []}) == []


@pytest.mark.parametrize(
    "payload", [None, "x", {"Records": "x"}, [1], [{"Type Name": "tpLong"}], {"a": 1}]
)
def test_field_info_that_is_no_table_is_a_decode_error(payload: Any) -> None:
    with pytest.raises(DecodeError):
        read_field_info(payload)


# -- the command ---------------------------------------------------------------------------------


async def run_command(*args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bouwsoft_async", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    out, err = await process.communicate()
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_command_exits_0_when_the_tables_agree() -> None:
    code, out, err = await run_command("check-schema", "--demo", "10")
    assert code == 0, err
    assert out == ""
    assert "match" in err


async def test_the_command_prints_the_differences_and_exits_non_zero(
    fake: FakeBouwsoft,
) -> None:
    del fake.field_tables["PurchaseInvoices"]["paid"]
    payments = fake.field_tables["Payments"]
    payments["amount"] = attrs.evolve(payments["amount"], type_name="tpDouble")
    env = command_env(fake)
    code, out, err = await run_command("check-schema", env=env)
    assert code == 3, err
    assert sorted(out.splitlines()) == [
        "Payments.amount changed: type tpCurrency -> tpDouble",
        "PurchaseInvoices.paid removed",
    ]
    assert "2 difference" in err


async def test_the_command_shows_a_field_name_s_terminal_controls_as_escapes(
    fake: FakeBouwsoft,
) -> None:
    # a server's field name that erased the line and wrote its own would hide a difference
    name = "iban\x1b[2K\rPayments.iban ok\u202e"
    fake.field_tables["Payments"][name] = FieldRow(name=name, type_name="tpString")
    env = command_env(fake)
    code, out, err = await run_command("check-schema", env=env)
    assert code == 3, err
    assert out == "Payments.iban\\x1b[2K\\rPayments.iban ok\\u202e added: type tpString\n"


# -- each spelling the README promises, served over HTTP, with each kind of difference ----------


def titles_yes_no(row: FieldRow) -> dict[str, Any]:
    def yes(flag: bool) -> str:
        return "Yes" if flag else "No"

    return {"Field Name": row.name, "Type Id": row.type_id, "Type Name": row.type_name,
            "Length": row.length, "Required": yes(row.required), "Writeable": yes(row.writeable),
            "Force Write": yes(row.force_write), "Link": row.link}  # fmt: skip


def api_names_booleans(row: FieldRow) -> dict[str, Any]:
    return {"name": row.name, "typeid": row.type_id, "typename": row.type_name,
            "length": row.length, "required": row.required, "writeable": row.writeable,
            "forcewrite": row.force_write, "link": row.link or None}  # fmt: skip


def type_id_only_as_text(row: FieldRow) -> dict[str, Any]:
    return {"Field Name": row.name, "Type Id": str(row.type_id), "Length": str(row.length),
            "Writeable": str(row.writeable).lower()}  # fmt: skip


@pytest.mark.parametrize("spell", [titles_yes_no, api_names_booleans, type_id_only_as_text])
@pytest.mark.parametrize("wrapped", [True, False], ids=["records", "bare"])
async def test_check_schema_reads_every_spelling_of_a_drifted_table(
    client: BouwsoftClient, fake: FakeBouwsoft, spell: Any, wrapped: bool
) -> None:
    table = dict(fake.field_tables["Payments"])
    del table["iban"]
    table["amount"] = attrs.evolve(table["amount"], type_name="tpDouble")
    table["bic"] = attrs.evolve(table["bic"], length=15)
    table["paymentaccount_id"] = attrs.evolve(table["paymentaccount_id"], writeable=False)
    table["fee"] = FieldRow(name="fee", type_name="tpCurrency")
    rows = [spell(row) for row in table.values()]
    payload: Any = {"Content-Range": f"0-{len(rows) - 1}/{len(rows)}", "Records": rows}
    fake.add_fault(status=200, body=orjson.dumps(payload if wrapped else rows), method="GET",
                   path_contains="/Payments/FieldInfo")  # fmt: skip
    assert sorted(map(str, await client.check_schema())) == [
        "Payments.amount changed: type tpCurrency -> tpDouble",
        "Payments.bic changed: length 11 -> 15",
        "Payments.fee added: type tpCurrency",
        "Payments.iban removed",
        "Payments.paymentaccount_id changed: writeable Yes -> No",
    ]


async def test_a_type_known_only_by_an_unknown_id_is_a_change(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    rows = [type_id_only_as_text(row) for row in fake.field_tables["Payments"].values()]
    amount = next(row for row in rows if row["Field Name"] == "amount")
    amount["Type Id"] = "21"  # no type this client (or any vendor page) knows
    fake.add_fault(status=200, body=orjson.dumps(rows), method="GET",
                   path_contains="/Payments/FieldInfo")  # fmt: skip
    assert list(map(str, await client.check_schema())) == [
        "Payments.amount changed: type tpCurrency -> type id 21"
    ]


async def test_a_table_cut_short_is_an_error_not_drift(
    client: BouwsoftClient, fake: FakeBouwsoft
) -> None:
    # a page of a longer table: read whole, each field left out would be reported "removed"
    rows = [titles_yes_no(row) for row in fake.field_tables["Payments"].values()]
    page = {"Content-Range": f"0-4/{len(rows)}", "Records": rows[:5]}
    fake.add_fault(status=200, body=orjson.dumps(page), method="GET",
                   path_contains="/Payments/FieldInfo", times=2)  # fmt: skip
    with pytest.raises(DecodeError, match=f"5 of {len(rows)} fields"):
        await client.field_info("Payments")
    with pytest.raises(DecodeError, match=f"5 of {len(rows)} fields"):
        await client.check_schema()


async def test_the_command_exits_1_on_a_table_it_cannot_trust(fake: FakeBouwsoft) -> None:
    rows = [titles_yes_no(row) for row in fake.field_tables["Payments"].values()]
    page = {"Content-Range": f"0-4/{len(rows)}", "Records": rows[:5]}
    fake.add_fault(status=200, body=orjson.dumps(page), method="GET",
                   path_contains="/Payments/FieldInfo")  # fmt: skip
    env = command_env(fake)
    code, out, err = await run_command("check-schema", env=env)
    assert (code, out) == (1, "")
    assert err.count("\n") == 1
    assert f"5 of {len(rows)} fields" in err
