"""Rosters as instructors have them (course.roster), without kernels."""

import unicodedata

from course import roster


def read(tmp_path, data: bytes) -> roster.Roster:
    (tmp_path / roster.ROSTER_CSV).write_bytes(data)
    return roster.read(tmp_path)


def test_excel_csv_utf8_with_bom_and_windows_line_endings(tmp_path):
    found = read(tmp_path, "\ufeffid,first_name\r\nsmithjane,Jane\r\n\r\n".encode())
    assert not found.problems and set(found.students) == {"smithjane"}
    assert found.students["smithjane"].first_name == "Jane"


def test_semicolons_and_an_lms_id_column(tmp_path):
    data = "Last name;First name;SIS Login ID;Email address\nÜnal;Ada;uenal;a@x.org\n"
    found = read(tmp_path, data.encode())
    assert not found.problems
    assert found.students["uenal"].email == "a@x.org"
    assert found.students["uenal"].last_name == "Ünal"


def test_a_canvas_export_skips_its_points_possible_row(tmp_path):
    data = "Student,ID,SIS Login ID\n    Points Possible,,\nJane Smith,12,smithj\n"
    assert set(read(tmp_path, data.encode()).students) == {"12"}  # an 'id' column comes first


def test_no_id_column_is_a_problem_that_names_the_columns(tmp_path):
    found = read(tmp_path, b"name,mail\nJane,j@x.org\n")
    assert found.problems and "'name, mail'" in found.problems[0]


def test_not_utf8_says_how_to_save_it(tmp_path):
    found = read(tmp_path, "id\nm\xfcller\n".encode("latin-1"))
    assert "CSV UTF-8" in found.problems[0]


def test_folders_match_roster_ids_by_case_and_unicode_form(tmp_path):
    nfc = unicodedata.normalize("NFC", "Ünal")
    nfd = unicodedata.normalize("NFD", "Ünal")
    found = read(tmp_path, f"id\nsmithjane\n{nfc}\n".encode())
    ids, notes = roster.match_folders(found, ["SmithJane", nfd, "stranger"])
    assert ids == {"SmithJane": "smithjane", nfd: nfc, "stranger": "stranger"}
    assert any("SmithJane" in n and "smithjane" in n for n in notes)
    assert any("stranger" in n and "not on" in n for n in notes)


def test_students_who_left_are_not_graded(tmp_path):
    found = read(tmp_path, b"id,status\nann,active\nben,Dropped\n")
    ids, notes = roster.match_folders(found, ["ann", "ben"])
    assert ids == {"ann": "ann", "ben": None} and found.dropped() == {"ben"}
    assert any("ben" in n and "left the course" in n for n in notes)


def test_two_folders_for_one_student(tmp_path):
    found = read(tmp_path, b"id\nann\n")
    ids, notes = roster.match_folders(found, ["ann", "ANN"])
    assert ids == {"ann": "ann", "ANN": None}  # the exactly named folder is the one graded
    assert any("also has" in n for n in notes)


def test_without_a_roster_every_folder_is_a_student(tmp_path):
    ids, notes = roster.match_folders(roster.read(tmp_path), ["b", "A"])
    assert ids == {"A": "A", "b": "b"} and not notes
