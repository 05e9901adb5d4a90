"""Placeholder: the softmax explorer (notebook 01) is being written."""
