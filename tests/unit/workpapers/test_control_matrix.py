"""Reading a client's control matrix: column names, list cells, header row, refusals."""

from __future__ import annotations

from pathlib import Path

import pytest

from auditdesk.errors import FileFormatError
from workpapers.control_matrix import (
    inspect_control_matrix,
    read_control_matrix,
    split_attributes,
    split_criteria,
    suggest_mapping,
)


def test_columns_are_found_by_common_names_whatever_the_case() -> None:
    headers = [
        "Control ID",
        "Control",
        "FREQUENCY",
        "TSC Mapping",
        "Control Owner",
        "Manual / Automated",
        "Key Control (Y/N)",
        "Test attributes",
        "Comments",
    ]
    assert suggest_mapping(headers) == {
        "ref": "Control ID",
        "description": "Control",
        "frequency": "FREQUENCY",
        "criteria": "TSC Mapping",
        "owner": "Control Owner",
        "nature": "Manual / Automated",
        "key": "Key Control (Y/N)",
        "attributes": "Test attributes",
    }


def test_a_header_is_used_for_one_field_only() -> None:
    # "Control" is the description here only because "Control ID" was taken as the reference first.
    assert suggest_mapping(["Control", "Control ID"]) == {"ref": "Control ID", "description": "Control"}
    assert suggest_mapping(["Notes", "Owner"]) == {"owner": "Owner"}


def test_criteria_split_on_commas_semicolons_and_new_lines() -> None:
    assert split_criteria("CC6.1, CC6.2;CC6.3\nA1.2\r\n CC6.1 ") == ("CC6.1", "CC6.2", "CC6.3", "A1.2")
    assert split_criteria("") == ()
    assert split_criteria(" ; ,\n") == ()


def test_attributes_split_on_new_lines_or_semicolons_and_lose_bullets() -> None:
    text = "- Approved by the owner?\n2. Approved before access, as required?; a) Logged?\n\n"
    assert split_attributes(text) == ("Approved by the owner?", "Approved before access, as required?", "Logged?")
    # A comma inside an attribute is part of the question, not a separator.
    assert split_attributes("Reviewed, signed and dated?") == ("Reviewed, signed and dated?",)


def _write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


def test_csv_matrix_below_a_title_keeps_file_row_numbers(tmp_path: Path) -> None:
    path = _write(
        tmp_path / "rcm.csv",
        "Acme control matrix;;;\n"
        ";;;\n"
        "Ref;Description;Frequency;Criteria;Attributes\n"
        'LA-01;MFA  is enforced;Continuous;"CC6.1, CC6.2";"MFA on?\nLogged?"\n'
        ";;;;\n"
        "CM-01;Changes approved;Weekly;CC8.1;\n",
    )
    matrix = read_control_matrix(path)
    assert matrix.kind == "csv"
    assert matrix.header_row == 3
    assert [r.row for r in matrix.rows] == [4, 7]  # the quoted attribute cell spans lines 4 and 5
    first = matrix.rows[0]
    assert (first.ref, first.description, first.frequency) == ("LA-01", "MFA is enforced", "Continuous")
    assert first.criteria == ("CC6.1", "CC6.2")
    assert first.attributes == ("MFA on?", "Logged?")
    assert first.owner is None  # no owner column: the import keeps what a control has
    assert matrix.rows[1].attributes == ()
    assert len(matrix.sha256) == 64


def test_explicit_mapping_overrides_the_names(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "No.,Activity text,How often,Maps to\nX-1,Backups run,Daily,A1.2\n")
    with pytest.raises(
        FileFormatError, match="no column for the control reference, control description, mapped criteria"
    ):
        read_control_matrix(path)
    matrix = read_control_matrix(
        path,
        mapping={"ref": "no.", "description": "Activity text", "frequency": "How often", "criteria": "Maps to"},
    )
    assert matrix.rows[0].ref == "X-1"
    assert matrix.rows[0].criteria == ("A1.2",)
    assert matrix.mapping["ref"] == "No."


def test_mapping_to_a_missing_column_or_unknown_field_is_refused(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "Ref,Description,Frequency,Criteria\nX-1,Backups,Daily,A1.2\n")
    with pytest.raises(FileFormatError, match="no column named 'Owner'"):
        read_control_matrix(
            path,
            mapping={
                "ref": "Ref",
                "description": "Description",
                "frequency": "Frequency",
                "criteria": "Criteria",
                "owner": "Owner",
            },
        )
    with pytest.raises(FileFormatError, match="'colour' is not a control field"):
        read_control_matrix(
            path,
            mapping={
                "ref": "Ref",
                "description": "Description",
                "frequency": "Frequency",
                "criteria": "Criteria",
                "colour": "Ref",
            },
        )


def test_windows_1252_csv_is_read(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "Ref,Description,Frequency,Criteria\nX-1,Café backups,Daily,A1.2\n", "cp1252")
    assert read_control_matrix(path).rows[0].description == "Café backups"


@pytest.mark.parametrize(
    ("content", "name", "message"),
    [
        (b"", "m.csv", "is empty"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1rest", "m.xls", "old .xls workbook"),
        (b"just some words\n", "m.xlsx", "named like an Excel workbook"),
        (b"one column only\nvalue\n", "m.csv", "does not look like a table"),
        (b"Ref,Description\n", "m.csv", "no column for the frequency, mapped criteria"),
        (b"PK\x03\x04broken", "m.xlsx", "cannot be read; it may be damaged"),
    ],
)
def test_unusable_files_are_refused_with_one_sentence(tmp_path: Path, content: bytes, name: str, message: str) -> None:
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(FileFormatError, match=message) as caught:
        read_control_matrix(path)
    assert str(caught.value).endswith(".")


def test_missing_file_is_one_sentence(tmp_path: Path) -> None:
    with pytest.raises(FileFormatError, match="does not exist"):
        read_control_matrix(tmp_path / "nope.csv")


def test_inspect_offers_the_suggested_mapping_and_first_rows(tmp_path: Path) -> None:
    path = _write(tmp_path / "m.csv", "Ref,Description,Frequency,Criteria\nX-1,Backups,Daily,A1.2\nX-2,Restores\n")
    preview = inspect_control_matrix(path, preview_rows=5)
    assert preview.suggested == {
        "ref": "Ref",
        "description": "Description",
        "frequency": "Frequency",
        "criteria": "Criteria",
    }
    assert preview.rows == 2
    assert preview.preview[1] == ("X-2", "Restores", "", "")
    assert preview.header_row == 1
