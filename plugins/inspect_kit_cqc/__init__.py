"""Care Quality Commission: care homes and their operators, from the API or the monthly files.

- ``cqc-api``: the CQC public API, full or incremental sync (``api_collector``);
- ``cqc-directory``: the directory CSV and the HSCA Active Locations file
  (``directory_collector``), and CQC's "Latest ratings" file into the
  ``cqc_ratings`` table.
"""

from inspect_kit import hookimpl

from .api_collector import CqcApiCollector
from .directory_collector import CqcDirectoryCollector
from .records import CqcRating


@hookimpl
def register_collectors(register):
    register(CqcApiCollector())
    register(CqcDirectoryCollector())


@hookimpl
def register_tables(register):
    register(CqcRating)
