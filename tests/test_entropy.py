"""Lesson 09's entropy coding: exact round trips, sizes near -log2 p, densities as tables."""

import numpy as np
import pytest
import torch

from course.entropy import FactorizedCoder, discrete_pmf, histogram_pmf, information_bits


def test_discrete_pmf_is_the_mass_of_each_unit_bin_with_tails_folded_in():
    pmf = discrete_pmf(lambda e: torch.sigmoid(e / 0.7)[None].repeat(2, 1), -3, 3)
    assert pmf.shape == (2, 7)
    assert np.allclose(pmf.sum(1), 1.0)
    inner = torch.sigmoid(torch.tensor(0.5 / 0.7)) - torch.sigmoid(torch.tensor(-0.5 / 0.7))
    assert pmf[0, 3] == pytest.approx(float(inner), rel=1e-6)
    assert pmf[0, 0] == pytest.approx(float(torch.sigmoid(torch.tensor(-2.5 / 0.7))), rel=1e-6)  # left tail
    assert np.allclose(pmf[0], pmf[0, ::-1])  # a symmetric density gives a symmetric table


def test_histogram_pmf_counts_with_smoothing():
    symbols = np.array([[0, 1], [0, -1], [0, 5], [1, 1]])
    pmf = histogram_pmf(symbols, -1, 1, smoothing=1.0)
    assert pmf.shape == (2, 3)
    assert pmf[0].tolist() == pytest.approx([1 / 7, 4 / 7, 2 / 7])
    assert pmf[1].tolist() == pytest.approx([2 / 7, 1 / 7, 4 / 7])  # 5 is clipped to 1


def _random_codes(seed=0, n=50, d=30, k=9):
    rng = np.random.default_rng(seed)
    pmfs = rng.dirichlet(np.full(k, 0.3), size=4)
    group_of = rng.integers(0, 4, d)
    symbols = np.stack([[rng.choice(k, p=pmfs[g]) for g in group_of] for _ in range(n)]) - k // 2
    return pmfs, group_of, symbols, -(k // 2)


def test_every_code_decodes_exactly_alone_and_in_one_stream():
    pmfs, group_of, symbols, offset = _random_codes()
    coder = FactorizedCoder(pmfs, offset, group_of)
    blobs = coder.encode_each(symbols)
    assert all(isinstance(b, bytes) and len(b) % 4 == 0 for b in blobs)
    assert np.array_equal(np.stack([coder.decode(b) for b in blobs]), symbols)
    assert np.array_equal(coder.decode_stream(coder.encode_stream(symbols), len(symbols)), symbols)


def test_sizes_follow_the_information_content():
    pmfs, group_of, symbols, offset = _random_codes(seed=1, n=200)
    coder = FactorizedCoder(pmfs, offset, group_of)
    ideal = coder.ideal_bits(symbols)
    assert np.allclose(ideal, information_bits(symbols, pmfs, offset, group_of))
    stream_bits = 8 * len(coder.encode_stream(symbols))
    assert ideal.sum() <= stream_bits <= 1.01 * ideal.sum() + 64  # ANS: within a fraction of a bit per code
    each = np.array([8 * len(b) for b in coder.encode_each(symbols)])
    assert np.all(each >= ideal - 1e-6) and np.all(each <= ideal + 64 + 2)  # whole words, one flush each
    assert each.mean() <= ideal.mean() + 48  # on average the rounding costs well under 2 words


def test_out_of_range_symbols_are_refused():
    coder = FactorizedCoder(np.full((1, 3), 1 / 3), -1, [0, 0])
    with pytest.raises(ValueError, match="clip"):
        coder.encode(np.array([0, 2]))
    with pytest.raises(ValueError, match="symbols"):
        coder.encode(np.array([0, 0, 0]))


@pytest.mark.parametrize("groups, length", [(3, 12), (12, 12)])
def test_one_call_per_code_writes_the_bytes_of_one_table_per_group(groups, length):
    """The coder codes a whole code in one call with a row per symbol; the bytes are those of
    the plain way, one prebuilt table per group coded group by group (group 0 read first)."""
    import constriction

    rng = np.random.default_rng(1)
    pmfs = rng.dirichlet(np.full(9, 0.4), size=groups)
    group_of = rng.permutation(np.arange(length) % groups)
    coder = FactorizedCoder(pmfs, -4, group_of)
    symbols = rng.integers(-4, 5, size=(20, length))
    models = [constriction.stream.model.Categorical(p, perfect=False) for p in pmfs]
    for row in symbols:
        reference = constriction.stream.stack.AnsCoder()
        for g in reversed(range(groups)):
            reference.encode_reverse((row[group_of == g] + 4).astype(np.int32), models[g])
        assert coder.encode(row) == reference.get_compressed().astype("<u4").tobytes()
        assert np.array_equal(coder.decode(coder.encode(row)), row)
