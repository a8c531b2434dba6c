"""Market oversight: which groups are difficult to replace, and what each area loses if one fails.

Thresholds from the Care and Support (Market Oversight Criteria) Regulations
2015 (SI 2015/314) reg 3: 2,000 beds or more in England, or 1,000 to 1,999 beds
with beds in at least 16 local authorities. The third, concentration criterion
is not encoded (its text was not verified).
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any, Iterator

from inspect_kit import BuildContext, Scorer

from . import reading
from .flags import make_flag, plural, source_row
from .groups import group_names, home_groups
from .tables import GroupExposure


class MarketOversightScorer(Scorer):
    name = "market_oversight"
    description = (
        "Flags every home of a group (by provider and by ultimate owner) that crosses the Market "
        "Oversight thresholds (difficult_to_replace), and fills group_exposure: the beds and homes "
        "each local authority would lose if a group failed."
    )
    version = "1"
    defaults = {
        "beds_threshold": 2000,
        "lower_beds_threshold": 1000,
        "min_local_authorities": 16,
        "min_share": 50,
        "score": 0.5,
    }

    def score(self, context: BuildContext) -> Iterator[Any]:
        settings = context.settings(self)
        conn = context.registry.conn
        chains = reading.Chains.load(conn)
        homes = reading.homes(conn)
        groups = home_groups(conn, chains, settings["min_share"])
        members: dict[str, list[str]] = defaultdict(list)
        for location_id, found in groups.items():
            for group_id in found:
                members[group_id].append(location_id)
        kinds = {g: k for found in groups.values() for g, k in found.items()}
        names = group_names(conn, members)

        la_totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for home in homes.values():
            la = home["local_authority"] or "(unknown)"
            la_totals[la][0] += 1
            la_totals[la][1] += home["beds"] or 0

        crossing: dict[str, dict] = {}
        for group_id, location_ids in members.items():
            beds = sum(homes[i]["beds"] or 0 for i in location_ids)
            las = {homes[i]["local_authority"] for i in location_ids if (homes[i]["beds"] or 0) > 0}
            las.discard(None)
            rule = None
            if beds >= settings["beds_threshold"]:
                rule = f"{settings['beds_threshold']:,} beds or more"
            elif beds >= settings["lower_beds_threshold"] and len(las) >= settings["min_local_authorities"]:
                rule = (f"{settings['lower_beds_threshold']:,} to {settings['beds_threshold'] - 1:,} beds "
                        f"in at least {settings['min_local_authorities']} local authorities")
            summary = {"group_id": group_id, "group_name": names[group_id], "group_kind": kinds[group_id],
                       "homes": len(location_ids), "beds": beds, "local_authorities": len(las), "rule": rule}
            if rule:
                crossing[group_id] = summary
            by_la: dict[str, list[str]] = defaultdict(list)
            for i in location_ids:
                by_la[homes[i]["local_authority"] or "(unknown)"].append(i)
            for la, here in by_la.items():
                la_beds = sum(homes[i]["beds"] or 0 for i in here)
                yield GroupExposure(
                    group_id=group_id, group_name=names[group_id], group_kind=kinds[group_id],
                    local_authority=la, homes=len(here), beds=la_beds,
                    la_homes=la_totals[la][0], la_beds=la_totals[la][1],
                    share_of_la_beds=round(la_beds / la_totals[la][1], 4) if la_totals[la][1] else None,
                    group_homes=len(location_ids), group_beds=beds, group_local_authorities=len(las),
                    difficult_to_replace=bool(rule), location_ids=json.dumps(sorted(here)),
                )

        short = net_liabilities(conn, crossing)
        for location_id, found in groups.items():
            hits = [crossing[g] for g in found if g in crossing]
            if not hits:
                continue
            biggest = max(hits, key=lambda h: h["beds"])
            home = homes[location_id]
            owing = [short[h["group_id"]] for h in hits if h["group_id"] in short]
            explanation = (
                f"This home belongs to {biggest['group_name']}, a group of {plural(biggest['homes'], 'home')} "
                f"and {biggest['beds']:,} beds in {plural(biggest['local_authorities'], 'local authority', 'local authorities')} "
                f"({biggest['rule']}), which would be difficult to replace if it failed."
            )
            if owing:
                worst = max(owing, key=lambda o: o["net_liabilities"])
                explanation += (f" Its latest accounts ({worst['financial_year']}) show net liabilities of "
                                f"£{worst['net_liabilities']:,.0f}: a group that size with a deficit is a different risk.")
            yield make_flag(
                "care_home", location_id, "difficult_to_replace",
                score=min(1.0, settings["score"] * 2) if owing else settings["score"],
                settings=settings,
                rule="Market Oversight entry criteria, SI 2015/314 reg 3, counted across the group",
                threshold={k: settings[k] for k in ("beds_threshold", "lower_beds_threshold", "min_local_authorities")},
                explanation=explanation,
                groups=hits,
                **({"net_liabilities": owing} if owing else {}),
                sources=[source_row("care_homes", home, "location_id", "provider_id", "beds")],
            )


def net_liabilities(conn, group_ids) -> dict[str, dict]:
    """Groups whose latest accounts (``company_accounts``) show net liabilities.

    A provider's group reads its operator company's row; an ultimate owner's group
    its summed group row. Nothing when no accounts have been collected.
    """
    if not reading.table_exists(conn, "company_accounts"):
        return {}
    out = {}
    for group_id in group_ids:
        if group_id.startswith("provider:"):
            found = reading.rows(
                conn,
                "SELECT a.* FROM company_accounts a JOIN providers p ON p.entity_id = a.subject_id "
                "AND p.valid_to IS NULL WHERE a.subject_type = 'company' AND p.provider_id = ? "
                "ORDER BY a.financial_year DESC LIMIT 1", (group_id.split(":", 1)[1],))
        else:
            found = reading.rows(
                conn, "SELECT * FROM company_accounts WHERE subject_type = 'group' AND subject_id = ? "
                "ORDER BY financial_year DESC LIMIT 1", (group_id,))
        if found and found[0]["net_assets"] is not None and found[0]["net_assets"] < 0:
            row = found[0]
            out[group_id] = {"group_id": group_id, "financial_year": row["financial_year"],
                             "net_liabilities": -row["net_assets"], "filing_id": row["filing_id"],
                             "subject_id": row["subject_id"]}
    return out
