"""How fast ``inspect-kit collect companies-house-accounts`` reads a month of the Accounts Data Product.

Generates a monthly zip of national size (default 300,000 filings, the product's
file-name scheme ``Prod224_<run>_<company>_<date>.html``, small real-shaped iXBRL
documents) and a registry whose graph holds ``--on-graph`` of those companies
(operators), then times in the same run, on the same zip:

- the collector: every filing's name read, the companies off the graph skipped
  unread, the rest parsed and stored (facts, filings, history);
- baseline: ixbrlparse alone on the same wanted filings, read from the same zip.

    python benchmarks/bench_accounts.py [--filings 300000] [--on-graph 2000]

Target (issue 18): a month in 10 minutes or less; filings parsed per second reported
beside ixbrlparse's own rate.
"""

from __future__ import annotations

import argparse
import datetime
import io
import random
import sys
import tempfile
import time
import zipfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from datasets.accounts import full_accounts, ixbrl, member_name  # noqa: E402


def generate(path: Path, filings: int, seed: int = 18) -> None:
    rng = random.Random(seed)
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=1) as archive:
        for i in range(filings):
            turnover = rng.randint(100_000, 50_000_000)
            filing = full_accounts(f"{i + 1:08d}", f"COMPANY {i + 1} LIMITED",
                                   datetime.date(2025, rng.randint(1, 12), 28), {
                "current": {"TurnoverRevenue": turnover, "ProfitLossOnOrdinaryActivitiesBeforeTax": turnover // 20,
                            "OperatingLeasePaymentsRecognisedAsExpense": turnover // 8,
                            "StaffCostsEmployeeBenefitsExpense": turnover // 2,
                            "AverageNumberEmployeesDuringPeriod": rng.randint(1, 500),
                            "NetAssetsLiabilities": rng.randint(-1_000_000, 5_000_000),
                            "CashBankOnHand": rng.randint(0, 900_000)},
                "previous": {"TurnoverRevenue": turnover * 0.9,
                             "ProfitLossOnOrdinaryActivitiesBeforeTax": turnover // 25},
            })
            archive.writestr(member_name(224, 4000 + i // 50_000, filing), ixbrl(filing))


def registry_with(db: Path, numbers: list[str]):
    from inspect_kit import Collector, Provider
    from inspect_kit.registry import Registry

    class Operators(Collector):
        name, description, takes_files = "operators", "Providers with company numbers.", False

        def collect(self, run):
            for i, number in enumerate(numbers):
                yield Provider(provider_id=f"1-{i:09d}", name=f"Operator {i}", company_number=number)

    registry = Registry.open(db)
    registry.collect(Operators())
    return registry


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--filings", type=int, default=300_000)
    parser.add_argument("--on-graph", type=int, default=2_000)
    args = parser.parse_args(argv)
    from ixbrlparse import IXBRL

    from inspect_kit_accounts.collector import AccountsCollector
    from inspect_kit_accounts.filings import parse_name

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        product = tmp / "Accounts_Monthly_Data-October2025.zip"
        started = time.perf_counter()
        generate(product, args.filings)
        print(f"generated {args.filings:,} filings ({product.stat().st_size / 1e6:.0f} MB) "
              f"in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        wanted = sorted(random.Random(1).sample(range(1, args.filings + 1), args.on_graph))
        numbers = [f"{n:08d}" for n in wanted]
        registry = registry_with(tmp / "registry.db", numbers)

        started = time.perf_counter()
        with zipfile.ZipFile(product) as archive:
            targets = set(numbers)
            for info in archive.infolist():
                name = parse_name(info.filename)
                if name and name.company_number in targets:
                    IXBRL(io.BytesIO(archive.read(info)))
        baseline = time.perf_counter() - started

        started = time.perf_counter()
        report = registry.collect(AccountsCollector(), files=[product])
        collected = time.perf_counter() - started
        parsed = registry.conn.execute("select count(*) from accounts_filings").fetchone()[0]
        registry.close()

    print(f"month of {args.filings:,} filings, {parsed:,} on the graph parsed, {args.filings - parsed:,} skipped unread")
    print(f"collector:        {collected:7.1f} s  ({parsed / collected:6.1f} filings parsed/s, "
          f"{report.records:,} records)  target <= 600 s")
    print(f"ixbrlparse alone: {baseline:7.1f} s  ({parsed / baseline:6.1f} filings parsed/s)")
    print(f"ratio collector / ixbrlparse alone: {collected / baseline:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
