"""Small collectors for tests: they yield what they are given."""

from inspect_kit import Collector


class ListCollector(Collector):
    """Yields the items it was built with; declares a full snapshot of ``snapshot``."""

    takes_files = False

    def __init__(self, items, name="list", snapshot=(), as_of=None):
        self.items = list(items)
        self.name = name
        self.description = "Yields a fixed list of records."
        self.snapshot = snapshot
        self.as_of = as_of

    def collect(self, run):
        if self.as_of:
            run.as_of = self.as_of
        run.full_snapshot(*self.snapshot)
        for item in self.items:
            if isinstance(item, BaseException):
                raise item
            yield item


def table_rows(registry, table, order="rowid"):
    cursor = registry.conn.execute(f"select * from [{table}] order by {order}")
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row)) for row in cursor]


def data_dump(registry):
    """Every data table's rows: what 'the registry is unchanged' compares."""
    skip = {"collection_runs", "rejected_records", "sqlite_sequence"}
    return {
        table: table_rows(registry, table)
        for table in registry.db.table_names()
        if table not in skip
    }
