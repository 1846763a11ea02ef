#!/usr/bin/python3
"""High-precision reference values f(x) and f'(x) of every registered activation.

What: for each activation spec (the 30 registered names at their defaults, plus a few fixed
activations at non-default hyper-parameters) and each of a fixed set of points x (all exactly
representable in float32), f(x) and f'(x) computed with mpmath at 50 significant digits and
written with 21 significant digits. A C++ test (framework/tapegrad/activations/accuracy.cpp,
read_reference / measure_accuracy) builds each spec in float32 and float64, sets the parameters
listed in the file, and measures the error of f and f' in ulps. The test never calls Python:
the output of this script is checked in as tests/activations/reference.txt.

How to run (Debian's Python, which has mpmath; no other dependency):

    /usr/bin/python3 tests/activations/make_reference.py > tests/activations/reference.txt
    /usr/bin/python3 tests/activations/make_reference.py --out tests/activations/reference.txt
    /usr/bin/python3 tests/activations/make_reference.py --check   # self-checks, to stderr

The output is deterministic (no randomness, no dates). --check compares, at the points with
|x| <= 20, every written f with a naive transcription of the formula evaluated at 400 digits,
and every written f' with mpmath's numerical derivative (mp.diff, step 2^-120) of that naive
formula; then a few published values.

File format (plain text, one record per line, single spaces, '#' starts a comment line):

    spec <spec string, as the registry parses it, no spaces>
    param <name as the module registers it> <v1> <v2> ...   (zero or more; tensor element order)
    x <x> <f(x)> <f'(x)>
    end

x and the parameter values are float32-exact numbers written as the shortest decimal that
round-trips as a float64 (Python repr), so strtod gives the exact value (and strtof too): '%.9g'
would round-trip only through float, and a test that reads x with strtod and evaluates in
float64 would then evaluate at a point that is not the one the reference was computed at.
f and f' have 21 significant digits in scientific notation. An exact zero is written 0; a
nonzero value too small for float64 (|v| <= 2^-1075, which rounds to zero) is written 0 or -0
with its sign, i.e. its correctly rounded float64 value. Values between 2^-1075 and the
smallest normal double are written as they are (subnormal in float64).

Points (the same candidate set for every spec, each rounded to float32):
  * -100 to 100 in steps of 1 (201 points; --step 0.5 gives 401, but a file of 1.15 MB);
  * +-10^k for k = -30..-1 and 2..30;
  * every kink or threshold t of any spec and every place where the float32 code of
    kernels/vecmath.hpp or fixed.cpp switches method, with t*(1 +- 2^-20), t +- 2^-20 and the
    two float32 neighbours of t;
  * -104, -103, -88.7, -87, -80, -20, -10, -5.6, -5, -4, -2, -0.5, -2^-10, -2^-25, -2^-100,
    2^-100, 2^-25, 2^-10, 0.5, 2, 4, 5, 10, 20, 88, 88.7 (POINTS_FIXED below).
Per spec, a point is left out where f is not differentiable or f' is a convention (the kinks
listed with each spec below; for PAU x = 0, where |b_1| |x| makes f' jump), and where f or
f' is not finite or |value| > 1e300.

Sources of the formulas (the reference computes the same mathematical function as the code;
float32-only tricks such as mish's clamp at 20 or the 2^-100 switches are not part of the
function):
  framework/tapegrad/activations/fixed.cpp: identity, sigmoid, tanh, relu, relu6, leaky_relu
    (slope), elu (alpha), selu (the two constants as written there), celu (alpha), gelu
    (x Phi(x)), gelu_tanh (sqrt(2/pi), 0.044715), silu, mish, softplus (beta, threshold: x when
    beta x > threshold, else log(1 + e^(beta x)) / beta), hardswish, hardsigmoid, hardtanh
    (min_val, max_val), softsign, logsigmoid. Hyper-parameters are used as exact decimals (the
    spec's text), e.g. slope 0.01 = 1/100.
  framework/tapegrad/activations/learnable.cpp: prelu (weight), scaled_relu (alpha),
    swish_beta (beta), sigmoid_beta (sigmoid(beta x), beta), tanh_beta (tanh(beta x), beta),
    pelu (a/b x for x >= 0, a expm1(x/b) below; a = softplus(a_raw), b = softplus(b_raw),
    referenced at the nominal a = b = 1, no param lines), learnable_celu
    (alpha = softplus(alpha_raw), referenced at the nominal alpha = 1, no param lines), apl
    (max(0, x) + sum_s a_s max(0, b_s - x), S = 2 hinges, a = 0, b_s = -1 + (2s - 1)/S), srelu
    (t_l, a_l, t_r, a_r), pau ("safe" Pade 5/4: sum a_j x^j / (1 + sum |b_k| |x|^k), the
    pade_optimized_leakyrelu coefficients), rational (type 3/2, plain denominator, Boulle et
    al.'s coefficients). Their parameters are the init values rounded to float32, and are
    written as param lines.
The piecewise-linear ones, hardswish, softsign, PAU and rational are evaluated exactly with
Python fractions (f and f' as exact rationals) and then rounded to 50 digits; the others
with mpmath, in forms without cancellation (sigmoid(x) sigmoid(-x) for sigmoid', sech^2 for
1 - tanh^2, erfc for Phi, x sigmoid(2u) for gelu_tanh, ...).
"""

import argparse
import struct
import sys
from fractions import Fraction as Fr

import mpmath
from mpmath import mp

mp.dps = 50

# ------------------------------------------------------------------ numbers


def f32(v):
    """v (a Python float) rounded to the nearest float32, as a Python float."""
    return struct.unpack("f", struct.pack("f", float(v)))[0]


def f32_next(v, up):
    """The float32 neighbour of the float32 value v (not 0, not +-max) above or below it."""
    (b,) = struct.unpack("<i", struct.pack("<f", v))
    b += 1 if (up == (v > 0)) else -1
    return struct.unpack("<f", struct.pack("<i", b))[0]


def fmt_exact(v):
    """The shortest decimal that round-trips v as a float64 (v is float32-exact)."""
    if v == 0:
        return "0"
    s = repr(float(v))
    if s.endswith(".0"):
        s = s[:-2]
    assert float(s) == v and f32(float(s)) == v
    return s


TINY = mp.mpf(2) ** -1075  # at or below this, a value rounds to (signed) zero in float64
HUGE = mp.mpf("1e300")


def fmt_val(v):
    """21 significant digits, scientific notation."""
    if v == 0:
        return "0"
    if abs(v) <= TINY:
        return "-0" if v < 0 else "0"
    return mp.nstr(v, 21, strip_zeros=False, min_fixed=1, max_fixed=0, show_zero_exponent=True)


def to_mp(q):
    """A Fraction (or int) rounded to the working precision."""
    q = Fr(q)
    return mp.mpf(q.numerator) / mp.mpf(q.denominator)


def dec(text):
    """An exact decimal constant (a hyper-parameter as the spec writes it)."""
    return Fr(text)


# ------------------------------------------------------------------ mpmath building blocks


def sigmoid(z):
    return 1 / (1 + mp.exp(-z))


def softplus(z):
    """log(1 + e^z) without cancellation."""
    return max(z, 0) + mp.log1p(mp.exp(-abs(z)))


def Phi(x):
    return mp.erfc(-x / mp.sqrt(2)) / 2


def phi(x):
    return mp.exp(-x * x / 2) / mp.sqrt(2 * mp.pi)


SELU_ALPHA = mp.mpf("1.6732632423543772848170429916717")  # fixed.cpp kSeluAlpha
SELU_SCALE = mp.mpf("1.0507009873554804934193349852946")  # fixed.cpp kSeluScale
GELU_C = mp.sqrt(2 / mp.pi)
GELU_K = mp.mpf("0.044715")

# ------------------------------------------------------------------ the activations
#
# Each spec: its string, param lines, the kinks (points left out), and fd(xq, xm) -> (f, f'),
# where xq is x as an exact Fraction and xm as an (exact) mpf.


class Spec:
    def __init__(self, spec, fd, kinks=(), params=(), naive=None, max_abs_x=None,
                 absolute=()):
        self.spec = spec
        # 'f' and/or 'df': measured in absolute terms at every point (see 'absolute' below).
        self.absolute = list(absolute)
        # Points beyond |x| = max_abs_x are left out (a rational function's x^m overflows
        # float32 near |x| = 1e38^(1/m): the range where it is usable is what is measured).
        self.max_abs_x = max_abs_x
        self.fd = fd
        self.kinks = [float(k) for k in kinks]
        self.params = list(params)  # (name, [float32-exact values])
        self.naive = naive  # naive mpmath f for --check (defaults: none)


def exact(fn):
    """fd from a function of the exact Fraction returning (f, f') as Fractions."""

    def fd(xq, xm):
        f, d = fn(xq)
        return to_mp(f), to_mp(d)

    return fd


def sgn(q):
    return (q > 0) - (q < 0)


def relu_q(x):
    return (x, 1) if x > 0 else (0, 0)


def leaky_q(slope):
    return lambda x: (x, 1) if x > 0 else (slope * x, slope)


def relu6_q(x):
    if x <= 0:
        return 0, 0
    if x >= 6:
        return 6, 0
    return x, 1


def hardtanh_q(lo, hi):
    def fn(x):
        if x <= lo:
            return lo, 0
        if x >= hi:
            return hi, 0
        return x, 1

    return fn


def hardswish_q(x):
    if x <= -3:
        return 0, 0
    if x >= 3:
        return x, 1
    return x * (x + 3) / 6, x / 3 + Fr(1, 2)


def hardsigmoid_q(x):
    if x <= -3:
        return 0, 0
    if x >= 3:
        return 1, 0
    return (x + 3) / 6, Fr(1, 6)


def softsign_q(x):
    d = 1 + abs(x)
    return x / d, 1 / (d * d)


def elu_fd(alpha):
    a = to_mp(alpha)

    def fd(xq, x):
        if x > 0:
            return x, mp.mpf(1)
        return a * mp.expm1(x), a * mp.exp(x)

    return fd


def celu_fd(alpha):
    a = to_mp(alpha)

    def fd(xq, x):
        if x > 0:
            return x, mp.mpf(1)
        return a * mp.expm1(x / a), mp.exp(x / a)

    return fd


def selu_fd(xq, x):
    if x > 0:
        return SELU_SCALE * x, SELU_SCALE
    return SELU_SCALE * SELU_ALPHA * mp.expm1(x), SELU_SCALE * SELU_ALPHA * mp.exp(x)


def sigmoid_fd(xq, x):
    return sigmoid(x), sigmoid(x) * sigmoid(-x)


def tanh_fd(xq, x):
    return mp.tanh(x), mp.sech(x) ** 2


def gelu_fd(xq, x):
    return x * Phi(x), Phi(x) + x * phi(x)


def gelu_tanh_fd(xq, x):
    # 0.5 x (1 + tanh(u)) = x sigmoid(2u), without cancellation for u << 0.
    u = GELU_C * (x + GELU_K * x**3)
    f = x * sigmoid(2 * u)
    d = sigmoid(2 * u) + x / 2 * mp.sech(u) ** 2 * GELU_C * (1 + 3 * GELU_K * x**2)
    return f, d


def sigmoid_beta_fd(beta):
    b = to_mp(beta)

    def fd(xq, x):
        return sigmoid(b * x), b * sigmoid(b * x) * sigmoid(-b * x)

    return fd


def tanh_beta_fd(beta):
    b = to_mp(beta)

    def fd(xq, x):
        return mp.tanh(b * x), b * mp.sech(b * x) ** 2

    return fd


def swish_fd(beta):
    b = to_mp(beta)

    def fd(xq, x):
        s, sm = sigmoid(b * x), sigmoid(-b * x)
        return x * s, s + b * x * s * sm  # s (1 + b x (1 - s))

    return fd


def mish_fd(xq, x):
    sp = softplus(x)
    t = mp.tanh(sp)
    return x * t, t + x * sigmoid(x) * mp.sech(sp) ** 2


def softplus_fd(beta, threshold):
    b = to_mp(beta)

    def fd(xq, x):
        if beta * xq > threshold:
            return x, mp.mpf(1)
        return softplus(b * x) / b, sigmoid(b * x)

    return fd


def logsigmoid_fd(xq, x):
    return -softplus(-x), sigmoid(-x)


def pelu_fd(a, b):
    a, b = to_mp(a), to_mp(b)

    def fd(xq, x):
        if x >= 0:
            return a / b * x, a / b
        return a * mp.expm1(x / b), a / b * mp.exp(x / b)

    return fd


def apl_q(a, b):
    def fn(x):
        f = x if x > 0 else 0
        d = 1 if x > 0 else 0
        for ai, bi in zip(a, b):
            if bi - x > 0:
                f += ai * (bi - x)
                d -= ai
        return f, d

    return fn


def srelu_q(tl, al, tr, ar):
    def fn(x):
        if x >= tr:
            return tr + ar * (x - tr), ar
        if x <= tl:
            return tl + al * (x - tl), al
        return x, 1

    return fn


def pau_q(num, den):
    bs = [abs(b) for b in den]

    def fn(x):
        ax = abs(x)
        p = sum(a * x**j for j, a in enumerate(num))
        dp = sum(j * a * x ** (j - 1) for j, a in enumerate(num) if j > 0)
        q = 1 + sum(b * ax ** (k + 1) for k, b in enumerate(bs))
        dq = sgn(x) * sum((k + 1) * b * ax**k for k, b in enumerate(bs))
        return p / q, (dp * q - p * dq) / (q * q)

    return fn


def rational_q(num, den):
    def fn(x):
        p = sum(a * x**j for j, a in enumerate(num))
        dp = sum(j * a * x ** (j - 1) for j, a in enumerate(num) if j > 0)
        q = sum(b * x**k for k, b in enumerate(den))
        dq = sum(k * b * x ** (k - 1) for k, b in enumerate(den) if k > 0)
        return p / q, (dp * q - p * dq) / (q * q)

    return fn


# Learnable parameters: the init values (learnable.cpp) rounded to float32.
PRELU_W = [f32(0.25)]
SCALED_ALPHA = [f32(1.0)]
SWISH_BETA = [f32(1.0)]
SIGMOID_BETA = [f32(1.0)]
TANH_BETA = [f32(1.0)]
APL_S = 2
APL_A = [f32(0.0)] * APL_S
APL_B = [f32(-1.0 + 2.0 * (s + 0.5) / APL_S) for s in range(APL_S)]
SRELU = {"t_l": f32(0.0), "a_l": f32(0.2), "t_r": f32(1.0), "a_r": f32(1.0)}
PAU_NUM = [f32(v) for v in (3.35583603e-02, 5.05000375e-01, 1.65343934e+00,
                            2.01001052e+00, 9.31901999e-01, 1.52424124e-01)]
PAU_DEN = [f32(v) for v in (3.30847488e-06, 3.98021568e+00, 5.12471206e-07, 3.01830109e-01)]
RAT_NUM = [f32(v) for v in (0.0218, 0.5, 1.5957, 1.1915)]
RAT_DEN = [f32(v) for v in (1.0, 0.0, 2.383)]


def Q(vs):
    return [Fr(v) for v in vs]


# Naive transcriptions of the formulas (for --check only): plain mpmath, branches as written.
def _naive_sig(x):
    return 1 / (1 + mp.exp(-x))


NAIVE = {
    "identity": lambda x: x,
    "sigmoid": _naive_sig,
    "tanh": mp.tanh,
    "relu": lambda x: max(x, 0),
    "relu6": lambda x: min(max(x, 0), 6),
    "leaky_relu": lambda x: x if x > 0 else mp.mpf("0.01") * x,
    "leaky_relu(slope=0.2)": lambda x: x if x > 0 else mp.mpf("0.2") * x,
    "elu": lambda x: x if x > 0 else mp.exp(x) - 1,
    "elu(alpha=0.5)": lambda x: x if x > 0 else mp.mpf("0.5") * (mp.exp(x) - 1),
    "selu": lambda x: SELU_SCALE * (x if x > 0 else SELU_ALPHA * (mp.exp(x) - 1)),
    "celu": lambda x: max(x, 0) + min(0, mp.exp(x) - 1),
    "celu(alpha=2)": lambda x: max(x, 0) + min(0, 2 * (mp.exp(x / 2) - 1)),
    "gelu": lambda x: x / 2 * (1 + mp.erf(x / mp.sqrt(2))),
    "gelu_tanh": lambda x: x / 2 * (1 + mp.tanh(mp.sqrt(2 / mp.pi) * (x + mp.mpf("0.044715") * x**3))),
    "silu": lambda x: x * _naive_sig(x),
    "mish": lambda x: x * mp.tanh(mp.log(1 + mp.exp(x))),
    "softplus": lambda x: x if x > 20 else mp.log(1 + mp.exp(x)),
    "softplus(beta=2,threshold=10)": lambda x: x if 2 * x > 10 else mp.log(1 + mp.exp(2 * x)) / 2,
    "hardswish": lambda x: x * min(max(x + 3, 0), 6) / 6,
    "hardsigmoid": lambda x: min(max(x + 3, 0), 6) / 6,
    "hardtanh": lambda x: min(max(x, -1), 1),
    "hardtanh(min_val=-2,max_val=3)": lambda x: min(max(x, -2), 3),
    "softsign": lambda x: x / (1 + abs(x)),
    "logsigmoid": lambda x: mp.log(_naive_sig(x)),
    "prelu": lambda x: x if x > 0 else mp.mpf(PRELU_W[0]) * x,
    "scaled_relu": lambda x: mp.mpf(SCALED_ALPHA[0]) * max(0, x),
    "swish_beta": lambda x: x * _naive_sig(mp.mpf(SWISH_BETA[0]) * x),
    "sigmoid_beta": lambda x: _naive_sig(mp.mpf(SIGMOID_BETA[0]) * x),
    "tanh_beta": lambda x: mp.tanh(mp.mpf(TANH_BETA[0]) * x),
    "pelu": lambda x: x if x >= 0 else mp.exp(x) - 1,
    "learnable_celu": lambda x: max(0, x) + min(0, mp.exp(x) - 1),
    "apl": lambda x: max(0, x) + sum(mp.mpf(a) * max(0, mp.mpf(b) - x) for a, b in zip(APL_A, APL_B)),
    "srelu": lambda x: (SRELU["t_r"] + SRELU["a_r"] * (x - SRELU["t_r"]) if x >= SRELU["t_r"] else
                        SRELU["t_l"] + mp.mpf(SRELU["a_l"]) * (x - SRELU["t_l"]) if x <= SRELU["t_l"] else x),
    "pau": lambda x: (sum(mp.mpf(a) * x**j for j, a in enumerate(PAU_NUM)) /
                      (1 + sum(abs(mp.mpf(b)) * abs(x) ** (k + 1) for k, b in enumerate(PAU_DEN)))),
    "rational": lambda x: (sum(mp.mpf(a) * x**j for j, a in enumerate(RAT_NUM)) /
                           sum(mp.mpf(b) * x**k for k, b in enumerate(RAT_DEN))),
}


def specs():
    """Every spec, in the order of `activations list`, the non-default ones after their base."""
    S = []
    S.append(Spec("apl", exact(apl_q(Q(APL_A), Q(APL_B))), kinks=[0.0] + APL_B,
                  params=[("a", APL_A), ("b", APL_B)]))
    S.append(Spec("celu", celu_fd(1), kinks=[0]))
    S.append(Spec("celu(alpha=2)", celu_fd(2), kinks=[0]))
    S.append(Spec("elu", elu_fd(1), kinks=[0]))
    S.append(Spec("elu(alpha=0.5)", elu_fd(dec("0.5")), kinks=[0]))
    S.append(Spec("gelu", gelu_fd))
    S.append(Spec("gelu_tanh", gelu_tanh_fd))
    S.append(Spec("hardsigmoid", exact(hardsigmoid_q), kinks=[-3, 3]))
    S.append(Spec("hardswish", exact(hardswish_q), kinks=[-3, 3]))
    S.append(Spec("hardtanh", exact(hardtanh_q(-1, 1)), kinks=[-1, 1]))
    S.append(Spec("hardtanh(min_val=-2,max_val=3)", exact(hardtanh_q(-2, 3)), kinks=[-2, 3]))
    S.append(Spec("identity", exact(lambda x: (x, 1))))
    S.append(Spec("leaky_relu", exact(leaky_q(dec("0.01"))), kinks=[0]))
    S.append(Spec("leaky_relu(slope=0.2)", exact(leaky_q(dec("0.2"))), kinks=[0]))
    # alpha = softplus(alpha_raw) = 1: the test stores the alpha_raw whose softplus is exactly 1.
    S.append(Spec("learnable_celu", celu_fd(1), kinks=[0],
                  params=[("softplus_of:alpha_raw", [1.0])]))
    S.append(Spec("logsigmoid", logsigmoid_fd))
    S.append(Spec("mish", mish_fd))
    # x = 0: Q has |b_1| |x| with b_1 != 0, so f' jumps there (the code takes sign(0) = 0).
    S.append(Spec("pau", exact(pau_q(Q(PAU_NUM), Q(PAU_DEN))), kinks=[0],
                  params=[("numerator", PAU_NUM), ("denominator", PAU_DEN)], max_abs_x=1e6))
    S.append(Spec("pelu", pelu_fd(1, 1), kinks=[0],  # a = b = 1 (softplus of a_raw, b_raw)
                  params=[("softplus_of:a_raw", [1.0]), ("softplus_of:b_raw", [1.0])]))
    S.append(Spec("prelu", exact(leaky_q(Fr(PRELU_W[0]))), kinks=[0],
                  params=[("weight", PRELU_W)]))
    S.append(Spec("rational", exact(rational_q(Q(RAT_NUM), Q(RAT_DEN))),
                  params=[("numerator", RAT_NUM), ("denominator", RAT_DEN)], max_abs_x=1e6))
    S.append(Spec("relu", exact(relu_q), kinks=[0]))
    S.append(Spec("relu6", exact(relu6_q), kinks=[0, 6]))
    a = Fr(SCALED_ALPHA[0])
    S.append(Spec("scaled_relu", exact(lambda x: (a * x, a) if x > 0 else (0, 0)), kinks=[0],
                  params=[("alpha", SCALED_ALPHA)]))
    S.append(Spec("selu", selu_fd, kinks=[0]))
    # sigmoid' and tanh' are computed from y as PyTorch does: absolute errors by design.
    S.append(Spec("sigmoid", sigmoid_fd, absolute=["df"]))
    # Their f' is not from y (s(bx) s(-bx) and sech^2 from one exp): measured in ulps.
    S.append(Spec("sigmoid_beta", sigmoid_beta_fd(Fr(SIGMOID_BETA[0])),
                  params=[("beta", SIGMOID_BETA)]))
    S.append(Spec("silu", swish_fd(1)))
    S.append(Spec("softplus", softplus_fd(1, 20), kinks=[20]))
    S.append(Spec("softplus(beta=2,threshold=10)", softplus_fd(2, 10), kinks=[5]))
    S.append(Spec("softsign", exact(softsign_q)))
    sr = {k: Fr(v) for k, v in SRELU.items()}
    S.append(Spec("srelu", exact(srelu_q(sr["t_l"], sr["a_l"], sr["t_r"], sr["a_r"])),
                  kinks=[SRELU["t_l"], SRELU["t_r"]],
                  params=[(k, [SRELU[k]]) for k in ("t_l", "a_l", "t_r", "a_r")]))
    S.append(Spec("swish_beta", swish_fd(Fr(SWISH_BETA[0])), params=[("beta", SWISH_BETA)]))
    S.append(Spec("tanh", tanh_fd, absolute=["df"]))
    S.append(Spec("tanh_beta", tanh_beta_fd(Fr(TANH_BETA[0])), params=[("beta", TANH_BETA)]))
    for s in S:
        s.naive = NAIVE[s.spec]
    return S


# ------------------------------------------------------------------ the points

# Where the float32 code switches method (kernels/vecmath.hpp, fixed.cpp): tanh's polynomial
# below |x| = 0.625 and saturation at 9.1, erf's clamp at |x / sqrt 2| = 4, exp's overflow bound
# and its clamp at -104, expm1's clamp at -80 and its identity below 2^-25, mish's clamp at 20,
# gelu's and silu's 2^-100.
METHOD_SWITCHES = [0.625, -0.625, 9.1, -9.1, 4 * 2**0.5, -4 * 2**0.5, 88.72283172607422,
                   -104.0, -80.0, 2.0**-25, -2.0**-25, 2.0**-100, -2.0**-100, 20.0]

POINTS_FIXED = [-104, -103, -88.7, -87, -80, -20, -10, -5.6, -5, -4, -2, -0.5, -2**-10, -2**-25,
                -2**-100, 2**-100, 2**-25, 2**-10, 0.5, 2, 4, 5, 10, 20, 88, 88.7]


def points(all_specs, step=1.0):
    pts = set()
    n = int(round(200 / step))
    for i in range(n + 1):
        pts.add(f32(-100 + step * i))
    for k in list(range(-30, 0)) + list(range(2, 31)):
        v = f32(float("1e%d" % k))
        pts.update((v, -v))
    for v in (1e4, 1e6):
        pts.update((f32(v), f32(-v)))
    ts = set(METHOD_SWITCHES)
    for s in all_specs:
        ts.update(s.kinks)
    e = 2.0**-20
    for t in sorted(ts):
        for c in (t, t * (1 + e), t * (1 - e), t + e, t - e):
            pts.add(f32(c))
        if t != 0:  # the nearest float32 points (t +- 2^-20 rounds to t itself for |t| >= 8)
            pts.update((f32_next(f32(t), True), f32_next(f32(t), False)))
    for v in POINTS_FIXED:
        pts.add(f32(v))
    pts = {0.0 if v == 0 else v for v in pts}  # one zero, +0
    return sorted(pts)


# ------------------------------------------------------------------ output


def records(s, xs):
    """The x lines of one spec."""
    kinks = set(s.kinks)
    out = []
    for x in xs:
        if x in kinks or (s.max_abs_x is not None and abs(x) > s.max_abs_x):
            continue
        f, d = s.fd(Fr(x), mp.mpf(x))
        if not (mp.isfinite(f) and mp.isfinite(d)) or abs(f) > HUGE or abs(d) > HUGE:
            continue
        out.append((x, f, d))
    return out


def write(out, step):
    S = specs()
    xs = points(S, step)
    w = out.write
    w("# Activation reference values: f(x) and f'(x) at float32-exact points x.\n")
    w("# Made by tests/activations/make_reference.py, mpmath %s at %d digits; rerun it to\n"
      % (mpmath.__version__, mp.dps))
    w("# regenerate this file (see its docstring for the points, exclusions and formulas).\n")
    w("# %d candidate points x (grid step %g on [-100, 100]), the same for every spec; a\n" % (len(xs), step))
    w("# spec leaves out its kinks and any x where f or f' is not finite or above 1e300.\n")
    w("# Records: 'spec <spec>', 'param <name> <values...>' (float32-exact, element order),\n")
    w("# 'x <x> <f(x)> <f'(x)>', 'end'. x and param values are the shortest decimals that\n")
    w("# round-trip as float64 (exact for strtod and strtof); f and f' have 21 significant\n")
    w("# digits; values that underflow float64 are written as (signed) 0.\n")
    w("# 'param softplus_of:NAME v': NAME stores softplus^-1 of the parameter; the test gives it\n")
    w("# the value whose softplus is exactly v in the dtype measured (pelu, learnable_celu).\n")
    w("# 'absolute df' (or f): every point of f' (f) is measured as an absolute error, for a\n")
    w("# derivative computed from y by design (sigmoid' = y (1 - y), tanh' = 1 - y^2).\n")
    counts = []
    for s in S:
        recs = records(s, xs)
        counts.append((s.spec, len(recs)))
        w("spec %s\n" % s.spec)
        for name, vals in s.params:
            w("param %s %s\n" % (name, " ".join(fmt_exact(v) for v in vals)))
        for which in s.absolute:
            w("absolute %s\n" % which)
        for x, f, d in recs:
            w("x %s %s %s\n" % (fmt_exact(x), fmt_val(f), fmt_val(d)))
        w("end\n")
    return counts, len(xs)


# ------------------------------------------------------------------ self-checks (--check)


def check(step):
    err = sys.stderr
    S = specs()
    xs = points(S, step)
    bad = 0
    for s in S:
        recs = [r for r in records(s, xs) if abs(r[0]) <= 20]  # at 50 digits, as written
        worst_f = worst_d = mp.mpf(0)
        with mp.workdps(400):
            for x, f, d in recs:
                xm = mp.mpf(x)
                nf = s.naive(xm)
                # The central difference must not straddle a kink: the step is far below the
                # distance of any point to a kink (>= 2^-100). Where only f'' jumps (softsign at 0)
                # its error is O(step), hence the 1e-30 tolerance on f'.
                nd = mp.diff(s.naive, xm, h=mp.mpf(2) ** -120)
                ef = abs(nf - f) / max(abs(nf), mp.mpf(10) ** -150)
                ed = abs(nd - d) / max(abs(nd), mp.mpf(10) ** -150)
                worst_f, worst_d = max(worst_f, ef), max(worst_d, ed)
                if ef > mp.mpf(10) ** -45 or ed > mp.mpf(10) ** -30:
                    bad += 1
                    err.write("MISMATCH %s x=%s f=%s naive=%s f'=%s diff=%s\n" % (
                        s.spec, fmt_exact(x), fmt_val(f), mp.nstr(nf, 25), fmt_val(d),
                        mp.nstr(nd, 25)))
        err.write("%-32s %3d points, max rel diff f %s  f' %s\n" % (
            s.spec, len(recs), mp.nstr(worst_f, 3), mp.nstr(worst_d, 3)))
    # Published / hand-computed values.
    by = {s.spec: s for s in S}
    spot = [("gelu", -5, 0, "-1.4332e-6"), ("sigmoid", 0, 1, "0.25"), ("selu", -1, 0, "-1.1113"),
            ("mish", 1, 0, "0.86510"), ("elu", -30, 1, "9.357623e-14"),
            ("sigmoid_beta", 0, 1, "0.25"), ("tanh_beta", 1, 1, "0.41997434")]
    for name, x, which, want in spot:
        v = by[name].fd(Fr(x), mp.mpf(x))[which]
        ok = abs(v - mp.mpf(want)) <= abs(mp.mpf(want)) * mp.mpf("1e-4")
        bad += not ok
        err.write("spot %s%s(%s) = %s (expected %s) %s\n" % (
            name, "'" if which else "", x, fmt_val(v), want, "ok" if ok else "FAILED"))
    err.write("check: %s\n" % ("ok" if bad == 0 else "%d problems" % bad))
    return bad == 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write here instead of stdout")
    # Step 1 keeps the file under about 1 MB (step 0.5 gives 1.15 MB).
    ap.add_argument("--step", type=float, default=1.0, help="grid step on [-100, 100] (1)")
    ap.add_argument("--check", action="store_true", help="run the self-checks instead")
    args = ap.parse_args()
    if args.check:
        sys.exit(0 if check(args.step) else 1)
    if args.out:
        with open(args.out, "w", newline="\n") as f:
            counts, n = write(f, args.step)
    else:
        counts, n = write(sys.stdout, args.step)
    sys.stderr.write("%d candidate points; %s\n" % (
        n, ", ".join("%s %d" % c for c in counts)))


if __name__ == "__main__":
    main()
