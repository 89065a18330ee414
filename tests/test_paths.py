"""Where things are: the course's images and the results folder, in a checkout and in a wheel."""

import os

from deepdream import paths
from tests.helpers import run_python


def test_in_a_checkout_the_course_images_are_images_and_the_weights_are_package_data():
    assert paths.IN_CHECKOUT and paths.IMAGES_DIR == paths.REPO_ROOT / "images"
    assert (paths.IMAGES_DIR / "mountain.jpg").is_file()
    assert (paths.DATA_DIR / "inception_v3_imagenet_to_mixed7.float16.npz").is_file()
    assert paths.IMAGES_DIR in paths.PROTECTED_DIRS and paths.DATA_DIR in paths.PROTECTED_DIRS


def test_the_results_folder_is_the_one_deepdream_outputs_names(tmp_path):
    code = "from deepdream import paths; print(paths.OUTPUTS_DIR)"
    result = run_python(code, env=os.environ | {"DEEPDREAM_OUTPUTS": str(tmp_path)})
    assert result.stdout.strip() == str(tmp_path)
