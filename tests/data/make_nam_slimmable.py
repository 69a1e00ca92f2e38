#!/usr/bin/env python3
"""Writes the slimmable Neural Amp Modeler models that tests/cpp/nam_test.cpp reads, and renders them with
Neural Amp Modeler's own engine (NeuralAmpModelerCore) at several sizes: the goldens rtn must match.

    NAMCORE_SRC=/path/to/NeuralAmpModelerCore /usr/bin/python3 tests/data/make_nam_slimmable.py

Without NAMCORE_SRC it writes the models and the input only. The outputs are committed, so the tests need
neither Python nor NAM's engine. Files (random weights of fixed seeds, shapes chosen to exercise the features):
  nam-slimmable-wavenet.nam     a WaveNet whose two layer arrays are slimmable (allowed channels [2, 4, 6] and
                                [2, 4]): bottleneck, a gated layer, an activation FiLM, per-layer kernel sizes
  nam-slimmable-container.nam   a SlimmableContainer of an LSTM (sizes below 0.3), a small WaveNet (below 0.7)
                                and the slimmable WaveNet (the rest; NAM runs it at full size there)
  nam-slimmable.input.wav       0.05 s of silence, then 0.1 s of a sine with noise (48 kHz, float32)
  NAME.golden.wav               NAM's output, one channel per size (SIZES below), blocks of 64, exact tanh
"""
import json
import math
import os
import pathlib
import random
import struct
import subprocess
import sys
import tempfile

HERE = pathlib.Path(__file__).resolve().parent
SILENCE, SIGNAL = 2400, 4800
SIZES = {"nam-slimmable-wavenet": [0.0, 0.4, 0.6, 1.0], "nam-slimmable-container": [0.0, 0.5, 1.0]}


def uniform(rng, count, bound=0.4):
    return [rng.uniform(-bound, bound) for _ in range(count)]


def slimmable_wavenet(rng):
    """Two arrays: 6 channels (bottleneck 4, layer 1 gated, an activation_post FiLM) and 4 channels."""
    film = {"active": True, "shift": True, "groups": 1}
    first = {"input_size": 1, "condition_size": 1, "channels": 6, "bottleneck": 4, "head_size": 4,
             "head_bias": False, "kernel_sizes": [3, 2, 3], "dilations": [1, 2, 4],
             "activation": [{"type": "LeakyReLU", "negative_slope": 0.05}, "Tanh", "Tanh"],
             "gating_mode": ["none", "gated", "none"], "secondary_activation": "Sigmoid",
             "activation_post_film": film,
             "slimmable": {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [2, 4, 6]}}}
    second = {"input_size": 6, "condition_size": 1, "channels": 4, "head_size": 1, "head_bias": True,
              "kernel_size": 2, "dilations": [1, 3], "activation": "Tanh",
              "slimmable": {"method": "slice_channels_uniform", "kwargs": {"allowed_channels": [2, 4]}}}
    weights = []
    # NAM's order: per array the rechannel, per layer conv (+bias), input mixin, layer1x1 (+bias), the FiLMs;
    # then the head rechannel; the head scale last.
    weights += uniform(rng, 6 * 1)
    for gated, kernel in zip([False, True, False], first["kernel_sizes"]):
        z = 8 if gated else 4
        weights += uniform(rng, z * 6 * kernel + z) + uniform(rng, z) + uniform(rng, 6 * 4 + 6)
        weights += uniform(rng, 2 * 4 + 2 * 4)  # activation_post FiLM: [scale; shift] of the condition
    weights += uniform(rng, 4 * 4)
    weights += uniform(rng, 4 * 6)
    for _ in second["dilations"]:
        weights += uniform(rng, 4 * 4 * 2 + 4) + uniform(rng, 4) + uniform(rng, 4 * 4 + 4)
    weights += uniform(rng, 1 * 4 + 1)
    weights.append(0.3)
    return {"layers": [first, second], "head": None, "head_scale": 0.3}, weights


def small_wavenet(rng):
    arrays = [{"input_size": 1, "condition_size": 1, "head_size": 2, "channels": 3, "kernel_size": 3,
               "dilations": [1, 2], "activation": "Tanh", "gated": False, "head_bias": False},
              {"input_size": 3, "condition_size": 1, "head_size": 1, "channels": 2, "kernel_size": 3,
               "dilations": [8], "activation": "Tanh", "gated": False, "head_bias": True}]
    weights = uniform(rng, 3)
    for _ in range(2):
        weights += uniform(rng, 3 * 3 * 3 + 3) + uniform(rng, 3) + uniform(rng, 3 * 3 + 3)
    weights += uniform(rng, 2 * 3) + uniform(rng, 2 * 3)
    weights += uniform(rng, 2 * 2 * 3 + 2) + uniform(rng, 2) + uniform(rng, 2 * 2 + 2)
    weights += uniform(rng, 1 * 2 + 1)
    weights.append(0.5)
    return {"layers": arrays, "head": None, "head_scale": 0.5}, weights


def lstm(rng, hidden=3):
    weights = uniform(rng, 4 * hidden * (1 + hidden) + 4 * hidden) + uniform(rng, 2 * hidden, 0.1)
    weights += uniform(rng, hidden + 1)
    return {"input_size": 1, "hidden_size": hidden, "num_layers": 1}, weights


def document(architecture, config, weights, version="0.7.0"):
    return {"version": version, "metadata": {"generator": "tests/data/make_nam_slimmable.py"},
            "architecture": architecture, "config": config, "weights": weights, "sample_rate": 48000}


def write_wav(path, samples, channels):
    data = struct.pack(f"<{len(samples)}f", *samples)
    header = struct.pack("<4sI4s4sIHHIIHH4sI", b"RIFF", 36 + len(data), b"WAVE", b"fmt ", 16, 3, channels, 48000,
                         48000 * 4 * channels, 4 * channels, 32, b"data", len(data))
    path.write_bytes(header + data)
    print(f"wrote {path}")


def main():
    rng = random.Random(21)
    config, weights = slimmable_wavenet(rng)
    slimmable = document("WaveNet", config, weights)
    models = {"nam-slimmable-wavenet": slimmable}
    lstm_config, lstm_weights = lstm(rng)
    small_config, small_weights = small_wavenet(rng)
    container = {"submodels": [
        {"max_value": 0.3, "model": document("LSTM", lstm_config, lstm_weights, "0.5.4")},
        {"max_value": 0.7, "model": document("WaveNet", small_config, small_weights, "0.5.4")},
        {"max_value": 1.0, "model": slimmable}]}
    models["nam-slimmable-container"] = document("SlimmableContainer", container, [])
    for name, model in models.items():
        (HERE / f"{name}.nam").write_text(json.dumps(model, separators=(",", ":")) + "\n")
        print(f"wrote {HERE / name}.nam")

    noise = random.Random(5)
    signal = [0.0] * SILENCE + [0.5 * math.sin(2 * math.pi * 220 * t / 48000) + noise.gauss(0, 0.05)
                                for t in range(SIGNAL)]
    signal = [struct.unpack("<f", struct.pack("<f", x))[0] for x in signal]  # as float32
    write_wav(HERE / "nam-slimmable.input.wav", signal, 1)

    source = os.environ.get("NAMCORE_SRC")
    if not source:
        print("NAMCORE_SRC not set: the goldens are not rendered")
        return
    with tempfile.TemporaryDirectory() as work:
        work = pathlib.Path(work)
        render = work / "nam_render_sizes"
        subprocess.run(["g++", "-std=c++20", "-O2", "-DNDEBUG", "-DNAM_SAMPLE_FLOAT", f"-I{source}", f"-I{source}/NAM",
                        f"-I{source}/Dependencies/nlohmann", "-I/usr/include/eigen3", str(HERE / "nam_render_sizes.cpp"),
                        *map(str, sorted(pathlib.Path(source, "NAM").glob("*.cpp"))),
                        *map(str, sorted(pathlib.Path(source, "NAM", "wavenet").glob("*.cpp"))), "-o", str(render)],
                       check=True)
        (work / "in.raw").write_bytes(struct.pack(f"<{len(signal)}f", *signal))
        for name, sizes in SIZES.items():
            subprocess.run([str(render), str(HERE / f"{name}.nam"), str(work / "in.raw"), str(work / "out.raw"),
                            *map(str, sizes)], check=True)
            raw = (work / "out.raw").read_bytes()
            write_wav(HERE / f"{name}.golden.wav", list(struct.unpack(f"<{len(raw) // 4}f", raw)), len(sizes))


if __name__ == "__main__":
    sys.exit(main())
