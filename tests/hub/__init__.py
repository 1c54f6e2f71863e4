"""The JupyterHub suite: a real hub, its room service, kernels and browsers."""
