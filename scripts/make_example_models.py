#!/usr/bin/python3
"""Writes the example models in suites/models/ from PyTorch modules with fixed seeds.

Run with Debian's python3 (which has python3-torch): /usr/bin/python3 scripts/make_example_models.py
The weights are PyTorch's default initialisation for the seed; what matters is that the files are real
rtn JSON v1 models of the shapes amp models use, written from real torch modules.
"""
import json
import pathlib

import torch

OUT = pathlib.Path(__file__).resolve().parent.parent / "suites" / "models"


def weights(module):
    return {name: tensor.detach().tolist() for name, tensor in module.state_dict().items()
            if not name.endswith("num_batches_tracked")}


def layer(module):
    """The rtn JSON v1 layer for a torch module."""
    if isinstance(module, torch.nn.Linear):
        return {"type": "dense", "in_features": module.in_features, "out_features": module.out_features,
                "bias": module.bias is not None, "weights": weights(module)}
    if isinstance(module, (torch.nn.LSTM, torch.nn.GRU)):
        return {"type": "lstm" if isinstance(module, torch.nn.LSTM) else "gru", "input_size": module.input_size,
                "hidden_size": module.hidden_size, "num_layers": module.num_layers, "bias": module.bias,
                "weights": weights(module)}
    if isinstance(module, torch.nn.Conv1d):
        return {"type": "conv1d", "in_channels": module.in_channels, "out_channels": module.out_channels,
                "kernel_size": module.kernel_size[0], "dilation": module.dilation[0], "groups": module.groups,
                "bias": module.bias is not None, "weights": weights(module)}
    if isinstance(module, torch.nn.Tanh):
        return {"type": "tanh"}
    raise TypeError(f"no rtn layer for {module}")


def write(name, modules, *, channels=(1, 1), input_skip=False):
    document = {"format": "rtn", "version": 1, "name": name, "sample_rate": 48000,
                "input_channels": channels[0], "output_channels": channels[1], "input_skip": input_skip,
                "layers": [layer(module) for module in modules]}
    path = OUT / f"{name}.json"
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {path}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1)
    write("guitar_lstm", [torch.nn.LSTM(1, 40, batch_first=True), torch.nn.Linear(40, 1)], input_skip=True)
    torch.manual_seed(2)
    write("gru_2x16", [torch.nn.GRU(1, 16, num_layers=2, batch_first=True), torch.nn.Linear(16, 1)],
          input_skip=True)
    torch.manual_seed(3)
    write("conv_stack", [torch.nn.Conv1d(1, 16, 3), torch.nn.Tanh(), torch.nn.Conv1d(16, 16, 3, dilation=2),
                         torch.nn.Tanh(), torch.nn.Conv1d(16, 16, 3, dilation=4), torch.nn.Tanh(),
                         torch.nn.Linear(16, 1)])


if __name__ == "__main__":
    main()
