"""The rtn JSON model document (format version 1) that every exporter builds, and its writer.

Framework front ends (PyTorch, Keras) translate their layers into `Layer` values in PyTorch's layout;
`ModelDocument` checks the channel flow the way rtn's loader does, so that a mistake shows up at export
with the framework's layer name rather than later as a loader error about `layers[3]`.
"""
from __future__ import annotations

import json
import math
import os
from dataclasses import dataclass, field
from typing import Any, Dict, List, Optional

from . import __version__

FORMAT_NAME = "rtn"
FORMAT_VERSION = 1

# rtn layer types whose output size equals their input size (they take it from the previous layer).
ACTIVATION_TYPES = ("tanh", "relu", "sigmoid", "softmax", "elu", "leaky_relu", "prelu")
# rtn layer types that pool each frame's channels: their output size follows from the input's.
POOLING_TYPES = ("maxpool1d", "avgpool1d")
# rtn layer types whose frames are a grid of in_features x channels (docs/model-format.md).
FRAME_TYPES = ("conv2d", "batchnorm2d")


def conv2d_output_features(params: Dict[str, Any]) -> int:
    """A conv2d's output features: ceil(in / stride) with same padding, else (in - kernel) // stride + 1."""
    features, stride = int(params["in_features"]), int(params.get("stride", 1))
    if params.get("same_padding", False):
        return -(-features // stride)
    return (features - int(params["kernel_size_feature"])) // stride + 1


class ExportError(ValueError):
    """A model that rtn cannot represent, or a file that is not a model. The message says what and where."""


@dataclass
class Layer:
    """One rtn layer: its `type`, shape parameters and weights (nested lists or arrays in PyTorch layout).

    `source` names the framework layer it came from (for error messages); it is not written.
    """

    type: str
    params: Dict[str, Any] = field(default_factory=dict)
    weights: Dict[str, Any] = field(default_factory=dict)
    source: str = ""

    def input_size(self) -> Optional[int]:
        if self.type in FRAME_TYPES:  # frames of features x channels
            channels = self.params["in_channels" if self.type == "conv2d" else "num_features"]
            return int(self.params["in_features"]) * int(channels)
        for key in ("in_features", "in_channels", "input_size", "num_features"):
            if key in self.params:
                return int(self.params[key])
        return None

    def output_size(self, input_size: Optional[int]) -> Optional[int]:
        if self.type == "conv2d":
            return conv2d_output_features(self.params) * int(self.params["out_channels"])
        if self.type == "batchnorm2d":
            return self.input_size()
        if self.type in POOLING_TYPES:
            if input_size is None:
                return None
            span = int(self.params.get("dilation", 1)) * (int(self.params["kernel_size"]) - 1) + 1
            padded = input_size + 2 * int(self.params["padding"])
            return (padded - span) // int(self.params["stride"]) + 1
        for key in ("out_features", "out_channels", "hidden_size", "num_features"):
            if key in self.params:
                return int(self.params[key])
        return input_size  # activations keep the channel count

    def to_json(self) -> Dict[str, Any]:
        layer: Dict[str, Any] = {"type": self.type}
        layer.update(self.params)
        if self.weights:
            layer["weights"] = {name: _to_list(value, f"{self.source or self.type}: weight '{name}'")
                                for name, value in self.weights.items()}
        return layer


def _to_list(value: Any, what: str) -> Any:
    """A weight array as nested lists of Python floats (float32 values, exactly), refusing NaN/Inf."""
    if hasattr(value, "detach"):  # torch.Tensor
        value = value.detach().cpu().float().numpy()
    try:
        import numpy
    except ImportError:  # pragma: no cover - both frameworks bring numpy
        numpy = None
    if numpy is not None:
        array = numpy.asarray(value, dtype=numpy.float32)
        if not numpy.all(numpy.isfinite(array)):
            raise ExportError(f"{what} holds NaN or infinite values, which rtn refuses")
        return array.tolist()
    if isinstance(value, (int, float)):
        if not math.isfinite(value):
            raise ExportError(f"{what} holds NaN or infinite values, which rtn refuses")
        return float(value)
    return [_to_list(item, what) for item in value]


class ModelDocument:
    """An rtn JSON v1 model under construction: append layers in order, then `write`."""

    def __init__(self, *, name: str, sample_rate: float = 48000, input_channels: Optional[int] = None,
                 metadata: Optional[Dict[str, Any]] = None):
        self.name = name
        self.sample_rate = sample_rate
        self.input_channels = input_channels
        self.input_skip = False
        self.layers: List[Layer] = []
        self.metadata: Dict[str, Any] = {"exported_by": f"rtn_export {__version__}"}
        self.metadata.update(metadata or {})

    def add(self, layer: Layer) -> None:
        self.layers.append(layer)

    def channels_after(self, count: Optional[int] = None) -> Optional[int]:
        """Channels that flow out of the first `count` layers (all by default), None while unknown."""
        channels = self.input_channels
        for layer in self.layers[:count]:
            wanted = layer.input_size()
            if channels is None and wanted is not None:
                channels = wanted
            channels = layer.output_size(channels)
        return channels

    def resolved_input_channels(self) -> Optional[int]:
        if self.input_channels is not None:
            return self.input_channels
        for layer in self.layers:
            if layer.input_size() is not None:
                return layer.input_size()
        return None

    def check(self) -> None:
        """The loader's channel-flow checks, with the framework's layer names in the message."""
        if not self.layers:
            raise ExportError("the model has no layers that rtn would run (it computes nothing)")
        channels = self.resolved_input_channels()
        if channels is None:
            raise ExportError("cannot tell the model's input channel count: it has no layer with a size; "
                              "pass input_channels=")
        previous = "the model input"
        for layer in self.layers:
            wanted = layer.input_size()
            if wanted is not None and wanted != channels:
                raise ExportError(f"{layer.source or layer.type} takes {wanted} channels, but {previous} "
                                  f"gives {channels}")
            if layer.type in POOLING_TYPES:
                _check_pooling(layer, channels)
            if layer.type == "prelu":
                count = int(layer.params.get("num_parameters", 1))
                if count not in (1, channels):
                    raise ExportError(f"{layer.source}: PReLU has {count} parameters for {channels} channels "
                                      "(rtn needs 1 or one per channel)")
            channels = layer.output_size(channels)
            previous = layer.source or layer.type
        if self.input_skip and channels != self.resolved_input_channels():
            raise ExportError(f"the residual add of the input ({self.resolved_input_channels()} channels) to the "
                              f"output ({channels} channels) needs equal channel counts")

    def to_json(self) -> Dict[str, Any]:
        self.check()
        return {
            "format": FORMAT_NAME,
            "version": FORMAT_VERSION,
            "name": self.name,
            "sample_rate": self.sample_rate,
            "input_channels": self.resolved_input_channels(),
            "output_channels": self.channels_after(),
            "input_skip": self.input_skip,
            "layers": [layer.to_json() for layer in self.layers],
            "metadata": self.metadata,
        }

    def write(self, path: "os.PathLike[str] | str") -> Dict[str, Any]:
        """Writes the file (compact JSON, one line) and returns the document that was written."""
        document = self.to_json()
        text = json.dumps(document, separators=(",", ":"), allow_nan=False)
        with open(path, "w", encoding="utf-8") as file:
            file.write(text + "\n")
        return document


def _check_pooling(layer: Layer, channels: int) -> None:
    """rtn's limits on a pooling window (PyTorch's, and a stride within the frame)."""
    kernel, stride, padding = (int(layer.params[key]) for key in ("kernel_size", "stride", "padding"))
    span = int(layer.params.get("dilation", 1)) * (kernel - 1) + 1
    if padding > kernel // 2:
        raise ExportError(f"{layer.source}: padding {padding} is more than half of kernel_size {kernel}")
    if span > channels + 2 * padding or stride > channels + 2 * padding:
        raise ExportError(f"{layer.source}: the window ({span} channels) or stride ({stride}) is larger than the "
                          f"padded frame of {channels} channels + 2 * {padding}")


def default_name(path: "os.PathLike[str] | str") -> str:
    base = os.path.basename(os.fspath(path))
    return os.path.splitext(base)[0] or "model"
