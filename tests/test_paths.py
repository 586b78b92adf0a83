import pytest

from course import paths


def test_each_folder_follows_its_variable_and_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_DATA_DIR", str(tmp_path / "d" / "e"))
    assert paths.data_dir() == tmp_path / "d" / "e" and (tmp_path / "d" / "e").is_dir()


def test_without_create_nothing_is_made(tmp_path, monkeypatch):
    monkeypatch.setenv("COURSE_BUILD_DIR", str(tmp_path / "build"))
    monkeypatch.delenv("COURSE_CACHE_DIR", raising=False)
    assert paths.cache_dir(create=False) == tmp_path / "build" / "checkpoints"
    assert not (tmp_path / "build").exists()


def test_a_file_in_place_of_the_folder_raises_an_os_error(tmp_path, monkeypatch):
    (tmp_path / "cache").write_text("not a folder")
    monkeypatch.setenv("COURSE_CACHE_DIR", str(tmp_path / "cache"))
    with pytest.raises(OSError):
        paths.cache_dir()
    assert paths.cache_dir(create=False) == tmp_path / "cache"


def test_project_root_is_found_from_the_notebooks_folder():
    root = paths.project_root()
    assert paths.project_root(root / "notebooks") == root
