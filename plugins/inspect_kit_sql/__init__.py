"""SQL functions and queries about the registry itself, in the CLI and in Datasette.

Functions: ``normalise_company_number(n)``, ``company_entity_id(n)`` and
``country_code(name)``, so that ad-hoc SQL can join registers the way the
collectors and resolvers do.
"""

from inspect_kit import Query, hookimpl
from inspect_kit.jurisdictions import country_code
from inspect_kit.matching import company_entity_id, normalise_company_number


@hookimpl
def prepare_connection(conn):
    conn.create_function("normalise_company_number", 1, normalise_company_number, deterministic=True)
    conn.create_function("company_entity_id", 1, company_entity_id, deterministic=True)
    conn.create_function("country_code", 1, country_code, deterministic=True)


@hookimpl
def register_queries(register):
    register(
        Query(
            name="collection_health",
            title="Collection runs and their rejected rows",
            description="Every collection run, newest first, with how many rows it read, "
            "changed, ended and rejected. Rejected rows are in rejected_records.",
            sql="""
select run_id, collector, source, as_of, started_at, finished_at,
       records, changed, ended, rejected
from collection_runs order by run_id desc
""",
        )
    )
    register(
        Query(
            name="titles_as_of",
            title="Land titles and their proprietors as they stood on a date",
            description="The proprietors of every title on a given date (YYYY-MM-DD), from the "
            "current rows and their history. Filter by a title number or leave it empty.",
            sql="""
select title_number, position, name, company_number, country_incorporated,
       valid_from, valid_to, source
from title_proprietors
where valid_from <= :as_of and (valid_to is null or valid_to > :as_of)
  and (:title_number = '' or title_number = :title_number)
union all
select title_number, position, name, company_number, country_incorporated,
       valid_from, valid_to, source
from title_proprietors_history
where valid_from <= :as_of and (valid_to is null or valid_to > :as_of)
  and (:title_number = '' or title_number = :title_number)
order by title_number, position
""",
        )
    )
