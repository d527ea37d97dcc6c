# Per-module dependencies of nasctl_torch beyond LibTorch.
