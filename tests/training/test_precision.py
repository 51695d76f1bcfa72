"""trainer.precision=auto: bf16 only where the hardware has it; the resolved value is what the run records."""

import logging
from pathlib import Path

import pytest
import torch

from facecompare.checkpoint import load_embedder
from facecompare.training.precision import cpu_has_native_bf16, resolve_precision
from facecompare.training.train import train

ZEN3 = "processor\t: 0\nvendor_id\t: AuthenticAMD\nflags\t\t: fpu sse sse2 avx avx2 fma\n"
ZEN4 = "processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512_vnni\n"
SAPPHIRE = "processor\t: 0\nflags\t\t: avx2 avx512f amx_bf16 amx_tile\n"
GRAVITON3 = "processor\t: 0\nFeatures\t: fp asimd sve bf16 i8mm\n"


@pytest.fixture
def cpuinfo(tmp_path):
    def write(text: str):
        path = tmp_path / "cpuinfo"
        path.write_text(text)
        return path

    return write


@pytest.mark.parametrize(("text", "native"), [(ZEN3, False), (ZEN4, True), (SAPPHIRE, True), (GRAVITON3, True)])
def test_native_bf16_from_cpu_flags(cpuinfo, text, native):
    assert cpu_has_native_bf16(cpuinfo(text)) is native


def test_unreadable_cpuinfo_means_no_bf16(tmp_path):
    assert cpu_has_native_bf16(tmp_path / "absent") is False


def test_auto_on_cpus(cpuinfo, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert resolve_precision("auto", "cpu", cpuinfo(ZEN3)) == "32-true"
    assert resolve_precision("auto", "cpu", cpuinfo(ZEN4)) == "bf16-mixed"
    assert resolve_precision("auto", "auto", cpuinfo(ZEN4)) == "bf16-mixed"  # no GPU: the CPU decides
    assert resolve_precision("auto", "mps", cpuinfo(ZEN4)) == "32-true"


def test_auto_on_gpus(cpuinfo, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: True)
    assert resolve_precision("auto", "gpu", cpuinfo(ZEN3)) == "bf16-mixed"
    assert resolve_precision("auto", "auto", cpuinfo(ZEN3)) == "bf16-mixed"
    monkeypatch.setattr(torch.cuda, "is_bf16_supported", lambda *a, **k: False)  # e.g. a V100 or T4
    assert resolve_precision("auto", "gpu", cpuinfo(ZEN3)) == "16-mixed"


def test_explicit_values_are_kept_and_emulated_bf16_warns(cpuinfo, monkeypatch, caplog):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    with caplog.at_level(logging.WARNING):
        assert resolve_precision("32-true", "cpu", cpuinfo(ZEN3)) == "32-true"
        assert resolve_precision("bf16-mixed", "cpu", cpuinfo(ZEN4)) == "bf16-mixed"
        assert "emulated" not in caplog.text
        assert resolve_precision("bf16-mixed", "cpu", cpuinfo(ZEN3)) == "bf16-mixed"
    assert "trainer.precision=bf16-mixed on a CPU without bf16 instructions" in caplog.text


@pytest.mark.slow
def test_training_records_the_resolved_precision(make_cfg, monkeypatch):
    monkeypatch.setattr("facecompare.training.precision.cpu_has_native_bf16", lambda *a: False)
    cfg = make_cfg("trainer.precision=auto", "test=false")
    train(cfg)
    _, _, info = load_embedder(Path(cfg.paths.output_dir) / "checkpoints" / "last.ckpt")
    assert info["config"]["trainer"]["precision"] == "32-true"
