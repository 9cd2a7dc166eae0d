"""`make test-gpu` runs the same suite and insists that the notebooks found a GPU."""

import os

import pytest
import torch


@pytest.mark.skipif(os.environ.get("COURSE_REQUIRE_GPU") != "1", reason="CPU run")
def test_gpu_is_visible():
    assert torch.cuda.is_available(), "make test-gpu: no CUDA device is visible to PyTorch"
