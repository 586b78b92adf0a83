from course.models import ConvAutoencoder
from course.show import show_source
from course.train import reconstruction_loss


def test_show_source_gives_the_real_code_and_where_it_lives():
    shown = show_source(ConvAutoencoder)
    assert shown.code.startswith("class ConvAutoencoder(Autoencoder):")
    assert "course/models.py, line" in shown.origin
    text = repr(shown)
    assert text.splitlines()[0].startswith("# course.models.ConvAutoencoder")


def test_show_source_highlights_in_html_and_dedents_methods():
    html = show_source(reconstruction_loss)._repr_html_()
    assert "<span" in html and "style=" in html and "reconstruction_loss" in html
    assert show_source(ConvAutoencoder.encode).code.startswith("def encode")
