"""How sure a mean is: the standard error of a ratio mean and Student's t, without SciPy.

Every mean cece reports is a ratio m = Σaᵢ / Σbᵢ: aᵢ a sample's numerator (its weighted loss),
bᵢ its share of the denominator (its weight; 1 for a plain mean). Its standard error is the
linearisation (ratio-estimator) one, √(n/(n−1) · Σ(aᵢ − m·bᵢ)²) / Σbᵢ, which is s/√n
(``scipy.stats.sem``, ddof = 1) when every bᵢ = 1.

:class:`RatioMoments` keeps, per block, the residual sum R = Σ(aᵢ − mₖbᵢ)² about the block's own
ratio mₖ, with S = Σ(aᵢ − mₖbᵢ)bᵢ and Q = Σbᵢ²; blocks merge by moving each to the combined
ratio m: R + 2(mₖ − m)S + (mₖ − m)²Q (Chan, Golub & LeVeque's pairwise update, generalised).
Residuals are formed where the data are, so a spread near zero stays near zero (expanding
C_aa − 2m·C_ab + m²·C_bb instead would cancel to √eps of the scale). Blocks, shards and
``cece merge`` thus give one run's value.

Student's t (``scipy.stats.t.sf`` / ``t.ppf``) is computed from the regularised incomplete beta
function, I_x(ν/2, ½) with x = ν/(ν + t²), by its continued fraction (Numerical Recipes §6.4,
modified Lentz) for ν < 100 and DiDonato & Morris' BGRAT expansion above (the fraction loses
~ν·eps there); the quantile by Newton's method from the normal quantile, kept in a bracket.
Closed forms for ν = 1, 2. Relative accuracy ~1e-13 over ν ∈ [1, 10⁹] against mpmath.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, fields
from typing import Any

import numpy as np

from cece.errors import OptionError
from cece.losses.validate import check_range

_TINY = 1e-300
_EPS = 1e-16


@dataclass
class RatioMoments:
    """n, Σa, Σb, and R, S, Q about the ratio Σa/Σb (module docstring): mergeable."""

    n: int = 0
    sum_a: float = 0.0
    sum_b: float = 0.0
    r: float = 0.0  # Σ(aᵢ − m·bᵢ)²
    s: float = 0.0  # Σ(aᵢ − m·bᵢ)·bᵢ
    q: float = 0.0  # Σbᵢ²

    @classmethod
    def of(cls, a: np.ndarray, b: np.ndarray | None = None, chosen: bool = False) -> RatioMoments:
        """The moments of one block (``b`` None: every bᵢ = 1, a plain mean of ``a``). A pair
        (aᵢ, bᵢ) = (0, 0), a weight of 0 and no loss, is not a sample, unless ``chosen``: the
        caller chose the samples (``cece compare``: by both runs' losses)."""
        a = np.asarray(a, dtype=np.float64).ravel()
        n = len(a)
        if not n:
            return cls()
        if b is not None:
            b = np.asarray(b, dtype=np.float64).ravel()
            if len(b) != n:
                raise OptionError(f"{n} numerators but {len(b)} denominators")
            weighed = (b != 0) | (a != 0)
            if not chosen and not weighed.all():
                a, b = a[weighed], b[weighed]
                n = len(a)
                if not n:
                    return cls()
        sum_a = float(a.sum())
        sum_b = float(n) if b is None else float(b.sum())
        m = sum_a / sum_b if sum_b else 0.0
        with np.errstate(invalid="ignore"):  # an inf aᵢ: the spread is undefined (nan)
            res = a - m if b is None else a - m * b
            r = float(np.dot(res, res))
            if b is None:
                return cls(n, sum_a, sum_b, r, float(res.sum()), float(n))
            return cls(n, sum_a, sum_b, r, float(np.dot(res, b)), float(np.dot(b, b)))

    def _ratio(self) -> float:
        return self.sum_a / self.sum_b if self.sum_b else 0.0

    def merge(self, other: RatioMoments) -> None:
        """Add ``other``'s samples (exact to rounding; the order of merges is the caller's)."""
        if not other.n:
            return
        if not self.n:
            for f in fields(self):
                setattr(self, f.name, getattr(other, f.name))
            return
        sum_a, sum_b = self.sum_a + other.sum_a, self.sum_b + other.sum_b
        m = sum_a / sum_b if sum_b else 0.0
        r = s = 0.0
        for part in (self, other):
            shift = part._ratio() - m
            r += part.r + shift * (2 * part.s + shift * part.q)
            s += part.s + shift * part.q
        self.n += other.n
        self.sum_a, self.sum_b = sum_a, sum_b
        self.r, self.s, self.q = r, s, self.q + other.q

    @property
    def mean(self) -> float:
        """m = Σa / Σb (nan when there is nothing to divide)."""
        return self.sum_a / self.sum_b if self.n and self.sum_b else math.nan

    @property
    def stderr(self) -> float:
        """The ratio estimator's standard error of :attr:`mean` (nan below two samples)."""
        if self.n < 2 or math.isnan(self.mean):
            return math.nan
        return math.sqrt(self.n / (self.n - 1) * max(self.r, 0.0)) / abs(self.sum_b)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> RatioMoments:
        """Read back from JSON (non-finite sums are strings there, as in ``Summary``)."""
        values: dict[str, Any] = {
            f.name: float(data[f.name]) if isinstance(data[f.name], str) else data[f.name]
            for f in fields(cls)
            if f.name in data
        }
        return cls(**values)


def interval(mean: float, stderr: float, n: int, confidence: float) -> tuple[float, float]:
    """mean ± t·stderr, t Student's quantile at n − 1 degrees of freedom (nan when undefined)."""
    check_confidence(confidence)
    if n < 2 or not math.isfinite(stderr) or math.isnan(mean):
        return math.nan, math.nan
    half = student_t_ppf(0.5 + confidence / 2, n - 1) * stderr
    return mean - half, mean + half


def t_test_p_value(mean: float, stderr: float, n: int) -> float:
    """Two-sided p-value of H₀: the expectation is 0 (``scipy.stats.ttest_1samp``/``ttest_rel``)."""
    if n < 2 or math.isnan(mean) or math.isnan(stderr):
        return math.nan
    if stderr == 0:  # every difference the same: scipy's t is ±inf (p 0), or nan when all 0
        return math.nan if mean == 0 else 0.0
    return min(1.0, 2 * student_t_sf(abs(mean / stderr), n - 1))


def check_confidence(confidence: float) -> None:
    """``--confidence must be in (0, 1); got 1`` (an :class:`~cece.errors.OptionError`)."""
    check_range(confidence, 0, 1, "--confidence", low_open=True, high_open=True)


def student_t_sf(t: float, df: float) -> float:
    """P(T > t) for Student's t with ``df`` degrees of freedom."""
    if df <= 0 or math.isnan(t) or math.isnan(df):
        return math.nan
    if math.isinf(t):
        return 0.0 if t > 0 else 1.0
    if df == 1:  # Cauchy
        return 0.5 - math.atan(t) / math.pi if t < 1 else math.atan2(1.0, t) / math.pi
    if df == 2:
        return 0.5 - t / (2 * math.sqrt(2 + t * t)) if t < 0 else _sf2(t)
    tail = 0.5 * _beta_tail(df, t)  # P(|T| > |t|) / 2
    return tail if t >= 0 else 1.0 - tail


def _sf2(t: float) -> float:
    # 0.5 − t/(2√(2+t²)) without cancellation: 1/(√(2+t²)·(√(2+t²)+t))
    r = math.sqrt(2 + t * t)
    return 1.0 / (r * (r + t))


def student_t_ppf(q: float, df: float) -> float:
    """The t with P(T ≤ t) = q."""
    if not 0 < q < 1 or df <= 0:
        return math.nan if not 0 <= q <= 1 or df <= 0 else (-math.inf if q == 0 else math.inf)
    if q == 0.5:
        return 0.0
    return -_ppf_upper(q, df) if q < 0.5 else _ppf_upper(1 - q, df)


def _ppf_upper(p: float, df: float) -> float:
    """The t > 0 with P(T > t) = p (p < 1/2)."""
    if df == 1:
        return 1.0 / math.tan(math.pi * p)
    if df == 2:
        return (1 - 2 * p) / math.sqrt(2 * p * (1 - p))
    t = _normal_upper(p) if p > 1e-15 else math.sqrt(df * (p ** (-2 / df) - 1))
    lo, hi = 0.0, math.inf
    for _ in range(200):
        sf = student_t_sf(t, df)
        if sf > p:
            lo = t
        else:
            hi = t
        step = (sf - p) / _pdf(t, df)
        new = t + step
        if not lo < new < hi:  # Newton left the bracket: bisect (or double)
            new = (lo + hi) / 2 if math.isfinite(hi) else 2 * t + 1
        if abs(new - t) <= 1e-15 * abs(new):
            return new
        t = new
    return t


def _normal_upper(p: float) -> float:
    """The normal quantile z with P(Z > z) = p < 1/2, to 4.5e-4 (Abramowitz & Stegun 26.2.23):
    Newton's start above, which it refines to the t quantile (start-up: not `statistics`,
    whose import, with `fractions` and `decimal`, costs more than this run's arithmetic)."""
    r = math.sqrt(-2.0 * math.log(p))
    return r - (2.515517 + r * (0.802853 + r * 0.010328)) / (
        1.0 + r * (1.432788 + r * (0.189269 + r * 0.001308))
    )


def _pdf(t: float, df: float) -> float:
    return math.exp(
        -_log_beta_half(df / 2) - 0.5 * math.log(df) - (df + 1) / 2 * math.log1p(t * t / df)
    )


def _log_beta_half(a: float) -> float:
    """ln B(a, ½) = ln Γ(a) + ln Γ(½) − ln Γ(a + ½), without lgamma's cancellation at large a."""
    if a < 1e3:
        return math.lgamma(a) + math.lgamma(0.5) - math.lgamma(a + 0.5)
    # ln Γ(a + ½) − ln Γ(a) = ½ ln a − 1/(8a) + 1/(192a³) − 1/(640a⁵) + 17/(14336a⁷) (DLMF 5.11.13)
    x = 1 / a
    x2 = x * x
    series = x * (-1 / 8 + x2 * (1 / 192 + x2 * (-1 / 640 + x2 * 17 / 14336)))
    return 0.5 * math.log(math.pi) - 0.5 * math.log(a) - series


def _beta_tail(df: float, t: float) -> float:
    """P(|T| > |t|) = I_x(df/2, ½) with x = df/(df + t²)."""
    t2 = t * t
    a, b = df / 2, 0.5
    if t2 == 0:
        return 1.0
    # ln x and ln(1 − x) without cancellation
    log_x = -math.log1p(t2 / df)
    log_1mx = math.log(t2) - math.log(df + t2) if df + t2 > t2 else -math.log1p(df / t2)
    x = math.exp(log_x)
    direct = x < (a + 1) / (a + b + 2)
    if direct and df >= 100 and log_x > -0.7 and -(a - 0.25) * log_x < 690:
        return _bgrat_half(a, log_x)  # x near 1, a large: the fraction would lose ~a·eps
    front = math.exp(a * log_x + b * log_1mx - _log_beta_half(a))
    if direct:
        return front * _beta_fraction(a, b, x) / a
    # the symmetry I_x(a, b) = 1 − I_{1−x}(b, a): the fraction converges fast on this side
    return 1.0 - front * _beta_fraction(b, a, -math.expm1(log_x)) / b


def _bgrat_half(a: float, log_x: float) -> float:
    """I_x(a, ½) for large a: DiDonato & Morris' BGRAT (ACM TOMS 708, eq. 9-9.6), as Boost's
    ``beta_small_b_large_a_series``; with b = ½ the incomplete gamma is erfc."""
    b = 0.5
    t = a + (b - 1) / 2
    u = -t * log_x
    h = math.sqrt(u / math.pi) * math.exp(-u)  # u^b e^(−u) / Γ(b)
    prefix = h * math.exp(math.log(math.pi) / 2 - _log_beta_half(a)) / math.sqrt(t)
    p = [1.0]
    j = math.erfc(math.sqrt(u)) / h
    total = prefix * j
    lx2 = (log_x / 2) ** 2
    lxp, t4, b2n = 1.0, 4 * t * t, b
    for n in range(1, 30):
        pn = sum((m * b - n) * p[n - m] / math.factorial(2 * m + 1) for m in range(1, n)) / n
        p.append(pn + (b - 1) / math.factorial(2 * n + 1))
        j = (b2n * (b2n + 1) * j + (u + b2n + 1) * lxp) / t4
        lxp *= lx2
        b2n += 2
        term = prefix * p[n] * j
        total += term
        if abs(term) < 1e-17 * abs(total):
            break
    return total


def _beta_fraction(a: float, b: float, x: float) -> float:
    """The continued fraction of I_x(a, b) (Numerical Recipes' betacf, modified Lentz)."""
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    d = 1 / (d if abs(d) > _TINY else _TINY)
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = 1 + aa / c
        c = c if abs(c) > _TINY else _TINY
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = 1 / (d if abs(d) > _TINY else _TINY)
        c = 1 + aa / c
        c = c if abs(c) > _TINY else _TINY
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return h
