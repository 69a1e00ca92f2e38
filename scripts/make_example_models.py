#!/usr/bin/python3
"""Writes the example models in suites/models/ from PyTorch modules with fixed seeds, through the
project's own exporter (rtn_export.export_torch), and Neural Amp Modeler presets (.nam, WaveNet
standard/lite/feather/nano and LSTM 1x16 / 2x8) with random weights of the presets' exact shapes.

Run with Debian's python3 (which has python3-torch): /usr/bin/python3 scripts/make_example_models.py
The weights are PyTorch's default initialisation for the seed; what matters is that the files are real
rtn JSON v1 models of the shapes amp models use, written from real torch modules.
"""
import json
import pathlib
import random
import sys

import torch
import torch.nn as nn

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))
import rtn_export  # noqa: E402

OUT = pathlib.Path(__file__).resolve().parent.parent / "suites" / "models"


class SkipRecurrent(nn.Module):
    """A recurrent layer, a dense layer down to one channel, and the dry input added back."""

    def __init__(self, recurrent: nn.Module, hidden: int):
        super().__init__()
        self.recurrent = recurrent
        self.dense = nn.Linear(hidden, 1)

    def forward(self, x):
        y, _ = self.recurrent(x)
        return self.dense(y) + x


class ConvStack(nn.Module):
    """Three dilated causal convolutions (a small TCN) and a dense output layer."""

    def __init__(self):
        super().__init__()
        self.convolutions = nn.Sequential(
            nn.Conv1d(1, 16, 3), nn.Tanh(), nn.Conv1d(16, 16, 3, dilation=2), nn.Tanh(),
            nn.Conv1d(16, 16, 3, dilation=4), nn.Tanh())
        self.dense = nn.Linear(16, 1)

    def forward(self, x):
        return self.dense(self.convolutions(x.transpose(1, 2)).transpose(1, 2))


class TwoInputGru(nn.Module):
    """A GRU on the signal and a control (a knob's position) as two input channels, a dense output."""

    def __init__(self):
        super().__init__()
        self.recurrent = nn.GRU(2, 16, batch_first=True)
        self.dense = nn.Linear(16, 1)

    def forward(self, x):
        return self.dense(self.recurrent(x)[0])


class Tcn(nn.Module):
    """A temporal convolution network: six dilated convolutions (1 to 32) with tanh, a dense output."""

    def __init__(self, channels=12):
        super().__init__()
        layers = [nn.Conv1d(1, channels, 3), nn.Tanh()]
        for dilation in (2, 4, 8, 16, 32):
            layers += [nn.Conv1d(channels, channels, 3, dilation=dilation), nn.Tanh()]
        self.convolutions = nn.Sequential(*layers)
        self.dense = nn.Linear(channels, 1)

    def forward(self, x):
        return self.dense(self.convolutions(x.transpose(1, 2)).transpose(1, 2))


# Neural Amp Modeler's WaveNet presets (its trainer's "standard", "lite", "feather" and "nano"): two layer
# arrays of gated=false tanh layers, the second array at half the channels.
LITE_DILATIONS = ([1, 2, 4, 8, 16, 32, 64], [128, 256, 512, 1, 2, 4, 8, 16, 32, 64, 128, 256, 512])
NAM_WAVENETS = {
    "standard": (16, ([1, 2, 4, 8, 16, 32, 64, 128, 256, 512],) * 2),
    "lite": (12, LITE_DILATIONS),
    "feather": (8, LITE_DILATIONS),
    "nano": (4, LITE_DILATIONS),
}


def wavenet_config(channels, dilations):
    arrays = [
        {"input_size": 1, "condition_size": 1, "head_size": channels // 2, "channels": channels,
         "kernel_size": 3, "dilations": dilations[0], "activation": "Tanh", "gated": False, "head_bias": False},
        {"input_size": channels, "condition_size": 1, "head_size": 1, "channels": channels // 2,
         "kernel_size": 3, "dilations": dilations[1], "activation": "Tanh", "gated": False, "head_bias": True},
    ]
    return {"layers": arrays, "head": None, "head_scale": 0.02}


def wavenet_weights(config, rng):
    """NAM's flat weight list for a WaveNet config, in its order, each array uniform in +-1/sqrt(fan-in)."""
    weights = []

    def add(count, fan_in):
        bound = 1.0 / fan_in ** 0.5
        weights.extend(rng.uniform(-bound, bound) for _ in range(count))

    for array in config["layers"]:
        channels, kernel = array["channels"], array["kernel_size"]
        add(channels * array["input_size"], array["input_size"])  # rechannel, no bias
        for _ in array["dilations"]:
            add(channels * channels * kernel + channels, channels * kernel)  # dilated conv and its bias
            add(channels * array["condition_size"], array["condition_size"])  # input mixin, no bias
            add(channels * channels + channels, channels)  # 1x1 and its bias
        add(array["head_size"] * channels + (array["head_size"] if array["head_bias"] else 0), channels)
    weights.append(config["head_scale"])
    return weights


def lstm_weights(hidden, layers, rng):
    """NAM's flat weight list for its LSTM: per layer [W_ih W_hh] (4H x (I+H)) and b, h0 and c0, then the head."""
    weights = []
    for layer in range(layers):
        inputs = 1 if layer == 0 else hidden
        bound = 1.0 / hidden ** 0.5
        weights.extend(rng.uniform(-bound, bound) for _ in range(4 * hidden * (inputs + hidden) + 4 * hidden))
        weights.extend(0.0 for _ in range(2 * hidden))
    weights.extend(rng.uniform(-0.2, 0.2) for _ in range(hidden + 1))
    return weights


def write_nam(name, architecture, config, weights):
    path = OUT / f"{name}.nam"
    document = {"version": "0.5.4", "metadata": {"name": name, "generator": "scripts/make_example_models.py",
                                                   "note": "random weights of the preset's shapes"},
                "architecture": architecture, "config": config, "weights": weights, "sample_rate": 48000}
    path.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {path} ({len(weights)} weights)")


def write(name, module):
    path = OUT / f"{name}.json"
    rtn_export.export_torch(module, path, metadata={"generator": "scripts/make_example_models.py"})
    print(f"wrote {path}")


def main():
    OUT.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(1)
    write("guitar_lstm", SkipRecurrent(nn.LSTM(1, 40, batch_first=True), 40))
    torch.manual_seed(2)
    write("gru_2x16", SkipRecurrent(nn.GRU(1, 16, num_layers=2, batch_first=True), 16))
    torch.manual_seed(3)
    write("conv_stack", ConvStack())
    torch.manual_seed(4)
    write("lstm_1x20", SkipRecurrent(nn.LSTM(1, 20, batch_first=True), 20))
    torch.manual_seed(5)
    write("gru_1x16", SkipRecurrent(nn.GRU(1, 16, batch_first=True), 16))
    torch.manual_seed(6)
    write("gru_two_inputs", TwoInputGru())
    torch.manual_seed(7)
    write("tcn", Tcn())
    rng = random.Random(8)
    for preset, (channels, dilations) in NAM_WAVENETS.items():
        config = wavenet_config(channels, dilations)
        write_nam(f"nam_wavenet_{preset}", "WaveNet", config, wavenet_weights(config, rng))
    for hidden, layers in ((16, 1), (8, 2)):
        write_nam(f"nam_lstm_{layers}x{hidden}", "LSTM", {"input_size": 1, "hidden_size": hidden, "num_layers": layers},
                  lstm_weights(hidden, layers, rng))


if __name__ == "__main__":
    main()
