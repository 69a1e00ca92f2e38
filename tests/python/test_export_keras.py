"""Keras (TensorFlow 2) -> rtn: models built in Keras with seeded random weights, exported with
rtn_export, run through `rtn process`, compared with Keras's own output (<= 1e-4 abs). Runs in the
tensorflow-cpu venv that scripts/setup_python.sh makes:
    build/venv-tf/bin/python -m pytest tests/python/test_export_keras.py
"""
import json
import os
import pathlib
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # no oneDNN / CUDA banner in the test output

import numpy  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

from conftest import ROOT, assert_close  # noqa: E402

import rtn_export  # noqa: E402
from rtn_export import ExportError  # noqa: E402

tf.config.threading.set_intra_op_parallelism_threads(1)
tf.config.threading.set_inter_op_parallelism_threads(1)
# Keras 3.15 on numpy 2.4 warns inside its own tensor conversion; nothing the tests or exporter can change.
pytestmark = pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword")


def randomise(model: keras.Model, seed: int) -> keras.Model:
    """Every weight uniform in [-0.5, 0.5] (biases too: Keras initialises them to zero), BatchNorm
    variances in [0.5, 1.5]."""
    generator = numpy.random.default_rng(seed)
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        fresh = [generator.uniform(-0.5, 0.5, w.shape).astype(numpy.float32) for w in weights]
        if type(layer).__name__ == "BatchNormalization":
            fresh[-1] = generator.uniform(0.5, 1.5, weights[-1].shape).astype(numpy.float32)
        layer.set_weights(fresh)
    return model


def keras_output(model: keras.Model, signal: numpy.ndarray) -> numpy.ndarray:
    # predict() runs a compiled graph: the same numbers as model(x), 20x faster for an RNN over 2000 steps.
    return model.predict(signal[None], verbose=0)[0]


def export_and_compare(model, signal, tmp_path, rtn_process, *, warmup: int = 0, **options):
    """`warmup`: samples that rtn computes from its zero history before Keras's first output (Conv1D
    with padding='valid'): Keras's output i is rtn's output i + warmup."""
    path = tmp_path / "model.json"
    document = rtn_export.export_keras(model, path, **options)
    expected = keras_output(model, signal)
    actual = rtn_process(path, signal)
    assert_close(actual[warmup:], expected)
    return document


def sequential(channels, *stack):
    return keras.Sequential([keras.Input((None, channels)), *stack])


# --- End to end --------------------------------------------------------------------------------------

def skip_lstm(hidden=40):
    source = keras.Input((None, 1), name="dry")
    x = layers.LSTM(hidden, return_sequences=True, name="lstm")(source)
    x = layers.Dense(1, name="dense")(x)
    return keras.Model(source, layers.Add(name="skip")([source, x]), name="amp")


def test_skip_lstm_amp_model(tmp_path, rtn_process, signal):
    model = randomise(skip_lstm(), 1)
    document = export_and_compare(model, signal(3000), tmp_path, rtn_process)
    assert document["input_skip"] is True
    assert [layer["type"] for layer in document["layers"]] == ["lstm", "dense"]


def test_dropout_and_noise_are_left_out(tmp_path, rtn_process, signal):
    model = randomise(sequential(1, layers.Dense(8), layers.Dropout(0.3), layers.GaussianNoise(0.1),
                                 layers.Activation("tanh"), layers.Dense(1)), 21)
    document = export_and_compare(model, signal(1000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["dense", "tanh", "dense"]


def test_lstm(tmp_path, rtn_process, signal):
    model = randomise(sequential(1, layers.LSTM(16, return_sequences=True), layers.Dense(1)), 2)
    export_and_compare(model, signal(2400), tmp_path, rtn_process)


def test_lstm_without_bias(tmp_path, rtn_process, signal):
    model = randomise(sequential(1, layers.LSTM(8, use_bias=False, return_sequences=True), layers.Dense(1)), 3)
    document = export_and_compare(model, signal(2000), tmp_path, rtn_process)
    assert document["layers"][0]["bias"] is False


@pytest.mark.parametrize("inputs", [1, 2])
def test_gru(tmp_path, rtn_process, signal, inputs):
    model = randomise(sequential(inputs, layers.GRU(16, return_sequences=True), layers.Dense(2)), 4 + inputs)
    document = export_and_compare(model, signal(2400, inputs), tmp_path, rtn_process)
    assert document["input_channels"] == inputs and "reset_after" not in document["layers"][0]


@pytest.mark.parametrize("inputs", [1, 2])
def test_gru_reset_before(tmp_path, rtn_process, signal, inputs):
    """Keras reset_after=False (TF1 / old Keras GRUs): the rtn gru layer gets "reset_after": false."""
    model = randomise(sequential(inputs, layers.GRU(12, reset_after=False, return_sequences=True),
                                 layers.Dense(1)), 6 + inputs)
    path = tmp_path / "model.json"
    document = rtn_export.export_keras(model, path)
    assert document["layers"][0]["reset_after"] is False
    x = signal(2000, inputs)
    assert_close(rtn_process(path, x), keras_output(model, x))


def test_stacked_lstm(tmp_path, rtn_process, signal):
    model = randomise(sequential(1, layers.LSTM(12, return_sequences=True), layers.LSTM(8, return_sequences=True),
                                 layers.Dense(1, activation="tanh")), 8)
    document = export_and_compare(model, signal(2000), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["lstm", "lstm", "dense", "tanh"]


def test_causal_conv_batchnorm_stack(tmp_path, rtn_process, signal):
    model = randomise(sequential(
        1,
        layers.Conv1D(8, 3, padding="causal"), layers.BatchNormalization(), layers.Activation("tanh"),
        layers.Conv1D(8, 3, dilation_rate=2, padding="causal", activation="relu"),
        layers.BatchNormalization(center=False, scale=False, epsilon=1e-5),
        layers.Conv1D(8, 2, dilation_rate=4, groups=2, padding="causal", use_bias=False),
        layers.BatchNormalization(scale=False), layers.PReLU(shared_axes=[1]),
        layers.Dense(1)), 9)
    document = export_and_compare(model, signal(2400), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == [
        "conv1d", "batchnorm1d", "tanh", "conv1d", "relu", "batchnorm1d", "conv1d", "batchnorm1d", "prelu",
        "dense"]


def test_valid_conv_stack_two_channels(tmp_path, rtn_process, signal):
    model = randomise(sequential(
        2,
        layers.Conv1D(6, 3, padding="valid"), layers.BatchNormalization(), layers.ELU(alpha=0.5),
        layers.Conv1D(4, 3, dilation_rate=3), layers.PReLU(shared_axes=[1, 2]),
        layers.Dense(2)), 10)
    export_and_compare(model, signal(2000, 2), tmp_path, rtn_process, warmup=2 + 6)


@pytest.mark.parametrize("frames", [2400, 2399])
def test_strided_conv1d_decimates(tmp_path, rtn_process, signal, frames):
    """Conv1D strides 2 ('causal': Keras's outputs are rtn's) and 3 ('valid', (k - 1)·d = 3: Keras's output m
    is rtn's m + 1), a GRU between them at the decimated rate: one output frame per 6 input frames."""
    model = randomise(sequential(
        2,
        layers.Conv1D(6, 4, strides=2, padding="causal", activation="tanh"),
        layers.GRU(8, return_sequences=True),
        layers.Conv1D(4, 4, strides=3, padding="valid", groups=2),
        layers.Dense(1)), 16)
    path = tmp_path / "model.json"
    document = rtn_export.export_keras(model, path)
    assert [layer.get("stride", 1) for layer in document["layers"] if layer["type"] == "conv1d"] == [2, 3]
    source = signal(frames, 2)
    expected = keras_output(model, source)
    actual = rtn_process(path, source, period=6)
    assert actual.shape[0] == -(-frames // 6)
    assert expected.shape[0] == actual.shape[0] - 1
    assert_close(actual[1:], expected)


def test_spectral_conv2d_batchnorm_stack(tmp_path, rtn_process, signal):
    """Frames of 9 features x 2 channels through Conv2D (valid and strided; same with one time tap, grouped;
    dilated in time), BatchNormalization on 4-D tensors, and a Reshape to a flat frame for a Dense head."""
    features, channels = 9, 2
    model = randomise(keras.Sequential([
        keras.Input((None, features, channels)),
        layers.Conv2D(4, (3, 3), strides=(1, 2), padding="valid"),  # 4 features
        layers.BatchNormalization(), layers.ReLU(),
        layers.Conv2D(4, (1, 3), strides=(1, 3), padding="same", groups=2, activation="tanh"),  # 2 features
        layers.BatchNormalization(center=False, scale=False, epsilon=0.5),
        layers.Conv2D(3, (2, 2), dilation_rate=(2, 1), padding="valid", use_bias=False),  # 1 feature
        layers.Reshape((-1, 3)),
        layers.Dense(1)]), 11)
    frames = signal(600, features * channels)
    path = tmp_path / "model.json"
    document = rtn_export.export_keras(model, path)
    expected = model.predict(frames.reshape(1, -1, features, channels), verbose=0)[0]
    actual = rtn_process(path, frames)
    # Along time rtn is causal: Keras's 'valid' output i is rtn's i + sum of (kt - 1) * dilation.
    assert_close(actual[2 + 2:], expected)
    assert document["input_channels"] == features * channels
    assert [layer["type"] for layer in document["layers"]] == [
        "conv2d", "batchnorm2d", "relu", "conv2d", "tanh", "batchnorm2d", "conv2d", "dense"]
    assert document["layers"][3]["same_padding"] is True and document["layers"][3]["stride"] == 3


ACTIVATION_LAYERS = {
    "tanh": lambda: layers.Activation("tanh"),
    "relu": lambda: layers.ReLU(),
    "sigmoid": lambda: layers.Activation("sigmoid"),
    "elu": lambda: layers.ELU(alpha=0.7),
    "leaky_relu": lambda: layers.LeakyReLU(negative_slope=0.2),
    "prelu": lambda: layers.PReLU(shared_axes=[1]),
    "softmax": lambda: layers.Softmax(),
}


@pytest.mark.parametrize("kind", sorted(ACTIVATION_LAYERS))
def test_mlp_with_activation_layer(tmp_path, rtn_process, signal, kind):
    model = randomise(sequential(2, layers.Dense(8), ACTIVATION_LAYERS[kind](), layers.Dense(3)), 11)
    document = export_and_compare(model, signal(2000, 2), tmp_path, rtn_process)
    assert [layer["type"] for layer in document["layers"]] == ["dense", kind, "dense"]


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "elu", "softmax", "leaky_relu", "linear"])
def test_mlp_with_fused_activation(tmp_path, rtn_process, signal, activation):
    model = randomise(sequential(1, layers.Dense(8, activation=activation), layers.Dense(2, activation="tanh")), 12)
    document = export_and_compare(model, signal(2000), tmp_path, rtn_process)
    types = [layer["type"] for layer in document["layers"]]
    assert types == (["dense", "dense", "tanh"] if activation == "linear" else ["dense", activation, "dense", "tanh"])


def test_saved_keras_file_through_command_line(tmp_path, rtn_process, signal):
    model = randomise(skip_lstm(hidden=16), 13)
    saved, exported = tmp_path / "amp.keras", tmp_path / "amp.json"
    model.save(saved)
    completed = subprocess.run([sys.executable, "-m", "rtn_export", str(saved), str(exported)],
                               capture_output=True, text=True, cwd=ROOT / "scripts")
    assert completed.returncode == 0, completed.stderr
    assert "wrote" in completed.stdout and "input skip" in completed.stdout
    x = signal(2000)
    assert_close(rtn_process(exported, x), keras_output(model, x))


def test_saved_h5_file_through_command_line_entry(tmp_path, rtn_process, signal, capsys):
    """The legacy HDF5 format, through the command line's main() in this process (TensorFlow takes
    seconds to import in a new one)."""
    from rtn_export.__main__ import main
    model = randomise(sequential(2, layers.GRU(8, return_sequences=True), layers.Dense(2, activation="tanh")), 14)
    saved, exported = tmp_path / "amp.h5", tmp_path / "amp.json"
    model.save(saved)
    assert main([str(saved), str(exported), "--sample-rate", "48000", "--name", "legacy"]) == 0
    assert "wrote" in capsys.readouterr().out
    assert rtn_export_document(exported)["name"] == "legacy"
    x = signal(2000, 2)
    assert_close(rtn_process(exported, x), keras_output(model, x))


def rtn_export_document(path):
    return json.loads(pathlib.Path(path).read_text())


# --- What cannot be exported -------------------------------------------------------------------------

def branching_model():
    source = keras.Input((None, 1))
    a = layers.Dense(2, name="a")(source)
    b = layers.Dense(2, name="b")(source)
    return keras.Model(source, layers.Add(name="sum")([a, b]))


def skip_in_the_middle():
    source = keras.Input((None, 1))
    x = layers.Dense(1, name="a")(source)
    x = layers.Add(name="skip")([source, x])
    return keras.Model(source, layers.Dense(1, name="after")(x))


ERROR_CASES = {
    "hard_sigmoid": (lambda: sequential(1, layers.LSTM(4, recurrent_activation="hard_sigmoid",
                                                       return_sequences=True, name="old_lstm")),
                     r"layer 'old_lstm' \(LSTM\): recurrent_activation='hard_sigmoid'"),
    "return_sequences": (lambda: sequential(1, layers.GRU(4, name="gru")),
                         r"layer 'gru' \(GRU\): return_sequences=False"),
    "layer_norm": (lambda: sequential(1, layers.Dense(4), layers.LayerNormalization(name="norm")),
                   r"unsupported operation keras\.layers\.LayerNormalization at layer 'norm'"),
    "same_padding": (lambda: sequential(1, layers.Conv1D(2, 3, padding="same", name="conv")),
                     r"layer 'conv' \(Conv1D\): padding='same'"),
    "strides_valid": (lambda: sequential(1, layers.Conv1D(2, 3, strides=3, name="conv")),
                      r"layer 'conv' \(Conv1D\): strides=\(3,\) with padding='valid': .* = 2 after a multiple of "
                      r"3, .* use padding='causal'"),
    "gelu": (lambda: sequential(1, layers.Dense(4, activation="gelu", name="d")),
             r"activation 'gelu' at layer 'd' \(Dense\)"),
    "prelu_per_time": (lambda: keras.Sequential([keras.Input((16, 2)), layers.PReLU(name="p")]),
                       r"layer 'p' \(PReLU\): alpha has shape \(16, 2\)"),
    "branch": (branching_model, r"layer 'b' \(Dense\) takes '.*', not the output of 'a': the model branches"),
    "skip_not_last": (skip_in_the_middle, r"layer 'after' comes after the residual add 'skip'"),
    "conv2d_same_in_time": (lambda: keras.Sequential([keras.Input((None, 8, 1)),
                                                      layers.Conv2D(2, (3, 3), padding="same", name="c")]),
                            r"layer 'c' \(Conv2D\): padding='same' with 3 taps along time looks at future"),
    "conv2d_time_stride": (lambda: keras.Sequential([keras.Input((None, 8, 1)),
                                                     layers.Conv2D(2, (1, 3), strides=(2, 1), name="c")]),
                           r"layer 'c' \(Conv2D\): strides=\(2, 1\); .* the stride along time must be 1"),
    "batchnorm_axis": (lambda: keras.Sequential([keras.Input((16, 3)), layers.BatchNormalization(axis=1, name="bn")]),
                       r"layer 'bn' \(BatchNormalization\): normalises axis 1"),
}


@pytest.mark.parametrize("case", sorted(ERROR_CASES))
def test_unsupported_models_are_refused_with_the_place(tmp_path, case):
    make, message = ERROR_CASES[case]
    with pytest.raises(ExportError, match=message):
        rtn_export.export_keras(make(), tmp_path / "model.json")
    assert not (tmp_path / "model.json").exists()
