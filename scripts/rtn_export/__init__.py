"""rtn_export: write trained PyTorch and Keras models as rtn JSON model files (format version 1).

    import rtn_export
    rtn_export.export_torch(module, "amp.json")      # torch.nn.Module or TorchScript module
    rtn_export.export_keras(model, "amp.json")       # TensorFlow 2 / Keras model

    python -m rtn_export MODEL.pt|MODEL.keras|MODEL.h5 OUT.json

Neither framework is imported until its exporter is used, so the package installs and imports without
them. See docs/exporters.md.
"""
__version__ = "0.1.0"

from .document import ExportError  # noqa: E402


def export_torch(module, path, **options):
    """See rtn_export.torch_export.export_torch."""
    from .torch_export import export_torch as export
    return export(module, path, **options)


def export_keras(model, path, **options):
    """See rtn_export.keras_export.export_keras."""
    from .keras_export import export_keras as export
    return export(model, path, **options)


__all__ = ["ExportError", "export_torch", "export_keras", "__version__"]
