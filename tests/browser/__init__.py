"""Helpers for the real-browser test: a throwaway JupyterLab and a headless Chromium."""
