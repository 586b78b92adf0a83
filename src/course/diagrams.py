"""Block diagrams of the lessons' models, drawn as SVG by code.

The lecture draws every model the same way: *input → encoder → code → decoder → output*,
with the loss or the decision beside it. :func:`flow` draws such a chain from left to
right, with optional side nodes above or below it (a loss that compares two nodes, a
second encoder, a discriminator). The result is an SVG picture: a cell that ends with it
shows it in JupyterLab, on the course website and in the static slides alike, with no
JavaScript and nothing to download::

    flow("x", "encoder", "z", "decoder", "x̂", kinds="dedgd",
         below={"x̂": ("‖x − x̂‖²", "l", "x")},
         caption="an autoencoder: the code z is all the decoder sees")

Node kinds (one letter per node in ``kinds``):

- ``d`` data: an image, a sentence, a vector (rounded box);
- ``e`` encoder (a block that narrows), ``g`` decoder or generator (a block that widens),
  ``n`` any other network (a plain block);
- ``c`` the code, the bottleneck (a narrow, highlighted box);
- ``l`` a loss, score or decision (an ellipse);
- ``o`` an operation without weights: add noise, mask, round, compare (a diamond-cornered box).

Used by every lesson to draw its model (issue 18: diagrams).
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from typing import Mapping, Sequence, Union

__all__ = ["Diagram", "flow", "KINDS"]

KINDS = {
    "d": ("#f3f4f6", "#6b7280"),   # data
    "e": ("#dbeafe", "#2563eb"),   # encoder
    "g": ("#dcfce7", "#16a34a"),   # decoder / generator
    "n": ("#ede9fe", "#7c3aed"),   # other network
    "c": ("#fef3c7", "#d97706"),   # code / bottleneck
    "l": ("#fee2e2", "#dc2626"),   # loss, score, decision
    "o": ("#ffffff", "#374151"),   # operation without weights
}
FONT = "font-family:'DejaVu Sans','Noto Sans CJK SC','Microsoft YaHei',sans-serif;font-size:14px"
ROW_HEIGHT = 46          # height of a node
GAP = 46                 # room for an arrow between two nodes
SIDE = 92                # distance between the main row and a side row
PAD = 14

Side = Union[tuple, Sequence[tuple]]


def text_width(label: str) -> float:
    """The width of a label in pixels at 14 px: wide (CJK) characters count twice."""
    lines = label.split("\n")
    return max(sum(15.0 if unicodedata.east_asian_width(ch) in "WF" else 8.2 for ch in line) for line in lines)


@dataclass
class Node:
    label: str
    kind: str
    x: float = 0.0       # centre
    y: float = 0.0
    width: float = 0.0

    @property
    def left(self) -> float:
        return self.x - self.width / 2

    @property
    def right(self) -> float:
        return self.x + self.width / 2


@dataclass
class Diagram:
    """A drawn diagram: its SVG text; a notebook shows it as a picture."""

    svg: str
    labels: list[str] = field(default_factory=list)

    def _repr_svg_(self) -> str:
        return self.svg

    def save(self, path: str) -> None:
        with open(path, "w", encoding="utf-8") as out:
            out.write(self.svg)


def _shape(node: Node) -> str:
    fill, stroke = KINDS[node.kind]
    h = ROW_HEIGHT if node.kind != "c" else ROW_HEIGHT + 8
    x0, y0, w = node.left, node.y - h / 2, node.width
    style = f'fill="{fill}" stroke="{stroke}" stroke-width="2"'
    if node.kind == "e":      # narrows to the right
        points = [(x0, y0 - 6), (x0 + w, y0 + 6), (x0 + w, y0 + h - 6), (x0, y0 + h + 6)]
    elif node.kind == "g":    # widens to the right
        points = [(x0, y0 + 6), (x0 + w, y0 - 6), (x0 + w, y0 + h + 6), (x0, y0 + h - 6)]
    elif node.kind == "o":
        k = 10
        points = [(x0 + k, y0), (x0 + w - k, y0), (x0 + w, node.y), (x0 + w - k, y0 + h), (x0 + k, y0 + h),
                  (x0, node.y)]
    else:
        points = []
    if points:
        return f'<polygon points="{" ".join(f"{px:.1f},{py:.1f}" for px, py in points)}" {style}/>'
    if node.kind == "l":
        return f'<ellipse cx="{node.x:.1f}" cy="{node.y:.1f}" rx="{w / 2:.1f}" ry="{h / 2:.1f}" {style}/>'
    radius = 10 if node.kind == "d" else 4
    return f'<rect x="{x0:.1f}" y="{y0:.1f}" width="{w:.1f}" height="{h:.1f}" rx="{radius}" {style}/>'


def _text(node: Node) -> str:
    lines = node.label.split("\n")
    first = node.y - 8.5 * (len(lines) - 1) + 5
    weight = ' font-weight="bold"' if node.kind == "c" else ""
    spans = "".join(f'<tspan x="{node.x:.1f}" y="{first + 17 * i:.1f}">{html.escape(line)}</tspan>'
                    for i, line in enumerate(lines))
    return f'<text text-anchor="middle" style="{FONT}"{weight}>{spans}</text>'


def _arrow(x1: float, y1: float, x2: float, y2: float, dashed: bool = False) -> str:
    dash = ' stroke-dasharray="5,4"' if dashed else ""
    return (f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="#374151" '
            f'stroke-width="1.8" marker-end="url(#head)"{dash}/>')


def _sides(spec: Mapping[str, Side] | None, labels: Sequence[str]) -> list[tuple[str, str, str, str | None, bool]]:
    """(main label, side label, kind, other main label or None, feeds the anchor) for every side node."""
    out = []
    for anchor, entries in (spec or {}).items():
        if anchor not in labels:
            raise ValueError(f"side node attached to {anchor!r}, which is not in the chain {list(labels)}")
        if entries and isinstance(entries[0], str):
            entries = [entries]
        for entry in entries:
            label, kind, *rest = entry
            other = rest[0] if rest else None
            into = len(rest) > 1 and rest[1] == "into"
            if len(rest) > 1 and not into:
                raise ValueError(f"{label!r}: the fourth element can only be 'into', not {rest[1]!r}")
            if kind not in KINDS:
                raise ValueError(f"unknown node kind {kind!r}; kinds: {''.join(KINDS)}")
            if other is not None and other not in labels:
                raise ValueError(f"{label!r} links to {other!r}, which is not in the chain")
            out.append((anchor, label, kind, other, into))
    return out


def flow(*labels: str, kinds: str | None = None, caption: str | None = None,
         above: Mapping[str, Side] | None = None, below: Mapping[str, Side] | None = None) -> Diagram:
    """A chain of nodes from left to right, arrows between neighbours, as an SVG diagram.

    ``kinds`` gives one letter per node (see the module docstring); by default data and
    networks alternate (``"dndnd…"``). ``above`` and ``below`` attach side nodes to nodes
    of the chain: ``{anchor: (label, kind)}`` draws an arrow from the anchor to the side
    node; ``{anchor: (label, kind, other)}`` also draws a dashed arrow from the chain node
    ``other`` to it (a loss that compares the output with the input);
    ``{anchor: (label, kind, None, "into")}`` turns the solid arrow round, so the side node
    feeds the anchor (a second input: a speaker code into a decoder). A list of such
    tuples attaches several. Labels are unique within the chain; ``"\\n"`` breaks a line.
    """
    if len(labels) < 2:
        raise ValueError("a flow needs at least two nodes")
    if len(set(labels)) != len(labels):
        raise ValueError(f"labels must be unique in a chain: {labels}")
    kinds = kinds if kinds is not None else "".join("dn"[i % 2] for i in range(len(labels)))
    if len(kinds) != len(labels) or any(k not in KINDS for k in kinds):
        raise ValueError(f"kinds needs one of {''.join(KINDS)} per node: {len(labels)} letters, got {kinds!r}")
    ups, downs = _sides(above, labels), _sides(below, labels)
    top = PAD + (SIDE if ups else 0) + ROW_HEIGHT / 2 + 6

    main: dict[str, Node] = {}
    x = PAD
    for label, kind in zip(labels, kinds):
        width = text_width(label) + (40 if kind in "eglo" else 24)
        node = Node(label, kind, x + width / 2, top, width)
        main[label] = node
        x += width + GAP
    right_edge = x - GAP + PAD

    side_nodes: list[tuple[Node, Node, Node | None, int, bool]] = []
    for direction, entries in ((-1, ups), (1, downs)):
        for anchor, label, kind, other, into in entries:
            width = text_width(label) + (40 if kind in "eglo" else 24)
            node = Node(label, kind, main[anchor].x, top + direction * SIDE, width)
            side_nodes.append((node, main[anchor], main[other] if other else None, direction, into))
    # keep side nodes in the picture and apart from each other on their row
    for direction in (-1, 1):
        row = sorted((s for s in side_nodes if s[3] == direction), key=lambda s: s[0].x)
        last_right = PAD - GAP
        for node, *_ in row:
            node.x = max(node.x, last_right + GAP / 2 + node.width / 2, PAD + node.width / 2)
            last_right = node.right
        if row:
            right_edge = max(right_edge, row[-1][0].right + PAD)

    height = top + (SIDE if downs else 0) + ROW_HEIGHT / 2 + 6 + PAD + (26 if caption else 0)
    parts = []
    nodes = list(main.values())
    for a, b in zip(nodes, nodes[1:]):
        parts.append(_arrow(a.right + 2, a.y, b.left - 4, b.y))
    for node, anchor, other, direction, into in side_nodes:
        half = ROW_HEIGHT / 2 + 6
        if into:
            parts.append(_arrow(node.x, node.y - direction * half, anchor.x, anchor.y + direction * (half + 2)))
        else:
            parts.append(_arrow(anchor.x, anchor.y + direction * half, node.x, node.y - direction * (half + 2)))
        if other is not None:
            toward = -node.width / 4 if other.x < node.x else node.width / 4  # the side it comes from
            parts.append(_arrow(other.x, other.y + direction * half, node.x + toward,
                                node.y - direction * (half + 2), dashed=True))
    for node in nodes + [s[0] for s in side_nodes]:
        parts += [_shape(node), _text(node)]
    if caption:
        parts.append(f'<text x="{right_edge / 2:.1f}" y="{height - PAD:.1f}" text-anchor="middle" '
                     f'style="{FONT};font-style:italic" fill="#374151">{html.escape(caption)}</text>')
    svg = (f'<svg xmlns="http://www.w3.org/2000/svg" width="{right_edge:.0f}" height="{height:.0f}" '
           'style="max-width:100%;height:auto" '  # a wide diagram shrinks to the page or slide
           f'viewBox="0 0 {right_edge:.0f} {height:.0f}" role="img" aria-label="{html.escape(caption or " → ".join(labels))}">'
           '<defs><marker id="head" markerUnits="userSpaceOnUse" markerWidth="10" markerHeight="8" refX="9" refY="4" orient="auto">'
           '<polygon points="0,0 10,4 0,8" fill="#374151"/></marker></defs>'
           f'<rect width="100%" height="100%" fill="white"/>{"".join(parts)}</svg>')
    return Diagram(svg, list(labels) + [s[0].label for s in side_nodes])
