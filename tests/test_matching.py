"""Each matching rule of inspect_kit.matching, on fictional names and addresses."""

import pytest

from inspect_kit.matching import (
    company_fingerprint,
    company_fingerprint_without_place,
    compare_addresses,
    normalise_company_number,
    normalise_postcode,
    parse_address,
)


@pytest.mark.parametrize(
    "a,b",
    [
        ("HARBOUR ESTATES LIMITED", "Harbour Estates Ltd."),
        ("Harbour Estates Public Limited Company", "HARBOUR ESTATES PLC"),
        ("HARBOUR ESTATES (JERSEY) LIMITED", "Harbour Estates (Jersey) Ltd"),
        ("St. Mary's Care Homes Ltd", "ST MARYS CARE HOMES LIMITED"),
        ("Care & Co. L.L.P.", "CARE & CO LLP"),
    ],
)
def test_spellings_of_one_company_share_a_fingerprint(a, b):
    assert company_fingerprint(a) == company_fingerprint(b)


@pytest.mark.parametrize(
    "a,b",
    [
        ("HARBOUR ESTATES (UK) LIMITED", "HARBOUR ESTATES LIMITED"),
        ("HARBOUR ESTATES (JERSEY) LIMITED", "HARBOUR ESTATES LIMITED"),
        ("HARBOUR ESTATES LIMITED", "HARBOUR HOLDINGS LIMITED"),
    ],
)
def test_different_companies_keep_different_fingerprints(a, b):
    assert company_fingerprint(a) != company_fingerprint(b)


def test_bracketed_place_can_be_dropped_and_named():
    loose, places = company_fingerprint_without_place("HARBOUR ESTATES (JERSEY) LIMITED")
    assert loose == company_fingerprint("Harbour Estates Ltd")
    assert places == ["JE"]
    _, places = company_fingerprint_without_place("HARBOUR ESTATES (NO. 2) LIMITED")
    assert places == [None]


def test_empty_names():
    assert company_fingerprint(None) is None and company_fingerprint("  ") is None


@pytest.mark.parametrize(
    "given,expected",
    [("zz99za", "ZZ9 9ZA"), ("ZZ9  9ZA", "ZZ9 9ZA"), (" sw1a 1aa ", "SW1A 1AA"), ("M1 1AE", "M1 1AE"),
     ("not a postcode", None), ("", None), (None, None), ("ZZ9", None)],
)
def test_postcodes(given, expected):
    assert normalise_postcode(given) == expected


@pytest.mark.parametrize("given,expected", [("5498655", "05498655"), ("oe123", "OE000123"), (" SC 12345 ", "SC012345"), ("", None)])
def test_company_numbers(given, expected):
    assert normalise_company_number(given) == expected


def test_parse_land_registry_address():
    address = parse_address("Oak Lodge, 12-14 High Rd, Exampletown (ZZ9 9ZA)")
    assert address.numbers == {"12", "13", "14"}
    assert address.street == "high road"
    assert address.building == {"oak"}
    assert not address.land
    assert "zz9" not in address.words


def test_same_number_and_street_is_the_building():
    match = compare_addresses("12 High Street, Exampletown", "12 HIGH ST, EXAMPLETOWN (ZZ9 9ZA)", "Oak Lodge")
    assert match.score >= 0.7
    assert "same house number 12" in match.reason


def test_neighbour_at_the_same_postcode_is_not_taken():
    match = compare_addresses("12 High Street, Exampletown", "14 High Street, Exampletown (ZZ9 9ZA)", "Oak Lodge")
    assert match.score < 0.4
    assert "different house numbers" in match.reason


def test_building_name_against_the_home_name():
    assert compare_addresses("High Street, Exampletown", "Oak Lodge, High Street (ZZ9 9ZA)", "Oak Lodge Care Home").score >= 0.7
    other = compare_addresses("High Street, Exampletown", "Beech House, High Street (ZZ9 9ZA)", "Oak Lodge Care Home")
    assert other.score < 0.4 and "different building names" in other.reason


def test_same_number_on_another_street_is_doubtful():
    assert compare_addresses("12 High Street", "12 Low Lane (ZZ9 9ZA)", "Oak Lodge").score < 0.4


def test_land_next_to_the_home_is_left_to_a_person():
    match = compare_addresses("12 High Street", "Land adjoining 12 High Street (ZZ9 9ZA)", "Oak Lodge")
    assert 0.4 <= match.score < 0.7
    assert "land" in match.reason


def test_a_street_alone_is_left_to_a_person():
    match = compare_addresses("High Street, Exampletown", "High Street, Exampletown (ZZ9 9ZA)", "Willow Court")
    assert 0.4 <= match.score < 0.7
