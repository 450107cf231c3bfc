"""Hypothesis: however Word cuts a paragraph into runs, the placeholders are the same."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from docx_factory import make_docx, p, paragraphs, r
from mytypist_cli import Template

FORMATS = ["", "<w:b/>", "<w:i/>", "<w:u w:val='single'/>", "<w:color w:val='FF0000'/>", "<w:sz w:val='30'/>"]
BETWEEN = [
    "",
    '<w:proofErr w:type="spellStart"/>',
    '<w:bookmarkStart w:id="1" w:name="b"/><w:bookmarkEnd w:id="1"/>',
]

# Literal text around the placeholders uses characters that can never form a tag.
filler = st.text(alphabet="abc xyz,.:;-", max_size=8)
names = st.sampled_from(["name", "Full Name", "client.city", "Orúkọ", "amount_2"])


@st.composite
def split_paragraphs(draw: st.DrawFn) -> tuple[str, list[str], str]:
    """A paragraph text, the names in it, and its XML with the text cut into runs at random."""
    chosen = draw(st.lists(names, min_size=1, max_size=4))
    text = draw(filler)
    for name in chosen:
        spaced = draw(st.sampled_from([f"<<{name}>>", f"<< {name} >>"]))
        text += spaced + draw(filler)
    cuts = sorted(draw(st.sets(st.integers(1, max(1, len(text) - 1)), max_size=len(text))))
    pieces = [text[a:b] for a, b in zip([0, *cuts], [*cuts, len(text)], strict=True) if a < b]
    runs = "".join(
        draw(st.sampled_from(BETWEEN)) + r(piece, draw(st.sampled_from(FORMATS))) for piece in pieces
    )
    return text, list(dict.fromkeys(chosen)), p(runs)


@settings(max_examples=150, deadline=None)
@given(split_paragraphs())
def test_any_run_split_gives_the_same_placeholders_and_fills_them_all(
    case: tuple[str, list[str], str],
) -> None:
    text, expected, xml = case
    whole = Template.open(make_docx(p(r(text))))
    split = Template.open(make_docx(xml))
    assert split.names == whole.names == tuple(expected)
    values = {name: f"[{i}]" for i, name in enumerate(expected)}
    filled = paragraphs(split.render(values))[0]
    assert filled == paragraphs(whole.render(values))[0]
    assert "<<" not in filled
    assert ">>" not in filled
    # What was filled compiles to a template with no placeholders left.
    assert Template.open(split.render(values)).names == ()
    # With missing="keep", the text reads exactly as the template did.
    assert paragraphs(split.render({}, missing="keep"))[0] == text
