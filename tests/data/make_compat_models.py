#!/usr/bin/env python3
"""Writes the small model files in other tools' formats that tests/cpp/compat_formats_test.cpp reads, each
with a reference: the input and the output that PyTorch computes for it (NAME.io.csv, "input,output" per
sample). Rerun after changing it; the outputs are committed, so the tests need no Python.

    /usr/bin/python3 tests/data/make_compat_models.py     # Debian's python3-torch is enough

Formats, as their own tools write them:
  GuitarML  Automated-GuitarAmpModelling's CoreAudioML SimpleRNN.save_model: model_data + state_dict.
  AIDA-X    AIDA-X's modelToRTNeural.py: RTNeural's Keras layout (LSTM kernels transposed, one summed bias;
            GRU gates reordered to Keras' z, r, h with a [input; recurrent] bias), plus in_skip, in_gain and
            out_gain (dB), a samplerate (a string in older files) and metadata.
  RTNeural  a Keras GRU with reset_after=False (one bias row), which PyTorch's nn.GRU cannot express: its
            reference is the formula computed step by step with torch ops.
"""
import json
import math
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
FRAMES = 1000


def guitar_like_signal(frames, seed):
    """Plucked-string-like test input: decaying partials plus a little noise, peaks near 0.6."""
    generator = torch.Generator().manual_seed(seed)
    t = torch.arange(frames, dtype=torch.float64) / 48000.0
    signal = torch.zeros(frames, dtype=torch.float64)
    for k, (frequency, amplitude) in enumerate([(110.0, 0.35), (220.0, 0.2), (330.0, 0.1), (1760.0, 0.05)]):
        signal += amplitude * torch.exp(-t * (3.0 + 2 * k)) * torch.sin(2 * math.pi * frequency * t + k)
    signal += 0.01 * torch.randn(frames, generator=generator, dtype=torch.float64)
    return signal.to(torch.float32)


def tolist(tensor):
    return tensor.detach().to(torch.float32).tolist()


def write_json(name, document):
    with open(os.path.join(HERE, name), "w") as file:
        json.dump(document, file, allow_nan=False)
        file.write("\n")


def write_io(name, signal, output):
    with open(os.path.join(HERE, name), "w") as file:
        file.write("input,output\n")
        for x, y in zip(signal.tolist(), output.tolist()):
            file.write(f"{x:.9g},{y:.9g}\n")


class SimpleRNN(torch.nn.Module):
    """CoreAudioML's SimpleRNN: nn.LSTM/nn.GRU, then nn.Linear, plus the first `skip` inputs."""

    def __init__(self, unit_type, input_size, hidden_size, output_size, num_layers, skip, bias_fl):
        super().__init__()
        self.unit_type, self.skip, self.bias_fl = unit_type, skip, bias_fl
        self.rec = getattr(torch.nn, unit_type)(input_size, hidden_size, num_layers)
        self.lin = torch.nn.Linear(hidden_size, output_size, bias=bias_fl)

    def forward(self, x):  # x: [time, batch, features], as CoreAudioML feeds it
        y = self.lin(self.rec(x)[0])
        return y + x[:, :, 0:self.skip] if self.skip else y

    def save_model(self):
        return {"model_data": {"model": "SimpleRNN", "input_size": self.rec.input_size, "skip": self.skip,
                               "output_size": self.lin.out_features, "unit_type": self.unit_type,
                               "num_layers": self.rec.num_layers, "hidden_size": self.rec.hidden_size,
                               "bias_fl": self.bias_fl},
                "state_dict": {name: tolist(value) for name, value in self.state_dict().items()}}


def make_guitarml(name, seed, **options):
    torch.manual_seed(seed)
    model = SimpleRNN(**options)
    signal = guitar_like_signal(FRAMES, seed)
    with torch.no_grad():
        output = model(signal.reshape(-1, 1, 1)).reshape(-1)
    write_json(name + ".json", model.save_model())
    write_io(name + ".io.csv", signal, output)


def decibels_to_factor(decibels):
    return 10.0 ** (decibels / 20.0) if decibels > -90.0 else 0.0


def make_aidax(name, seed, unit_type, hidden_size, in_gain_db, out_gain_db):
    """One recurrent layer and a dense layer, in_skip 1, written as modelToRTNeural.py does."""
    torch.manual_seed(seed)
    model = SimpleRNN(unit_type, 1, hidden_size, 1, 1, 1, True)
    rec = model.rec
    w_ih, w_hh = rec.weight_ih_l0.detach(), rec.weight_hh_l0.detach()
    b_ih, b_hh = rec.bias_ih_l0.detach(), rec.bias_hh_l0.detach()
    h = hidden_size
    if unit_type == "LSTM":  # PyTorch's i, f, g, o is Keras' i, f, c, o
        recurrent = {"type": "lstm", "activation": "", "shape": [None, None, h],
                     "weights": [tolist(w_ih.t()), tolist(w_hh.t()), tolist(b_ih + b_hh)]}
    else:  # PyTorch's r, z, n -> Keras' z, r, h
        def keras_gates(rows):
            return torch.cat([rows[h:2 * h], rows[0:h], rows[2 * h:]])
        recurrent = {"type": "gru", "activation": "", "shape": [None, None, h],
                     "weights": [tolist(keras_gates(w_ih).t()), tolist(keras_gates(w_hh).t()),
                                 [tolist(keras_gates(b_ih)), tolist(keras_gates(b_hh))]]}
    dense = {"type": "dense", "activation": "", "shape": [None, None, 1],
             "weights": [tolist(model.lin.weight.detach().reshape(h, 1)), tolist(model.lin.bias.detach())]}
    document = {"in_shape": [None, None, 1], "layers": [recurrent, dense], "in_skip": 1,
                "in_gain": in_gain_db, "out_gain": out_gain_db, "samplerate": "44100",
                "metadata": {"name": name, "modeled_by": "rtn tests", "samplerate": 44100}}
    signal = guitar_like_signal(FRAMES, seed)
    # AIDA-X's plugin: out = out_gain * (net(in_gain * x) + in_gain * x).
    x = signal * decibels_to_factor(in_gain_db)
    with torch.no_grad():
        output = model(x.reshape(-1, 1, 1)).reshape(-1) * decibels_to_factor(out_gain_db)
    write_json(name + ".aidax", document)
    write_io(name + ".io.csv", signal, output)


def make_keras_gru_reset_before(name, seed, hidden_size):
    """Dense(4, tanh) -> GRU(reset_after=False) -> Dense(1) in RTNeural's Keras layout."""
    generator = torch.Generator().manual_seed(seed)

    def uniform(*shape, bound=0.5):
        return (torch.rand(*shape, generator=generator) * 2 - 1) * bound

    h = hidden_size
    dense_kernel, dense_bias = uniform(1, 4, bound=1.0), uniform(4, bound=0.2)
    kernel, recurrent, bias = uniform(4, 3 * h), uniform(h, 3 * h), uniform(3 * h, bound=0.3)  # gates z, r, h
    out_kernel, out_bias = uniform(h, 1), uniform(1, bound=0.1)
    signal = guitar_like_signal(FRAMES, seed)
    with torch.no_grad():
        x = torch.tanh(signal.reshape(-1, 1) @ dense_kernel + dense_bias)
        state = torch.zeros(h)
        outputs = []
        for x_t in x:  # Keras' GRU cell with reset_after=False
            projected = x_t @ kernel + bias
            z = torch.sigmoid(projected[0:h] + state @ recurrent[:, 0:h])
            r = torch.sigmoid(projected[h:2 * h] + state @ recurrent[:, h:2 * h])
            candidate = torch.tanh(projected[2 * h:] + (r * state) @ recurrent[:, 2 * h:])
            state = z * state + (1 - z) * candidate
            outputs.append(state)
        output = (torch.stack(outputs) @ out_kernel + out_bias).reshape(-1)
    document = {"in_shape": [None, None, 1], "layers": [
        {"type": "time-distributed-dense", "activation": "tanh", "shape": [None, None, 4],
         "weights": [tolist(dense_kernel), tolist(dense_bias)]},
        {"type": "gru", "activation": "tanh", "shape": [None, None, h],
         "weights": [tolist(kernel), tolist(recurrent), tolist(bias)]},
        {"type": "dense", "activation": "", "shape": [None, None, 1],
         "weights": [tolist(out_kernel), tolist(out_bias)]}]}
    write_json(name + ".json", document)
    write_io(name + ".io.csv", signal, output)


if __name__ == "__main__":
    torch.set_num_threads(1)
    make_guitarml("guitarml-lstm", 1, unit_type="LSTM", input_size=1, hidden_size=8, output_size=1,
                  num_layers=1, skip=1, bias_fl=True)
    make_guitarml("guitarml-gru", 2, unit_type="GRU", input_size=1, hidden_size=6, output_size=1,
                  num_layers=2, skip=0, bias_fl=False)
    make_aidax("aidax-lstm", 3, "LSTM", 8, in_gain_db=-3.0, out_gain_db=6.0)
    make_aidax("aidax-gru", 4, "GRU", 7, in_gain_db=0.0, out_gain_db=-1.5)
    make_keras_gru_reset_before("rtneural-gru-reset-before", 5, 5)
