#!/usr/bin/python3
"""Python reference of nasctl's supernet search step, for bench/search_step.sh.

The same supernet as src/search/supernet.cpp, written the way one writes it in PyTorch: largest
weights per layer and structure as nn.Parameters, a sampled architecture runs F.conv2d /
F.batch_norm (batch statistics) / activations on slices of them (centre taps, leading channels,
per-group leading channels), torch.optim.SGD (Nesterov, momentum 0.9, weight decay on weights of
rank > 1 only, parameters without gradient skipped via zero_grad(set_to_none=True)). It reads the
spec that `search_step_eval --spec FILE` writes (layer bounds and the sampled architectures) and
times, like the C++ program, per architecture and median over repetitions:
  supernet_train_step_ms  forward + backward + SGD step on a training batch;
  search_step_ms          that plus the controller's Q: a forward pass under inference_mode on a
                          validation batch for the next architecture.

With --channels-last the batches are channels-last (NHWC) tensors, as nasctl computes: a variant
that shows how much of nasctl's lead comes from the memory format alone.

Usage: /usr/bin/python3 bench/search_step_reference.py SPEC.json [--threads N] [--reps N] [--channels-last]
"""
import argparse
import json
import math
import time

import torch
import torch.nn.functional as F


def activate(x, name):
    if name == "none":
        return x
    if name == "relu":
        return F.relu(x, inplace=True)
    if name == "relu6":
        return F.hardtanh(x, 0.0, 6.0, inplace=True)
    if name == "hard_swish":
        return F.hardswish(x)
    if name == "hard_sigmoid":
        return F.hardsigmoid(x)
    raise ValueError(name)


def expanded_channels(inp, expansion):
    return inp if expansion == 1.0 else max(1, int(math.floor(inp * expansion + 0.5)))


def round_filters(value, divisor=8):
    rounded = max(divisor, int(value + divisor / 2.0) // divisor * divisor)
    if rounded < 0.9 * value:
        rounded += divisor
    return rounded


def se_channels(expanded):
    return round_filters(expanded / 4.0)


class Supernet(torch.nn.Module):
    def __init__(self, spec):
        super().__init__()
        self.spec = spec
        self.decay, self.no_decay = [], []
        c = spec["input"][2]
        stem = spec["stem"]
        self.stem = self.conv("stem", [stem["filters"], c, stem["kernel"], stem["kernel"]])
        self.stem_bn = self.norm("stem_bn", stem["filters"])
        self.layers = []
        for i, b in enumerate(spec["layers"]):
            self.layers.append({})
            e = max(b["max_expanded"], b["max_in"])
            for t in b["types"]:
                if t == "skip":
                    continue
                v = {}
                p = "b%d_%s" % (i, t)
                if t == "ibn":
                    if b["expands"]:
                        v["expand"] = self.conv(p + "_expand", [e, b["max_in"], 1, 1])
                        v["expand_bn"] = self.norm(p + "_expand_bn", e)
                    v["dw"] = self.conv(p + "_dw", [e, 1, b["max_kernel"], b["max_kernel"]])
                    v["dw_bn"] = self.norm(p + "_dw_bn", e)
                    self.se(v, p, b, e)
                    v["project"] = self.conv(p + "_project", [b["max_out"], e, 1, 1])
                    v["project_bn"] = self.norm(p + "_project_bn", b["max_out"])
                    self.layers[i]["ibn"] = v
                elif t == "fused_ibn":
                    k = b["max_kernel"]
                    if b["fused_expanded"]:
                        v["expand"] = self.conv(p + "_expand", [e, b["max_in"], k, k])
                        v["expand_bn"] = self.norm(p + "_expand_bn", e)
                        self.se(v, p, b, e)
                        v["project"] = self.conv(p + "_project", [b["max_out"], e, 1, 1])
                        v["project_bn"] = self.norm(p + "_project_bn", b["max_out"])
                        self.layers[i]["fused"] = v
                    if b["fused_plain"]:
                        w = {"conv": self.conv(p + "_conv", [b["max_out"], b["max_in"], k, k]),
                             "conv_bn": self.norm(p + "_conv_bn", b["max_out"])}
                        self.se(w, p + "_plain", b, b["max_out"])
                        self.layers[i]["fused_plain"] = w
                else:
                    raise ValueError("the reference covers ibn, fused_ibn and skip, not " + t)
        feat = spec["layers"][-1]["max_out"] if spec["layers"] else stem["filters"]
        head = spec["head"]
        if head["filters"] > 0:
            self.head = self.conv("head", [head["filters"], feat, 1, 1])
            self.head_bn = self.norm("head_bn", head["filters"])
            feat = head["filters"]
        if head["hidden"] > 0:
            self.hidden_w = self.param("hidden_w", torch.empty(head["hidden"], feat).normal_(0, 0.01), True)
            self.hidden_b = self.param("hidden_b", torch.zeros(head["hidden"]), False)
            feat = head["hidden"]
        self.fc_w = self.param("fc_w", torch.empty(spec["classes"], feat).normal_(0, 0.01), True)
        self.fc_b = self.param("fc_b", torch.zeros(spec["classes"]), False)

    def param(self, name, tensor, decay):
        p = torch.nn.Parameter(tensor)
        self.register_parameter(name, p)
        (self.decay if decay else self.no_decay).append(p)
        return p

    def conv(self, name, shape):
        fan_out = shape[0] * shape[2] * shape[3]
        return self.param(name, torch.empty(shape).normal_(0, math.sqrt(2.0 / fan_out)), True)

    def norm(self, name, c):
        return (self.param(name + "_w", torch.ones(c), False), self.param(name + "_b", torch.zeros(c), False))

    def se(self, v, p, b, c):
        if b["any_se"]:
            s = b["max_se"]
            v["se_reduce"] = (self.param(p + "_se_rw", torch.empty(s, c).normal_(0, math.sqrt(2.0 / s)), True),
                              self.param(p + "_se_rb", torch.zeros(s), False))
            v["se_expand"] = (self.param(p + "_se_ew", torch.empty(c, s).normal_(0, math.sqrt(2.0 / c)), True),
                              self.param(p + "_se_eb", torch.zeros(c), False))

    @staticmethod
    def conv_bn(x, w, bn, out, inp, k, stride, groups, act):
        big = w.shape[2]
        o = (big - k) // 2
        ws = w[:out, :inp, o:o + k, o:o + k]
        y = F.conv2d(x, ws, None, stride, (k - 1) // 2, 1, groups)
        y = F.batch_norm(y, None, None, bn[0][:out], bn[1][:out], True, 0.1, 1e-5)
        return activate(y, act)

    def squeeze_excite(self, y, v, c):
        s = se_channels(c)
        z = y.mean((2, 3))
        z = F.relu(F.linear(z, v["se_reduce"][0][:s, :c], v["se_reduce"][1][:s]), inplace=True)
        z = F.hardsigmoid(F.linear(z, v["se_expand"][0][:c, :s], v["se_expand"][1][:c]))
        return y * z[:, :, None, None]

    def block(self, x, i, b):
        inp = x.shape[1]
        e = expanded_channels(inp, b["expansion"])
        k, f, s, act = b["kernel"], b["filters"], b["stride"], b["activation"]
        layer = self.layers[i]
        if b["type"] == "ibn":
            v = layer["ibn"]
            y = x
            if b["expansion"] != 1.0:
                y = self.conv_bn(y, v["expand"], v["expand_bn"], e, inp, 1, 1, 1, act)
            y = self.conv_bn(y, v["dw"], v["dw_bn"], e, 1, k, s, e, act)
            if b["se"]:
                y = self.squeeze_excite(y, v, e)
            y = self.conv_bn(y, v["project"], v["project_bn"], f, e, 1, 1, 1, "none")
        elif b["expansion"] == 1.0:
            v = layer["fused_plain"]
            y = self.conv_bn(x, v["conv"], v["conv_bn"], f, inp, k, s, 1, act)
            if b["se"]:
                y = self.squeeze_excite(y, v, f)
        else:
            v = layer["fused"]
            y = self.conv_bn(x, v["expand"], v["expand_bn"], e, inp, k, s, 1, act)
            if b["se"]:
                y = self.squeeze_excite(y, v, e)
            y = self.conv_bn(y, v["project"], v["project_bn"], f, e, 1, 1, 1, "none")
        if s == 1 and f == inp:
            y = y + x
        return y

    def forward(self, x, arch):
        stem = self.spec["stem"]
        y = self.conv_bn(x, self.stem, self.stem_bn, stem["filters"], x.shape[1], stem["kernel"], stem["stride"], 1,
                         stem["activation"])
        for i, b in enumerate(arch):
            if b["type"] != "skip":
                y = self.block(y, i, b)
        head = self.spec["head"]
        c = y.shape[1]
        if head["filters"] > 0:
            y = self.conv_bn(y, self.head, self.head_bn, head["filters"], c, 1, 1, 1, head["activation"])
            c = head["filters"]
        y = y.mean((2, 3))
        if head["hidden"] > 0:
            y = activate(F.linear(y, self.hidden_w[:, :c], self.hidden_b), head["activation"])
            c = head["hidden"]
        return F.linear(y, self.fc_w[:, :c], self.fc_b)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("spec")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--reps", type=int, default=None)
    parser.add_argument("--channels-last", action="store_true")
    args = parser.parse_args()
    with open(args.spec) as f:
        spec = json.load(f)
    threads = args.threads or spec["threads"]
    reps = args.reps or spec["reps"]
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    net = Supernet(spec)
    opt = torch.optim.SGD([{"params": net.decay, "weight_decay": 4e-5}, {"params": net.no_decay, "weight_decay": 0.0}],
                          lr=0.01, momentum=0.9, nesterov=True)
    h, w, c = spec["input"]
    n = spec["batch"]
    fmt = torch.channels_last if args.channels_last else torch.contiguous_format
    x = torch.randn(n, c, h, w).contiguous(memory_format=fmt)
    nv = spec.get("val_batch", n)
    xv = torch.randn(nv, c, h, w).contiguous(memory_format=fmt)
    y = torch.randint(0, spec["classes"], (n,))
    yv = torch.randint(0, spec["classes"], (nv,))
    archs = spec["archs"]

    def supernet_step(arch):
        opt.zero_grad(set_to_none=True)
        F.cross_entropy(net(x, arch), y).backward()
        opt.step()

    def search_step(arch, rl_arch):
        supernet_step(arch)
        with torch.inference_mode():
            return int(net(xv, rl_arch).argmax(1).eq(yv).sum())

    for i, a in enumerate(archs):  # warm-up
        search_step(a, archs[(i + 1) % len(archs)])
    t_super, t_search = [], []
    for _ in range(reps):
        t0 = time.perf_counter()
        for a in archs:
            supernet_step(a)
        t1 = time.perf_counter()
        for i, a in enumerate(archs):
            search_step(a, archs[(i + 1) % len(archs)])
        t2 = time.perf_counter()
        t_super.append((t1 - t0) / len(archs))
        t_search.append((t2 - t1) / len(archs))
    med = lambda v: sorted(v)[len(v) // 2]
    print(json.dumps({"impl": "python", "channels_last": args.channels_last, "torch": torch.__version__, "threads": threads, "batch": n, "val_batch": nv,
                      "archs": len(archs), "reps": reps, "supernet_train_step_ms": 1e3 * med(t_super),
                      "search_step_ms": 1e3 * med(t_search)}))


if __name__ == "__main__":
    main()
