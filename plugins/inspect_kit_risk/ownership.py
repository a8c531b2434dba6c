"""Ownership scorers: untraceable owners, secrecy jurisdictions, common control.

They read what the ownership resolver left in ``ownership_paths`` and
``ultimate_owners``; they never walk ``relationships`` themselves, so that
"untraceable" means exactly what DESIGN.md says and the resolver decides.
"""

from __future__ import annotations

import json

from collections import defaultdict
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer

from . import reading
from .flags import make_flag, plural, source_row
from .secrecy import load_lists, lookup

UNTRACEABLE_SCORES = {
    "not_in_register": 1.0,
    "foreign_not_found": 1.0,
    "unknown_owner": 0.9,
    "cycle": 0.9,
    "no_psc_filed": 0.8,
    "super_secure": 0.6,
    "not_linked": 0.9,
}

END_KIND_WORDS = {
    "unknown_owner": "an owner the register declares unknown",
    "super_secure": "a super-secure owner",
    "not_in_register": "an entity found in no register",
    "foreign_not_found": "a foreign owner with no register record",
    "no_psc_filed": "a company that filed no PSC, statement or exemption",
    "cycle": "a cycle of companies that reaches no person",
    "not_linked": "a proprietor that matches no register entity",
}


def _name(entities: dict, entity_id: str | None, fallback: str | None = None) -> str:
    entity = entities.get(entity_id) if entity_id else None
    return (entity or {}).get("name") or fallback or entity_id or "an unnamed proprietor"


def _home_sources(landlord_rows: list[dict]) -> list[dict]:
    sources = []
    for r in landlord_rows:
        sources.append({"table": "care_home_titles", "location_id": r["location_id"],
                        "title_number": r["title_number"], "method": r["method"], "confidence": r["confidence"]})
        sources.append(source_row("title_proprietors", r, "title_number", "position"))
    return sources


def _untraceable_words(paths: list[dict]) -> str:
    kinds = sorted({p["end_kind"] or "unknown" for p in paths})
    return ", ".join(END_KIND_WORDS.get(k, k) for k in kinds)


class UntraceableScorer(Scorer):
    name = "untraceable"
    description = (
        "Flags entities with an ownership path that does not end at an identified ultimate owner "
        "(untraceable_owner), and homes whose landlord or operator is such an entity."
    )
    version = "1"
    defaults = {
        "end_kind_scores": UNTRACEABLE_SCORES,
        # An OCOD proprietor that the resolver could not link to any register entity.
        "unlinked_proprietor_is_untraceable": True,
    }

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        kind_scores = {**UNTRACEABLE_SCORES, **settings["end_kind_scores"]}
        conn = context.registry.conn
        chains = reading.Chains.load(conn)
        ents = reading.entities(conn, chains.paths)

        def entity_score(paths):
            return max(kind_scores.get(p["end_kind"], 1.0) for p in paths)

        for subject_id, paths in chains.paths.items():
            bad = [p for p in paths if p["traceable"] == 0]
            if not bad:
                continue
            yield make_flag(
                "entity", subject_id, "untraceable_owner",
                score=entity_score(bad),
                settings=settings,
                rule="an ownership path ends other than at a person, listed company, public body or charity",
                threshold="any untraceable path",
                explanation=(
                    f"The ownership of {_name(ents, subject_id)} cannot be traced: "
                    f"{len(bad)} of {plural(len(paths), 'path')} above it end at {_untraceable_words(bad)}."
                ),
                paths=[reading.path_evidence(p) for p in bad],
                sources=[{"table": "ownership_paths", "subject_id": subject_id, "path_number": p["path_number"],
                          "resolver": p.get("resolver")} for p in bad],
            )

        landlords = reading.home_landlords(conn)
        ents.update(reading.entities(conn, [r["entity_id"] for rs in landlords.values() for r in rs]))
        for location_id, landlord_rows in landlords.items():
            found = []
            for r in landlord_rows:
                if r["entity_id"]:
                    bad = chains.untraceable_paths(r["entity_id"])
                    if bad:
                        found.append((r, bad, entity_score(bad)))
                elif settings["unlinked_proprietor_is_untraceable"]:
                    fake = {"end_kind": "not_linked", "reason": "the proprietor matches no register entity"}
                    found.append((r, [fake], kind_scores["not_linked"]))
            if not found:
                continue
            names = sorted({_name(ents, r["entity_id"], r["name"]) for r, _, _ in found})
            yield make_flag(
                "care_home", location_id, "untraceable_landlord",
                score=max(s for _, _, s in found),
                settings=settings,
                rule="a current proprietor of the home's title has an untraceable ownership path, "
                "or matches no register entity",
                threshold="any untraceable path",
                explanation=(
                    f"The landlord ({'; '.join(names)}) of this home cannot be traced to its owners: "
                    f"its chain ends at {_untraceable_words([p for _, ps, _ in found for p in ps])}."
                ),
                landlords=[
                    {"title_number": r["title_number"], "position": r["position"], "name": r["name"],
                     "entity_id": r["entity_id"], "country_incorporated": r["country_incorporated"],
                     "paths": [reading.path_evidence(p) if "path_number" in p else p for p in ps]}
                    for r, ps, _ in found
                ],
                sources=_home_sources([r for r, _, _ in found]),
            )

        homes = reading.homes(conn)
        providers = reading.operators(conn)
        ents.update(reading.entities(conn, [p["entity_id"] for p in providers.values()]))
        for location_id, home in homes.items():
            provider = providers.get(home["provider_id"])
            if not provider or not provider["entity_id"]:
                continue  # an individual or an unlinked provider: nothing to trace here
            bad = chains.untraceable_paths(provider["entity_id"])
            if not bad:
                continue
            yield make_flag(
                "care_home", location_id, "untraceable_operator",
                score=entity_score(bad),
                settings=settings,
                rule="the operator has an untraceable ownership path",
                threshold="any untraceable path",
                explanation=(
                    f"The operator of this home, {_name(ents, provider['entity_id'], provider['name'])}, "
                    f"cannot be traced to its owners: its chain ends at {_untraceable_words(bad)}."
                ),
                operator={"provider_id": provider["provider_id"], "entity_id": provider["entity_id"]},
                paths=[reading.path_evidence(p) for p in bad],
                sources=[source_row("care_homes", home, "location_id", "provider_id"),
                         source_row("providers", provider, "provider_id", "entity_id")],
            )


class SecrecyScorer(Scorer):
    name = "secrecy"
    description = (
        "Flags entities with an entity on their ownership chain incorporated in a secrecy jurisdiction "
        "(secrecy_jurisdiction), and homes whose landlord or operator chain has one "
        "(offshore_landlord, offshore_operator). The jurisdiction lists are data files."
    )
    version = "1"
    defaults = {
        "include_default": True,
        "list_file": None,
        "list_name": None,
        "list_edition": None,
        "code_column": None,
        "score_column": None,
        "min_score": None,
    }

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        lists = load_lists(settings)
        conn = context.registry.conn
        chains = reading.Chains.load(conn)
        codes = sorted({code for lst in lists for code in lst.entries})
        marks = ", ".join("?" for _ in codes)
        offshore_ids = {
            row[0] for row in conn.execute(
                f"SELECT id FROM entities WHERE valid_to IS NULL AND upper(substr(jurisdiction, 1, 2)) IN ({marks})",
                codes,
            )
        } if codes else set()
        ents = reading.chain_entities(
            conn, chains, set(chains.paths) | offshore_ids | reading.landlord_and_operator_ids(conn))
        listed_names = [lst.describe() for lst in lists]

        def hits_for(entity_id: str | None, country: str | None = None) -> list[dict]:
            hits = []
            nodes = chains.chain(entity_id) if entity_id else []
            for node in nodes:
                code = reading.jurisdiction_code((ents.get(node) or {}).get("jurisdiction"))
                if node == entity_id and not code:
                    code = reading.jurisdiction_code(country)
                matches = lookup(lists, code)
                if matches:
                    hits.append(self._hit(node, code, matches, ents, chains, entity_id))
            if not entity_id:
                code = reading.jurisdiction_code(country)
                matches = lookup(lists, code)
                if matches:
                    hits.append({"entity_id": None, "jurisdiction": code,
                                 "lists": [{**lst.describe(), "score": e.score} for lst, e in matches],
                                 "score": max(e.score for _, e in matches)})
            return hits

        subjects = set(chains.paths) | offshore_ids
        for subject_id in sorted(subjects):
            hits = hits_for(subject_id)
            if not hits:
                continue
            where = sorted({h["jurisdiction"] for h in hits})
            yield make_flag(
                "entity", subject_id, "secrecy_jurisdiction",
                score=max(h["score"] for h in hits),
                settings=settings,
                rule="an entity on the ownership chain is incorporated in a listed secrecy jurisdiction",
                threshold={"lists": listed_names, "min_score": settings.get("min_score")},
                explanation=(
                    f"{_name(ents, subject_id)} has {plural(len(hits), 'entity', 'entities')} on its ownership "
                    f"chain incorporated in {', '.join(where)}, on the {lists_label(hits)}."
                ),
                offshore=hits,
                sources=[{"table": "entities", "id": h["entity_id"], "jurisdiction": h["jurisdiction"]}
                         for h in hits],
            )

        for location_id, landlord_rows in reading.home_landlords(conn).items():
            found = []
            for r in landlord_rows:
                hits = hits_for(r["entity_id"], r["country_incorporated"])
                if hits:
                    found.append((r, hits))
            if not found:
                continue
            all_hits = [h for _, hs in found for h in hs]
            names = sorted({_name(ents, r["entity_id"], r["name"]) for r, _ in found})
            yield make_flag(
                "care_home", location_id, "offshore_landlord",
                score=max(h["score"] for h in all_hits),
                settings=settings,
                rule="the landlord, or an entity on its ownership chain, is incorporated in a listed "
                "secrecy jurisdiction",
                threshold={"lists": listed_names, "min_score": settings.get("min_score")},
                explanation=(
                    f"The landlord of this home ({'; '.join(names)}) has its chain in "
                    f"{', '.join(sorted({h['jurisdiction'] for h in all_hits}))}, on the {lists_label(all_hits)}."
                ),
                landlords=[{"title_number": r["title_number"], "position": r["position"], "name": r["name"],
                            "entity_id": r["entity_id"], "country_incorporated": r["country_incorporated"],
                            "offshore": hs} for r, hs in found],
                sources=_home_sources([r for r, _ in found]),
            )

        providers = reading.operators(conn)
        for location_id, home in reading.homes(conn).items():
            provider = providers.get(home["provider_id"])
            if not provider or not provider["entity_id"]:
                continue
            hits = hits_for(provider["entity_id"])
            if not hits:
                continue
            yield make_flag(
                "care_home", location_id, "offshore_operator",
                score=max(h["score"] for h in hits),
                settings=settings,
                rule="the operator, or an entity on its ownership chain, is incorporated in a listed "
                "secrecy jurisdiction",
                threshold={"lists": listed_names, "min_score": settings.get("min_score")},
                explanation=(
                    f"The operator of this home, {_name(ents, provider['entity_id'], provider['name'])}, "
                    f"has its chain in {', '.join(sorted({h['jurisdiction'] for h in hits}))}, "
                    f"on the {lists_label(hits)}."
                ),
                operator={"provider_id": provider["provider_id"], "entity_id": provider["entity_id"]},
                offshore=hits,
                sources=[source_row("care_homes", home, "location_id", "provider_id"),
                         source_row("providers", provider, "provider_id", "entity_id")],
            )

    @staticmethod
    def _hit(node, code, matches, ents, chains, subject_id) -> dict:
        path = next((p for p in chains.paths.get(subject_id, ()) if node in p["path"] or node == p["end_id"]), None)
        return {
            "entity_id": node,
            "name": (ents.get(node) or {}).get("name"),
            "jurisdiction": code,
            "lists": [{**lst.describe(), "score": e.score} for lst, e in matches],
            "score": max(e.score for _, e in matches),
            "path": reading.path_evidence(path) if path and node != subject_id else None,
        }


def lists_label(hits: list[dict]) -> str:
    names = sorted({f"{l['name']} ({l['edition']})" if l.get("edition") else l["name"]
                    for h in hits for l in h["lists"]})
    return " and ".join(names)


class CommonControlScorer(Scorer):
    name = "common_control"
    description = (
        "Flags homes whose landlord and operator share an owner: a common ultimate owner, "
        "or a company on both ownership chains (rent paid within the group)."
    )
    version = "1"
    defaults = {"score": 0.5}

    def score(self, context: BuildContext) -> Iterator[Any]:
        """One flag per home in the ownership resolver's ``common_control`` table."""
        settings = context.settings(self)
        conn = context.registry.conn
        if not reading.table_exists(conn, "common_control"):
            return
        shared_by_home: dict[str, list[dict]] = defaultdict(list)
        cursor = conn.execute(
            "SELECT location_id, title_number, operator_id, landlord_id, owner_id, owner_name, "
            "operator_path, landlord_path FROM common_control "
            "WHERE nearest AND landlord_id IS NOT operator_id ORDER BY location_id, title_number, owner_id"
        )
        names = [d[0] for d in cursor.description]
        for row in cursor:
            row = dict(zip(names, row))
            row["operator_path"] = json.loads(row["operator_path"] or "[]")
            row["landlord_path"] = json.loads(row["landlord_path"] or "[]")
            shared_by_home[row["location_id"]].append(row)
        landlords = reading.home_landlords(conn)
        for location_id, shared in shared_by_home.items():
            owners = sorted({r["owner_name"] or r["owner_id"] for r in shared})
            yield make_flag(
                "care_home", location_id, "common_control",
                score=settings["score"],
                settings=settings,
                rule="an entity is on both the landlord's and the operator's ownership chains",
                threshold="one shared owner",
                explanation=(
                    f"The landlord and the operator of this home are under common control "
                    f"({', '.join(owners[:3])}), so its rent is paid within one group."
                ),
                shared=shared,
                sources=_home_sources(landlords.get(location_id, [])),
            )
