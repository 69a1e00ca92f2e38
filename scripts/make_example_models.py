#!/usr/bin/python3
"""Writes the example models in suites/models/ from PyTorch modules with fixed seeds, through the
project's own exporter (rtn_export.export_torch).

Run with Debian's python3 (which has python3-torch): /usr/bin/python3 scripts/make_example_models.py
The weights are PyTorch's default initialisation for the seed; what matters is that the files are real
rtn JSON v1 models of the shapes amp models use, written from real torch modules.
"""
import pathlib
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


if __name__ == "__main__":
    main()
