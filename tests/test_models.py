import pytest
import torch

from course.models import ConvAutoencoder, LinearAutoencoder, MLPAutoencoder, count_parameters

MODELS = [LinearAutoencoder, MLPAutoencoder, ConvAutoencoder]


@pytest.mark.parametrize("cls", MODELS)
@pytest.mark.parametrize("shape", [(1, 28, 28), (1, 8, 8)])
def test_encode_decode_shapes(cls, shape):
    model = cls(shape, 5)
    x = torch.rand(3, *shape)
    z = model.encode(x)
    assert z.shape == (3, 5)
    assert model.decode(z).shape == (3, *shape)
    assert model(x).shape == x.shape


@pytest.mark.parametrize("cls", [MLPAutoencoder, ConvAutoencoder])
def test_nonlinear_models_output_pixels_in_unit_range(cls):
    out = cls((1, 28, 28), 4)(torch.rand(2, 1, 28, 28) * 10)
    assert out.min() >= 0 and out.max() <= 1


def test_conv_autoencoder_rejects_sizes_it_cannot_mirror():
    with pytest.raises(ValueError, match="divisible by 4"):
        ConvAutoencoder((1, 30, 30), 4)


def test_config_describes_the_model():
    assert ConvAutoencoder((1, 28, 28), 8).config == {
        "image_shape": [1, 28, 28], "bottleneck": 8, "channels": [32, 64], "batch_norm": True}
    assert MLPAutoencoder((1, 8, 8), 2, hidden=(10,)).config["hidden"] == [10]


def test_linear_autoencoder_is_purely_linear():
    model = LinearAutoencoder((1, 8, 8), 3)
    a, b = torch.rand(1, 1, 8, 8), torch.rand(1, 1, 8, 8)
    zero = model.encode(torch.zeros(1, 1, 8, 8))
    assert torch.allclose(model.encode(a + b) - zero, (model.encode(a) - zero) + (model.encode(b) - zero), atol=1e-5)
    assert count_parameters(model) == 64 * 3 + 3 + 3 * 64 + 64
