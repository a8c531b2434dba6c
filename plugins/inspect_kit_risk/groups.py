"""Which group each home belongs to: its provider, and the ultimate owners that control it.

Market Oversight counts beds across the "group undertaking", so a home counts
towards its provider and towards every ultimate owner holding at least
``min_share`` percent of the provider (an unknown share counts: the register
names the owner but not how much it holds).
"""

from __future__ import annotations

from collections import defaultdict

from . import reading


def home_groups(conn, chains: reading.Chains, min_share: float = 50) -> dict[str, dict[str, str]]:
    """location_id -> {group_id: group_kind}."""
    providers = reading.operators(conn)
    groups: dict[str, dict[str, str]] = defaultdict(dict)
    for location_id, home in reading.homes(conn).items():
        if not home["provider_id"]:
            continue
        groups[location_id][f"provider:{home['provider_id']}"] = "provider"
        provider = providers.get(home["provider_id"]) or {}
        for owner in chains.owners.get(provider.get("entity_id") or "", []):
            share = owner.get("share_max") if owner.get("share_min") is None else owner.get("share_min")
            if share is None or share >= min_share:
                groups[location_id][owner["owner_id"]] = "ultimate_owner"
    return groups


def group_names(conn, group_ids) -> dict[str, str]:
    providers = reading.operators(conn)
    ents = reading.entities(conn, [g for g in group_ids if not g.startswith("provider:")])
    names = {}
    for group_id in group_ids:
        if group_id.startswith("provider:"):
            names[group_id] = (providers.get(group_id[9:]) or {}).get("name") or group_id
        else:
            names[group_id] = (ents.get(group_id) or {}).get("name") or group_id
    return names
