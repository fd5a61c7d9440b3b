"""Measured speed and accuracy, printed as ratios against baselines in the same run."""
