import numpy as np
import pytest
import torch
from sklearn.decomposition import PCA

from course.baselines import PCAAutoencoder, few_label_indices, linear_probe, mse_per_image


def test_pca_autoencoder_matches_scikit_learn(tiny_images):
    ours = PCAAutoencoder(3).fit(tiny_images)
    flat = tiny_images.flatten(1).numpy()
    ref = PCA(3).fit(flat)
    want = ref.inverse_transform(ref.transform(flat))
    assert np.allclose(ours(tiny_images).flatten(1).numpy(), want, atol=1e-5)
    assert ours.encode(tiny_images).shape == (64, 3)
    assert ours.components.shape == (3, 1, 8, 8)


def test_more_components_reconstruct_better(tiny_images):
    errors = [mse_per_image(tiny_images, PCAAutoencoder(k).fit(tiny_images)(tiny_images)).mean()
              for k in (1, 4, 16)]
    assert errors[0] > errors[1] > errors[2]


def test_mse_per_image():
    x = torch.zeros(2, 1, 2, 2)
    y = torch.stack([torch.zeros(1, 2, 2), torch.ones(1, 2, 2)])
    assert mse_per_image(x, y).tolist() == [0.0, 1.0]


def test_few_label_indices_are_balanced_and_distinct():
    labels = torch.arange(1000) % 10
    idx = few_label_indices(labels, 50, seed=1)
    assert len(set(idx)) == 50
    assert np.bincount(labels.numpy()[idx]).tolist() == [5] * 10
    with pytest.raises(ValueError, match="multiple"):
        few_label_indices(labels, 55)


def test_linear_probe_reads_a_separable_code_and_not_noise():
    g = torch.Generator().manual_seed(0)
    labels = torch.arange(600) % 10
    signal = torch.nn.functional.one_hot(labels, 10).float() * 5 + torch.randn(600, 10, generator=g)
    noise = torch.randn(600, 10, generator=g)
    good = linear_probe(signal[:500], labels[:500], signal[500:], labels[500:], n_labels=50)
    bad = linear_probe(noise[:500], labels[:500], noise[500:], labels[500:], n_labels=50)
    assert good > 0.9 and bad < 0.3


def test_pca_error_curve_matches_pca_at_every_k():
    from course.baselines import pca_error_curve

    g = torch.Generator().manual_seed(0)
    train = torch.rand(120, 1, 6, 5, generator=g)
    test = torch.rand(40, 1, 6, 5, generator=g)
    curve = pca_error_curve(train, test, 12)
    assert curve.shape == (12,)
    for k in (1, 5, 12):
        pca = PCAAutoencoder(k).fit(train)
        assert curve[k - 1].item() == pytest.approx(mse_per_image(test, pca(test)).mean().item(), rel=1e-4)
    assert torch.all(curve[1:] <= curve[:-1] + 1e-7), "one more direction never adds error"
    assert pca_error_curve(train, test, 1000).shape == (30,), "capped at the number of pixels"
