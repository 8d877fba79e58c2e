"""Model.graph(): the format-neutral graph of a model, the same JSON shape the Node SDK's
modelGraph returns (ts/graph/types.ts): {id, name, format, kind, nodes, edges, inputs, outputs,
subgraphs}. Built from the index the core produced, with the same rules as ts/graph/ (the tests
compare both with the same committed graphs, tests/fixtures/graph/*.graph.json)."""

import json
import re
from typing import Any, Dict, List, Optional


def _is_obj(v) -> bool:
    return isinstance(v, dict)


def _str(v, d: str = "") -> str:
    if isinstance(v, str):
        return v
    if v is None:
        return d
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float) and v.is_integer():
        return str(int(v))
    return str(v)


def _strs(v) -> List[str]:
    return [_str(x) for x in v] if isinstance(v, list) else []


def _shape(v):
    if not isinstance(v, list):
        return None
    return [d if isinstance(d, (int, float, str)) and not isinstance(d, bool) else ("?" if d is None else _str(d)) for d in v]


class _Builder:
    def __init__(self, gid: str, name: str, fmt: str, prefix: str):
        self.id, self.name, self.format, self.prefix = gid, name, fmt, prefix
        self.nodes: List[dict] = []
        self.subgraphs: List[dict] = []
        self.producer: Dict[str, str] = {}
        self.info: Dict[str, dict] = {}
        self.ids = set()

    def node_id(self, local: str) -> str:
        i = self.prefix + local
        if i in self.ids:
            k = 1
            while f"{i}~{k}" in self.ids:
                k += 1
            i = f"{i}~{k}"
        self.ids.add(i)
        return i

    def describe(self, v: dict):
        if v.get("name") and v["name"] not in self.info:
            self.info[v["name"]] = v

    def add(self, name, op, attributes, inputs, outputs, subgraphs=None, weights=None, local=None):
        n = {"id": self.node_id(local if local is not None else f"n{len(self.nodes)}"), "name": name or op, "op": op,
             "attributes": attributes, "inputs": inputs, "outputs": outputs, "weights": list(weights or []),
             "subgraphs": subgraphs or [], "kind": "op"}
        self.nodes.append(n)
        for t in outputs:
            if t and t not in self.producer:
                self.producer[t] = n["id"]
        return n

    def finish(self, inputs: List[dict], outputs: List[dict], weights) -> dict:
        ops = list(self.nodes)
        input_nodes: List[dict] = []
        graph_inputs: List[str] = []

        def input_node(name, implicit):
            n = {"id": self.node_id(f"in:{name}"), "name": name, "op": "Input", "attributes": {"implicit": True} if implicit else {},
                 "inputs": [], "outputs": [name], "weights": [], "subgraphs": [], "kind": "input"}
            input_nodes.append(n)
            self.producer[name] = n["id"]
            return n["id"]

        for v in inputs:
            self.describe(v)
            if v["name"] in weights or v["name"] in self.producer:
                continue
            graph_inputs.append(v["name"])
            input_node(v["name"], False)
        edges: List[dict] = []

        def edge(a, b, t):
            e = {"from": a, "to": b, "tensor": t}
            vi = self.info.get(t)
            if vi and vi.get("shape") is not None:
                e["shape"] = vi["shape"]
            if vi and vi.get("dtype"):
                e["dtype"] = vi["dtype"]
            edges.append(e)

        for n in ops:
            for i, t in enumerate(n["inputs"]):
                if not t or n["inputs"].index(t) < i:
                    continue
                if t in weights and t not in self.producer:
                    if t not in n["weights"]:
                        n["weights"].append(t)
                    continue
                src = self.producer.get(t) or input_node(t, True)
                if src != n["id"]:
                    edge(src, n["id"], t)
        out_nodes, out_names = [], []
        for v in outputs:
            if v["name"] in out_names:
                continue
            out_names.append(v["name"])
            self.describe(v)
            n = {"id": self.node_id(f"out:{v['name']}"), "name": v["name"], "op": "Output", "attributes": {}, "inputs": [v["name"]],
                 "outputs": [], "weights": [], "subgraphs": [], "kind": "output"}
            out_nodes.append(n)
            src = self.producer.get(v["name"])
            if src:
                edge(src, n["id"], v["name"])
        return {"id": self.id, "name": self.name, "format": self.format, "kind": "graph", "nodes": input_nodes + ops + out_nodes,
                "edges": edges, "inputs": graph_inputs, "outputs": out_names, "subgraphs": self.subgraphs}


# ---- ONNX -------------------------------------------------------------------------------------

def _value_infos(v) -> List[dict]:
    if not isinstance(v, list):
        return []
    out = []
    for x in v:
        if _is_obj(x):
            d = {"name": _str(x.get("name")), "shape": _shape(x.get("shape"))}
            if x.get("elem_type") is not None:
                d["dtype"] = _str(x.get("elem_type"))
            out.append(d)
        else:
            out.append({"name": _str(x)})
    return out


def _is_graph_value(v) -> bool:
    return _is_obj(v) and isinstance(v.get("nodes"), list)


def _onnx_build(g, gid, prefix, ctx, extra_inputs=(), outputs=None):
    b = _Builder(gid, _str(g.get("name"), gid), ctx["format"], prefix)
    weights = set(_strs(g.get("initializers")))
    nodes = g.get("nodes") if isinstance(g.get("nodes"), list) else []
    for i, raw in enumerate(nodes):
        n = raw if _is_obj(raw) else {}
        local = f"n{i}"
        node_id = prefix + local
        attributes, subgraphs = {}, []
        attrs = n.get("attributes") if _is_obj(n.get("attributes")) else {}
        for k, v in attrs.items():
            if _is_graph_value(v):
                sid = f"{node_id}.{k}"
                b.subgraphs.append(_onnx_build(v, sid, sid + "/", ctx))
                subgraphs.append(sid)
                attributes[k] = {"graph": sid}
            elif isinstance(v, list) and v and all(_is_graph_value(x) for x in v):
                refs = []
                for j, sg in enumerate(v):
                    sid = f"{node_id}.{k}[{j}]"
                    b.subgraphs.append(_onnx_build(sg, sid, sid + "/", ctx))
                    subgraphs.append(sid)
                    refs.append({"graph": sid})
                attributes[k] = refs
            else:
                attributes[k] = v
        op = _str(n.get("op_type"), "?")
        domain = _str(n.get("domain"))
        if domain and domain != "ai.onnx" and "domain" not in attributes:
            attributes["domain"] = domain
        fn = ctx["functions"].get((domain, op))
        if fn:
            subgraphs.append(fn)
        inputs = _strs(n.get("inputs"))
        for t in inputs:
            if t in ctx["tensor_info"]:
                b.describe(ctx["tensor_info"][t])
        b.add(_str(n.get("name")), op, attributes, inputs, _strs(n.get("outputs")), subgraphs, local=local)
    for t in weights:
        if t in ctx["tensor_info"]:
            b.describe(ctx["tensor_info"][t])
    return b.finish(_value_infos(g.get("inputs")) + list(extra_inputs), outputs if outputs is not None else _value_infos(g.get("outputs")), weights)


def _onnx_graph(src) -> Optional[dict]:
    g = src["graph"]
    if not _is_obj(g) or not isinstance(g.get("nodes"), list):
        return None
    tinfo = {t["name"]: {"name": t["name"], "shape": _shape(t.get("shape")), "dtype": t.get("dtype")} for t in src["tensors"]}
    ctx = {"format": src["format"], "tensor_info": tinfo, "functions": {}}
    fns = [f for f in g.get("functions", []) if _is_obj(f)] if isinstance(g.get("functions"), list) else []
    for i, f in enumerate(fns):
        ctx["functions"][(_str(f.get("domain")), _str(f.get("name")))] = f"fn{i}:{_str(f.get('domain'))}.{_str(f.get('name'))}"
    fgraphs = []
    for i, f in enumerate(fns):
        fid = f"fn{i}:{_str(f.get('domain'))}.{_str(f.get('name'))}"
        body = {"name": _str(f.get("name")), "nodes": f.get("nodes"), "initializers": []}
        fgraphs.append(_onnx_build(body, fid, fid + "/", ctx, [{"name": x} for x in _strs(f.get("inputs"))], [{"name": x} for x in _strs(f.get("outputs"))]))
    main = _onnx_build(g, "main", "", ctx)
    main["subgraphs"].extend(fgraphs)
    return main


# ---- TensorFlow -------------------------------------------------------------------------------

_VARIABLE_OPS = {"VarHandleOp", "VariableV2", "Variable", "VarIsInitializedOp"}


def _producer_of(ref: str) -> str:
    r = ref[1:] if ref.startswith("^") else ref
    return r.split(":", 1)[0]


def _tf_weights(n, name, op, ctx):
    if name in ctx["tensors"]:
        return [name]
    if op not in _VARIABLE_OPS:
        return []
    attrs = n.get("attrs") if _is_obj(n.get("attrs")) else {}
    shared = _str(attrs.get("shared_name")) or name
    for k in (ctx["ckpt"].get(shared), f"{shared}/.ATTRIBUTES/VARIABLE_VALUE", shared):
        if k and k in ctx["tensors"]:
            return [k]
    return []


def _tf_build(gid, name, prefix, raw_nodes, args, outputs, ctx):
    b = _Builder(gid, name, ctx["format"], prefix)
    nodes = [n for n in raw_nodes if _is_obj(n)]
    names = {_str(n.get("name")) for n in nodes}

    def canon(ref):
        return ref if ref.startswith("^") or ":" in ref or ref not in names else ref + ":0"

    outs: Dict[str, List[str]] = {}
    refs = [_strs(n.get("inputs")) for n in nodes] + [[o["name"] for o in (outputs or [])]]
    for lst_in in refs:
        for r in lst_in:
            p = _producer_of(r)
            if p not in names:
                continue
            t = canon(r)
            lst = outs.setdefault(p, [])
            if t not in lst:
                lst.append(t)
    placeholders, sinks = [], []
    for i, n in enumerate(nodes):
        nm = _str(n.get("name"))
        op = _str(n.get("op"), "?")
        attributes = dict(n.get("attrs")) if _is_obj(n.get("attrs")) else {}
        if n.get("device"):
            attributes["device"] = n.get("device")
        subgraphs = []
        for k, v in list(attributes.items()):
            fn = ctx["fids"].get(v["func"]) if _is_obj(v) and isinstance(v.get("func"), str) else None
            if fn:
                subgraphs.append(fn)
                attributes[k] = {"func": v["func"], "graph": fn}
        o = outs.get(nm, [nm + ":0"])
        if op == "Placeholder":
            placeholders.append(nm + ":0")
        if nm not in outs and op not in ("NoOp", "Const") and op not in _VARIABLE_OPS:
            sinks.append(nm + ":0")
        b.add(nm, op, attributes, [canon(r) for r in _strs(n.get("inputs"))], o, subgraphs, _tf_weights(n, nm, op, ctx), local=f"n{i}")
    g = b.finish(args, outputs or [], set())
    if not args:
        g["inputs"] = placeholders
    if outputs is None:
        g["outputs"] = sinks
    return g


def _tf_graph(src) -> Optional[dict]:
    g = src["graph"]
    if not _is_obj(g):
        return None
    if isinstance(g.get("meta_graphs"), list):
        mg = next((m for m in g["meta_graphs"] if _is_obj(m)), None)
        if mg is None:
            return None
        g = mg
    if not isinstance(g.get("nodes"), list):
        return None
    ckpt = {}
    og = (src.get("metadata") or {}).get("object_graph")
    if isinstance(og, list):
        for e in og:
            if _is_obj(e) and e.get("full_name") and e.get("checkpoint_key"):
                ckpt[_str(e["full_name"])] = _str(e["checkpoint_key"])
    fns = [f for f in g.get("functions", []) if _is_obj(f)] if isinstance(g.get("functions"), list) else []
    ctx = {"format": src["format"], "tensors": {t["name"] for t in src["tensors"]}, "ckpt": ckpt,
           "fids": {_str(f.get("name")): "fn:" + _str(f.get("name")) for f in fns}}
    main = _tf_build("main", _str(g.get("name"), "graph"), "", g["nodes"], [], None, ctx)
    for f in fns:
        fid = "fn:" + _str(f.get("name"))
        ret = f.get("ret") if _is_obj(f.get("ret")) else {}
        outputs = [{"name": _str(ret.get(a), a)} for a in _strs(f.get("outputs"))]
        main["subgraphs"].append(_tf_build(fid, _str(f.get("name")), fid + "/", f.get("nodes") if isinstance(f.get("nodes"), list) else [],
                                           [{"name": a} for a in _strs(f.get("inputs"))], outputs, ctx))
    return main


# ---- Keras ------------------------------------------------------------------------------------

def _layer_refs(v) -> List[str]:
    if not isinstance(v, list):
        return [v] if isinstance(v, str) else []
    if len(v) >= 1 and isinstance(v[0], str) and (len(v) == 1 or (isinstance(v[1], (int, float)) and not isinstance(v[1], bool))):
        return [v[0]]
    out = []
    for x in v:
        out.extend(_layer_refs(x))
    return out


def _keras_configs(meta) -> Dict[str, dict]:
    out: Dict[str, dict] = {}
    ra = (meta or {}).get("root_attributes")
    raw = ra.get("model_config") if _is_obj(ra) else None
    if not isinstance(raw, str) or len(raw) > 64 * 1024 * 1024:
        return out
    try:
        cfg = json.loads(raw)
    except ValueError:
        return out

    def walk(m, prefix, depth):
        if not _is_obj(m) or depth > 16:
            return
        c = m.get("config")
        layers = c if isinstance(c, list) else (c.get("layers") if _is_obj(c) and isinstance(c.get("layers"), list) else [])
        for L in layers:
            if not _is_obj(L):
                continue
            lc = L.get("config") if _is_obj(L.get("config")) else {}
            nm = _str(L.get("name") if L.get("name") is not None else lc.get("name"))
            path = f"{prefix}/{nm}" if prefix else nm
            out[path] = {k: v for k, v in lc.items() if k != "layers"}
            walk(L, path, depth + 1)

    walk(cfg, "", 0)
    return out


def _snake_case(name: str) -> str:
    """Keras 3's to_snake_case, which names a layer's weight store after its class."""
    return re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", re.sub(r"(.)([A-Z][a-z]+)", r"\1_\2", name)).lower()


def _store_folders(children) -> Dict[str, str]:
    """Keras 3 weight-store folders ("layers/dense_1/", "layers/sequential/layers/dense/") -> layer paths."""
    out: Dict[str, str] = {}

    def walk(container, prefix, depth):
        counts: Dict[str, int] = {}
        for L in children.get(container, []):
            base = _snake_case(L["cls"])
            k = counts.get(base, 0)
            counts[base] = k + 1
            folder = f"{prefix}layers/{base}_{k}/" if k else f"{prefix}layers/{base}/"
            out[folder] = L["path"]
            if L["path"] in children and depth < 16:
                walk(L["path"], folder, depth + 1)

    walk("", "", 0)
    return out


def _keras_weights(src, folders: Dict[str, str]) -> Dict[str, List[str]]:
    out: Dict[str, List[str]] = {}
    h5 = (src.get("metadata") or {}).get("weights_hdf5")
    attrs = h5.get("attributes") if _is_obj(h5) and _is_obj(h5.get("attributes")) else {}
    stores = [(k + "/", _str(v["name"])) for k, v in attrs.items() if k.endswith("/vars") and _is_obj(v) and isinstance(v.get("name"), str)]
    for t in src["tensors"]:
        n = t["name"]
        if n.startswith("model_weights/"):
            out.setdefault(n.split("/")[1], []).append(n)
            continue
        s = next((s for s in stores if n.startswith(s[0])), None)
        if s:
            out.setdefault(s[1], []).append(n)
            continue
        m = re.match(r"^((?:layers/[^/]+/)+)vars/\d+$", n)
        if m and m.group(1) in folders:
            out.setdefault(folders[m.group(1)], []).append(n)
            continue
        # TF.js and other Keras-named weights: "<layer path>/<weight>"
        cut = n.rfind("/")
        if cut > 0:
            out.setdefault(n[:cut], []).append(n)
    return out


def _keras_graph(src) -> Optional[dict]:
    g = src["graph"]
    if not _is_obj(g) or not isinstance(g.get("nodes"), list) or not g["nodes"]:
        return None
    layers = []
    for n in g["nodes"]:
        if not _is_obj(n):
            continue
        path = _str(n.get("name"))
        layers.append({"path": path, "local": path[path.rfind("/") + 1:], "cls": _str(n.get("class"), "?"), "inputs": _strs(n.get("inputs")),
                       "config": n.get("config") if _is_obj(n.get("config")) else None})
    paths = {L["path"] for L in layers}

    def parent_of(p):
        c = p.rfind("/")
        return p[:c] if c > 0 and p[:c] in paths else ""

    children: Dict[str, list] = {}
    for L in layers:
        children.setdefault(parent_of(L["path"]), []).append(L)
    cfg = _keras_configs(src.get("metadata"))
    weights = _keras_weights(src, _store_folders(children))
    meta = src.get("metadata") or {}

    def build(container, gid, prefix, ins, outs, depth):
        b = _Builder(gid, container or _str(meta.get("model_class"), "model"), src["format"], prefix)
        members = children.get(container, [])
        container_class = next((L["cls"] for L in layers if L["path"] == container), None) if container else _str(meta.get("model_class"))

        def full(name):
            return f"{container}/{name}" if container else name

        sequential = len(members) > 1 and all(not L["inputs"] or L["cls"] == "InputLayer" for L in members)
        for i, L in enumerate(members):
            subgraphs = []
            node_id = f"{prefix}n{i}"
            if L["path"] in children and depth < 16:
                sid = node_id + ".layers"
                b.subgraphs.append(build(L["path"], sid, sid + "/", [], [], depth + 1))
                subgraphs.append(sid)
            inputs = [full(x) for x in L["inputs"]]
            if sequential and i > 0 and not inputs:
                inputs = [members[i - 1]["path"]]
            w = weights.get(L["local"]) or weights.get(L["path"]) or []
            attrs = dict(L["config"] if L["config"] is not None else cfg.get(L["path"], {}))
            n = b.add(L["local"], L["cls"], attrs, inputs, [L["path"]], subgraphs, w, local=f"n{i}")
            if L["cls"] == "InputLayer" and container_class == "Sequential":
                n["kind"] = "input"
        consumed = {full(x) for L in members for x in L["inputs"]}
        if sequential:
            consumed |= {L["path"] for L in members[:-1]}
        outputs = outs or [L["path"] for L in members if L["path"] not in consumed and L["cls"] != "InputLayer"]
        graph = b.finish([], [{"name": x} for x in outputs], set())
        graph["inputs"] = ins or [L["path"] for L in members if L["cls"] == "InputLayer"]
        return graph

    def uniq(xs):
        return list(dict.fromkeys(xs))

    return build("", "main", "", uniq(_layer_refs(g.get("inputs"))), uniq(_layer_refs(g.get("outputs"))), 0)


# ---- TorchScript module tree ------------------------------------------------------------------

def _torchscript_graph(src) -> Optional[dict]:
    root = (src.get("metadata") or {}).get("pickle.objects")
    if not _is_obj(root) or not isinstance(root.get("$class"), str):
        return None
    b = _Builder("main", "modules", src["format"], "")
    count = [0]

    def visit(obj, path, parent, depth):
        count[0] += 1
        if count[0] > 200000 or depth > 64:
            return
        state = obj.get("state") if _is_obj(obj.get("state")) else {}
        weights, attributes, subs = [], {}, []
        for k, v in state.items():
            if _is_obj(v) and isinstance(v.get("$tensor"), str):
                weights.append(v["$tensor"])
            elif _is_obj(v) and isinstance(v.get("$class"), str) and _is_obj(v.get("state")):
                subs.append((k, v))
            elif v is None or not isinstance(v, (dict, list)):
                attributes[k] = v
        cls = re.sub(r"^__torch__\.", "", _str(obj["$class"]))
        tensor = path or "self"
        b.add(path or "self", cls, attributes, [parent] if parent else [], [tensor], None, weights)
        for k, v in subs:
            visit(v, f"{path}.{k}" if path else k, tensor, depth + 1)

    visit(root, "", None, 0)
    return b.finish([], [], set())


# ---- Block view -------------------------------------------------------------------------------

_NUMBERED = re.compile(r"^(.*?)[./](\d+)(?:[./](.*))?$", re.S)


def _module_prefix(name: str) -> str:
    cut = max(name.rfind("."), name.rfind("/"))
    return name[:cut] if cut > 0 else name


def _rank(g) -> int:
    k = g["key"].lower()
    if re.search(r"embed|token_embd|wte|wpe|tok_embeddings|position", k):
        return 0
    if g["repeated"]:
        return 1
    if re.search(r"(^|[._/])(lm_head|head|output|classifier|logits)([._/]|$)", k) and "output_norm" not in k:
        return 3
    return 2


def _js_num(v):
    return int(v) if isinstance(v, float) and v.is_integer() else v


def _block_graph(src) -> dict:
    groups: Dict[str, dict] = {}
    for i, t in enumerate(src["tensors"]):
        name = t["name"]
        m = _NUMBERED.match(name)
        key = m.group(1) if m else _module_prefix(name)
        gkey = ("R" if m else "S") + key
        g = groups.get(gkey)
        if g is None:
            g = groups[gkey] = {"key": key, "repeated": bool(m), "indices": set(), "tensors": [], "pattern": {}, "first": i}
        g["tensors"].append(name)
        rest = (m.group(3) or "") if m else name[len(key) + 1:]
        if m:
            g["indices"].add(int(m.group(2)))
        pat = re.sub(r"(^|[./])\d+(?=[./]|$)", r"\1N", rest)
        if pat not in g["pattern"]:
            g["pattern"][pat] = f"{t['dtype']} [{', '.join(_str(_js_num(d)) for d in t['shape'])}]"
    ordered = sorted(groups.values(), key=lambda g: (_rank(g), g["first"]))
    nodes, edges = [], []
    for i, g in enumerate(ordered):
        idx = sorted(g["indices"])
        attributes: Dict[str, Any] = {"tensors": g["pattern"]}
        if g["repeated"]:
            attributes["indices"] = f"{idx[0]}..{idx[-1]}" if idx and idx[-1] - idx[0] + 1 == len(idx) else idx
        parts = re.split(r"[./]", g["key"])
        leaf = parts[-1] or g["key"]
        n = {"id": f"b{i}", "name": f"{g['key']}.N" if g["repeated"] else g["key"], "op": f"{leaf} x{len(idx)}" if g["repeated"] else leaf,
             "attributes": attributes, "inputs": [f"b{i - 1}"] if i else [], "outputs": [f"b{i}"], "weights": g["tensors"],
             "subgraphs": [], "kind": "block" if g["repeated"] else "op"}
        if g["repeated"]:
            n["count"] = len(idx)
        nodes.append(n)
        if i:
            edges.append({"from": f"b{i - 1}", "to": n["id"], "tensor": f"b{i - 1}"})
    return {"id": "main", "name": "blocks", "format": src["format"], "kind": "blocks", "nodes": nodes, "edges": edges,
            "inputs": [], "outputs": [], "subgraphs": []}


# ---- node lists (TFLite, torch.export, ExecuTorch, OpenVINO IR, Core ML): ts/graph/formats/nodes.ts

_NODE_KEYS = {"name", "op_type", "inputs", "outputs", "attributes"}


def _ends(v, lifted) -> List[dict]:
    out: List[dict] = []
    for x in v if isinstance(v, list) else []:
        if _is_obj(x):
            if _str(x.get("name")) in lifted:
                continue
            out.append({"name": _str(x.get("name")), "shape": _shape(x.get("shape")), "dtype": None if x.get("dtype") is None else _str(x.get("dtype"))})
        else:
            out.append({"name": _str(x)})
    return out


def _node_list_graph(src) -> Optional[dict]:
    g = src["graph"]
    if not _is_obj(g) or not isinstance(g.get("nodes"), list) or not g["nodes"]:
        return None
    lifted = {}
    for i in g.get("inputs") if isinstance(g.get("inputs"), list) else []:
        if _is_obj(i) and isinstance(i.get("target"), str) and i["target"] and i.get("kind") != "user_input":
            lifted[_str(i.get("name"))] = i["target"]
    b = _Builder("main", _str(g.get("name"), src["format"]), src["format"], "")
    for t in src["tensors"]:
        b.describe({"name": t["name"], "shape": _shape(t.get("shape")), "dtype": t.get("dtype")})
    produced = set()
    for i, raw in enumerate(g["nodes"]):
        n = raw if _is_obj(raw) else {}
        attrs = dict(n["attributes"]) if _is_obj(n.get("attributes")) else {}
        for k, v in n.items():
            if k not in _NODE_KEYS:
                attrs[k] = v
        outputs = _strs(n.get("outputs"))
        produced.update(outputs)
        b.add(_str(n.get("name")), _str(n.get("op_type"), "?"), attrs, [lifted.get(x, x) for x in _strs(n.get("inputs"))], outputs, local=f"n{i}")
    weights = {t["name"] for t in src["tensors"] if t["name"] not in produced}
    return b.finish(_ends(g.get("inputs"), lifted), _ends(g.get("outputs"), lifted), weights)


def _is_layer_list(g) -> bool:
    nodes = g.get("nodes") if _is_obj(g) else None
    return isinstance(nodes, list) and len(nodes) > 0 and _is_obj(nodes[0]) and isinstance(nodes[0].get("class"), str)


def _tfjs_graph(src) -> Optional[dict]:
    # graph models list GraphDef nodes (op); layers models list Keras layers (class)
    return _keras_graph(src) if _is_layer_list(src["graph"]) else _tf_graph(src)


_BUILDERS = {"onnx": _onnx_graph, "tf-graphdef": _tf_graph, "tf-savedmodel": _tf_graph, "tfjs": _tfjs_graph,
             "keras": _keras_graph, "torchscript": _torchscript_graph, "tflite": _node_list_graph, "torch-export": _node_list_graph,
             "executorch": _node_list_graph, "openvino": _node_list_graph, "coreml": _node_list_graph}


def model_graph(index: Dict[str, Any]) -> dict:
    """The graph of an index (a dict as `inspect --json` prints it)."""
    src = {"format": index.get("format"), "graph": index.get("graph"), "tensors": index.get("tensors") or [], "metadata": index.get("metadata") or {}}
    build = _BUILDERS.get(src["format"])
    g = build(src) if build else None
    return g if g is not None else _block_graph(src)
