"""Writes each backbone's layer table: every layer's smallest image side and channel count (one-off tool).

``deepdream.backbones.check_layers`` reads the table, so that the web app and the command line refuse an
unknown layer, a channel a layer lacks or an image too small for a layer, in ``dream_model``'s words,
without loading TensorFlow. The networks are built here without weights (the architecture is enough),
named as a fresh process names them, and each layer's smallest side is found as ``dream_model`` finds
it (a model ending at that layer, ``deepdream.model.smallest_side``). tests/test_backbones.py checks the
table against the built networks.

Writes deepdream/data/layer_shapes.json: ``{backbone: {layer: [smallest side, channels]}}``.

Usage:
  python tools/layer_table.py
"""

from __future__ import annotations

import json

from deepdream import backbones
from deepdream import model as model_module


def network_table(backbone: str) -> dict[str, list[int]]:
    """``{layer: [smallest side, channels]}`` for every layer of the whole network (no weights needed)."""
    import keras

    record = backbones.get(backbone)
    network = record.build(None)
    model_module.canonical_names(network, record.auto_named)
    table = {}
    for layer in network.layers[1:]:
        single = keras.Model(network.input, layer.output)
        table[layer.name] = [model_module.smallest_side(single), int(layer.output.shape[-1])]
    return table


def main() -> None:
    tables = {name: network_table(name) for name in backbones.BACKBONES}
    lines = [f'  "{name}": {{\n' + ",\n".join(f'    "{layer}": {json.dumps(shape)}' for layer, shape in table.items())
             + "\n  }" for name, table in tables.items()]
    backbones.SHAPES_FILE.write_text("{\n" + ",\n".join(lines) + "\n}\n")  # one layer a line
    print(f"wrote {backbones.SHAPES_FILE}: " + ", ".join(f"{name} {len(table)} layers" for name, table in
                                                       tables.items()))


if __name__ == "__main__":
    main()
