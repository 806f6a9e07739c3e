"""Motivated-seller signals and the explainable propensity score."""
