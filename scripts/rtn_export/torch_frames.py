"""Spectral layers in the PyTorch exporter: Conv2d and BatchNorm2d on 2-D frames of features x channels.

rtn streams them over time on flat frames, the features one after the other and the channels of a feature
together (docs/model-format.md). A PyTorch model gets there from its (batch, time, features * channels)
signal with the views rtn can follow:

    x.unflatten(2, (features, channels))   (or nn.Unflatten)   -> (batch, time, features, channels)
    x.permute(0, 3, 1, 2)                                       -> (batch, channels, time, features)
    [F.pad(x, (left, right, (kt - 1) * dilation, 0))]           zeros along features; causal time padding
    Conv2d(stride=(1, s), dilation=(d, 1), padding=0 or (0, p)), BatchNorm2d, activations
    x.permute(0, 2, 3, 1)                                       -> (batch, time, features, channels)
    x.flatten(2)                           (or nn.Flatten(2))   -> (batch, time, features * channels)

A frame of one channel may also be made with x.unsqueeze(1) (straight into (batch, 1, time, features)) or
x.unsqueeze(3), and flattened with squeeze(1) or squeeze(3): the flat frame's width is then what the layers
before give (or, right at the model input, the input_channels given to export_torch or the command line).

The same views written as x.reshape / x.view / torch.reshape are read by torch_reshape.py, as these.

Along features the zeros (F.pad's and the Conv2d's own) must be none ("valid") or TensorFlow's "same"
split, rtn's same_padding. Along time the convolution is causal, as Conv1d's: a left padding of exactly
(kt - 1) * dilation, or none (then PyTorch's output is shorter and rtn's output i + (kt - 1) * dilation is
PyTorch's i).
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional, Tuple

import torch.nn as nn

from .document import ExportError, Layer, conv2d_output_features
from .torch_export import BCTF, BTC, BTFC, Stream, _arg, _require_layout, _single_input, _state


def _view(builder, value: Any, where: str, what: str) -> Stream:
    """The stream a view reshapes: not one padded for a convolution, which the view would lose."""
    stream = builder._stream(value, where, what)
    if stream.pad or any(stream.feature_pad):
        raise ExportError(f"{stream.pad_where}: a zero padding is only supported right before a Conv1d or Conv2d "
                          f"(as its causal left padding), but {where} ({what}) follows it")
    return stream


def _unflatten(builder, value: Any, dim: Any, sizes: Any, where: str, what: str) -> Stream:
    stream = _view(builder, value, where, what)
    sizes = tuple(int(size) for size in sizes) if isinstance(sizes, (tuple, list)) else ()
    if stream.layout != BTC or stream.grid or int(dim) % 3 != 2 or len(sizes) != 2 or min(sizes) < 1:
        raise ExportError(f"{where}: {what}({dim}, {sizes}) on {stream.layout}: rtn follows only "
                          f"unflatten(2, (features, channels)) of {BTC} into {BTFC}")
    unflattened = Stream(BTFC, stream.version, is_input=stream.is_input, grid=sizes)
    return unflattened


def _flatten(builder, value: Any, start: Any, end: Any, where: str, what: str) -> Stream:
    stream = _view(builder, value, where, what)
    if stream.layout != BTFC or int(start) % 4 != 2 or int(end) % 4 != 3:
        raise ExportError(f"{where}: {what}(start_dim={start}, end_dim={end}) on {stream.layout}: rtn follows "
                          f"only flatten(2) of {BTFC} back into {BTC}")
    return Stream(BTC, stream.version, is_input=stream.is_input)


def _unsqueeze(builder, value: Any, dim: Any, where: str, what: str, width: Optional[int] = None) -> Stream:
    """unsqueeze(1) and unsqueeze(3) of a flat frame: a frame of one channel, in Conv2d's layout or rtn's.
    `width`: the frame's floats when the caller knows them (a reshape names them), else the layers before tell."""
    stream = _view(builder, value, where, what)
    position = int(dim) % 4  # counted in the 4-d result: -1 is 3
    if stream.layout != BTC or stream.grid or position not in (1, 3):
        raise ExportError(f"{where}: {what}({dim}) on {stream.layout}: rtn follows unsqueeze(1) of {BTC} into "
                          f"{BCTF} and unsqueeze(3) into {BTFC}, frames of one channel")
    width = builder.document.channels_after(stream.version) if width is None else width
    if width is None:
        raise ExportError(f"{where}: {what}({dim}) makes 2-D frames of the model input, whose width no layer "
                          "tells: give the input channels (export_torch(..., input_channels=N), python -m "
                          "rtn_export --input-channels N)")
    return Stream(BCTF if position == 1 else BTFC, stream.version, is_input=stream.is_input, grid=(width, 1))


def _squeeze(builder, value: Any, dim: Any, where: str, what: str) -> Stream:
    """squeeze(1) of (batch, 1, time, features) and squeeze(3) of (batch, time, features, 1): the flat frame."""
    stream = _view(builder, value, where, what)
    if dim is None:
        raise ExportError(f"{where}: {what}() without a dim would also drop a batch of one; squeeze the channel "
                          "dimension of a frame of one channel: squeeze(1) or squeeze(3)")
    position = int(dim) % 4
    if not stream.grid or stream.grid[1] != 1 or position != (1 if stream.layout == BCTF else 3):
        channels = f" of {stream.grid[1]} channels" if stream.grid else ""
        raise ExportError(f"{where}: {what}({dim}) on {stream.layout}{channels}: rtn follows squeeze(1) of "
                          f"{BCTF} and squeeze(3) of {BTFC} when a frame has one channel; flatten others with "
                          "permute(0, 2, 3, 1) and flatten(2)")
    return Stream(BTC, stream.version, is_input=stream.is_input)


def permute_frames(builder, stream: Stream, dims: List[int], where: str, what: str) -> Stream:
    """permute(0, 3, 1, 2) and permute(0, 2, 3, 1): between the frame layout and Conv2d's."""
    if stream.layout == BTFC and dims == [0, 3, 1, 2]:
        layout = BCTF
    elif stream.layout == BCTF and dims == [0, 2, 3, 1]:
        layout = BTFC
    elif dims == [0, 1, 2, 3]:
        return stream
    else:
        raise ExportError(f"{where}: {what}{tuple(dims)} on {stream.layout}: rtn follows permute(0, 3, 1, 2) "
                          f"from {BTFC} to {BCTF} and permute(0, 2, 3, 1) back")
    moved = stream.with_layout(layout)
    moved.is_input = stream.is_input
    return moved


def pad_frames(builder, value: Stream, pad: Tuple[int, ...], fill: float, where: str, what: str) -> Stream:
    """F.pad(x, (left, right, top, 0)) on (batch, channels, time, features), right before a Conv2d."""
    stream = builder._consume(value, where, what)
    pad = tuple(int(p) for p in pad)
    if (stream.layout != BCTF or fill != 0.0 or len(pad) not in (2, 4) or min(pad) < 0
            or (len(pad) == 4 and pad[3] != 0)):
        raise ExportError(f"{where}: {what} with pad={pad}, value={fill} on {stream.layout}: rtn follows zeros "
                          f"along the features and on the left of the time axis of {BCTF} (pad=(left, "
                          "right, top, 0)), right before a Conv2d")
    if stream.pad or any(stream.feature_pad):
        raise ExportError(f"{where}: {what} pads a signal that is already padded")
    padded = stream.with_layout(BCTF)
    padded.pad, padded.pad_where, padded.feature_pad = (pad[2] if len(pad) == 4 else 0), where, pad[:2]
    return padded


def _same_split(features: int, kernel: int, stride: int) -> Tuple[int, int]:
    """TensorFlow's "same" zeros (before, after) along features, rtn's same_padding."""
    outputs = -(-features // stride)
    total = max((outputs - 1) * stride + kernel - features, 0)
    return total // 2, total - total // 2


def _conv2d(builder, module: nn.Conv2d, where, what, args, kwargs):
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BCTF, where, what, "Conv2d takes channels in dimension 1 and convolves (time, "
                    "features): permute(0, 3, 1, 2) before it")
    features, channels = stream.grid
    kernel_time, kernel_features = (int(k) for k in module.kernel_size)
    time_stride, stride = (int(s) for s in module.stride)
    dilation, feature_dilation = (int(d) for d in module.dilation)
    if time_stride != 1 or feature_dilation != 1:
        raise ExportError(f"{where}: {what} has stride={tuple(module.stride)}, dilation={tuple(module.dilation)}; "
                          "rtn's conv2d has stride 1 along time and dilation 1 along features")
    if isinstance(module.padding, str):
        if module.padding != "valid":
            raise ExportError(f"{where}: {what} has padding='{module.padding}', which pads time on both sides "
                              "(it looks ahead); pad the features with F.pad or padding=(0, p) instead")
        time_padding, feature_padding = 0, 0
    else:
        time_padding, feature_padding = (int(p) for p in module.padding)
    if time_padding or module.padding_mode != "zeros":
        raise ExportError(f"{where}: {what} has padding={module.padding}, padding_mode='{module.padding_mode}'; "
                          "along time rtn's conv2d is causal: F.pad(x, (0, 0, (kt - 1) * dilation, 0)) before a "
                          "Conv2d with no time padding")
    receptive = (kernel_time - 1) * dilation
    if stream.pad and stream.pad != receptive:
        raise ExportError(f"{stream.pad_where}: pads the time axis by {stream.pad} on the left, but the "
                          f"following {what} at {where} needs exactly (kernel_size[0] - 1) * dilation[0] = "
                          f"{receptive} for rtn's causal convolution")
    zeros = (stream.feature_pad[0] + feature_padding, stream.feature_pad[1] + feature_padding)
    same = zeros != (0, 0)
    if same and zeros != _same_split(features, kernel_features, stride):
        raise ExportError(f"{where}: {what} on {features} features gets {zeros} zeros (before, after) along "
                          "them; rtn pads features with none ('valid') or TensorFlow's 'same' split, "
                          f"{_same_split(features, kernel_features, stride)} here")
    params = {"in_channels": int(module.in_channels), "out_channels": int(module.out_channels),
              "in_features": features, "kernel_size_time": kernel_time, "kernel_size_feature": kernel_features,
              "dilation": dilation, "stride": stride, "same_padding": same, "groups": int(module.groups),
              "bias": module.bias is not None}
    if int(module.in_channels) != channels:
        raise ExportError(f"{where}: {what} takes {module.in_channels} channels, but the frame has {channels}")
    layer = Layer("conv2d", params, _state(module), source=f"{what} at {where}")
    return builder._emit(layer, BCTF, (conv2d_output_features(params), int(module.out_channels)))


def _batchnorm2d(builder, module: nn.BatchNorm2d, where, what, args, kwargs):
    from .torch_export import batchnorm_layer
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BCTF, where, what, "BatchNorm2d normalises dimension 1, which must be the channels: "
                    "permute(0, 3, 1, 2) before it")
    layer = batchnorm_layer(module, where, what)
    layer.type = "batchnorm2d"
    layer.params = {"num_features": layer.params["num_features"], "in_features": stream.grid[0],
                    "eps": layer.params["eps"]}
    return builder._emit(layer, BCTF, stream.grid)


def _unflatten_module(builder, module: nn.Unflatten, where, what, args, kwargs):
    return _unflatten(builder, _single_input(args, kwargs, where, what), module.dim, module.unflattened_size,
                      where, what)


def _flatten_module(builder, module: nn.Flatten, where, what, args, kwargs):
    return _flatten(builder, _single_input(args, kwargs, where, what), module.start_dim, module.end_dim, where,
                    what)


def _fn_unflatten(builder, where, name, args, kwargs):
    return _unflatten(builder, args[0], _arg(args, kwargs, 1, "dim", None), _arg(args, kwargs, 2, "sizes", None),
                      where, name)


def _fn_flatten(builder, where, name, args, kwargs):
    return _flatten(builder, args[0], _arg(args, kwargs, 1, "start_dim", 0), _arg(args, kwargs, 2, "end_dim", -1),
                    where, name)


def _fn_unsqueeze(builder, where, name, args, kwargs):
    return _unsqueeze(builder, args[0], _arg(args, kwargs, 1, "dim", None), where, name)


def _fn_squeeze(builder, where, name, args, kwargs):
    return _squeeze(builder, args[0], _arg(args, kwargs, 1, "dim", None), where, name)


FRAME_MODULES = [(nn.Conv2d, _conv2d), (nn.BatchNorm2d, _batchnorm2d), (nn.Unflatten, _unflatten_module),
                 (nn.Flatten, _flatten_module)]
FRAME_FUNCTIONS: Dict[str, Any] = {"unflatten": _fn_unflatten, "flatten": _fn_flatten, "unsqueeze": _fn_unsqueeze,
                                   "squeeze": _fn_squeeze}
FRAME_METHODS = {"unflatten": "unflatten", "flatten": "flatten", "unsqueeze": "unsqueeze", "squeeze": "squeeze"}
