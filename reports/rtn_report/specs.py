"""Layer specs as rtn prints them (LayerSpec::to_string, e.g. `lstm(in=1,hidden=40,layers=1,bias=1)`):
their kind, parameters, a short label for plots and the FLOPs per sample, computed as
LayerSpec::flops_per_frame does (engine/src/layer_spec.cpp) so that percentages of peak agree with `rtn info`.
"""
import re

_SPEC = re.compile(r"^([a-z_0-9]+)\((.*)\)$")
_RECURRENT_GATES = {"gru": 3, "lstm": 4}


def parse(spec):
    """'dense(in=8,out=8,bias=1)' -> ('dense', {'in': 8.0, 'out': 8.0, 'bias': 1.0}); None if not a spec."""
    match = _SPEC.match(spec.strip())
    if not match:
        return None
    kind, body = match.groups()
    parameters = {}
    if kind == "wavenet":  # its architecture is nested text: keep it whole
        return kind, {"architecture": body}
    for part in filter(None, body.split(",")):
        if "=" not in part:
            return None
        key, value = part.split("=", 1)
        try:
            parameters[key] = float(value)
        except ValueError:
            parameters[key] = value
    return kind, parameters


def kind_of(spec):
    parsed = parse(spec)
    return parsed[0] if parsed else None


def flops_per_sample(spec):
    """FLOPs per frame of one layer spec, or None when it cannot be computed here (wavenet, unknown)."""
    parsed = parse(spec)
    if not parsed:
        return None
    kind, p = parsed
    try:
        if kind == "dense":
            return 2 * p["in"] * p["out"] + (p["out"] if p.get("bias", 1) else 0)
        if kind == "conv1d":
            groups = p.get("groups", 1)
            return 2 * p["out"] * (p["in"] // groups) * p["kernel"] + (p["out"] if p.get("bias", 1) else 0)
        if kind == "conv2d":
            outputs = _conv2d_output_features(p) * p["out"]
            groups = p.get("groups", 1)
            taps = p["kernel"] * p["kernel_features"]
            return 2 * outputs * (p["in"] // groups) * taps + (outputs if p.get("bias", 1) else 0)
        if kind == "batchnorm2d":
            return 2 * p["channels"] * p["features"]
        if kind in _RECURRENT_GATES:
            hidden = p["hidden"]
            gates = _RECURRENT_GATES[kind] * hidden
            total = 0.0
            for layer in range(int(p.get("layers", 1))):
                layer_in = p["in"] if layer == 0 else hidden
                total += 2 * gates * (layer_in + hidden) + (2 * gates if p.get("bias", 1) else 0) + gates + 5 * hidden
            return total
        if kind == "wavenet":
            return None
        channels = p["channels"]
        if kind == "batchnorm1d":
            return 2 * channels
        if kind == "softmax":
            return 4 * channels
        return 2 * channels
    except (KeyError, TypeError):
        return None


def _integer(value):
    return str(int(value)) if isinstance(value, float) and value.is_integer() else str(value)


def label(spec):
    """A short label of the shape within its kind, for plot axes: '40→1', '16 k3 d2', '1→40 ×2', '32'."""
    parsed = parse(spec)
    if not parsed:
        return spec
    kind, p = parsed
    if kind == "dense":
        return f"{_integer(p.get('in'))}→{_integer(p.get('out'))}"
    if kind == "conv1d":
        text = f"{_integer(p.get('in'))}→{_integer(p.get('out'))} k{_integer(p.get('kernel'))} d{_integer(p.get('dilation', 1))}"
        if p.get("groups", 1) != 1:
            text += f" g{_integer(p['groups'])}"
        return text
    if kind in _RECURRENT_GATES:
        text = f"{_integer(p.get('in'))}→{_integer(p.get('hidden'))}"
        if p.get("layers", 1) != 1:
            text += f" ×{_integer(p['layers'])}"
        return text
    if kind == "wavenet":
        return "wavenet"
    if kind == "conv2d":
        text = (f"{_integer(p.get('features'))}×{_integer(p.get('in'))}→"
                f"{_integer(_conv2d_output_features(p))}×{_integer(p.get('out'))} "
                f"k{_integer(p.get('kernel'))}×{_integer(p.get('kernel_features'))} d{_integer(p.get('dilation', 1))}")
        if p.get("stride", 1) != 1:
            text += f" s{_integer(p['stride'])}"
        if p.get("same", 0):
            text += " same"
        if p.get("groups", 1) != 1:
            text += f" g{_integer(p['groups'])}"
        return text
    if kind == "batchnorm2d":
        return f"{_integer(p.get('features', '?'))}×{_integer(p.get('channels', '?'))}"
    return _integer(p.get("channels", "?"))


def _conv2d_output_features(p):
    """As rtn's conv2d_output_features(): ceil(features / stride) with same padding, else valid."""
    features, stride = int(p["features"]), int(p.get("stride", 1))
    if p.get("same", 0):
        return -(-features // stride)
    return (features - int(p["kernel_features"])) // stride + 1


def size_of(spec):
    """A number to order shapes of one kind by: the FLOPs per sample, else 0."""
    flops = flops_per_sample(spec)
    return flops if flops is not None else 0.0
