"""Household sign-in codes: random, unambiguous, grouped, stored as keyed hashes."""

import hashlib
import hmac
import math
import secrets
import unicodedata

# No 0/O, 1/I/L, U/V or S/5: each symbol survives being read aloud and a poor print.
ALPHABET = "2346789ABCDEFGHJKMNPQRTWXYZ"
LENGTH = 10
GROUP = 5
ENTROPY_BITS = LENGTH * math.log2(len(ALPHABET))  # 47.5 bits


def generate_code() -> str:
    """A new random code, without separators."""
    return "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))


def format_code(code: str) -> str:
    """Group a code for reading aloud and printing: ABCDE-FGHJK."""
    return "-".join(code[i : i + GROUP] for i in range(0, len(code), GROUP))


def normalize_code(typed: str) -> str:
    """What a resident typed, reduced to the code's symbols (case, spaces, dashes, full width)."""
    text = unicodedata.normalize("NFKC", typed or "").upper()
    return "".join(ch for ch in text if ch.isalnum())


def is_well_formed(code: str) -> bool:
    """True when the normalised code has the right length and alphabet."""
    return len(code) == LENGTH and all(ch in ALPHABET for ch in code)


def hash_code(code: str, key: str) -> str:
    """Keyed SHA-256 of a normalised code: codes are high-entropy, so a fast keyed hash fits."""
    return hmac.new(key.encode(), b"household-code:" + code.encode(), hashlib.sha256).hexdigest()


def hash_owner_id(owner_id: str, key: str) -> str:
    """Keyed hash of an owner's ID number: groups an owner's households without storing the ID."""
    return hmac.new(key.encode(), b"owner-id:" + owner_id.encode(), hashlib.sha256).hexdigest()
