"""Latency histograms from fio's json+ ``bins`` and percentiles computed exactly as fio does.

fio (stat.c, calc_clat_percentiles) walks its buckets in order, keeps a running count, and reports
for percentile p the first bucket value whose running count reaches p/100 x N. The json+ bin keys
are those bucket values, so doing the same walk over the bins reproduces fio's numbers exactly, and
walking the sum of several clients' bins gives the cluster-wide percentile.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from fractions import Fraction

# fio's default percentile list (options.c: def_percentile_list)
FIO_DEFAULT_PERCENTILES: tuple[float, ...] = (
    1.0, 5.0, 10.0, 20.0, 30.0, 40.0, 50.0, 60.0, 70.0, 80.0, 90.0, 95.0, 99.0, 99.5, 99.9, 99.95, 99.99,
)


# fio's stat.c compares `sum >= (long double) p / 100.0 * nr`, but fio is built with -ffast-math,
# so the compiler turns the division into a multiplication by the long double nearest to 1/100 and
# reorders it: Debian's fio 3.33 on x86-64 computes (nr * 0.01L) * p on the x87 FPU, rounding each
# step to a 64-bit significand (read from its machine code). The rounding decides ties: a running
# count that equals p/100 x N exactly reaches the threshold or not.
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


@dataclass(slots=True)
class Histogram:
    """Counts per bucket value in nanoseconds (only non-empty buckets)."""

    counts: dict[int, int]

    @classmethod
    def from_json_bins(cls, bins: Mapping[str, object]) -> Histogram:
        counts: dict[int, int] = {}
        for key, value in bins.items():
            if isinstance(value, bool) or not isinstance(value, int):
                raise TypeError(f"count for {key!r} is {type(value).__name__}")
            if value < 0:
                raise ValueError(f"negative count for {key!r}")
            if value:
                ns = int(key)
                counts[ns] = counts.get(ns, 0) + value
        return cls(counts)

    @classmethod
    def merged(cls, histograms: Iterable[Histogram]) -> Histogram:
        counts: dict[int, int] = {}
        for hist in histograms:
            for ns, n in hist.counts.items():
                counts[ns] = counts.get(ns, 0) + n
        return cls(counts)

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def sorted_items(self) -> list[tuple[int, int]]:
        return sorted(self.counts.items())

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
