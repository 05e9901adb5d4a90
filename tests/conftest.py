"""Shared fixtures for Softmax Lab's tests."""

import os
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # unit tests never need a display

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tools"))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
