"""Lesson 06's vector quantizer and VQ-VAE: lookup, gradients, remedies, usage statistics, figures, widget."""

import math

import numpy as np
import pytest
import torch

from course import checkpoints, vq
from course.train import fit, predict
from course.vq import VQVAE, VectorQuantizer, vq_vae_loss


def test_nearest_code_is_the_closest_row_by_brute_force():
    g = torch.Generator().manual_seed(0)
    z, codebook = torch.randn(200, 5, generator=g), torch.randn(37, 5, generator=g)
    brute = ((z[:, None, :] - codebook[None]) ** 2).sum(-1).argmin(1)
    assert torch.equal(vq.nearest_code(z, codebook), brute)
    # a code equal to an input is its own nearest code
    assert torch.equal(vq.nearest_code(codebook[[3, 30]], codebook), torch.tensor([3, 30]))


def test_the_quantizer_outputs_the_nearest_codes_and_its_two_losses():
    torch.manual_seed(0)
    q = VectorQuantizer(16, 4, commitment=0.5).eval()
    z = torch.randn(30, 4)
    out = q(z)
    idx = vq.nearest_code(z, q.codebook.detach())
    assert torch.equal(out.indices, idx)
    assert torch.allclose(out.quantized, q.codebook.detach()[idx])
    distance = (z - q.codebook.detach()[idx]).pow(2).sum(1).mean()
    assert out.codebook_loss.item() == pytest.approx(distance.item(), rel=1e-5)
    assert out.commitment_loss.item() == pytest.approx(distance.item(), rel=1e-5)
    assert out.loss.item() == pytest.approx(1.5 * distance.item(), rel=1e-5)


def test_the_straight_through_gradient_reaches_the_encoder_unchanged():
    torch.manual_seed(0)
    q = VectorQuantizer(8, 3, commitment=0.0).eval()
    z = torch.randn(10, 3, requires_grad=True)
    upstream = torch.randn(10, 3)
    (q(z).quantized * upstream).sum().backward()
    assert torch.allclose(z.grad, upstream)  # as if the lookup were the identity
    assert q.codebook.grad is None or q.codebook.grad.abs().sum() == 0  # the output does not move codes
    q.codebook.grad = None
    q(z.detach()).codebook_loss.backward()  # ... the codebook loss does
    assert q.codebook.grad.abs().sum() > 0


def test_a_vq_vae_trains_end_to_end_with_gradients_to_the_encoder(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), codebook_size=16, dim=4, channels=(4, 8))
    loss = vq_vae_loss(model.train(), tiny_images)
    loss.backward()
    encoder_grad = sum(p.grad.abs().sum() for p in model.encoder.parameters())
    assert encoder_grad > 0
    model.zero_grad()
    history = fit(model, tiny_images, epochs=3, batch_size=16, lr=1e-2, loss_fn=vq_vae_loss, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    assert predict(model, tiny_images).shape == tiny_images.shape
    assert predict(model, tiny_images, method="code_indices").shape == (64,)


def test_eval_mode_changes_nothing_in_the_quantizer():
    torch.manual_seed(0)
    q = VectorQuantizer(8, 3, ema=True, restart_dead=True, dead_after=1, kmeans_init=True, memory=8).eval()
    before = {k: v.clone() for k, v in q.state_dict().items()}
    for _ in range(3):
        q(torch.randn(20, 3) + 5)
    assert all(torch.equal(before[k], v) for k, v in q.state_dict().items())


def test_ema_moves_a_code_towards_the_mean_of_its_inputs():
    torch.manual_seed(0)
    q = VectorQuantizer(2, 2, ema=True, decay=0.9).train()
    q.codebook.copy_(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
    q.ema_sum.copy_(q.codebook)
    target = torch.tensor([2.0, -1.0])
    inputs = target + 0.1 * torch.randn(50, 2)
    inputs -= inputs.mean(0) - target  # mean exactly `target`
    distances = []
    for _ in range(40):
        q(inputs)
        distances.append((q.codebook[0] - target).norm().item())
    assert distances[0] < 2.236  # it moved towards the mean at once ...
    assert all(b <= a + 1e-6 for a, b in zip(distances, distances[1:]))  # ... and kept coming closer
    assert distances[-1] < 0.05
    assert torch.allclose(q.codebook[1], torch.tensor([10.0, 10.0]), atol=0.05)  # unchosen: stays (but for smoothing)
    assert not any(p is q.codebook for p in q.parameters())  # EMA codes are not trained by gradients


def test_without_ema_the_codebook_is_a_parameter_the_optimiser_moves():
    q = VectorQuantizer(4, 2)
    assert any(p is q.codebook for p in q.parameters())


def test_dead_code_restart_revives_codes_on_recent_inputs():
    torch.manual_seed(0)
    q = VectorQuantizer(6, 2, restart_dead=True, dead_after=3, memory=64).train()
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[0.0, 0.0]] + [[100.0 + i, 100.0] for i in range(5)]))
    inputs = torch.randn(32, 2)  # all near code 0: codes 1-5 are never chosen
    for _ in range(3):
        q(inputs)
    revived = q.codebook.detach()[1:]
    assert revived.abs().max() < 10  # the five far codes now sit among the inputs
    near_an_input = torch.cdist(revived, inputs).min(1).values
    assert near_an_input.max() < 1e-5  # exactly on recent inputs
    q.eval()
    assert len(q(inputs).indices.unique()) > 1  # and they are used


def test_without_restarts_dead_codes_stay_dead():
    torch.manual_seed(0)
    q = VectorQuantizer(6, 2, dead_after=3, memory=64).train()
    with torch.no_grad():
        q.codebook.copy_(torch.tensor([[0.0, 0.0]] + [[100.0 + i, 100.0] for i in range(5)]))
    for _ in range(5):
        q(torch.randn(32, 2))
    assert q.codebook.detach()[1:].min() > 90


def test_kmeans_init_puts_the_codes_on_the_clusters_of_early_inputs():
    torch.manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [20.0, 0.0], [0.0, 20.0], [20.0, 20.0]])
    q = VectorQuantizer(4, 2, kmeans_init=True, memory=200).train()
    assert not q.initialised
    for _ in range(5):
        batch = centres.repeat(10, 1) + 0.1 * torch.randn(40, 2)
        q(batch)
    assert q.initialised
    codes = q.codebook.detach()
    assert torch.cdist(centres, codes).min(1).values.max() < 0.5  # one code on each cluster


def test_kmeans_finds_separated_clusters():
    g = torch.Generator().manual_seed(0)
    centres = torch.tensor([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]])
    x = centres.repeat(50, 1) + 0.2 * torch.randn(150, 2, generator=g)
    found = vq.kmeans(x, 3, 20, generator=torch.Generator().manual_seed(1))
    assert torch.cdist(centres, found).min(1).values.max() < 0.2


def test_cosine_and_low_dimensional_codes():
    torch.manual_seed(0)
    q = VectorQuantizer(8, 6, cosine=True, codebook_dim=3).eval()
    z = torch.randn(20, 6)
    space = q.lookup_space(z)
    assert space.shape == (20, 3)
    assert torch.allclose(space.norm(dim=1), torch.ones(20), atol=1e-5)
    assert torch.allclose(q.codes().norm(dim=1), torch.ones(8), atol=1e-5)
    out = q(z)
    assert out.quantized.shape == (20, 6)  # projected back to the encoder's size
    # cosine lookup: the nearest unit code is the one with the largest cosine similarity
    want = (space @ q.codes().T).argmax(1)
    assert torch.equal(out.indices, want)
    # with cosine codes alone, only the direction counts: a scaled input lands on the same code
    q = VectorQuantizer(8, 6, cosine=True).eval()
    assert torch.equal(q(3.0 * z).indices, q.indices(z))


def test_config_keys_the_cache_on_every_remedy():
    a, b = VQVAE((1, 8, 8), 16, 4, channels=(4, 8)), VQVAE((1, 8, 8), 16, 4, channels=(4, 8), ema=True)
    assert a.config != b.config
    assert checkpoints.cache_key(a) != checkpoints.cache_key(b)
    assert a.config["quantizer"]["ema"] is False and b.config["quantizer"]["ema"] is True


def test_perplexity_of_uniform_usage_is_the_number_of_codes():
    assert vq.perplexity(torch.full((512,), 7)) == pytest.approx(512)
    assert vq.perplexity(torch.tensor([0, 0, 9, 0])) == pytest.approx(1.0)
    assert vq.perplexity(torch.tensor([5, 5, 0, 0])) == pytest.approx(2.0)
    counts = torch.tensor([30, 10, 0, 0])
    p = np.array([0.75, 0.25])
    assert vq.perplexity(counts) == pytest.approx(math.exp(-(p * np.log(p)).sum()))
    stats = vq.usage_stats(torch.tensor([3, 0, 1, 0]))
    assert stats == {"usage": 0.5, "perplexity": pytest.approx(vq.perplexity(torch.tensor([3, 1]))),
                     "dead codes": 2.0}


def test_code_counts_count_the_images_on_each_code(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), 16, 4, channels=(4, 8)).eval()
    counts = vq.code_counts(model, tiny_images)
    assert counts.shape == (16,) and counts.sum() == 64
    idx = model.code_indices(tiny_images)
    assert counts[idx[0]] == (idx == idx[0]).sum()


def test_the_usage_monitor_records_and_redraws_its_live_figure(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), 16, 4, channels=(4, 8))
    widget, monitor = vq.live_usage(16, tiny_images, title="run")
    bars = widget.figure.data[0]
    assert len(bars.x) == 16 and sum(bars.y) == 0  # empty before training
    history = fit(model, tiny_images, epochs=2, batch_size=16, loss_fn=vq_vae_loss, monitor=monitor,
                  progress=False)
    assert set(history.extra) == {"usage", "perplexity", "dead codes"} and len(history.extra["usage"]) == 2
    assert sum(bars.y) == 64  # redrawn from the last epoch: every image counted
    assert list(widget.figure.data[1].y) == history.extra["perplexity"]
    assert widget.figure.layout.title.text.startswith("run: ")
    assert vq.epochs_of(history)[1]["usage"] == history.extra["usage"][1]
    static = vq.usage_figure(vq.code_counts(model, tiny_images), vq.epochs_of(history))
    assert list(static.data[0].y) == list(bars.y)
    assert "interactive widget" in repr(widget)


def test_the_monitor_does_not_put_the_figure_in_the_cache_key(tiny_images):
    a = vq.UsageMonitor(tiny_images)
    b = vq.live_usage(16, tiny_images, title="other")[1]
    assert checkpoints.source_hash(a) == checkpoints.source_hash(b)
    assert checkpoints.source_hash(a) != checkpoints.source_hash(vq.UsageMonitor(tiny_images[:10]))


def test_code_chooser_shows_the_images_on_the_chosen_code(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), 16, 4, channels=(4, 8)).eval()
    labels = torch.arange(64) % 10
    w = vq.code_chooser(model, tiny_images, columns=4, rows=2, labels=labels)
    (menu,) = w.controls
    idx = model.code_indices(tiny_images)
    codes = [value for _, value in menu.options]
    assert sorted(codes) == list(range(16))
    counts = torch.bincount(idx, minlength=16)
    assert counts[codes[0]] == counts.max()  # most used first
    target = codes[1] if counts[codes[1]] > 0 else codes[0]
    menu.value = target
    members = tiny_images[idx == target][:8]
    expected = torch.cat([members, torch.full((8 - len(members), 1, 8, 8), 0.5)])
    assert np.allclose(np.asarray(w.figure.data[1].z), vq.tile(expected, 4))
    decoded = model.decode(model.quantizer.project_out(model.quantizer.codes()))[target, 0]
    assert np.allclose(np.asarray(w.figure.data[0].z), decoded.detach().numpy(), atol=1e-6)
    assert w.figure.layout.title.text.startswith(f"code {target}: {int(counts[target])} of 64 images")


def test_images_on_codes_pads_short_rows(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), 16, 4, channels=(4, 8)).eval()
    idx = model.code_indices(tiny_images)
    code = int(idx[0])
    rows = vq.images_on_codes(model, tiny_images, [code], n=70)
    (row,) = rows.values()
    assert row.shape == (70, 1, 8, 8)
    n = int((idx == code).sum())
    assert torch.equal(row[:n], tiny_images[idx == code]) and (row[n:] == 0.5).all()


# --- the exercise: nearest code with the straight-through trick ---------------------------

from course import exercises  # noqa: E402


def _by_dot(z, codebook):
    idx = (z @ codebook.T).argmax(1)
    return z + (codebook[idx] - z).detach(), idx


def _farthest(z, codebook):
    idx = torch.cdist(z, codebook).argmax(1)
    return z + (codebook[idx] - z).detach(), idx


def _no_straight_through(z, codebook):
    idx = torch.cdist(z, codebook).argmin(1)
    return codebook[idx], idx


def _detached(z, codebook):
    idx = torch.cdist(z, codebook).argmin(1)
    return codebook[idx].detach(), idx


def _moves_codebook(z, codebook):
    idx = torch.cdist(z, codebook).argmin(1)
    return z - z.detach() + codebook[idx], idx


def _returns_z(z, codebook):
    return z, torch.cdist(z, codebook).argmin(1)


def test_the_reference_quantize_passes(capsys):
    exercise = exercises.get("06-nearest-code")
    assert exercise.check(exercise.reference)
    assert "✓" in capsys.readouterr().out
    assert "detach" in exercise.solution().code


@pytest.mark.parametrize("wrong, hint", [
    (_by_dot, "dot product"),
    (_farthest, "farthest"),
    (_no_straight_through, "no gradient reaches z"),
    (_detached, "no gradient reaches z"),
    (_moves_codebook, "should not move the codebook"),
    (_returns_z, "quantized is z itself"),
    (lambda z, c: torch.cdist(z, c).argmin(1), "two things"),
    (lambda z, c: (z, torch.cdist(z, c).argmin(1)[:5]), "one code index per row"),
])
def test_wrong_quantize_answers_fail_with_a_hint(capsys, wrong, hint):
    assert not exercises.get("06-nearest-code").check(wrong)
    out = capsys.readouterr().out
    assert "✗" in out and hint in out, out


def test_an_unattempted_quantize_is_reported(capsys):
    def stub(z, codebook):
        raise NotImplementedError

    assert not exercises.get("06-nearest-code").check(stub)
    assert "not attempted yet" in capsys.readouterr().out


# --- the rotation trick (Fifty et al., 2024) -------------------------------------------------

def _rotation(e: torch.Tensor, q: torch.Tensor) -> torch.Tensor:
    """The d x d matrix of the rotation trick for one pair, built explicitly: I - 2ww' + 2 q̂u'."""
    u, q_hat = e / e.norm(), q / q.norm()
    w = (u + q_hat) / (u + q_hat).norm()
    return torch.eye(len(e)) - 2 * torch.outer(w, w) + 2 * torch.outer(q_hat, u)


def test_rotate_to_has_the_value_of_the_code():
    g = torch.Generator().manual_seed(0)
    e, q = torch.randn(50, 6, generator=g) * 3, torch.randn(50, 6, generator=g)
    assert torch.allclose(vq.rotate_to(e, q), q, atol=1e-5)
    # also where e and q point almost the same way, and where they are far apart in length
    assert torch.allclose(vq.rotate_to(q * 7 + 1e-4, q), q, atol=1e-5)


def test_the_rotation_is_a_rotation_that_takes_e_to_the_direction_of_q():
    g = torch.Generator().manual_seed(1)
    e, q = torch.randn(6, generator=g), torch.randn(6, generator=g)
    r = _rotation(e, q)
    assert torch.allclose(r @ r.T, torch.eye(6), atol=1e-5)  # orthogonal ...
    assert torch.linalg.det(r).item() == pytest.approx(1.0, abs=1e-5)  # ... and a rotation, not a reflection
    assert torch.allclose(r @ e * q.norm() / e.norm(), q, atol=1e-5)


def test_the_gradient_flows_through_the_rotation_to_the_encoder_and_not_to_the_codes():
    g = torch.Generator().manual_seed(2)
    e = (torch.randn(5, 4, generator=g) * 2).requires_grad_()
    q = torch.randn(5, 4, generator=g).requires_grad_()
    upstream = torch.randn(5, 4, generator=g)
    (vq.rotate_to(e, q) * upstream).sum().backward()
    assert q.grad is None or q.grad.abs().sum() == 0
    for i in range(5):  # the gradient of λ R e with R and λ held constant: λ Rᵀ g
        r = _rotation(e[i].detach(), q[i].detach())
        want = q[i].detach().norm() / e[i].detach().norm() * r.T @ upstream[i]
        assert torch.allclose(e.grad[i], want, atol=1e-5)
    assert not torch.allclose(e.grad, upstream)  # not straight-through


def test_the_quantizer_with_the_rotation_trick_outputs_the_codes_and_rotates_the_gradient():
    torch.manual_seed(0)
    q = VectorQuantizer(8, 3, commitment=0.0, rotation_trick=True).eval()
    z = (torch.randn(10, 3) * 2).requires_grad_()
    out = q(z)
    assert torch.allclose(out.quantized, q.codebook.detach()[out.indices], atol=1e-5)
    upstream = torch.randn(10, 3)
    (out.quantized * upstream).sum().backward()
    assert z.grad.abs().sum() > 0 and not torch.allclose(z.grad, upstream)
    scale = q.codebook.detach()[out.indices].norm(dim=1) / z.detach().norm(dim=1)  # a rotation keeps lengths
    assert torch.allclose(z.grad.norm(dim=1), scale * upstream.norm(dim=1), rtol=1e-4)
    assert q.codebook.grad is None or q.codebook.grad.abs().sum() == 0  # the codebook loss moves codes


def test_a_vq_vae_with_ema_and_the_rotation_trick_trains(tiny_images):
    torch.manual_seed(0)
    model = VQVAE((1, 8, 8), codebook_size=16, dim=4, channels=(4, 8), ema=True, rotation_trick=True)
    assert model.config["quantizer"]["rotation_trick"] is True
    assert checkpoints.cache_key(model) != checkpoints.cache_key(VQVAE((1, 8, 8), 16, 4, channels=(4, 8), ema=True))
    history = fit(model, tiny_images, epochs=3, batch_size=16, lr=1e-2, loss_fn=vq_vae_loss, progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
