"""Shared helpers for the exporter tests: find the `rtn` tool, write/read float32 WAV, run a model
through `rtn process`, compare outputs.

The suite runs under two interpreters (see scripts/test_python.sh): Debian's /usr/bin/python3 with
python3-torch for test_export_torch.py, and a venv with tensorflow-cpu for test_export_keras.py. This file
imports neither framework.
"""
import fractions
import math
import os
import pathlib
import struct
import subprocess
import sys

import numpy
import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "scripts"))  # rtn_export without installing it

TOLERANCE = 1e-4
SAMPLE_RATE = 48000

WAVE_FORMAT_PCM = 1
WAVE_FORMAT_IEEE_FLOAT = 3
WAVE_FORMAT_EXTENSIBLE = 0xFFFE


def rtn_binary() -> pathlib.Path:
    path = pathlib.Path(os.environ.get("RTN_BIN", ROOT / "build" / "tools" / "rtn" / "rtn"))
    if not path.is_file():
        pytest.fail(f"the rtn tool is not at {path}: build it (scripts/setup.sh) or set RTN_BIN", pytrace=False)
    return path


def write_wav(path, frames: numpy.ndarray, sample_rate: int = SAMPLE_RATE) -> None:
    """frames: (time, channels) float32, written as IEEE float WAV (format tag 3)."""
    data = numpy.ascontiguousarray(frames, dtype="<f4")
    if data.ndim == 1:
        data = data[:, None]
    count, channels = data.shape
    payload = data.tobytes()
    fmt = struct.pack("<HHIIHHH", WAVE_FORMAT_IEEE_FLOAT, channels, sample_rate, sample_rate * channels * 4,
                      channels * 4, 32, 0)
    fact = struct.pack("<I", count)
    chunks = (b"fmt " + struct.pack("<I", len(fmt)) + fmt + b"fact" + struct.pack("<I", len(fact)) + fact
              + b"data" + struct.pack("<I", len(payload)) + payload)
    with open(path, "wb") as file:
        file.write(b"RIFF" + struct.pack("<I", 4 + len(chunks)) + b"WAVE" + chunks)


def read_wav(path):
    """(frames as (time, channels) float32, sample_rate) from a float32 or 16/24/32-bit PCM WAV."""
    blob = pathlib.Path(path).read_bytes()
    assert blob[:4] == b"RIFF" and blob[8:12] == b"WAVE", f"{path}: not a RIFF/WAVE file"
    position, fmt, data = 12, None, None
    while position + 8 <= len(blob):
        chunk_id, size = blob[position:position + 4], struct.unpack("<I", blob[position + 4:position + 8])[0]
        body = blob[position + 8:position + 8 + size]
        if chunk_id == b"fmt ":
            fmt = body
        elif chunk_id == b"data":
            data = body
        position += 8 + size + (size & 1)
    assert fmt is not None and data is not None, f"{path}: no fmt or data chunk"
    tag, channels, sample_rate, _, _, bits = struct.unpack("<HHIIHH", fmt[:16])
    if tag == WAVE_FORMAT_EXTENSIBLE:
        tag = struct.unpack("<H", fmt[24:26])[0]
    if tag == WAVE_FORMAT_IEEE_FLOAT and bits == 32:
        samples = numpy.frombuffer(data, dtype="<f4")
    elif tag == WAVE_FORMAT_IEEE_FLOAT and bits == 64:
        samples = numpy.frombuffer(data, dtype="<f8").astype(numpy.float32)
    elif tag == WAVE_FORMAT_PCM and bits in (16, 32):
        kind = "<i2" if bits == 16 else "<i4"
        samples = numpy.frombuffer(data, dtype=kind).astype(numpy.float64) / float(2 ** (bits - 1))
    elif tag == WAVE_FORMAT_PCM and bits == 24:
        raw = numpy.frombuffer(data, dtype=numpy.uint8).reshape(-1, 3).astype(numpy.int32)
        value = raw[:, 0] | (raw[:, 1] << 8) | (raw[:, 2] << 16)
        samples = numpy.where(value >= 1 << 23, value - (1 << 24), value) / float(1 << 23)
    else:
        raise AssertionError(f"{path}: unsupported WAV encoding (format tag {tag}, {bits} bits)")
    return numpy.asarray(samples, dtype=numpy.float32).reshape(-1, channels), sample_rate


def run_rtn(model_path, signal: numpy.ndarray, directory, period=1) -> numpy.ndarray:
    """Runs `rtn process MODEL in.wav out.wav` on signal (time, channels); returns (time, channels_out).
    `period`: input frames per output frame (an int or a fractions.Fraction: 6 for a model that decimates by 6,
    Fraction(1, 3) for one that upsamples by 3); its output file has the rate divided by it."""
    period = fractions.Fraction(period)
    directory = pathlib.Path(directory)
    source, result = directory / "in.wav", directory / "out.wav"
    write_wav(source, signal)
    completed = subprocess.run([str(rtn_binary()), "process", str(model_path), str(source), str(result)],
                               capture_output=True, text=True, timeout=120)
    assert completed.returncode == 0, (f"rtn process failed ({completed.returncode}):\n{completed.stdout}"
                                       f"{completed.stderr}")
    output, sample_rate = read_wav(result)
    assert sample_rate == SAMPLE_RATE / period
    expected_frames = math.ceil(signal.shape[0] / period)
    assert output.shape[0] == expected_frames, f"rtn wrote {output.shape[0]} frames for {signal.shape[0]}"
    return output


def assert_close(actual: numpy.ndarray, expected: numpy.ndarray, tolerance: float = TOLERANCE) -> None:
    actual, expected = numpy.asarray(actual), numpy.asarray(expected)
    assert actual.shape == expected.shape, f"shape {actual.shape} != expected {expected.shape}"
    assert numpy.all(numpy.isfinite(actual)), "rtn produced NaN or infinite values"
    error = numpy.abs(actual.astype(numpy.float64) - expected.astype(numpy.float64))
    worst = numpy.unravel_index(int(numpy.argmax(error)), error.shape)
    assert error.max() <= tolerance, (f"max abs error {error.max():.3g} > {tolerance} at (frame, channel) "
                                      f"{tuple(int(i) for i in worst)}: rtn {actual[worst]!r}, framework "
                                      f"{expected[worst]!r} (output range {numpy.abs(expected).max():.3g})")


def test_signal(frames: int = 2400, channels: int = 1, seed: int = 0) -> numpy.ndarray:
    """A reproducible audio-like signal: noise plus a few sines, within [-1, 1]."""
    generator = numpy.random.default_rng(seed)
    time = numpy.arange(frames) / SAMPLE_RATE
    columns = []
    for channel in range(channels):
        tone = 0.4 * numpy.sin(2 * numpy.pi * (110 + 57 * channel) * time)
        tone += 0.2 * numpy.sin(2 * numpy.pi * (1830 + 211 * channel) * time)
        columns.append(tone + 0.3 * generator.uniform(-1, 1, frames))
    return numpy.clip(numpy.stack(columns, axis=1), -1, 1).astype(numpy.float32)


test_signal.__test__ = False  # a helper, not a test


@pytest.fixture
def signal():
    return test_signal


@pytest.fixture
def rtn_process(tmp_path):
    """rtn_process(model_path, signal) -> output, running the real `rtn process`."""
    def run(model_path, frames, period=1):
        return run_rtn(model_path, frames, tmp_path, period)
    return run
