"""Entity linking: operators, landlords and corporate owners to the entities they are.

- a CQC provider's company number -> its company entity;
- a CCOD proprietor's company number (often without its leading zeros) -> its company;
- an OCOD proprietor, which carries no number, -> a Register of Overseas Entities
  record (``OE…``), by company-name fingerprint and country of incorporation;
- a corporate PSC, which gives its parent's number unpadded and its country as
  free text -> the company entity it names.

Every link (and every failure to link) goes to ``entity_matches`` with its
method, confidence and reason; ambiguous names go to ``match_candidates``.
"""

from __future__ import annotations

from inspect_kit import Provider, Resolver, TitleProprietor, Update
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import (
    company_entity_id,
    company_fingerprint,
    company_fingerprint_without_place,
    normalise_company_number,
)

from .decisions import load_decisions
from .registered import COMPANY_ID_PREFIX, RegisteredCompanies
from .tables import CCOD_PROPRIETOR, CORPORATE_PSC, OCOD_PROPRIETOR, PROVIDER, EntityMatch, MatchCandidate

# Entity types that are never a company to link to.
NOT_CORPORATE = ("person", "super_secure", "legal_person", "unknown")


def proprietor_key(name: str | None, country: str | None) -> str:
    """The left_id of an overseas proprietor in match_candidates and match_decisions.

    One overseas company owns many titles under the same name, so a decision is
    about the name and country, not one title.
    """
    return f"{company_fingerprint(name) or ''}|{country or ''}"


def _plain_number(number: str) -> str:
    """A foreign registration number as filers write it: no spaces, upper case, no leading zeros."""
    return "".join(number.split()).upper().lstrip("0")


def _is_foreign(code: str | None) -> bool:
    return bool(code) and code != "GB"


# Rows read at a time: memory stays flat however large the registers are.
PAGE = 20_000


def _pages(db, sql: str):
    """Rows of ``sql`` (a query ending in a WHERE clause, selecting ``rowid`` first) page by page.

    Each page is read whole before its results are written, so writing links into
    the table being read never disturbs the reading.
    """
    last = -1
    while True:
        rows = db.execute(f"{sql} AND rowid > ? ORDER BY rowid LIMIT {PAGE}", (last,)).fetchall()
        if not rows:
            return
        yield rows
        last = rows[-1][0]


class _Decisions:
    """A person's decisions of one kind, looked up by what was matched."""

    def __init__(self, db, kind: str):
        self.same: dict[str, str] = {}
        self.different: set[tuple[str, str]] = set()
        for (left, right), decision in load_decisions(db, kind).items():
            if decision == "same":
                self.same[left] = right
            else:
                self.different.add((left, right))

    def rejected(self, left: str) -> set[str]:
        return {right for other, right in self.different if other == left}


class EntityLinker(Resolver):
    name = "entity-linking"
    description = "Links CQC providers, CCOD/OCOD proprietors and corporate PSCs to their entities"
    defaults = {"accept": 0.8}
    # It reads the collected registers and match decisions only: it may run in a child
    # process while the core writes its 9.5M national links.
    reads_results = False

    def resolve(self, context):
        db = context.registry.conn
        self.accept = context.settings(self)["accept"]
        overseas: dict[str, list[tuple]] = {}
        overseas_loose: dict[str, list[tuple]] = {}
        foreign_numbers: dict[tuple[str, str], str] = {}
        # Only the few entities a name or a foreign number can point to are held in memory;
        # for the millions of companies, one bit each says whether it is registered.
        for entity_id, name, entity_type, jurisdiction, number in db.execute(
            "SELECT id, name, entity_type, jurisdiction, company_number FROM entities "
            "WHERE valid_to IS NULL AND (entity_type = 'overseas_entity' OR company_number LIKE 'OE%' "
            "OR (company_number IS NOT NULL AND jurisdiction IS NOT NULL AND jurisdiction != 'GB' "
            "AND instr(id, '/psc/') = 0))"
        ):
            if number and _is_foreign(jurisdiction) and "/psc/" not in entity_id:
                # A foreign company another register describes (e.g. a BODS file from its home register).
                foreign_numbers[(jurisdiction, _plain_number(number))] = entity_id
            if entity_type == "overseas_entity" or (number or "").upper().startswith("OE"):
                entry = (entity_id, name, jurisdiction)
                fingerprint = company_fingerprint(name)
                if fingerprint:
                    overseas.setdefault(fingerprint, []).append(entry)
                loose, _ = company_fingerprint_without_place(name)
                if loose:
                    overseas_loose.setdefault(loose, []).append(entry)
        self.foreign_numbers = foreign_numbers
        self.overseas, self.overseas_loose = overseas, overseas_loose
        self.registered = RegisteredCompanies.current(db)
        yield from self._providers(db)
        yield from self._proprietors(db, context)
        yield from self._corporate_pscs(db, context)

    # -- operators ------------------------------------------------------------

    def _providers(self, db):
        decisions = _Decisions(db, PROVIDER)
        for rows in _pages(db, "SELECT rowid, provider_id, name, company_number, ownership_type, entity_id "
                               "FROM providers WHERE valid_to IS NULL"):
            for _, provider_id, name, number, ownership_type, current in rows:
                match = self._by_number(PROVIDER, provider_id, name, number, decisions)
                if match.entity_id is None and not number:
                    match.reason = f"no company number (CQC ownership type {ownership_type or 'not given'})"
                yield match
                if match.entity_id != current:
                    yield Update(Provider, {"provider_id": provider_id}, {"entity_id": match.entity_id})

    def _by_number(self, kind, source_id, name, number, decisions) -> EntityMatch:
        decided = decisions.same.get(source_id)
        if decided is not None:
            return EntityMatch(kind=kind, source_id=source_id, entity_id=decided, name=name,
                               method="decision", confidence=1.0, reason="a person decided")
        entity_id = company_entity_id(number)
        if entity_id and (source_id, entity_id) in decisions.different:
            return EntityMatch(kind=kind, source_id=source_id, name=name, method="decision",
                               confidence=1.0, reason=f"a person decided it is not {entity_id}")
        if entity_id is None:
            return EntityMatch(kind=kind, source_id=source_id, name=name, method="unmatched",
                               confidence=0.0, reason="no company number")
        number = entity_id[len(COMPANY_ID_PREFIX):]
        if entity_id in self.registered:
            return EntityMatch(kind=kind, source_id=source_id, entity_id=entity_id, name=name,
                               method="company_number", confidence=1.0, reason=f"company number {number}")
        return EntityMatch(
            kind=kind, source_id=source_id, entity_id=entity_id, name=name, method="company_number",
            confidence=0.9, reason=f"company number {number}, which is in no register collected",
        )

    # -- landlords --------------------------------------------------------------

    def _proprietors(self, db, context):
        ccod_decisions = _Decisions(db, CCOD_PROPRIETOR)
        ocod_decisions = _Decisions(db, OCOD_PROPRIETOR)
        # The few overseas titles, read once, rather than each proprietor's title.
        overseas_titles = {row[0] for row in db.execute(
            "SELECT title_number FROM titles WHERE dataset = 'ocod'"
        )}
        pages = _pages(
            db,
            "SELECT rowid, title_number, position, name, company_number, country_incorporated, "
            "country_incorporated_as_given, entity_id FROM title_proprietors WHERE valid_to IS NULL",
        )
        for rows in context.progress(pages, desc="title proprietors", unit="page"):
            rows = [(*row[:5], row[5] or country_code(row[6]), row[7], "ocod" if row[1] in overseas_titles else "ccod")
                    for row in rows]  # country as a code
            for _, title, position, name, number, country, current, dataset in rows:
                source_id = f"{title}:{position}"
                if dataset == "ocod" or _is_foreign(country):
                    match = yield from self._overseas(OCOD_PROPRIETOR, source_id, name, country, ocod_decisions)
                else:
                    match = self._by_number(CCOD_PROPRIETOR, source_id, name, number, ccod_decisions)
                yield match
                if match.entity_id != current:
                    yield Update(TitleProprietor, {"title_number": title, "position": position},
                                 {"entity_id": match.entity_id})

    def _overseas(self, kind, source_id, name, country, decisions):
        """An overseas company to its ROE entity; a generator of candidates returning the match."""
        key = proprietor_key(name, country)
        decided = decisions.same.get(key)
        if decided is not None:
            return EntityMatch(kind=kind, source_id=source_id, entity_id=decided, name=name,
                               method="decision", confidence=1.0, reason="a person decided")
        rejected = decisions.rejected(key) if decisions.different else set()
        found = self.overseas_candidates(name, country)
        found = [c for c in found if c[0] not in rejected]
        accepted = [c for c in found if c[1] >= self.accept]
        if len(accepted) == 1 and not [c for c in found if c is not accepted[0] and c[1] >= accepted[0][1] - 0.1]:
            entity_id, score, method, reason = accepted[0]
            return EntityMatch(kind=kind, source_id=source_id, entity_id=entity_id, name=name,
                               method=method, confidence=score, reason=reason)
        for entity_id, score, method, reason in found:
            yield MatchCandidate(kind=kind, left_id=key, right_id=entity_id,
                                 left_text=f"{name} ({country or 'country not given'})",
                                 right_text=self.names.get(entity_id), score=score, reason=reason)
        if found:
            return EntityMatch(kind=kind, source_id=source_id, name=name, method="ambiguous", confidence=0.0,
                               reason=f"{len(found)} Register of Overseas Entities records could be it; "
                               "a person decides (match_candidates)")
        return EntityMatch(
            kind=kind, source_id=source_id, name=name, method="unmatched", confidence=0.0,
            reason=f"overseas proprietor with no Register of Overseas Entities record "
            f"(no overseas entity named {name!r} incorporated in {country or 'an unknown country'})",
        )

    @property
    def names(self) -> dict[str, str]:
        if not hasattr(self, "_names"):
            self._names = {e[0]: f"{e[1]} ({e[2] or 'jurisdiction not given'})"
                           for entries in self.overseas.values() for e in entries}
        return self._names

    def overseas_candidates(self, name, country) -> list[tuple[str, float, str, str]]:
        """ROE entities that may be this proprietor: (entity id, score, method, reason), best first."""
        fingerprint = company_fingerprint(name)
        loose, places = company_fingerprint_without_place(name)
        scored: dict[str, tuple] = {}
        for entity_id, other, jurisdiction in self.overseas.get(fingerprint, ()):
            if jurisdiction and _is_foreign(jurisdiction) and country and jurisdiction != country:
                scored[entity_id] = (entity_id, 0.5, "name", f"same name but incorporated in {jurisdiction}, not {country}")
            elif jurisdiction and _is_foreign(jurisdiction):
                scored[entity_id] = (entity_id, 0.95, "name+jurisdiction", f"same name, both incorporated in {jurisdiction}")
            else:
                scored[entity_id] = (entity_id, 0.8, "name", "same name; the register record gives no country of incorporation")
        for entity_id, other, jurisdiction in self.overseas_loose.get(loose, ()) if loose else ():
            if entity_id in scored:
                continue
            _, other_places = company_fingerprint_without_place(other)
            dropped = [p for p in places + other_places]
            same_place = bool(country) and jurisdiction == country and all(p == country for p in dropped)
            if same_place:
                scored[entity_id] = (entity_id, 0.9, "name+jurisdiction",
                                     f"same name but for the bracketed place, which is {country}, where both are incorporated")
            else:
                scored[entity_id] = (entity_id, 0.6, "name", f"same name but for bracketed words ({name!r} / {other!r})")
        return sorted(scored.values(), key=lambda c: -c[1])

    # -- corporate owners ---------------------------------------------------------

    def _corporate_pscs(self, db, context):
        decisions = _Decisions(db, CORPORATE_PSC)
        not_corporate = ", ".join(f"'{kind}'" for kind in NOT_CORPORATE)
        pages = _pages(
            db,
            "SELECT rowid, id, name, jurisdiction, company_number FROM entities "
            "WHERE valid_to IS NULL AND instr(id, '/psc/') > 0 "
            f"AND coalesce(entity_type, '') NOT IN ({not_corporate})",
        )
        for rows in context.progress(pages, desc="corporate owners", unit="page"):
            for _, entity_id, name, jurisdiction, number in rows:
                yield from self._corporate_psc(entity_id, name, jurisdiction, number, decisions)

    def _corporate_psc(self, entity_id, name, jurisdiction, number, decisions):
        found = self.foreign_numbers.get((jurisdiction, _plain_number(number))) if number else None
        if found and (entity_id, found) not in decisions.different:
            yield EntityMatch(kind=CORPORATE_PSC, source_id=entity_id, entity_id=found, name=name,
                              method="registration_number+jurisdiction", confidence=1.0,
                              reason=f"registration number {number} in {jurisdiction}, as {found} records it")
            return
        if jurisdiction and _is_foreign(jurisdiction):
            match = yield from self._overseas(CORPORATE_PSC, entity_id, name, jurisdiction, decisions)
            if match.entity_id is None and match.method == "unmatched":
                match.reason = (f"corporate owner registered in {jurisdiction} with no register record "
                                f"(not in the Register of Overseas Entities either)")
            yield match
            return
        match = self._by_number(CORPORATE_PSC, entity_id, name, number, decisions)
        if match.method == "company_number" and match.entity_id not in self.registered:
            # A company number in no register: the owner stays as the PSC names it.
            match.entity_id = None
            match.method = "unmatched"
            match.confidence = 0.0
            match.reason = f"names UK company number {normalise_company_number(number)}, which is in no register collected"
        elif match.entity_id is None and not number:
            match.reason = "a corporate owner that gives no registration number"
        yield match
