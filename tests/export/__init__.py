"""Tests of lk.export_onnx and layerkit export: exported models run in ONNX Runtime."""
