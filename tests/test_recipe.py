"""The recipe: one place for every parameter, its checks, the page's fields, and the sidecar."""

import json

import pytest

from deepdream import backbones, recipe
from tests.helpers import run_python


def test_every_field_has_a_default_a_help_line_and_a_kind_it_checks():
    for field in recipe.FIELDS:
        assert field.help and field.name in recipe.DEFAULTS
        recipe.check(field.name, field.default)  # the defaults pass their own checks
    assert set(recipe.DREAM_OPTIONS) == {"image", "noise", *recipe.DEFAULTS}


def test_the_page_fields_and_every_backbones_layers_come_without_tensorflow():
    code = ("import json, sys; from deepdream import recipe; print(json.dumps(recipe.fields(768))); "
            "print('tensorflow' in sys.modules)")
    result = run_python(code)
    served, loaded = result.stdout.splitlines()
    assert loaded == "False", result.stderr
    fields = {field["name"]: field for field in json.loads(served)["fields"]}
    assert fields["steps"]["low"] == 1 and fields["steps"]["high"] == 200 and fields["steps"]["page"] == 12
    assert fields["max_side"]["high"] == 768 and fields["normalize"]["choices"] == ["std", "laplacian"]
    assert "mixed3" in json.loads(served)["backbones"]["inceptionv3"]["layers"]["bundled"]


@pytest.mark.parametrize("key,value,message", [
    ("steps", 2.0, "steps must be a whole number"), ("steps", True, "steps must be a whole number"),
    ("detail", 1, "detail must be true or false"), ("backbone", "resnet", "backbone must be 'inceptionv3' or"),
    ("symmetry", "hex", "is not mirror, N or Nm"), ("layers", {}, "layers must be a non-empty object"),
])
def test_a_parameter_of_the_wrong_kind_gets_what_to_give(key, value, message):
    with pytest.raises(ValueError, match=message):
        recipe.check(key, value)


def test_vgg19_with_the_bundled_inception_weights_is_refused():
    parameters = {"image": None, "noise": [64, 64]} | recipe.DEFAULTS | {"backbone": "vgg19"}
    with pytest.raises(ValueError, match="weights must be one of imagenet for vgg19, got 'bundled'"):
        recipe.check_all(parameters)


def test_a_sidecar_from_before_the_backbones_reads_as_inceptionv3(tmp_path):
    parameters = {"image": None, "noise": [64, 64]} | recipe.DEFAULTS
    del parameters["backbone"]
    path = tmp_path / "old.jpg.json"
    path.write_text(json.dumps({"parameters": parameters}))
    assert recipe.read_sidecar(path)["backbone"] == backbones.DEFAULT


def test_the_dream_arguments_name_every_option_of_the_loops():
    arguments = recipe.dream_arguments(recipe.DEFAULTS | {"symmetry": "6m"})
    assert arguments["steps_per_octave"] == 25 and arguments["symmetry"].folds == 6
    assert recipe.model_arguments(recipe.DEFAULTS)["backbone"] == "inceptionv3"


def test_the_backbone_help_written_out_for_the_catalog_names_every_backbone():
    assert recipe.FIELD["backbone"].help == "the network: " + ", ".join(backbones.BACKBONES)

