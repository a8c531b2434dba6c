"""The graph as FollowTheMoney entities, one JSON object a line, for Aleph (``ftm`` / ``alephclient``).

The documented FtM shape, ``{"id", "schema", "properties": {name: [values]}}``,
is written directly: the ``followthemoney`` library would pull in a large
dependency tree for what is a plain mapping here. Mapping:

- companies and other organisations -> ``Company`` (``LegalEntity`` kinds keep their
  type in ``legalForm``), public bodies -> ``PublicBody``, persons -> ``Person``
  (birth month only, never an address);
- ownership and control -> ``Ownership`` (owner, asset, percentage, role); an owner
  declared unknown has no entity: its reason goes into the subject's ``notes``;
- care homes -> ``Organization``; titles -> ``RealEstate``; operator -> home,
  home -> title: ``UnknownLink`` with a role; landlord -> title: ``Ownership``.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Iterator

from .graph import Edge, Node, read_graph

_UNSAFE = re.compile(r"[^a-z0-9]+")
COMPANY_URL = "https://find-and-update.company-information.service.gov.uk/company/{}"
CQC_URL = "https://www.cqc.org.uk/location/{}"


def ftm_id(key: str) -> str:
    """A readable, stable id that Aleph accepts: a slug of the registry id plus a short hash."""
    slug = _UNSAFE.sub("-", key.lower()).strip("-")[:60]
    return f"ik-{slug}-{hashlib.sha1(key.encode('utf-8')).hexdigest()[:10]}"


def _percentage(low, high) -> str | None:
    def number(value):
        return f"{value:g}"

    if low is None and high is None:
        return None
    if low == high:
        return number(low)
    return f"{number(low) if low is not None else '?'}-{number(high) if high is not None else '?'}"


def _props(**values) -> dict:
    return {k: [str(v)] for k, v in values.items() if v not in (None, "")}


def _entity(node: Node, notes: list[str]) -> dict:
    a = node.attributes
    kind = a.get("entity_type")
    if kind in ("person", "super_secure"):
        name = node.label if kind == "person" else "Undisclosed person (super-secure)"
        props = _props(name=name, birthDate=a.get("birth_month"), nationality=a.get("nationality"))
        schema = "Person"
    else:
        schema = "PublicBody" if kind == "public_body" else "Company"
        number = a.get("company_number")
        props = _props(
            name=node.label,
            jurisdiction=(a.get("jurisdiction") or "").lower()[:2] or None,
            registrationNumber=number,
            incorporationDate=a.get("incorporation_date"),
            dissolutionDate=a.get("dissolution_date"),
            address=a.get("address"),
            status=a.get("status"),
            legalForm=kind if kind not in (None, "company", "public_body") else None,
        )
        if node.id.startswith("GB-COH-") and "/" not in node.id:
            props["sourceUrl"] = [COMPANY_URL.format(node.id[len("GB-COH-"):])]
    if notes:
        props["notes"] = notes
    props.setdefault("name", [node.id])
    return {"id": ftm_id(node.id), "schema": schema, "properties": props}


def _other_node(node: Node) -> dict | None:
    a = node.attributes
    if node.kind == "care_home":
        address = ", ".join(p for p in (a.get("address"), a.get("postcode")) if p) or None
        notes = [f"CQC rating: {a['rating']}"] if a.get("rating") else []
        if a.get("beds"):
            notes.append(f"Registered beds: {a['beds']}")
        props = _props(name=node.label, address=address, country="gb", sector="Care home",
                       registrationNumber=a.get("location_id"), status=a.get("status"),
                       sourceUrl=CQC_URL.format(a["location_id"]) if a.get("location_id") else None)
        if notes:
            props["notes"] = notes
        return {"id": ftm_id(node.id), "schema": "Organization", "properties": props}
    if node.kind == "provider":
        return {"id": ftm_id(node.id), "schema": "Company", "properties": _props(
            name=node.label, registrationNumber=a.get("company_number"), jurisdiction="gb",
            notes=f"CQC provider {a.get('provider_id')}")}
    if node.kind == "title":
        return {"id": ftm_id(node.id), "schema": "RealEstate", "properties": _props(
            name=f"Title {node.label}", titleNumber=a.get("title_number"), tenure=a.get("tenure"),
            address=", ".join(p for p in (a.get("property_address"), a.get("postcode")) if p) or None,
            country="gb", amount=a.get("price_paid"), currency="GBP" if a.get("price_paid") else None)}
    if node.kind == "proprietor":
        return {"id": ftm_id(node.id), "schema": "Company", "properties": _props(
            name=node.label, registrationNumber=a.get("company_number"),
            jurisdiction=(a.get("jurisdiction") or "").lower()[:2] or None,
            notes="Registered proprietor of a land title, not matched to a register entry")}
    return None


def _edge(edge: Edge, schemas: dict[str, str]) -> dict | None:
    a = edge.attributes
    if edge.kind == "owns":
        if edge.source.startswith("unknown_owner:"):
            return None  # written as notes on the subject
        owned = schemas.get(edge.target)
        if owned in ("Company", "RealEstate"):
            return {"id": ftm_id(edge.id), "schema": "Ownership", "properties": _props(
                owner=ftm_id(edge.source), asset=ftm_id(edge.target),
                percentage=_percentage(a.get("share_min"), a.get("share_max")),
                role=a.get("interest_type"), summary=a.get("interest_detail"),
                startDate=a.get("start_date"), endDate=a.get("end_date"), recordId=edge.id)}
        return {"id": ftm_id(edge.id), "schema": "UnknownLink", "properties": _props(
            subject=ftm_id(edge.source), object=ftm_id(edge.target),
            role=a.get("interest_type") or "control", startDate=a.get("start_date"), endDate=a.get("end_date"))}
    if edge.kind == "proprietor":
        return {"id": ftm_id(edge.id), "schema": "Ownership", "properties": _props(
            owner=ftm_id(edge.source), asset=ftm_id(edge.target), role="Registered proprietor")}
    role = {"operates": "Operator of the care home", "stands_on": "Care home stands on this land title"}[edge.kind]
    return {"id": ftm_id(edge.id), "schema": "UnknownLink", "properties": _props(
        subject=ftm_id(edge.source), object=ftm_id(edge.target), role=role)}


def unknown_owner_notes(conn) -> dict[str, list[str]]:
    """Per subject, the owners its register declares unknown, as notes a reader can follow."""
    notes: dict[str, list[str]] = {}
    has = conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'relationships'").fetchone()
    if not has:
        return notes
    for subject, reason, description in conn.execute(
        "SELECT subject_id, unspecified_reason, unspecified_description FROM relationships "
        "WHERE interested_party_id IS NULL AND valid_to IS NULL ORDER BY id"
    ):
        text = f"Owner declared unknown: {reason or 'no reason given'}"
        notes.setdefault(subject, []).append(f"{text} ({description})" if description else text)
    return notes


def ftm_entities(conn) -> Iterator[dict]:
    notes = unknown_owner_notes(conn)
    schemas: dict[str, str] = {}
    for item in read_graph(conn):
        if isinstance(item, Node):
            if item.id in schemas or item.kind == "unknown_owner":
                continue
            entity = _entity(item, notes.get(item.id, [])) if item.kind == "entity" else _other_node(item)
            if entity:
                schemas[item.id] = entity["schema"]
                yield entity
        else:
            entity = _edge(item, schemas)
            if entity:
                yield entity


def write_ftm(conn, out) -> int:
    count = 0
    for entity in ftm_entities(conn):
        out.write((json.dumps(entity, ensure_ascii=False, sort_keys=True) + "\n").encode("utf-8"))
        count += 1
    return count
