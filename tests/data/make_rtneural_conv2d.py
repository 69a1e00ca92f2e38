#!/usr/bin/env python3
"""Writes rtneural-conv2d.json, a spectral model in RTNeural's JSON as RTNeural's Keras exporter writes one
(python/model_utils.py: the "conv2d" and "batchnorm2d" layers of [batch, time, features, filters] tensors),
with an input and TensorFlow's output for it, for tests/cpp/rtneural_test.cpp:

    rtneural-conv2d.in.csv   one frame (features x filters, filters fastest) per line
    rtneural-conv2d.out.csv  TensorFlow's output, aligned with rtn's: the first line is "# from frame N",
                             then rtn's output frames N, N+1, ... one per line

Keras convolves along time too (padding "valid" drops frames, "same" looks ahead); rtn, like RTNeural,
streams causally from zero history. rtn's frame t is Keras' frame t - R + 1 + S, where R - 1 is the sum of
(kernel_size_time - 1) * dilation over the Conv2D layers and S the frames "same" pads before the start
(TensorFlow's half, rounded down); frames before R - 1 have no Keras counterpart. Run in the tensorflow-cpu
venv (scripts/setup_python.sh):

    build/venv-tf/bin/python tests/data/make_rtneural_conv2d.py
"""
import json
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy  # noqa: E402
import keras  # noqa: E402
from keras import layers  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
NAME = "rtneural-conv2d"
FRAMES = 60
FEATURES = 17
FILTERS = 2


def build():
    """Odd frames, strides 1-3, both paddings, dilation along time, a kernel of one time tap, both kinds
    of BatchNormalization, an activation inside a Conv2D and one as a layer."""
    return keras.Sequential([
        keras.Input((FRAMES, FEATURES, FILTERS)),
        layers.Conv2D(3, (3, 4), dilation_rate=(2, 1), padding="valid"),  # Keras: no strides with dilation
        layers.BatchNormalization(center=False, scale=False, epsilon=0.5),
        layers.Activation("relu"),
        layers.Conv2D(4, (2, 3), strides=(1, 3), padding="same", activation="tanh"),
        layers.BatchNormalization(epsilon=0.01),
        layers.Conv2D(2, (1, 2), strides=(1, 2), padding="valid"),
        layers.Conv2D(1, (4, 1), dilation_rate=(3, 1), padding="same"),
    ])


def randomise(model, generator):
    """Weights uniform in [-0.5, 0.5]; BatchNormalization's moving variances in [0.5, 1.5]."""
    for layer in model.layers:
        weights = layer.get_weights()
        if not weights:
            continue
        fresh = [generator.uniform(-0.5, 0.5, w.shape).astype(numpy.float32) for w in weights]
        if isinstance(layer, layers.BatchNormalization):
            fresh[-1] = generator.uniform(0.5, 1.5, weights[-1].shape).astype(numpy.float32)
        layer.set_weights(fresh)


def rtneural_layer(layer):
    """One layer as RTNeural's model_utils.save_model writes it."""
    shape = [None, *layer.output.shape[1:]]
    if isinstance(layer, layers.Conv2D):
        input_shape = layer.input.shape
        document = {"type": "conv2d", "activation": layer.activation.__name__.replace("linear", ""),
                    "shape": shape, "kernel_size_time": layer.kernel_size[0],
                    "kernel_size_feature": layer.kernel_size[1], "dilation": layer.dilation_rate[0],
                    "strides": layer.strides[1], "num_filters_in": input_shape[3],
                    "num_features_in": input_shape[2], "num_filters_out": layer.filters,
                    "padding": layer.padding}
    elif isinstance(layer, layers.BatchNormalization):
        document = {"type": "batchnorm2d", "activation": "", "shape": shape, "epsilon": layer.epsilon,
                    "num_filters_in": layer.input.shape[3], "num_features_in": layer.input.shape[2]}
    elif isinstance(layer, layers.Activation):
        document = {"type": "activation", "activation": layer.activation.__name__, "shape": shape}
    else:
        raise ValueError(f"no RTNeural layer for {layer}")
    document["weights"] = [w.tolist() for w in layer.get_weights()]
    return document


def alignment(model):
    """(first rtn frame with a Keras counterpart, the Keras frame it is)."""
    history, ahead = 0, 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2D):
            span = (layer.kernel_size[0] - 1) * layer.dilation_rate[0]
            history += span
            if layer.padding == "same":
                ahead += span // 2
    return history, ahead


def main():
    generator = numpy.random.default_rng(2026)
    model = build()
    randomise(model, generator)
    signal = generator.uniform(-1, 1, (FRAMES, FEATURES, FILTERS)).astype(numpy.float32)
    output = model.predict(signal[None], verbose=0)[0]

    document = {"in_shape": [None, FRAMES, FEATURES, FILTERS], "layers": [rtneural_layer(l) for l in model.layers]}
    with open(os.path.join(HERE, NAME + ".json"), "w") as file:
        json.dump(document, file, allow_nan=False)
        file.write("\n")
    with open(os.path.join(HERE, NAME + ".in.csv"), "w") as file:
        for frame in signal.reshape(FRAMES, -1):
            file.write(",".join(f"{x:.9g}" for x in frame) + "\n")
    first, ahead = alignment(model)
    with open(os.path.join(HERE, NAME + ".out.csv"), "w") as file:
        file.write(f"# from frame {first}\n")
        for t in range(first, FRAMES):
            keras_frame = t - first + ahead
            if keras_frame >= output.shape[0]:
                break
            file.write(",".join(f"{y:.9g}" for y in output[keras_frame].reshape(-1)) + "\n")


if __name__ == "__main__":
    main()
