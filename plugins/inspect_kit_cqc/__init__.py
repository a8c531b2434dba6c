"""Care Quality Commission: care homes and their operators, from the API or the monthly files.

- ``cqc-api``: the CQC public API, full or incremental sync (``api_collector``);
- ``cqc-directory``: the directory CSV and the HSCA Active Locations file
  (``directory_collector``).
"""

from inspect_kit import hookimpl

from .api_collector import CqcApiCollector
from .directory_collector import CqcDirectoryCollector


@hookimpl
def register_collectors(register):
    register(CqcApiCollector())
    register(CqcDirectoryCollector())
