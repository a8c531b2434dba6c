"""Write a fictional but realistic scenario in the sources' real formats.

    python -m datasets.generate --scale demo --out datasets/demo
    python -m datasets.generate --scale national --out /tmp/national

The story: a large operator (Brackenfold Care) sold its homes and leased them
back; its landlords are UK companies, offshore companies with registered
beneficial owners, and untraceable owners of every kind; a second group
(Willowmere) has landlord and operator under one parent; many homes are
independent. Around them, filler companies, PSCs and titles make the files the
size and shape of the real ones: neighbouring titles share the homes' postcodes,
numbers lose their leading zeros, trailers end the files.

Output is deterministic: the same seed and scale give the same bytes (zip
members carry a fixed timestamp). Everything is written as a stream, so memory
stays constant whatever the scale; only the story (the care homes and their
owners) is held in memory.
"""

from __future__ import annotations

import argparse
import base64
import csv
import datetime
import io
import json
import os
import random
import sys
import uuid
import zipfile
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from . import names as N

SEED = 20111
FORMAT_VERSION = 1
ZIP_TIME = (2026, 11, 1, 0, 0, 0)

# The dates the files describe (fixed, so output never depends on today).
CQC_DATE = datetime.date(2026, 11, 2)
CH_DATE = datetime.date(2026, 11, 1)
PSC_DATE = datetime.date(2026, 11, 21)
AS_OF = datetime.date(2026, 11, 22)  # "today" in the story: build with it for reproducible flags
LR_FULL = (2026, 10)
LR_COU = (2026, 11)
COU_CHANGE_DATE = datetime.date(2026, 11, 3)

# Story companies whose accounts are overdue (BasicCompanyData's Accounts.NextDueDate has passed).
ACCOUNTS_OVERDUE = {"WILLOWMERE GROUP HOLDINGS LIMITED"}

# One encoder for millions of lines (json.dumps with options builds a new one per call).
_COMPACT = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False).encode
SUPER_SECURE_DESCRIPTION = "super-secure-persons-with-significant-control"

BASIC_HEADER = (
    "CompanyName, CompanyNumber,RegAddress.CareOf,RegAddress.POBox,RegAddress.AddressLine1, RegAddress.AddressLine2,"
    "RegAddress.PostTown,RegAddress.County,RegAddress.Country,RegAddress.PostCode,CompanyCategory,CompanyStatus,"
    "CountryOfOrigin,DissolutionDate,IncorporationDate,Accounts.AccountRefDay,Accounts.AccountRefMonth,"
    "Accounts.NextDueDate,Accounts.LastMadeUpDate,Accounts.AccountCategory,Returns.NextDueDate,Returns.LastMadeUpDate,"
    "Mortgages.NumMortCharges,Mortgages.NumMortOutstanding,Mortgages.NumMortPartSatisfied,Mortgages.NumMortSatisfied,"
    "SICCode.SicText_1,SICCode.SicText_2,SICCode.SicText_3,SICCode.SicText_4,LimitedPartnerships.NumGenPartners,"
    "LimitedPartnerships.NumLimPartners,URI,PreviousName_1.CONDATE, PreviousName_1.CompanyName, PreviousName_2.CONDATE,"
    " PreviousName_2.CompanyName,PreviousName_3.CONDATE, PreviousName_3.CompanyName,PreviousName_4.CONDATE,"
    " PreviousName_4.CompanyName,PreviousName_5.CONDATE, PreviousName_5.CompanyName,PreviousName_6.CONDATE,"
    " PreviousName_6.CompanyName,PreviousName_7.CONDATE, PreviousName_7.CompanyName,PreviousName_8.CONDATE,"
    " PreviousName_8.CompanyName,PreviousName_9.CONDATE, PreviousName_9.CompanyName,PreviousName_10.CONDATE,"
    " PreviousName_10.CompanyName,ConfStmtNextDueDate, ConfStmtLastMadeUpDate"
).split(",")

CCOD_HEADER = [
    "Title Number", "Tenure", "Property Address", "District", "County", "Region", "Postcode",
    "Multiple Address Indicator", "Price Paid",
]
OCOD_HEADER = list(CCOD_HEADER)
for _n in range(1, 5):
    CCOD_HEADER += [
        f"Proprietor Name ({_n})", f"Company Registration No. ({_n})", f"Proprietorship Category ({_n})",
        f"Proprietor ({_n}) Address (1)", f"Proprietor ({_n}) Address (2)", f"Proprietor ({_n}) Address (3)",
    ]
    OCOD_HEADER += [
        f"Proprietor Name ({_n})", f"Company Registration No. ({_n})", f"Proprietorship Category ({_n})",
        f"Country Incorporated ({_n})",
        f"Proprietor ({_n}) Address (1)", f"Proprietor ({_n}) Address (2)", f"Proprietor ({_n}) Address (3)",
    ]
CCOD_HEADER += ["Date Proprietor Added", "Additional Proprietor Indicator"]
OCOD_HEADER += ["Date Proprietor Added", "Additional Proprietor Indicator"]
# formats.md leaves the position of these two unverified; they are appended.
COU_EXTRA = ["Change Indicator", "Change Date"]

DIRECTORY_HEADER = [
    "Name", "Also known as", "Address", "Postcode", "Phone number", "Service's website (if available)",
    "Service types", "Date of latest check", "Specialisms/services", "Provider name", "Local authority",
    "Region", "Location URL", "CQC Location ID (for office use only)", "CQC Provider ID (for office use only)",
]

PSC_STATEMENTS_UNKNOWN = [
    "psc-exists-but-not-identified",
    "psc-details-not-confirmed",
    "steps-to-find-psc-not-yet-completed",
    "psc-contacted-but-no-response",
]
COMPANY_LTD = "Private Limited Company"
COMPANY_PLC = "Public Limited Company"
COMPANY_GUAR = "PRI/LTD BY GUAR/NSC (Private, limited by guarantee, no share capital)"
COMPANY_LLP = "Limited Liability Partnership"
COMPANY_ROE = "Registered Overseas Entity"
CAT_COMPANY = "Limited Company or Public Limited Company"
SIC_CARE_NURSING = "87100 - Residential nursing care facilities"
SIC_CARE_ELDERLY = "87300 - Residential care activities for the elderly and disabled"
SIC_PROPERTY = "68209 - Other letting and operating of own or leased real estate"
SIC_HOLDING = "64209 - Activities of other holding companies n.e.c."


# ---------------------------------------------------------------------------
# Scales
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scale:
    homes: int  # care homes (CQC careHome = Y)
    operator_homes: int  # of which the big operator runs
    group_homes: int  # of which the common-control group runs
    other_locations: int  # non-care-home locations (homecare agencies)
    companies: int  # rows in BasicCompanyData
    psc_lines: int  # PSC snapshot lines, roughly (the trailer has the exact count)
    titles: int  # CCOD + OCOD full-file rows, roughly


SCALES = {
    "tiny": Scale(homes=90, operator_homes=40, group_homes=5, other_locations=10,
                  companies=400, psc_lines=700, titles=600),
    "demo": Scale(homes=520, operator_homes=240, group_homes=12, other_locations=80,
                  companies=4000, psc_lines=7000, titles=5000),
    "national": Scale(homes=15000, operator_homes=750, group_homes=40, other_locations=6000,
                      companies=5_000_000, psc_lines=10_000_000, titles=4_000_000),
}

def divided(scale: Scale, divisor: int) -> Scale:
    """A scale with every count divided (at least the story's minimum), for trial runs."""
    if divisor <= 1:
        return scale
    tiny = SCALES["tiny"]
    return Scale(**{name: max(getattr(tiny, name), getattr(scale, name) // divisor)
                    for name in Scale.__dataclass_fields__})


# The big operator's landlords: key, name, where the title is (ccod/ocod),
# share of the sold homes, and how the ownership ends. ``traceable`` is the
# answer a correct build gives; ``reason`` names the DESIGN.md rule.
LANDLORDS = [
    ("abbotsmead", "ABBOTSMEAD CARE PROPERTIES LIMITED", "ccod", 20, True, "person"),
    ("kestrelgate", "KESTRELGATE HEALTHCARE REIT PLC", "ccod", 18, True, "listed_company"),
    ("marlowe", "MARLOWE ESTATES (NO.2) LIMITED", "ccod", 10, True, "person_via_uk_parent"),
    ("silverholm", "SILVERHOLM PROPERTIES LIMITED", "ocod", 15, True, "roe_beneficial_owners"),
    ("northbay", "NORTHBAY CARE ESTATES LTD", "ocod", 10, True, "roe_beneficial_owner"),
    ("orchard", "ORCHARD REACH PROPERTIES LIMITED", "ocod", 8, True, "roe_corporate_owner_in_bods"),
    ("carrick", "CARRICK VALE HOMES LIMITED", "ccod", 6, False, "psc_statement"),
    ("dunsmore", "DUNSMORE PROPERTY COMPANY LIMITED", "ccod", 4, False, "psc_statement"),
    ("elswick", "ELSWICK ROAD INVESTMENTS LIMITED", "ccod", 4, False, "psc_statement"),
    ("fairlea", "FAIRLEA ESTATES LIMITED", "ccod", 4, False, "psc_statement"),
    ("granthaven", "GRANTHAVEN NOMINEES LIMITED", "ccod", 5, False, "super_secure"),
    ("haldane", "HALDANE CARE PROPERTIES LIMITED", "ccod", 5, False, "not_in_register"),
    ("redstone", "REDSTONE BAY HOLDINGS LLC", "ocod", 6, False, "overseas_no_roe"),
    ("linthorpe", "LINTHORPE CARE ASSETS LIMITED", "ccod", 6, False, "foreign_owner_no_record"),
    ("moorcroft", "MOORCROFT REAL ESTATE LIMITED", "ccod", 5, False, "no_psc_filed"),
    ("penrose", "PENROSE & QUAYLE LIMITED", "ccod", 5, False, "cycle"),
    ("castellan", "CASTELLAN (IOM) PROPERTIES LIMITED", "ocod", 5, False, "roe_statement"),
    ("verity", "VERITY HOLDINGS S.A R.L.", "ocod", 4, False, "super_secure_beneficial_owner"),
]
OFFSHORE_OF = {
    "silverholm": "JERSEY", "northbay": "BRITISH VIRGIN ISLANDS", "orchard": "GUERNSEY",
    "redstone": "DELAWARE, U.S.A.", "castellan": "ISLE OF MAN", "verity": "LUXEMBOURG",
}
REASON_TEXT = {
    "person": "individual PSCs named in the PSC register",
    "listed_company": "PSC exemption: shares admitted to a regulated market",
    "person_via_uk_parent": "corporate PSC (a UK parent) whose PSC is a named person",
    "roe_beneficial_owners": "ROE entity with individual and legal-person beneficial owners",
    "roe_beneficial_owner": "ROE entity with an individual beneficial owner",
    "roe_corporate_owner_in_bods": "ROE entity owned by a Cayman company whose owner is in the BODS file",
    "psc_statement": "PSC statement: the company declares its owner unknown",
    "super_secure": "the PSC is super-secure (details withheld)",
    "not_in_register": "the company number on the title is in no register",
    "overseas_no_roe": "overseas proprietor with no Register of Overseas Entities record",
    "foreign_owner_no_record": "corporate PSC registered in the Cayman Islands, with no register record",
    "no_psc_filed": "active company that filed no PSC, statement or exemption",
    "cycle": "two companies name each other as PSC; no person is reached",
    "roe_statement": "ROE statement: no beneficial owner identified",
    "super_secure_beneficial_owner": "ROE entity whose beneficial owner is super-secure",
}


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def pick(rng: random.Random, seq):
    """``rng.choice`` without its overhead (this runs tens of millions of times)."""
    return seq[int(rng.random() * len(seq))]


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint`` without its overhead."""
    return low + int(rng.random() * (high - low + 1))


def dmy(d: datetime.date | None, sep="/") -> str:
    return f"{d.day:02d}{sep}{d.month:02d}{sep}{d.year}" if d else ""


def rand_date(rng: random.Random, start: int, end: int) -> datetime.date:
    first = datetime.date(start, 1, 1).toordinal()
    last = datetime.date(end, 12, 28).toordinal()
    return datetime.date.fromordinal(between(rng, first, last))


def unpadded(number: str) -> str:
    """How CCOD and PSC filers often write a number: leading zeros dropped."""
    return number.lstrip("0") if number.isdigit() else number


def psc_id(rng: random.Random) -> str:
    """27 URL-safe base64 characters, like the ids in real PSC links."""
    return base64.urlsafe_b64encode(rng.getrandbits(168).to_bytes(21, "big")).decode()[:27]


def etag(rng: random.Random) -> str:
    return "%040x" % rng.getrandbits(160)


def postcode(rng: random.Random, area: str) -> str:
    return f"{area}{between(rng, 1, 29)} {between(rng, 1, 9)}{pick(rng, 'ABDEFGHJLNPQRSTUWXYZ')}{pick(rng, 'ABDEFGHJLNPQRSTUWXYZ')}"


_FORENAMES_BY_SEX = {"F": [f for f in N.FORENAMES if f in N.FEMALE], "M": [f for f in N.FORENAMES if f not in N.FEMALE]}


def person(rng: random.Random) -> dict:
    forename = pick(rng, N.FORENAMES)
    sex = "F" if forename in N.FEMALE else "M"
    middle = pick(rng, _FORENAMES_BY_SEX[sex]) if rng.random() < 0.4 else None
    middle = None if middle == forename else middle
    surname = pick(rng, N.SURNAMES)
    title = pick(rng, N.TITLES_BY_SEX[sex])
    return {"title": title, "forename": forename, "middle_name": middle, "surname": surname,
            "birth": (between(rng, 1940, 1990), between(rng, 1, 12)),
            "nationality": pick(rng, N.NATIONALITIES)}


def service_address(rng: random.Random) -> dict:
    town = pick(rng, N.TOWNS)
    return {"address_line_1": pick(rng, N.STREETS), "country": "England", "locality": town[0],
            "postal_code": postcode(rng, town[3]), "premises": str(between(rng, 1, 200))}


@dataclass
class Company:
    number: str
    name: str
    category: str = COMPANY_LTD
    status: str = "Active"
    country: str = "United Kingdom"
    incorporated: datetime.date = datetime.date(2005, 1, 1)
    sic: tuple = ()
    address: tuple = ("", "", "", "", "", "")  # line1, line2, town, county, country, postcode
    previous: tuple = ()  # ((date, name), ...)
    mortgages: tuple = (0, 0)  # charges, outstanding


@dataclass
class Title:
    number: str
    tenure: str
    address: str
    district: str
    county: str
    region: str
    postcode: str
    price: str
    proprietors: list  # [(name, number as written, category, country, addr1, addr2, addr3)]
    added: datetime.date
    dataset: str = "ccod"
    multiple: str = "N"
    additional: str = "N"


@dataclass
class Home:
    location_id: str
    provider_id: str
    name: str
    building: str
    number: int
    street: str
    town: tuple
    postcode: str
    latitude: float
    longitude: float
    beds: int
    nursing: bool
    registered: datetime.date
    care_home: bool = True
    status: str = "Registered"
    deregistered: datetime.date | None = None
    predecessor: str | None = None
    successor: str | None = None
    uprn: str | None = None
    brand: tuple | None = None


@dataclass
class Provider:
    provider_id: str
    name: str
    ownership: str  # Organisation / Individual / Partnership
    company_number: str | None
    charity_number: str | None
    town: tuple
    postcode: str
    registered: datetime.date
    brand: tuple | None = None
    location_ids: list = field(default_factory=list)


# ---------------------------------------------------------------------------
# Filler: pure functions of an index, so that files written apart agree
# ---------------------------------------------------------------------------

FILLER_NAME_SPACE = len(N.STEMS_A) * len(N.STEMS_B) * len(N.TRADES)
_MIX = 7919  # coprime with every modulus used below


def filler_number(i: int) -> str:
    if i % 211 == 0:
        return f"OE{i // 211 + 1:06d}"
    if i % 37 == 0:
        return f"OC{i // 37 + 300000:06d}"
    if i % 53 == 0:
        return f"SC{i // 53 + 400000:06d}"
    return f"{100000 + i:08d}"


def filler_name(i: int) -> str:
    j = (i * _MIX) % FILLER_NAME_SPACE
    a = j % len(N.STEMS_A)
    b = (j // len(N.STEMS_A)) % len(N.STEMS_B)
    t = (j // (len(N.STEMS_A) * len(N.STEMS_B))) % len(N.TRADES)
    n = i // FILLER_NAME_SPACE
    stem = N.STEMS_A[a] + N.STEMS_B[b]
    base = f"{stem} {N.TRADES[t]}" + (f" {n + 1}" if n else "")
    number = filler_number(i)
    if number.startswith("OC"):
        return base + " LLP"
    if number.startswith("OE"):
        return base + (" S.A." if i % 3 == 0 else " LIMITED")
    return base + (" LTD" if (i * 31) % 7 == 0 else " LIMITED")


def filler_offshore(i: int) -> tuple:
    return N.OFFSHORE[(i * 13) % len(N.OFFSHORE)]


# ---------------------------------------------------------------------------
# The story
# ---------------------------------------------------------------------------


class Story:
    """Every care home, provider, story company, PSC and title, and the facts about them."""

    def __init__(self, scale: Scale, seed: int):
        self.scale = scale
        self.rng = random.Random(seed)
        self.companies: dict[str, Company] = {}
        self.psc: list[tuple[str, dict]] = []  # (company_number, data)
        self.titles: list[Title] = []
        self.homes: list[Home] = []
        self.providers: list[Provider] = []
        self.bods: list[dict] = []
        self.truth: list[tuple] = []  # (location_id, title_number, role, owner_key)
        self.facts: dict = {}
        self._numbers: set[str] = set()
        self._location_ids: set[str] = set()
        self._title_counter = 0
        self._used_addresses: set[tuple] = set()
        self.build()

    # -- identifiers ---------------------------------------------------------

    def company_number(self, padded: bool = True) -> str:
        while True:
            n = f"{between(self.rng, 6_000_000, 8_999_999):08d}" if padded else str(between(self.rng, 10_000_000, 15_999_999))
            if n not in self._numbers:
                self._numbers.add(n)
                return n

    def oe_number(self) -> str:
        while True:
            n = f"OE{between(self.rng, 30000, 39999):06d}"
            if n not in self._numbers:
                self._numbers.add(n)
                return n

    def cqc_id(self) -> str:
        while True:
            digits = between(self.rng, 100_000_000, 9_999_999_999)
            n = f"1-{digits}"
            if n not in self._location_ids:
                self._location_ids.add(n)
                return n

    def title_number(self, county: str) -> str:
        self._title_counter += 1
        return f"{N.TITLE_PREFIX[county]}{100000 + self._title_counter * 7}"

    # -- companies and PSCs ----------------------------------------------------

    def company(self, name, *, category=COMPANY_LTD, sic=(SIC_PROPERTY,), number=None, country="United Kingdom",
                status="Active", town=None, previous=(), mortgages=(0, 0), padded=None) -> Company:
        rng = self.rng
        if number is None:
            number = self.company_number(padded=rng.random() < 0.6 if padded is None else padded)
        town = town or pick(rng, N.TOWNS)
        if category == COMPANY_ROE:
            off = next(o for o in N.OFFSHORE if o[0] == country)
            address = (f"{between(rng, 1, 60)} {pick(rng, ['Esplanade', 'Harbour Row', 'Rue de la Paix', 'Bay Street'])}",
                       "", off[2], "", country.title(), "")
        else:
            address = (f"{between(rng, 1, 120)} {pick(rng, N.STREETS)}", "", town[0].upper(), town[1].upper(),
                       "ENGLAND", postcode(rng, town[3]))
        company = Company(number=number, name=name, category=category, status=status, country=country,
                          incorporated=rand_date(rng, 1988, 2019), sic=tuple(sic), address=address,
                          previous=tuple(previous), mortgages=mortgages)
        self.companies[number] = company
        return company

    def _psc_link(self, company: str, kind_path: str) -> tuple[str, str]:
        pid = psc_id(self.rng)
        return pid, f"/company/{company}/persons-with-significant-control/{kind_path}/{pid}"

    def add_individual(self, company: str, natures, *, beneficial_owner=False, notified=None, ceased=None,
                       who=None) -> dict:
        rng = self.rng
        who = who or person(rng)
        kind = "individual-beneficial-owner" if beneficial_owner else "individual-person-with-significant-control"
        _, link = self._psc_link(company, kind if beneficial_owner else "individual")
        name = " ".join(p for p in (who["title"], who["forename"], who["middle_name"], who["surname"]) if p)
        elements = {"forename": who["forename"]}
        if who["middle_name"]:
            elements["middle_name"] = who["middle_name"]
        elements.update({"surname": who["surname"], "title": who["title"]})
        data = {"address": service_address(rng)}
        if ceased:
            data["ceased_on"] = ceased.isoformat()
        data.update({
            "country_of_residence": "England" if rng.random() < 0.8 else pick(rng, ["Jersey", "Switzerland", "Monaco"]),
            "date_of_birth": {"month": who["birth"][1], "year": who["birth"][0]},
            "etag": etag(rng),
        })
        if beneficial_owner:
            data["is_sanctioned"] = False
        data.update({"kind": kind, "links": {"self": link}, "name": name, "name_elements": elements,
                     "nationality": who["nationality"], "natures_of_control": list(natures),
                     "notified_on": (notified or datetime.date(2016, 4, 6)).isoformat()})
        self.psc.append((company, data))
        return {"name": name, "birth_month": f"{who['birth'][0]}-{who['birth'][1]:02d}", "link": link}

    def add_corporate(self, company: str, owner_name: str, registration_number: str, *, country_registered="England",
                      place_registered="Companies House", legal_form="Private Limited Company",
                      legal_authority="Companies Act 2006", natures=("ownership-of-shares-75-to-100-percent",),
                      beneficial_owner=False, notified=None, ceased=None) -> str:
        rng = self.rng
        kind = "corporate-entity-beneficial-owner" if beneficial_owner else "corporate-entity-person-with-significant-control"
        _, link = self._psc_link(company, kind if beneficial_owner else "corporate-entity")
        data = {"address": service_address(rng)}
        if ceased:
            data["ceased_on"] = ceased.isoformat()
        data.update({
            "etag": etag(rng),
            "identification": {"country_registered": country_registered, "legal_authority": legal_authority,
                               "legal_form": legal_form, "place_registered": place_registered,
                               "registration_number": registration_number},
        })
        if beneficial_owner:
            data["is_sanctioned"] = False
            data["principal_office_address"] = dict(data["address"])
        data.update({"kind": kind, "links": {"self": link}, "name": owner_name, "natures_of_control": list(natures),
                     "notified_on": (notified or datetime.date(2016, 4, 6)).isoformat()})
        self.psc.append((company, data))
        return link

    def add_legal_person(self, company: str, owner_name: str, legal_form: str, legal_authority: str, natures,
                         *, beneficial_owner=False) -> str:
        rng = self.rng
        kind = "legal-person-beneficial-owner" if beneficial_owner else "legal-person-person-with-significant-control"
        _, link = self._psc_link(company, kind if beneficial_owner else "legal-person")
        data = {"address": service_address(rng), "etag": etag(rng),
                "identification": {"legal_authority": legal_authority, "legal_form": legal_form}}
        if beneficial_owner:
            data["is_sanctioned"] = False
        data.update({"kind": kind, "links": {"self": link}, "name": owner_name, "natures_of_control": list(natures),
                     "notified_on": "2016-04-06" if not beneficial_owner else "2023-01-20"})
        self.psc.append((company, data))
        return link

    def add_super_secure(self, company: str, *, beneficial_owner=False) -> str:
        kind = "super-secure-beneficial-owner" if beneficial_owner else "super-secure-person-with-significant-control"
        _, link = self._psc_link(company, kind if beneficial_owner else "super-secure")
        self.psc.append((company, {
            "ceased": False,
            "description": "super-secure-beneficial-owner" if beneficial_owner else SUPER_SECURE_DESCRIPTION,
            "etag": etag(self.rng), "kind": kind, "links": {"self": link},
            "notified_on": "2023-01-20" if beneficial_owner else "2017-06-26",
        }))
        return link

    def add_statement(self, company: str, statement: str, *, notified=None, ceased=None) -> str:
        pid = psc_id(self.rng)
        link = f"/company/{company}/persons-with-significant-control-statements/{pid}"
        data = {}
        if ceased:
            data["ceased_on"] = ceased.isoformat()
        data.update({"etag": etag(self.rng), "kind": "persons-with-significant-control-statement",
                     "links": {"self": link}, "notified_on": (notified or datetime.date(2017, 1, 14)).isoformat(),
                     "statement": statement})
        self.psc.append((company, data))
        return link

    def add_exemption(self, company: str) -> None:
        self.psc.append((company, {
            "exemptions": {"psc_exempt_as_shares_admitted_on_market": {
                "exemption_type": "psc-exempt-as-shares-admitted-on-market",
                "items": [{"exempt_from": "2016-04-06"}]}},
            "kind": "exemptions", "links": {"self": f"/company/{company}/exemptions"},
        }))

    # -- places ------------------------------------------------------------------

    def place(self, town=None):
        """A street address no other home uses, its postcode and coordinates."""
        rng = self.rng
        town = town or pick(rng, N.TOWNS)
        while True:
            street = pick(rng, N.STREETS)
            number = between(rng, 1, 180)
            if (town[0], street, number) not in self._used_addresses:
                self._used_addresses.add((town[0], street, number))
                break
        pc = postcode(rng, town[3])
        lat = round(town[4] + rng.uniform(-0.08, 0.08), 6)
        lon = round(town[5] + rng.uniform(-0.12, 0.12), 6)
        return town, street, number, pc, lat, lon

    def title_row(self, home_or_place, address, proprietors, *, tenure="Freehold", price="", added=None,
                  dataset="ccod", postcode_field=True) -> Title:
        town, pc = home_or_place
        title = Title(
            number=self.title_number(town[1]), tenure=tenure, address=address,
            district=town[0].upper(), county=town[1].upper(), region=N.CCOD_REGION[town[2]],
            postcode=pc if postcode_field else "", price=price, proprietors=proprietors,
            added=added or rand_date(self.rng, 1998, 2024), dataset=dataset,
        )
        self.titles.append(title)
        return title

    def proprietor(self, company: Company, *, written_number=None, category=CAT_COMPANY, country=""):
        number = written_number if written_number is not None else (
            unpadded(company.number) if self.rng.random() < 0.7 else company.number)
        line1, _, town, county, _, pc = company.address
        return (company.name, number, category, country, f"{line1}, {town.title()} {pc}".strip(), "", "")

    def neighbours(self, home: Home, filler_count: int) -> None:
        """Other titles at the home's postcode, as real postcodes have."""
        rng = self.rng
        for k in range(pick(rng, [0, 1, 1, 2, 2, 3])):
            if rng.random() < 0.5:
                address = f"{home.number + 2 * (k + 1)} {home.street}, {home.town[0]} ({home.postcode})"
            else:
                address = f"Flat {k + 1}, {home.number + 1} {home.street}, {home.town[0]} ({home.postcode})"
            owner = rng.randrange(filler_count)
            number = filler_number(owner)
            if number.startswith("OE"):
                owner += 1
                number = filler_number(owner)
            filler = Company(number=number, name=filler_name(owner), address=("", "", "", "", "", ""))
            name, written, cat, _, _, _, _ = self.proprietor(filler)
            self.title_row((home.town, home.postcode), address,
                           [(name, written, cat, "", f"{between(rng, 1, 99)} {pick(rng, N.STREETS)}, {home.town[0]}", "", "")],
                           tenure=pick(rng, ["Freehold", "Leasehold"]), price=str(rng.randrange(90, 900) * 1000))
        if rng.random() < 0.15:  # a neighbouring block with a similar name: a trap for fuzzy matching
            owner = rng.randrange(filler_count)
            filler = Company(number=filler_number(owner), name=filler_name(owner))
            name, written, cat, *_ = self.proprietor(filler)
            word = home.building.split()[0] if home.building else "Station"
            self.title_row((home.town, home.postcode),
                           f"{word} Court, {home.number + 4} {home.street}, {home.town[0]} ({home.postcode})",
                           [(name, written, cat, "", "", "", "")], tenure="Freehold")

    def home_title_address(self, home: Home, variant: float) -> tuple[str, bool]:
        """The title's description of a home's land: usually close to CQC's address, sometimes not."""
        town, pc = home.town[0], home.postcode
        if variant < 0.55 and home.building:
            return f"{home.building}, {home.number} {home.street}, {town} ({pc})", True
        if variant < 0.75:
            return f"{home.number} {home.street}, {town} ({pc})", True
        if variant < 0.88 and home.building:
            return f"{home.building.upper()}, {home.street.upper()}, {town.upper()} ({pc})", True
        if variant < 0.96:
            return f"{home.number} and {home.number + 2} {home.street}, {town} ({pc})", True
        side = pick(self.rng, ["north", "south", "east", "west"])
        return f"Land and buildings on the {side} side of {home.street}, {town}", False

    # -- CQC -------------------------------------------------------------------

    def new_home(self, provider: Provider, *, name=None, town=None, brand=None, care_home=True,
                 registered=None) -> Home:
        rng = self.rng
        town, street, number, pc, lat, lon = self.place(town)
        if care_home:
            word = pick(rng, N.HOME_WORDS)
            building = f"{word} {pick(rng, N.HOME_KINDS)}"
            name = name or building
        else:
            building = ""
            name = name or f"{pick(rng, N.HOME_WORDS)} Home Care {town[0]}"
        nursing = care_home and rng.random() < 0.45
        home = Home(
            location_id=self.cqc_id(), provider_id=provider.provider_id, name=name, building=building,
            number=number, street=street, town=town, postcode=pc, latitude=lat, longitude=lon,
            beds=between(rng, 18, 95) if care_home else 0, nursing=nursing,
            registered=registered or rand_date(rng, 2010, 2022), care_home=care_home,
            uprn=str(between(rng, 10_000_000, 100_099_999_999)) if rng.random() < 0.8 else None, brand=brand,
        )
        provider.location_ids.append(home.location_id)
        self.homes.append(home)
        return home

    def new_provider(self, name, *, ownership="Organisation", company=None, charity=None, brand=None) -> Provider:
        town = pick(self.rng, N.TOWNS)
        provider = Provider(
            provider_id=self.cqc_id(), name=name, ownership=ownership,
            company_number=company.number if company else None, charity_number=charity, town=town,
            postcode=postcode(self.rng, town[3]), registered=rand_date(self.rng, 2010, 2020), brand=brand,
        )
        self.providers.append(provider)
        return provider

    # -- the story itself --------------------------------------------------------

    def build(self) -> None:
        s = self.scale
        rng = self.rng
        # Neighbours pick owners from the first half of the filler companies, which
        # always exist whatever the number of story companies.
        filler_count = max(1, s.companies // 2)
        facts = self.facts

        # 1. The big operator and its parent.
        holdings = self.company("BRACKENFOLD HOLDINGS LIMITED", sic=(SIC_HOLDING,), padded=True)
        operator = self.company("BRACKENFOLD CARE LIMITED", sic=(SIC_CARE_NURSING, SIC_CARE_ELDERLY), padded=True,
                                previous=((datetime.date(2009, 3, 2), "SOUTHWOLD NURSING HOMES LIMITED"),),
                                mortgages=(14, 6))
        self.add_corporate(operator.number, holdings.name, unpadded(holdings.number), country_registered="England And Wales")
        self.add_individual(operator.number, ["ownership-of-shares-75-to-100-percent"],
                            ceased=datetime.date(2018, 5, 14))
        owners = [self.add_individual(holdings.number, ["ownership-of-shares-25-to-50-percent",
                                                        "voting-rights-25-to-50-percent"]) for _ in range(2)]
        self.add_individual(holdings.number, ["significant-influence-or-control"], ceased=datetime.date(2020, 9, 30))
        brand = ("BD482", "BRAND Brackenfold Care")
        big = self.new_provider("Brackenfold Care Limited", company=operator, brand=brand)

        # 2. Its landlords and the registers behind them.
        landlords = {}
        for key, name, dataset, weight, traceable, reason in LANDLORDS:
            landlords[key] = self.make_landlord(key, name, dataset, reason)
        sold = round(s.operator_homes * 0.92)
        owned = s.operator_homes - sold
        assignment = self.spread(sold, [l[3] for l in LANDLORDS])
        landlord_facts = []
        big_homes = []
        hard = 0
        for (key, name, dataset, weight, traceable, reason), count in zip(LANDLORDS, assignment):
            info = landlords[key]
            titles = []
            for _ in range(count):
                home = self.new_home(big, brand=brand, registered=rand_date(rng, 2011, 2016))
                big_homes.append(home)
                variant = rng.random()
                address, has_pc = self.home_title_address(home, variant)
                hard += not has_pc
                price = str(rng.randrange(900, 4200) * 1000) if rng.random() < 0.7 else ""
                sale_date = rand_date(rng, 2005, 2008)
                freehold = self.title_row((home.town, home.postcode), address, [info["proprietor"]], price=price,
                                          added=sale_date, dataset=dataset, postcode_field=has_pc)
                self.truth.append((home.location_id, freehold.number, "freehold", key))
                titles.append(freehold.number)
                if rng.random() < 0.6:  # the registered lease back to the operator
                    lease = self.title_row((home.town, home.postcode), address, [self.proprietor(operator)],
                                           tenure="Leasehold", added=sale_date, postcode_field=has_pc)
                    self.truth.append((home.location_id, lease.number, "leasehold", "brackenfold"))
                self.neighbours(home, filler_count)
            landlord_facts.append({
                "key": key, "name": name, "register": dataset, "homes": count, "titles": titles,
                "company_number": info["company_number"], "entity_id": info["entity_id"],
                "jurisdiction": info["jurisdiction"], "country_incorporated": OFFSHORE_OF.get(key),
                "traceable": traceable, "reason": reason, "explanation": REASON_TEXT[reason],
                "owners": info.get("owners", []),
            })
        for _ in range(owned):
            home = self.new_home(big, brand=brand)
            big_homes.append(home)
            address, has_pc = self.home_title_address(home, rng.random() * 0.95)
            title = self.title_row((home.town, home.postcode), address, [self.proprietor(operator)],
                                   added=rand_date(rng, 1999, 2004), price=str(rng.randrange(600, 3000) * 1000))
            self.truth.append((home.location_id, title.number, "freehold", "brackenfold"))
            self.neighbours(home, filler_count)
        facts["big_operator"] = {
            "name": big.name, "provider_id": big.provider_id, "company_number": operator.number,
            "entity_id": f"GB-COH-{operator.number}", "parent": holdings.name,
            "parent_company_number": holdings.number, "ultimate_owners": owners,
            "homes": len(big_homes), "homes_sold_and_leased_back": sold, "homes_owned": owned,
            "beds": sum(h.beds for h in big_homes),
            "landlords": landlord_facts,
            "landlord_count": len(landlord_facts),
            "untraceable_landlords": [l["key"] for l in landlord_facts if not l["traceable"]],
            "offshore_landlords": [l["key"] for l in landlord_facts if l["register"] == "ocod"],
            "homes_with_untraceable_landlord": sum(l["homes"] for l in landlord_facts if not l["traceable"]),
            "titles_without_postcode": hard,
        }

        # 3. The common-control group: landlord and operator under one parent.
        parent = self.company("WILLOWMERE GROUP HOLDINGS LIMITED", sic=(SIC_HOLDING,), padded=True)
        w_op = self.company("WILLOWMERE LIVING LIMITED", sic=(SIC_CARE_ELDERLY,), padded=True)
        w_land = self.company("WILLOWMERE ESTATES LIMITED", sic=(SIC_PROPERTY,), padded=False)
        self.add_corporate(w_op.number, parent.name, unpadded(parent.number), country_registered="England")
        self.add_corporate(w_land.number, parent.name, parent.number, country_registered="United Kingdom",
                           place_registered="Register Of Companies For England And Wales")
        w_owner = self.add_individual(parent.number, ["ownership-of-shares-75-to-100-percent",
                                                      "voting-rights-75-to-100-percent",
                                                      "right-to-appoint-and-remove-directors"])
        w_provider = self.new_provider("Willowmere Living Limited", company=w_op)
        previous = self.new_provider("Ferncliffe Homes Partnership", ownership="Partnership")
        group_homes = []
        for _ in range(s.group_homes):
            home = self.new_home(w_provider, registered=datetime.date(2021, 7, 1))
            group_homes.append(home)
            if rng.random() < 0.5:  # taken over from another provider: a new location id, linked
                old = Home(**{**home.__dict__, "location_id": self.cqc_id(), "provider_id": previous.provider_id,
                              "status": "Deregistered", "deregistered": datetime.date(2021, 6, 30),
                              "registered": rand_date(rng, 2011, 2015), "successor": home.location_id})
                old.predecessor = None
                home.predecessor = old.location_id
                previous.location_ids.append(old.location_id)
                self.homes.append(old)
            address, has_pc = self.home_title_address(home, rng.random() * 0.9)
            title = self.title_row((home.town, home.postcode), address, [self.proprietor(w_land)],
                                   added=datetime.date(2021, 6, 18), price=str(rng.randrange(700, 2500) * 1000))
            self.truth.append((home.location_id, title.number, "freehold", "willowmere_estates"))
            self.neighbours(home, filler_count)
        facts["common_control"] = {
            "operator": w_op.name, "operator_company_number": w_op.number, "provider_id": w_provider.provider_id,
            "landlord": w_land.name, "landlord_company_number": w_land.number,
            "parent": parent.name, "parent_company_number": parent.number,
            "parent_entity_id": f"GB-COH-{parent.number}", "ultimate_owner": w_owner,
            "homes": len(group_homes),
        }

        # 4. Independent homes.
        independent = s.homes - len(big_homes) - len(group_homes)
        no_ccod = 0
        kinds = {"owner_occupier": 0, "family_propco": 0, "individual_provider": 0, "charity": 0,
                 "individual_landlord": 0, "council": 0}
        council_done = False
        made = 0
        while made < independent:
            size = min(independent - made, pick(rng, [1, 1, 1, 1, 2, 2, 3, 4, 6]) if s.homes < 5000
                       else pick(rng, [1, 1, 1, 2, 2, 3, 5, 8, 20]))
            roll = rng.random()
            if not council_done:
                kind, council_done = "council", True
            elif roll < 0.45:
                kind = "owner_occupier"
            elif roll < 0.58:
                kind = "family_propco"
            elif roll < 0.78:
                kind = "individual_provider"
            elif roll < 0.9:
                kind = "charity"
            else:
                kind = "individual_landlord"
            made += size
            kinds[kind] += size
            no_ccod += self.independent(kind, size, filler_count)
        facts["independent"] = {"homes": independent, "homes_without_ccod_title": no_ccod, "by_kind": kinds}

        # 5. Other social-care locations (not care homes): no titles.
        for _ in range(s.other_locations):
            p = self.new_provider(f"{pick(rng, N.HOME_WORDS)} Home Care Services", ownership="Individual")
            self.new_home(p, care_home=False)

        # 6. The BODS file: the Cayman owner of Orchard Reach, published elsewhere.
        self.make_bods(landlords["orchard"])

    def spread(self, total: int, weights: list[int]) -> list[int]:
        """Split ``total`` homes by weight; every landlord gets at least one."""
        counts = [max(1, total * w // sum(weights)) for w in weights]
        i = 0
        while sum(counts) < total:
            counts[i % len(counts)] += 1
            i += 1
        while sum(counts) > total:
            j = max(range(len(counts)), key=counts.__getitem__)
            counts[j] -= 1
        return counts

    def make_landlord(self, key: str, name: str, dataset: str, reason: str) -> dict:
        rng = self.rng
        if dataset == "ocod":
            country = OFFSHORE_OF[key]
            off = next(o for o in N.OFFSHORE if o[0] == country)
            foreign_number = str(between(rng, 10000, 199999))
            proprietor = (name, foreign_number if rng.random() < 0.7 else "", CAT_COMPANY, country,
                          f"{between(rng, 1, 40)} Harbour Row, {off[2]}", "", "")
            info = {"proprietor": proprietor, "jurisdiction": country, "company_number": None, "entity_id": None}
            if reason == "overseas_no_roe":
                return info
            oe = self.company(name, category=COMPANY_ROE, country=country, number=self.oe_number(), sic=())
            info.update(company_number=oe.number, entity_id=f"GB-COH-{oe.number}")
            if reason == "roe_beneficial_owners":
                info["owners"] = [self.add_individual(oe.number, [
                    "ownership-of-shares-more-than-25-percent-registered-overseas-entity",
                    "voting-rights-more-than-25-percent-registered-overseas-entity"], beneficial_owner=True,
                    notified=datetime.date(2023, 1, 20))]
                self.add_legal_person(oe.number, "CALDERA PROVINCE PENSION AUTHORITY", "Statutory Body",
                                      "Caldera Province Pensions Act 1998",
                                      ["significant-influence-or-control-registered-overseas-entity"],
                                      beneficial_owner=True)
                self.add_statement(oe.number, "all-beneficial-owners-identified", notified=datetime.date(2023, 1, 20))
            elif reason == "roe_beneficial_owner":
                info["owners"] = [self.add_individual(oe.number, [
                    "ownership-of-shares-more-than-25-percent-registered-overseas-entity"], beneficial_owner=True,
                    notified=datetime.date(2023, 1, 20))]
                self.add_statement(oe.number, "all-beneficial-owners-identified", notified=datetime.date(2023, 1, 20))
            elif reason == "roe_corporate_owner_in_bods":
                info["parent"] = ("ORCHARD REACH HOLDINGS LTD", "204417")
                self.add_corporate(oe.number, "ORCHARD REACH HOLDINGS LTD", "204417", country_registered="Cayman Islands",
                                   place_registered="General Registry, Cayman Islands", legal_form="Exempted Company",
                                   legal_authority="Companies Act (As Revised) Cayman Islands",
                                   natures=["ownership-of-shares-more-than-25-percent-registered-overseas-entity"],
                                   beneficial_owner=True, notified=datetime.date(2023, 1, 20))
                self.add_statement(oe.number, "all-beneficial-owners-identified", notified=datetime.date(2023, 1, 20))
            elif reason == "roe_statement":
                self.add_statement(oe.number, "no-beneficial-owner-identified", notified=datetime.date(2023, 1, 30))
            elif reason == "super_secure_beneficial_owner":
                self.add_super_secure(oe.number, beneficial_owner=True)
            return info

        category = COMPANY_PLC if name.endswith(" PLC") else COMPANY_LTD
        if reason == "not_in_register":
            number = self.company_number(padded=True)  # reserved, never written to BasicCompanyData
            proprietor = (name, unpadded(number), CAT_COMPANY, "", f"{between(rng, 1, 90)} {pick(rng, N.STREETS)}, London", "", "")
            return {"proprietor": proprietor, "jurisdiction": "GB", "company_number": number,
                    "entity_id": f"GB-COH-{number}"}
        company = self.company(name, category=category, mortgages=(between(rng, 1, 9), between(rng, 0, 3)))
        info = {"proprietor": self.proprietor(company), "jurisdiction": "GB", "company_number": company.number,
                "entity_id": f"GB-COH-{company.number}"}
        if reason == "person":
            info["owners"] = [self.add_individual(company.number, ["ownership-of-shares-25-to-50-percent"])
                              for _ in range(2)]
        elif reason == "listed_company":
            self.add_exemption(company.number)
        elif reason == "person_via_uk_parent":
            parent = self.company("MARLOWE ESTATES GROUP LIMITED", sic=(SIC_HOLDING,), padded=True)
            self.add_corporate(company.number, parent.name, unpadded(parent.number))
            info["owners"] = [self.add_individual(parent.number, ["ownership-of-shares-75-to-100-percent"])]
        elif reason == "psc_statement":
            statement = PSC_STATEMENTS_UNKNOWN[["carrick", "dunsmore", "elswick", "fairlea"].index(key)]
            self.add_statement(company.number, statement, notified=datetime.date(2019, 2, 11))
            info["statement"] = statement
        elif reason == "super_secure":
            self.add_super_secure(company.number)
        elif reason == "foreign_owner_no_record":
            self.add_corporate(company.number, "TALLIS BAY INVESTMENTS LTD", "MC-88213",
                               country_registered="Cayman Islands", place_registered="Cayman Islands",
                               legal_form="Exempted Limited Company", legal_authority="Cayman Islands Companies Law")
        elif reason == "no_psc_filed":
            pass
        elif reason == "cycle":
            other = self.company("QUAYLE & PENROSE HOLDINGS LIMITED", sic=(SIC_HOLDING,))
            self.add_corporate(company.number, other.name, unpadded(other.number))
            self.add_corporate(other.number, company.name, unpadded(company.number),
                               natures=("ownership-of-shares-50-to-75-percent",))
            info["cycle_with"] = other.number
        return info

    def independent(self, kind: str, size: int, filler_count: int) -> int:
        """One independent provider with ``size`` homes; returns how many have no CCOD title."""
        rng = self.rng
        word = pick(rng, N.HOME_WORDS)
        surname = pick(rng, N.SURNAMES)
        no_ccod = 0
        if kind == "council":
            council = "WESTERMERE BOROUGH COUNCIL"
            company = self.company("WESTERMERE CARE SERVICES LIMITED", sic=(SIC_CARE_ELDERLY,))
            self.add_legal_person(company.number, "Westermere Borough Council", "Local Authority",
                                  "Local Government Act 1972", ["ownership-of-shares-75-to-100-percent"])
            provider = self.new_provider("Westermere Care Services Limited", company=company)
            for _ in range(size):
                home = self.new_home(provider)
                address, _ = self.home_title_address(home, rng.random() * 0.75)
                title = self.title_row((home.town, home.postcode), address,
                                       [(council, "", "Local Authority", "", "Town Hall, Westermere", "", "")],
                                       added=datetime.date(1999, 10, 13))
                self.truth.append((home.location_id, title.number, "freehold", "council"))
            self.facts["council_owned_provider"] = company.name
            return 0
        if kind in ("individual_provider",):
            holder = person(rng)
            ownership = pick(rng, ["Individual", "Partnership"])
            label = (f"{holder['forename']} {holder['surname']}" if ownership == "Individual"
                     else f"{holder['surname']} & {pick(rng, N.SURNAMES)} Partnership")
            provider = self.new_provider(label, ownership=ownership)
            for _ in range(size):
                self.neighbours(self.new_home(provider), filler_count)
            return size
        suffix = pick(rng, ["Care Limited", "Healthcare Ltd", "Care Homes Limited", "Residential Care Limited"])
        provider_name = f"{word} {surname} {suffix}".replace("Ltd", "Ltd")
        ch_name = provider_name.upper()
        if rng.random() < 0.03:
            ch_name = "!" + ch_name  # the real bulk file has names starting with punctuation
        if kind == "charity":
            company = self.company(ch_name.replace(" LIMITED", " TRUST LIMITED"), category=COMPANY_GUAR,
                                   sic=(SIC_CARE_ELDERLY,))
            self.add_statement(company.number, "no-individual-or-entity-with-signficant-control")
            provider = self.new_provider(provider_name.replace(" Limited", " Trust Limited"), company=company,
                                         charity=str(between(rng, 200000, 1199999)))
            for _ in range(size):
                self.neighbours(self.new_home(provider), filler_count)
            return size
        company = self.company(ch_name, sic=(SIC_CARE_ELDERLY,))
        self.add_individual(company.number, ["ownership-of-shares-75-to-100-percent", "voting-rights-75-to-100-percent"])
        if rng.random() < 0.1:
            self.add_individual(company.number, ["ownership-of-shares-50-to-75-percent"],
                                ceased=rand_date(rng, 2017, 2023))
        provider = self.new_provider(provider_name, company=company)
        propco = None
        if kind == "family_propco":
            propco = self.company(f"{surname.upper()} {word.upper()} PROPERTIES LIMITED", sic=(SIC_PROPERTY,))
            self.add_individual(propco.number, ["ownership-of-shares-75-to-100-percent"])
        for _ in range(size):
            home = self.new_home(provider)
            self.neighbours(home, filler_count)
            if kind == "individual_landlord":
                no_ccod += 1
                continue
            owner = propco or company
            address, has_pc = self.home_title_address(home, rng.random())
            title = self.title_row((home.town, home.postcode), address, [self.proprietor(owner)],
                                   price=str(rng.randrange(300, 2000) * 1000) if rng.random() < 0.6 else "",
                                   postcode_field=has_pc)
            self.truth.append((home.location_id, title.number, "freehold", "propco" if propco else "operator"))
        return no_ccod

    def make_bods(self, orchard: dict) -> None:
        rng = self.rng

        def statement_id():
            return str(uuid.UUID(int=rng.getrandbits(128), version=4))

        publication = {"publicationDate": "2026-11-14", "bodsVersion": "0.4",
                       "publisher": {"name": "Demo Beneficial Ownership Register"}}
        holdings_rid, person_rid, props_rid = "ky-orh-204417", "person-7f3c21", f"gb-coh-{orchard['company_number'].lower()}"
        who = person(rng)
        self.bods = [
            {"statementId": statement_id(), "declarationSubject": holdings_rid, "statementDate": "2026-11-10",
             "publicationDetails": publication, "recordId": holdings_rid, "recordStatus": "new", "recordType": "entity",
             "recordDetails": {"isComponent": False, "entityType": {"type": "registeredEntity"},
                               "name": "Orchard Reach Holdings Ltd", "foundingDate": "2004-05-17",
                               "jurisdiction": {"name": "Cayman Islands", "code": "KY"},
                               "identifiers": [{"id": "204417", "schemeName": "Cayman Islands General Registry"}],
                               "addresses": [{"type": "registered", "address": "PO Box 1150, George Town, Grand Cayman",
                                              "country": {"name": "Cayman Islands", "code": "KY"}}]}},
            {"statementId": statement_id(), "declarationSubject": holdings_rid, "statementDate": "2026-11-10",
             "publicationDetails": publication, "recordId": person_rid, "recordStatus": "new", "recordType": "person",
             "recordDetails": {"isComponent": False, "personType": "knownPerson",
                               "names": [{"type": "legal", "fullName": f"{who['forename']} {who['surname']}",
                                          "givenName": who["forename"], "familyName": who["surname"]}],
                               "nationalities": [{"name": "Canada", "code": "CA"}],
                               "birthDate": f"{who['birth'][0]}-{who['birth'][1]:02d}"}},
            {"statementId": statement_id(), "declarationSubject": holdings_rid, "statementDate": "2026-11-10",
             "publicationDetails": publication, "recordId": "rel-orh-person", "recordStatus": "new",
             "recordType": "relationship",
             "recordDetails": {"isComponent": False, "subject": holdings_rid, "interestedParty": person_rid,
                               "interests": [{"type": "shareholding", "directOrIndirect": "direct",
                                              "beneficialOwnershipOrControl": True, "share": {"exact": 100},
                                              "startDate": "2004-05-17"}]}},
            {"statementId": statement_id(), "declarationSubject": props_rid, "statementDate": "2026-11-10",
             "publicationDetails": publication, "recordId": props_rid, "recordStatus": "new", "recordType": "entity",
             "recordDetails": {"isComponent": False, "entityType": {"type": "registeredEntity"},
                               "name": "Orchard Reach Properties Limited",
                               "jurisdiction": {"name": "Guernsey", "code": "GG"},
                               "identifiers": [{"scheme": "GB-COH", "id": orchard["company_number"]}]}},
            {"statementId": statement_id(), "declarationSubject": props_rid, "statementDate": "2026-11-10",
             "publicationDetails": publication, "recordId": "rel-orp-orh", "recordStatus": "new",
             "recordType": "relationship",
             "recordDetails": {"isComponent": False, "subject": props_rid, "interestedParty": holdings_rid,
                               "interests": [{"type": "shareholding", "directOrIndirect": "direct",
                                              "beneficialOwnershipOrControl": False,
                                              "share": {"minimum": 75, "maximum": 100},
                                              "startDate": "2012-02-01"}]}},
        ]
        owner = {"name": f"{who['forename']} {who['surname']}",
                 "birth_month": f"{who['birth'][0]}-{who['birth'][1]:02d}", "via": "bods"}
        for landlord in self.facts["big_operator"]["landlords"]:
            if landlord["key"] == "orchard":
                landlord["owners"] = [owner]
                landlord["corporate_owner"] = {"name": "ORCHARD REACH HOLDINGS LTD", "registration_number": "204417",
                                               "country_registered": "Cayman Islands"}


# ---------------------------------------------------------------------------
# Writers
# ---------------------------------------------------------------------------


@contextmanager
def text_out(path: Path, member: str | None, *, newline="", encoding="utf-8", compresslevel=6):
    """A text stream into a plain file or into one member of a zip, written as it goes."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if member is None:
        with open(path, "w", newline=newline, encoding=encoding) as out:
            yield out
        return
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=compresslevel) as zf:
        info = zipfile.ZipInfo(member, date_time=ZIP_TIME)
        info.compress_type = zipfile.ZIP_DEFLATED
        try:  # the ZipFile's level is not passed on to members opened with a ZipInfo
            info.compress_level = compresslevel  # Python 3.13+
        except AttributeError:
            info._compresslevel = compresslevel
        info.external_attr = 0o644 << 16
        with zf.open(info, "w", force_zip64=True) as raw:
            with io.TextIOWrapper(raw, encoding=encoding, newline=newline, write_through=False) as out:
                yield out


def _progress(label: str, total: int, quiet: bool):
    step = max(1, total // 20)
    quiet = quiet or total < 200_000

    def tick(i: int):
        if not quiet and i and i % step == 0:
            print(f"  {label}: {i:,}/{total:,}", file=sys.stderr, flush=True)

    return tick


class Writer:
    def __init__(self, story: Story, out: Path, seed: int, zipped: bool, quiet: bool):
        self.story = story
        self.out = out
        self.seed = seed
        self.zipped = zipped
        self.quiet = quiet
        self.scale = story.scale
        self.counts: dict = {}
        self.manifest: list = []
        self.filler_companies = max(0, self.scale.companies - len(story.companies))
        # National files compress fast; the committed demo compresses small.
        self.compresslevel = 1 if self.scale.companies > 100_000 else 9

    def target(self, folder: str, name: str, ext: str) -> tuple[Path, str | None]:
        if self.zipped:
            return self.out / folder / f"{name}.zip", f"{name}.{ext}"
        return self.out / folder / f"{name}.{ext}", None

    def rel(self, path: Path) -> str:
        return path.relative_to(self.out).as_posix()

    # -- CQC -----------------------------------------------------------------

    def cqc(self) -> None:
        story = self.story
        rng = random.Random(self.seed + 1)
        api = self.out / "cqc-api"
        api.mkdir(parents=True, exist_ok=True)
        providers = {p.provider_id: p for p in story.providers}
        with open(api / "locations.jsonl", "w", encoding="utf-8", newline="\n") as out:
            for home in story.homes:
                out.write(json.dumps(self.location_json(home, providers[home.provider_id], rng),
                                     ensure_ascii=False) + "\n")
        with open(api / "providers.jsonl", "w", encoding="utf-8", newline="\n") as out:
            for provider in story.providers:
                out.write(json.dumps(self.provider_json(provider, rng), ensure_ascii=False) + "\n")
        self.counts["cqc_locations"] = len(story.homes)
        self.counts["cqc_care_homes_registered"] = sum(1 for h in story.homes if h.care_home and h.status == "Registered")
        self.counts["cqc_providers"] = len(story.providers)

        name = CQC_DATE.strftime("%d_%B_%Y") + "_CQC_directory.csv"
        path = self.out / "cqc" / name
        rows = 0
        with text_out(path, None, encoding="utf-8-sig") as out:
            out.write("CQC Locations data\r\n\r\n")
            out.write(f"This data was produced on {CQC_DATE.strftime('%d %B %Y')}\r\n\r\n")
            writer = csv.writer(out, lineterminator="\r\n")
            writer.writerow(DIRECTORY_HEADER)
            for home in story.homes:
                if home.status != "Registered":
                    continue
                p = providers[home.provider_id]
                line1 = f"{home.number} {home.street}"
                address = ",".join(x for x in ([home.building] if home.building and rng.random() < 0.5 else [])
                                   + [line1, home.town[0]])
                types = ("Nursing homes|Residential homes" if home.nursing else "Residential homes") if home.care_home \
                    else "Homecare agencies"
                specialisms = "|".join(self.specialisms(home, rng))
                writer.writerow([
                    home.name, "", address, home.postcode, f"0{between(rng, 1000000000, 1999999999)}",
                    f"https://www.{home.name.lower().replace(' ', '')}.example" if rng.random() < 0.5 else "",
                    types, dmy(self.last_inspection(home)), specialisms, p.name, home.town[0], home.town[2],
                    f"https://www.cqc.org.uk/location/{home.location_id}", home.location_id, p.provider_id,
                ])
                rows += 1
        self.counts["cqc_directory_rows"] = rows
        self.manifest += [
            {"collector": "cqc-api", "serve": ["cqc-api/locations.jsonl", "cqc-api/providers.jsonl"]},
            {"collector": "cqc-directory", "files": [self.rel(path)]},
        ]

    @staticmethod
    def specialisms(home: Home, rng) -> list[str]:
        if not home.care_home:
            return ["Caring for adults over 65 yrs", "Physical disabilities"]
        out = ["Caring for adults over 65 yrs", "Dementia"]
        if home.nursing:
            out.append("Physical disabilities")
        if rng.random() < 0.2:
            out.append("Mental health conditions")
        return out

    @staticmethod
    def last_inspection(home: Home) -> datetime.date:
        # Spread deterministically over 2020-2026 from the id; some are overdue.
        n = int(home.location_id[2:])
        return datetime.date(2020, 1, 1) + datetime.timedelta(days=n % 2460)

    def ratings(self, home: Home, rng) -> dict:
        inspected = self.last_inspection(home)
        published = inspected + datetime.timedelta(days=between(rng, 20, 75))
        roll = rng.random()
        overall = "Good" if roll < 0.6 else "Requires improvement" if roll < 0.82 else \
            "Outstanding" if roll < 0.9 else "Inadequate"
        link = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        questions = ["Safe", "Effective", "Caring", "Responsive", "Well-led"]
        rng.shuffle(questions)
        return {
            "overall": {"rating": overall, "reportDate": published.isoformat(), "reportLinkId": link,
                        "useOfResources": {},
                        "keyQuestionRatings": [{"name": q, "rating": overall if rng.random() < 0.7 else "Good",
                                                "reportDate": published.isoformat(), "reportLinkId": link}
                                               for q in questions]},
            "reportDate": published.isoformat(),
        }, inspected, published, link

    def location_json(self, home: Home, provider: Provider, rng) -> dict:
        """A ``GET /locations/{id}`` response: absent keys where there is no value, as the API does."""
        ratings, inspected, published, link = self.ratings(home, rng)
        d = {"locationId": home.location_id, "providerId": home.provider_id, "organisationType": "Location",
             "type": "Social Care Org", "name": home.name}
        if home.brand:
            d["brandId"], d["brandName"] = home.brand
        d.update({"onspdCcgCode": f"E38000{between(rng, 100, 260)}", "onspdCcgName": f"NHS {home.town[0]} ICB",
                  "onspdIcbCode": f"E54000{between(rng, 10, 70):03d}", "onspdIcbName": f"NHS {home.town[0]} ICB",
                  "registrationStatus": home.status, "registrationDate": home.registered.isoformat()})
        if home.deregistered:
            d["deregistrationDate"] = home.deregistered.isoformat()
        d["dormancy"] = "N"
        if home.care_home:
            d["numberOfBeds"] = home.beds
        if rng.random() < 0.6:
            d["website"] = f"www.{home.name.lower().replace(' ', '')}.example"
        if home.building:
            d["postalAddressLine1"] = home.building
            d["postalAddressLine2"] = f"{home.number} {home.street}"
        else:
            d["postalAddressLine1"] = f"{home.number} {home.street}"
        d.update({"postalAddressTownCity": home.town[0], "postalAddressCounty": home.town[1], "region": home.town[2],
                  "postalCode": home.postcode})
        if home.uprn:
            d["uprn"] = home.uprn
        d.update({"onspdLatitude": home.latitude, "onspdLongitude": home.longitude,
                  "careHome": "Y" if home.care_home else "N", "inspectionDirectorate": "Adult social care",
                  "mainPhoneNumber": f"0{between(rng, 1000000000, 1999999999)}",
                  "constituency": f"{home.town[0]} and District", "localAuthority": home.town[0]})
        if home.status == "Registered":
            d["lastInspection"] = {"date": inspected.isoformat()}
            d["lastReport"] = {"publicationDate": published.isoformat()}
        relationships = []
        if home.predecessor:
            relationships.append({"relatedLocationId": home.predecessor, "relatedLocationName": home.name,
                                  "type": "HSCA Predecessor", "reason": "Legal Entity Change"})
        if home.successor:
            relationships.append({"relatedLocationId": home.successor, "relatedLocationName": home.name,
                                  "type": "HSCA Successor", "reason": "Legal Entity Change"})
        d["relationships"] = relationships
        d["locationTypes"] = []
        manager = person(rng)
        if home.care_home:
            activity = {"name": "Accommodation for persons who require nursing or personal care", "code": "RA2"}
            services = [{"name": "Nursing homes", "description": "Care home service with nursing"}] if home.nursing else []
            services.append({"name": "Residential homes", "description": "Care home service without nursing"})
            category = {"code": "S1", "primary": "true", "name": "Residential social care"}
        else:
            activity = {"name": "Personal care", "code": "RA1"}
            services = [{"name": "Homecare agencies", "description": "Domiciliary care service"}]
            category = {"code": "S2", "primary": "true", "name": "Community based adult social care services"}
        activity["contacts"] = [{"personTitle": manager["title"], "personGivenName": manager["forename"],
                                 "personFamilyName": manager["surname"], "personRoles": ["Registered Manager"]}]
        d["regulatedActivities"] = [activity]
        if home.nursing:
            d["regulatedActivities"].append({"name": "Treatment of disease, disorder or injury", "code": "RA5",
                                             "contacts": []})
        d["gacServiceTypes"] = services
        d["inspectionCategories"] = [category]
        d["specialisms"] = [{"name": s} for s in self.specialisms(home, rng)]
        d["inspectionAreas"] = []
        d["currentRatings"] = ratings
        d["historicRatings"] = []
        d["reports"] = [{"linkId": link, "reportDate": published.isoformat(),
                         "reportUri": f"/reports/{link}?{published.strftime('%Y%m%d')}091500",
                         "firstVisitDate": inspected.isoformat(), "reportType": "Location"}]
        return d

    def provider_json(self, p: Provider, rng) -> dict:
        d = {"providerId": p.provider_id, "locationIds": list(p.location_ids), "organisationType": "Provider",
             "ownershipType": p.ownership, "type": "Social Care Org", "name": p.name}
        if p.brand:
            d["brandId"], d["brandName"] = p.brand
        d.update({"registrationStatus": "Registered" if p.location_ids else "Deregistered",
                  "registrationDate": p.registered.isoformat()})
        if p.company_number:
            d["companiesHouseNumber"] = p.company_number
        if p.charity_number:
            d["charityNumber"] = p.charity_number
        d.update({"postalAddressLine1": f"{between(rng, 1, 99)} {pick(rng, N.STREETS)}",
                  "postalAddressTownCity": p.town[0], "postalAddressCounty": p.town[1], "region": p.town[2],
                  "postalCode": p.postcode, "mainPhoneNumber": f"0{between(rng, 1000000000, 1999999999)}",
                  "inspectionDirectorate": "Adult social care", "constituency": f"{p.town[0]} and District",
                  "localAuthority": p.town[0], "contacts": [], "relationships": []})
        nominated = person(rng)
        d["regulatedActivities"] = [{"name": "Accommodation for persons who require nursing or personal care",
                                     "code": "RA2", "nominatedIndividual": {
                                         "personTitle": nominated["title"], "personGivenName": nominated["forename"],
                                         "personFamilyName": nominated["surname"]}}]
        return d

    # -- Companies House ---------------------------------------------------------

    def basic_company_row(self, c: Company) -> list[str]:
        line1, line2, town, county, country, pc = c.address
        ref = c.incorporated
        # The last accounts filed are made up to the latest year end whose nine months
        # have passed; the next ones are due nine months after the year end that follows.
        made_up = datetime.date(CH_DATE.year, ref.month, min(ref.day, 28))
        while made_up + datetime.timedelta(days=270) > CH_DATE:
            made_up = made_up.replace(year=made_up.year - 1)
        if c.name in ACCOUNTS_OVERDUE:  # a year's accounts never filed
            made_up = made_up.replace(year=made_up.year - 1)
        next_year_end = made_up.replace(year=made_up.year + 1)
        dissolved = ""
        row = [
            c.name, c.number, "", "", line1, line2, town, county, country, pc, c.category, c.status,
            c.country if c.category == COMPANY_ROE else "United Kingdom", dissolved, dmy(c.incorporated),
            str(made_up.day), str(made_up.month), dmy(next_year_end + datetime.timedelta(days=270)), dmy(made_up),
            "FULL" if c.category in (COMPANY_PLC,) else ("NO ACCOUNTS FILED" if c.category == COMPANY_ROE
                                                          else "TOTAL EXEMPTION FULL"),
            "", "", str(c.mortgages[0]), str(c.mortgages[1]), "0", str(c.mortgages[0] - c.mortgages[1]),
        ]
        sic = list(c.sic)[:4] or ["None Supplied"] if c.category != COMPANY_ROE else []
        row += sic + [""] * (4 - len(sic))
        row += ["0", "0", f"http://business.data.gov.uk/id/company/{c.number}"]
        prev = list(c.previous)[:10]
        for d, n in prev:
            row += [dmy(d), n]
        row += ["", ""] * (10 - len(prev))
        row += [dmy(datetime.date(2027, ref.month, min(ref.day, 28))), dmy(datetime.date(2026, ref.month, min(ref.day, 28)))]
        return row

    def basic_company_data(self) -> None:
        story, s = self.story, self.scale
        name = f"BasicCompanyDataAsOneFile-{CH_DATE.isoformat()}"
        path, member = self.target("companies-house", name, "csv")
        rng = random.Random(self.seed + 2)
        filler = max(0, s.companies - len(story.companies))
        story_rows = sorted(story.companies.values(), key=lambda c: c.name.lstrip("!"))
        tick = _progress("BasicCompanyData", filler, self.quiet)
        rows = 0
        with text_out(path, member, compresslevel=self.compresslevel) as out:
            writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
            writer.writerow(BASIC_HEADER)
            # Interleave story rows among filler rows so they are not all at the top.
            every = max(1, filler // max(1, len(story_rows)))
            story_iter = iter(story_rows)
            for i in range(filler):
                tick(i)
                if i % every == 0:
                    c = next(story_iter, None)
                    if c:
                        writer.writerow(self.basic_company_row(c))
                        rows += 1
                writer.writerow(self.basic_company_row(self.filler_company(i, rng)))
                rows += 1
            for c in story_iter:
                writer.writerow(self.basic_company_row(c))
                rows += 1
        self.counts["companies"] = rows
        self.counts["filler_companies"] = filler
        self.manifest.append({"collector": "companies-house-bulk", "files": [self.rel(path)]})

    def filler_company(self, i: int, rng) -> Company:
        number = filler_number(i)
        town = N.TOWNS[(i * 17) % len(N.TOWNS)]
        if number.startswith("OE"):
            off = filler_offshore(i)
            category, country = COMPANY_ROE, off[0]
            address = (f"{between(rng, 1, 99)} Harbour Row", "", off[2], "", off[1], "")
        else:
            category = COMPANY_LLP if number.startswith("OC") else COMPANY_LTD
            country = "United Kingdom"
            spaces = "   " if rng.random() < 0.01 else " "
            address = (f"UNIT {between(rng, 1, 40)}{spaces}{pick(rng, N.STREETS).upper()}",
                       pick(rng, ["", "", "BUSINESS PARK"]), town[0].upper(), town[1].upper(),
                       pick(rng, ["ENGLAND", "UNITED KINGDOM", ""]), postcode(rng, town[3]))
        roll = rng.random()
        status = "Active" if roll < 0.9 else "Active - Proposal to Strike off" if roll < 0.96 else "Liquidation"
        incorporated = rand_date(rng, 2022, 2025) if category == COMPANY_ROE else rand_date(rng, 1980, 2025)
        return Company(number=number, name=filler_name(i), category=category, status=status, country=country,
                       incorporated=incorporated, sic=(N.FILLER_SIC[i % len(N.FILLER_SIC)],),
                       address=address, mortgages=(pick(rng, [0, 0, 0, 1, 2]), 0))

    def psc_snapshot(self) -> None:
        story, s = self.story, self.scale
        name = f"persons-with-significant-control-snapshot-{PSC_DATE.isoformat()}"
        path, member = self.target("companies-house", name, "txt")
        rng = random.Random(self.seed + 3)
        filler_companies = max(0, s.companies - len(story.companies))
        filler_lines = max(0, s.psc_lines - len(story.psc) - 1)
        mean = filler_lines / filler_companies if filler_companies else 0
        counts = {"persons": 0, "statements": 0, "exemptions": 0}
        kinds: dict[str, int] = {}

        def emit(out, company, data):
            kind = data["kind"]
            kinds[kind] = kinds.get(kind, 0) + 1
            if kind == "persons-with-significant-control-statement":
                counts["statements"] += 1
            elif kind == "exemptions":
                counts["exemptions"] += 1
            else:
                counts["persons"] += 1
            out.write(_COMPACT({"company_number": company, "data": data}))
            out.write("\n")

        by_company: dict[str, list] = {}
        for company, data in story.psc:
            by_company.setdefault(company, []).append(data)
        story_companies = list(by_company.items())
        every = max(1, filler_companies // max(1, len(story_companies)))
        tick = _progress("PSC snapshot", filler_companies, self.quiet)
        fake = Story.__new__(Story)  # borrow the PSC builders for filler lines
        fake.rng, fake.psc = rng, []
        with text_out(path, member, newline="\n", compresslevel=self.compresslevel) as out:
            story_iter = iter(story_companies)
            for i in range(filler_companies):
                tick(i)
                if i % every == 0:
                    item = next(story_iter, None)
                    if item:
                        for data in item[1]:
                            emit(out, item[0], data)
                fake.psc = []
                self.filler_psc(fake, i, mean, filler_companies, rng)
                for company, data in fake.psc:
                    emit(out, company, data)
            for company, datas in story_iter:
                for data in datas:
                    emit(out, company, data)
            out.write(json.dumps({"data": {
                "kind": "totals#persons-of-significant-control-snapshot",
                "persons_of_significant_control_count": counts["persons"],
                "statements_count": counts["statements"], "exemptions_count": counts["exemptions"],
                "generated_at": f"{PSC_DATE.isoformat()}T03:40:50+00:00"}}, separators=(",", ":")) + "\n")
        self.counts["psc_lines"] = sum(counts.values())
        self.counts["psc_totals"] = counts
        self.counts["psc_kinds"] = dict(sorted(kinds.items()))
        self.manifest.append({"collector": "psc-snapshot", "files": [self.rel(path)]})

    @staticmethod
    def filler_psc(fake: Story, i: int, mean: float, filler_companies: int, rng) -> None:
        number = filler_number(i)
        if rng.random() < 0.02:
            return  # no PSC filed
        n = int(mean / 0.98 + rng.random())
        roe = number.startswith("OE")
        for k in range(n):
            roll = rng.random()
            ceased = rand_date(rng, 2017, 2025) if rng.random() < 0.12 else None
            if roll < 0.80:
                natures = [pick(rng, ["ownership-of-shares-25-to-50-percent", "ownership-of-shares-50-to-75-percent",
                                       "ownership-of-shares-75-to-100-percent"])]
                if roe:
                    natures = ["ownership-of-shares-more-than-25-percent-registered-overseas-entity"]
                elif rng.random() < 0.5:
                    natures.append(natures[0].replace("ownership-of-shares", "voting-rights"))
                fake.add_individual(number, natures, beneficial_owner=roe, ceased=ceased,
                                    notified=rand_date(rng, 2023 if roe else 2016, 2025))
            elif roll < 0.90 and not roe:
                j = rng.randrange(filler_companies)
                parent = filler_number(j)
                if parent.startswith("OE") or j == i:
                    parent, j = filler_number(j + 1), j + 1
                fake.add_corporate(number, filler_name(j), unpadded(parent) if rng.random() < 0.7 else parent,
                                   country_registered=pick(rng, ["England", "England And Wales", "United Kingdom",
                                                                  "Wales", "Scotland"]),
                                   ceased=ceased)
            elif roll < 0.90:
                off = filler_offshore(i + k)
                fake.add_corporate(number, f"{filler_name(i).rsplit(' ', 1)[0]} HOLDINGS INC",
                                   str(between(rng, 1000, 999999)), country_registered=off[1],
                                   place_registered=off[2], beneficial_owner=True,
                                   natures=["ownership-of-shares-more-than-25-percent-registered-overseas-entity"])
            elif roll < 0.985:
                statements = (["all-beneficial-owners-identified", "no-beneficial-owner-identified"] if roe else
                              ["no-individual-or-entity-with-signficant-control", *PSC_STATEMENTS_UNKNOWN,
                               "psc-has-failed-to-confirm-changed-details", "restrictions-notice-issued-to-psc"])
                fake.add_statement(number, pick(rng, statements), ceased=ceased)
            elif roll < 0.995:
                fake.add_legal_person(number, f"THE {pick(rng, N.TOWNS)[0].upper()} MUNICIPAL TRUST",
                                      "Statutory Body", "Local Government Act 1972",
                                      ["significant-influence-or-control"], beneficial_owner=roe)
            else:
                fake.add_super_secure(number, beneficial_owner=roe)

    # -- HM Land Registry ----------------------------------------------------------

    def title_cells(self, t: Title, ocod: bool) -> list[str]:
        row = [t.number, t.tenure, t.address, t.district, t.county, t.region, t.postcode, t.multiple, t.price]
        for n in range(4):
            if n < len(t.proprietors):
                name, number, cat, country, a1, a2, a3 = t.proprietors[n]
                row += [name, number, cat] + ([country] if ocod else []) + [a1, a2, a3]
            else:
                row += [""] * (7 if ocod else 6)
        row += [dmy(t.added, "-"), t.additional]
        return row

    def filler_title(self, k: int, rng, ocod: bool) -> Title:
        town = N.TOWNS[rng.randrange(len(N.TOWNS))]
        pc = postcode(rng, town[3])
        street = pick(rng, N.STREETS)
        num = between(rng, 1, 300)
        if rng.random() < 0.1:
            address = f"{num} to {num + between(rng, 2, 20)} (even) {street}, {town[0]} ({pc})"
        else:
            address = f"{num} {street}, {town[0]} ({pc})"
        owners = []
        for _ in range(1 if rng.random() < 0.93 else 2):
            if ocod:
                j = rng.randrange(max(1, self.filler_companies // 211)) * 211
                off = filler_offshore(j)
                if rng.random() < 0.75:
                    owners.append((filler_name(j), "" if rng.random() < 0.4 else str(between(rng, 1000, 999999)),
                                   CAT_COMPANY, off[0], f"{between(rng, 1, 99)} Harbour Row, {off[2]}", "", ""))
                else:  # an overseas company with no ROE record
                    owners.append((f"{N.STEMS_A[k % 20]}{N.STEMS_B[k % 10]} OVERSEAS {k} CORP", str(between(rng, 1000, 999999)),
                                   "Corporate Body", off[0], f"{between(rng, 1, 99)} Bay Street, {off[2]}", "", ""))
            else:
                j = rng.randrange(max(1, self.filler_companies - 1))
                number = filler_number(j)
                if number.startswith("OE"):
                    j += 1
                    number = filler_number(j)
                category = COMPANY_LLP if number.startswith("OC") else CAT_COMPANY
                category = "Limited Liability Partnership" if number.startswith("OC") else category
                owners.append((filler_name(j), unpadded(number) if rng.random() < 0.7 else number, category, "",
                               f"{between(rng, 1, 99)} {pick(rng, N.STREETS)}, {town[0]} {pc}", "", ""))
        return Title(number=f"{N.TITLE_PREFIX[town[1]]}{5_000_000 + k}", tenure=pick(rng, ["Freehold", "Leasehold"]),
                     address=address, district=town[0].upper(), county=town[1].upper(), region=N.CCOD_REGION[town[2]],
                     postcode=pc, price=str(rng.randrange(50, 2000) * 1000) if rng.random() < 0.5 else "",
                     proprietors=owners, added=rand_date(rng, 1998, 2026), dataset="ocod" if ocod else "ccod",
                     multiple="Y" if rng.random() < 0.02 else "N", additional="Y" if rng.random() < 0.01 else "N")

    def land_registry(self) -> None:
        story, s = self.story, self.scale
        rng = random.Random(self.seed + 4)
        story_ccod = [t for t in story.titles if t.dataset == "ccod"]
        story_ocod = [t for t in story.titles if t.dataset == "ocod"]
        filler_total = max(0, s.titles - len(story.titles))
        filler_ocod = filler_total // 40  # OCOD is about a fortieth of CCOD
        filler_ccod = filler_total - filler_ocod
        plan = {"ccod": (story_ccod, filler_ccod, CCOD_HEADER), "ocod": (story_ocod, filler_ocod, OCOD_HEADER)}
        changes = self.changes(rng)
        k = 0
        for dataset, (story_titles, filler, header) in plan.items():
            ocod = dataset == "ocod"
            full_name = f"{dataset.upper()}_FULL_{LR_FULL[0]}_{LR_FULL[1]:02d}"
            path, member = self.target("land-registry", full_name, "csv")
            tick = _progress(full_name, filler, self.quiet)
            rows = 0
            every = max(1, filler // max(1, len(story_titles)))
            with text_out(path, member, compresslevel=self.compresslevel) as out:
                writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
                writer.writerow(header)
                story_iter = iter(story_titles)
                for i in range(filler):
                    tick(i)
                    if i % every == 0:
                        t = next(story_iter, None)
                        if t:
                            writer.writerow(self.title_cells(t, ocod))
                            rows += 1
                    title = self.filler_title(k, rng, ocod)
                    k += 1
                    if i < 3 and not ocod:
                        changes["filler_deleted"].append(title)
                    writer.writerow(self.title_cells(title, ocod))
                    rows += 1
                for t in story_iter:
                    writer.writerow(self.title_cells(t, ocod))
                    rows += 1
                writer.writerow([f"Row Count: {rows}"])
            self.counts[f"{dataset}_full_rows"] = rows

            cou_name = f"{dataset.upper()}_COU_{LR_COU[0]}_{LR_COU[1]:02d}"
            cou_path, cou_member = self.target("land-registry", cou_name, "csv")
            cou_rows = []
            for change, title in changes[dataset]:
                cou_rows.append(self.title_cells(title, ocod) + [change, dmy(COU_CHANGE_DATE, "-")])
            if not ocod:
                for title in changes["filler_deleted"]:
                    cou_rows.append(self.title_cells(title, ocod) + ["D", dmy(COU_CHANGE_DATE, "-")])
                for _ in range(3):
                    title = self.filler_title(k, rng, ocod)
                    k += 1
                    cou_rows.append(self.title_cells(title, ocod) + ["A", dmy(COU_CHANGE_DATE, "-")])
            with text_out(cou_path, cou_member, compresslevel=self.compresslevel) as out:
                writer = csv.writer(out, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
                writer.writerow(header + COU_EXTRA)
                writer.writerows(cou_rows)
                writer.writerow([f"Row Count: {len(cou_rows)}"])
            self.counts[f"{dataset}_cou_rows"] = len(cou_rows)
            self.counts[f"{dataset}_cou_indicators"] = {
                c: sum(1 for r in cou_rows if r[-2] == c) for c in ("A", "D")}
            self.manifest.append({"collector": dataset, "files": [self.rel(path), self.rel(cou_path)]})
        self.counts["titles_full"] = self.counts["ccod_full_rows"] + self.counts["ocod_full_rows"]

    def changes(self, rng) -> dict:
        """Next month: Abbotsmead sells three homes to Redstone Bay (Delaware, no ROE record)."""
        story = self.story
        facts = story.facts["big_operator"]
        seller = next(l for l in facts["landlords"] if l["key"] == "abbotsmead")
        buyer_proprietor = next(t for t in story.titles
                                if t.proprietors and t.proprietors[0][0] == "REDSTONE BAY HOLDINGS LLC").proprietors[0]
        sold = [t for t in story.titles if t.number in set(seller["titles"][:3])]
        out = {"ccod": [], "ocod": [], "filler_deleted": []}
        for t in sold:
            out["ccod"].append(("D", t))
            new = Title(**{**t.__dict__, "proprietors": [buyer_proprietor], "dataset": "ocod",
                           "added": datetime.date(2026, 10, 27), "price": str(rng.randrange(1500, 3500) * 1000)})
            out["ocod"].append(("A", new))
        story.facts["changes_next_month"] = {
            "title_transfers": [{"title_number": t.number, "from": seller["name"], "to": buyer_proprietor[0]}
                                for t in sold],
            "change_date": COU_CHANGE_DATE.isoformat(),
        }
        return out

    # -- BODS, truth, scenario ------------------------------------------------------

    def accounts(self) -> None:
        """The Accounts Data Product: four Septembers of the story companies' accounts (``datasets/accounts.py``)."""
        from .accounts import demo_filings

        facts = self.story.facts
        big, group = facts["big_operator"], facts["common_control"]
        companies = {
            "brackenfold_operator": (big["company_number"], big["name"].upper()),
            "brackenfold_holdings": (big["parent_company_number"], big["parent"]),
            "willowmere_operator": (group["operator_company_number"], group["operator"]),
            "willowmere_landlord": (group["landlord_company_number"], group["landlord"]),
        }
        uk = next((l for l in big["landlords"] if l["register"] == "ccod" and l["traceable"] and l["company_number"]),
                  None)
        if uk:
            companies["uk_landlord"] = (uk["company_number"], uk["name"])
        first = self.story.scale.companies // 2 + 1  # fillers past the half that owns neighbouring titles
        for k in range(3):
            companies[f"filler_{k}"] = (filler_number(first + k), filler_name(first + k))
        directory = self.out / "companies-house-accounts"
        directory.mkdir(parents=True, exist_ok=True)
        paths = []
        for name, data in demo_filings(companies):
            (directory / name).write_bytes(data)
            paths.append(self.rel(directory / name))
        self.counts["accounts_zips"] = len(paths)
        self.manifest.append({"collector": "companies-house-accounts", "files": paths})

    def bods(self) -> None:
        path = self.out / "bods" / "orchard-reach-2026-11.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(self.story.bods, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        self.counts["bods_statements"] = len(self.story.bods)
        self.manifest.append({"collector": "bods", "files": [self.rel(path)]})

    def truth(self) -> None:
        path = self.out / "truth" / "home_titles.csv"
        path.parent.mkdir(parents=True, exist_ok=True)
        with open(path, "w", newline="", encoding="utf-8") as out:
            writer = csv.writer(out, lineterminator="\n")
            writer.writerow(["location_id", "title_number", "role", "owner"])
            writer.writerows(self.story.truth)

    def scenario(self, scale_name: str) -> None:
        story = self.story
        homes = [h for h in story.homes if h.care_home and h.status == "Registered"]
        facts = {
            "format_version": FORMAT_VERSION, "seed": self.seed, "scale": scale_name,
            "dates": {"as_of": AS_OF.isoformat(), "cqc": CQC_DATE.isoformat(), "companies_house": CH_DATE.isoformat(),
                      "psc_snapshot": PSC_DATE.isoformat(), "land_registry_full": "%d-%02d" % LR_FULL,
                      "land_registry_changes": "%d-%02d" % LR_COU},
            "care_homes": len(homes),
            **story.facts,
            "counts": self.counts,
            "assumptions": [
                "CCOD/OCOD change-only files put Change Indicator and Change Date after the last column "
                "(formats.md leaves their position unverified).",
                "BasicCompanyData lists Registered Overseas Entities with CompanyCategory "
                "'Registered Overseas Entity' and their country in CountryOfOrigin.",
                "The Row Count trailer is written as one quoted CSV field, like every other field.",
            ],
        }
        (self.out / "scenario.json").write_text(json.dumps(facts, indent=2, ensure_ascii=False) + "\n",
                                                encoding="utf-8")
        (self.out / "manifest.json").write_text(json.dumps({
            "about": "Files per collector, in the order to collect them (full files before change files).",
            "collect": self.manifest}, indent=2) + "\n", encoding="utf-8")


STEPS = ["cqc", "basic_company_data", "psc_snapshot", "land_registry", "bods", "accounts", "truth"]
_WRITER: "Writer | None" = None


def _write_step(name: str):
    """Write one group of files; returns what the scenario needs from it (also across processes)."""
    writer = _WRITER
    writer.manifest, writer.counts = [], {}
    if not writer.quiet:
        print(f"generate: {name}", file=sys.stderr, flush=True)
    getattr(writer, name)()
    facts = {k: v for k, v in writer.story.facts.items() if k == "changes_next_month"}
    return writer.counts, writer.manifest, facts


def generate(out: str | Path, *, scale: str | Scale = "demo", seed: int = SEED, zipped: bool = True,
             quiet: bool = True, divide: int = 1, jobs: int | None = None) -> dict:
    """Write every file into ``out`` and return the scenario facts."""
    out = Path(out)
    scale_name = scale if isinstance(scale, str) else "custom"
    scale = SCALES[scale] if isinstance(scale, str) else scale
    if divide > 1:
        scale, scale_name = divided(scale, divide), f"{scale_name}/{divide}"
    global _WRITER
    story = Story(scale, seed)
    writer = _WRITER = Writer(story, out, seed, zipped, quiet)
    if jobs is None:
        jobs = min(4, os.cpu_count() or 1) if scale.companies > 100_000 else 1
    if jobs > 1:  # each file has its own random stream, so processes give the same bytes
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context("fork")) as pool:
            results = list(pool.map(_write_step, STEPS))
    else:
        results = [_write_step(name) for name in STEPS]
    writer.manifest = []
    for counts, manifest, facts in results:
        writer.counts.update(counts)
        writer.manifest += manifest
        story.facts.update(facts)
    writer.scenario(scale_name)
    return json.loads((out / "scenario.json").read_text())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m datasets.generate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", default="demo", help=f"one of {', '.join(SCALES)} (default demo)")
    parser.add_argument("--out", default="datasets/demo", help="output directory (default datasets/demo)")
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--divide", type=int, default=1, metavar="N",
                        help="divide every count by N (e.g. --scale national --divide 100 for a trial)")
    parser.add_argument("--jobs", type=int, default=None,
                        help="processes writing files at once (default: up to 4 at national size, else 1)")
    parser.add_argument("--plain", action="store_true", help="write .csv/.txt files instead of the .zip downloads")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.scale not in SCALES:
        parser.error(f"unknown scale {args.scale!r}; choose one of {', '.join(SCALES)}")
    facts = generate(args.out, scale=args.scale, seed=args.seed, zipped=not args.plain, quiet=args.quiet,
                     divide=args.divide, jobs=args.jobs)
    print(f"wrote {args.out}: {facts['care_homes']:,} care homes, {facts['counts']['companies']:,} companies, "
          f"{facts['counts']['psc_lines']:,} PSC lines, {facts['counts']['titles_full']:,} titles", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
