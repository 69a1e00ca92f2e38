"""PyTorch -> rtn: models built in torch with seeded random weights, exported with rtn_export, run through
`rtn process`, compared with torch's own output (<= 1e-4 abs). Run with Debian's python3 (python3-torch):
    /usr/bin/python3 -m pytest tests/python/test_export_torch.py
"""
import fractions
import json
import re
import subprocess
import sys

import numpy
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

from conftest import ROOT, assert_close

import rtn_export
from rtn_export import ExportError

torch.set_num_threads(1)
# torch.jit.trace warns about the Python checks inside nn.LSTM; the traces are used on the traced shapes.
pytestmark = pytest.mark.filterwarnings("ignore::torch.jit.TracerWarning")


def torch_output(module: nn.Module, signal: numpy.ndarray) -> numpy.ndarray:
    """module on signal (time, channels) as a batch of one -> (time', channels_out)."""
    module.eval()
    with torch.no_grad():
        return module(torch.from_numpy(signal)[None]).squeeze(0).numpy()


def randomise_batchnorm(module: nn.Module) -> None:
    """Running statistics and affine parameters away from their identity defaults."""
    for layer in module.modules():
        if isinstance(layer, (nn.BatchNorm1d, nn.BatchNorm2d)):
            with torch.no_grad():
                layer.running_mean.uniform_(-0.3, 0.3)
                layer.running_var.uniform_(0.5, 1.5)
                if layer.weight is not None:
                    layer.weight.uniform_(0.5, 1.5)
                    layer.bias.uniform_(-0.3, 0.3)


def export_and_compare(module, signal, tmp_path, rtn_process, *, warmup: int = 0, **options):
    """Exports, runs rtn, compares. `warmup`: samples rtn computes from its zero history before the
    first output torch gives for a Conv1d without padding (torch's output i is rtn's i + warmup)."""
    path = tmp_path / "model.json"
    document = rtn_export.export_torch(module, path, **options)
    expected = torch_output(module, signal)
    actual = rtn_process(path, signal)
    assert_close(actual[warmup:], expected)
    return document


# --- Models ------------------------------------------------------------------------------------------

class SkipLstm(nn.Module):
    """The typical guitar amp model: LSTM, dense to one channel, plus the dry input."""

    def __init__(self, hidden=40):
        super().__init__()
        self.lstm = nn.LSTM(1, hidden, batch_first=True)
        self.dense = nn.Linear(hidden, 1)

    def forward(self, x):
        out, (h, c) = self.lstm(x)
        return self.dense(out) + x


class Recurrent(nn.Module):
    def __init__(self, kind, inputs, hidden, outputs, num_layers=1):
        super().__init__()
        self.rnn = kind(inputs, hidden, num_layers=num_layers, batch_first=True)
        self.head = nn.Linear(hidden, outputs)

    def forward(self, x):
        return self.head(self.rnn(x)[0])


class TwoLstms(nn.Module):
    def __init__(self):
        super().__init__()
        self.first = nn.LSTM(1, 12, batch_first=True)
        self.second = nn.LSTM(12, 8, batch_first=True)
        self.out = nn.Linear(8, 1)

    def forward(self, x):
        y, _ = self.first(x)
        y, _ = self.second(y)
        return torch.tanh(self.out(y))


class ConvStack(nn.Module):
    """Conv1d + BatchNorm1d blocks in (batch, channels, time), between transposes."""

    def __init__(self, inputs=1, channels=8, outputs=1, prelu_channels=True):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv1d(inputs, channels, 3), nn.BatchNorm1d(channels), nn.Tanh(),
            nn.Conv1d(channels, channels, 3, dilation=2), nn.BatchNorm1d(channels),
            nn.PReLU(channels if prelu_channels else 1),
            nn.Conv1d(channels, channels, 2, dilation=4, groups=2), nn.BatchNorm1d(channels, affine=False),
            nn.ReLU())
        self.head = nn.Linear(channels, outputs)

    receptive_field = 2 + 4 + 4

    def forward(self, x):
        y = self.body(x.transpose(1, 2))
        return self.head(y.transpose(1, 2))


class CausalConv(nn.Module):
    """Convolutions padded on the left by hand (F.pad and nn.ConstantPad1d): torch's output has the full
    length and equals rtn's from the first sample."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(2, 6, 3, dilation=2)
        self.pad2 = nn.ConstantPad1d((4, 0), 0.0)
        self.conv2 = nn.Conv1d(6, 2, 5)

    def forward(self, x):
        y = x.permute(0, 2, 1)
        y = F.leaky_relu(self.conv1(F.pad(y, (4, 0))), 0.1)
        y = self.conv2(self.pad2(y))
        return y.permute(0, 2, 1).contiguous()


# --- End to end --------------------------------------------------------------------------------------

def test_skip_lstm_amp_model(tmp_path, rtn_process, signal):
    torch.manual_seed(1)
    document = export_and_compare(SkipLstm(), signal(3000), tmp_path, rtn_process)
    assert document["input_skip"] is True
    assert [layer["type"] for layer in document["layers"]] == ["lstm", "dense"]


@pytest.mark.parametrize("how", ["module", "script"])
def test_dropout_is_left_out(tmp_path, rtn_process, signal, how):
    torch.manual_seed(9)
    model = nn.Sequential(nn.Linear(1, 8), nn.Dropout(0.3), nn.Tanh(), nn.Linear(8, 1)).eval()
    if how == "script":
        model = torch.jit.script(model)
    document = export_and_compare(model, signal(1000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["dense", "tanh", "dense"]


def test_lstm(tmp_path, rtn_process, signal):
    torch.manual_seed(2)
    export_and_compare(Recurrent(nn.LSTM, 1, 16, 1), signal(2400), tmp_path, rtn_process)


@pytest.mark.parametrize("inputs", [1, 2])
def test_gru(tmp_path, rtn_process, signal, inputs):
    torch.manual_seed(3 + inputs)
    document = export_and_compare(Recurrent(nn.GRU, inputs, 16, 2), signal(2400, inputs), tmp_path, rtn_process)
    assert document["input_channels"] == inputs and document["output_channels"] == 2


def test_multi_layer_gru(tmp_path, rtn_process, signal):
    torch.manual_seed(5)
    export_and_compare(Recurrent(nn.GRU, 1, 12, 1, num_layers=2), signal(2000), tmp_path, rtn_process)


def test_stacked_lstm(tmp_path, rtn_process, signal):
    torch.manual_seed(6)
    document = export_and_compare(Recurrent(nn.LSTM, 1, 12, 1, num_layers=3), signal(2000), tmp_path, rtn_process)
    assert document["layers"][0]["num_layers"] == 3


def test_two_chained_lstms(tmp_path, rtn_process, signal):
    torch.manual_seed(7)
    document = export_and_compare(TwoLstms(), signal(2000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["lstm", "lstm", "dense", "tanh"]


def test_conv_batchnorm_stack(tmp_path, rtn_process, signal):
    torch.manual_seed(8)
    model = ConvStack()
    randomise_batchnorm(model)
    document = export_and_compare(model, signal(2400), tmp_path, rtn_process, warmup=ConvStack.receptive_field)
    assert [layer["type"] for layer in document["layers"]] == [
        "conv1d", "batchnorm1d", "tanh", "conv1d", "batchnorm1d", "prelu", "conv1d", "batchnorm1d", "relu",
        "dense"]


def test_conv_stack_two_channels(tmp_path, rtn_process, signal):
    torch.manual_seed(9)
    model = ConvStack(inputs=2, channels=6, outputs=2, prelu_channels=False)
    randomise_batchnorm(model)
    export_and_compare(model, signal(2000, 2), tmp_path, rtn_process, warmup=ConvStack.receptive_field)


def test_causal_padding_before_conv(tmp_path, rtn_process, signal):
    torch.manual_seed(10)
    export_and_compare(CausalConv(), signal(2000, 2), tmp_path, rtn_process)


class Decimator(nn.Module):
    """Strided Conv1d (2, then 3) after their causal padding, a GRU between them at the decimated rate (what
    holding values at the full rate would get wrong): one output frame per 6 input frames."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(1, 6, 4, stride=2)             # receptive field 3
        self.gru = nn.GRU(6, 8, batch_first=True)
        self.conv2 = nn.Conv1d(8, 4, 3, stride=3, dilation=2)  # receptive field 4
        self.head = nn.Linear(4, 1)

    def forward(self, x):
        y = self.conv1(F.pad(x.transpose(1, 2), (3, 0)))
        y, _ = self.gru(y.transpose(1, 2))
        y = self.conv2(F.pad(y.transpose(1, 2), (4, 0)))
        return self.head(y.transpose(1, 2))


@pytest.mark.parametrize("frames", [2400, 2399])
def test_strided_conv1d_decimates(tmp_path, rtn_process, signal, frames):
    torch.manual_seed(13)
    model = Decimator().eval()
    path = tmp_path / "model.json"
    document = rtn_export.export_torch(model, path)
    assert [layer.get("stride", 1) for layer in document["layers"] if layer["type"] == "conv1d"] == [2, 3]
    source = signal(frames)
    expected = torch_output(model, source)
    assert expected.shape[0] == -(-frames // 6)  # ceil: PyTorch's length on the causally padded input
    assert_close(rtn_process(path, source, period=6), expected)


class EncoderDecoder(nn.Module):
    """A stride-2 encoder, a GRU at half rate, a stride-2 transposed decoder (groups 2, a kernel longer than the
    stride, so frames overlap): one output frame per input frame, as an effect needs."""

    def __init__(self):
        super().__init__()
        self.encoder = nn.Conv1d(2, 6, 4, stride=2)  # receptive field 3
        self.gru = nn.GRU(6, 6, batch_first=True)
        self.decoder = nn.ConvTranspose1d(6, 4, 5, stride=2, groups=2, output_padding=1)
        self.head = nn.Linear(4, 2)

    def forward(self, x):
        y = self.encoder(F.pad(x.transpose(1, 2), (3, 0)))
        y, _ = self.gru(y.transpose(1, 2))
        return self.head(self.decoder(y.transpose(1, 2)).transpose(1, 2))


class Upsampler(nn.Module):
    """ConvTranspose1d by 3 (dilated: its taps reach past the stride) and an LSTM at three times the rate."""

    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose1d(1, 5, 3, stride=3, dilation=2)
        self.lstm = nn.LSTM(5, 4, batch_first=True)
        self.head = nn.Linear(4, 1, bias=False)

    def forward(self, x):
        y, _ = self.lstm(torch.tanh(self.up(x.transpose(1, 2))).transpose(1, 2))
        return self.head(y)


@pytest.mark.parametrize("frames", [2400, 2399])
def test_transposed_conv1d_after_a_stride_keeps_the_rate(tmp_path, rtn_process, signal, frames):
    torch.manual_seed(14)
    model = EncoderDecoder().eval()
    path = tmp_path / "model.json"
    document = rtn_export.export_torch(model, path)
    transposed = [layer for layer in document["layers"] if layer["type"] == "conv_transpose1d"]
    assert [(layer["stride"], layer["groups"]) for layer in transposed] == [(2, 2)]
    assert "output_padding" not in transposed[0]
    source = signal(frames, 2)
    expected = torch_output(model, source)
    # The stream's output frames are PyTorch's first ones: the rest need inputs after the signal's end.
    assert expected.shape[0] >= frames
    assert_close(rtn_process(path, source), expected[:frames])


@pytest.mark.parametrize("frames", [2400, 2399])
def test_transposed_conv1d_upsamples(tmp_path, rtn_process, signal, frames):
    torch.manual_seed(15)
    model = Upsampler().eval()
    path = tmp_path / "model.json"
    rtn_export.export_torch(model, path)
    source = signal(frames)
    expected = torch_output(model, source)
    assert expected.shape[0] == (frames - 1) * 3 + 5  # PyTorch's length: 2 frames more than the stream's
    assert_close(rtn_process(path, source, period=fractions.Fraction(1, 3)), expected[:3 * frames])


class Spectral(nn.Module):
    """Frames of 9 features x 2 channels (flat, channels fastest) through Conv2d and BatchNorm2d: the views
    between flat and 2-D frames, causal time padding, strides 2 and 3, time dilation, groups and "same"
    zeros along features, then a Linear head on the flattened frame."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 4, (3, 3), stride=(1, 2), dilation=(2, 1))   # 9 -> 4 features
        self.norm1 = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 4, (2, 3), stride=(1, 3), padding=(0, 1), groups=2)  # 4 -> 2 features, "same"
        self.norm2 = nn.BatchNorm2d(4, affine=False)
        self.conv3 = nn.Conv2d(4, 3, (1, 2), bias=False)  # 2 -> 1 feature
        self.head = nn.Linear(3, 1)

    def forward(self, x):
        x = x.unflatten(2, (9, 2)).permute(0, 3, 1, 2)
        x = torch.relu(self.norm1(self.conv1(F.pad(x, (0, 0, 4, 0)))))
        x = self.norm2(torch.tanh(self.conv2(F.pad(x, (0, 0, 1, 0)))))
        x = self.conv3(x).permute(0, 2, 3, 1).flatten(2)
        return self.head(x)


def test_spectral_conv2d_batchnorm2d(tmp_path, rtn_process, signal):
    torch.manual_seed(12)
    model = Spectral()
    randomise_batchnorm(model)
    document = export_and_compare(model, signal(600, 18), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == [
        "conv2d", "batchnorm2d", "relu", "conv2d", "tanh", "batchnorm2d", "conv2d", "dense"]
    assert document["layers"][3]["same_padding"] is True and document["layers"][3]["groups"] == 2


class Conv2dPaddedInTime(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, (3, 3), padding=1)

    def forward(self, x):
        return self.conv(x.unflatten(2, (8, 1)).permute(0, 3, 1, 2)).permute(0, 2, 3, 1).flatten(2)


ACTIVATION_MODULES = {
    "tanh": nn.Tanh(), "relu": nn.ReLU(), "sigmoid": nn.Sigmoid(), "elu": nn.ELU(alpha=0.7),
    "leaky_relu": nn.LeakyReLU(0.2), "prelu": nn.PReLU(), "softmax": nn.Softmax(dim=-1),
}


@pytest.mark.parametrize("kind", sorted(ACTIVATION_MODULES))
def test_mlp_with_activation_module(tmp_path, rtn_process, signal, kind):
    torch.manual_seed(11)
    activation = ACTIVATION_MODULES[kind]
    if kind == "prelu":
        nn.init.uniform_(activation.weight, 0.1, 0.4)
    model = nn.Sequential(nn.Linear(2, 8), activation, nn.Linear(8, 3), nn.Identity())
    document = export_and_compare(model, signal(2000, 2), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["dense", kind, "dense"]


class FunctionalActivations(nn.Module):
    """Every functional / method spelling of the activations."""

    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 8)
        self.b = nn.Linear(8, 8)
        self.c = nn.Linear(8, 4)

    def forward(self, x):
        y = torch.tanh(self.a(x))
        y = F.relu(y).sigmoid()
        y = F.elu(self.b(y), alpha=0.5)
        y = F.leaky_relu(y, negative_slope=0.3).tanh()
        y = torch.sigmoid(torch.relu(y.relu()))
        y = F.softmax(self.c(y), dim=-1)
        return y.transpose(1, 2).softmax(dim=1).transpose(2, 1)


def test_mlp_with_functional_activations(tmp_path, rtn_process, signal):
    torch.manual_seed(12)
    document = export_and_compare(FunctionalActivations(), signal(2000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == [
        "dense", "tanh", "relu", "sigmoid", "dense", "elu", "leaky_relu", "tanh", "relu", "relu", "sigmoid",
        "dense", "softmax", "softmax"]


POOLING_MODULES = {
    "max_k3_s2_p1": nn.MaxPool1d(3, stride=2, padding=1),
    "max_k2_default_stride": nn.MaxPool1d(2),
    "max_k3_s1_dilation2": nn.MaxPool1d(3, stride=1, dilation=2),
    "avg_k3_s2_p1": nn.AvgPool1d(3, stride=2, padding=1),
    "avg_k4_s3_p2_exclude_pad": nn.AvgPool1d(4, stride=3, padding=2, count_include_pad=False),
    "avg_k5_s1": nn.AvgPool1d(5, stride=1),
}


@pytest.mark.parametrize("case", sorted(POOLING_MODULES))
def test_pooling_of_each_frames_channels(tmp_path, rtn_process, signal, case):
    """Pooling (batch, time, channels) pools each frame's channels; odd channel counts on both sides."""
    torch.manual_seed(16)
    pool = POOLING_MODULES[case]
    pooled = pool(torch.zeros(1, 1, 13)).shape[-1]
    model = nn.Sequential(nn.Linear(2, 13), nn.Tanh(), pool, nn.Linear(pooled, 3))
    document = export_and_compare(model, signal(2000, 2), tmp_path, rtn_process)
    assert document["layers"][2]["type"] == ("maxpool1d" if case.startswith("max") else "avgpool1d")


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_pooling(tmp_path, rtn_process, signal, how):
    torch.manual_seed(17)
    model = nn.Sequential(nn.Linear(1, 12), nn.MaxPool1d(3, stride=2, padding=1), nn.Tanh(),
                          nn.AvgPool1d(2, stride=1, padding=1, count_include_pad=False), nn.Linear(7, 1)).eval()
    example = torch.from_numpy(signal(64))[None]
    compiled = torch.jit.script(model) if how == "script" else torch.jit.trace(model, example)
    document = export_and_compare(compiled, signal(2000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["dense", "maxpool1d", "tanh", "avgpool1d", "dense"]


# --- TorchScript and the command line ----------------------------------------------------------------

@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_skip_lstm(tmp_path, rtn_process, signal, how):
    torch.manual_seed(13)
    model = SkipLstm(hidden=24).eval()
    example = torch.from_numpy(signal(64))[None]
    compiled = torch.jit.script(model) if how == "script" else torch.jit.trace(model, example)
    document = export_and_compare(compiled, signal(2000), tmp_path, rtn_process)
    assert document["input_skip"] is True


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_file_conv_stack_through_command_line(tmp_path, rtn_process, signal, how):
    torch.manual_seed(14)
    model = ConvStack().eval()
    randomise_batchnorm(model)
    example = torch.from_numpy(signal(64))[None]
    compiled = torch.jit.script(model) if how == "script" else torch.jit.trace(model, example)
    saved, exported = tmp_path / "model.pt", tmp_path / "model.json"
    compiled.save(str(saved))
    completed = subprocess.run([sys.executable, "-m", "rtn_export", str(saved), str(exported)],
                               capture_output=True, text=True, cwd=ROOT / "scripts")
    assert completed.returncode == 0, completed.stderr
    assert "wrote" in completed.stdout
    x = signal(2000)
    assert_close(rtn_process(exported, x)[ConvStack.receptive_field:], torch_output(model, x))


@pytest.mark.parametrize("how", ["script", "trace"])
def test_torchscript_functional_activations(tmp_path, rtn_process, signal, how):
    torch.manual_seed(15)
    model = FunctionalActivations().eval()
    example = torch.from_numpy(signal(64))[None]
    compiled = torch.jit.script(model) if how == "script" else torch.jit.trace(model, example)
    export_and_compare(compiled, signal(2000), tmp_path, rtn_process)


# --- TorchScript: strided, transposed and spectral convolutions ------------------------------------------

class SpectralSpellings(nn.Module):
    """Spectral's views in their other spellings: nn.Unflatten and nn.Flatten modules, torch.permute and
    torch.flatten, x.unflatten with sizes in plain attributes (a scripted module reads them from the module),
    a Conv2d's own "same" zeros along features (padding=(0, 1)), groups and an ELU between two spectral blocks."""

    def __init__(self, features=6, channels=3):
        super().__init__()
        self.features, self.channels = features, channels
        self.unflatten = nn.Unflatten(2, (features, channels))
        self.conv1 = nn.Conv2d(channels, 6, (2, 3), dilation=(3, 1), padding=(0, 1), groups=3)  # 6 -> 6 features
        self.norm = nn.BatchNorm2d(6)
        self.mix = nn.Linear(6 * features, features * channels)
        self.conv2 = nn.Conv2d(channels, 2, (3, 2), stride=(1, 2))  # 6 -> 3 features
        self.flatten = nn.Flatten(2)

    def forward(self, x):
        x = torch.permute(self.unflatten(x), (0, 3, 1, 2))
        x = F.elu(self.norm(self.conv1(F.pad(x, (0, 0, 3, 0)))))
        x = self.mix(torch.flatten(x.permute(0, 2, 3, 1), 2))
        x = self.conv2(F.pad(x.unflatten(2, (self.features, self.channels)).permute(0, 3, 1, 2), (0, 0, 2, 0)))
        return self.flatten(x.permute(0, 2, 3, 1))


class MonoSpectral(nn.Module):
    """Frames of 10 features in one channel, as single-channel spectral models are written: unsqueeze(1) of the
    model input straight into Conv2d's layout (its width then comes from input_channels) and squeeze(1) back,
    then unsqueeze(-1), the permutes and squeeze(-1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 4, (3, 3), padding=(0, 1))  # "same": 10 -> 10 features
        self.norm = nn.BatchNorm2d(4)
        self.conv2 = nn.Conv2d(4, 1, (2, 3))  # 10 -> 8 features
        self.conv3 = nn.Conv2d(1, 1, (1, 4), stride=(1, 2))  # 8 -> 3 features
        self.head = nn.Linear(3, 2)

    def forward(self, x):
        y = torch.relu(self.norm(self.conv1(F.pad(x.unsqueeze(1), (0, 0, 2, 0)))))
        y = torch.tanh(self.conv2(F.pad(y, (0, 0, 1, 0))).squeeze(1))
        y = self.conv3(y.unsqueeze(-1).permute(0, 3, 1, 2))
        return self.head(y.permute(0, 2, 3, 1).squeeze(-1))


class ReshapedSpectral(nn.Module):
    """The views between flat and 2-D frames written as reshapes, as spectral models often are: sizes unpacked from
    x.shape, read with x.size(i) and multiplied, -1 for the batch and for a frame's size, and the function form:
    reshape(b, t, 9, 2) is unflatten(2, (9, 2)), view(x.size(0), x.size(1), -1) and reshape(-1, t, 12 * c) are
    flatten(2), view(b, 1, t, 12) is unsqueeze(1) and torch.reshape(y, (b, t, -1)) of one channel squeeze(1)."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(2, 3, (3, 3), stride=(1, 2), dilation=(2, 1))  # 9 -> 4 features
        self.norm = nn.BatchNorm2d(3)
        self.mix = nn.Linear(12, 12)
        self.conv2 = nn.Conv2d(1, 2, (2, 3), padding=(0, 1))  # 12 -> 12 features, "same"
        self.conv3 = nn.Conv2d(2, 1, (1, 3))  # 12 -> 10 features
        self.head = nn.Linear(10, 1)

    def forward(self, x):
        b, t, _ = x.shape
        y = x.reshape(b, t, 9, 2).permute(0, 3, 1, 2)
        y = torch.relu(self.norm(self.conv1(F.pad(y, (0, 0, 4, 0)))))
        y = self.mix(y.permute(0, 2, 3, 1).view(x.size(0), x.size(1), -1))
        y = torch.tanh(self.conv2(F.pad(y.view(b, 1, t, 12), (0, 0, 1, 0))))
        c = y.size(1)
        y = y.permute(0, 2, 3, 1).reshape(-1, t, 12 * c)
        y = self.conv3(y.reshape(b, t, 12, c).permute(0, 3, 1, 2))
        return self.head(torch.reshape(y, (b, t, -1)))


class MonoReshaped(nn.Module):
    """Frames of 10 features in one channel made by a view of the model input, view(b, 1, t, -1) (its width from
    input_channels), and flattened with the four sizes unpacked after the Conv2d: reshape(b, t, f * c)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 3, (2, 3), stride=(1, 2))  # 10 -> 4 features
        self.head = nn.Linear(12, 2)

    def forward(self, x):
        y = self.conv(F.pad(x.view(x.size(0), 1, x.size(1), -1), (0, 0, 1, 0)))
        b, c, t, f = y.shape
        return self.head(y.permute(0, 2, 3, 1).reshape(b, t, f * c))


class Regrouped(nn.Module):
    """A reshape to the shape a signal has (nothing to do), one from (batch, time, 4, 2) to (batch, time, 2, 4)
    (flatten(2) then unflatten(2, (2, 4))) and one of (batch, 1, time, 1) to (batch, time, 1) (squeeze(1)),
    with sizes read from the last dimension (x.shape[-1]) and divided."""

    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(3, 8)
        self.conv = nn.Conv2d(4, 1, (1, 2))  # 2 -> 1 feature

    def forward(self, x):
        y = self.dense(x)
        b, t, width = y.size(0), y.size(1), y.shape[-1]
        y = y.view(b, t, width).reshape(b, t, 4, 2)
        y = y.reshape(b, t, width // 4, 4).permute(0, 3, 1, 2)
        return torch.sigmoid(self.conv(y)).reshape(b, t, 1)


# name: (model, input channels, frames in, torch's output frames kept, rtn's output period), seeded when built.
TORCHSCRIPT_CONVOLUTIONS = {
    "decimator": (Decimator, 1, 2399, lambda frames: -(-frames // 6), 6),
    "encoder_decoder": (EncoderDecoder, 2, 2399, lambda frames: frames, 1),
    "upsampler": (Upsampler, 1, 2399, lambda frames: 3 * frames, fractions.Fraction(1, 3)),
    "spectral": (Spectral, 18, 600, lambda frames: frames, 1),
    "spectral_spellings": (SpectralSpellings, 18, 600, lambda frames: frames, 1),
    "mono_spectral": (MonoSpectral, 10, 600, lambda frames: frames, 1),
    "reshaped_spectral": (ReshapedSpectral, 18, 600, lambda frames: frames, 1),
    "mono_reshaped": (MonoReshaped, 10, 600, lambda frames: frames, 1),
    "regrouped": (Regrouped, 3, 600, lambda frames: frames, 1),
}
TORCHSCRIPT_WAYS = ["script", "trace", "script_file", "trace_file"]


def export_torchscript(model: nn.Module, how: str, example: torch.Tensor, directory) -> dict:
    """model exported from torch.jit.script or torch.jit.trace, or ("_file") saved with torch.jit.save and
    converted by the command line, `python -m rtn_export model.pt model.json --input-channels N`; returns the
    file's document."""
    compiled = torch.jit.script(model) if how.startswith("script") else torch.jit.trace(model, example)
    exported, channels = directory / f"{how}.json", example.shape[2]
    if not how.endswith("_file"):
        rtn_export.export_torch(compiled, exported, input_channels=channels)
    else:
        saved = directory / f"{how}.pt"
        compiled.save(str(saved))
        completed = subprocess.run([sys.executable, "-m", "rtn_export", str(saved), str(exported),
                                    "--input-channels", str(channels)],
                                   capture_output=True, text=True, cwd=ROOT / "scripts")
        assert completed.returncode == 0, completed.stderr
    return json.loads(exported.read_text())


@pytest.mark.parametrize("how", TORCHSCRIPT_WAYS)
@pytest.mark.parametrize("case", sorted(TORCHSCRIPT_CONVOLUTIONS))
def test_torchscript_transposed_and_spectral_convolutions(tmp_path, rtn_process, signal, case, how):
    """The same rtn file as from the Python module (layers, hyper-parameters and weights), and rtn's output on it
    is torch's (its first frames, as in the tests of the Python modules above)."""
    make, channels, frames, kept, period = TORCHSCRIPT_CONVOLUTIONS[case]
    torch.manual_seed(18)
    model = make().eval()
    randomise_batchnorm(model)
    source = signal(frames, channels)
    document = export_torchscript(model, how, torch.from_numpy(signal(64, channels))[None], tmp_path)
    rtn_export.export_torch(model, tmp_path / "fx.json", input_channels=channels)
    assert document["layers"] == json.loads((tmp_path / "fx.json").read_text())["layers"]
    expected = torch_output(model, source)
    assert_close(rtn_process(tmp_path / f"{how}.json", source, period=period), expected[:kept(frames)])


# name: (model, input channels, the layers of the file: a reshape is one of the views, it adds none).
RESHAPES = {
    "reshaped_spectral": (ReshapedSpectral, 18, ["conv2d", "batchnorm2d", "relu", "dense", "conv2d", "tanh", "conv2d",
                                                 "dense"]),
    "mono_reshaped": (MonoReshaped, 10, ["conv2d", "dense"]),
    "regrouped": (Regrouped, 3, ["dense", "conv2d", "sigmoid"]),
}


@pytest.mark.parametrize("case", sorted(RESHAPES))
def test_reshapes_and_views_are_the_frame_views(tmp_path, rtn_process, signal, case):
    """torch.fx: the Python modules end to end (their TorchScript forms are in the test above)."""
    make, channels, layers = RESHAPES[case]
    torch.manual_seed(19)
    model = make().eval()
    randomise_batchnorm(model)
    document = export_and_compare(model, signal(600, channels), tmp_path, rtn_process, input_channels=channels)
    assert [layer["type"] for layer in document["layers"]] == layers


def test_command_line_reports_errors(tmp_path):
    model = torch.jit.script(nn.Sequential(nn.Linear(1, 4), nn.Softplus(), nn.Linear(4, 1)))
    model.save(str(tmp_path / "bad.pt"))
    completed = subprocess.run([sys.executable, "-m", "rtn_export", str(tmp_path / "bad.pt"),
                                str(tmp_path / "bad.json")], capture_output=True, text=True, cwd=ROOT / "scripts")
    assert completed.returncode == 1
    assert "unsupported operation torch.nn.Softplus at layer '1'" in completed.stderr
    assert not (tmp_path / "bad.json").exists()


def test_written_file_is_rtn_json_v1(tmp_path):
    torch.manual_seed(16)
    rtn_export.export_torch(SkipLstm(hidden=4), tmp_path / "amp.json", sample_rate=44100)
    document = json.loads((tmp_path / "amp.json").read_text())
    assert document["format"] == "rtn" and document["version"] == 1
    assert document["name"] == "amp" and document["sample_rate"] == 44100
    assert set(document["layers"][0]["weights"]) == {"weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0"}
    assert document["metadata"]["exported_by"].startswith("rtn_export")


# --- What cannot be exported -------------------------------------------------------------------------

class WithSoftplus(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(1, 4)
        self.act = nn.Softplus()

    def forward(self, x):
        return self.act(self.dense(x))


class WithSin(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(1, 1)

    def forward(self, x):
        return torch.sin(self.dense(x))


class Branching(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 1)
        self.b = nn.Linear(1, 1)

    def forward(self, x):
        y = self.a(x)
        return torch.tanh(y) + torch.relu(y)


class ConvWithoutTranspose(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 4, 3)

    def forward(self, x):
        return self.conv(x)


class ReturnsState(nn.Module):
    def __init__(self):
        super().__init__()
        self.gru = nn.GRU(1, 4, batch_first=True)

    def forward(self, x):
        return self.gru(x)


class ReturnsTwo(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 1)

    def forward(self, x):
        return self.a(x), x


class SkipInTheMiddle(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 1)

    def forward(self, x):
        return torch.tanh(self.a(x) + x)


class DataDependent(nn.Module):
    def __init__(self):
        super().__init__()
        self.a = nn.Linear(1, 1)

    def forward(self, x):
        if x.sum() > 0:
            return self.a(x)
        return x


def padded_conv_model():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 2, 3, padding=1)

        def forward(self, x):
            return self.conv(x.transpose(1, 2)).transpose(1, 2)
    return Model()


def wrong_pad_model():
    class Model(nn.Module):
        def __init__(self):
            super().__init__()
            self.conv = nn.Conv1d(1, 2, 3, dilation=2)

        def forward(self, x):
            return self.conv(F.pad(x.transpose(1, 2), (2, 0))).transpose(1, 2)
    return Model()


class PoolsTime(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(1, 4)
        self.pool = nn.MaxPool1d(2)

    def forward(self, x):
        return self.pool(self.dense(x).transpose(1, 2)).transpose(1, 2)


class StridedWithoutPadding(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(1, 1, 3, stride=2)

    def forward(self, x):
        return self.conv(x.transpose(1, 2)).transpose(1, 2)


class PaddedTransposed(nn.Module):
    def __init__(self):
        super().__init__()
        self.up = nn.ConvTranspose1d(1, 1, 4, stride=2, padding=1)

    def forward(self, x):
        return self.up(x.transpose(1, 2)).transpose(1, 2)


class Wrapper(nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, x):
        return self.inner(x)


ERROR_CASES = {
    "softplus": (WithSoftplus(), r"unsupported operation torch\.nn\.Softplus at layer 'act'"),
    "sin": (WithSin(), r"unsupported operation torch\.sin at fx node 'sin' \(test_export_torch\.py:\d+: "
                       r"return torch\.sin\(self\.dense\(x\)\)\)"),
    "gelu": (nn.Sequential(nn.Linear(1, 2), nn.GELU()), r"unsupported operation torch\.nn\.GELU at layer '1'"),
    "nested": (Wrapper(nn.Sequential(nn.Linear(1, 2), nn.Hardtanh())),
               r"unsupported operation torch\.nn\.Hardtanh at layer 'inner\.1'"),
    "conv_padding": (padded_conv_model(), r"layer 'conv'.*padding=\(1,\).*padding=0"),
    "conv_same": (nn.Sequential(nn.Conv1d(1, 1, 3, padding="same")), r"padding='same'"),
    "conv_stride_unpadded": (StridedWithoutPadding(), r"layer 'conv'.*stride=2; a strided conv1d needs its causal "
                                                      r"left padding right before it, F\.pad\(x, \(2, 0\)\)"),
    "transposed_padding": (PaddedTransposed(), r"layer 'up'.*padding=1, which crops the first output frames.*"
                                                r"look-ahead"),
    "conv_layout": (ConvWithoutTranspose(), r"layer 'conv'.*Conv1d is applied to \(batch, time, channels\) "
                                            r"but needs \(batch, channels, time\)"),
    "wrong_pad": (wrong_pad_model(), r"pads the time axis by 2.*needs exactly.*= 4"),
    "batch_first": (Wrapper(nn.LSTM(1, 2)), r"batch_first=False"),
    "conv2d_time_padding": (Conv2dPaddedInTime(), r"layer 'conv'.*along time rtn's conv2d is causal"),
    "pool_time": (PoolsTime(), r"layer 'pool'.*MaxPool1d is applied to \(batch, channels, time\).*never time"),
    "pool_ceil_mode": (nn.Sequential(nn.Linear(1, 8), nn.AvgPool1d(3, ceil_mode=True)), r"ceil_mode=True"),
    "pool_too_wide": (nn.Sequential(nn.Linear(1, 4), nn.MaxPool1d(5)), r"window \(5 channels\).*frame of 4"),
    "branch": (Branching(), r"branches"),
    "returns_state": (ReturnsState(), r"model output gets the whole \(output, hidden\) tuple of layer 'gru'"),
    "returns_two": (ReturnsTwo(), r"the model returns 2 values"),
    "skip_not_last": (SkipInTheMiddle(), r"residual add of the model input.*last operation"),
    "data_dependent": (DataDependent(), r"cannot trace DataDependent\.forward with torch\.fx"),
    "tuple_into_layer": (nn.Sequential(nn.LSTM(1, 4, batch_first=True), nn.Linear(4, 1)),
                         r"layer '1'.*whole \(output, hidden\) tuple of layer '0'"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_unsupported_models_are_refused_with_the_place(tmp_path, case):
    module, message = ERROR_CASES[case]
    with pytest.raises(ExportError, match=message):
        rtn_export.export_torch(module, tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()


class OnFrames(nn.Module):
    """`layer` between the views of a flat frame of features x channels and (batch, channels, time, features)."""

    def __init__(self, layer, features, channels):
        super().__init__()
        self.layer, self.features, self.channels = layer, features, channels

    def forward(self, x):
        y = self.layer(x.unflatten(2, (self.features, self.channels)).permute(0, 3, 1, 2))
        return y.permute(0, 2, 3, 1).flatten(2)


class FlattensTime(nn.Module):
    def forward(self, x):
        return x.unflatten(2, (4, 2)).flatten(1)


class SwapsFrameAxes(nn.Module):
    def forward(self, x):
        return x.unflatten(2, (4, 2)).transpose(2, 3).flatten(2)


class UnsqueezesTime(nn.Module):
    def forward(self, x):
        return torch.tanh(x.unsqueeze(2)).squeeze(2)


class SqueezesTwoChannels(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 4)
        self.conv = nn.Conv2d(1, 2, 1)

    def forward(self, x):
        return self.conv(self.dense(x).unsqueeze(1)).squeeze(1)


class SqueezesEverything(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 4)

    def forward(self, x):
        return self.dense(x).unsqueeze(1).squeeze()


class UnsqueezesTheInput(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(1, 1, 1)

    def forward(self, x):
        return self.conv(x.unsqueeze(1)).squeeze(1)


class PadsThenFlattens(nn.Module):
    def forward(self, x):
        return F.pad(x.unflatten(2, (4, 2)).permute(0, 3, 1, 2), (0, 0, 2, 0)).permute(0, 2, 3, 1).flatten(2)


class ReshapesChannelsOfTime(nn.Module):
    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(4, 4)

    def forward(self, x):
        return self.dense(x).transpose(1, 2).reshape(x.size(0), x.size(1), 4)


class ReshapesSeveralChannels(nn.Module):
    def forward(self, x):
        b, t, _ = x.shape
        return x.unflatten(2, (4, 2)).permute(0, 3, 1, 2).reshape(b, t, -1)


class DenseThenReshape(nn.Module):
    """A frame of 8 floats, then the subclass's reshape."""

    def __init__(self):
        super().__init__()
        self.dense = nn.Linear(8, 8)


class ReshapesTimeToNumber(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).reshape(x.size(0), 16, 4, 2).flatten(2)


class ReshapesBatchToNumber(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).view(1, -1, 4, 2).flatten(2)


class ReshapesAcrossFrames(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).view(x.size(0), -1, 2, 2).flatten(2)


class ReshapesBatchWithTime(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).reshape(-1, 4, 2)


class ReshapesIntoChannels(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).view(x.size(0), 2, x.size(1), 4).flatten(2)


class ReshapesDoubledTime(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).view(x.size(0), x.size(1) * 2, 4)


class ReshapesTimeIntoFrames(DenseThenReshape):
    def forward(self, x):
        return self.dense(x).reshape(x.size(0), -1)


class ReshapesTheInput(nn.Module):
    def forward(self, x):
        return torch.tanh(x.reshape(x.size(0), x.size(1), 4, -1)).flatten(2)


# name: (model, input channels, the Python module's refusal).
TORCHSCRIPT_REFUSALS = {
    "conv1d_stride_unpadded": (StridedWithoutPadding, 1, r"layer 'conv'.*stride=2; a strided conv1d needs its causal "
                                                         r"left padding"),
    "transposed_padding": (PaddedTransposed, 1, r"layer 'up'.*padding=1, which crops the first output frames"),
    # 16 input channels: torch takes the 16 frames of the traced example (batch, time, channels) as channels.
    "transposed_layout": (lambda: Wrapper(nn.ConvTranspose1d(16, 2, 2, stride=2)), 1,
                          r"ConvTranspose1d is applied to \(batch, time, channels\) but needs "
                          r"\(batch, channels, time\)"),
    "conv2d_time_padding": (Conv2dPaddedInTime, 8, r"layer 'conv'.*along time rtn's conv2d is causal"),
    "conv2d_padding_mode": (lambda: OnFrames(nn.Conv2d(1, 1, (1, 3), padding=(0, 1), padding_mode="reflect"), 8, 1),
                            8, r"padding=\(0, 1\), padding_mode='reflect'"),
    "conv2d_same": (lambda: OnFrames(nn.Conv2d(1, 1, 3, padding="same"), 8, 1), 8,
                    r"padding='same', which pads time on both sides"),
    "conv2d_time_stride": (lambda: OnFrames(nn.Conv2d(2, 2, 3, stride=(2, 1)), 4, 2), 8,
                           r"stride=\(2, 1\).*stride 1 along time"),
    "conv2d_feature_zeros": (lambda: OnFrames(nn.Conv2d(1, 1, (1, 3), padding=(0, 2)), 8, 1), 8,
                             r"on 8 features gets \(2, 2\) zeros.*'same' split, \(1, 1\) here"),
    "batchnorm2d_batch_statistics": (lambda: OnFrames(nn.BatchNorm2d(2, track_running_stats=False), 4, 2), 8,
                                     r"layer 'layer'.*BatchNorm2d has track_running_stats=False"),
    "flatten_time": (FlattensTime, 8, r"flatten\(start_dim=1, end_dim=-1\) on \(batch, time, features, channels\)"),
    "frame_transpose": (SwapsFrameAxes, 8, r"swaps two dimensions of \(batch, time, features, channels\)"),
    "unsqueeze_time": (UnsqueezesTime, 4, r"unsqueeze\(2\) on \(batch, time, channels\): rtn follows unsqueeze\(1\)"),
    "squeeze_two_channels": (SqueezesTwoChannels, 4, r"squeeze\(1\) on \(batch, channels, time, features\) of 2 "
                                                     r"channels"),
    "squeeze_without_dim": (SqueezesEverything, 4, r"squeeze\(\) without a dim would also drop a batch of one"),
    "unsqueeze_unknown_width": (UnsqueezesTheInput, 4, r"unsqueeze\(1\) makes 2-D frames of the model input, whose "
                                                       r"width no layer tells: give the input channels"),
    "pad_then_flatten": (PadsThenFlattens, 8, r"a zero padding is only supported right before a Conv1d or Conv2d.*"
                                              r"flatten"),
    # reshape / view: the node, the new shape and the signal's, and why (the text in full).
    "reshape_channels_of_time": (ReshapesChannelsOfTime, 4, re.escape(
        "reshape(batch, time, 4) of (batch, channels, time) = (batch, 4, time): each of its channels holds a run of "
        "time steps, so the reshape would mix time with them; rtn follows reshapes of whole frames: transpose(1, 2) "
        "first")),
    "reshape_several_channels": (ReshapesSeveralChannels, 8, re.escape(
        "reshape(batch, time, -1) of (batch, channels, time, features) = (batch, 2, time, 4): each of its 2 channels "
        "holds a run of time steps, so the reshape would mix time with them; rtn follows reshapes of whole frames: "
        "permute(0, 2, 3, 1) into (batch, time, features, channels) first")),
    "reshape_time_to_number": (ReshapesTimeToNumber, 8, re.escape(
        "reshape(batch, 16, 4, 2) of (batch, time, channels) = (batch, time, 8): the time must stay whole, read from "
        "the signal (x.shape[i], x.size(i)) or the -1, not a number: rtn streams any length")),
    "view_batch_to_number": (ReshapesBatchToNumber, 8, re.escape(
        "view(1, -1, 4, 2) of (batch, time, channels) = (batch, time, 8): dim 0 must stay the batch (x.shape[0], "
        "x.size(0) or -1); rtn never mixes the batch with other dims")),
    "view_across_frames": (ReshapesAcrossFrames, 8, re.escape(
        "view(batch, -1, 2, 2) of (batch, time, channels) = (batch, time, 8): a frame has 8 floats, which the new "
        "shape does not group in whole frames: the reshape would mix time with the frame's floats")),
    "reshape_batch_with_time": (ReshapesBatchWithTime, 8, re.escape(
        "reshape(-1, 4, 2) of (batch, time, channels) = (batch, time, 8): without the time read from the signal, "
        "the -1 in dim 0 merges the batch with the time; keep both: x.shape[0] (or x.size(0)), x.shape[1], ...")),
    "view_into_channels": (ReshapesIntoChannels, 8, re.escape(
        "view(batch, 2, time, 4) of (batch, time, channels) = (batch, time, 8): rtn's frames are (features, "
        "channels) with the channels together; into (batch, channels, time, features) of 2 channels use "
        "unflatten(2, (features, channels)) and permute(0, 3, 1, 2)")),
    "view_time_computed": (ReshapesDoubledTime, 8, re.escape(
        "mul of time and 2: rtn computes a reshape's frame sizes from whole numbers; the batch and the time pass "
        "through it as they are")),
    "reshape_time_into_frames": (ReshapesTimeIntoFrames, 8, re.escape(
        "reshape(batch, -1) of (batch, time, channels) = (batch, time, 8): rtn follows reshapes into (batch, time, "
        "channels), (batch, time, features, channels) and (batch, channels, time, features) of one channel")),
    "reshape_unknown_width": (ReshapesTheInput, 8, re.escape(
        "reshape(batch, time, 4, -1) of (batch, time, channels) = (batch, time, ?) needs the width of the model "
        "input, which no layer tells: give the input channels (export_torch(..., input_channels=N), python -m "
        "rtn_export --input-channels N)")),
}


# The places in a refusal that differ between the front ends: an operation's node (not a layer's name), and the
# model's source line, which a traced graph does not record.
NODE = re.compile(r"fx node '[^']*'|TorchScript node %[\w.]+")
SOURCE = re.compile(r" \([\w.]+\.py:\d+: .*?\)(?=: | \()")


@pytest.mark.parametrize("how", TORCHSCRIPT_WAYS)
@pytest.mark.parametrize("case", sorted(TORCHSCRIPT_REFUSALS))
def test_torchscript_refuses_what_the_python_module_refuses(tmp_path, case, how):
    """The Python module's refusal word for word, at the same layer (an operation is named by its own front end's
    node); scripted modules name the same source line, traced ones record none. "_file": saved with
    torch.jit.save and loaded back."""
    make, channels, message = TORCHSCRIPT_REFUSALS[case]
    model = make().eval()
    with pytest.raises(ExportError, match=message) as refusal:
        rtn_export.export_torch(model, tmp_path / "model.json")
    compiled = (torch.jit.script(model) if how.startswith("script")
                else torch.jit.trace(model, torch.zeros(1, 16, channels)))
    if how.endswith("_file"):
        compiled.save(str(tmp_path / "model.pt"))
        compiled = torch.jit.load(str(tmp_path / "model.pt"))
    with pytest.raises(ExportError) as error:
        rtn_export.export_torch(compiled, tmp_path / "model.json")
    expected = NODE.sub("NODE", str(refusal.value))
    assert NODE.sub("NODE", str(error.value)) == (expected if how.startswith("script") else SOURCE.sub("", expected))
    assert not (tmp_path / "model.json").exists()


def test_bidirectional_is_refused(tmp_path):
    model = Wrapper(nn.GRU(1, 2, batch_first=True, bidirectional=True))
    with pytest.raises(ExportError, match=r"layer 'inner'.*bidirectional"):
        rtn_export.export_torch(model, tmp_path / "model.json")


def test_torchscript_errors_name_the_layer(tmp_path):
    model = torch.jit.script(WithSoftplus())
    with pytest.raises(ExportError, match=r"unsupported operation torch\.nn\.Softplus at layer 'act'"):
        rtn_export.export_torch(model, tmp_path / "model.json")
    model = torch.jit.script(WithSin())
    with pytest.raises(ExportError, match=r"unsupported operation aten::sin at .*test_export_torch\.py"):
        rtn_export.export_torch(model, tmp_path / "model.json")
