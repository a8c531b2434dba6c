"""HM Land Registry: who owns the land under England's care homes.

Two collectors, ``ccod`` (UK companies that own property in England and Wales)
and ``ocod`` (overseas companies), read the monthly CSV files or their zips,
full or change-only, into ``titles`` and ``title_proprietors``.
"""

from inspect_kit import hookimpl

from .collectors import CcodCollector, OcodCollector


@hookimpl
def register_collectors(register):
    register(CcodCollector())
    register(OcodCollector())
