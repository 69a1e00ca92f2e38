"""PyTorch -> rtn JSON v1.

The model maps (batch, time, channels) to (batch, time, channels_out). Its forward is traced (torch.fx for
Python modules; TorchScript modules are read from their graph, see torchscript.py) and the traced
operations are replayed on symbolic values that know the tensor layout, (batch, time, channels) or
(batch, channels, time), so that Conv1d/BatchNorm1d between transposes are checked, not guessed.

What the chain may contain: Linear, Conv1d (padding 0: rtn's causal streaming convolution; a stride > 1 after
its causal left padding, a decimating layer), ConvTranspose1d (padding 0, an upsampling layer), GRU
and LSTM (batch_first, unidirectional, taking output[0] of their tuple), BatchNorm1d (its inference
form, with the running statistics), MaxPool1d/AvgPool1d on (batch, time, channels) (pooling each frame's
channels; ceil_mode=False), Tanh/ReLU/Sigmoid/ELU/LeakyReLU/PReLU/Softmax and their functional
forms, Identity, transposes/permutes between the two layouts, `.contiguous()`, a zero left padding
(F.pad / nn.ConstantPad1d) right before a Conv1d by exactly its receptive field, and a residual add of
the model input to its output as the last operation. Spectral layers (Conv2d, BatchNorm2d) work on 2-D
frames of features x channels: torch_frames.py reads the views between them and the flat frames, and
torch_reshape.py the reshapes that equal those views.
Anything else is an ExportError that names the operation and where it is.
"""
from __future__ import annotations

import builtins
import contextlib
import dis
import inspect
import operator
import os
from typing import Any, Callable, Dict, List, Optional, Sequence, Tuple

import torch
import torch.fx
import torch.nn as nn
import torch.nn.functional as F

from .document import ExportError, Layer, ModelDocument, default_name

BTC = "(batch, time, channels)"
BCT = "(batch, channels, time)"
# A frame of features x channels (torch_frames.py), as rtn stores it and as Conv2d computes on it.
BTFC = "(batch, time, features, channels)"
BCTF = "(batch, channels, time, features)"


# --- Symbolic values flowing through the traced graph -----------------------------------------------

class Stream:
    """The signal on the chain: a 3-d tensor in one of the two layouts.

    `version` counts the layers emitted before it; an operation that emits a layer must consume the
    newest value, which is how branches (two consumers of one value) are refused.
    """

    def __init__(self, layout: str, version: int, *, is_input: bool = False, pad: int = 0,
                 pad_where: str = "", skip_added: bool = False, grid: Optional[Tuple[int, int]] = None,
                 feature_pad: Tuple[int, int] = (0, 0)):
        self.layout = layout
        self.version = version
        self.is_input = is_input
        self.pad = pad            # zeros F.pad put on the left of the time axis, waiting for a Conv1d/Conv2d
        self.pad_where = pad_where
        self.skip_added = skip_added
        self.grid = grid          # (features, channels) of a 2-D frame (BTFC, BCTF), else None
        self.feature_pad = feature_pad  # zeros F.pad put before and after the features, waiting for a Conv2d

    def with_layout(self, layout: str) -> "Stream":
        return Stream(layout, self.version, pad=self.pad, pad_where=self.pad_where,
                      skip_added=self.skip_added, grid=self.grid, feature_pad=self.feature_pad)

    def channel_dim(self) -> int:
        return 2 if self.layout == BTC else 1


class RecurrentResult:
    """The (output, hidden) tuple of a GRU/LSTM call."""

    def __init__(self, output: Stream, where: str, kind: str):
        self.output = output
        self.where = where
        self.kind = kind


class HiddenState:
    """h (or (h, c)) returned by a recurrent layer: rtn keeps it inside the layer, it cannot flow on."""

    def __init__(self, where: str, is_tuple: bool):
        self.where = where
        self.is_tuple = is_tuple


def qualified_name(thing: Any) -> str:
    """torch.nn.Dropout for nn.Dropout, torch.sin for torch.sin, F.gelu as torch.nn.functional.gelu."""
    if isinstance(thing, nn.Module):
        cls = type(thing)
        module = cls.__module__
        if module.startswith("torch.nn.modules"):
            module = "torch.nn"
        return f"{module}.{cls.__qualname__}"
    module = getattr(thing, "__module__", None)
    name = getattr(thing, "__qualname__", None) or getattr(thing, "__name__", None) or repr(thing)
    if module in (None, "torch._C._VariableFunctions", "torch._C") or name.startswith("_VariableFunctionsClass."):
        module, name = "torch", getattr(thing, "__name__", name)
    if module == "_operator":
        module = "operator"
    return f"{module}.{name}"


# --- The builder: operations in, rtn layers out -------------------------------------------------------

class TorchChainBuilder:
    """Replays a traced forward, operation by operation, into a ModelDocument."""

    def __init__(self, document: ModelDocument):
        self.document = document
        self.version = 0
        self.input: Optional[Stream] = None

    # Values ----------------------------------------------------------------------------------------
    def placeholder(self) -> Stream:
        if self.input is not None:
            raise ExportError("the model's forward takes more than one tensor; rtn models take one input "
                              f"{BTC}")
        self.input = Stream(BTC, 0, is_input=True)
        return self.input

    def _stream(self, value: Any, where: str, what: str) -> Stream:
        if isinstance(value, Stream):
            if value.skip_added:
                raise ExportError(f"{where}: {what} comes after the residual add of the model input; that add "
                                  "must be the model's last operation")
            return value
        if isinstance(value, RecurrentResult):
            raise ExportError(f"{where}: {what} gets the whole (output, hidden) tuple of {value.where}; take "
                              "its output with [0] (e.g. `y, _ = self.lstm(x)`)")
        if isinstance(value, HiddenState):
            raise ExportError(f"{where}: {what} uses the hidden state of {value.where}; rtn keeps recurrent "
                              "state inside the layer, only the output sequence ([0]) can flow on")
        raise ExportError(f"{where}: {what} is applied to {value!r}, not to the model's signal")

    def _consume(self, value: Any, where: str, what: str) -> Stream:
        """The newest stream value, about to get a layer emitted on it."""
        stream = self._stream(value, where, what)
        if stream.version != self.version:
            raise ExportError(f"{where}: {what} uses a value that another operation already consumed: the "
                              "model branches, and rtn runs a single chain of layers (only the model "
                              "input may be added back at the end)")
        if (stream.pad or any(stream.feature_pad)) and what not in ("torch.nn.Conv1d", "torch.nn.Conv2d"):
            raise ExportError(f"{stream.pad_where}: a zero padding is only supported right before a Conv1d or "
                              f"Conv2d (as its causal left padding), but {where} ({what}) follows it")
        return stream

    def _emit(self, layer: Layer, layout: str, grid: Optional[Tuple[int, int]] = None) -> Stream:
        self.document.add(layer)
        self.version += 1
        return Stream(layout, self.version, grid=grid)

    def output(self, value: Any, where: str) -> None:
        if isinstance(value, (tuple, list)):
            raise ExportError(f"{where}: the model returns {len(value)} values; rtn models return one tensor "
                              f"{BTC}")
        if isinstance(value, Stream) and value.skip_added:
            return
        stream = self._stream(value, where, "the model output")
        if stream.version != self.version:
            raise ExportError(f"{where}: the model returns a value from before its last layer (the model "
                              "branches)")
        if stream.layout != BTC:
            raise ExportError(f"{where}: the model returns {BCT}; transpose it back to {BTC} (e.g. "
                              "`.transpose(1, 2)`)")
        if stream.pad:
            raise ExportError(f"{stream.pad_where}: a zero padding of the time axis is only supported right "
                              "before a Conv1d")

    # Modules ---------------------------------------------------------------------------------------
    def call_module(self, module: nn.Module, where: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
        what = qualified_name(module)
        for cls, handler in _MODULE_HANDLERS:
            if isinstance(module, cls):
                return handler(self, module, where, what, args, kwargs)
        raise ExportError(f"unsupported operation {what} at {where}")

    # Functions (torch.tanh, F.relu, Tensor.transpose, operator.add...), by canonical name ----------
    def call_function(self, name: str, where: str, args: Sequence[Any], kwargs: Dict[str, Any]) -> Any:
        handler = _FUNCTION_HANDLERS.get(name)
        if handler is None:
            raise ExportError(f"unsupported operation {name} at {where}")
        return handler(self, where, name, list(args), dict(kwargs))

    # Shared layer makers ---------------------------------------------------------------------------
    def activation(self, value: Any, where: str, what: str, layer_type: str,
                   params: Optional[Dict[str, Any]] = None, weights: Optional[Dict[str, Any]] = None) -> Stream:
        stream = self._consume(value, where, what)
        layer = Layer(layer_type, dict(params or {}), dict(weights or {}), source=f"{what} at {where}")
        return self._emit(layer, stream.layout, stream.grid)

    def transpose(self, value: Any, where: str, what: str) -> Stream:
        stream = self._stream(value, where, what)
        if stream.grid:
            raise ExportError(f"{where}: {what} swaps two dimensions of {stream.layout}; between it and "
                              f"{BCTF} use permute(0, 3, 1, 2) and permute(0, 2, 3, 1)")
        if stream.version != self.version and not stream.is_input:
            raise ExportError(f"{where}: {what} uses a value that another operation already consumed (the "
                              "model branches)")
        flipped = stream.with_layout(BCT if stream.layout == BTC else BTC)
        if stream.is_input:
            flipped.version = stream.version
        return flipped


def _arg(args: Sequence[Any], kwargs: Dict[str, Any], index: int, name: str, default: Any) -> Any:
    if len(args) > index:
        return args[index]
    return kwargs.get(name, default)


def _single_input(args: Sequence[Any], kwargs: Dict[str, Any], where: str, what: str,
                  optional: Sequence[str] = ()) -> Any:
    extra = [name for name, value in kwargs.items() if name not in optional and value is not None]
    if len(args) != 1 or extra:
        raise ExportError(f"{where}: {what} is called with more than the signal "
                          f"({len(args)} positional arguments{', ' + ', '.join(extra) if extra else ''}); "
                          "rtn layers take one input")
    return args[0]


# --- Module handlers ----------------------------------------------------------------------------------

def _require_layout(stream: Stream, layout: str, where: str, what: str, why: str) -> None:
    if stream.layout != layout:
        raise ExportError(f"{where}: {what} is applied to {stream.layout} but needs {layout} ({why})")


def _linear(builder: TorchChainBuilder, module: nn.Linear, where, what, args, kwargs):
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BTC, where, what, "it acts on the last dimension, which must be the channels")
    layer = Layer("dense", {"in_features": module.in_features, "out_features": module.out_features,
                            "bias": module.bias is not None},
                  _state(module), source=f"{what} at {where}")
    return builder._emit(layer, BTC)


def conv1d_layer(module: nn.Conv1d, where: str, what: str) -> Layer:
    stride = tuple(module.stride) if isinstance(module.stride, (tuple, list)) else (module.stride,)
    padding = module.padding
    if isinstance(padding, str):
        if padding != "valid":
            raise ExportError(f"{where}: {what} has padding='{padding}', which looks at future samples; rtn's "
                              "conv1d is causal: use padding=0 (rtn then pads the history on the left "
                              "itself), or F.pad(x, ((kernel_size - 1) * dilation, 0)) before it")
    elif any(int(p) != 0 for p in (padding if isinstance(padding, (tuple, list)) else (padding,))):
        raise ExportError(f"{where}: {what} has padding={tuple(padding) if not isinstance(padding, int) else padding}"
                          ", but rtn's conv1d is causal and streaming: it needs padding=0 (rtn keeps the "
                          "(kernel_size - 1) * dilation past inputs itself, which equals PyTorch's output on "
                          "the input left-padded by that much). For causal padding use "
                          "F.pad(x, ((kernel_size - 1) * dilation, 0)) before a padding=0 Conv1d")
    params = {"in_channels": module.in_channels, "out_channels": module.out_channels,
              "kernel_size": int(module.kernel_size[0]), "dilation": int(module.dilation[0]),
              "groups": int(module.groups), "bias": module.bias is not None}
    if int(stride[0]) != 1:  # a decimating layer (docs/strided-convolutions.md); files without it stay as they were
        params["stride"] = int(stride[0])
    return Layer("conv1d", params, _state(module), source=f"{what} at {where}")


def _conv1d(builder: TorchChainBuilder, module: nn.Conv1d, where, what, args, kwargs):
    layer = conv1d_layer(module, where, what)
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BCT, where, what, "PyTorch's Conv1d takes channels in dimension 1; "
                    "transpose(1, 2) before it")
    receptive = (layer.params["kernel_size"] - 1) * layer.params["dilation"]
    if stream.pad and stream.pad != receptive:
        raise ExportError(f"{stream.pad_where}: pads the time axis by {stream.pad} on the left, but the "
                          f"following {what} at {where} needs exactly (kernel_size - 1) * dilation = "
                          f"{receptive} for rtn's causal convolution")
    stride = layer.params.get("stride", 1)
    if stride != 1 and receptive and stream.pad != receptive:
        # Without it, PyTorch's output m starts at input m * stride, rtn's ends there: not a shift of frames.
        raise ExportError(f"{where}: {what} has stride={stride}; a strided conv1d needs its causal left padding "
                          f"right before it, F.pad(x, ({receptive}, 0)) ((kernel_size - 1) * dilation), so that "
                          "its output frames are rtn's")
    return builder._emit(layer, BCT)


def conv_transpose1d_layer(module: nn.ConvTranspose1d, where: str, what: str) -> Layer:
    if _single(module.padding) != 0:
        raise ExportError(f"{where}: {what} has padding={_single(module.padding)}, which crops the first output "
                          "frames: rtn's streaming transposed convolution would need input that has not arrived "
                          "(a look-ahead). Use padding=0 (and crop the start yourself if you must)")
    if module.padding_mode != "zeros":
        raise ExportError(f"{where}: {what} has padding_mode='{module.padding_mode}'; rtn needs 'zeros'")
    # output_padding only lengthens the end of a finite output: a stream has no end, so it is left out.
    params = {"in_channels": module.in_channels, "out_channels": module.out_channels,
              "kernel_size": _single(module.kernel_size), "stride": _single(module.stride),
              "dilation": _single(module.dilation), "groups": int(module.groups), "bias": module.bias is not None}
    return Layer("conv_transpose1d", params, _state(module), source=f"{what} at {where}")


def _conv_transpose1d(builder: TorchChainBuilder, module: nn.ConvTranspose1d, where, what, args, kwargs):
    if len(args) > 1 or kwargs.get("output_size") is not None:
        raise ExportError(f"{where}: {what} is given an output_size; rtn's stream writes stride frames per input "
                          "frame, without an end to size")
    layer = conv_transpose1d_layer(module, where, what)
    stream = builder._consume(_single_input(args[:1], kwargs, where, what), where, what)
    _require_layout(stream, BCT, where, what, "PyTorch's ConvTranspose1d takes channels in dimension 1; "
                    "transpose(1, 2) before it")
    return builder._emit(layer, BCT)


def recurrent_layer(module: nn.RNNBase, where: str, what: str) -> Layer:
    if module.bidirectional:
        raise ExportError(f"{where}: {what} is bidirectional; rtn runs causal, unidirectional recurrent layers")
    if getattr(module, "proj_size", 0):
        raise ExportError(f"{where}: {what} has proj_size={module.proj_size}, which rtn does not support")
    if not module.batch_first:
        raise ExportError(f"{where}: {what} has batch_first=False, so it would read {BTC} as "
                          "(time, batch, channels); audio models in rtn's convention use batch_first=True")
    kind = "lstm" if isinstance(module, nn.LSTM) else "gru"
    return Layer(kind, {"input_size": module.input_size, "hidden_size": module.hidden_size,
                        "num_layers": module.num_layers, "bias": bool(module.bias)},
                 _state(module), source=f"{what} at {where}")


def _recurrent(builder: TorchChainBuilder, module: nn.RNNBase, where, what, args, kwargs):
    if len(args) > 1 and args[1] is not None or kwargs.get("hx") is not None:
        raise ExportError(f"{where}: {what} is given an initial state; rtn's recurrent layers start from "
                          "zeros and carry their state across process() calls")
    layer = recurrent_layer(module, where, what)
    stream = builder._consume(args[0] if args else kwargs.get("input"), where, what)
    _require_layout(stream, BTC, where, what, "with batch_first=True it reads time in dimension 1")
    output = builder._emit(layer, BTC)
    return RecurrentResult(output, where, layer.type)


def batchnorm_layer(module: nn.BatchNorm1d, where: str, what: str) -> Layer:
    if module.running_mean is None or module.running_var is None:
        raise ExportError(f"{where}: {what} has track_running_stats=False, so it normalises with the "
                          "statistics of each batch; rtn needs running statistics")
    channels = module.num_features
    weight = module.weight if module.weight is not None else torch.ones(channels)
    bias = module.bias if module.bias is not None else torch.zeros(channels)
    return Layer("batchnorm1d", {"num_features": channels, "eps": float(module.eps)},
                 {"weight": weight, "bias": bias, "running_mean": module.running_mean,
                  "running_var": module.running_var}, source=f"{what} at {where}")


def _batchnorm(builder: TorchChainBuilder, module: nn.BatchNorm1d, where, what, args, kwargs):
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BCT, where, what, "BatchNorm1d normalises dimension 1, which must be the "
                    "channels; transpose(1, 2) before it")
    return builder._emit(batchnorm_layer(module, where, what), BCT)


def _single(value: Any) -> int:
    """3 for 3 or (3,): pooling modules keep their sizes either way."""
    return int(value[0]) if isinstance(value, (tuple, list)) else int(value)


def pooling_layer(module: nn.Module, where: str, what: str) -> Layer:
    """MaxPool1d / AvgPool1d over each frame's features (the last dimension of (batch, time, channels))."""
    if module.ceil_mode:
        raise ExportError(f"{where}: {what} has ceil_mode=True; rtn pools with PyTorch's default "
                          "ceil_mode=False")
    params = {"kernel_size": _single(module.kernel_size),
              "stride": _single(module.stride if module.stride is not None else module.kernel_size),
              "padding": _single(module.padding)}
    if isinstance(module, nn.MaxPool1d):
        if module.return_indices:
            raise ExportError(f"{where}: {what} has return_indices=True; rtn's maxpool1d returns the maxima only")
        params["dilation"] = _single(module.dilation)
        return Layer("maxpool1d", params, source=f"{what} at {where}")
    params["count_include_pad"] = bool(module.count_include_pad)
    return Layer("avgpool1d", params, source=f"{what} at {where}")


def _pooling(builder: TorchChainBuilder, module: nn.Module, where, what, args, kwargs):
    layer = pooling_layer(module, where, what)
    stream = builder._consume(_single_input(args, kwargs, where, what), where, what)
    _require_layout(stream, BTC, where, what, "it pools the last dimension, and rtn pools each frame's "
                    "channels, never time")
    return builder._emit(layer, BTC)


def _simple_activation(layer_type: str) -> Callable:
    def handler(builder: TorchChainBuilder, module, where, what, args, kwargs):
        return builder.activation(_single_input(args, kwargs, where, what), where, what, layer_type)
    return handler


def _elu(builder, module: nn.ELU, where, what, args, kwargs):
    return builder.activation(_single_input(args, kwargs, where, what), where, what, "elu",
                              {"alpha": float(module.alpha)})


def _leaky_relu(builder, module: nn.LeakyReLU, where, what, args, kwargs):
    return builder.activation(_single_input(args, kwargs, where, what), where, what, "leaky_relu",
                              {"negative_slope": float(module.negative_slope)})


def _check_softmax_dim(stream: Stream, dim: Any, where: str, what: str) -> None:
    if stream.grid:
        raise ExportError(f"{where}: {what} on a 2-D frame {stream.layout}; flatten it to {BTC} first")
    if dim is None:
        raise ExportError(f"{where}: {what} has no dim; give dim explicitly (the channel dimension)")
    if int(dim) % 3 != stream.channel_dim():
        raise ExportError(f"{where}: {what} normalises over dim={dim}, but the channels of {stream.layout} "
                          f"are dim {stream.channel_dim()}; rtn's softmax normalises over the channels")


def _softmax(builder, module: nn.Softmax, where, what, args, kwargs):
    value = _single_input(args, kwargs, where, what)
    stream = builder._stream(value, where, what)
    _check_softmax_dim(stream, module.dim, where, what)
    return builder.activation(value, where, what, "softmax")


def _prelu(builder, module: nn.PReLU, where, what, args, kwargs):
    value = _single_input(args, kwargs, where, what)
    stream = builder._stream(value, where, what)
    if module.num_parameters > 1 and stream.grid:
        raise ExportError(f"{where}: {what} has {module.num_parameters} parameters on a 2-D frame "
                          f"{stream.layout}; rtn's prelu has one slope per float of the flat frame: use "
                          "num_parameters=1")
    if module.num_parameters > 1 and stream.layout != BCT:
        raise ExportError(f"{where}: {what} has {module.num_parameters} parameters, which PyTorch applies to "
                          f"dimension 1: that is time in {stream.layout}; transpose to {BCT} first, or use "
                          "num_parameters=1")
    return builder.activation(value, where, what, "prelu", {"num_parameters": int(module.num_parameters)},
                              {"weight": module.weight})


def _identity(builder, module, where, what, args, kwargs):
    return builder._stream(_single_input(args, kwargs, where, what), where, what)


def _constant_pad(builder, module: nn.ConstantPad1d, where, what, args, kwargs):
    return _pad_stream(builder, _single_input(args, kwargs, where, what), tuple(module.padding),
                       float(module.value), where, what)


def _pad_stream(builder: TorchChainBuilder, value: Any, pad: Tuple[int, ...], fill: float, where: str,
                what: str) -> Stream:
    if isinstance(value, Stream) and value.grid:
        from .torch_frames import pad_frames
        return pad_frames(builder, value, pad, fill, where, what)
    stream = builder._consume(value, where, what)
    if len(pad) != 2 or int(pad[1]) != 0 or fill != 0.0 or stream.layout != BCT:
        raise ExportError(f"{where}: {what} with pad={tuple(pad)}, value={fill} on {stream.layout}: the only "
                          "padding rtn supports is zeros on the left of the time axis of "
                          f"{BCT}, right before a Conv1d (its causal padding)")
    if stream.pad:
        raise ExportError(f"{where}: {what} pads a signal that is already padded")
    padded = Stream(BCT, stream.version, pad=int(pad[0]), pad_where=where)
    return padded


def _state(module: nn.Module) -> Dict[str, Any]:
    return {name: tensor for name, tensor in module.state_dict().items()
            if not name.endswith("num_batches_tracked")}


from .torch_frames import FRAME_FUNCTIONS, FRAME_METHODS, FRAME_MODULES  # noqa: E402  (uses the above)
from .torch_reshape import RESHAPE_FUNCTIONS, RESHAPE_METHODS, Shape  # noqa: E402  (uses the above)

_MODULE_HANDLERS: List[Tuple[type, Callable]] = [
    (nn.Linear, _linear),
    (nn.Conv1d, _conv1d),
    (nn.ConvTranspose1d, _conv_transpose1d),
    (nn.LSTM, _recurrent),
    (nn.GRU, _recurrent),
    (nn.BatchNorm1d, _batchnorm),
    (nn.MaxPool1d, _pooling),
    (nn.AvgPool1d, _pooling),
    (nn.Tanh, _simple_activation("tanh")),
    (nn.ReLU, _simple_activation("relu")),
    (nn.Sigmoid, _simple_activation("sigmoid")),
    (nn.ELU, _elu),
    (nn.LeakyReLU, _leaky_relu),
    (nn.Softmax, _softmax),
    (nn.PReLU, _prelu),
    (nn.Identity, _identity),
    # Dropout (any flavour) does nothing at inference: exported as nothing.
    (nn.modules.dropout._DropoutNd, _identity),
    (nn.ConstantPad1d, _constant_pad),
    *FRAME_MODULES,
]


# --- Function handlers --------------------------------------------------------------------------------

def _fn_activation(layer_type: str) -> Callable:
    def handler(builder: TorchChainBuilder, where, name, args, kwargs):
        kwargs.pop("inplace", None)
        return builder.activation(_single_input(args[:1], kwargs, where, name), where, name, layer_type)
    return handler


def _fn_elu(builder, where, name, args, kwargs):
    alpha = float(_arg(args, kwargs, 1, "alpha", 1.0))
    return builder.activation(args[0], where, name, "elu", {"alpha": alpha})


def _fn_leaky_relu(builder, where, name, args, kwargs):
    slope = float(_arg(args, kwargs, 1, "negative_slope", 0.01))
    return builder.activation(args[0], where, name, "leaky_relu", {"negative_slope": slope})


def _fn_softmax(builder, where, name, args, kwargs):
    stream = builder._stream(args[0], where, name)
    _check_softmax_dim(stream, _arg(args, kwargs, 1, "dim", None), where, name)
    return builder.activation(args[0], where, name, "softmax")


def _fn_transpose(builder, where, name, args, kwargs):
    if isinstance(args[0], Stream) and args[0].grid:  # 4-d: its dims are not those of a 3-d stream
        return builder.transpose(args[0], where, name)  # (which refuses, pointing to the permutes)
    dims = sorted(int(d) % 3 for d in (_arg(args, kwargs, 1, "dim0", None), _arg(args, kwargs, 2, "dim1", None)))
    if dims == [1, 2]:
        return builder.transpose(args[0], where, name)
    if dims[0] == dims[1]:
        return builder._stream(args[0], where, name)
    raise ExportError(f"{where}: {name} swaps dimensions {dims}; only the time and channel dimensions (1 and 2) "
                      "may be swapped")


def _fn_permute(builder, where, name, args, kwargs):
    dims = list(args[1:]) if len(args) > 2 else list(_arg(args, kwargs, 1, "dims", ()))
    if len(dims) == 1 and isinstance(dims[0], (tuple, list)):
        dims = list(dims[0])
    if isinstance(args[0], Stream) and args[0].grid:
        from .torch_frames import permute_frames
        return permute_frames(builder, args[0], [int(d) % 4 for d in dims], where, name)
    normalised = [int(d) % 3 for d in dims]
    if normalised == [0, 2, 1]:
        return builder.transpose(args[0], where, name)
    if normalised == [0, 1, 2]:
        return builder._stream(args[0], where, name)
    raise ExportError(f"{where}: {name}{tuple(dims)} is not a swap of the time and channel dimensions "
                      "(0, 2, 1)")


def _fn_passthrough(builder, where, name, args, kwargs):
    return builder._stream(args[0], where, name)


def _fn_add(builder: TorchChainBuilder, where, name, args, kwargs):
    if len(args) < 2:
        raise ExportError(f"{where}: {name} with one operand")
    alpha = _arg(args, kwargs, 2, "alpha", 1)
    a, b = args[0], args[1]
    if not (isinstance(a, Stream) and isinstance(b, Stream)):
        raise ExportError(f"{where}: {name} adds {a!r} and {b!r}; the only addition rtn supports is the model "
                          "input added to the model output (a residual skip)")
    if b.is_input and not a.is_input:
        a, b = b, a
    if not a.is_input or b.is_input or alpha != 1:
        raise ExportError(f"{where}: {name}: the only addition rtn supports is the model input added to the "
                          "model output (a residual skip), as the last operation")
    if a.layout != BTC:
        raise ExportError(f"{where}: {name} adds the model input after transposing it")
    out = builder._consume(b, where, name)
    if out.layout != BTC:
        raise ExportError(f"{where}: {name} adds the model input {BTC} to a value in {BCT}; transpose it back "
                          "first")
    if builder.document.input_skip:
        raise ExportError(f"{where}: {name} adds the model input a second time")
    builder.document.input_skip = True
    return Stream(BTC, builder.version, skip_added=True)


def _fn_getitem(builder, where, name, args, kwargs):
    container, index = args[0], args[1]
    if isinstance(container, RecurrentResult):
        if index in (0, -2):
            return container.output
        if index in (1, -1):
            return HiddenState(container.where, container.kind == "lstm")
        raise ExportError(f"{where}: index {index!r} of the (output, hidden) tuple of {container.where}")
    if isinstance(container, HiddenState) and container.is_tuple and index in (0, 1, -1, -2):
        return HiddenState(container.where, False)
    if isinstance(container, Shape):
        return container.item(index, where, name)
    if isinstance(container, Stream):
        raise ExportError(f"{where}: indexing or slicing the signal ({index!r}) is not supported; rtn layers "
                          "process every channel of every frame")
    raise ExportError(f"{where}: unsupported indexing {index!r}")


def _fn_pad(builder, where, name, args, kwargs):
    pad = tuple(_arg(args, kwargs, 1, "pad", ()))
    mode = _arg(args, kwargs, 2, "mode", "constant")
    value = _arg(args, kwargs, 3, "value", None)
    if mode != "constant":
        raise ExportError(f"{where}: {name} with mode='{mode}'; rtn's causal convolution pads with zeros")
    return _pad_stream(builder, args[0], pad, float(value or 0.0), where, name)


_FUNCTION_HANDLERS: Dict[str, Callable] = {
    "tanh": _fn_activation("tanh"),
    "relu": _fn_activation("relu"),
    "sigmoid": _fn_activation("sigmoid"),
    "elu": _fn_elu,
    "leaky_relu": _fn_leaky_relu,
    "softmax": _fn_softmax,
    "transpose": _fn_transpose,
    "permute": _fn_permute,
    "contiguous": _fn_passthrough,
    "add": _fn_add,
    "getitem": _fn_getitem,
    "pad": _fn_pad,
    **FRAME_FUNCTIONS,
    **RESHAPE_FUNCTIONS,
}

# Python callables (fx call_function targets) and Tensor method names, to canonical operation names.
_FUNCTION_NAMES: Dict[Any, str] = {
    torch.tanh: "tanh", F.tanh: "tanh",
    torch.relu: "relu", F.relu: "relu",
    torch.sigmoid: "sigmoid", F.sigmoid: "sigmoid",
    F.elu: "elu", F.leaky_relu: "leaky_relu",
    torch.softmax: "softmax", F.softmax: "softmax",
    torch.transpose: "transpose", torch.permute: "permute",
    operator.add: "add", operator.iadd: "add", torch.add: "add",
    operator.getitem: "getitem",
    F.pad: "pad",
    torch.flatten: "flatten", torch.unsqueeze: "unsqueeze", torch.squeeze: "squeeze",
    torch.reshape: "reshape", builtins.getattr: "getattr", operator.mul: "mul", operator.floordiv: "floordiv",
    **({torch.unflatten: "unflatten"} if hasattr(torch, "unflatten") else {}),
}
_METHOD_NAMES = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "softmax": "softmax",
                 "transpose": "transpose", "permute": "permute", "contiguous": "contiguous", "add": "add",
                 "__add__": "add", "__getitem__": "getitem", **FRAME_METHODS, **RESHAPE_METHODS}


# --- torch.fx front end -------------------------------------------------------------------------------

@contextlib.contextmanager
def _reshape_records_traced_sizes():
    """torch.reshape(x, (b, t, -1)) with sizes read from x.shape: torch 1.13 parses the sizes before fx sees the
    call and fails on the proxies among them, so while tracing, torch.reshape records its call itself."""
    original = torch.reshape

    def reshape(input, shape):
        if isinstance(input, torch.fx.Proxy):
            return input.tracer.create_proxy("call_function", original, (input, shape), {})
        return original(input, shape)

    torch.reshape = reshape
    try:
        yield
    finally:
        torch.reshape = original


class _Unpacks:
    def __iter__(self):
        """`b, t, _ = x.shape`, `y, (h, c) = self.lstm(x)`: torch 1.13's fx looks for the unpacking at a wrong
        bytecode index on Python 3.11 (it counts cache entries that dis leaves out), so here it is found by its
        offset."""
        frame = inspect.currentframe().f_back  # the model's code
        instruction = next((item for item in dis.get_instructions(frame.f_code) if item.offset == frame.f_lasti), None)
        if instruction is not None and instruction.opname == "UNPACK_SEQUENCE":
            return iter([self[i] for i in range(instruction.argval)])
        return self.tracer.iter(self)


class _Attribute(_Unpacks, torch.fx.proxy.Attribute):
    """An attribute of a traced value, such as x.shape: it unpacks as the values do."""


class _Proxy(_Unpacks, torch.fx.Proxy):
    def __getattr__(self, name):
        return _Attribute(self, name)


class _Tracer(torch.fx.Tracer):
    def __init__(self):
        super().__init__()
        self.record_stack_traces = True

    def trace(self, root, concrete_args=None):
        with _reshape_records_traced_sizes():
            return super().trace(root, concrete_args)

    def proxy(self, node):
        return _Proxy(node, self)


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def _source_line(node: torch.fx.Node) -> str:
    """` (model.py:12: return torch.sin(x))` from the node's recorded stack, or ''."""
    trace = getattr(node, "stack_trace", None)
    if not trace:
        return ""
    lines = trace.splitlines()
    for i, line in enumerate(lines):
        text = line.strip()
        if "/torch/fx/" in text:  # the tracer itself: the frames after it are outside the model
            break
        if text.startswith("File ") and "/torch/" not in text and _PACKAGE_DIR not in text:
            try:
                file_part, line_part = text.split(", line ")
                number = line_part.split(",")[0]
                path = file_part[len('File "'):-1]
            except ValueError:
                continue
            code = lines[i + 1].strip() if i + 1 < len(lines) else ""
            return f" ({os.path.basename(path)}:{number}{': ' + code if code else ''})"
    return ""


def _node_where(node: torch.fx.Node) -> str:
    if node.op == "call_module":
        return f"layer '{node.target}'{_source_line(node)}"
    return f"fx node '{node.name}'{_source_line(node)}"


def _function_name(node: torch.fx.Node) -> Tuple[Optional[str], str]:
    """(canonical name or None, display name) of a call_function / call_method node."""
    if node.op == "call_method":
        return _METHOD_NAMES.get(node.target), f"Tensor.{node.target}"
    target = node.target
    try:
        canonical = _FUNCTION_NAMES.get(target)
    except TypeError:  # unhashable target
        canonical = None
    return canonical, qualified_name(target)


def _live_nodes(graph: torch.fx.Graph) -> set:
    """Nodes the output depends on (unused results such as an LSTM's (h, c) are not operations)."""
    live, stack = set(), [node for node in graph.nodes if node.op == "output"]
    while stack:
        node = stack.pop()
        if node in live:
            continue
        live.add(node)
        stack.extend(node.all_input_nodes)
    return live


def replay_fx(module: nn.Module, builder: TorchChainBuilder) -> None:
    tracer = _Tracer()
    try:
        graph = tracer.trace(module)
    except Exception as error:  # fx raises many kinds of errors for untraceable code
        raise ExportError(f"cannot trace {type(module).__name__}.forward with torch.fx ({type(error).__name__}: "
                          f"{error}); rtn exports forward functions that chain layers without data-dependent "
                          "control flow. A TorchScript module (torch.jit.script/trace) may be exported "
                          "instead") from error
    live = _live_nodes(graph)
    values: Dict[torch.fx.Node, Any] = {}

    def resolve(argument):
        return torch.fx.node.map_arg(argument, lambda node: values[node])

    for node in graph.nodes:
        if node not in live and node.op != "placeholder":
            continue
        where = _node_where(node)
        if node.op == "placeholder":
            if node in live:
                values[node] = builder.placeholder()
            elif not node.args:  # unused input without a default
                raise ExportError(f"the model's forward takes an argument '{node.target}' that it does not use")
            continue
        args, kwargs = resolve(node.args), resolve(node.kwargs)
        if node.op == "output":
            builder.output(args[0], f"the output ({where})")
        elif node.op == "call_module":
            values[node] = builder.call_module(tracer.root.get_submodule(node.target), where, args, kwargs)
        elif node.op in ("call_function", "call_method"):
            canonical, display = _function_name(node)
            if canonical is None:
                raise ExportError(f"unsupported operation {display} at {where}")
            values[node] = builder.call_function(canonical, where, args, kwargs)
        elif node.op == "get_attr":
            raise ExportError(f"unsupported operation: reading the attribute '{node.target}' at {where} "
                              "(parameters must belong to supported layers)")
        else:  # pragma: no cover - fx has no other node kinds
            raise ExportError(f"unsupported fx node kind {node.op} at {where}")
    if builder.input is None:
        raise ExportError("the model does not use its input")


# --- Public entry -------------------------------------------------------------------------------------

def export_torch(module: nn.Module, path, *, sample_rate: float = 48000, name: Optional[str] = None,
                 input_channels: Optional[int] = None, metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Writes `module` as an rtn JSON v1 model file at `path` and returns the document.

    `module` maps (batch, time, channels) to (batch, time, channels_out). Python modules are traced with
    torch.fx; TorchScript modules (torch.jit.script / torch.jit.trace / torch.jit.load) are read from
    their graph. The inference behaviour is exported (BatchNorm with running statistics) whatever the
    module's training flag. `input_channels` is needed only when no layer tells it (e.g. activations
    alone, or x.unsqueeze(1) of the input into a Conv2d). Raises ExportError for anything rtn cannot run,
    naming the operation and where it is.
    """
    if input_channels is not None and (not isinstance(input_channels, int) or input_channels < 1):
        raise ExportError(f"input_channels={input_channels!r}: a model takes at least one channel")
    document = ModelDocument(name=name or default_name(path), sample_rate=sample_rate,
                             input_channels=input_channels,
                             metadata={"source": f"torch {torch.__version__}", **(metadata or {})})
    builder = TorchChainBuilder(document)
    if isinstance(module, torch.jit.ScriptModule):
        from .torchscript import replay_torchscript
        replay_torchscript(module, builder)
    elif isinstance(module, nn.Module):
        with torch.no_grad():
            replay_fx(module, builder)
    else:
        raise ExportError(f"export_torch needs a torch.nn.Module, got {type(module).__name__}")
    return document.write(path)
