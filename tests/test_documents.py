"""`documents`: YAML read into plain data, with the line and column of every key and value."""

from __future__ import annotations

import codecs
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from accordwatch.documents import MAX_DEPTH, Document, DocumentError, read_yaml
from accordwatch.errors import InputError

ROOT = Path(__file__).resolve().parents[1] / "src" / "accordwatch"

TEXT = """\
id: t
phases:
  - id: first
    ends: 2025-06-30
  - {id: second, ends: 2025-12-31 10:30:00}
note: >
  folded
"""


# --- positions ------------------------------------------------------------------------------------


def test_every_value_and_key_has_its_line_and_column() -> None:
    document = read_yaml(TEXT, source="t.yaml")
    assert document.values[()] == (1, 1)
    assert document.values[("id",)] == (1, 5)
    assert document.keys[("phases",)] == (2, 1)
    assert document.values[("phases", 0)] == (3, 5)
    assert document.keys[("phases", 0, "ends")] == (4, 5)
    assert document.values[("phases", 0, "ends")] == (4, 11)
    assert document.keys[("phases", 1, "ends")] == (5, 18)
    assert document.values[("phases", 1, "ends")] == (5, 24)
    assert document.values[("note",)] == (6, 7)


def test_where_names_the_file_line_and_column_or_the_nearest_enclosing_value() -> None:
    document = read_yaml(TEXT, source="t.yaml")
    assert document.where(("phases", 0, "ends")) == "t.yaml:4:11"
    assert document.where(["phases", 0, "ends"], key=True) == "t.yaml:4:5"
    # a field that is not there is placed at the mapping it is missing from
    assert document.where(("phases", 1, "title")) == "t.yaml:5:5"
    assert document.where(("phases", 1, "title"), key=True) == "t.yaml:5:5"
    assert document.position(("nothing", 3)) == (1, 1)
    empty = read_yaml("# nothing here\n", source="e.yaml")
    assert empty.empty and empty.data is None
    assert empty.position(("a",)) is None
    assert empty.where(("a",)) == "e.yaml"


def test_a_null_document_is_not_an_empty_one() -> None:
    document = read_yaml("~\n", source="n.yaml")
    assert document.data is None and not document.empty
    assert document.where(()) == "n.yaml:1:1"


def test_merged_values_are_placed_where_they_are_written() -> None:
    text = "base: &b {x: 1, y: 2}\nover:\n  <<: *b\n  y: 3\n"
    document = read_yaml(text, source="m.yaml")
    assert document.data["over"] == {"x": 1, "y": 3}
    assert list(document.data["over"]) == ["x", "y"]  # PyYAML's order: merged keys first
    assert document.values[("over", "x")] == (1, 14)  # in the anchored mapping
    assert document.values[("over", "y")] == (4, 6)  # the key written here wins
    assert document.data == yaml.safe_load(text)


# --- dates ----------------------------------------------------------------------------------------


def test_dates_stay_text_unless_asked_for() -> None:
    as_text = read_yaml(TEXT, source="t.yaml").data
    assert as_text["phases"][0]["ends"] == "2025-06-30"
    assert as_text["phases"][1]["ends"] == "2025-12-31 10:30:00"
    as_dates = read_yaml(TEXT, source="t.yaml", dates="date").data
    assert as_dates["phases"][0]["ends"] == date(2025, 6, 30)
    assert as_dates["phases"][1]["ends"] == datetime(2025, 12, 31, 10, 30)
    assert as_dates == yaml.safe_load(TEXT)


def test_a_date_that_is_not_one() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: 1\nb: 2025-13-45\n", source="d.yaml", dates="date")
    assert caught.value.kind == "value"
    assert caught.value.where == "d.yaml:2:4"
    assert caught.value.message.startswith("invalid value in YAML: month must be in 1..12")
    lenient = read_yaml("b: 2025-13-45\n", source="d.yaml", dates="date", lenient=True)
    assert lenient.data == {"b": "2025-13-45"}  # the text, for a schema to report
    assert lenient.issues == []
    assert read_yaml("b: 2025-13-45\n", source="d.yaml").data == {"b": "2025-13-45"}


# --- duplicate keys -------------------------------------------------------------------------------

DUPLICATE = "a: 1\nb: 2\na:\n  c: 3\n"


def test_duplicate_keys_keep_the_last_value_by_default() -> None:
    document = read_yaml(DUPLICATE, source="k.yaml")
    assert document.data == {"a": {"c": 3}, "b": 2} == yaml.safe_load(DUPLICATE)
    assert list(document.data) == ["a", "b"]
    assert document.keys[("a",)] == (3, 1)
    assert document.values[("a", "c")] == (4, 6)


def test_duplicate_keys_can_be_refused() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml(DUPLICATE, source="k.yaml", duplicates="refuse")
    assert isinstance(caught.value, InputError)
    assert caught.value.where == "k.yaml:3:1"
    assert caught.value.message == "malformed YAML: duplicate key 'a' (first at line 1): remove one"


def test_refused_duplicate_keys_are_listed_when_lenient_and_the_first_value_is_kept() -> None:
    document = read_yaml(DUPLICATE, source="k.yaml", duplicates="refuse", lenient=True)
    assert document.data == {"a": 1, "b": 2}
    assert [(i.kind, i.line, i.column) for i in document.issues] == [("duplicate-key", 3, 1)]
    assert document.issues[0].message == "duplicate key 'a' (first at line 1): remove one"


# --- what cannot be read --------------------------------------------------------------------------


def test_a_syntax_error_is_an_input_error_at_its_line_and_column() -> None:
    text = "id: t\nsteps: [a, b\nnote: x\n"
    with pytest.raises(InputError) as caught:
        read_yaml(text, source="s.yaml")
    error = caught.value
    assert isinstance(error, DocumentError)
    assert (error.kind, error.line, error.column) == ("syntax", 3, 5)
    assert error.where == "s.yaml:3:5"
    assert error.message == "malformed YAML: expected ',' or ']', but got ':'"
    assert error.context == "while parsing a flow sequence at line 2"
    assert error.diagnostic() == "s.yaml:3:5: malformed YAML: expected ',' or ']', but got ':'"


def test_several_documents_are_one_error() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: 1\n---\na: 2\n", source="s.yaml")
    assert caught.value.where == "s.yaml:2:1"
    assert "another document" in caught.value.message


def test_text_that_is_not_utf8_is_placed_at_its_byte() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml(b"a: 1\nb: caf\xe9\n", source="b.yaml")
    assert (caught.value.kind, caught.value.where) == ("encoding", "b.yaml:2:7")
    assert caught.value.problem == "the file is not UTF-8 text (byte 0xe9)"
    utf16 = codecs.BOM_UTF16_LE + "a: caf\u00e9\n".encode("utf-16-le")
    assert read_yaml(utf16, source="u.yaml").data == {"a": "caf\u00e9"} == yaml.safe_load(utf16)


def test_a_control_character_is_placed_where_it_is() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: 1\nb: x\x07y\n", source="c.yaml")
    assert (caught.value.kind, caught.value.where) == ("syntax", "c.yaml:2:5")


def test_unsupported_tags() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: 1\nb: !!python/object:os.system x\n", source="t.yaml")
    assert caught.value.where == "t.yaml:2:4"
    assert "could not determine a constructor for the tag" in caught.value.message
    lenient = read_yaml("b: !x 1\nc: !x [1]\n", source="t.yaml", lenient=True)
    assert lenient.data == {"b": "1", "c": [1]}
    assert [(i.kind, i.message, i.line) for i in lenient.issues] == [
        ("tag", "YAML tag '!x' is not supported", 1),
        ("tag", "YAML tag '!x' is not supported", 2),
    ]


def test_a_value_its_tag_cannot_build() -> None:
    for tag, value in [("int", "x"), ("bool", "x"), ("int", ""), ("timestamp", "x")]:
        text = f"a: !!{tag} {value}\n"
        with pytest.raises(DocumentError) as caught:
            read_yaml(text, source="v.yaml")
        assert (caught.value.kind, caught.value.where) == ("value", "v.yaml:1:4"), text
        # a checker keeps the text, for its schema to say what is wrong with it
        assert read_yaml(text, source="v.yaml", lenient=True).data == {"a": value}


def test_keys_that_cannot_be_keys() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: 1\n? [x, y]\n: 2\n", source="k.yaml")
    assert (caught.value.where, caught.value.problem) == ("k.yaml:2:3", "found unhashable key")
    # a null key is PyYAML's, and refused when a checker reads
    assert read_yaml("~: 1\n", source="k.yaml").data == {None: 1}
    lenient = read_yaml("~: 1\nb: 2\n", source="k.yaml", lenient=True)
    assert lenient.data == {"b": 2}
    assert [issue.kind for issue in lenient.issues] == ["key"]


def test_aliases_that_contain_themselves_or_expand_too_far() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: &r [1, *r]\n", source="r.yaml")
    assert caught.value.problem == "a YAML alias refers to a value that contains it"
    lenient = read_yaml("a: &r [1, *r]\n", source="r.yaml", lenient=True)
    assert lenient.data == {"a": [1, None]}
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]" for i in range(1, 8)]
    with pytest.raises(DocumentError) as caught:
        read_yaml("\n".join(lines) + "\n", source="bomb.yaml", lenient=True)
    assert caught.value.kind == "too-large"


def test_nesting() -> None:
    deep = "a: " + "[" * (MAX_DEPTH + 1) + "]" * (MAX_DEPTH + 1) + "\n"
    with pytest.raises(DocumentError) as caught:
        read_yaml(deep, source="n.yaml")
    assert caught.value.problem == "values are nested too deeply"
    assert [i.kind for i in read_yaml(deep, source="n.yaml", lenient=True).issues] == ["depth"]
    with pytest.raises(DocumentError) as caught:
        read_yaml("a: " + "[" * 5000 + "]" * 5000 + "\n", source="n.yaml")
    assert (caught.value.kind, caught.value.where) == ("too-deep", "n.yaml:1:1")


def test_merging_something_that_is_not_a_mapping() -> None:
    with pytest.raises(DocumentError) as caught:
        read_yaml("a:\n  <<: 1\n  b: 2\n", source="m.yaml")
    assert caught.value.where == "m.yaml:2:7"
    assert "merge" in caught.value.problem
    lenient = read_yaml("a:\n  <<: 1\n  b: 2\n", source="m.yaml", lenient=True)
    assert lenient.data == {"a": {"b": 2}}
    assert [i.kind for i in lenient.issues] == ["merge"]


# --- the same data as PyYAML ----------------------------------------------------------------------


def _shipped() -> list[Path]:
    return sorted([*ROOT.glob("data/*.yaml"), *ROOT.glob("examples/*.yaml")])


class _DatesAsText(yaml.SafeLoader):
    pass


_DatesAsText.yaml_implicit_resolvers = {
    first: [r for r in resolvers if r[0] != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


@pytest.mark.parametrize("path", _shipped(), ids=lambda path: path.name)
def test_shipped_files_read_as_pyyaml_reads_them(path: Path) -> None:
    raw = path.read_bytes()
    assert read_yaml(raw, source=path.name, dates="date").data == yaml.safe_load(raw)
    assert read_yaml(raw, source=path.name).data == yaml.load(raw, Loader=_DatesAsText)


def _pointers(value: Any, at: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [at]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _pointers(item, (*at, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += _pointers(item, (*at, i))
    return found


_SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8) | st.dates()
_DATA = st.recursive(
    _SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(max_size=6) | st.integers(), inner, max_size=4)
    ),
    max_leaves=20,
)


@settings(max_examples=100, deadline=None)
@given(_DATA, st.booleans())
def test_any_data_reads_back_with_a_place_for_every_value(data: Any, flow: bool) -> None:
    text = yaml.safe_dump(data, default_flow_style=flow, allow_unicode=True)
    document: Document = read_yaml(text, source="h.yaml", dates="date")
    assert document.data == yaml.safe_load(text)  # PyYAML does not read back all it writes (U+0085)
    lines = text.splitlines()
    for pointer in _pointers(document.data):
        line, column = document.values[pointer]
        assert 1 <= line <= len(lines) + 1 and column >= 1
