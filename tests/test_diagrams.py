import xml.etree.ElementTree as ET

import pytest

from course.diagrams import flow, text_width

SVG = "{http://www.w3.org/2000/svg}"


def parse(diagram):
    return ET.fromstring(diagram.svg)


def texts(root):
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def test_a_chain_draws_every_node_and_an_arrow_between_neighbours():
    root = parse(flow("x", "encoder", "z", "decoder", "x̂", kinds="dedgd"))
    assert texts(root) == ["x", "encoder", "z", "decoder", "x̂"]
    assert len(root.findall(f"{SVG}line")) == 4
    assert len(root.findall(f"{SVG}polygon")) == 2        # the encoder and the decoder


def test_side_nodes_with_a_comparison_add_a_dashed_arrow():
    root = parse(flow("x", "encoder", "x̂", kinds="ded", below={"x̂": ("loss", "l", "x")},
                      above={"encoder": [("KL", "l"), ("probe", "n")]}))
    lines = root.findall(f"{SVG}line")
    assert len(lines) == 2 + 1 + 1 + 2
    assert sum(1 for line in lines if line.get("stroke-dasharray")) == 1
    assert {"loss", "KL", "probe"} <= set(texts(root))


def test_a_side_node_can_feed_the_chain():
    root = parse(flow("content", "decoder", "speech", kinds="dgd",
                      above={"decoder": ("speaker code", "c", None, "into")}))
    lines = root.findall(f"{SVG}line")
    feed = [line for line in lines if float(line.get("y1")) < float(line.get("y2"))]  # drawn downwards
    assert len(feed) == 1 and abs(float(feed[0].get("x2")) - float(feed[0].get("x1"))) < 1e-6
    with pytest.raises(ValueError, match="'into'"):
        flow("x", "y", above={"y": ("z", "c", None, "out")})


def test_nodes_do_not_overlap_and_fit_in_the_picture():
    diagram = flow("a long input sentence", "masking", "encoder", "words", kinds="doed",
                   above={"masking": [("one side node", "l"), ("another side node", "l")]},
                   caption="a caption")
    root = parse(diagram)
    width = float(root.get("width"))
    rects = [(float(r.get("x")), float(r.get("width"))) for r in root.findall(f"{SVG}rect")[1:]]
    assert all(0 <= x and x + w <= width for x, w in rects)
    ellipses = sorted((float(e.get("cx")) - float(e.get("rx")), float(e.get("cx")) + float(e.get("rx")))
                      for e in root.findall(f"{SVG}ellipse"))
    assert ellipses[0][1] < ellipses[1][0] and ellipses[1][1] <= width


def test_wide_characters_count_twice():
    assert text_width("编码器") > text_width("abc") * 1.5


def test_the_notebook_shows_it_as_svg():
    diagram = flow("x", "y")
    assert diagram._repr_svg_().startswith("<svg")


@pytest.mark.parametrize("kwargs, message", [
    ({"kinds": "dq"}, "kinds"),
    ({"kinds": "d"}, "kinds"),
    ({"below": {"nope": ("loss", "l")}}, "not in the chain"),
    ({"below": {"x": ("loss", "l", "nope")}}, "not in the chain"),
    ({"below": {"x": ("loss", "q")}}, "unknown node kind"),
])
def test_mistakes_in_the_spec_are_named(kwargs, message):
    with pytest.raises(ValueError, match=message):
        flow("x", "y", **kwargs)


def test_labels_are_unique():
    with pytest.raises(ValueError, match="unique"):
        flow("x", "x")
