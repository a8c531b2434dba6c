"""Follow the money: company accounts of operators, landlords and the groups above them.

- collector ``companies-house-accounts``: the Accounts Data Product (iXBRL/XBRL),
  only the filings of companies on the registry's graph;
- resolver ``accounts-figures``: ``company_accounts``, CHPI-style figures per
  company and group per financial year;
- scorer ``accounts``: ``net_liabilities``, ``loss_making``, ``high_rent_burden``,
  ``accounts_overdue``, ``no_public_pl``;
- ``inspect-kit report money --provider ID`` and the ``operator_money`` query.

See ``docs/accounts.md``.
"""

from inspect_kit import Query, hookimpl

from .collector import AccountsCollector
from .figures import AccountsFigures
from .flags import AccountsScorer
from .records import AccountsFact, AccountsFiling, CompanyAccounts
from .report import MONEY_SQL, add_commands


@hookimpl
def register_collectors(register):
    register(AccountsCollector())


@hookimpl
def register_tables(register):
    register(AccountsFiling)
    register(AccountsFact)
    register(CompanyAccounts)


@hookimpl
def register_resolvers(register):
    register(AccountsFigures())


@hookimpl
def register_scorers(register):
    register(AccountsScorer())


@hookimpl
def register_commands(cli):
    add_commands(cli)


@hookimpl
def register_queries(register):
    register(Query(
        name="operator_money",
        title="Follow the money: an operator's group",
        description=(
            "For a CQC provider id: the operator, the landlords of its homes and its holding companies, "
            "each financial year's income, rent, profit, directors' pay, net interest, dividends and "
            "leakage per £100 of income (CHPI), with the filing behind the figures."
        ),
        sql=MONEY_SQL,
    ))
