#!/usr/bin/python3
"""Reference parameter counts and MACs of the zoo networks that torchvision defines.

Prints JSON to stdout; tests/graph/data/zoo_reference.json is this script's output:

    /usr/bin/python3 bench/reference/zoo_counts.py > tests/graph/data/zoo_reference.json

Parameters are what LibTorch counts as trainable: conv / linear weights and biases and the
BatchNorm affine weight and bias (running statistics are buffers, not parameters). MACs are the
multiply-accumulates of Conv2d and Linear layers, measured with forward hooks on one image, which
is what nasctl's Graph counts (batch norm, pooling, activations and element-wise ops count 0).
"""

import json
import sys

import torch
import torchvision
from torchvision import models

# (zoo name, torchvision constructor, extra kwargs)
NETWORKS = {
    "mobilenet_v2": (models.mobilenet_v2, {}),
    "mobilenet_v3_large": (models.mobilenet_v3_large, {}),
    "mobilenet_v3_small": (models.mobilenet_v3_small, {}),
    "resnet50_v1": (models.resnet50, {}),
    "inception_v1": (models.googlenet, {"aux_logits": False, "init_weights": False}),
    "squeezenet": (models.squeezenet1_0, {}),
    "vgg16": (models.vgg16, {}),
    "vgg19": (models.vgg19, {}),
    "densenet121": (models.densenet121, {}),
}

# (zoo name, input size, classes, width multiplier or None). Sizes cover the defaults, the small
# inputs the zoo supports, and odd intermediate sizes where ceil-mode pools differ from "same".
CASES = [
    ("mobilenet_v2", 224, 1000, None),
    ("mobilenet_v2", 32, 10, None),
    ("mobilenet_v2", 224, 1000, 0.5),
    ("mobilenet_v2", 96, 1000, 1.4),
    ("mobilenet_v3_large", 224, 1000, None),
    ("mobilenet_v3_large", 64, 1000, None),
    ("mobilenet_v3_large", 224, 1000, 0.75),
    ("mobilenet_v3_small", 224, 1000, None),
    ("mobilenet_v3_small", 32, 10, None),
    ("resnet50_v1", 299, 1000, None),
    ("resnet50_v1", 224, 1000, None),
    ("resnet50_v1", 32, 10, None),
    ("inception_v1", 224, 1000, None),
    ("inception_v1", 299, 1000, None),
    ("inception_v1", 100, 1000, None),
    ("inception_v1", 32, 10, None),
    ("inception_v1", 15, 10, None),
    ("squeezenet", 224, 1000, None),
    ("squeezenet", 64, 10, None),
    ("squeezenet", 21, 10, None),
    ("vgg16", 224, 1000, None),
    ("vgg16", 448, 1000, None),
    ("vgg19", 224, 1000, None),
    ("densenet121", 224, 1000, None),
    ("densenet121", 32, 10, None),
    ("densenet121", 29, 10, None),
]


def count_macs(model, size):
    macs = [0]

    def conv_hook(module, inputs, output):
        k = module.kernel_size[0] * module.kernel_size[1]
        macs[0] += output[0].numel() * k * (module.in_channels // module.groups)

    def linear_hook(module, inputs, output):
        macs[0] += module.in_features * module.out_features

    handles = []
    for m in model.modules():
        if isinstance(m, torch.nn.Conv2d):
            handles.append(m.register_forward_hook(conv_hook))
        elif isinstance(m, torch.nn.Linear):
            handles.append(m.register_forward_hook(linear_hook))
    with torch.no_grad():
        out = model(torch.zeros(1, 3, size, size))
    for h in handles:
        h.remove()
    return macs[0], list(out.shape)


def min_input_size(name):
    """Smallest square input torchvision's network accepts (forward raises below it)."""
    ctor, kwargs = NETWORKS[name]
    model = ctor(weights=None, **kwargs).eval()
    for size in range(1, 100):
        try:
            with torch.no_grad():
                model(torch.zeros(1, 3, size, size))
            return size
        except RuntimeError:
            continue
    raise RuntimeError(f"{name}: no input size below 100 works")


def main():
    torch.set_num_threads(1)
    rows = []
    for name, size, classes, width in CASES:
        ctor, kwargs = NETWORKS[name]
        kwargs = dict(kwargs, num_classes=classes)
        if width is not None:
            kwargs["width_mult"] = width
        model = ctor(weights=None, **kwargs).eval()
        params = sum(p.numel() for p in model.parameters() if p.requires_grad)
        macs, out_shape = count_macs(model, size)
        rows.append({
            "name": name,
            "torchvision": ctor.__name__,
            "input_size": size,
            "classes": classes,
            "width": 1.0 if width is None else width,
            "params": params,
            "macs": macs,
            "output": out_shape,
        })
        print(f"{name} {size} w={width}: {params} params, {macs} MACs", file=sys.stderr)
    doc = {
        "generated_by": "bench/reference/zoo_counts.py; do not edit by hand, rerun the script",
        "torch": torch.__version__,
        "torchvision": torchvision.__version__,
        "cases": rows,
        "min_input_size": {name: min_input_size(name) for name in NETWORKS},
    }
    json.dump(doc, sys.stdout, indent=1)
    print()


if __name__ == "__main__":
    main()
