"""Which companies a register collected: one bit per company number.

Entity linking asks this once for each of millions of title proprietors and
corporate owners. Asked of the ``entities`` table, each question costs a random
read of its key index and of the row (is it current?): over four million
proprietors that was most of the step's time. Asked of a bitmap read in one
pass, it costs a shift and a mask.

Companies House numbers are eight characters (``normalise_company_number``):
eight digits take 100,000,000 bits (12.5 MB); a one- or two-letter prefix and
its digits (``SC``, ``OC``, ``NI``, ``OE``, ``R``...) a bitmap of their own, 125 KB
for two letters. Anything else is kept as text.
"""

from __future__ import annotations

import re

COMPANY_ID_PREFIX = "GB-COH-"

_PREFIXED = re.compile(r"([A-Z]{1,2})([0-9]{6,7})")


class RegisteredCompanies:
    """A set of company entity ids (``GB-COH-…``) that answers ``in`` without the database."""

    def __init__(self, entity_ids=()):
        self._bits: dict[str, bytearray] = {}  # prefix ("" for digits only) -> one bit per number
        self._other: set[str] = set()
        for entity_id in entity_ids:
            self.add(entity_id)

    @classmethod
    def current(cls, db) -> "RegisteredCompanies":
        """The companies with a current row in ``entities``, read in one pass."""
        return cls(row[0] for row in db.execute(
            f"SELECT id FROM entities WHERE valid_to IS NULL AND id GLOB '{COMPANY_ID_PREFIX}*' "
            "AND instr(id, '/psc/') = 0"
        ))

    @staticmethod
    def _slot(entity_id: str) -> tuple[str, int] | None:
        """(prefix, number) of an id with an eight-character number; None for anything else."""
        if len(entity_id) != len(COMPANY_ID_PREFIX) + 8 or not entity_id.startswith(COMPANY_ID_PREFIX):
            return None
        number = entity_id[len(COMPANY_ID_PREFIX):]
        if number.isdigit() and number.isascii():
            return "", int(number)
        match = _PREFIXED.fullmatch(number)
        return (match.group(1), int(match.group(2))) if match else None

    def add(self, entity_id: str) -> None:
        slot = self._slot(entity_id)
        if slot is None:
            self._other.add(entity_id)
            return
        prefix, number = slot
        bits = self._bits.get(prefix)
        if bits is None:
            bits = self._bits[prefix] = bytearray(10 ** (8 - len(prefix)) // 8)
        bits[number >> 3] |= 1 << (number & 7)

    def __contains__(self, entity_id) -> bool:
        if not entity_id:
            return False
        slot = self._slot(entity_id)
        if slot is None:
            return entity_id in self._other
        prefix, number = slot
        bits = self._bits.get(prefix)
        return bits is not None and bool(bits[number >> 3] >> (number & 7) & 1)
