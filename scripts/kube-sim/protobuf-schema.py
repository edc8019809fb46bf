#!/usr/bin/env python3
"""Writes kube-sim's table of Kubernetes protobuf messages (Sources/KubeSim/Protobuf/
ProtobufSchemaTable.swift) from the message descriptors a kubectl binary carries.

kubectl sends typed creates (`kubectl create namespace|secret|deployment|…`) as Kubernetes
protobuf. kube-sim reads them with a table of field numbers, names and types for the kinds it
serves and every message they contain. Go programs built with gogo-protobuf register each
generated.proto as a gzipped FileDescriptorProto, so the table comes from the same kubectl the
tests run, not from hand-copied numbers.

    scripts/kube-sim/protobuf-schema.py [path to kubectl] > Sources/KubeSim/Protobuf/ProtobufSchemaTable.swift

Table format, one message per line: `<full name> <field>…`, each field `json:number:type`, type
names without `k8s.io.api.` or `k8s.io.apimachinery.pkg.`; `s` string, `b` bytes, `i` signed varint, `u` unsigned varint, `B` bool, `d` double, `f` float,
a message name, `*T` a repeated T, `{K:V}` a map.
"""
import re
import shutil
import sys
import zlib

ROOTS = {
    "k8s.io.api.core.v1": ["Namespace", "Pod", "Service", "ConfigMap", "Secret", "Event", "Node", "PersistentVolume",
                           "PersistentVolumeClaim", "ResourceQuota", "ServiceAccount", "LimitRange"],
    "k8s.io.api.batch.v1": ["Job", "CronJob"],
    "k8s.io.api.apps.v1": ["Deployment"],
    "k8s.io.api.networking.v1": ["Ingress", "NetworkPolicy"],
    "k8s.io.api.rbac.v1": ["Role", "RoleBinding", "ClusterRole", "ClusterRoleBinding"],
    "k8s.io.api.policy.v1": ["PodDisruptionBudget"],
    "k8s.io.api.autoscaling.v2": ["HorizontalPodAutoscaler"],
    "k8s.io.api.autoscaling.v1": ["Scale"],
    "k8s.io.apimachinery.pkg.apis.meta.v1": ["DeleteOptions", "Status"],
}
# Read natively by kube-sim (their JSON is not their protobuf shape).
NATIVE = {"k8s.io.apimachinery.pkg.api.resource.Quantity", "k8s.io.apimachinery.pkg.util.intstr.IntOrString",
          "k8s.io.apimachinery.pkg.apis.meta.v1.Time", "k8s.io.apimachinery.pkg.apis.meta.v1.MicroTime",
          "k8s.io.apimachinery.pkg.apis.meta.v1.Duration", "k8s.io.apimachinery.pkg.runtime.RawExtension",
          "k8s.io.apimachinery.pkg.apis.meta.v1.FieldsV1"}
SCALARS = {1: "d", 2: "f", 3: "i", 4: "u", 5: "i", 6: "u", 7: "u", 8: "B", 9: "s", 12: "b", 13: "u", 17: "i", 18: "i"}


def varint(data, i):
    value = shift = 0
    while True:
        byte = data[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def fields(data):
    """(number, wire type, value) of a protobuf message, values as int or bytes."""
    i = 0
    while i < len(data):
        key, i = varint(data, i)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, i = varint(data, i)
        elif wire == 2:
            length, i = varint(data, i)
            value, i = data[i:i + length], i + length
        elif wire == 5:
            value, i = data[i:i + 4], i + 4
        elif wire == 1:
            value, i = data[i:i + 8], i + 8
        else:
            raise ValueError("unexpected wire type %d" % wire)
        yield number, wire, value


def descriptors(binary):
    """FileDescriptorProto bytes of every k8s generated.proto gzipped into `binary`."""
    data = open(binary, "rb").read()
    for match in re.finditer(b"\x1f\x8b\x08\x00\x00\x00\x00\x00", data):
        try:
            plain = zlib.decompressobj(16 + zlib.MAX_WBITS).decompress(data[match.start():match.start() + 1 << 20])
        except zlib.error:
            continue
        if plain[:1] == b"\x0a" and b"generated.proto" in plain[:120]:
            yield plain


def messages(files):
    """Full name → (is map entry, [(name, number, label, type, type name)])."""
    table = {}

    def add(prefix, body):
        name, fields_, nested, is_map = None, [], [], False
        for number, _, value in fields(body):
            if number == 1:
                name = value.decode()
            elif number == 2:
                field = {k: v for k, _, v in fields(value)}
                fields_.append((field[1].decode(), field[3], field.get(4, 1), field[5], field.get(6, b"").decode().lstrip(".")))
            elif number == 3:
                nested.append(value)
            elif number == 7:
                is_map = any(k == 7 and v == 1 for k, _, v in fields(value))
        full = prefix + "." + name
        table[full] = (is_map, fields_)
        for child in nested:
            add(full, child)

    for data in files:
        package = ""
        for number, _, value in fields(data):
            if number == 2:
                package = value.decode()
        for number, _, value in fields(data):
            if number == 4:
                add(package, value)
    return table


def main():
    binary = sys.argv[1] if len(sys.argv) > 1 else shutil.which("kubectl")
    table = messages(descriptors(binary))
    lines, seen, todo = [], set(), [f"{package}.{kind}" for package, kinds in ROOTS.items() for kind in kinds]

    def type_of(field):
        _, _, label, kind, type_name = field
        if kind == 11:
            entry = table[type_name]
            if entry[0]:
                key, value = entry[1][0], entry[1][1]
                return "{%s:%s}" % (type_of(key), type_of(value))
            if type_name not in NATIVE:
                todo.append(type_name)
            text = type_name
        elif kind == 14:
            text = "i"
        else:
            text = SCALARS[kind]
        return ("*" + text) if label == 3 else text

    while todo:
        name = todo.pop(0)
        if name in seen:
            continue
        seen.add(name)
        parts = [f"{field[0]}:{field[1]}:{type_of(field)}" for field in sorted(table[name][1], key=lambda f: f[1])]
        lines.append(name + " " + " ".join(parts))
    print("// Generated by scripts/kube-sim/protobuf-schema.py from the message descriptors in kubectl")
    print("// (%s); do not edit. Field numbers and names of Kubernetes' generated.proto files." % binary)
    print("extension ProtobufSchema {")
    print("    static let table = #\"\"\"")
    for line in sorted(lines):
        # Shorter names: `core.v1.Pod`, `apis.meta.v1.ObjectMeta`, `api.resource.Quantity`.
        print("        " + line.replace("k8s.io.apimachinery.pkg.", "").replace("k8s.io.api.", ""))
    print("        \"\"\"#")
    print("}")


main()
