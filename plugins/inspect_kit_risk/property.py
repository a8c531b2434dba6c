"""Property-speculation scorers: who owns the building, how it changed hands, what is charged on it.

These are the warning signs of domain research §5 (CHPI's opco/propco and
sale-and-leaseback counts, title churn, layered secured debt, landlord SPVs),
read from HM Land Registry titles and their history in the registry.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer
from inspect_kit.matching import company_entity_id, normalise_company_number

from . import reading
from .flags import make_flag, plural, source_row
from .ownership import _home_sources, _name


def _landlord_id(row: dict) -> str | None:
    """The proprietor's entity, or the company entity its number names."""
    return row.get("entity_id") or company_entity_id(row.get("company_number"))


def _operator_ids(provider: dict) -> set[str]:
    return {i for i in (provider.get("entity_id"), company_entity_id(provider.get("company_number"))) if i}


def same_group(a: str | None, b_ids: set[str], chains: reading.Chains) -> bool:
    """``a`` is one of ``b_ids``, or shares an ultimate owner or a chain entity with one."""
    if not a or not b_ids:
        return False
    if a in b_ids:
        return True
    for b in b_ids:
        if chains.ultimate_owner_ids(a) & chains.ultimate_owner_ids(b):
            return True
        if set(chains.chain(a)) & set(chains.chain(b)):
            return True
    return False


def _context(conn):
    homes = reading.homes(conn)
    providers = reading.operators(conn)
    landlords = reading.home_landlords(conn)
    for location_id, landlord_rows in landlords.items():
        home = homes.get(location_id)
        if not home:
            continue
        provider = providers.get(home["provider_id"])
        yield home, provider, landlord_rows


class OpcoPropcoScorer(Scorer):
    name = "opco_propco_split"
    description = "Flags homes whose operator does not own the title: a different entity, the landlord, does."
    version = "1"
    defaults = {"score_same_group": 0.3, "score_outside_landlord": 0.5}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        chains = reading.Chains.load(conn)
        ents = reading.chain_entities(conn, chains, reading.landlord_and_operator_ids(conn))
        for home, provider, landlord_rows in _context(conn):
            operator = _operator_ids(provider or {})
            if any(_landlord_id(r) in operator for r in landlord_rows if _landlord_id(r)):
                continue  # the operator owns (or co-owns) the title
            in_group = [same_group(_landlord_id(r), operator, chains) for r in landlord_rows]
            outside = not all(in_group)
            names = sorted({_name(ents, r["entity_id"], r["name"]) for r in landlord_rows})
            operator_name = (provider or {}).get("name") or "the operator"
            yield make_flag(
                "care_home", home["location_id"], "opco_propco_split",
                score=settings["score_outside_landlord" if outside else "score_same_group"],
                settings=settings,
                rule="no current proprietor of the home's title is the operator",
                threshold="operator not among the proprietors",
                explanation=(
                    f"{operator_name} runs this home but {'; '.join(names)} owns the building"
                    + (", outside the operator's group." if outside else ", within the operator's group.")
                ),
                operator={"provider_id": home["provider_id"], "entity_ids": sorted(operator)},
                landlords=[{"title_number": r["title_number"], "position": r["position"], "name": r["name"],
                            "entity_id": _landlord_id(r), "same_group": g} for r, g in zip(landlord_rows, in_group)],
                sources=_home_sources(landlord_rows)
                + ([source_row("providers", provider, "provider_id", "company_number")] if provider else []),
            )


def _versions(conn, table: str, columns: str, title_numbers: set[str]) -> dict[str, list[dict]]:
    """Every version of these titles' rows in ``table``: current rows and ``<table>_history``."""
    found: dict[str, list[dict]] = defaultdict(list)
    numbers = sorted(title_numbers)
    for start in range(0, len(numbers), 500):
        chunk = numbers[start:start + 500]
        marks = ", ".join("?" for _ in chunk)
        for source_table in (table, table + "_history"):
            for r in reading.rows(
                conn, f"SELECT {columns} FROM {source_table} WHERE title_number IN ({marks})", chunk
            ):
                r["table"] = source_table
                found[r["title_number"]].append(r)
    return found


def _title_history(conn, title_numbers: set[str]) -> dict[str, list[dict]]:
    """Every version of every proprietor of these titles, current and earlier, oldest first."""
    found = _versions(
        conn, "title_proprietors",
        "title_number, position, entity_id, name, company_number, run_id, source, valid_from, valid_to",
        title_numbers,
    )
    for versions in found.values():
        versions.sort(key=lambda r: (r["valid_from"] or "", r["table"] == "title_proprietors"))
    return found


def _titles(conn, title_numbers: set[str]) -> dict[str, list[dict]]:
    return _versions(
        conn, "titles",
        "title_number, date_proprietor_added, price_paid, run_id, source, valid_from, valid_to",
        title_numbers,
    )


def _who(row: dict) -> str:
    return normalise_company_number(row.get("company_number")) or (row.get("name") or "").strip().upper()


class SaleAndLeasebackScorer(Scorer):
    name = "sale_and_leaseback"
    description = (
        "Flags homes whose title passed from the operator's group to an outside landlord "
        "while the operator kept running the home (title history and the date the proprietor was added)."
    )
    version = "1"
    defaults = {"score": 0.6}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        chains = reading.Chains.load(conn)
        ents = reading.chain_entities(conn, chains, reading.landlord_and_operator_ids(conn))
        work = [(h, p, rs) for h, p, rs in _context(conn) if p]
        history = _title_history(conn, {r["title_number"] for _, _, rs in work for r in rs})
        titles = _titles(conn, {r["title_number"] for _, _, rs in work for r in rs})
        for home, provider, landlord_rows in work:
            operator = _operator_ids(provider)
            for r in landlord_rows:
                landlord = _landlord_id(r)
                if same_group(landlord, operator, chains):
                    continue
                earlier = [
                    v for v in history.get(r["title_number"], [])
                    if v["table"] == "title_proprietors_history" and same_group(_landlord_id(v), operator, chains)
                ]
                if not earlier:
                    continue
                current_title = next((t for t in titles.get(r["title_number"], []) if t["table"] == "titles"
                                      and t["valid_to"] is None), None)
                transferred = (current_title or {}).get("date_proprietor_added") or r["valid_from"]
                registered = home.get("registration_date")
                if registered and transferred and registered > transferred:
                    continue  # the operator took the home on after the sale: not a leaseback
                seller = earlier[-1]
                yield make_flag(
                    "care_home", home["location_id"], "sale_and_leaseback",
                    score=settings["score"],
                    settings=settings,
                    rule="a title once held by the operator's group is now held by an outside landlord, "
                    "and the operator ran the home before the transfer",
                    threshold="one transfer out of the operator's group",
                    explanation=(
                        f"The title {r['title_number']} passed from {seller['name'] or _landlord_id(seller)} "
                        f"to {_name(ents, r['entity_id'], r['name'])} on {transferred}, while "
                        f"{provider.get('name') or 'the operator'} kept running the home."
                    ),
                    title_number=r["title_number"],
                    transferred_on=transferred,
                    seller={"name": seller["name"], "entity_id": _landlord_id(seller)},
                    buyer={"name": r["name"], "entity_id": landlord},
                    operator={"provider_id": provider["provider_id"], "entity_ids": sorted(operator),
                              "home_registered": registered},
                    sources=[source_row("title_proprietors_history", v, "title_number", "position") for v in earlier]
                    + _home_sources([r])
                    + ([source_row("titles", current_title, "title_number", "date_proprietor_added")]
                       if current_title else []),
                )
                break


class TitleChurnScorer(Scorer):
    name = "title_churn"
    description = "Flags homes whose title changed proprietor several times within a configurable window."
    version = "1"
    defaults = {"window_years": 10, "min_changes": 3}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        window, minimum = settings["window_years"], settings["min_changes"]
        since = context.today.replace(year=context.today.year - int(window)).isoformat()
        conn = context.registry.conn
        landlords = reading.home_landlords(conn)
        numbers = {r["title_number"] for rs in landlords.values() for r in rs}
        history = _title_history(conn, numbers)
        titles = _titles(conn, numbers)
        churn = {}
        for number in numbers:
            added = sorted({str(t["date_proprietor_added"]) for t in titles.get(number, [])
                            if t["date_proprietor_added"] and str(t["date_proprietor_added"]) >= since})
            seen_changes = []
            previous = None
            by_date: dict[str, set] = defaultdict(set)
            for v in history.get(number, []):
                by_date[v["valid_from"] or ""].add(_who(v))
            for date in sorted(by_date):
                if previous is not None and by_date[date] != previous and date >= since:
                    seen_changes.append(date)
                previous = by_date[date]
            churn[number] = (max(len(added), len(seen_changes)), added, seen_changes)
        for location_id, rows_ in landlords.items():
            for number in sorted({r["title_number"] for r in rows_}):
                changes, added, seen = churn[number]
                if changes < minimum:
                    continue
                yield make_flag(
                    "care_home", location_id, "title_churn",
                    score=min(1.0, 0.4 + 0.15 * (changes - minimum)),
                    settings=settings,
                    rule="changes of proprietor of the home's title within the window",
                    threshold={"min_changes": minimum, "window_years": window, "since": since},
                    explanation=(
                        f"The title {number} changed proprietor {plural(changes, 'time')} since {since}."
                    ),
                    title_number=number,
                    dates_proprietor_added=added,
                    proprietor_changes_seen=seen,
                    sources=[source_row(t["table"], t, "title_number", "date_proprietor_added")
                             for t in titles.get(number, [])]
                    + [source_row(v["table"], v, "title_number", "position", "name") for v in history.get(number, [])],
                )
                break


OUTSTANDING = {"outstanding", "part-satisfied"}


def _title_pattern(number: str) -> re.Pattern:
    match = re.fullmatch(r"([A-Za-z]*)(\d+)", number.strip())
    if match:
        letters, digits = match.groups()
        return re.compile(rf"(?<![A-Za-z0-9]){re.escape(letters)}\s?{digits}(?!\d)", re.IGNORECASE)
    return re.compile(rf"(?<![A-Za-z0-9]){re.escape(number)}(?![A-Za-z0-9])", re.IGNORECASE)


class ChargedPropertyScorer(Scorer):
    name = "charged_property"
    description = (
        "Flags homes whose landlord has outstanding charges (from a charges table, or the bulk "
        "mortgage counts), naming the home's title when a charge's particulars quote it."
    )
    version = "1"
    defaults = {"score_outstanding": 0.4, "score_per_charge": 0.05, "score_title_quoted": 0.7}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        charges = self._charges(conn)
        landlords = reading.home_landlords(conn)
        ents = reading.entities(conn, [_landlord_id(r) for rs in landlords.values() for r in rs])
        for location_id, rows_ in landlords.items():
            titles = sorted({r["title_number"] for r in rows_})
            found = []
            for r in rows_:
                landlord = _landlord_id(r)
                entity = ents.get(landlord) or {}
                own = [c for c in charges.get(landlord, []) if (c.get("status") or "").lower() in OUTSTANDING]
                count = entity.get("mortgages_outstanding") or 0
                if not own and count <= 0:
                    continue
                quoted = []
                for c in own:
                    for number in titles:
                        if _title_pattern(number).search(c.get("particulars") or ""):
                            quoted.append({"charge": c.get("charge_id"), "title_number": number})
                found.append((r, entity, own, count, quoted))
            if not found:
                continue
            quoted = [q for *_, qs in found for q in qs]
            total = max(sum(max(len(own), count) for _, _, own, count, _ in found), 1)
            score = settings["score_title_quoted"] if quoted else min(
                settings["score_title_quoted"], settings["score_outstanding"] + settings["score_per_charge"] * (total - 1))
            names = sorted({_name(ents, _landlord_id(r), r["name"]) for r, *_ in found})
            yield make_flag(
                "care_home", location_id, "charged_property",
                score=score,
                settings=settings,
                rule="the landlord has outstanding charges"
                + ("; a charge's particulars quote the home's title" if quoted else ""),
                threshold="one outstanding charge",
                explanation=(
                    f"The landlord ({'; '.join(names)}) has {plural(total, 'outstanding charge')}"
                    + (f", and a charge names this home's title {quoted[0]['title_number']}." if quoted else ".")
                ),
                title_numbers_quoted=quoted,
                landlords=[{"entity_id": _landlord_id(r), "name": r["name"], "title_number": r["title_number"],
                            "mortgages_outstanding": count, "charges": own} for r, _, own, count, _ in found],
                sources=_home_sources([r for r, *_ in found])
                + [source_row("entities", e, "id", "mortgages_outstanding") for _, e, *_ in found if e]
                + [{"table": "charges", "charge_id": c.get("charge_id"), "run_id": c.get("run_id")}
                   for *_, own, _, _ in found for c in own],
            )

    @staticmethod
    def _charges(conn) -> dict[str, list[dict]]:
        """Current charges by company entity, from the Companies House ``charges`` table."""
        if not reading.table_exists(conn, "charges"):
            return {}
        found: dict[str, list[dict]] = defaultdict(list)
        for r in reading.rows(
            conn,
            "SELECT company_id, company_number, charge_id, status, particulars, persons_entitled, "
            "created_on, run_id FROM charges WHERE valid_to IS NULL",
        ):
            key = r.pop("company_id") or company_entity_id(r["company_number"])
            if key:
                found[key].append(r)
        return found


def _holdings(conn, wanted: set[str]) -> dict[str, tuple[int, int]]:
    """For each wanted proprietor: how many titles it holds, and how many of them are care homes'.

    A proprietor is its linked entity or, when it has none, the company its number
    names. Both are read through the entity_id index: the wanted proprietors'
    titles, and the few proprietors not linked (all of them before a first build),
    not the millions of CCOD.
    """
    care_titles = {row[0] for row in conn.execute("SELECT DISTINCT title_number FROM care_home_titles")}
    titles: dict[str, set] = defaultdict(set)
    for entity_id, title in conn.execute(
        "SELECT entity_id, title_number FROM title_proprietors "
        "WHERE entity_id IN (SELECT value FROM json_each(?)) AND valid_to IS NULL",
        (json.dumps(sorted(wanted)),),
    ):
        titles[entity_id].add(title)
    for number, title in conn.execute(
        "SELECT company_number, title_number FROM title_proprietors "
        "WHERE entity_id IS NULL AND company_number IS NOT NULL AND valid_to IS NULL"
    ):
        key = company_entity_id(number)
        if key in wanted:
            titles[key].add(title)
    return {k: (len(v), len(v & care_titles)) for k, v in titles.items()}


def _sic_codes(text: str | None) -> list[str]:
    codes = []
    for item in reading.json_list(text):
        match = re.match(r"\s*(\d{4,5})", str(item))
        if match:
            codes.append(match.group(1))
    return codes


class SpecialPurposeLandlordScorer(Scorer):
    name = "special_purpose_landlord"
    description = (
        "Flags homes whose landlord looks like a special-purpose vehicle: a property or holding "
        "company (by SIC code) that owns little but care-home titles, or one filing dormant or micro accounts."
    )
    version = "1"
    defaults = {
        "sic_prefixes": ["681", "682", "642"],  # buying/selling and letting own real estate; holding companies
        "min_care_home_share": 0.75,
        "accounts_categories": ["dormant", "micro"],
        "score_one_sign": 0.4,
        "score_both_signs": 0.6,
    }

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        landlords = reading.home_landlords(conn)
        ids = {_landlord_id(r) for rs in landlords.values() for r in rs} - {None}
        ents = reading.entities(conn, ids)
        holdings = _holdings(conn, ids)
        signs_by_landlord = {}
        for entity_id in ids:
            entity = ents.get(entity_id)
            if not entity:
                continue
            signs = []
            codes = _sic_codes(entity.get("sic_codes"))
            property_codes = [c for c in codes if any(c.startswith(p) for p in settings["sic_prefixes"])]
            total, care = holdings.get(entity_id, (0, 0))
            share = care / total if total else 0.0
            if property_codes and share >= settings["min_care_home_share"]:
                signs.append({"sign": "property or holding company owning mostly care-home titles",
                              "sic_codes": property_codes, "titles": total, "care_home_titles": care,
                              "care_home_share": round(share, 3)})
            category = (entity.get("accounts_category") or "").lower()
            if any(word in category for word in settings["accounts_categories"]):
                signs.append({"sign": "dormant or micro-entity accounts", "accounts_category": entity["accounts_category"]})
            if signs:
                signs_by_landlord[entity_id] = signs
        for location_id, rows_ in landlords.items():
            found = [(r, signs_by_landlord[_landlord_id(r)]) for r in rows_ if _landlord_id(r) in signs_by_landlord]
            if not found:
                continue
            most = max(len(s) for _, s in found)
            names = sorted({_name(ents, _landlord_id(r), r["name"]) for r, _ in found})
            yield make_flag(
                "care_home", location_id, "special_purpose_landlord",
                score=settings["score_both_signs" if most > 1 else "score_one_sign"],
                settings=settings,
                rule="the landlord is a property or holding company that owns mostly care-home titles, "
                "or files dormant or micro accounts",
                threshold={k: settings[k] for k in ("sic_prefixes", "min_care_home_share", "accounts_categories")},
                explanation=(
                    f"The landlord ({'; '.join(names)}) looks like a special-purpose vehicle: "
                    f"{'; '.join(sorted({s['sign'] for _, ss in found for s in ss}))}."
                ),
                landlords=[{"entity_id": _landlord_id(r), "name": r["name"], "title_number": r["title_number"],
                            "signs": s} for r, s in found],
                sources=_home_sources([r for r, _ in found])
                + [source_row("entities", ents[_landlord_id(r)], "id", "sic_codes", "accounts_category")
                   for r, _ in found],
            )


DISSOLVED = {"dissolved", "removed", "closed", "converted-closed"}
INSOLVENT = {"liquidation", "administration", "receivership", "insolvency-proceedings", "voluntary-arrangement"}


class LandlordStatusScorer(Scorer):
    name = "landlord_status"
    description = (
        "Flags homes whose registered landlord is dissolved (dissolved_landlord: the title may have "
        "passed to the Crown) or in an insolvency process (insolvent_landlord)."
    )
    version = "1"
    defaults = {"score_dissolved": 0.8, "score_insolvent": 0.7}

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        landlords = reading.home_landlords(conn)
        ents = reading.entities(conn, [_landlord_id(r) for rs in landlords.values() for r in rs])
        for location_id, rows_ in landlords.items():
            for flag, statuses, word in (
                ("dissolved_landlord", DISSOLVED, "dissolved"),
                ("insolvent_landlord", INSOLVENT, "in an insolvency process"),
            ):
                found = []
                for r in rows_:
                    entity = ents.get(_landlord_id(r)) or {}
                    status = (entity.get("status") or "").strip().lower().replace(" ", "-")
                    if status in statuses or (flag == "dissolved_landlord" and entity.get("dissolution_date")):
                        found.append((r, entity))
                if not found:
                    continue
                r, entity = found[0]
                yield make_flag(
                    "care_home", location_id, flag,
                    score=settings["score_dissolved" if flag == "dissolved_landlord" else "score_insolvent"],
                    settings=settings,
                    rule=f"a current proprietor of the home's title is {word} in its register",
                    threshold=sorted(statuses),
                    explanation=(
                        f"The registered landlord of title {r['title_number']}, {_name(ents, _landlord_id(r), r['name'])}, "
                        f"is {entity.get('status') or word}"
                        + (f" (dissolved {entity['dissolution_date']})" if entity.get("dissolution_date") else "")
                        + ", yet still holds the title."
                    ),
                    landlords=[{"entity_id": _landlord_id(x), "name": x["name"], "title_number": x["title_number"],
                                "status": e.get("status"), "dissolution_date": e.get("dissolution_date")}
                               for x, e in found],
                    sources=_home_sources([x for x, _ in found])
                    + [source_row("entities", e, "id", "status") for _, e in found],
                )
