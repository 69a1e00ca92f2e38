"""python -m rtn_export MODEL OUT.json: convert a saved model to an rtn JSON v1 model file.

MODEL is a TorchScript file (torch.jit.save: .pt, .pth, .ts, .torchscript, or any other name that is a
TorchScript archive) or a Keras model (.keras, .h5/.hdf5). Exit codes: 0 written, 1 the model cannot be
exported (the message says what and where), 2 bad usage.
"""
import argparse
import os
import sys
import zipfile

from . import ExportError, __version__

KERAS_SUFFIXES = (".keras", ".h5", ".hdf5")


def _load_torchscript(path):
    try:
        import torch
    except ImportError:
        raise ExportError(f"{path}: reading TorchScript needs PyTorch, which this Python "
                          f"({sys.executable}) does not have") from None
    try:
        return torch.jit.load(path, map_location="cpu")
    except RuntimeError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise ExportError(f"{path}: not a TorchScript file ({first_line}); save the model with "
                          "torch.jit.save(torch.jit.script(model), path), or call rtn_export.export_torch "
                          "on the module from Python") from None


def _load_keras(path):
    try:
        import keras
    except ImportError:
        try:
            from tensorflow import keras  # TensorFlow before Keras 3
        except ImportError:
            raise ExportError(f"{path}: reading Keras models needs TensorFlow, which this Python "
                              f"({sys.executable}) does not have") from None
    try:
        return keras.models.load_model(path, compile=False)
    except (OSError, ValueError, TypeError) as error:
        raise ExportError(f"{path}: cannot load the Keras model: {error}") from None


def convert(model_path: str, out_path: str, *, sample_rate=None, name=None, input_channels=None):
    if not os.path.isfile(model_path):
        raise ExportError(f"{model_path}: no such file")
    options = {"name": name}
    if sample_rate is not None:
        options["sample_rate"] = sample_rate
    if model_path.lower().endswith(KERAS_SUFFIXES):
        if input_channels is not None:  # a Keras model states its input shape itself
            raise ExportError("--input-channels is for TorchScript files; a Keras model's input shape tells it")
        from .keras_export import export_keras
        return export_keras(_load_keras(model_path), out_path, **options)
    if not zipfile.is_zipfile(model_path):
        raise ExportError(f"{model_path}: neither a TorchScript archive nor a Keras file ({', '.join(KERAS_SUFFIXES)})")
    from .torch_export import export_torch
    return export_torch(_load_torchscript(model_path), out_path, input_channels=input_channels, **options)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m rtn_export",
        description="Convert a TorchScript (.pt) or Keras (.keras, .h5) model to an rtn JSON v1 model file.")
    parser.add_argument("model", help="TorchScript file (torch.jit.save) or Keras .keras/.h5 file")
    parser.add_argument("out", help="rtn JSON model file to write")
    parser.add_argument("--sample-rate", type=float, help="sample rate the model was trained at (default 48000)")
    parser.add_argument("--name", help="model name (default: the output file name)")
    parser.add_argument("--input-channels", type=int, metavar="N",
                        help="the model's input channels, for a TorchScript model whose first operation does "
                             "not tell them (e.g. x.unsqueeze(1) into a Conv2d)")
    parser.add_argument("--version", action="version", version=f"rtn_export {__version__}")
    arguments = parser.parse_args(argv)
    try:
        document = convert(arguments.model, arguments.out, sample_rate=arguments.sample_rate, name=arguments.name,
                           input_channels=arguments.input_channels)
    except ExportError as error:
        print(f"rtn_export: error: {error}", file=sys.stderr)
        return 1
    layers = ", ".join(layer["type"] for layer in document["layers"])
    print(f"wrote {arguments.out}: {document['input_channels']} -> {document['output_channels']} channels, "
          f"{len(document['layers'])} layers ({layers}){', input skip' if document['input_skip'] else ''}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
