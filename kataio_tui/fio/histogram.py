"""Latency histograms from fio's json+ ``bins`` and percentiles computed exactly as fio does.

fio (stat.c, calc_clat_percentiles) walks its buckets in order, keeps a running count, and reports
for percentile p the first bucket value whose running count reaches p/100 x N. The json+ bin keys
are those bucket values, so doing the same walk over the bins reproduces fio's numbers exactly, and
walking the sum of several clients' bins gives the cluster-wide percentile.
"""

from __future__ import annotations

from array import array
from base64 import b64decode, b64encode
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

from kataio_tui.errors import KataioError
from kataio_tui.printable import brief

class CorruptCache(KataioError):
    """Derived data written by kataio was damaged after it was written."""


# fio's default percentile list (options.c: def_percentile_list)
FIO_DEFAULT_PERCENTILES: tuple[float, ...] = (
    1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99,
)


# fio's stat.c compares `sum >= (long double) p / 100.0 * nr`, but fio is built with -ffast-math,
# so the compiler turns the division into a multiplication by the long double nearest to 1/100 and
# reorders it: Debian's fio 3.33 on x86-64 computes (nr * 0.01L) * p on the x87 FPU, rounding each
# step to a 64-bit significand (read from its machine code). The rounding decides ties: a running
# count that equals p/100 x N exactly reaches the threshold or not.
MAX_COUNT = 2**63 - 1  # packed arrays (and the cache) hold signed 64-bit counts

LONG_DOUBLE_BITS = 64
DOUBLE_BITS = 53  # older fio computed in double


def _round_to_bits(x: Fraction, bits: int) -> Fraction:
    """x (> 0) rounded to nearest-even with a significand of ``bits`` bits, like an FPU does."""
    num, den = x.numerator, x.denominator
    exp = num.bit_length() - den.bit_length()  # floor(log2 x) is exp or exp - 1
    if (num << max(0, -exp)) < (den << max(0, exp)):
        exp -= 1
    shift = bits - 1 - exp
    if shift >= 0:
        q, r = divmod(num << shift, den)
        twice, whole = 2 * r, den
    else:
        q, r = divmod(num, den << -shift)
        twice, whole = 2 * r, den << -shift
    if twice > whole or (twice == whole and q & 1):
        q += 1
    return Fraction(q, 1 << shift) if shift >= 0 else Fraction(q << -shift)


def fio_threshold(p: float, samples: int, precision_bits: int = LONG_DOUBLE_BITS) -> Fraction:
    """The value fio compares the running count with for percentile p of ``samples`` samples."""
    if p <= 0 or samples <= 0:
        return Fraction(0)
    hundredth = _round_to_bits(Fraction(1, 100), precision_bits)
    scaled = _round_to_bits(samples * hundredth, precision_bits)
    return _round_to_bits(scaled * Fraction(p), precision_bits)


def _bad_key(bins: Mapping[str, Any]) -> str:
    for key in bins:
        try:
            if 0 <= int(key) <= MAX_COUNT:
                continue
        except ValueError:
            pass
        return key
    return ""


class Histogram:
    """Counts per bucket value in nanoseconds (only non-empty buckets). Treated as immutable.

    A large set holds hundreds of thousands of bins of which a report uses a few kinds, so a
    histogram can stay in packed form (two arrays: bucket values and counts) until its counts are
    first needed.
    """

    __slots__ = ("_counts", "_keys", "_values", "_encoded")

    def __init__(self, counts: dict[int, int]) -> None:
        self._counts: dict[int, int] | None = counts
        self._keys: array | None = None
        self._values: array | None = None
        self._encoded: tuple[str, str] | None = None

    @classmethod
    def _packed(cls, keys: array | None, values: array | None, encoded: tuple[str, str] | None = None) -> Histogram:
        hist = cls.__new__(cls)
        hist._counts, hist._keys, hist._values, hist._encoded = None, keys, values, encoded
        return hist

    def _arrays(self) -> tuple[array, array]:
        if self._encoded is not None:
            try:
                keys, values = (array("q", b64decode(part, validate=True)) for part in self._encoded)
            except ValueError:  # binascii.Error too
                raise CorruptCache("a cached histogram is damaged; delete the result set's .cache directory") from None
            self._keys, self._values, self._encoded = keys, values, None
        return self._keys, self._values

    @property
    def counts(self) -> dict[int, int]:
        if self._counts is None:
            self._counts = dict(zip(*self._arrays()))
            self._keys = self._values = None
        return self._counts

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Histogram) and self.counts == other.counts

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Histogram({len(self)} buckets, {self.total} samples)"

    def __len__(self) -> int:
        return len(self._arrays()[0]) if self._counts is None else len(self._counts)

    @classmethod
    def from_json_bins(cls, bins: Mapping[str, Any]) -> Histogram:
        """From json+ ``bins`` ({"<ns>": count}); raises TypeError/ValueError/OverflowError naming
        the problem. Kept packed: the conversion runs at C speed."""
        try:
            keys = array("q", map(int, bins.keys()))
        except (ValueError, OverflowError):
            raise ValueError(f"bucket {brief(_bad_key(bins))} is not a whole number of nanoseconds below 2^63") from None
        try:
            values = array("q", bins.values())  # refuses floats, strings, null
        except TypeError as exc:
            raise TypeError(f"a count is not an integer ({exc})") from None
        except OverflowError:
            raise ValueError("a count is more than 2^63-1") from None
        if keys and min(keys) < 0:
            raise ValueError(f"negative latency bucket {brief(next(k for k in bins if int(k) < 0))}")
        if sum(values) > MAX_COUNT:
            raise ValueError(f"the counts add up to more than 2^63-1 ({sum(values)})")
        if values and min(values) <= 0:
            if min(values) < 0:
                bad = next(k for k, v in bins.items() if isinstance(v, int) and v < 0)
                raise ValueError(f"negative count for {brief(bad)}")
            kept = [(k, v) for k, v in zip(keys, values) if v]  # fio writes no empty buckets
            keys, values = array("q", (k for k, _ in kept)), array("q", (v for _, v in kept))
        if len(set(keys)) != len(keys):  # e.g. "100" and "0100": never written by fio
            counts: dict[int, int] = {}
            for k, v in zip(keys, values):
                counts[k] = counts.get(k, 0) + v
            return cls(counts)
        return cls._packed(keys, values)

    def to_b64(self) -> tuple[str, str]:
        """(bucket values, counts) as base64 machine arrays (in no particular order), for caches."""
        if self._counts is None:
            keys, values = self._arrays()
        else:
            keys, values = array("q", self._counts.keys()), array("q", self._counts.values())
        return b64encode(keys.tobytes()).decode("ascii"), b64encode(values.tobytes()).decode("ascii")

    @classmethod
    def from_b64(cls, keys: str, values: str) -> Histogram:
        """The inverse of to_b64; decoded only when the counts are first used."""
        if not (isinstance(keys, str) and isinstance(values, str) and len(keys) == len(values)
                and len(keys) % 4 == 0):
            raise ValueError("packed histogram: not two base64 arrays of one length")
        return cls._packed(None, None, (keys, values))

    @classmethod
    def merged(cls, histograms: Iterable[Histogram]) -> Histogram:
        """The sum of several histograms (one histogram is returned as it is: they are immutable)."""
        parts = sorted(histograms, key=len, reverse=True)
        if not parts:
            return cls({})
        if len(parts) == 1:
            return parts[0]
        counts = dict(parts[0].counts)  # start from the largest: fewer Python-level steps
        get = counts.get
        for hist in parts[1:]:
            for ns, n in hist.counts.items():
                counts[ns] = get(ns, 0) + n
        return cls(counts)

    @property
    def total(self) -> int:
        return sum(self._arrays()[1]) if self._counts is None else sum(self._counts.values())

    def sorted_items(self) -> list[tuple[int, int]]:
        if self._counts is None:
            return sorted(zip(*self._arrays()))
        return sorted(self._counts.items())

    def percentiles(
        self, wanted: Iterable[float] = FIO_DEFAULT_PERCENTILES, samples: int | None = None,
        precision_bits: int = LONG_DOUBLE_BITS,
    ) -> dict[float, int]:
        """fio's walk: for each p, the first bucket whose running count reaches p/100 x N.

        ``samples`` is N as fio had it (the stat's sample count); by default the sum of the bins.
        ``precision_bits`` is the significand of the float type fio compares in (see
        fio_threshold).
        """
        total = self.total if samples is None else samples
        result: dict[float, int] = {}
        if total <= 0:
            return result
        targets = sorted((fio_threshold(p, total, precision_bits), p) for p in wanted)
        running = 0
        i = 0
        for ns, count in self.sorted_items():
            running += count
            while i < len(targets) and running >= targets[i][0]:
                result[targets[i][1]] = ns
                i += 1
            if i == len(targets):
                break
        return result

    def percentile(self, p: float) -> int | None:
        return self.percentiles((p,)).get(p)

    def cdf(self) -> tuple[list[float], list[float]]:
        """(latency in microseconds, cumulative fraction 0..1) for plotting on a log axis."""
        total = self.total
        xs: list[float] = []
        ys: list[float] = []
        running = 0
        for ns, count in self.sorted_items():
            running += count
            xs.append(ns / 1000.0)
            ys.append(running / total)
        return xs, ys
