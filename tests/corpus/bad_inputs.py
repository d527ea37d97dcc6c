#!/usr/bin/env python3
"""nasctl's corpus of bad inputs: each case is a file (or folder) written by this script, a command
line of the real binary that reads it, the exit code it must end with and a substring of its error
message. Run by the test suite (ctest -R bad_input_corpus):

    bad_inputs.py NASCTL WORKDIR [--write-only]

Every case must end with its exit code, print its message, print nothing that is not nasctl's own
one-line error (no LibTorch / nlohmann text, no "terminate called"), and finish within the time
limit (a hang is a failure). Large inputs (10^5 nesting levels, 10^5-node graphs, images claiming
huge sizes) are generated here rather than stored. --write-only writes the files (the fuzzers use
them as seeds) without running anything.
"""
import concurrent.futures
import copy
import gzip
import json
import glob
import os
import resource
import struct
import subprocess
import sys
import zlib

INPUT = 2  # nasctl's exit code for bad input
RUNTIME = 1  # ... for a runtime failure (unreadable data files count as such)
TIMEOUT_S = 60

CASES = []  # (id, kind, files {relpath: bytes}, args, exit, message)


def case(kind, name, files, args, code, message):
    CASES.append((f"{kind}/{name}", kind, files, args, code, message))


def js(value):
    return json.dumps(value).encode()


# --- graph v1 (latency --graph) ---------------------------------------------------------------
GRAPH = {"name": "g", "input": [32, 32, 3], "nodes": [
    {"id": "c1", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 3, "stride": 1},
    {"id": "p", "op": "pad", "inputs": ["c1"], "pads": 1},
    {"id": "gp", "op": "global_avg_pool", "inputs": ["p"]},
    {"id": "fc", "op": "fully_connected", "inputs": ["gp"], "units": 10}], "outputs": ["fc"]}


def graph_case(name, text, message, code=INPUT):
    case("graph", name, {"g.json": text}, ["latency", "--graph", "{dir}/g.json"], code, message)


def graph_with(name, mutate, message):
    g = copy.deepcopy(GRAPH)
    mutate(g)
    graph_case(name, js(g), message)


def set_node(i, key, value):
    def f(g):
        g["nodes"][i][key] = value
    return f


BIG_NUMBERS = [("2p31", 2**31, "2147483648"), ("2p32p1", 2**32 + 1, "4294967297"), ("2p63", 2**63, "9223372036854775808"),
               ("m2p31m1", -2**31 - 1, "-2147483649"), ("2p64m1", 2**64 - 1, "18446744073709551615")]
for key in ["filters", "kernel", "stride"]:
    for label, value, text in BIG_NUMBERS:
        graph_with(f"{key}_{label}", set_node(0, key, value), f"{key} must be ")
    graph_with(f"{key}_string", set_node(0, key, "3"), f"g.json: nodes[0].{key} must be")
    graph_with(f"{key}_float", set_node(0, key, 2.5), f"g.json: nodes[0].{key} must be")
    graph_with(f"{key}_list3", set_node(0, key, [1, 2, 3]), f"g.json: nodes[0].{key} must be")
    graph_with(f"{key}_object", set_node(0, key, {"a": 1}), f"g.json: nodes[0].{key} must be")
    graph_with(f"{key}_zero", set_node(0, key, 0), f"{key}")
    graph_with(f"{key}_negative", set_node(0, key, -5), f"{key}")
    graph_with(f"{key}_huge_valid_int", set_node(0, key, 2**30), f"{key}")
graph_with("filters_null", set_node(0, "filters", None), "filters must be > 0, but got 0")
graph_with("kernel_bigger_than_limit", set_node(0, "kernel", 2**24 + 1), "kernel must be at most 16777216")
graph_with("stride_1e9", set_node(0, "stride", 10**9), "stride must be at most 16777216")
for label, value in [("1e9", 10**9), ("2p31m1", 2**31 - 1), ("2p24", 2**24)]:
    graph_with(f"pads_{label}", set_node(1, "pads", value), "(pad): output")
graph_with("pads_negative", set_node(1, "pads", -1), "pads must be >= 0")
graph_with("pads_five", set_node(1, "pads", [1, 2, 3, 4, 5]), "g.json: nodes[1].pads must be an integer or [top, bottom, left, right]")
graph_with("pads_float", set_node(1, "pads", 1e9), "g.json: nodes[1].pads must be")
graph_with("units_zero", set_node(3, "units", 0), "units must be > 0")
graph_with("units_2p31", set_node(3, "units", 2**31), "units must be an integer in")
graph_with("units_2p24p1", set_node(3, "units", 2**24 + 1), "units must be at most 16777216")
graph_with("groups_not_divisor", set_node(0, "groups", 2), "are not divisible by groups 2")
graph_with("groups_zero", set_node(0, "groups", 0), "groups must be > 0")
graph_with("groups_2p31", set_node(0, "groups", 2**31), "groups must be an integer in")
graph_with("padding_bad", set_node(0, "padding", "full"), "g.json: nodes[0].padding must be \"same\" or \"valid\", but got \"full\"")
graph_with("padding_number", set_node(0, "padding", 1), "g.json: nodes[0].padding must be a string")
graph_with("activation_bad", set_node(0, "activation", "gelu"), "g.json: nodes[0].activation must be one of")
graph_with("op_unknown", set_node(0, "op", "conv3d"), "g.json: nodes[0].op must be one of")
graph_with("op_number", set_node(0, "op", 7), "g.json: nodes[0].op must be a string")
graph_with("inputs_string", set_node(0, "inputs", "input"), "g.json: nodes[0].inputs must be a list of strings, but got \"input\"")
graph_with("inputs_empty", set_node(0, "inputs", []), "has no inputs")
graph_with("inputs_unknown", set_node(3, "inputs", ["nope"]), "has unknown input 'nope'")
graph_with("inputs_number", set_node(0, "inputs", [1]), "g.json: nodes[0].inputs must be a list of strings")
graph_with("inputs_nested", set_node(0, "inputs", [["input"]]), "g.json: nodes[0].inputs must be a list of strings")
for label, node_id in [("dot", "a.b"), ("space", "a b"), ("tab", "a\tb"), ("newline", "a\nb"), ("empty", ""),
                       ("nul", "a\u0000b"), ("del", "a\u007fb"), ("long", "x" * 300)]:
    def rename(g, node_id=node_id):
        g["nodes"][3]["id"] = node_id
        g["outputs"] = [node_id]
    graph_with(f"id_{label}", rename, "node" if label == "empty" else "must be at most 256 characters without '.'")
graph_with("id_input", lambda g: g["nodes"][0].update(id="input"), "node id 'input' is reserved")
graph_with("id_twice", lambda g: g["nodes"][1].update(id="c1"), "node id 'c1' is used twice")
graph_with("id_number", set_node(0, "id", 5), "g.json: nodes[0].id must be a string")
graph_with("unknown_field", set_node(0, "dilation", 2), "g.json: nodes[0].dilation is not a field of conv2d")
graph_with("unknown_top_key", lambda g: g.update(extra=1), "g.json: extra is not a known key")
for label, value, message in [
        ("zero", [0, 32, 3], "input must be [height, width, channels], all > 0"),
        ("negative", [32, -1, 3], "all > 0"),
        ("two_dims", [32, 32], "input must be [height, width, channels]"),
        ("string", "32x32", "g.json: input must be"),
        ("huge_square", [100000, 100000, 3], "is too large"),
        ("2p31", [2**31, 1, 1], "g.json: input must be a list of integers in [-2147483648, 2147483647], but got [2147483648,1,1]"),
        ("h_2p24p1", [2**24 + 1, 1, 1], "is too large"),
        ("channels_huge", [1, 1, 2**24 + 1], "is too large"),
        ("elements_2p31", [2**16, 2**16, 1], "is too large"),
        ("floats", [32.5, 32, 3], "g.json: input must be")]:
    graph_with(f"input_{label}", lambda g, value=value: g.update(input=value), message)
graph_with("outputs_empty", lambda g: g.update(outputs=[]), "no outputs")
graph_with("outputs_unknown", lambda g: g.update(outputs=["zz"]), "output 'zz' is not a node")
graph_with("outputs_number", lambda g: g.update(outputs=3), "g.json: outputs must be")
graph_with("nodes_empty", lambda g: g.update(nodes=[]), "g.json: nodes must be a non-empty list")
graph_with("nodes_object", lambda g: g.update(nodes={}), "g.json: nodes must be a list")
graph_with("nodes_scalar_entry", lambda g: g["nodes"].append(3), "g.json: nodes[4] must be an object")
graph_with("format_other", lambda g: g.update(format="onnx"), "g.json: format must be \"nasctl.graph\"")
graph_with("version_2", lambda g: g.update(version=2), "g.json: version must be 1")
graph_with("name_number", lambda g: g.update(name=5), "g.json: name must be a string")
graph_with("cycle", lambda g: g["nodes"][0].update(inputs=["fc"]), "cycle through node")
graph_with("reshape_mismatch", lambda g: g["nodes"].insert(3, {"id": "r", "op": "reshape", "inputs": ["gp"], "shape": [2, 2, 3]}) or g["nodes"][4].update(inputs=["r"]), "elements, but the input")
graph_with("reshape_negative", lambda g: g["nodes"].insert(3, {"id": "r", "op": "reshape", "inputs": ["gp"], "shape": [-1, 1, 8]}) or g["nodes"][4].update(inputs=["r"]), "shape must be positive")
graph_with("bn_epsilon_negative", lambda g: g["nodes"].insert(1, {"id": "bn", "op": "batch_norm", "inputs": ["c1"], "epsilon": -1}), "epsilon must be > 0")
graph_with("add_shape_mismatch", lambda g: g["nodes"].insert(3, {"id": "a", "op": "add", "inputs": ["c1", "p"]}), "has shape")
graph_with("concat_huge", lambda g: g["nodes"].insert(3, {"id": "cat", "op": "concat", "inputs": ["gp"] * 3}) or g["nodes"][0].update(filters=2**23), "has more than 2147483647 elements")
graph_with("fc_macs_overflow", lambda g: g.update(input=[16384, 16384, 8]) or g["nodes"].__setitem__(0, {"id": "c1", "op": "conv2d", "inputs": ["input"], "filters": 8, "kernel": 16777215, "stride": 1}), "")
graph_with("conv_kernel_huge_valid", lambda g: g["nodes"][0].update(kernel=[40, 1], padding="valid"), "is larger than its valid-padded input")
graph_with("depth_multiplier_zero", lambda g: g["nodes"].insert(1, {"id": "dw", "op": "depthwise_conv2d", "inputs": ["c1"], "kernel": 3, "depth_multiplier": 0}), "depth_multiplier must be > 0")
graph_with("depth_multiplier_disagrees", lambda g: g["nodes"].insert(1, {"id": "dw", "op": "depthwise_conv2d", "inputs": ["c1"], "kernel": 3, "depth_multiplier": 2, "filters": 8}), "disagree with depth_multiplier")
graph_with("softmax_wrong_arity", lambda g: g["nodes"].append({"id": "s", "op": "softmax", "inputs": ["fc", "gp"]}), "takes 1 input(s), but got 2")
# Text-level damage.
graph_case("empty_file", b"", "g.json: invalid JSON")
graph_case("truncated", js(GRAPH)[:-5], "g.json: invalid JSON")
graph_case("not_an_object_list", b"[]", "g.json must be a JSON object, but got []")
graph_case("not_an_object_string", b"\"graph\"", "g.json must be a JSON object")
graph_case("not_an_object_null", b"null", "g.json must be a JSON object")
graph_case("nan_literal", js(GRAPH).replace(b'"filters": 8', b'"filters": NaN'), "g.json: invalid JSON")
graph_case("infinity_literal", js(GRAPH).replace(b'"filters": 8', b'"filters": Infinity'), "g.json: invalid JSON")
graph_case("number_1e999", js(GRAPH).replace(b'"filters": 8', b'"filters": 1e999'), "g.json: invalid JSON: number overflow parsing '1e999' (at nodes[0].filters)")
graph_case("number_m1e999", js(GRAPH).replace(b'"units": 10', b'"units": -1e999'), "(at nodes[3].units)")
graph_case("duplicate_key", js(GRAPH).replace(b'"filters": 8', b'"filters": 8, "filters": 16'), "g.json: key \"filters\" appears twice in one object (at nodes[0])")
graph_case("duplicate_top_key", js(GRAPH).replace(b'"name": "g"', b'"name": "g", "name": "h"'), "key \"name\" appears twice")
graph_case("comment", b"// graph\n" + js(GRAPH), "g.json: invalid JSON")
graph_case("trailing_comma", js(GRAPH).replace(b'"outputs": ["fc"]', b'"outputs": ["fc",]'), "g.json: invalid JSON")
graph_case("bad_utf8", js(GRAPH).replace(b'"name": "g"', b'"name": "\xff\xfe"'), "g.json: invalid JSON")
graph_case("binary_garbage", bytes(range(256)) * 4, "g.json: invalid JSON")
graph_case("trailing_garbage", js(GRAPH) + b" x", "g.json: invalid JSON")
for depth, label in [(65, "65"), (1000, "1e3"), (100000, "1e5")]:
    graph_case(f"name_nested_arrays_{label}", b'{"name": ' + b"[" * depth + b"]" * depth + b"}", "g.json: JSON nested deeper than 64 levels")
    graph_case(f"name_nested_objects_{label}", b'{"name": ' + b'{"a":' * depth + b"1" + b"}" * depth + b"}", "g.json: JSON nested deeper than 64 levels")
graph_case("name_nested_unclosed_1e5", b'{"name": ' + b"[" * 100000, "g.json: JSON nested deeper than 64 levels")
graph_case("name_nested_64_is_only_a_type_error", b'{"name": ' + b"[" * 63 + b"]" * 63 + b"}", "g.json: name must be a string, but got [[[[")
graph_case("missing_file", None, "g.json: cannot open file")
graph_case("is_a_directory", "DIR", "is a directory")
# An ArchSpec passed with --graph.
graph_case("arch_given_as_graph", js({"input": [28, 28, 1], "classes": 10, "stem": {"filters": 8}, "blocks": []}), "this is an ArchSpec")


# --- ArchSpec (latency --arch) ----------------------------------------------------------------
ARCH = {"format": "nasctl.arch", "version": 1, "name": "a", "input": [28, 28, 1], "classes": 10,
        "stem": {"filters": 16, "kernel": 3, "stride": 1, "activation": "relu"},
        "blocks": [{"type": "ibn", "kernel": 3, "expansion": 4, "filters": 24, "stride": 2, "activation": "relu", "se": False},
                   {"type": "skip"},
                   {"type": "group_ibn", "kernel": 3, "expansion": 2, "filters": 24, "stride": 1, "activation": "relu", "se": True, "groups": 2}],
        "head": {"filters": 64, "activation": "relu"}}


def arch_with(name, mutate, message, extra_args=()):
    a = copy.deepcopy(ARCH)
    mutate(a)
    case("arch", name, {"a.json": js(a)}, ["latency", "--arch", "{dir}/a.json", *extra_args], INPUT, message)


def set_block(i, key, value):
    def f(a):
        a["blocks"][i][key] = value
    return f


for label, value, text in BIG_NUMBERS:
    arch_with(f"block_filters_{label}", set_block(0, "filters", value), "a.json: blocks[0].filters must be")
    arch_with(f"stem_filters_{label}", lambda a, value=value: a["stem"].update(filters=value), "a.json: stem.filters must be")
    arch_with(f"classes_{label}", lambda a, value=value: a.update(classes=value), "a.json: classes must be")
arch_with("block_filters_zero", set_block(0, "filters", 0), "a.json: blocks[0].filters must be >= 1, but got 0")
arch_with("block_filters_2p24p1", set_block(0, "filters", 2**24 + 1), "a.json: blocks[0].filters must be at most 16777216")
for label, value in [("1e308", 1e308), ("1e5", 1e5), ("zero", 0), ("negative", -1), ("65", 65)]:
    arch_with(f"expansion_{label}", set_block(0, "expansion", value), "a.json: blocks[0].expansion must be in (0, 64]")
arch_with("expansion_string", set_block(0, "expansion", "4"), "a.json: blocks[0].expansion must be a number")
for label, value in [("even", 4), ("zero", 0), ("negative", -3), ("257", 257), ("2p31m1", 2**31 - 1)]:
    arch_with(f"kernel_{label}", set_block(0, "kernel", value), "a.json: blocks[0].kernel must be an odd kernel size in [1, 255]")
arch_with("kernel_2p32p3", set_block(0, "kernel", 2**32 + 3), "a.json: blocks[0].kernel must be an integer in")
for label, value in [("three", 3), ("zero", 0), ("2p32p1", 2**32 + 1)]:
    arch_with(f"stride_{label}", set_block(0, "stride", value), "a.json: blocks[0].stride must be")
arch_with("type_unknown", set_block(0, "type", "mbconv"), "a.json: blocks[0].type")
arch_with("skip_with_settings", set_block(1, "kernel", 3), "a.json: blocks[1].kernel is not a known key")
arch_with("groups_zero", set_block(2, "groups", 0), "a.json: blocks[2].groups must be >= 1")
arch_with("groups_not_divisor", set_block(2, "groups", 5), "blocks[2] (group_ibn): groups 5 must divide")
arch_with("activation_bad", set_block(0, "activation", "gelu"), "a.json: blocks[0].activation")
arch_with("se_string", set_block(0, "se", "yes"), "a.json: blocks[0].se must be true or false")
arch_with("unknown_block_key", set_block(0, "dilation", 2), "a.json: blocks[0].dilation is not a known key")
arch_with("blocks_not_list", lambda a: a.update(blocks={"type": "ibn"}), "a.json: blocks must be a list")
arch_with("block_not_object", lambda a: a["blocks"].append("ibn"), "a.json: blocks[3] must be an object")
arch_with("input_huge", lambda a: a.update(input=[100000, 100000, 1]), "a.json: node 'stem' (conv2d): output 100000x100000x16 has more than")
arch_with("input_2p31m1", lambda a: a.update(input=[2**31 - 1, 2**31 - 1, 1]), "a.json: node 'stem' (conv2d): output 2147483647x2147483647x16")
arch_with("input_zero", lambda a: a.update(input=[0, 28, 1]), "a.json: input must be [height, width, channels], all > 0")
arch_with("head_hidden_negative", lambda a: a["head"].update(hidden=-1), "a.json: head.hidden must be >= 0")
arch_with("head_filters_2p31", lambda a: a["head"].update(filters=2**31), "a.json: head.filters must be an integer in")
arch_with("stem_kernel_even", lambda a: a["stem"].update(kernel=2), "a.json: stem.kernel must be an odd kernel size")
arch_with("format_other", lambda a: a.update(format="nasctl.graph"), "a.json: format must be \"nasctl.arch\"")
arch_with("version_2", lambda a: a.update(version=2), "a.json: version must be 1")
arch_with("unknown_key", lambda a: a.update(extra=True), "a.json: extra is not a known key")
arch_with("stem_missing", lambda a: a.pop("stem"), "a.json: stem is required but missing")
arch_with("duplicate_key_via_text", lambda a: None, "", extra_args=())  # replaced below
CASES.pop()
case("arch", "duplicate_key", {"a.json": js(ARCH).replace(b'"classes": 10', b'"classes": 10, "classes": 100')},
     ["latency", "--arch", "{dir}/a.json"], INPUT, "a.json: key \"classes\" appears twice in one object (at top level)")
case("arch", "name_nested_1e5", {"a.json": b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}"},
     ["latency", "--arch", "{dir}/a.json"], INPUT, "a.json: JSON nested deeper than 64 levels")
case("arch", "arch_member_nested", {"a.json": b'{"arch": ' * 70 + b"{}" + b"}" * 70},
     ["latency", "--arch", "{dir}/a.json"], INPUT, "a.json: JSON nested deeper than 64 levels")
case("arch", "graph_given_as_arch", {"a.json": js(GRAPH)}, ["latency", "--arch", "{dir}/a.json"], INPUT,
     "this is a graph")
for size, label in [(2**31 - 1, "2p31m1"), (100000, "1e5"), (-5, "negative")]:
    case("arch", f"input_size_flag_{label}", {"a.json": js(ARCH)},
         ["latency", "--arch", "{dir}/a.json", "--input-size", str(size)], INPUT,
         "--input-size must be > 0" if size < 0 else f"a.json at --input-size {size}: node 'stem' (conv2d): output")
case("arch", "input_size_flag_with_graph", {"g.json": js(GRAPH)}, ["latency", "--graph", "{dir}/g.json", "--input-size", "64"],
     INPUT, "--input-size 64 disagrees with")


# --- search spaces (space --space) ------------------------------------------------------------
SPACE = {"format": "nasctl.space", "version": 1, "name": "s", "input": [28, 28, 1], "classes": 10,
         "stem": {"filters": 16, "kernel": 3, "stride": 1, "activation": "relu"},
         "defaults": {"type": ["ibn", "fused_ibn"], "kernel": [3, 5], "expansion": [2, 4], "filter_multiplier": [0.5, 1.0],
                      "activation": "relu", "se": False, "skippable": True},
         "stages": [{"filters": 24, "stride": 2, "layers": 2}, {"filters": 40, "stride": 2, "layers": 2}],
         "head": {"filters": 128, "activation": "relu"}}


def space_with(name, mutate, message):
    s = copy.deepcopy(SPACE)
    mutate(s)
    case("space", name, {"s.json": js(s)}, ["space", "--space", "{dir}/s.json"], INPUT, message)


for label, value in [("2p31m1", 2**31 - 1), ("65", 65), ("zero", 0), ("1e6", 10**6)]:
    space_with(f"layers_{label}", lambda s, value=value: s["stages"][0].update(layers=value), "s.json: stages[0].layers must be an integer in [1, 64]")
space_with("layers_2p32", lambda s: s["stages"][0].update(layers=2**32), "s.json: stages[0].layers must be an integer in [-2147483648, 2147483647], but got 4294967296")
space_with("stages_empty", lambda s: s.update(stages=[]), "s.json: stages must be a list of 1 to 64 stages")
space_with("stages_100", lambda s: s.update(stages=[{"filters": 24, "stride": 1, "layers": 1}] * 100), "s.json: stages must be a list of 1 to 64 stages")
for label, value in [("even", 4), ("2p32p3", 2**32 + 3), ("string", "3"), ("257", 257)]:
    space_with(f"kernel_choice_{label}", lambda s, value=value: s["defaults"].update(kernel=[3, value]), "s.json: defaults.kernel[1] must be an odd kernel size in [1, 255]")
for label, value in [("1e308", 1e308), ("zero", 0), ("65", 65)]:
    space_with(f"expansion_choice_{label}", lambda s, value=value: s["defaults"].update(expansion=[2, value]), "s.json: defaults.expansion[1] must be an expansion ratio in [1, 64]")
space_with("multiplier_zero", lambda s: s["defaults"].update(filter_multiplier=[0]), "must be a filter multiplier in (0, 16]")
space_with("multiplier_1e308", lambda s: s["defaults"].update(filter_multiplier=[1e308]), "must be a filter multiplier in (0, 16]")
space_with("choices_twice", lambda s: s["defaults"].update(kernel=[3, 3]), "s.json: defaults.kernel lists 3 twice")
space_with("choices_empty", lambda s: s["defaults"].update(kernel=[]), "must be a value or a non-empty list of choices")
space_with("filters_not_multiple_of_8", lambda s: s["stages"][0].update(filters=25), "s.json: stages[0].filters must be a multiple of 8")
space_with("filters_2p31", lambda s: s["stages"][0].update(filters=2**31), "s.json: stages[0].filters must be an integer in")
space_with("filters_2p24p8", lambda s: s["stages"][0].update(filters=2**24 + 8), "s.json: stages[0].filters must be at most 16777216")
space_with("stride_3", lambda s: s["stages"][0].update(stride=3), "s.json: stages[0].stride must be 1 or 2")
space_with("type_unknown", lambda s: s["defaults"].update(type=["mbconv"]), "must be one of ibn, fused_ibn, group_ibn")
space_with("skip_stage_wide", lambda s: s["defaults"].update(type=["ibn", "skip"]), "\"skip\" would reach the first layer")
space_with("tie_unknown", lambda s: s["stages"][0].update(tie=["color"]), "s.json: stages[0].tie[0] must name a decision")
space_with("override_layer_out_of_range", lambda s: s["stages"][0].update(overrides=[{"layer": 5, "kernel": 3}]), "must be a layer index in [0, 1]")
space_with("override_layer_2p32", lambda s: s["stages"][0].update(overrides=[{"layer": 2**32, "kernel": 3}]), "layer must be an integer in")
space_with("override_twice", lambda s: s["stages"][0].update(overrides=[{"layer": 1, "kernel": 3}, {"layer": 1, "kernel": 5}]), "a layer not overridden before")
space_with("name_empty", lambda s: s.update(name=""), "s.json: name must be a non-empty string")
space_with("description_nested", lambda s: s.update(description=[[["x"]]]), "s.json: description must be a string")
space_with("classes_zero", lambda s: s.update(classes=0), "s.json: classes must be >= 1")
space_with("unknown_key", lambda s: s.update(colour=1), "s.json: colour is not a known key")
space_with("stage_unknown_key", lambda s: s["stages"][0].update(depth=3), "s.json: stages[0].depth is not a known key")
space_with("groups_zero", lambda s: s["defaults"].update(groups=0), "s.json: defaults.groups must be >= 1")
space_with("input_2p31", lambda s: s.update(input=[2**31, 28, 1]), "s.json: input must be a list of integers in [-2147483648, 2147483647]")
case("space", "description_nested_1e5", {"s.json": js(SPACE).replace(b'"name": "s"', b'"name": "s", "description": ' + b"[" * 100000 + b"]" * 100000)},
     ["space", "--space", "{dir}/s.json"], INPUT, "s.json: JSON nested deeper than 64 levels")
case("space", "duplicate_key", {"s.json": js(SPACE).replace(b'"layers": 2', b'"layers": 2, "layers": 3', 1)},
     ["space", "--space", "{dir}/s.json"], INPUT, "key \"layers\" appears twice in one object (at stages[0])")
case("space", "number_1e999", {"s.json": js(SPACE).replace(b'"classes": 10', b'"classes": 1e999')},
     ["space", "--space", "{dir}/s.json"], INPUT, "s.json: invalid JSON: number overflow parsing '1e999' (at classes)")
case("space", "unknown_builtin", {}, ["space", "--space", "no-such-space"], INPUT, "no-such-space")


# --- hardware profiles (latency --hardware FILE) ----------------------------------------------
HW_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "configs", "hardware", "coral-usb3.json")
with open(HW_PATH, "rb") as f:
    HW = json.loads(f.read())


def hw_with(name, mutate, message):
    h = copy.deepcopy(HW)
    mutate(h)
    case("hardware", name, {"h.json": js(h)}, ["latency", "--model", "mobilenet_v2", "--hardware", "{dir}/h.json"], INPUT, message)


for param in ["clock_hz", "array_rows", "host_bandwidth", "onchip_bandwidth", "sram_param_bytes"]:
    if param not in HW["params"]:
        continue
    for label, value in [("zero", 0), ("negative", -1), ("string", "fast"), ("1e308", 1e308), ("null", None)]:
        hw_with(f"{param}_{label}", lambda h, param=param, value=value: h["params"][param].update(value=value), f"h.json: params.{param}")
hw_with("unknown_param", lambda h: h["params"].update(warp_factor={"value": 9}), "h.json: params.warp_factor")
hw_with("format_other", lambda h: h.update(format="other"), "h.json: format must be")
hw_with("params_list", lambda h: h.update(params=[]), "h.json: params must be")
hw_with("param_not_object", lambda h: h["params"].update(clock_hz=5e8), "h.json: params.clock_hz")
hw_with("unknown_key", lambda h: h.update(colour=1), "h.json: colour is not a known key")
case("hardware", "description_nested_1e5", {"h.json": js(HW).replace(b'"description": ', b'"description": ' + b"{\"a\":" * 100000 + b"1" + b"}" * 100000 + b', "x": ', 1)},
     ["latency", "--model", "mobilenet_v2", "--hardware", "{dir}/h.json"], INPUT, "h.json: JSON nested deeper than 64 levels")
case("hardware", "duplicate_key", {"h.json": js(HW).replace(b'"name": ', b'"name": "x", "name": ', 1)},
     ["latency", "--model", "mobilenet_v2", "--hardware", "{dir}/h.json"], INPUT, "h.json: key \"name\" appears twice")
case("hardware", "unknown_builtin", {}, ["latency", "--model", "mobilenet_v2", "--hardware", "coral-usb9"], INPUT, "coral-usb9")


# --- latency measurements (latency calibrate --measurements) -----------------------------------
MEAS = {"measurements": [{"model": "mobilenet_v2", "latency_ms": 2.5}, {"model": "mobilenet_v1", "input": 224, "latency_ms": 2.2}]}


def meas_with(name, mutate, message):
    m = copy.deepcopy(MEAS)
    mutate(m)
    case("measurements", name, {"m.json": js(m)},
         ["latency", "calibrate", "--hardware", "coral-usb3", "--measurements", "{dir}/m.json", "--max-iterations", "1"], INPUT, message)


for label, value in [("zero", 0), ("negative", -2), ("string", "2.5"), ("null", None), ("list", [])]:
    meas_with(f"latency_{label}", lambda m, value=value: m["measurements"][0].update(latency_ms=value), "m.json: measurements[0]")
meas_with("model_unknown", lambda m: m["measurements"][0].update(model="resnet9000"), "is not in the zoo")
meas_with("input_2p31", lambda m: m["measurements"][1].update(input=2**31), "m.json: measurements[1].input must be an integer in")
meas_with("input_huge", lambda m: m["measurements"][1].update(input=10**6), "too large")
meas_with("input_tiny", lambda m: m["measurements"][1].update(input=1), "m.json: measurements[1]")
meas_with("no_network", lambda m: m["measurements"][0].pop("model"), "must name its network")
meas_with("empty_list", lambda m: m.update(measurements=[]), "must list at least one measurement")
meas_with("not_list", lambda m: m.update(measurements={}), "m.json: measurements must be a list")
meas_with("entry_scalar", lambda m: m["measurements"].append(1), "m.json: measurements[2] must be an object")
meas_with("arch_str_bad", lambda m: m["measurements"][0].pop("model") or m["measurements"][0].update(arch_str="garbage"), "m.json: measurements[0]")
meas_with("graph_bad", lambda m: m["measurements"][0].pop("model") or m["measurements"][0].update(graph={"input": [1]}), "m.json: measurements[0]")
meas_with("classes_zero", lambda m: m["measurements"][0].update(classes=0), "m.json: measurements[0]")
case("measurements", "nested_1e5", {"m.json": b'{"measurements": ' + b"[" * 100000 + b"]" * 100000 + b"}"},
     ["latency", "calibrate", "--hardware", "coral-usb3", "--measurements", "{dir}/m.json"], INPUT, "m.json: JSON nested deeper than 64 levels")
case("measurements", "number_1e999", {"m.json": js(MEAS).replace(b'"latency_ms": 2.5', b'"latency_ms": 1e999')},
     ["latency", "calibrate", "--hardware", "coral-usb3", "--measurements", "{dir}/m.json"], INPUT, "m.json: invalid JSON: number overflow parsing '1e999' (at measurements[0].latency_ms)")


# --- search configs (search --config) ---------------------------------------------------------
SEARCH = {"space": "tiny", "data": "fashion-mnist", "hardware": "coral-usb3", "target_ms": 0.5, "steps": 10, "batch_size": 8}


def search_with(name, mutate, message, extra=()):
    s = copy.deepcopy(SEARCH)
    mutate(s)
    case("search_config", name, {"s.json": js(s)}, ["search", "--config", "{dir}/s.json", "--out", "{dir}/run", *extra], INPUT, message)


search_with("target_zero", lambda s: s.update(target_ms=0), "search.target_ms must be > 0 (the target latency in ms), but got 0")
search_with("target_negative", lambda s: s.update(target_ms=-3), "search.target_ms must be > 0")
search_with("target_string", lambda s: s.update(target_ms="fast"), "s.json: target_ms must be a number")
search_with("steps_zero", lambda s: s.update(steps=0), "search.steps must be > 0")
search_with("steps_2p31", lambda s: s.update(steps=2**31), "s.json: steps must be")
search_with("batch_2p32", lambda s: s.update(batch_size=2**32), "s.json: batch_size must be an integer in")
search_with("batch_negative", lambda s: s.update(batch_size=-1), "search.batch_size must be > 0")
search_with("workers_1e5", lambda s: s.update(workers=100000), "search.workers must be in [0, 1024]")
search_with("val_fraction_one", lambda s: s.update(val_fraction=1), "search.val_fraction must be in (0, 1)")
search_with("seed_negative", lambda s: s.update(seed=-1), "s.json: seed must be a non-negative integer")
search_with("seed_float", lambda s: s.update(seed=1e23), "s.json: seed must be a non-negative integer")
search_with("lr_zero", lambda s: s.update(supernet={"lr": 0}), "search.supernet.lr must be > 0")
search_with("beta_positive", lambda s: s.update(controller={"beta": 1}), "search.controller.beta must be <= 0")
search_with("reward_unknown", lambda s: s.update(controller={"reward": "best"}), "s.json: controller.reward")
search_with("schedule_unknown", lambda s: s.update(supernet={"schedule": "step"}), "s.json: supernet.schedule must be one of")
search_with("warmup_two", lambda s: s.update(warmup={"op": 2}), "search.warmup.op must be in [0, 1]")
search_with("unknown_key", lambda s: s.update(colour=1), "s.json: colour is not a known key")
search_with("edgetpu_only_bad", lambda s: s.update(edgetpu_only="maybe"), "s.json: edgetpu_only must be one of")
search_with("space_missing_file", lambda s: s.update(space="/nonexistent/space.json"), "space")
case("search_config", "duplicate_key", {"s.json": js(SEARCH).replace(b'"steps": 10', b'"steps": 10, "steps": 20')},
     ["search", "--config", "{dir}/s.json", "--out", "{dir}/run"], INPUT, "s.json: key \"steps\" appears twice")
case("search_config", "nested_1e5", {"s.json": b'{"description": ' + b"[" * 100000 + b"]" * 100000 + b"}"},
     ["search", "--config", "{dir}/s.json", "--out", "{dir}/run"], INPUT, "s.json: JSON nested deeper than 64 levels")
case("search_config", "target_flag_zero", {}, ["search", "--target-ms", "0", "--out", "{dir}/run"], INPUT,
     "search.target_ms must be > 0 (the target latency in ms), but got 0")
case("search_config", "target_flag_nan", {}, ["search", "--target-ms", "nan", "--out", "{dir}/run"], INPUT,
     "search.target_ms must be > 0 (the target latency in ms), but got nan")
case("search_config", "resume_without_run", {}, ["search", "--resume", "--out", "{dir}/none"], INPUT, "holds no search")


# --- train configs (train --config) -----------------------------------------------------------
TRAIN = {"model": "mobilenet_v2", "width": 0.5, "data": "fashion-mnist", "input_size": 32, "epochs": 1, "batch_size": 8}


def train_with(name, mutate, message):
    t = copy.deepcopy(TRAIN)
    mutate(t)
    case("train_config", name, {"t.json": js(t)}, ["train", "--config", "{dir}/t.json", "--out", "{dir}/run"], INPUT, message)


train_with("epochs_zero", lambda t: t.update(epochs=0), "train.epochs must be > 0")
train_with("epochs_2p31", lambda t: t.update(epochs=2**31), "t.json: epochs must be an integer in")
train_with("batch_2p32", lambda t: t.update(batch_size=2**32), "t.json: batch_size must be an integer in")
train_with("workers_1e5", lambda t: t.update(workers=100000), "train.workers must be in [0, 1024]")
train_with("width_zero", lambda t: t.update(width=0), "train.width must be > 0")
train_with("lr_negative", lambda t: t.update(optimizer={"lr": -1}), "train.optimizer.lr must be > 0")
train_with("optimizer_unknown", lambda t: t.update(optimizer={"name": "lion"}), "t.json: optimizer.name")
train_with("mean_empty", lambda t: t.update(transform={"mean": [], "std": []}), "mean must be one value or one per channel")
train_with("mean_huge", lambda t: t.update(transform={"mean": [1e300], "std": [1]}), "mean must be a list of numbers of magnitude at most 1e30")
train_with("std_zero", lambda t: t.update(transform={"mean": [0.5], "std": [0]}), "std")
train_with("pad_1e9", lambda t: t.update(transform={"pad": 10**9}), "pad")
train_with("pad_2p40", lambda t: t.update(transform={"pad": 2**40}), "t.json.transform: pad must be an integer in")
train_with("augment_unknown", lambda t: t.update(transform={"augment": "mixup"}), "augment")
train_with("seed_negative", lambda t: t.update(seed=-1), "t.json: seed must be an integer >= 0")
train_with("seed_float", lambda t: t.update(seed=1e23), "t.json: seed must be an integer >= 0")
train_with("device_bad", lambda t: t.update(device="tpu"), "train.device must be cpu, cuda or cuda:N")
train_with("two_networks", lambda t: t.update(graph="x.json"), "train needs exactly one network")
train_with("label_smoothing_one", lambda t: t.update(label_smoothing=1), "train.label_smoothing must be in [0, 1)")
train_with("unknown_key", lambda t: t.update(colour=1), "t.json: colour is not a known key")
case("train_config", "duplicate_key", {"t.json": js(TRAIN).replace(b'"epochs": 1', b'"epochs": 1, "epochs": 2')},
     ["train", "--config", "{dir}/t.json", "--out", "{dir}/run"], INPUT, "t.json: key \"epochs\" appears twice")
case("train_config", "resume_without_config", {"run/placeholder": b""}, ["train", "--resume", "--out", "{dir}/run"], INPUT,
     "holds no training run (no config.json)")


# --- latency --batch lines ---------------------------------------------------------------------
good_line = js(GRAPH)
bad_lines = [(b"{", "invalid JSON"), (b"[]", "must be a JSON object"), (js({**GRAPH, "input": [0, 1, 1]}), "all > 0"),
             (b'{"name": ' + b"[" * 100000 + b"]" * 100000 + b"}", "JSON nested deeper than 64 levels"),
             (js(GRAPH).replace(b'"filters": 8', b'"filters": 1e999'), "number overflow"),
             (js(GRAPH).replace(b'"filters": 8', b'"filters": 8, "filters": 9'), "appears twice")]
for i, (line, message) in enumerate(bad_lines):
    case("batch", f"bad_line_{i}", {"b.jsonl": good_line + b"\n" + line + b"\n" + good_line + b"\n"},
         ["latency", "--batch", "{dir}/b.jsonl"], INPUT, f"b.jsonl:2: ")
case("batch", "all_lines_reported", {"b.jsonl": b"\n".join([b"{", good_line, b"[]", good_line, b"x"]) + b"\n"},
     ["latency", "--batch", "{dir}/b.jsonl"], INPUT, "3 of 5 networks could not be read")
case("batch", "last_line_reported", {"b.jsonl": good_line + b"\n" + good_line + b"\n{"}, ["latency", "--batch", "{dir}/b.jsonl"],
     INPUT, "b.jsonl:3: invalid JSON")
case("batch", "missing_file", {}, ["latency", "--batch", "{dir}/none.jsonl"], INPUT, "cannot open file")


# --- command-line values -----------------------------------------------------------------------
for flag, value, message in [("--threads", "100000", "--threads must be in [0, 1024]"), ("--threads", "-1", "--threads must be in [0, 1024]"),
                             ("--threads", "99999999999", "--threads"), ("--seed", "-1", "--seed"), ("--seed", "1e23", "--seed"),
                             ("--seed", "18446744073709551616", "--seed"), ("--seed", "0x10", "--seed"), ("--seed", "", "--seed")]:
    case("flags", f"{flag[2:]}_{value or 'empty'}", {}, [flag, value, "models"], INPUT, message)
for value, message in [("2147483647", "too large"), ("2147483648", "--input-size"), ("100000", "too large"), ("-3", "--input-size must be > 0"), ("0x20", "--input-size")]:
    case("flags", f"input_size_{value}", {}, ["latency", "--model", "mobilenet_v2", "--input-size", value], INPUT, message)
    case("flags", f"models_input_size_{value}", {}, ["models", "--summary", "mobilenet_v2", "--input-size", value], INPUT, message)
case("flags", "classes_2p31", {}, ["latency", "--model", "mobilenet_v2", "--classes", "2147483648"], INPUT, "--classes")
case("flags", "classes_zero", {}, ["latency", "--model", "mobilenet_v2", "--classes", "0"], INPUT, "--classes must be > 0")
case("flags", "eval_workers_1e5", {}, ["eval", "--checkpoint", "{dir}/none.ckpt", "--workers", "100000"], INPUT, "--workers must be in [0, 1024]")
case("flags", "nb201_garbage", {}, ["latency", "--nb201", "|nor_conv_9x9~0|"], INPUT, "nor_conv_9x9")


# --- checkpoints (eval --checkpoint, train --resume) --------------------------------------------
def archive(header, data=b"", version=1, magic=b"NASCTLTA", header_len=None):
    text = header if isinstance(header, bytes) else js(header)
    head = magic + struct.pack("<I", version) + struct.pack("<Q", len(text) if header_len is None else header_len) + text
    head += b"\0" * ((-len(head)) % 64)
    return head + data


def fnv(data):
    h = 1469598103934665603
    for b in data:
        h = ((h ^ b) * 1099511628211) & (2**64 - 1)
    return f"{h:016x}"


def ckpt_case(name, content, message, code=INPUT):
    case("checkpoint", name, {"c.ckpt": content}, ["eval", "--checkpoint", "{dir}/c.ckpt", "--data", "fashion-mnist"], code, message)


ONE = struct.pack("<f", 1.0)
ENTRY = {"name": "model.w", "dtype": "float32", "shape": [1], "offset": 0, "bytes": 4, "hash": fnv(ONE)}


def entry(**kw):
    e = dict(ENTRY)
    e.update(kw)
    return e


ckpt_case("empty", b"", "c.ckpt: not a nasctl tensor archive (bad magic)")
ckpt_case("bad_magic", b"PK\x03\x04" + b"\0" * 100, "not a nasctl tensor archive (bad magic)")
ckpt_case("version_2", archive({"tensors": []}, version=2), "tensor archive version 2 is not supported")
ckpt_case("header_len_huge", archive({"tensors": []}, header_len=2**62), "truncated tensor archive (header)")
ckpt_case("header_len_wraps", archive({"tensors": []}, header_len=2**64 - 8), "truncated tensor archive (header)")
ckpt_case("header_not_json", archive(b"not json"), "c.ckpt (header): invalid JSON")
ckpt_case("header_nested_1e5", archive(b'{"meta": ' + b"[" * 100000 + b"]" * 100000 + b"}"), "c.ckpt (header): JSON nested deeper than 64 levels")
ckpt_case("header_duplicate_key", archive(b'{"tensors": [], "tensors": []}'), "key \"tensors\" appears twice")
ckpt_case("no_index", archive({"meta": {}}), "tensor archive header has no tensor index")
ckpt_case("meta_not_object", archive({"meta": [1, 2], "tensors": []}), "tensor archive metadata must be a JSON object, but got [1,2]")
ckpt_case("entry_not_object", archive({"tensors": [3]}), "c.ckpt: tensors[0] must be an object")
ckpt_case("negative_dim", archive({"tensors": [entry(shape=[-1])]}, ONE), "c.ckpt: tensors[0].shape must be a list of dimensions >= 0")
ckpt_case("dim_2p63", archive({"tensors": [entry(shape=[2**63])]}, ONE), "shape must be a list of dimensions >= 0")
ckpt_case("numel_overflow", archive({"tensors": [entry(shape=[2**40, 2**40], bytes=0)]}, ONE), "c.ckpt: tensors[0].bytes must be the size of its shape")
ckpt_case("claims_4tib", archive({"tensors": [entry(shape=[2**40], bytes=2**42)]}, ONE), "truncated data (claims 4398046511104 bytes")
ckpt_case("bytes_disagree", archive({"tensors": [entry(bytes=8)]}, ONE), "bytes must be the size of its shape x 4-byte elements")
ckpt_case("offset_beyond", archive({"tensors": [entry(offset=2**63)]}, ONE), "truncated data")
ckpt_case("offset_negative", archive({"tensors": [entry(offset=-64)]}, ONE), "offset must be an integer >= 0")
ckpt_case("dtype_unknown", archive({"tensors": [entry(dtype="complex64")]}, ONE), "c.ckpt: tensors[0].dtype must be a dtype the archive format knows")
ckpt_case("dtype_number", archive({"tensors": [entry(dtype=4)]}, ONE), "c.ckpt: tensors[0].dtype must be a string")
ckpt_case("hash_wrong", archive({"tensors": [entry(hash="0" * 16)]}, ONE), "data is damaged (hash)")
ckpt_case("listed_twice", archive({"tensors": [entry(), entry()]}, ONE), "c.ckpt: tensor 'model.w' is listed twice")
ckpt_case("name_empty", archive({"tensors": [entry(name="")]}, ONE), "c.ckpt: tensors[0].name must be a non-empty string")
ckpt_case("rank_17", archive({"tensors": [entry(shape=[1] * 17)]}, ONE), "a list of at most 16 dimensions")
ckpt_case("unknown_entry_key", archive({"tensors": [entry(strides=[1])]}, ONE), "c.ckpt: tensors[0].strides is not a known key")
ckpt_case("truncated_data", archive({"tensors": [entry(shape=[4], bytes=16)]}, ONE), "truncated data")
ckpt_case("meta_format_missing", archive({"meta": {}, "tensors": []}), "c.ckpt: format must be \"nasctl.checkpoint\"")
META = {"format": "nasctl.checkpoint", "version": 1, "graph": GRAPH, "classes": 10, "class_names": [],
        "transform": {"input_size": 32, "channels": 3}}
for name, meta_patch, message in [
        ("meta_version_2p32", {"version": 2**32}, "c.ckpt: version must be an integer in"),
        ("meta_graph_bad", {"graph": {"input": [1]}}, "c.ckpt: graph"),
        ("meta_classes_zero", {"classes": 0}, "c.ckpt: classes must be an integer in [1, 2147483647], but got 0"),
        ("meta_classes_string", {"classes": "ten"}, "c.ckpt: classes must be an integer"),
        ("meta_class_names_string", {"class_names": "cat"}, "c.ckpt: class_names must be a list of strings"),
        ("meta_class_names_count", {"class_names": ["a", "b"]}, "c.ckpt: class_names must be one name per class (10)"),
        ("meta_epoch_negative", {"epoch": -1}, "c.ckpt: epoch must be an integer in [0, 2147483647]"),
        ("meta_step_string", {"step": "7"}, "c.ckpt: step must be an integer >= 0"),
        ("meta_step_negative", {"step": -7}, "c.ckpt: step must be an integer >= 0"),
        ("meta_recipe_list", {"recipe": []}, "c.ckpt: recipe must be an object"),
        ("meta_state_string", {"state": "x"}, "c.ckpt: state must be an object"),
        ("meta_arch_number", {"arch": 3}, "c.ckpt: arch must be an object or null"),
        ("meta_transform_missing", {"transform": None}, "c.ckpt: transform"),
        ("meta_graph_nested", None, "JSON nested deeper")]:
    if meta_patch is None:
        ckpt_case(name, archive(b'{"meta": {"graph": ' + b"[" * 70 + b"]" * 70 + b'}, "tensors": []}'), message)
        continue
    meta = dict(META)
    meta.update(meta_patch)
    if meta.get("transform") is None:
        meta.pop("transform")
    ckpt_case(name, archive({"meta": meta, "tensors": []}), message)


# --- IDX folders (train --data DIR) ------------------------------------------------------------
def idx(rank, dims, payload):
    return bytes([0, 0, 8, rank]) + b"".join(struct.pack(">I", d) for d in dims) + payload


def idx_case(name, images, labels, message, gz=False):
    files = {}
    suffix = ".gz" if gz else ""
    files[f"d/train-images-idx3-ubyte{suffix}"] = gzip.compress(images) if gz else images
    if labels is not None:
        files[f"d/train-labels-idx1-ubyte{suffix}"] = gzip.compress(labels) if gz else labels
    case("idx", name, files, ["train", "--model", "mobilenet_v2", "--data", "{dir}/d", "--out", "{dir}/run", "--epochs", "1"],
         INPUT, message)


GOOD_IMAGES = idx(3, [2, 4, 4], bytes(32))
GOOD_LABELS = idx(1, [2], bytes([0, 1]))
idx_case("images_empty_file", b"", GOOD_LABELS, "is too short")
idx_case("images_bad_magic", b"\0\0\x0d\x03" + bytes(12 + 32), GOOD_LABELS, "has magic number 0x00000d03")
idx_case("images_rank_2", idx(2, [2, 16], bytes(32)), GOOD_LABELS, "has magic number")
idx_case("images_side_zero", idx(3, [2, 0, 4], b""), GOOD_LABELS, "declares an image side of 0, outside [1, 4096]")
idx_case("images_side_2p32m1", idx(3, [1, 2**32 - 1, 2**32 - 1], b""), GOOD_LABELS, "declares an image side of 4294967295")
idx_case("images_side_4097", idx(3, [1, 4097, 1], bytes(4097)), GOOD_LABELS, "declares an image side of 4097")
idx_case("images_count_huge", idx(3, [2**32 - 1, 28, 28], bytes(784)), GOOD_LABELS, "holds 784 bytes of data, but its header says")
idx_case("images_truncated", idx(3, [2, 4, 4], bytes(31)), GOOD_LABELS, "holds 31 bytes of data, but its header says 32")
idx_case("images_too_long", idx(3, [2, 4, 4], bytes(33)), GOOD_LABELS, "holds 33 bytes")
idx_case("labels_missing", GOOD_IMAGES, None, "has no train-labels-idx1-ubyte file")
idx_case("labels_count_differs", GOOD_IMAGES, idx(1, [3], bytes(3)), "IDX files disagree")
idx_case("labels_truncated", GOOD_IMAGES, idx(1, [2], bytes(1)), "holds 1 bytes of data")
idx_case("no_images", idx(3, [0, 4, 4], b""), idx(1, [0], b""), "holds no images")
idx_case("gzip_corrupt", b"", b"", "IDX", gz=False)
CASES.pop()
case("idx", "gzip_corrupt", {"d/train-images-idx3-ubyte.gz": b"\x1f\x8b\x08\x00" + bytes(20), "d/train-labels-idx1-ubyte": GOOD_LABELS},
     ["train", "--model", "mobilenet_v2", "--data", "{dir}/d", "--out", "{dir}/run"], INPUT, "is corrupt")
idx_case("gzip_side_huge", idx(3, [1, 70000, 70000], b""), GOOD_LABELS, "declares an image side of 70000", gz=True)


# --- ImageFolder trees (train --data ROOT) -----------------------------------------------------
def png(width, height, raw=None):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    raw = raw if raw is not None else b"".join(b"\0" + bytes(width) for _ in range(height))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg_header(width, height):
    # SOI, a baseline SOF0 claiming the size, then nothing: the header is all the decoder reads first.
    sof = struct.pack(">BBHBHHB", 0xFF, 0xC0, 11, 8, height, width, 1) + bytes([1, 0x11, 0])
    return b"\xff\xd8" + sof + b"\xff\xd9"


def tree_case(name, files, message, code=INPUT, args=("--epochs", "1")):
    case("imagefolder", name, {f"root/{k}": v for k, v in files.items()},
         ["train", "--model", "mobilenet_v2", "--data", "{dir}/root", "--out", "{dir}/run", *args], code, message)


tree_case("empty_root", {"placeholder": b""}, "root")
tree_case("no_class_folders", {"train/x.png": png(4, 4), "val/x.png": png(4, 4)}, "root")
tree_case("empty_class", {"train/a/x.png": png(4, 4), "train/b/.keep": b"", "val/a/x.png": png(4, 4)}, "root")
tree_case("val_missing", {"train/a/x.png": png(4, 4), "train/b/y.png": png(4, 4)}, "val")
tree_case("labels_file_missing", {"train/a/x.png": png(4, 4), "val/a/x.png": png(4, 4)}, "labels", args=("--labels", "/nonexistent/labels.txt"))


# --- a file-size limit (ulimit -f): a write error with the usual message, no temporary file left
for fmt, out in [("graph", "g.json"), ("tflite", "m.tflite")]:
    case("fsize", f"export_{fmt}", {}, ["export", "--model", "mobilenet_v2", "--random-weights", "--format", fmt, "--out", "{dir}/" + out],
         RUNTIME, "File too large")


# --- image decoders (directly: the loader counts unreadable files and goes on) ----------------
IMAGES = {"jpeg_65000": jpeg_header(65000, 65000), "png_20000_in_100_bytes": png(20000, 20000, raw=b"")[:100],
          "png_20000": png(20000, 20000, raw=b""), "png_claims_more_than_data": png(9000, 9000, raw=b"\0" * 10),
          "png_truncated": png(16, 16)[:40], "jpeg_truncated": jpeg_header(16, 16)[:8], "not_an_image": b"hello",
          "png_zero_width": png(1, 1).replace(struct.pack(">II", 1, 1), struct.pack(">II", 0, 1), 1)}


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    nasctl, work = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    write_only = "--write-only" in sys.argv
    for cid, kind, files, args, code, message in CASES:
        d = os.path.join(work, "cases", cid)
        os.makedirs(d, exist_ok=True)
        for rel, content in files.items():
            p = os.path.join(d, rel)
            os.makedirs(os.path.dirname(p), exist_ok=True)
            if content == "DIR":
                os.makedirs(p, exist_ok=True)
            elif content is not None:
                with open(p, "wb") as f:
                    f.write(content)
    img = os.path.join(work, "cases", "image")
    os.makedirs(img, exist_ok=True)
    for name, content in IMAGES.items():
        with open(os.path.join(img, name), "wb") as f:
            f.write(content)
    print(f"bad-input corpus: {len(CASES)} command-line cases + {len(IMAGES)} image files in {work}/cases")
    if write_only:
        return 0

    def run(c):
        cid, kind, files, args, code, message = c
        d = os.path.join(work, "cases", cid)
        argv = [nasctl, "--log-level", "error"] + [a.replace("{dir}", d) for a in args]
        env = dict(os.environ, OMP_NUM_THREADS="1")
        limit = (lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))) if kind == "fsize" else None
        try:
            p = subprocess.run(argv, capture_output=True, timeout=TIMEOUT_S, cwd=d, env=env, preexec_fn=limit)
        except subprocess.TimeoutExpired:
            return cid, f"hang: no exit within {TIMEOUT_S} s"
        err = p.stderr.decode(errors="replace")
        problems = []
        if p.returncode != code:
            problems.append(f"exit {p.returncode}, expected {code}")
        if message and message not in err:
            problems.append(f"message lacks {message!r}")
        for leak in ["json.exception", "c10::", "terminate called", "Exception raised from", "std::bad_alloc", "Segmentation"]:
            if leak in err:
                problems.append(f"foreign text {leak!r}")
        left = glob.glob(os.path.join(d, "**", "*.tmp.*"), recursive=True)
        if left:
            problems.append(f"temporary files left behind: {left}")
        error_lines = [l for l in err.splitlines() if l.startswith("nasctl: error:")]
        if kind != "batch" and len(error_lines) > 1:
            problems.append(f"{len(error_lines)} error lines")
        if code != 0 and not error_lines and kind != "flags":
            problems.append("no 'nasctl: error:' line")
        return cid, "; ".join(problems) + (f"\n    stderr: {err.strip()[:400]}" if problems else "")

    jobs = int(os.environ.get("NASCTL_TEST_JOBS", "2"))
    failures = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        for cid, problem in pool.map(run, CASES):
            if problem:
                failures.append((cid, problem))
                print(f"FAIL {cid}: {problem}", flush=True)
    print(f"bad-input corpus: {len(CASES) - len(failures)} of {len(CASES)} cases passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
