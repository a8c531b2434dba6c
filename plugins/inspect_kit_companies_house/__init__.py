"""Companies House: the company register, persons with significant control and charges.

Three collectors:

- ``companies-house-bulk``: the monthly BasicCompanyData file (every company);
- ``psc-snapshot``: the PSC snapshot (who controls every company);
- ``companies-house-api``: profiles, PSCs, statements and charges of the
  companies that matter, through the REST API.

And one table of its own, ``charges``. See ``docs/companies-house.md``.
"""

from inspect_kit import hookimpl

from .api_collector import CompaniesHouseApiCollector
from .basic_company_data import BasicCompanyDataCollector
from .charges import Charge
from .psc_snapshot import PscSnapshotCollector


@hookimpl
def register_collectors(register):
    register(BasicCompanyDataCollector())
    register(PscSnapshotCollector())
    register(CompaniesHouseApiCollector())


@hookimpl
def register_tables(register):
    register(Charge)
