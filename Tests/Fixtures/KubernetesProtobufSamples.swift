/// Bodies kubectl 1.32 really sent to kube-sim, captured on loopback: `kubectl create namespace
/// x`, `kubectl create deployment d1 --image=nginx --replicas=2 --port=80` and `kubectl create
/// secret generic s1 --from-literal=a=b` (Kubernetes protobuf: `k8s\0` + runtime.Unknown).
public enum KubernetesProtobufSamples {
    static func bytes(_ hex: String) -> [UInt8] {
        stride(from: 0, to: hex.count, by: 2).map { offset in
            let start = hex.index(hex.startIndex, offsetBy: offset)
            return UInt8(hex[start..<hex.index(start, offsetBy: 2)], radix: 16)!
        }
    }

    public static let namespace = bytes("6b3873000a0f0a02763112094e616d65737061636512190a110a017812001a0022002a0032003800420012001a020a001a002200")
    public static let deployment = bytes(
        "6b3873000a150a07617070732f7631120a4465706c6f796d656e7412b4010a1d0a02643112001a0022002a003200380042005a090a03617070120264311284010802120b"
            + "0a090a03617070120264311a6b0a1b0a0012001a0022002a003200380042005a090a0361707012026431124c122e0a056e67696e7812056e67696e782a00320a0a00"
            + "1000185022002a0042006a007200800100880100900100a201001a00320042004a0052005800600068008201008a01009a0100c2010022020a00280038001a0c0800"
            + "100018002000280038001a002200")
    public static let secret = bytes("6b3873000a0c0a0276311206536563726574121e0a120a02733112001a0022002a0032003800420012060a01611201621a001a002200")
}
