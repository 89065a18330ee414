"""Students' zips: nbgrader's layout, nothing outside the folder, a refused zip stops nobody else."""

import re
import zipfile

import pytest

from deepdream import submissions


def _zip(path, members):
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
    return path


def test_a_students_zip_becomes_nbgraders_layout(tmp_path):
    zips = tmp_path / "zips"
    zips.mkdir()
    _zip(zips / "Wang Fang.zip", {"homework/01_noise_single_layer.ipynb": "{}", "__MACOSX/._x": "", "notes.txt": "hi"})
    unpacked, refused = submissions.unpack_submissions(zips, tmp_path / "submitted")
    assert (unpacked, refused) == ({"wang_fang": ["01_noise_single_layer.ipynb"]}, {})
    assert (tmp_path / "submitted" / "wang_fang" / "deepdream" / "01_noise_single_layer.ipynb").read_text() == "{}"


@pytest.mark.parametrize("name", ["../escape.ipynb", "/etc/escape.ipynb", "a/../../escape.ipynb"])
def test_a_zip_with_a_path_outside_the_folder_is_refused_and_nothing_is_written(tmp_path, name):
    zips = tmp_path / "zips"
    zips.mkdir()
    _zip(zips / "mallory.zip", {"01_noise_single_layer.ipynb": "{}", name: "{}"})
    _zip(zips / "ok.zip", {"01_noise_single_layer.ipynb": "{}"})
    unpacked, refused = submissions.unpack_submissions(zips, tmp_path / "course" / "submitted")
    assert "points outside the folder. Nothing of it was unpacked" in refused["mallory"]
    assert list(unpacked) == ["ok"], "the other students are unpacked all the same"
    assert not (tmp_path / "course" / "submitted" / "mallory").exists() and not (tmp_path / "escape.ipynb").exists()


def test_a_zip_over_the_size_limit_is_refused(tmp_path):
    zips = tmp_path / "zips"
    zips.mkdir()
    _zip(zips / "big.zip", {"01_noise_single_layer.ipynb": "x" * 5000})
    unpacked, refused = submissions.unpack_submissions(zips, tmp_path / "submitted", largest=1000)
    assert unpacked == {} and re.search("unpacks to .* MB .*Nothing of it was unpacked", refused["big"])
    assert not (tmp_path / "submitted").exists()


def test_two_zips_for_one_student_are_both_refused_naming_both(tmp_path):
    zips = tmp_path / "zips"
    zips.mkdir()
    _zip(zips / "Wang Fang.zip", {"01_noise_single_layer.ipynb": "{}"})
    _zip(zips / "wang-fang.zip", {"01_noise_single_layer.ipynb": "{}"})
    _zip(zips / "wang_fang.zip", {"02_noise_multi_layer.ipynb": "{}"})
    unpacked, refused = submissions.unpack_submissions(zips, tmp_path / "submitted")
    assert unpacked == {"wang-fang": ["01_noise_single_layer.ipynb"]}
    assert refused == {"wang_fang": "Refused 'Wang Fang.zip' and 'wang_fang.zip': both name the student 'wang_fang'. "
                                    "Rename or remove one, then grade again. Neither was unpacked."}


def test_a_second_unpack_replaces_the_earlier_notebooks_and_a_broken_zip_stops_nobody(tmp_path):
    zips, submitted = tmp_path / "zips", tmp_path / "submitted"
    zips.mkdir()
    _zip(zips / "ann.zip", {"01_noise_single_layer.ipynb": "{}", "02_noise_multi_layer.ipynb": "{}"})
    submissions.unpack_submissions(zips, submitted)
    _zip(zips / "ann.zip", {"03_mountain_single_layer.ipynb": "{}"})
    (zips / "ben.zip").write_bytes(b"not a zip at all")
    unpacked, refused = submissions.unpack_submissions(zips, submitted)
    assert unpacked == {"ann": ["03_mountain_single_layer.ipynb"]}
    left = sorted(path.name for path in (submitted / "ann" / "deepdream").iterdir())
    assert left == ["03_mountain_single_layer.ipynb"], "01 and 02 of the first zip are gone"
    assert refused == {"ben": "'ben.zip' is not a zip file (or it is corrupt): ask ben to zip the notebooks again."}


def test_a_missing_or_empty_folder_of_zips_is_named(tmp_path):
    with pytest.raises(ValueError, match="No folder of zips at"):
        submissions.unpack_submissions(tmp_path / "nowhere", tmp_path / "submitted")
    with pytest.raises(ValueError, match=r"No \.zip files in"):
        submissions.unpack_submissions(tmp_path, tmp_path / "submitted")
