"""How fast does ``collect bods`` read a large file, against plain ``json.load`` of the same file?

Run by hand: ``.venv/bin/python benchmarks/bench_bods.py [N]``. It writes a
synthetic BODS array of N companies, N persons and N relationships (fictional
values), then times (a) the baseline, ``json.load`` of the whole file and (b)
the streaming import into a fresh registry, and prints the ratio. Peak memory
(max RSS) is read after the import and again after the baseline, which runs
second, so the first figure is the import's own.
"""

import json
import sys
import tempfile
import time
import resource
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from bods_helpers import collect  # noqa: E402


def statement(n, record_type, details):
    return {
        "statementId": f"{n:08d}-{record_type[:3]}-4000-8000-000000000000",
        "declarationSubject": f"co-{n}",
        "statementDate": "2024-01-02",
        "publicationDetails": {"publicationDate": "2024-01-03", "bodsVersion": "0.4", "publisher": {"name": "Bench"}},
        "recordId": f"{record_type[:3]}-{n}",
        "recordType": record_type,
        "recordDetails": details,
    }


def write_file(path: Path, n: int) -> None:
    with open(path, "w") as out:
        out.write("[\n")
        for i in range(n):
            rows = [
                statement(i, "entity", {"isComponent": False, "entityType": {"type": "registeredEntity"},
                                        "name": f"Bench Company {i} Ltd",
                                        "identifiers": [{"scheme": "GB-COH", "id": f"{i:08d}"}]}),
                statement(i, "person", {"isComponent": False, "personType": "knownPerson",
                                        "names": [{"fullName": f"Person {i}"}], "birthDate": "1970-01"}),
                statement(i, "relationship", {"isComponent": False, "subject": f"ent-{i}",
                                              "interestedParty": f"per-{i}",
                                              "interests": [{"type": "shareholding", "share": {"minimum": 25, "maximum": 50}}]}),
            ]
            out.write(",\n".join(json.dumps(r) for r in rows) + (",\n" if i < n - 1 else "\n"))
        out.write("]\n")


def measure(function):
    started = time.perf_counter()
    result = function()
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return seconds, peak, result


def main():
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "bench.json"
        write_file(path, n)
        size = path.stat().st_size
        import_s, import_mem, report = measure(lambda: collect(Path(folder) / "r.db", path))
        base_s, base_mem, _ = measure(lambda: json.load(open(path)))
        print(f"{3 * n:,} statements, {size / 1e6:.0f} MB")
        print(f"collect bods       : {import_s:6.1f} s, process peak {import_mem / 1e6:6.0f} MB "
              f"({report.records:,} records, {report.rejected} rejected)")
        print(f"baseline json.load : {base_s:6.1f} s, process peak {base_mem / 1e6:6.0f} MB (after both)")
        print(f"ratio: collect bods takes {import_s / base_s:.1f}x the time of json.load")


if __name__ == "__main__":
    main()
