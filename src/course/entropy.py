"""Entropy coding: integers and their probabilities in, bytes out, and back. Lesson 09.

A lossy codec has two halves. The first (a learned encoder, PCA, JPEG's transform)
turns an image into integers; this module turns those integers into as few bytes as
their probabilities allow, with asymmetric numeral systems (ANS, Duda 2009) from the
``constriction`` library, and back, exactly.

>>> coder = FactorizedCoder(pmfs, offset=-15, group_of=np.repeat(np.arange(16), 49))
>>> data = coder.encode(symbols)            # bytes; len(data) is what storing it costs
>>> np.array_equal(coder.decode(data), symbols)
True

The density is *factorized*: every position of the code has its own table of
probabilities (a row of ``pmfs``; positions in one group share a row), and positions are
independent of one another. A symbol of probability ``p`` costs about ``-log2 p`` bits
(:func:`information_bits`); ANS gets within a fraction of a bit of the total, but writes
whole 32-bit words, so a short message pays up to 4 bytes of rounding (lesson 09 shows
why per-image and one-stream rates differ).
"""

from __future__ import annotations

from typing import Callable, Sequence

import constriction
import numpy as np
import torch

Cdf = Callable[[torch.Tensor], torch.Tensor]


def discrete_pmf(cdf: Cdf, low: int, high: int) -> np.ndarray:
    """Probabilities of the integers ``low .. high`` under a continuous density with CDF
    ``cdf`` (applied elementwise to a ``(G, K+1)`` tensor of bin edges, one row per group):
    the mass of ``[k - 0.5, k + 0.5]``, with the tails beyond the range folded into the
    first and last integers, so each row sums to one; no probability is below ``1e-9`` (a
    value the density calls impossible still gets a finite price). Returns ``(G, K)`` float64."""
    edges = torch.arange(low, high + 2, dtype=torch.float64) - 0.5
    c = cdf(edges).double()
    c = torch.cat([torch.zeros_like(c[..., :1]), c[..., 1:-1], torch.ones_like(c[..., :1])], dim=-1)
    pmf = (c[..., 1:] - c[..., :-1]).clamp_min(1e-9).cpu().numpy()
    return pmf / pmf.sum(-1, keepdims=True)


def histogram_pmf(symbols: np.ndarray, low: int, high: int, smoothing: float = 0.5) -> np.ndarray:
    """Per-position probabilities of ``low .. high`` counted from training symbols ``(N, D)``,
    each count raised by ``smoothing`` so a value never seen still has a (small) price.
    Returns ``(D, K)``: the density the PCA codec uses."""
    clipped = np.clip(symbols, low, high) - low
    k = high - low + 1
    counts = np.stack([np.bincount(col, minlength=k) for col in clipped.T.astype(np.int64)]).astype(np.float64)
    counts += smoothing
    return counts / counts.sum(-1, keepdims=True)


def information_bits(symbols: np.ndarray, pmfs: np.ndarray, offset: int,
                     group_of: np.ndarray | None = None) -> np.ndarray:
    """``-log2 p`` summed over each row of ``symbols`` ``(N, D)``: the ideal size in bits."""
    group_of = np.arange(symbols.shape[1]) if group_of is None else np.asarray(group_of)
    p = pmfs[group_of[None, :], symbols - offset]
    return -np.log2(p).sum(1)


class FactorizedCoder:
    """ANS coding of integer codes whose positions have fixed, independent distributions.

    ``pmfs`` ``(G, K)``: a table of probabilities of the values ``offset .. offset+K-1`` per
    group; ``group_of`` ``(D,)``: the group of each of a code's ``D`` positions (default:
    every position its own group). Symbols outside the range are an error: the codec must
    clip them first (and decode the clipped values, or the round trip is not exact).
    """

    def __init__(self, pmfs: np.ndarray, offset: int, group_of: Sequence[int] | np.ndarray | None = None) -> None:
        self.pmfs = np.asarray(pmfs, dtype=np.float64)
        self.offset = int(offset)
        groups, k = self.pmfs.shape
        self.high = self.offset + k - 1
        self.group_of = np.arange(groups) if group_of is None else np.asarray(group_of, dtype=np.int64)
        # constriction turns each table into fixed-point probabilities, every value at least one unit,
        # so any symbol in range can be coded; encoder and decoder build the very same tables.
        # Symbols go in group order (group 0's positions first), each with its group's row, in
        # one call per code: a call per group costs a Python round trip per group, and PCA's
        # codec has one group per number (192 calls an image). Without ``perfect`` the tables
        # come out the same whether built once per group or per symbol, and so do the bytes.
        self._order = np.concatenate([np.flatnonzero(self.group_of == g) for g in range(groups)])
        self._table = np.ascontiguousarray(self.pmfs[self.group_of[self._order]])
        self._model = constriction.stream.model.Categorical(perfect=False)

    @property
    def length(self) -> int:
        """Number of symbols in one code."""
        return len(self.group_of)

    def _check(self, symbols: np.ndarray) -> np.ndarray:
        symbols = np.asarray(symbols)
        if symbols.shape[-1] != self.length:
            raise ValueError(f"a code has {self.length} symbols, got shape {symbols.shape}")
        if symbols.min() < self.offset or symbols.max() > self.high:
            raise ValueError(f"symbols must lie in [{self.offset}, {self.high}]; clip them before coding")
        return (symbols - self.offset).astype(np.int32)

    def _push(self, coder, row: np.ndarray) -> None:
        coder.encode_reverse(np.ascontiguousarray(row[self._order]), self._model, self._table)

    def encode(self, symbols: np.ndarray) -> bytes:
        """One code ``(D,)`` -> bytes (whole 32-bit words, little-endian)."""
        coder = constriction.stream.stack.AnsCoder()
        self._push(coder, self._check(symbols))
        return coder.get_compressed().astype("<u4").tobytes()

    def _pop(self, coder) -> np.ndarray:
        out = np.empty(self.length, dtype=np.int64)
        out[self._order] = coder.decode(self._model, self._table)
        return out + self.offset

    def decode(self, data: bytes) -> np.ndarray:
        """Bytes from :meth:`encode` -> the code ``(D,)``, exactly."""
        coder = constriction.stream.stack.AnsCoder(np.frombuffer(data, dtype="<u4").astype(np.uint32))
        return self._pop(coder)

    def encode_each(self, symbols: np.ndarray) -> list[bytes]:
        """Every code ``(N, D)`` as its own message: what storing them as separate files costs."""
        return [self.encode(row) for row in symbols]

    def encode_stream(self, symbols: np.ndarray) -> bytes:
        """All codes ``(N, D)`` in one message: the word rounding is paid once, not N times."""
        coder = constriction.stream.stack.AnsCoder()
        rows = self._check(symbols)
        for row in rows[::-1]:
            self._push(coder, row)
        return coder.get_compressed().astype("<u4").tobytes()

    def decode_stream(self, data: bytes, n: int) -> np.ndarray:
        """Bytes from :meth:`encode_stream` -> the ``n`` codes ``(n, D)``."""
        coder = constriction.stream.stack.AnsCoder(np.frombuffer(data, dtype="<u4").astype(np.uint32))
        return np.stack([self._pop(coder) for _ in range(n)])

    def ideal_bits(self, symbols: np.ndarray) -> np.ndarray:
        """The information content of each code ``(N, D)`` in bits, before any rounding."""
        return information_bits(np.asarray(symbols), self.pmfs, self.offset, self.group_of)
