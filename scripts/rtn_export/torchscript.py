"""TorchScript front end: replays a ScriptModule's forward graph into a TorchChainBuilder.

torch.jit.script and torch.jit.trace both keep submodule calls as `prim::CallMethod` on the module
attribute, so the graph is walked at module granularity: a torch.nn layer that rtn supports becomes an
eager module again (hyper-parameters from its attributes when it was scripted, else from the aten call
in its traced graph; weights from its state dict) and goes through the same checks as the torch.fx
path; any other module is entered and its own graph walked.
"""
from __future__ import annotations

import re
from typing import Any, Dict, List, Optional

import torch
import torch.nn as nn

from .document import ExportError
from .torch_export import RecurrentResult, TorchChainBuilder

# aten operations (and prim::CallFunction names of F.*) with their canonical operation names, as
# TorchChainBuilder.call_function knows them.
_ATEN = {
    "aten::tanh": "tanh", "aten::tanh_": "tanh", "aten::relu": "relu", "aten::relu_": "relu",
    "aten::sigmoid": "sigmoid", "aten::sigmoid_": "sigmoid", "aten::elu": "elu", "aten::elu_": "elu",
    "aten::leaky_relu": "leaky_relu", "aten::leaky_relu_": "leaky_relu", "aten::softmax": "softmax",
    "aten::transpose": "transpose", "aten::permute": "permute", "aten::contiguous": "contiguous",
    "aten::add": "add", "aten::add_": "add", "aten::pad": "pad", "aten::constant_pad_nd": "constant_pad_nd",
    "aten::flatten": "flatten", "aten::unflatten": "unflatten", "aten::unsqueeze": "unsqueeze",
    "aten::squeeze": "squeeze", "aten::reshape": "reshape", "aten::view": "view", "aten::size": "size",
    # Sizes computed for a reshape: int arithmetic when scripted, 0-d tensors (prim::NumToTensor) when traced.
    "aten::mul": "mul", "aten::floordiv": "floordiv", "aten::floor_divide": "floordiv", "aten::Int": "size_value",
    "prim::NumToTensor": "size_value",
}
_CALL_FUNCTION = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "elu": "elu",
                  "leaky_relu": "leaky_relu", "softmax": "softmax", "pad": "pad", "_pad": "pad"}

# Dropout does nothing at inference: it is exported as an Identity, i.e. left out.
_DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")
_CONVOLUTIONS = {"Conv1d": nn.Conv1d, "Conv2d": nn.Conv2d, "ConvTranspose1d": nn.ConvTranspose1d}
_BATCHNORMS = {"BatchNorm1d": nn.BatchNorm1d, "BatchNorm2d": nn.BatchNorm2d}
_SUPPORTED_LEAVES = ("Linear", "LSTM", "GRU", "Tanh", "ReLU", "Sigmoid", "ELU", "LeakyReLU", "Softmax", "PReLU",
                     "Identity", "ConstantPad1d", "MaxPool1d", "AvgPool1d", "Flatten", "Unflatten",
                     *_CONVOLUTIONS, *_BATCHNORMS) + _DROPOUTS


def _type_name(value: torch._C.Value) -> str:
    """torch.nn.Dropout for `__torch__.torch.nn.modules.dropout.___torch_mangle_3.Dropout`."""
    name = value.type().str()
    name = re.sub(r"^__torch__\.", "", name)
    name = re.sub(r"___torch_mangle_\d+\.", "", name)
    return re.sub(r"^torch\.nn\.modules\.[a-z_]+\.", "torch.nn.", name)


def _source(node: torch._C.Node) -> str:
    """` (model.py:12: return torch.sin(x))` for a node, or ''."""
    try:
        text = node.sourceRange()
    except Exception:  # noqa: BLE001 - not every build has source ranges
        return ""
    lines = text.splitlines()
    match = re.search(r'File "([^"]+)", line (\d+)', text)
    # Inside torch (e.g. Sequential.forward), its builtins (<string>) or the code TorchScript wrote for a traced
    # module (___torch_mangle_N.py): not the model's own code.
    if match and ("/torch/" in match.group(1) or re.search(r"(^<string>|___torch_mangle_\d+\.py)$", match.group(1))):
        return ""
    if match:
        # "line N" is where the highlighted range starts: the code line right above the first "<--- HERE".
        for i, line in enumerate(lines):
            if "<--- HERE" in line and i >= 2:
                return f" ({match.group(1).rsplit('/', 1)[-1]}:{match.group(2)}: {lines[i - 1].strip()})"
        return f" ({match.group(1).rsplit('/', 1)[-1]}:{match.group(2)})"
    match = re.search(r"([^/\s]+\.py):(\d+)", text)
    return f" ({match.group(1)}:{match.group(2)})" if match else ""


def _constant(value: torch._C.Value) -> Any:
    node = value.node()
    kind = node.kind()
    if kind == "prim::Constant":
        if not node.hasAttribute("value"):
            return None
        if hasattr(value, "toIValue"):
            return value.toIValue()
        attribute = node.kindOf("value")
        return {"i": node.i, "f": node.f, "s": node.s, "t": node.t, "ival": node.ival}[attribute]("value")
    if kind == "prim::ListConstruct":
        return [_constant(item) for item in node.inputs()]
    raise _NotConstant(kind)


class _NotConstant(Exception):
    pass


def _is_plain(value: Any) -> bool:
    """A number, string, None or a tuple/list of them: a module attribute that is a hyper-parameter."""
    if isinstance(value, (tuple, list)):
        return all(_is_plain(item) for item in value)
    return value is None or isinstance(value, (bool, int, float, str))


class _ModuleRef:
    def __init__(self, module: torch.jit.ScriptModule, path: str):
        self.module = module
        self.path = path


def _find_node(graph: torch._C.Graph, kinds) -> Optional[torch._C.Node]:
    for node in graph.nodes():
        if node.kind() in kinds:
            return node
    return None


def _graph_argument(module, kinds, index: int, what: str, where: str) -> Any:
    """Argument `index` of the first aten call of `kinds` in a traced leaf module's graph."""
    node = _find_node(module.graph, kinds)
    if node is None:
        raise ExportError(f"{where}: cannot read {what} of this TorchScript {module.original_name}: neither "
                          f"an attribute nor a {'/'.join(kinds)} call in its graph")
    try:
        return _constant(list(node.inputs())[index])
    except _NotConstant:
        raise ExportError(f"{where}: {what} of {module.original_name} is not a constant in its graph") from None


def _attribute(module, name: str, kinds, index: int, where: str) -> Any:
    try:
        return getattr(module, name)
    except AttributeError:  # traced modules keep parameters, not Python attributes
        return _graph_argument(module, kinds, index, name, where)


# Where a traced convolution's hyper-parameters sit in the aten call it recorded (PyTorch's signatures).
_CONVOLUTION_ARGUMENTS = {
    "aten::_convolution": {"stride": 3, "padding": 4, "dilation": 5, "output_padding": 7, "groups": 8},
    "aten::_convolution_mode": {"stride": 3, "padding": 4, "dilation": 5, "groups": 6},  # padding='same'
    "aten::conv1d": {"stride": 3, "padding": 4, "dilation": 5, "groups": 6},
    "aten::conv2d": {"stride": 3, "padding": 4, "dilation": 5, "groups": 6},
    "aten::conv_transpose1d": {"stride": 3, "padding": 4, "output_padding": 5, "groups": 6, "dilation": 7},
}
_CONVOLUTION_HYPER_PARAMETERS = ("stride", "padding", "dilation", "groups", "padding_mode", "output_padding")


def _traced_convolution(module, where: str) -> Dict[str, Any]:
    """A traced convolution's hyper-parameters, from the aten calls its forward recorded.

    A padding_mode other than 'zeros' is traced as an aten::pad in that mode before a convolution without
    padding: it is read back as the module's padding and padding_mode, so that the checks refuse it as they
    refuse the Python module. Any other operation in the graph is refused rather than guessed."""
    calls = [node for node in module.graph.nodes() if not node.kind().startswith("prim::")]
    convolutions = [node for node in calls if node.kind() in _CONVOLUTION_ARGUMENTS]
    pads = [node for node in calls if node.kind() == "aten::pad"]
    if len(convolutions) != 1 or len(calls) != 1 + len(pads) or len(pads) > 1:
        raise ExportError(f"{where}: this traced {module.original_name} computes "
                          f"{', '.join(node.kind() for node in calls) or 'nothing'}; rtn reads one convolution "
                          "(after a padding) from a traced convolution's graph")
    node = convolutions[0]
    inputs = list(node.inputs())
    try:
        hyper = {name: _constant(inputs[index]) for name, index in _CONVOLUTION_ARGUMENTS[node.kind()].items()}
        hyper["padding_mode"] = "zeros"
        if pads:  # F.pad(x, the module's _reversed_padding_repeated_twice, mode=padding_mode)
            pad, mode = (_constant(value) for value in list(pads[0].inputs())[1:3])
            hyper["padding"], hyper["padding_mode"] = tuple(pad[::-2]), mode
    except _NotConstant:
        raise ExportError(f"{where}: a hyper-parameter of this traced {module.original_name} is not a constant "
                          "in its graph") from None
    return hyper


def _eager_convolution(module, cls: type, state: Dict[str, torch.Tensor], where: str) -> nn.Module:
    """The torch.nn convolution with a scripted module's attributes or a traced one's recorded arguments."""
    if hasattr(module, "stride"):  # scripted (also once saved and loaded): the Python attributes are kept
        hyper = {name: getattr(module, name) for name in _CONVOLUTION_HYPER_PARAMETERS if hasattr(module, name)}
    else:
        hyper = _traced_convolution(module, where)
    weight, groups = state["weight"], int(hyper["groups"])
    transposed = cls is nn.ConvTranspose1d  # weight [in][out / groups][k...], else [out][in / groups][k...]
    in_channels = weight.shape[0] if transposed else weight.shape[1] * groups
    out_channels = weight.shape[1] * groups if transposed else weight.shape[0]
    eager = cls(in_channels, out_channels, tuple(weight.shape[2:]), stride=tuple(hyper["stride"]),
                dilation=tuple(hyper["dilation"]), groups=groups, bias="bias" in state)
    # Set after construction: PyTorch's constructor refuses some of these (padding='same' with a stride), and
    # the exporter's handlers must see them to refuse them with rtn's reason.
    padding = hyper["padding"]
    eager.padding = padding if isinstance(padding, str) else tuple(int(p) for p in padding)
    eager.padding_mode = hyper.get("padding_mode", "zeros")
    if "output_padding" in hyper and transposed:
        eager.output_padding = tuple(int(p) for p in hyper["output_padding"])
    return eager


def _eager_leaf(module: torch.jit.ScriptModule, where: str) -> nn.Module:
    """The eager torch.nn layer equivalent to a scripted or traced one."""
    kind = module.original_name
    state = dict(module.state_dict())
    if kind == "Linear":
        out_features, in_features = state["weight"].shape
        eager = nn.Linear(in_features, out_features, bias="bias" in state)
    elif kind in _CONVOLUTIONS:
        eager = _eager_convolution(module, _CONVOLUTIONS[kind], state, where)
    elif kind in ("LSTM", "GRU"):
        call = ("aten::lstm",) if kind == "LSTM" else ("aten::gru",)
        num_layers = _attribute(module, "num_layers", call, 4, where)
        bidirectional = _attribute(module, "bidirectional", call, 7, where)
        batch_first = _attribute(module, "batch_first", call, 8, where)
        if any(name.startswith("weight_hr") for name in state):
            raise ExportError(f"{where}: torch.nn.LSTM with proj_size, which rtn does not support")
        if bidirectional:
            raise ExportError(f"{where}: torch.nn.{kind} is bidirectional; rtn runs causal, unidirectional "
                              "recurrent layers")
        hidden_size = state["weight_hh_l0"].shape[1]
        input_size = state["weight_ih_l0"].shape[1]
        cls = nn.LSTM if kind == "LSTM" else nn.GRU
        eager = cls(input_size, hidden_size, num_layers=num_layers, bias="bias_ih_l0" in state,
                    batch_first=batch_first)
    elif kind in _BATCHNORMS:
        eps = _attribute(module, "eps", ("aten::batch_norm",), 7, where)
        # Without running statistics there may be no state to size it: the handler refuses it before that matters.
        tracking = "running_mean" in state
        features = next((state[name].shape[0] for name in ("running_mean", "weight") if name in state), 1)
        eager = _BATCHNORMS[kind](features, eps=eps, affine="weight" in state, track_running_stats=tracking)
    elif kind in ("Tanh", "ReLU", "Sigmoid", "Identity"):
        eager = getattr(nn, kind)()
    elif kind in _DROPOUTS:
        eager = nn.Identity()
    elif kind == "ELU":
        eager = nn.ELU(alpha=_attribute(module, "alpha", ("aten::elu", "aten::elu_"), 1, where))
    elif kind == "LeakyReLU":
        eager = nn.LeakyReLU(_attribute(module, "negative_slope", ("aten::leaky_relu", "aten::leaky_relu_"), 1,
                                        where))
    elif kind == "Softmax":
        eager = nn.Softmax(dim=_attribute(module, "dim", ("aten::softmax",), 1, where))
    elif kind == "PReLU":
        eager = nn.PReLU(state["weight"].numel())
    elif kind == "MaxPool1d":
        call = ("aten::max_pool1d",)
        eager = nn.MaxPool1d(*(_attribute(module, name, call, index, where) for index, name in
                               enumerate(("kernel_size", "stride", "padding", "dilation", "ceil_mode"), 1)))
    elif kind == "AvgPool1d":
        call = ("aten::avg_pool1d",)
        eager = nn.AvgPool1d(*(_attribute(module, name, call, index, where) for index, name in
                               enumerate(("kernel_size", "stride", "padding", "ceil_mode", "count_include_pad"),
                                         1)))
    elif kind == "ConstantPad1d":
        padding = _attribute(module, "padding", ("aten::constant_pad_nd", "aten::pad"), 1, where)
        try:
            value = module.value
        except AttributeError:
            node = _find_node(module.graph, ("aten::constant_pad_nd", "aten::pad"))
            value = _constant(list(node.inputs())[2 if node.kind() == "aten::constant_pad_nd" else 3])
        eager = nn.ConstantPad1d(tuple(padding), float(value or 0.0))
    elif kind == "Flatten":
        call = ("aten::flatten",)
        eager = nn.Flatten(*(_attribute(module, name, call, index, where)
                             for index, name in enumerate(("start_dim", "end_dim"), 1)))
    elif kind == "Unflatten":
        call = ("aten::unflatten",)
        eager = nn.Unflatten(*(_attribute(module, name, call, index, where)
                               for index, name in enumerate(("dim", "unflattened_size"), 1)))
    else:  # pragma: no cover - guarded by _SUPPORTED_LEAVES
        raise AssertionError(kind)
    if state:
        eager.load_state_dict(state, strict=False)
    return eager.eval()


class _Walker:
    def __init__(self, builder: TorchChainBuilder):
        self.builder = builder

    def run(self, graph: torch._C.Graph, environment: Dict[torch._C.Value, Any], path: str) -> List[Any]:
        live = _live_nodes(graph)
        for node in graph.nodes():
            if node not in live:
                continue
            outputs = self.node(node, environment, path)
            if outputs is None:  # a constant: read where it is used
                continue
            for value, result in zip(node.outputs(), outputs):
                environment[value] = result
        return [environment[value] for value in graph.outputs()]

    def value(self, environment, value: torch._C.Value) -> Any:
        if value in environment:
            return environment[value]
        try:
            return _constant(value)
        except _NotConstant:
            raise ExportError(f"unsupported TorchScript value produced by {value.node().kind()}") from None

    def node(self, node: torch._C.Node, environment, path: str) -> List[Any]:
        kind = node.kind()
        inputs = list(node.inputs())
        where = f"TorchScript node %{node.outputsAt(0).debugName() if node.outputsSize() else '?'}{_source(node)}"
        if kind == "prim::Constant":
            return None
        if kind == "prim::ListConstruct":  # sizes and dims, which may hold a module's plain attributes
            return [[self.value(environment, value) for value in inputs]]
        if kind == "prim::ListUnpack":  # b, t, _ = x.shape
            source = self.value(environment, inputs[0])
            if not isinstance(source, (tuple, list)) or len(source) != node.outputsSize():
                raise ExportError(f"unsupported operation {kind} at {where}")
            return list(source)
        if kind == "prim::GetAttr":
            owner = environment[inputs[0]]
            name = node.s("name")
            if isinstance(owner, _ModuleRef):
                attribute = getattr(owner.module, name)
                child_path = f"{owner.path}.{name}" if owner.path else name
                if isinstance(attribute, torch.jit.ScriptModule):
                    return [_ModuleRef(attribute, child_path)]
                if _is_plain(attribute):  # e.g. self.features in x.unflatten(2, (self.features, self.channels))
                    return [attribute]
                raise ExportError(f"unsupported operation: reading the attribute '{child_path}'{_source(node)} "
                                  "(parameters must belong to supported layers)")
            raise ExportError(f"unsupported attribute access {name}{_source(node)}")
        if kind == "prim::CallMethod":
            target = environment[inputs[0]]
            if not isinstance(target, _ModuleRef) or not node.s("name").startswith("forward"):
                raise ExportError(f"unsupported operation: calling method {node.s('name')}{_source(node)}")
            args = [self.value(environment, value) for value in inputs[1:]]
            return [self.call_module(target, inputs[0], args, node)]
        if kind == "prim::TupleConstruct":
            return [tuple(self.value(environment, value) for value in inputs)]
        if kind == "prim::TupleUnpack":
            source = environment[inputs[0]]
            return [self.builder.call_function("getitem", where, [source, i], {}) for i in range(node.outputsSize())]
        if kind in ("prim::TupleIndex", "aten::__getitem__"):
            source, index = environment[inputs[0]], self.value(environment, inputs[1])
            return [self.builder.call_function("getitem", where, [source, index], {})]
        if kind == "prim::CallFunction":
            function = inputs[0].node()
            name = function.s("name") if function.hasAttribute("name") else "?"
            canonical = _CALL_FUNCTION.get(name)
            if canonical is None:
                raise ExportError(f"unsupported operation torch.nn.functional.{name} at {where}")
            args = [self.value(environment, value) for value in inputs[1:]]
            return [self.function(canonical, f"torch.nn.functional.{name}{_source(node)}", args, aten=False)]
        canonical = _ATEN.get(kind)
        if canonical is None:
            raise ExportError(f"unsupported operation {kind} at {where}")
        args = [self.value(environment, value) for value in inputs]
        return [self.function(canonical, where, args)]

    def function(self, canonical: str, where: str, args: List[Any], aten: bool = True) -> Any:
        if canonical == "elu":
            if aten and len(args) > 2 and (args[2] not in (None, 1, 1.0) or (len(args) > 3 and args[3] not in (None, 1, 1.0))):
                raise ExportError(f"{where}: elu with scale/input_scale other than 1 (selu?) is not supported")
            args = args[:2]
        elif canonical == "leaky_relu" or canonical in ("tanh", "relu", "sigmoid"):
            args = args[:2] if canonical == "leaky_relu" else args[:1]
        elif canonical == "softmax":
            args = args[:2]
        elif canonical == "contiguous":
            args = args[:1]
        elif canonical == "permute":
            args = [args[0], list(args[1])]
        elif canonical == "constant_pad_nd":
            canonical, args = "pad", [args[0], args[1], "constant", args[2] if len(args) > 2 else 0.0]
        return self.builder.call_function(canonical, where, args, {})

    def call_module(self, target: _ModuleRef, handle: torch._C.Value, args: List[Any], node: torch._C.Node) -> Any:
        module = target.module
        where = f"layer '{target.path}'{_source(node)}"
        display = _type_name(handle)
        if display.startswith("torch.nn.") and module.original_name in _SUPPORTED_LEAVES:
            eager = _eager_leaf(module, where)
            args = [arg for arg in args if arg is not None] or args
            result = self.builder.call_module(eager, where, args, {})
            if isinstance(result, RecurrentResult) and node.output().type().kind() != "TupleType":
                return result.output  # a traced call that kept only the output sequence
            return result
        if display.startswith("torch.nn.") and display not in ("torch.nn.Sequential", "torch.nn.ModuleList"):
            raise ExportError(f"unsupported operation {display} at {where}")
        graph = _method_graph(module, node.s("name"))
        graph_inputs = list(graph.inputs())
        environment: Dict[torch._C.Value, Any] = {graph_inputs[0]: target}
        if len(graph_inputs) - 1 != len(args):
            raise ExportError(f"{where}: calls {display} with {len(args)} arguments, its forward takes "
                              f"{len(graph_inputs) - 1}")
        for value, argument in zip(graph_inputs[1:], args):
            environment[value] = argument
        outputs = self.run(graph, environment, target.path)
        return outputs[0] if len(outputs) == 1 else tuple(outputs)


def _method_graph(module: torch.jit.ScriptModule, name: str) -> torch._C.Graph:
    method = getattr(module, name, None)
    if method is None or not hasattr(method, "graph"):
        return module.graph
    return method.graph


def _live_nodes(graph: torch._C.Graph) -> set:
    live, stack = set(), [value.node() for value in graph.outputs()]
    while stack:
        node = stack.pop()
        if node in live or node.kind() == "prim::Param":
            continue
        live.add(node)
        stack.extend(value.node() for value in node.inputs())
    return live


def replay_torchscript(module: torch.jit.ScriptModule, builder: TorchChainBuilder) -> None:
    graph = module.graph
    inputs = list(graph.inputs())
    if len(inputs) < 2:
        raise ExportError("the TorchScript module's forward takes no input")
    environment: Dict[torch._C.Value, Any] = {inputs[0]: _ModuleRef(module, "")}
    environment[inputs[1]] = builder.placeholder()
    for extra in inputs[2:]:
        if extra.uses():
            raise ExportError(f"the model's forward takes a second argument '{extra.debugName()}'; rtn models "
                              "take one input")
    walker = _Walker(builder)
    outputs = walker.run(graph, environment, "")
    result = outputs[0] if len(outputs) == 1 else tuple(outputs)
    builder.output(result, "the output")

