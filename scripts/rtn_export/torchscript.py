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
}
_CALL_FUNCTION = {"tanh": "tanh", "relu": "relu", "sigmoid": "sigmoid", "elu": "elu",
                  "leaky_relu": "leaky_relu", "softmax": "softmax", "pad": "pad", "_pad": "pad"}

# Dropout does nothing at inference: it is exported as an Identity, i.e. left out.
_DROPOUTS = ("Dropout", "Dropout1d", "Dropout2d", "Dropout3d", "AlphaDropout", "FeatureAlphaDropout")
_SUPPORTED_LEAVES = ("Linear", "Conv1d", "LSTM", "GRU", "BatchNorm1d", "Tanh", "ReLU", "Sigmoid", "ELU",
                     "LeakyReLU", "Softmax", "PReLU", "Identity", "ConstantPad1d", "MaxPool1d",
                     "AvgPool1d") + _DROPOUTS


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
    if match and "/torch/" in match.group(1):  # inside torch (e.g. Sequential.forward): not the model's code
        return ""
    if match:
        for i, line in enumerate(lines):
            if "<--- HERE" in line and i >= 2:
                number = int(match.group(2)) + (i - 2)
                return f" ({match.group(1).rsplit('/', 1)[-1]}:{number}: {lines[i - 1].strip()})"
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


def _eager_leaf(module: torch.jit.ScriptModule, where: str) -> nn.Module:
    """The eager torch.nn layer equivalent to a scripted or traced one."""
    kind = module.original_name
    state = dict(module.state_dict())
    if kind == "Linear":
        out_features, in_features = state["weight"].shape
        eager = nn.Linear(in_features, out_features, bias="bias" in state)
    elif kind == "Conv1d":
        conv = ("aten::_convolution", "aten::conv1d")
        stride = _attribute(module, "stride", conv, 3, where)
        padding = _attribute(module, "padding", conv, 4, where)
        dilation = _attribute(module, "dilation", conv, 5, where)
        try:
            groups = module.groups
        except AttributeError:
            node = _find_node(module.graph, conv)
            groups = _constant(list(node.inputs())[8 if node.kind() == "aten::_convolution" else 6])
        out_channels, per_group, kernel_size = state["weight"].shape
        eager = nn.Conv1d(per_group * groups, out_channels, kernel_size, stride=stride, dilation=dilation,
                          groups=groups, bias="bias" in state)
        eager.padding = padding if isinstance(padding, str) else tuple(padding)
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
    elif kind == "BatchNorm1d":
        eps = _attribute(module, "eps", ("aten::batch_norm",), 7, where)
        features = state["running_mean"].shape[0] if "running_mean" in state else None
        if features is None:
            raise ExportError(f"{where}: torch.nn.BatchNorm1d has track_running_stats=False, so it normalises "
                              "with the statistics of each batch; rtn needs running statistics")
        eager = nn.BatchNorm1d(features, eps=eps, affine="weight" in state)
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
        if kind in ("prim::Constant", "prim::ListConstruct"):
            return None
        if kind == "prim::GetAttr":
            owner = environment[inputs[0]]
            name = node.s("name")
            if isinstance(owner, _ModuleRef):
                attribute = getattr(owner.module, name)
                child_path = f"{owner.path}.{name}" if owner.path else name
                if isinstance(attribute, torch.jit.ScriptModule):
                    return [_ModuleRef(attribute, child_path)]
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

