"""Lesson 06's discrete codes: straight-through binarisation, Gumbel-softmax, the one-hot
autoencoder, Hungarian-matched cluster accuracy and the k-means baseline."""

import math

import numpy as np
import pytest
import torch

from course import checkpoints, discrete
from course.discrete import BinaryAutoencoder, OneHotAutoencoder, OneHotLoss
from course.train import fit, predict


def test_straight_through_sign_is_a_sign_forwards_and_tanh_backwards():
    logits = torch.tensor([-2.0, -0.1, 0.0, 0.3, 5.0], requires_grad=True)
    bits = discrete.straight_through_sign(logits)
    assert torch.equal(bits.detach(), torch.tensor([-1.0, -1.0, 1.0, 1.0, 1.0]))
    bits.sum().backward()
    assert torch.allclose(logits.grad, 1 - torch.tanh(logits.detach()) ** 2)
    assert (logits.grad > 0).all()  # sign alone would give zero


def test_bernoulli_bits_flip_coins_with_the_right_probability_and_pass_gradients():
    torch.manual_seed(0)
    logits = torch.tensor([-1.0, 0.0, 2.0]).repeat(20000, 1).requires_grad_()
    bits = discrete.bernoulli_straight_through(logits)
    assert set(bits.detach().unique().tolist()) == {0.0, 1.0}
    assert torch.allclose(bits.detach().mean(0), torch.sigmoid(torch.tensor([-1.0, 0.0, 2.0])), atol=0.015)
    bits.sum().backward()
    p = torch.sigmoid(logits.detach())
    assert torch.allclose(logits.grad, p * (1 - p))
    rounded = discrete.bernoulli_straight_through(torch.tensor([-0.5, 0.5]), sample=False)
    assert torch.equal(rounded, torch.tensor([0.0, 1.0]))


@pytest.mark.parametrize("mode, values", [("sign", {-1.0, 1.0}), ("bernoulli", {0.0, 1.0})])
def test_binary_autoencoder_codes_are_binary_and_train(tiny_images, mode, values):
    torch.manual_seed(0)
    model = BinaryAutoencoder((1, 8, 8), 6, mode, channels=(4, 8))
    history = fit(model, tiny_images, epochs=4, batch_size=16, lr=1e-2, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    codes = predict(model, tiny_images, method="encode")
    assert codes.shape == (64, 6) and set(codes.unique().tolist()) <= values
    assert predict(model, tiny_images).shape == tiny_images.shape
    assert model.config["mode"] == mode
    with pytest.raises(ValueError, match="sign"):
        BinaryAutoencoder((1, 8, 8), 6, "ternary")


def test_neighbours_agree_measures_label_agreement():
    labels = torch.arange(40) % 4
    codes = torch.nn.functional.one_hot(labels, 8).float()  # same label = same code
    assert discrete.neighbours_agree(codes, labels, k=5) == 1.0
    g = torch.Generator().manual_seed(0)
    noise = (torch.rand(400, 16, generator=g) > 0.5).float()
    chance = discrete.neighbours_agree(noise, torch.arange(400) % 4, k=10)
    assert 0.15 < chance < 0.35  # random codes: about 1 in 4


def test_gumbel_softmax_samples_the_categorical_and_sharpens_as_tau_falls():
    torch.manual_seed(0)
    logits = torch.log(torch.tensor([0.6, 0.3, 0.1])).repeat(20000, 1)
    cold = discrete.gumbel_softmax(logits, tau=0.05)
    assert torch.allclose(cold.sum(1), torch.ones(20000))
    picks = torch.bincount(cold.argmax(1), minlength=3).float() / 20000
    assert torch.allclose(picks, torch.tensor([0.6, 0.3, 0.1]), atol=0.015)  # the Gumbel-max trick
    warm = discrete.gumbel_softmax(logits, tau=5.0)
    assert cold.max(1).values.mean() > 0.95 > 0.6 > warm.max(1).values.mean()
    hard = discrete.gumbel_softmax(logits[:5].clone().requires_grad_(), tau=1.0, hard=True)
    assert set(hard.detach().unique().tolist()) == {0.0, 1.0} and torch.equal(hard.detach().sum(1), torch.ones(5))


def test_gumbel_softmax_passes_gradients_to_the_logits():
    logits = torch.zeros(4, 3, requires_grad=True)
    (discrete.gumbel_softmax(logits, 0.5) * torch.tensor([1.0, 0.0, 0.0])).sum().backward()
    assert logits.grad.abs().sum() > 0


def test_temperature_schedule_falls_geometrically_then_holds():
    assert discrete.temperature(0, 1.0, 0.1, 100) == pytest.approx(1.0)
    assert discrete.temperature(50, 1.0, 0.1, 100) == pytest.approx(math.sqrt(0.1))
    assert discrete.temperature(100, 1.0, 0.1, 100) == pytest.approx(0.1)
    assert discrete.temperature(500, 1.0, 0.1, 100) == pytest.approx(0.1)
    values = [discrete.temperature(s, 2.0, 0.2, 40) for s in range(41)]
    assert all(a > b for a, b in zip(values, values[1:]))


def test_one_hot_autoencoder_counts_its_steps_and_decodes_templates(tiny_images):
    torch.manual_seed(0)
    model = OneHotAutoencoder((1, 8, 8), 4, anneal_steps=8, channels=(4, 8))
    assert model.tau == 1.0 and not model.initialised
    history = fit(model, tiny_images, epochs=2, batch_size=16, loss_fn=OneHotLoss(), progress=False)
    assert int(model.step) == 8 and model.tau == pytest.approx(0.1)  # 2 epochs x 4 steps, fully annealed
    assert model.initialised and len(history.train_loss) == 2
    code = predict(model, tiny_images, method="encode")
    assert code.shape == (64, 4 + 6)
    assert set(code[:, :4].unique().tolist()) <= {0.0, 1.0} and torch.equal(code[:, :4].sum(1), torch.ones(64))
    clusters = predict(model, tiny_images, method="cluster")
    assert torch.equal(clusters, code[:, :4].argmax(1).long())
    # a zero pose draws the chosen template as it is
    identity = torch.cat([torch.eye(4), torch.zeros(4, 6)], dim=1)
    assert torch.allclose(model.decode(identity), model.templates.detach(), atol=1e-5)
    assert int(model.step) == 8  # eval mode does not advance the schedule


def test_one_hot_loss_penalises_unbalanced_choices():
    uniform = torch.zeros(8, 5)
    assert discrete.usage_penalty(uniform).item() == pytest.approx(0.0, abs=1e-6)
    collapsed = torch.tensor([[20.0, 0, 0, 0, 0]]).repeat(8, 1)
    assert discrete.usage_penalty(collapsed).item() == pytest.approx(math.log(5), abs=1e-4)
    balanced_but_sure = 20.0 * torch.eye(5)
    assert discrete.usage_penalty(balanced_but_sure).item() == pytest.approx(0.0, abs=1e-4)


def test_one_hot_config_keys_the_cache():
    a = OneHotAutoencoder((1, 8, 8), 4, channels=(4, 8))
    b = OneHotAutoencoder((1, 8, 8), 4, channels=(4, 8), max_warp=0.0)
    assert checkpoints.cache_key(a) != checkpoints.cache_key(b)
    assert checkpoints.source_hash(OneHotLoss(1.0)) != checkpoints.source_hash(OneHotLoss(2.0))


def test_cluster_accuracy_ignores_the_names_of_clusters():
    labels = np.repeat(np.arange(4), 5)
    relabelled = (labels + 1) % 4
    assert discrete.cluster_accuracy(relabelled, labels) == 1.0
    assert discrete.match_clusters(relabelled, labels) == {1: 0, 2: 1, 3: 2, 0: 3}
    one_wrong = relabelled.copy()
    one_wrong[0] = 3
    assert discrete.cluster_accuracy(one_wrong, labels) == pytest.approx(19 / 20)
    assert discrete.cluster_accuracy(np.zeros(20, int), labels) == pytest.approx(5 / 20)


def test_cluster_accuracy_uses_a_one_to_one_matching():
    # two clusters are mostly label 0: only one of them may count as 0
    clusters = np.array([0, 0, 0, 1, 1, 1, 2, 2])
    labels = np.array([0, 0, 0, 0, 0, 1, 1, 1])
    # best one-to-one: 0 -> 0 (3 right) and 2 -> 1 (2 right); cluster 1 gets no label.
    # (A majority vote per cluster would say 7/8, counting label 0 twice.)
    assert discrete.cluster_accuracy(clusters, labels) == pytest.approx(5 / 8)
    assert discrete.match_clusters(clusters, labels) == {0: 0, 2: 1}


def test_random_clusters_score_about_chance():
    rng = np.random.default_rng(0)
    labels = np.repeat(np.arange(10), 100)
    assert discrete.cluster_accuracy(rng.integers(0, 10, 1000), labels) < 0.16


def test_kmeans_clusters_recover_separated_groups():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    labels = torch.arange(150) % 3
    x = centres[labels] + 0.3 * torch.randn(150, 2, generator=g)
    clusters = discrete.kmeans_clusters(x[:100], x, k=3, seed=0, n_init=3)
    assert clusters.shape == (150,)
    assert discrete.cluster_accuracy(clusters, labels) == 1.0
    assert discrete.onehot_entropy_bits(clusters, 3) == pytest.approx(math.log2(3))
    assert sorted(discrete.cluster_sizes(clusters, 4)) == [0, 50, 50, 50]


def test_neighbours_agree_with_euclidean_distances():
    labels = torch.arange(30) % 3
    codes = labels[:, None].float() * 10 + 0.01 * torch.randn(30, 2, generator=torch.Generator().manual_seed(0))
    assert discrete.neighbours_agree(codes, labels, k=5, metric="euclidean") == 1.0


def test_gumbel_samples_figure_has_a_panel_per_temperature():
    fig = discrete.gumbel_samples_figure(torch.tensor([2.0, 1.0, 0.0]), [5.0, 1.0, 0.1], n=4)
    assert len(fig.data) == 3
    for trace in fig.data:
        z = np.asarray(trace.z)
        assert z.shape == (4, 3) and np.allclose(z.sum(1), 1, atol=1e-5)
    assert np.asarray(fig.data[2].z).max(1).mean() > np.asarray(fig.data[0].z).max(1).mean()
    torch.manual_seed(0)
    a = torch.rand(1)
    torch.manual_seed(0)
    discrete.gumbel_samples_figure(torch.zeros(3), [1.0])
    assert torch.equal(torch.rand(1), a)  # leaves the global random state alone


def test_cluster_gallery_rows_follow_the_matched_labels():
    images = torch.arange(6.0).view(6, 1, 1, 1) / 10
    clusters = np.array([1, 0, 1, 0, 1, 2])
    rows = discrete.cluster_gallery(clusters, images, {0: 2, 1: 0, 2: 1}, ["a", "b", "c"], n=3,
                                    first=torch.ones(3, 1, 1, 1))
    assert list(rows) == ["choice 1 → a (3)", "choice 2 → b (1)", "choice 0 → c (2)"]
    assert rows["choice 1 → a (3)"].flatten().tolist() == pytest.approx([1.0, 0.0, 0.2, 0.4])
    assert rows["choice 2 → b (1)"].flatten().tolist() == pytest.approx([1.0, 0.5, 0.5, 0.5])
