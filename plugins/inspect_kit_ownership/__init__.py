"""The ownership graph: homes to titles to landlords, and both chains to their ultimate owners.

Resolvers, in order:

1. ``entity-linking``: providers, title proprietors and corporate PSCs to entities;
2. ``care-home-titles``: care homes to the titles they stand on;
3. ``ownership-chains``: ``ownership_paths`` and ``ultimate_owners`` of every
   operator and landlord (and everything above them);
4. ``common-control``: homes whose landlord and operator share an owner.

Also the ``match-decisions`` collector and ``inspect-kit decide`` command, with
which a person settles matches the resolvers would not guess, and three canned
queries. See docs/ownership.md.
"""

from inspect_kit import hookimpl

from .chains import OwnershipChains
from .common_control import CommonControlFinder
from .decisions import MatchDecisionsCollector, register_decide_command
from .linking import EntityLinker
from .queries import QUERIES
from .tables import TABLES
from .titles import CareHomeTitleMatcher


@hookimpl
def register_tables(register):
    for table in TABLES:
        register(table)


@hookimpl
def register_resolvers(register):
    register(EntityLinker())
    register(CareHomeTitleMatcher())
    register(OwnershipChains())
    register(CommonControlFinder())


@hookimpl
def register_collectors(register):
    register(MatchDecisionsCollector())


@hookimpl
def register_commands(cli):
    register_decide_command(cli)


@hookimpl
def register_queries(register):
    for query in QUERIES:
        register(query)
