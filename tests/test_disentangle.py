"""Lesson 04's disentanglement tools (course.disentangle): MI, MIG, traversals, the slider widget."""

import math

import numpy as np
import pytest
import torch
from scipy.linalg import hadamard
from sklearn.metrics import mutual_info_score

from course import disentangle as D
from course import sprites
from course.models import ConvAutoencoder
from course.train import predict
from course.vae import ConvVAE


@pytest.fixture(scope="module")
def factors() -> np.ndarray:
    return sprites.random_factors(5000, seed=1).numpy()


def ideal_code(factors: np.ndarray, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """One latent dimension per factor (standardised), plus a little noise."""
    rng = np.random.default_rng(seed)
    z = (factors - factors.mean(0)) / factors.std(0)
    return z + noise * rng.normal(size=z.shape)


def random_rotation(k: int, seed: int = 0) -> np.ndarray:
    q, _ = np.linalg.qr(np.random.default_rng(seed).normal(size=(k, k)))
    return q


def test_discretise_makes_equally_full_bins_and_ignores_monotone_stretching():
    rng = np.random.default_rng(0)
    z = rng.normal(size=(1000, 3))
    bins = D.discretise(z, bins=10)
    assert bins.min() == 0 and bins.max() == 9
    assert all(np.bincount(bins[:, j]).min() == 100 for j in range(3))
    assert np.array_equal(D.discretise(np.c_[np.exp(z[:, 0]), 5 * z[:, 1] - 3, z[:, 2] ** 3], bins=10), bins)
    few = D.discretise(np.repeat([[0.0], [1.0], [2.0]], 50, axis=0), bins=20)  # ties share a bin
    assert len(np.unique(few)) == 3


def test_entropy_and_mutual_information_in_bits(factors):
    assert D.entropy(np.arange(8).repeat(10)) == pytest.approx(3.0)
    assert D.entropy(np.zeros(10)) == 0.0
    a, b = factors[:, 3], factors[:, 0]
    assert D._mi(a, a) == pytest.approx(D.entropy(a))
    assert D._mi(a, b) == pytest.approx(mutual_info_score(a, b) / math.log(2))
    assert D._mi(a, b) < 0.01  # independent factors
    codes = ideal_code(factors)
    m = D.mutual_information(codes, factors)
    assert m.shape == (5, 5)
    want = mutual_info_score(D.discretise(codes)[:, 2], factors[:, 1]) / math.log(2)
    assert m[1, 2] == pytest.approx(want)


def test_mig_is_near_one_for_a_code_that_is_the_factors(factors):
    result = D.mig(ideal_code(factors), factors)
    assert result.score > 0.85
    assert result.top == (0, 1, 2, 3, 4)
    assert min(result.gaps) > 0.8
    assert result.matrix.shape == (5, 5) and float(result) == result.score
    # extra dimensions of pure noise know nothing and change nothing
    rng = np.random.default_rng(1)
    padded = np.c_[rng.normal(size=(len(factors), 3)), ideal_code(factors)]
    assert D.mig(padded, factors).score == pytest.approx(result.score, abs=0.01)
    assert D.mig(padded, factors).top == (3, 4, 5, 6, 7)


def test_mig_is_near_zero_for_a_rotated_code(factors):
    rng = np.random.default_rng(1)
    code = np.c_[ideal_code(factors), rng.normal(size=(len(factors), 3))]  # 8 dimensions
    mixing = hadamard(8) / math.sqrt(8)  # a rotation: every dimension gets 1/8 of every factor
    assert D.mig(code @ mixing, factors).score < 0.02
    # a random rotation mixes less evenly: some factor may keep a favourite dimension
    aligned = D.mig(code, factors).score
    scores = [D.mig(code @ random_rotation(8, seed=s), factors).score for s in range(5)]
    assert max(scores) < 0.5 * aligned and np.mean(scores) < 0.25
    assert D.mig(np.random.default_rng(2).normal(size=(len(factors), 6)), factors).score < 0.02


def test_mig_punishes_a_factor_copied_into_two_dimensions(factors):
    code = ideal_code(factors)
    doubled = np.c_[code, code[:, 3] + 0.01]  # x twice: the top two dimensions know the same
    result = D.mig(doubled, factors)
    assert result.gaps[3] < 0.05 and result.gaps[4] > 0.8


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mig_stays_in_zero_one_and_ignores_the_order_of_dimensions(factors, seed):
    rng = np.random.default_rng(seed)
    mix = np.eye(5) + rng.uniform(-1, 1, size=(5, 5)) * rng.uniform(0, 1)
    code = ideal_code(factors, noise=rng.uniform(0.01, 1.0), seed=seed) @ mix
    result = D.mig(code, factors)
    assert 0.0 <= result.score <= 1.0
    assert np.all((result.matrix >= 0) & (result.matrix <= 1 + 1e-9))
    order = rng.permutation(5)
    assert D.mig(code[:, order], factors).score == pytest.approx(result.score)


def test_mig_needs_two_dimensions(factors):
    with pytest.raises(ValueError, match="at least two"):
        D.mig(factors[:, :1], factors)


def test_heatmaps_show_one_panel_per_model_on_one_colour_scale(factors):
    m = D.mig(ideal_code(factors), factors)
    fig = D.mi_heatmaps({"ideal": m.matrix, "rotated": m.matrix[:, ::-1]}, sprites.FACTOR_NAMES,
                        scores={"ideal": m.score})
    assert len(fig.data) == 2
    assert [t.showscale for t in fig.data] == [False, True]
    assert all(t.zmin == 0 and t.zmax == 1 for t in fig.data)
    assert list(fig.data[0].y) == list(sprites.FACTOR_NAMES) and list(fig.data[1].x)[0] == "z0"
    assert fig.layout.annotations[0].text == f"ideal: MIG {m.score:.2f}"
    assert fig.layout.annotations[1].text == "rotated"


def test_dimension_labels_name_the_best_factor_or_none():
    matrix = np.array([[0.9, 0.0, 0.05, 0.5], [0.1, 0.3, 0.02, 0.1]])
    assert D.dimension_labels(matrix, ["a", "b"]) == ["a", "b", "-", "a"]
    assert D.dimension_labels(matrix, ["a", "b"], threshold=0.4) == ["a", "-", "-", "a"]
    assert D.dimension_labels(matrix, ["a", "b"], active=[True, True, True, False]) == ["a", "b", "-", "off"]


def test_kl_per_dimension_adds_up_to_the_kl_term_and_finds_switched_off_dimensions(tiny_images):
    from course.vae import kl_to_standard_normal

    model = tiny_models()["VAE"]
    with torch.no_grad():
        last = model.encoder[-1]  # outputs the 4 means, then the 4 log-variances
        for row in (1, 1 + 4):  # dimension 1: mean 0 and variance 1 for every image
            last.weight[row] = 0.0
            last.bias[row] = 0.0
    kl = D.kl_per_dimension(model, tiny_images, batch_size=10)
    assert kl.shape == (4,) and kl[1].abs() < 1e-6 and (kl[[0, 2, 3]] > 0).all()
    with torch.no_grad():
        mean, log_var = model.encode_distribution(tiny_images)
    assert kl.sum() == pytest.approx(kl_to_standard_normal(mean, log_var).mean().item(), rel=1e-4)


def tiny_models(k: int = 4) -> dict[str, torch.nn.Module]:
    torch.manual_seed(0)
    return {"AE": ConvAutoencoder((1, 8, 8), k, channels=(4, 8)).eval(),
            "VAE": ConvVAE((1, 8, 8), k, channels=(4, 8)).eval()}


def test_latent_ranges_are_percentiles_of_the_codes():
    codes = torch.arange(101.0)[:, None].repeat(1, 2) * torch.tensor([1.0, -2.0])
    low, high = D.latent_ranges(codes, 2, 98)
    assert torch.allclose(low, torch.tensor([2.0, -196.0])) and torch.allclose(high, torch.tensor([98.0, -4.0]))


def test_traversal_changes_one_dimension_per_row(tiny_images):
    model = tiny_models()["AE"]
    image = tiny_images[5]
    low, high = torch.full((4,), -1.0), torch.linspace(1, 4, 4)
    grid = D.traversal(model, image, low, high, steps=5)
    assert grid.shape == (4, 5, 1, 8, 8)
    z = predict(model, image[None], method="encode")[0]
    code = z.clone()
    code[2] = low[2] + 0.75 * (high[2] - low[2])  # row 2, column 3 of 0..4
    assert torch.allclose(grid[2, 3], predict(model, code[None], method="decode")[0], atol=1e-6)
    assert not torch.allclose(grid[2, 0], grid[2, 4])


def test_the_explorer_starts_at_an_images_code_and_decodes_the_sliders(tiny_images):
    models = tiny_models()
    images = tiny_images[:10]
    w = D.traversal_explorer(models, images, names={"AE": ["x", "-", "y", "scale"]},
                             captions=[f"blob {i}" for i in range(10)])
    menu, picker, *sliders = w.controls
    assert len(sliders) == 4 and menu.value == "AE" and picker.max == 9
    assert [s.description for s in sliders] == ["z0 · x", "z1", "z2 · y", "z3 · scale"]
    fig = w.figure

    picker.value = 3
    z = predict(models["AE"], images[3:4], method="encode")[0]
    low, high = D.latent_ranges(predict(models["AE"], images, method="encode"))
    for j, s in enumerate(sliders):
        assert (s.min, s.max) == pytest.approx((float(low[j]), float(high[j])), abs=1e-6)
        assert s.value == pytest.approx(float(z[j].clamp(low[j], high[j])), abs=1e-6)
    assert np.allclose(np.asarray(fig.data[0].z), images[3, 0].numpy())
    assert fig.layout.title.text == "AE, blob 3"

    sliders[1].value = sliders[1].max
    code = torch.tensor([[s.value for s in sliders]])
    want = predict(models["AE"], code, method="decode")[0, 0].numpy()
    assert np.allclose(np.asarray(fig.data[1].z), want, atol=1e-6)

    menu.value = "VAE"  # another model: its own ranges, the image's code in it, plain names
    z = predict(models["VAE"], images[3:4], method="encode")[0]
    low, high = D.latent_ranges(predict(models["VAE"], images, method="encode"))
    assert sliders[0].min == pytest.approx(float(low[0]), abs=1e-6)
    assert sliders[0].value == pytest.approx(float(z[0].clamp(low[0], high[0])), abs=1e-6)
    assert sliders[0].description == "z0"
    code = torch.tensor([[s.value for s in sliders]])
    want = predict(models["VAE"], code, method="decode")[0, 0].numpy()
    assert np.allclose(np.asarray(fig.data[1].z), want, atol=1e-6)
    assert "interactive widget" in repr(w)
    # the menu and the image slider on top (the image slider is the first slider on the page),
    # the latent sliders in a column beside the figure
    top, body = w.children
    assert list(top.children) == [menu, picker]
    assert list(body.children[0].children) == sliders and body.children[1] is fig


def test_the_explorer_refuses_models_of_different_code_sizes(tiny_images):
    models = {"a": tiny_models(3)["AE"], "b": tiny_models(4)["AE"]}
    with pytest.raises(ValueError, match="same number of latent dimensions"):
        D.traversal_explorer(models, tiny_images[:5])


def test_timing_moves_the_sliders_and_puts_them_back(tiny_images):
    w = D.traversal_explorer(tiny_models(), tiny_images[:10])
    sliders = w.controls[2:]
    before = [s.value for s in sliders]
    picture = np.asarray(w.figure.data[1].z).copy()
    times = D.time_slider_steps(w, moves=12)
    assert len(times) == 12 and all(t > 0 for t in times)
    assert [s.value for s in sliders] == before
    assert np.allclose(np.asarray(w.figure.data[1].z), picture)
    assert D.median_ms([3.0, 1.0, 2.0]) == 2.0


# --- the exercise: mutual information in bits ------------------------------------------------

def mi_in_nats(a, b):
    from course.exercises.lesson04 import mutual_information_bits
    return mutual_information_bits(a, b) * math.log(2)


def mi_with_labels_as_indices(a, b):
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    joint /= joint.sum()
    outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / outer[seen])).sum())


def entropy_of_a(a, b):
    return D.entropy(a)


def mi_from_counts(a, b):  # forgot to divide by N
    _, a = np.unique(a, return_inverse=True)
    _, b = np.unique(b, return_inverse=True)
    joint = np.zeros((a.max() + 1, b.max() + 1))
    np.add.at(joint, (a, b), 1.0)
    outer = joint.sum(1, keepdims=True) * joint.sum(0, keepdims=True)
    seen = joint > 0
    return float((joint[seen] * np.log2(joint[seen] / outer[seen])).sum())


def test_the_exercise_accepts_the_reference_and_the_modules_own_estimate(capsys):
    from course import exercises
    exercise = exercises.get("04-mutual-information")
    assert exercise.lesson == "04_disentanglement"
    assert exercise.check(exercise.reference)
    assert exercise.check(D._mi)
    assert exercise.check(lambda a, b: mutual_info_score(a, b) / math.log(2))
    assert "✓" in capsys.readouterr().out


@pytest.mark.parametrize("wrong, hint", [
    (mi_in_nats, "nats"),
    (mi_with_labels_as_indices, "labels"),
    (entropy_of_a, "independent"),
    (mi_from_counts, "itself"),
    (lambda a, b: np.array([1.0, 2.0]), "one number"),
])
def test_the_exercise_rejects_wrong_answers_with_a_hint(wrong, hint, capsys):
    from course import exercises
    verdict = exercises.get("04-mutual-information").check(wrong)
    assert not verdict and hint in verdict.message


def test_the_exercise_names_entropy_when_that_is_what_came_back():
    from course import exercises

    def entropy_unless_independent(a, b):  # right on the easy cases, the entropy on the hard one
        if len(a) == 2000:
            return D.entropy(a)
        return exercises.get("04-mutual-information").reference(a, b)

    verdict = exercises.get("04-mutual-information").check(entropy_unless_independent)
    assert not verdict and "entropy of one of them" in verdict.message


def test_heatmap_columns_can_be_named():
    m = np.zeros((5, 3))
    fig = D.mi_heatmaps({"a": m}, sprites.FACTOR_NAMES, columns={"a": ["z0", "z1 off", "z2"]})
    assert list(fig.data[0].x) == ["z0", "z1 off", "z2"]


def test_traversal_effects_measure_how_far_each_row_moves_and_grows_the_sprite():
    # three rows drawn from known factors: x walks, y walks, the scale grows; a fourth stands still
    x_walk = [[0, 2, 3, x, 1] for x in range(2, 11)]
    y_walk = [[0, 2, 3, 6, y % 4] for y in (0, 0, 1, 1, 2, 2, 3, 3, 3)]
    grow = [[0, s, 3, 6, 1] for s in (0, 0, 1, 1, 2, 2, 3, 4, 4)]
    still = [[0, 2, 3, 6, 1]] * 9
    grid = sprites.render(torch.tensor(x_walk + y_walk + grow + still)).reshape(4, 9, 1, 32, 32)
    walk_x, walk_y, bigger, nothing = D.traversal_effects(grid)
    assert walk_x.dx == pytest.approx(8.0, abs=1e-6) and abs(walk_x.dy) < 1e-6 and walk_x.ink == pytest.approx(1.0)
    assert walk_y.dy == pytest.approx(3.0, abs=1e-6) and abs(walk_y.dx) < 1e-6  # down is positive
    assert bigger.ink == pytest.approx((sprites.SCALES[4] / sprites.SCALES[0]) ** 2, rel=0.1)
    assert nothing.change == 0 and nothing.ink == 1 and nothing.moves() == ""
    assert walk_x.moves() == "x" and walk_y.moves() == "y" and walk_y.moves(pixels=3.5) == ""
    diagonal = sprites.render(torch.tensor([[0, 2, 3, 4 + i // 3, i // 3] for i in range(9)])).reshape(1, 9, 1, 32, 32)
    assert D.traversal_effects(diagonal)[0].moves() == "x and y"
