"""Small registries built for one case each: homes, titles, landlords and chains.

The ownership resolver's results (ownership_paths, ultimate_owners,
care_home_titles, the derived entity_id columns) are written directly, as the
resolver would leave them, so the scorers are tested on their own.
"""

from __future__ import annotations

import datetime
import json

from inspect_kit import (
    BuildContext,
    CareHomeTitle,
    Collector,
    OwnershipPath,
    Resolver,
    UltimateOwner,
    Update,
)
from inspect_kit.records import Provider, TitleProprietor
from inspect_kit.registry import Registry

TRACEABLE_ENDS = {"person", "listed_company", "public_body", "charity"}


class Snapshot(Collector):
    takes_files = False

    def __init__(self, items, as_of, name="fixture"):
        self.items, self.as_of, self.name = list(items), as_of, name
        self.description = "Yields fixture records."

    def collect(self, run):
        run.as_of = self.as_of
        yield from self.items


class FakeResolver(Resolver):
    name = "ownership"
    description = "Writes the ownership results a test gives it."

    def __init__(self, items):
        self.items = items

    def resolve(self, context):
        return iter(self.items)


class Graph:
    """Collect records in dated runs, then write the resolver's results."""

    def __init__(self, tmp_path):
        self.registry = Registry.open(tmp_path / "registry.db")
        self.results = []
        self.paths: dict[str, int] = {}

    def collect(self, *records, as_of="2024-01-01", name="fixture"):
        self.registry.collect(Snapshot(records, as_of, name))
        return self

    def link_provider(self, provider_id, entity_id):
        self.results.append(Update(Provider, {"provider_id": provider_id}, {"entity_id": entity_id}))

    def link_proprietor(self, title_number, position, entity_id):
        self.results.append(
            Update(TitleProprietor, {"title_number": title_number, "position": position}, {"entity_id": entity_id})
        )

    def home_title(self, location_id, title_number, method="postcode+address", confidence=0.95):
        self.results.append(CareHomeTitle(location_id=location_id, title_number=title_number,
                                          method=method, confidence=confidence))

    def path(self, subject_id, chain, end_kind, end_id="last", reason=None):
        """An ownership path: ``chain`` is every entity from the subject up."""
        number = self.paths[subject_id] = self.paths.get(subject_id, 0) + 1
        end = chain[-1] if end_id == "last" else end_id
        self.results.append(OwnershipPath(
            subject_id=subject_id, path_number=number, depth=len(chain) - 1, path=json.dumps(chain),
            relationship_ids=json.dumps([f"{a}->{b}" for a, b in zip(chain, chain[1:])]),
            end_id=end, end_kind=end_kind, traceable=end_kind in TRACEABLE_ENDS,
            reason=reason or f"path ends: {end_kind}",
        ))
        if end_kind in TRACEABLE_ENDS and end:
            self.results.append(UltimateOwner(subject_id=subject_id, owner_id=end, owner_kind=end_kind,
                                              share_min=75, share_max=100, min_depth=len(chain) - 1, paths=1))

    def owner(self, subject_id, owner_id, kind="person", share_min=75.0, share_max=100.0):
        self.results.append(UltimateOwner(subject_id=subject_id, owner_id=owner_id, owner_kind=kind,
                                          share_min=share_min, share_max=share_max, min_depth=1, paths=1))

    def resolve(self):
        with self.registry.transaction():
            self.registry.store_results(FakeResolver(self.results), self.results)
        self.results = []
        return self.registry


def run_scorer(registry, scorer, config=None, today=datetime.date(2024, 6, 1)):
    """Run one scorer as ``inspect-kit build`` would, and return what it stored."""
    context = BuildContext(registry, config={"scorers": {scorer.name: config or {}}}, today=today)
    with registry.transaction():
        registry.store_results(scorer, scorer.score(context))
    return flags(registry, scorer.name)


def flags(registry, scorer_name=None):
    cursor = registry.conn.execute(
        "SELECT * FROM risk_flags" + (" WHERE scorer = ?" if scorer_name else "") + " ORDER BY flag, subject_id",
        (scorer_name,) if scorer_name else (),
    )
    names = [d[0] for d in cursor.description]
    found = []
    for row in cursor:
        r = dict(zip(names, row))
        r["evidence"] = json.loads(r["evidence"])
        found.append(r)
    return found


def by_flag(found, flag):
    return {f["subject_id"]: f for f in found if f["flag"] == flag}


def table(registry, name, order="rowid"):
    cursor = registry.conn.execute(f"SELECT * FROM [{name}] ORDER BY {order}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


# ---------------------------------------------------------------------------
# One operator and its landlords: the union's Southern Cross case in small.
# ---------------------------------------------------------------------------

def company(number, name, jurisdiction="GB", **kw):
    from inspect_kit import Entity

    return Entity(id=f"GB-COH-{number}", name=name, entity_type="company", jurisdiction=jurisdiction,
                  company_number=number, status=kw.pop("status", "active"), **kw)


def operator_graph(tmp_path):
    """Sunset Care (provider P1) runs homes H1..H10 on titles held by different landlords.

    H1  ROSE PROPCO: chain through a Cayman LP to an owner declared unknown
    H2  IVY PROPERTIES: owned by a listed plc (traceable)
    H3  OAK (JERSEY): Jersey company with a super-secure owner
    H4  ELM HOLDINGS: a cycle of two companies reaching no person
    H5  an independent home whose title is not in CCOD: no landlord known
    H6  an OCOD proprietor from the BVI that matches no register entity
    H7  WILLOW ESTATES: dissolved, but traced to a person
    H8  run by P2 (Shady Care) whose own chain files no PSC
    H9  SUNSET PROPERTIES: the operator's sister company (common control)
    H10 the operator owns the title itself
    """
    from inspect_kit import CareHome, Entity, Provider, Title, TitleProprietor

    g = Graph(tmp_path)
    homes = []
    for n, (name, provider) in enumerate(
        [("Rose House", "P1"), ("Ivy Lodge", "P1"), ("Oak Court", "P1"), ("Elm View", "P1"),
         ("Birch Cottage", "P1"), ("Ash Grange", "P1"), ("Willow Hall", "P1"), ("Hazel House", "P2"),
         ("Pine Manor", "P1"), ("Cedar Rest", "P1")], 1):
        homes.append(CareHome(location_id=f"1-{n:03d}", name=name, provider_id=provider, beds=20 + n,
                              local_authority="Leeds" if n % 2 else "Bradford", status="Registered",
                              rating="Good", registration_date="2012-04-01", last_inspection_date="2023-05-01"))
    providers = [
        Provider(provider_id="P1", name="SUNSET CARE LTD", company_number="00000001", ownership_type="Organisation"),
        Provider(provider_id="P2", name="SHADY CARE LTD", company_number="00000002", ownership_type="Organisation"),
    ]
    ents = [
        company("00000001", "SUNSET CARE LTD"),
        company("00000099", "SUNSET GROUP HOLDINGS LTD"),
        Entity(id="person-1", name="Ann Example", entity_type="person"),
        company("00000002", "SHADY CARE LTD"),
        company("00000011", "ROSE PROPCO LTD"),
        Entity(id="KY-LP-1", name="CAYMAN HOLDINGS LP", entity_type="legal_person", jurisdiction="KY"),
        company("00000012", "IVY PROPERTIES LTD"),
        Entity(id="GB-COH-00000050", name="BIG LISTED PLC", entity_type="company", jurisdiction="GB",
               company_number="00000050", listed=True, status="active"),
        Entity(id="GB-COH-OE000013", name="OAK (JERSEY) LIMITED", entity_type="overseas_entity", jurisdiction="JE",
               company_number="OE000013", status="registered"),
        company("00000014", "ELM HOLDINGS LTD"),
        company("00000015", "ELM INVESTMENTS LTD"),
        company("00000017", "WILLOW ESTATES LTD", status="dissolved", dissolution_date="2021-03-04"),
        Entity(id="person-7", name="Bob Example", entity_type="person"),
        company("00000019", "SUNSET PROPERTIES LTD"),
    ]
    titles, proprietors = [], []
    owners = {1: ("00000011", "ROSE PROPCO LTD"), 2: ("00000012", "IVY PROPERTIES LTD"),
              3: (None, "OAK (JERSEY) LIMITED"), 4: ("00000014", "ELM HOLDINGS LTD"),
              6: (None, "ASH OFFSHORE INC"), 7: ("00000017", "WILLOW ESTATES LTD"),
              8: ("00000012", "IVY PROPERTIES LTD"), 9: ("00000019", "SUNSET PROPERTIES LTD"),
              10: ("00000001", "SUNSET CARE LTD")}
    for n, (number, name) in owners.items():
        titles.append(Title(title_number=f"TT{n:04d}", tenure="Freehold", dataset="ocod" if number is None else "ccod",
                            date_proprietor_added="2010-01-01"))
        proprietors.append(TitleProprietor(
            title_number=f"TT{n:04d}", position=1, name=name, company_number=number,
            country_incorporated={3: "JE", 6: "VG"}.get(n, "GB")))
    g.collect(*homes, *providers, *ents, *titles, *proprietors, as_of="2024-01-01")

    g.link_provider("P1", "GB-COH-00000001")
    g.link_provider("P2", "GB-COH-00000002")
    for n, (number, _) in owners.items():
        if number:
            g.link_proprietor(f"TT{n:04d}", 1, f"GB-COH-{number}")
    g.link_proprietor("TT0003", 1, "GB-COH-OE000013")
    for n in owners:
        g.home_title(f"1-{n:03d}", f"TT{n:04d}")

    g.path("GB-COH-00000001", ["GB-COH-00000001", "GB-COH-00000099", "person-1"], "person")
    g.path("GB-COH-00000002", ["GB-COH-00000002"], "no_psc_filed", end_id=None,
           reason="active company files no PSC, statement or exemption")
    g.path("GB-COH-00000011", ["GB-COH-00000011", "KY-LP-1"], "unknown_owner", end_id=None,
           reason="PSC statement psc-exists-but-not-identified")
    g.path("GB-COH-00000012", ["GB-COH-00000012", "GB-COH-00000050"], "listed_company")
    g.path("GB-COH-OE000013", ["GB-COH-OE000013"], "super_secure", end_id=None, reason="super-secure beneficial owner")
    g.path("GB-COH-00000014", ["GB-COH-00000014", "GB-COH-00000015", "GB-COH-00000014"], "cycle",
           end_id="GB-COH-00000014", reason="the chain returns to GB-COH-00000014 without reaching a person")
    g.path("GB-COH-00000017", ["GB-COH-00000017", "person-7"], "person")
    g.path("GB-COH-00000019", ["GB-COH-00000019", "GB-COH-00000099", "person-1"], "person")
    return g.resolve()
