"""A plain-Python model of the hashing embedder, written from its documented rules."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

MASK = (1 << 64) - 1
FNV_OFFSET = 14695981039346656037
FNV_PRIME = 1099511628211
WORD_SALT = 0x9E3779B97F4A7C15
SPACES = b" \t\n\r\f\v"


def hash64(data: bytes, seed: int) -> int:
    """FNV-1a, then the murmur3 64-bit finaliser."""
    h = FNV_OFFSET ^ seed
    for byte in data:
        h = ((h ^ byte) * FNV_PRIME) & MASK
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & MASK
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & MASK
    return h ^ (h >> 33)


def normalise(text: str) -> bytes:
    out = bytearray(b" ")
    for byte in text.encode():
        if byte in SPACES:
            if out[-1] != 0x20:
                out.append(0x20)
            continue
        out.append(byte + 32 if 65 <= byte <= 90 else byte)
    if out[-1] != 0x20:
        out.append(0x20)
    return bytes(out)


def features(s: bytes, min_n: int, max_n: int, words: bool) -> list[tuple[bytes, int]]:
    starts = [i for i, byte in enumerate(s) if byte & 0xC0 != 0x80] + [len(s)]
    found = [
        (s[starts[i] : starts[i + n]], n)
        for n in range(min_n, max_n + 1)
        for i in range(len(starts) - n)
    ]
    if words:
        word = bytearray()
        for byte in s + b" ":
            if 97 <= byte <= 122 or 48 <= byte <= 57 or byte >= 0x80:
                word.append(byte)
            elif word:
                found.append((bytes(word), WORD_SALT))
                word = bytearray()
    return found


def embed(
    text: str, dimension: int, min_n: int = 3, max_n: int = 5, words: bool = True, seed: int = 0
) -> npt.NDArray[np.float32]:
    counts = np.zeros(dimension)
    s = normalise(text)
    if len(s) > 1:
        for feature, salt in features(s, min_n, max_n, words):
            h = hash64(feature, seed ^ salt)
            counts[h % dimension] += -1.0 if h >> 63 else 1.0
    norm2 = float(counts @ counts)
    if norm2 == 0.0:
        return counts.astype(np.float32)
    return counts.astype(np.float32) * np.float32(1.0 / np.sqrt(norm2))
