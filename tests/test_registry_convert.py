"""TableWriter.convert: values already in their stored form pass as they are; the rest are converted or refused."""

import datetime
from dataclasses import dataclass

import pytest

from inspect_kit import Record, Title, TitleProprietor
from inspect_kit.registry import NULL, TableWriter


def test_values_already_in_stored_form_pass_through():
    writer = TableWriter.for_class(Title)
    row = writer.convert(Title(title_number="EX1", tenure="Freehold", price_paid=5, dataset="ccod"))
    values = dict(zip(writer.columns, row))
    assert values["title_number"] == "EX1" and values["price_paid"] == 5 and values["postcode"] is NULL


def test_none_is_stored_as_null_and_empty_text_as_empty_text(tmp_path):
    """None travels as an empty bytearray (bound without an adapter lookup); the SQL makes it NULL."""
    from inspect_kit.registry import Registry

    registry = Registry(tmp_path / "r.db")
    registry.collect(_Titles([Title(title_number="EX1", tenure="", price_paid=None, postcode=None)]), files=[])
    assert registry.conn.execute(
        "SELECT typeof(tenure), tenure, typeof(price_paid), typeof(postcode) FROM titles").fetchone() == (
        "text", "", "null", "null")
    # A None still keeps what the registry knows; a value replaces it.
    registry.collect(_Titles([Title(title_number="EX1", tenure=None, postcode="EX1 1AA")]), files=[])
    assert registry.conn.execute("SELECT tenure, postcode FROM titles").fetchone() == ("", "EX1 1AA")
    registry.close()


class _Titles:
    name = "titles"

    def __init__(self, titles):
        self.titles = titles

    def collect(self, run):
        yield from self.titles


def test_values_that_need_converting_are_converted():
    writer = TableWriter.for_class(Title)
    row = writer.convert(Title(title_number="EX1", price_paid="125000", multiple_address=True,
                               additional_proprietor=False, date_proprietor_added=datetime.date(2020, 2, 29)))
    values = dict(zip(writer.columns, row))
    assert values["price_paid"] == 125000
    assert values["multiple_address"] == 1 and values["additional_proprietor"] == 0
    row = writer.convert(Title(title_number="EX1", multiple_address=1, additional_proprietor=0))
    assert dict(zip(writer.columns, row))["multiple_address"] == 1
    assert values["date_proprietor_added"] == "2020-02-29"
    # A date given as text is still validated.
    row = writer.convert(Title(title_number="EX1", date_proprietor_added="2020-02-29"))
    assert dict(zip(writer.columns, row))["date_proprietor_added"] == "2020-02-29"


@pytest.mark.parametrize(
    "record, message",
    [
        (Title(title_number="EX1", price_paid=True), None),  # a bool is an int: stored as 1
        (Title(title_number="EX1", price_paid="a lot"), "titles.price_paid: 'a lot' is not an integer"),
        (Title(title_number="EX1", date_proprietor_added="2020-02-30"), "titles.date_proprietor_added"),
        (Title(title_number="EX1", multiple_address="Y"), "titles.multiple_address: 'Y' is not true or false"),
        (Title(title_number=""), "titles.title_number: key is empty"),
        (TitleProprietor(title_number="EX1", position=None), "title_proprietors.position: key is empty"),
    ],
)
def test_bad_values_are_still_refused(record, message):
    writer = TableWriter.for_class(type(record))
    if message is None:
        assert dict(zip(writer.columns, writer.convert(record)))["price_paid"] == 1
        return
    with pytest.raises(ValueError, match=message):
        writer.convert(record)


def test_a_one_column_table():
    @dataclass(kw_only=True)
    class Tag(Record):
        __table__ = "test_tags"
        __key__ = ("tag",)
        tag: str

    assert TableWriter.for_class(Tag).convert(Tag(tag="x")) == ("x",)


def test_bools_are_stored_as_integers(tmp_path):
    from inspect_kit.registry import Registry

    registry = Registry(tmp_path / "r.db")
    registry.collect(_OneTitle(), files=[])
    assert registry.conn.execute(
        "SELECT multiple_address, typeof(multiple_address), additional_proprietor FROM titles").fetchone() == (
        1, "integer", 0)
    registry.close()


class _OneTitle:
    name = "one-title"

    def collect(self, run):
        yield Title(title_number="EX1", multiple_address=True, additional_proprietor=False)


def test_key_of_a_converted_row():
    writer = TableWriter.for_class(TitleProprietor)
    row = writer.convert(TitleProprietor(title_number="EX1", position=2, name="A LIMITED"))
    assert writer.key_of(row) == ("EX1", 2)
    writer = TableWriter.for_class(Title)
    assert writer.key_of(writer.convert(Title(title_number="EX1"))) == ("EX1",)
