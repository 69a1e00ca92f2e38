"""TensorFlow 2 / Keras -> rtn JSON v1.

The model maps (batch, time, channels) to (batch, time, channels_out): a Sequential model, or a
functional one whose layers form a chain, optionally ending with `Add()([model_input, x])` (the residual
skip of amp models). Keras's weight layouts and gate orders are converted to rtn's (PyTorch's):

- Dense kernel [in][out] -> weight [out][in].
- Conv1D kernel [k][in/groups][out] -> weight [out][in/groups][k]. Keras and PyTorch both correlate
  (no kernel flip). padding='causal' is rtn's causal conv exactly; padding='valid' is the same
  computation without the zero-history warm-up (Keras's output i is rtn's output i + (k - 1)·dilation),
  so it is exported the same way; padding='same' looks ahead and is refused. strides s: rtn's decimating
  conv1d (docs/strided-convolutions.md); with padding='causal' Keras's outputs are rtn's, with 'valid' they
  are shifted by (k - 1)·dilation / s outputs (refused when s does not divide (k - 1)·dilation).
- LSTM kernel [in][4H], recurrent_kernel [H][4H], gates i, f, c, o (= PyTorch's i, f, g, o); one bias
  [4H] -> bias_ih, with bias_hh zeros.
- GRU gates z, r, h -> PyTorch's r, z, n. reset_after=True (TF2's default): bias [2][3H] = input and
  recurrent biases, PyTorch's own formulation. reset_after=False (TF1 / old Keras): bias [3H] ->
  bias_ih, zeros for bias_hh, and the layer gets "reset_after": false.
- BatchNormalization (last axis): gamma/beta (ones/zeros when scale/center is False), moving_mean,
  moving_variance, epsilon -> batchnorm1d, or batchnorm2d on 4-D (batch, time, features, channels) tensors.
- Conv2D on (batch, time, features, channels) -> conv2d, streaming over time: kernel [kt][kf][in/groups][out]
  -> weight [out][in/groups][kt][kf]; strides (1, s); dilation_rate (d, 1). Along time it is computed
  causally, like Conv1D's padding='valid' (Keras's output i is rtn's output i + (kt - 1)·d); padding='same'
  pads features as rtn's same_padding, and is refused when it would also look ahead along time (kt > 1).
  A frame is the features x channels grid flattened as Keras lays it out (channels fastest), so a Reshape
  between (time, features, channels) and (time, features·channels) is no operation at all.
- Activations: fused `activation=` on Dense/Conv1D/RNNs and Activation/ReLU/LeakyReLU/ELU/Softmax/PReLU
  layers. PReLU alpha must be shared over time (shared_axes=[1]): one slope per channel, or one in all.
"""
from __future__ import annotations

from typing import Any, Dict, List, Optional

import numpy

from .document import ExportError, Layer, ModelDocument, default_name


def _keras():
    try:
        import keras
        return keras
    except ImportError:  # TensorFlow 2 before Keras 3
        from tensorflow import keras
        return keras


def _array(variable) -> numpy.ndarray:
    if variable is None:
        return None
    if hasattr(variable, "numpy"):
        return numpy.asarray(variable.numpy(), dtype=numpy.float32)
    return numpy.asarray(variable, dtype=numpy.float32)


def _class(layer) -> str:
    return type(layer).__name__


def _where(layer) -> str:
    return f"layer '{layer.name}' ({_class(layer)})"


def _activation_name(value) -> str:
    """'relu' for 'relu', keras.activations.relu, or a serialised {'class_name': 'relu'}."""
    if value is None:
        return "linear"
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("config", value.get("class_name", "?")))
    return getattr(value, "__name__", repr(value))


# Keras activation names -> rtn layer (type, params); "linear" adds nothing.
_ACTIVATIONS = {
    "linear": None,
    "tanh": ("tanh", {}),
    "relu": ("relu", {}),
    "sigmoid": ("sigmoid", {}),
    "elu": ("elu", {"alpha": 1.0}),
    "softmax": ("softmax", {}),
    "leaky_relu": ("leaky_relu", {"negative_slope": 0.2}),  # keras.activations.leaky_relu's default
}


class KerasChain:
    """Turns Keras layers, in chain order, into rtn layers."""

    def __init__(self, document: ModelDocument):
        self.document = document

    def add(self, rtn_type: str, params: Dict[str, Any], weights: Dict[str, Any], layer) -> None:
        self.document.add(Layer(rtn_type, params, weights, source=_where(layer)))

    def activation(self, value, layer, what: str = "activation") -> None:
        name = _activation_name(value)
        if name not in _ACTIVATIONS:
            raise ExportError(f"unsupported operation: {what} '{name}' at {_where(layer)}; rtn has "
                              f"{', '.join(sorted(n for n in _ACTIVATIONS if n != 'linear'))}")
        mapped = _ACTIVATIONS[name]
        if mapped is not None:
            self.add(mapped[0], dict(mapped[1]), {}, layer)

    # Layers ----------------------------------------------------------------------------------------
    _INFERENCE_IDENTITIES = ("Dropout", "SpatialDropout1D", "AlphaDropout", "GaussianDropout", "GaussianNoise")

    def layer(self, layer) -> None:
        name = _class(layer)
        handler = getattr(self, f"_{name}", None)
        if name in self._INFERENCE_IDENTITIES:
            return  # dropout and noise layers do nothing at inference
        if handler is None:
            raise ExportError(f"unsupported operation keras.layers.{name} at layer '{layer.name}'")
        handler(layer, layer.get_config())

    def _InputLayer(self, layer, config):
        pass

    def _Dense(self, layer, config):
        kernel = _array(layer.kernel)
        weights = {"weight": kernel.T}
        if config.get("use_bias", True):
            weights["bias"] = _array(layer.bias)
        self.add("dense", {"in_features": kernel.shape[0], "out_features": kernel.shape[1],
                           "bias": bool(config.get("use_bias", True))}, weights, layer)
        self.activation(config.get("activation"), layer)

    def _TimeDistributed(self, layer, config):
        inner = layer.layer
        if _class(inner) != "Dense":
            raise ExportError(f"unsupported operation keras.layers.TimeDistributed({_class(inner)}) at "
                              f"layer '{layer.name}'")
        self._Dense(inner, inner.get_config())

    def _Conv1D(self, layer, config):
        where = _where(layer)
        if config.get("data_format", "channels_last") != "channels_last":
            raise ExportError(f"{where}: data_format='{config['data_format']}'; rtn models are channels_last "
                              "(batch, time, channels)")
        padding = config.get("padding", "valid")
        if padding not in ("causal", "valid"):
            raise ExportError(f"{where}: padding='{padding}' looks at future samples; rtn's conv1d is causal: "
                              "use padding='causal' (or 'valid')")
        dilation = int(tuple(config.get("dilation_rate", (1,)))[0])
        stride = int(tuple(config.get("strides", (1,)))[0])
        size = int(tuple(config.get("kernel_size", (1,)))[0])
        if stride != 1 and padding == "valid" and (size - 1) * dilation % stride:
            # Keras's output m ends at input m*stride + (k-1)*d, rtn's (a decimating conv1d) at m*stride: the
            # same frames shifted only when the stride divides (k-1)*d.
            raise ExportError(f"{where}: strides=({stride},) with padding='valid': Keras's outputs end on input "
                              f"frames (kernel_size - 1) * dilation_rate = {(size - 1) * dilation} after a "
                              f"multiple of {stride}, rtn's strided conv1d on the multiples themselves; use "
                              "padding='causal'")
        groups = int(config.get("groups", 1))
        kernel = _array(layer.kernel)  # [k][in/groups][out]
        size, per_group, out_channels = kernel.shape
        weights = {"weight": numpy.transpose(kernel, (2, 1, 0))}
        if config.get("use_bias", True):
            weights["bias"] = _array(layer.bias)
        params = {"in_channels": per_group * groups, "out_channels": out_channels, "kernel_size": size,
                  "dilation": dilation, "groups": groups, "bias": bool(config.get("use_bias", True))}
        if stride != 1:  # a decimating layer (docs/strided-convolutions.md)
            params["stride"] = stride
        self.add("conv1d", params, weights, layer)
        self.activation(config.get("activation"), layer)

    def _Conv2D(self, layer, config):
        where = _where(layer)
        if config.get("data_format", "channels_last") != "channels_last":
            raise ExportError(f"{where}: data_format='{config['data_format']}'; rtn's conv2d takes "
                              "(batch, time, features, channels)")
        time_stride, stride = (int(s) for s in config.get("strides", (1, 1)))
        if time_stride != 1:
            raise ExportError(f"{where}: strides={tuple(config['strides'])}; rtn's conv2d streams one output "
                              "frame per input frame: the stride along time must be 1")
        dilation, feature_dilation = (int(d) for d in config.get("dilation_rate", (1, 1)))
        if feature_dilation != 1:
            raise ExportError(f"{where}: dilation_rate={tuple(config['dilation_rate'])}; rtn's conv2d dilates "
                              "along time only")
        kernel = _array(layer.kernel)  # [kt][kf][in/groups][out]
        kernel_time, kernel_features, per_group, out_channels = kernel.shape
        padding = config.get("padding", "valid")
        if padding == "same" and kernel_time > 1:
            raise ExportError(f"{where}: padding='same' with {kernel_time} taps along time looks at future "
                              "frames; rtn's conv2d is causal along time: use padding='valid' (then padded "
                              "along features with ZeroPadding2D if needed)")
        if padding not in ("same", "valid"):
            raise ExportError(f"{where}: padding='{padding}'; rtn's conv2d has 'valid' and 'same'")
        features = int(layer.input.shape[2])
        groups = int(config.get("groups", 1))
        use_bias = bool(config.get("use_bias", True))
        weights = {"weight": numpy.transpose(kernel, (3, 2, 0, 1))}
        if use_bias:
            weights["bias"] = _array(layer.bias)
        self.add("conv2d", {"in_channels": per_group * groups, "out_channels": out_channels,
                            "in_features": features, "kernel_size_time": kernel_time,
                            "kernel_size_feature": kernel_features, "dilation": dilation, "stride": stride,
                            "same_padding": padding == "same", "groups": groups, "bias": use_bias},
                 weights, layer)
        self.activation(config.get("activation"), layer)

    def _Reshape(self, layer, config):
        # Between (time, features, channels) and (time, features * channels) the floats of a frame stay
        # where they are: nothing to compute. Any other reshape would move data across frames.
        before, after = tuple(layer.input.shape[1:]), tuple(layer.output.shape[1:])
        if before[:1] != after[:1] or len(before) not in (2, 3) or len(after) not in (2, 3):
            raise ExportError(f"{_where(layer)}: reshapes {before} to {after}; rtn supports only reshapes that "
                              "keep the time axis, between (time, features, channels) and (time, "
                              "features * channels)")

    def _check_recurrent(self, layer, config, gates: str) -> None:
        where = _where(layer)
        if not config.get("return_sequences", False):
            raise ExportError(f"{where}: return_sequences=False gives one output per sequence; rtn models map "
                              "each input frame to an output frame: use return_sequences=True")
        if config.get("go_backwards", False):
            raise ExportError(f"{where}: go_backwards=True runs the sequence backwards; rtn is causal")
        if config.get("return_state", False):
            raise ExportError(f"{where}: return_state=True; rtn keeps the state inside the layer")
        recurrent = _activation_name(config.get("recurrent_activation", "sigmoid"))
        if recurrent != "sigmoid":
            raise ExportError(f"{where}: recurrent_activation='{recurrent}'"
                              f"{' (the default of old Keras versions)' if recurrent == 'hard_sigmoid' else ''}; "
                              f"rtn's {gates} uses sigmoid gates (TF2's default). Retrain with "
                              "recurrent_activation='sigmoid' to export")
        activation = _activation_name(config.get("activation", "tanh"))
        if activation != "tanh":
            raise ExportError(f"{where}: activation='{activation}'; rtn's {gates} uses tanh")

    def _LSTM(self, layer, config):
        self._check_recurrent(layer, config, "LSTM")
        cell = getattr(layer, "cell", layer)
        kernel, recurrent = _array(cell.kernel), _array(cell.recurrent_kernel)  # [in][4H], [H][4H]; i, f, c, o
        hidden = recurrent.shape[0]
        use_bias = bool(config.get("use_bias", True))
        weights = {"weight_ih_l0": kernel.T, "weight_hh_l0": recurrent.T}
        if use_bias:
            weights["bias_ih_l0"] = _array(cell.bias)
            weights["bias_hh_l0"] = numpy.zeros(4 * hidden, dtype=numpy.float32)
        self.add("lstm", {"input_size": kernel.shape[0], "hidden_size": hidden, "num_layers": 1,
                          "bias": use_bias}, weights, layer)

    def _GRU(self, layer, config):
        self._check_recurrent(layer, config, "GRU")
        cell = getattr(layer, "cell", layer)
        kernel, recurrent = _array(cell.kernel), _array(cell.recurrent_kernel)  # [in][3H], [H][3H]; z, r, h
        hidden = recurrent.shape[0]
        reset_after = bool(config.get("reset_after", True))
        use_bias = bool(config.get("use_bias", True))

        def torch_order(matrix: numpy.ndarray) -> numpy.ndarray:
            z, r, h = numpy.split(matrix, 3, axis=-1)
            return numpy.concatenate([r, z, h], axis=-1)

        weights = {"weight_ih_l0": torch_order(kernel).T, "weight_hh_l0": torch_order(recurrent).T}
        if use_bias:
            bias = _array(cell.bias)
            if reset_after:  # [2][3H]: input bias, recurrent bias
                weights["bias_ih_l0"] = torch_order(bias[0])
                weights["bias_hh_l0"] = torch_order(bias[1])
            else:  # [3H], all on the input side
                weights["bias_ih_l0"] = torch_order(bias.reshape(-1))
                weights["bias_hh_l0"] = numpy.zeros(3 * hidden, dtype=numpy.float32)
        params = {"input_size": kernel.shape[0], "hidden_size": hidden, "num_layers": 1, "bias": use_bias}
        if not reset_after:
            params["reset_after"] = False
        self.add("gru", params, weights, layer)

    def _BatchNormalization(self, layer, config):
        axis = config.get("axis", -1)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        rank = len(layer.input.shape)
        if len(axes) != 1 or axes[0] not in (-1, rank - 1):
            raise ExportError(f"{_where(layer)}: normalises axis {axis}; rtn's batchnorm1d and batchnorm2d "
                              "normalise the channels (the last axis)")
        mean, variance = _array(layer.moving_mean), _array(layer.moving_variance)
        channels = mean.shape[0]
        gamma = _array(layer.gamma) if config.get("scale", True) else numpy.ones(channels, numpy.float32)
        beta = _array(layer.beta) if config.get("center", True) else numpy.zeros(channels, numpy.float32)
        weights = {"weight": gamma, "bias": beta, "running_mean": mean, "running_var": variance}
        epsilon = float(config.get("epsilon", 1e-3))
        if rank == 4:  # (batch, time, features, channels)
            self.add("batchnorm2d", {"num_features": channels, "in_features": int(layer.input.shape[2]),
                                     "eps": epsilon}, weights, layer)
        else:
            self.add("batchnorm1d", {"num_features": channels, "eps": epsilon}, weights, layer)

    def _Activation(self, layer, config):
        self.activation(config.get("activation"), layer)

    def _ReLU(self, layer, config):
        max_value = config.get("max_value")
        threshold = float(config.get("threshold", 0.0) or 0.0)
        slope = float(config.get("negative_slope", 0.0) or 0.0)
        if max_value is not None or threshold != 0.0:
            raise ExportError(f"{_where(layer)}: max_value={max_value}, threshold={threshold}; rtn supports "
                              "ReLU without them")
        if slope:
            self.add("leaky_relu", {"negative_slope": slope}, {}, layer)
        else:
            self.add("relu", {}, {}, layer)

    def _LeakyReLU(self, layer, config):
        slope = config.get("negative_slope", config.get("alpha", 0.3))
        self.add("leaky_relu", {"negative_slope": float(slope)}, {}, layer)

    def _ELU(self, layer, config):
        self.add("elu", {"alpha": float(config.get("alpha", 1.0))}, {}, layer)

    def _Softmax(self, layer, config):
        axis = config.get("axis", -1)
        axes = list(axis) if isinstance(axis, (list, tuple)) else [axis]
        if axes not in ([-1], [2]):
            raise ExportError(f"{_where(layer)}: softmax over axis {axis}; rtn's softmax normalises the "
                              "channels (the last axis)")
        self.add("softmax", {}, {}, layer)

    def _PReLU(self, layer, config):
        alpha = _array(layer.alpha)
        if alpha.ndim != 2 or alpha.shape[0] != 1:
            raise ExportError(f"{_where(layer)}: alpha has shape {alpha.shape}: a slope per time step; rtn "
                              "needs it shared over time: PReLU(shared_axes=[1])")
        slopes = alpha.reshape(-1)
        self.add("prelu", {"num_parameters": int(slopes.shape[0])}, {"weight": slopes}, layer)


def _inbound_layers(layer) -> List[List[Any]]:
    """For each call of `layer`, the layers whose outputs it takes (Keras 3, with a Keras 2 fallback)."""
    calls = []
    for node in getattr(layer, "_inbound_nodes", []):
        if hasattr(node, "input_tensors"):  # Keras 3
            calls.append([tensor._keras_history[0] for tensor in node.input_tensors])
        else:  # tf.keras 2
            inbound = node.inbound_layers
            calls.append(list(inbound) if isinstance(inbound, (list, tuple)) else [inbound])
    return calls


def _is_model(layer) -> bool:
    keras = _keras()
    return isinstance(layer, keras.Model)


def _chain(model, chain: KerasChain, *, top: bool) -> None:
    """Walks `model`'s layers, which must form a chain (plus the final input skip at the top level)."""
    layers = [layer for layer in model.layers if _class(layer) != "InputLayer"]
    if _class(model) == "Sequential":
        for layer in layers:
            _chain(layer, chain, top=False) if _is_model(layer) else chain.layer(layer)
        return
    model_inputs = [tensor._keras_history[0] for tensor in model.inputs]
    if len(model_inputs) != 1:
        raise ExportError(f"model '{model.name}' has {len(model_inputs)} inputs; rtn models take one")
    input_layer = model_inputs[0]
    head = input_layer
    members = set(id(layer) for layer in model.layers)
    for position, layer in enumerate(layers):
        calls = [call for call in _inbound_layers(layer) if all(id(source) in members for source in call)]
        if len(calls) != 1:
            raise ExportError(f"{_where(layer)} is called {len(calls)} times in model '{model.name}'; rtn runs a "
                              "chain where each layer is used once")
        sources = calls[0]
        if _class(layer) == "Add":
            ids = sorted(id(source) for source in sources)
            if not top or len(sources) != 2 or ids != sorted([id(input_layer), id(head)]) or head is input_layer:
                raise ExportError(f"unsupported operation keras.layers.Add at layer '{layer.name}': the only "
                                  "addition rtn supports is the model input added to the model output "
                                  "(a residual skip), as the last layer")
            if position != len(layers) - 1:
                raise ExportError(f"layer '{layers[position + 1].name}' comes after the residual add "
                                  f"'{layer.name}' of the model input; that add must be the last layer")
            chain.document.input_skip = True
            head = layer
            continue
        if len(sources) != 1 or sources[0] is not head:
            names = ", ".join(f"'{source.name}'" for source in sources)
            raise ExportError(f"{_where(layer)} takes {names}, not the output of '{head.name}': the model "
                              "branches, and rtn runs a single chain of layers")
        _chain(layer, chain, top=False) if _is_model(layer) else chain.layer(layer)
        head = layer
    outputs = [tensor._keras_history[0] for tensor in model.outputs]
    if len(outputs) != 1:
        raise ExportError(f"model '{model.name}' has {len(outputs)} outputs; rtn models have one")
    if outputs[0] is not head:
        raise ExportError(f"model '{model.name}' outputs '{outputs[0].name}', not its last layer '{head.name}'")


def _input_channels(model) -> Optional[int]:
    try:
        shape = model.inputs[0].shape
    except (AttributeError, IndexError, TypeError, ValueError):
        return None
    shape = tuple(shape)
    if len(shape) == 4 and None not in shape[2:]:
        return int(shape[2]) * int(shape[3])  # (batch, time, features, channels): frames of features x channels
    if len(shape) != 3:
        raise ExportError(f"model '{model.name}' takes input of shape {shape}; rtn models take "
                          "(batch, time, channels), e.g. keras.Input((None, 1)), or (batch, time, features, "
                          "channels) for Conv2D layers")
    return int(shape[-1]) if shape[-1] is not None else None


def export_keras(model, path, *, sample_rate: float = 48000, name: Optional[str] = None,
                 metadata: Optional[Dict[str, Any]] = None) -> Dict[str, Any]:
    """Writes a Keras model (Sequential or a functional chain) as an rtn JSON v1 model file at `path` and
    returns the document. The model takes (batch, time, channels); build it (e.g. with keras.Input) so
    that its input channel count is known. Raises ExportError naming the layer for anything rtn cannot
    run."""
    keras = _keras()
    if not isinstance(model, keras.Model):
        raise ExportError(f"export_keras needs a keras.Model, got {type(model).__name__}")
    if not model.built or not getattr(model, "inputs", None):
        raise ExportError(f"model '{model.name}' is not built: give it an input shape, e.g. "
                          "keras.Input((None, channels)) as its first layer")
    framework = f"keras {getattr(keras, '__version__', '?')}"
    document = ModelDocument(name=name or default_name(path), sample_rate=sample_rate,
                             input_channels=_input_channels(model),
                             metadata={"source": framework, **(metadata or {})})
    _chain(model, KerasChain(document), top=True)
    return document.write(path)
