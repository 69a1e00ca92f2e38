"""reshape / view as the frame views of torch_frames.py, and the shape reads (x.shape, x.size) that size them.

Spectral models often write the change between a flat frame and a 2-D one as a reshape:

    b, t, _ = x.shape
    x.reshape(b, t, features, channels)          # = x.unflatten(2, (features, channels))
    x.view(x.size(0), x.size(1), -1)             # = x.flatten(2) of (batch, time, features, channels)
    x.view(b, 1, t, -1)                          # = x.unsqueeze(1) of (batch, time, features)
    torch.reshape(x, (b, t, features * 1))       # = x.squeeze(1) of (batch, 1, time, features)

A reshape regroups the floats in PyTorch's row-major order. rtn follows one only when that order is batch, then
time, then each frame's floats in rtn's order (features one after the other, the channels of a feature together),
before and after: between (batch, time, channels), (batch, time, features, channels) and (batch, 1, time,
features), keeping dim 0 the batch and the time whole. It is then replayed as the flatten, unflatten, squeeze and
unsqueeze it equals, with their checks. The batch and the time are sizes the export does not fix: they must be
read from the signal (x.shape[i], x.size(i)) or be the one -1; the frame's sizes are numbers (constants, sizes
read from the signal, products and quotients of them) or the -1.
"""
from __future__ import annotations

import math
from typing import Any, List, Sequence, Tuple, Union

import torch

from .document import ExportError
from .torch_export import BCT, BCTF, BTC, BTFC, Stream, _arg
from .torch_frames import _flatten, _squeeze, _unflatten, _unsqueeze, _view


class SignalSize:
    """A size read from the signal that the export leaves open: the batch, the time, or a width no layer tells."""

    def __init__(self, meaning: str):
        self.meaning = meaning

    def __eq__(self, other: Any) -> bool:
        return isinstance(other, SignalSize) and other.meaning == self.meaning

    def __hash__(self) -> int:
        return hash(self.meaning)

    def __repr__(self) -> str:
        return self.meaning


BATCH, TIME, WIDTH = SignalSize("batch"), SignalSize("time"), SignalSize("?")
Size = Union[int, SignalSize]


class Shape(tuple):
    """The signal's shape as x.shape and x.size() read it."""

    def item(self, index: Any, where: str, what: str) -> Any:
        if isinstance(index, slice):
            return Shape(self[index])
        if not isinstance(index, int) or not -len(self) <= index < len(self):
            raise ExportError(f"{where}: {what} reads size {index!r} of the {len(self)}-d signal {_show(self)}")
        return self[index]


def _shape_of(builder, stream: Stream) -> Shape:
    """The stream's shape: the batch and the time open, the frame's sizes as numbers (the width when known)."""
    if stream.grid:
        features, channels = stream.grid
        return Shape((BATCH, TIME, features, channels) if stream.layout == BTFC else (BATCH, channels, TIME, features))
    width = builder.document.channels_after(stream.version)
    width = WIDTH if width is None else width
    return Shape((BATCH, TIME, width) if stream.layout == BTC else (BATCH, width, TIME))


def _show(sizes: Sequence[Any]) -> str:
    return "(" + ", ".join(str(size) for size in sizes) + ")"


def _read_shape(builder, value: Any, where: str, what: str) -> Shape:
    stream = builder._stream(value, where, what)
    if stream.pad or any(stream.feature_pad):
        raise ExportError(f"{where}: {what} reads the shape of the signal padded at {stream.pad_where}, whose time "
                          "and features rtn does not keep; read it before the padding")
    return _shape_of(builder, stream)


def _number(value: Any) -> Any:
    """A size as a Python int: a traced graph computes sizes as 0-d integer tensors (prim::NumToTensor)."""
    if isinstance(value, torch.Tensor) and value.numel() == 1 and not value.is_floating_point():
        return int(value)
    return value


def _fn_getattr(builder, where, name, args, kwargs):
    if args[1] != "shape":
        raise ExportError(f"{where}: reading {args[1]!r} of the signal is not supported; rtn follows x.shape and "
                          "x.size() in a reshape")
    return _read_shape(builder, args[0], where, name)


def _fn_size(builder, where, name, args, kwargs):
    shape = _read_shape(builder, args[0], where, name)
    dim = _arg(args, kwargs, 1, "dim", None)
    return shape if dim is None else shape.item(dim, where, name)


def _fn_size_value(builder, where, name, args, kwargs):
    """int(size) and a traced size's tensor (prim::NumToTensor, aten::Int): the size itself."""
    value = _number(args[0])
    if not isinstance(value, (int, SignalSize)):
        raise ExportError(f"{where}: a number made of {value!r}: rtn reads only the signal's shape, not its values")
    return value


def _arithmetic(operation: str):
    def handler(builder, where, name, args, kwargs):
        a, b = (_number(value) for value in args[:2])
        if isinstance(a, Stream) or isinstance(b, Stream):
            raise ExportError(f"unsupported operation {name} of the signal at {where}; rtn computes only sizes (of "
                              "a reshape) from x.shape")
        if not all(isinstance(value, int) and not isinstance(value, bool) for value in (a, b)):
            raise ExportError(f"{where}: {name} of {a!r} and {b!r}: rtn computes a reshape's frame sizes from whole "
                              "numbers; the batch and the time pass through it as they are")
        if operation == "floordiv" and b == 0:
            raise ExportError(f"{where}: {name} of {a} by 0")
        return a * b if operation == "mul" else a // b
    return handler


def _requested_sizes(args: Sequence[Any], kwargs) -> List[Any]:
    """x.reshape(a, b, c), x.reshape((a, b, c)), torch.reshape(x, shape=(a, b, c))."""
    sizes = list(args[1:]) if len(args) > 1 else [kwargs.get("shape", ())]
    if len(sizes) == 1 and isinstance(sizes[0], (tuple, list)):
        sizes = list(sizes[0])
    return [_number(size) for size in sizes]


def _fn_reshape(builder, where, name, args, kwargs):
    return reshape(builder, args[0], _requested_sizes(args, kwargs), where, name)


def reshape(builder, value: Any, requested: List[Any], where: str, what: str) -> Stream:
    stream = _view(builder, value, where, what)
    source = _shape_of(builder, stream)
    shown = f"{what}{_show(requested)} of {stream.layout} = {_show(source)}"
    if any(not isinstance(size, (int, SignalSize)) or isinstance(size, bool) or (isinstance(size, int) and size < -1)
           or size == 0 for size in requested) or requested.count(-1) > 1:
        raise ExportError(f"{where}: {shown}: a new shape holds whole numbers of at least 1 and at most one -1")
    if len(requested) == len(source) and all(size in (wanted, -1) for size, wanted in zip(requested, source)):
        return stream  # the shape it has: nothing to do
    width = source[2] if stream.layout == BTC else None
    if stream.layout == BTFC:
        width = source[2] * source[3]
    elif stream.layout == BCTF and source[1] == 1:
        width = source[3]
    if width is None:
        mixes = "channels" if stream.layout == BCT else f"{source[1]} channels"
        back = "transpose(1, 2)" if stream.layout == BCT else f"permute(0, 2, 3, 1) into {BTFC}"
        raise ExportError(f"{where}: {shown}: each of its {mixes} holds a run of time steps, so the reshape would "
                          f"mix time with them; rtn follows reshapes of whole frames: {back} first")
    layout, frame = _target(requested, width, where, shown)
    flat = stream
    if stream.layout == BTFC:
        flat = _flatten(builder, stream, 2, 3, where, what)
    elif stream.layout == BCTF:
        flat = _squeeze(builder, stream, 1, where, what)
    if layout == BTFC:
        return _unflatten(builder, flat, 2, frame, where, what)
    if layout == BCTF:
        return _unsqueeze(builder, flat, 1, where, what, width=frame[0])
    return flat


def _target(requested: List[Any], width: Size, where: str, shown: str) -> Tuple[str, Tuple[int, ...]]:
    """The layout a new shape of a whole-frame signal gives, and its frame's sizes: (features, channels) for
    (batch, time, features, channels), (features,) for (batch, 1, time, features) and (channels,) for (batch,
    time, channels)."""
    times = [i for i, size in enumerate(requested) if size == TIME]
    opened = [i for i, size in enumerate(requested) if size == -1]
    time = times[0] if len(times) == 1 else (opened[0] if not times and opened and opened[0] > 0 else None)
    if requested and requested[0] not in (BATCH, -1) or BATCH in requested[1:]:
        raise ExportError(f"{where}: {shown}: dim 0 must stay the batch (x.shape[0], x.size(0) or -1); rtn never "
                          "mixes the batch with other dims")
    if time is None and opened == [0]:
        raise ExportError(f"{where}: {shown}: without the time read from the signal, the -1 in dim 0 merges the "
                          "batch with the time; keep both: x.shape[0] (or x.size(0)), x.shape[1], ...")
    if time is None or len(times) > 1:
        raise ExportError(f"{where}: {shown}: the time must stay whole, read from the signal (x.shape[i], "
                          "x.size(i)) or the -1, not a number: rtn streams any length")
    if len(requested) == 3 and time == 1:
        layout, frame_dims = BTC, [2]
    elif len(requested) == 4 and time == 1:
        layout, frame_dims = BTFC, [2, 3]
    elif len(requested) == 4 and time == 2:
        layout, frame_dims = BCTF, [3, 1]
    else:
        raise ExportError(f"{where}: {shown}: rtn follows reshapes into {BTC}, {BTFC} and {BCTF} of one channel")
    frame = [requested[i] for i in frame_dims]
    if WIDTH in frame or (isinstance(width, SignalSize) and -1 in frame):
        raise ExportError(f"{where}: {shown} needs the width of the model input, which no layer tells: give the "
                          "input channels (export_torch(..., input_channels=N), python -m rtn_export "
                          "--input-channels N)")
    if -1 in frame:
        others = math.prod(size for size in frame if size != -1)
        frame[frame.index(-1)] = width // others if width % others == 0 else -1
    if -1 in frame or (isinstance(width, int) and math.prod(frame) != width):
        raise ExportError(f"{where}: {shown}: a frame has {width} floats, which the new shape does not group in "
                          f"whole frames: the reshape would mix time with the frame's floats")
    if layout == BCTF and frame[1] != 1:
        raise ExportError(f"{where}: {shown}: rtn's frames are (features, channels) with the channels together; "
                          f"into {BCTF} of {frame[1]} channels use unflatten(2, (features, channels)) and "
                          "permute(0, 3, 1, 2)")
    return layout, tuple(frame[:1] if layout == BCTF else frame)


RESHAPE_FUNCTIONS = {"reshape": _fn_reshape, "view": _fn_reshape, "getattr": _fn_getattr, "size": _fn_size,
                     "size_value": _fn_size_value, "mul": _arithmetic("mul"), "floordiv": _arithmetic("floordiv")}
RESHAPE_METHODS = {"reshape": "reshape", "view": "view", "size": "size", "__mul__": "mul", "__floordiv__": "floordiv"}
