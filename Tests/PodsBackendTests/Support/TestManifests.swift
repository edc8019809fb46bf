/// Manifests in the shape of ScienceData's pod_manifests (docs/specs/pods-backend.md §11.2),
/// written for these tests. Images are busybox through LOCALREGISTRY, with commands that
/// write the token files themselves, so the same manifests also run on a real cluster.
enum TestManifests {
    static let jupyter = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: jupyter
          labels:
            app: dropped-by-the-backend
          annotations:
            sciencedata.dk/copy-token: appendURL
            sciencedata.dk/ingress-port: "8888"
        spec:
          containers:
          - name: jupyter
            image: LOCALREGISTRY/busybox:1.36
            command: ["sh", "-c", "echo '?token=abc123' > /tmp/appendURL; sleep 3600"]
            ports:
            - containerPort: 8888
            env:
            - name: HOME_SERVER
              value: ""
            - name: SD_UID
              value: "overridden"
            - name: ENVIRONMENT_FILE # ask
              value: "default.env"
            securityContext:
              capabilities:
                add: ["AUDIT_WRITE"]
            volumeMounts:
            - name: sciencedata
              mountPath: /home/jovyan/work
        """

    static let ubuntu = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: ubuntu
          annotations:
            sciencedata.dk/copy-token: ed25519HostKeyHash,rsaHostKeyHash
        spec:
          restartPolicy: Never
          containers:
          - name: ubuntu-jammy
            image: LOCALREGISTRY/busybox:1.36
            command: ["sh", "-c", "echo ed > /tmp/ed25519HostKeyHash; echo rsa > /tmp/rsaHostKeyHash; sleep 3600"]
            ports:
            - containerPort: 22
            env:
            - name: SSH_PUBLIC_KEY # ask require
              value: ""
            - name: USERNAME
              value: root
            securityContext:
              capabilities:
                add: ["SYS_CHROOT", "AUDIT_WRITE"]
        """

    static let caddy = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: ubuntu-caddy
          annotations:
            sciencedata.dk/ingress-port: "80"
        spec:
          containers:
          - name: caddy
            image: LOCALREGISTRY/busybox:1.36
            command: ["sh", "-c", "sleep 3600"]
            ports:
            - containerPort: 80
            - containerPort: 22
            env:
            - name: SSH_PUBLIC_KEY # ask require
              value: ""
            - name: WORKING_DIRECTORY # ask require
              value: ""
            volumeMounts:
            - name: sciencedata
              mountPath: /root/data
        """

    /// A 5 KB token over the 4096-byte limit, and a short one.
    static let longKey = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: longkey
          annotations:
            sciencedata.dk/copy-token: shortkey,longkey
        spec:
          containers:
          - name: keys
            image: LOCALREGISTRY/busybox:1.36
            command: ["sh", "-c", "echo short > /tmp/shortkey; head -c 5000 /dev/zero | tr '\\\\0' k > /tmp/longkey; sleep 3600"]
        """

    /// Never becomes ready (kube-sim: an image with "crashloop"; a real cluster: exits 1).
    static let failStart = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: failstart
        spec:
          restartPolicy: Always
          containers:
          - name: fail
            image: LOCALREGISTRY/busybox:1.36-crashloop
            command: ["sh", "-c", "exit 1"]
        """

    /// Stays Pending on kube-sim (an image with "never-ready"), so a test decides when it is
    /// ready by writing its status, as a kubelet would.
    static let slowStart = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: slow
          annotations:
            sciencedata.dk/copy-token: hostkey
        spec:
          containers:
          - name: slow
            image: LOCALREGISTRY/busybox:1.36-never-ready
            ports:
            - containerPort: 22
        """

    static let hostPath = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: sneaky
        spec:
          containers:
          - name: c
            image: busybox:1.36
            volumeMounts:
            - name: root
              mountPath: /host
          volumes:
          - name: root
            hostPath:
              path: /
        """

    static let privileged = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: sneaky
        spec:
          serviceAccountName: user-pods-backend
          containers:
          - name: c
            image: busybox:1.36
            securityContext:
              privileged: true
        """

    static let unknownMount = """
        apiVersion: v1
        kind: Pod
        metadata:
          name: mounts
        spec:
          containers:
          - name: c
            image: busybox:1.36
            volumeMounts:
            - name: mystery
              mountPath: /data
        """

    static let all: [String: String] = [
        "jupyter_sciencedata.yaml": jupyter, "ubuntu_sciencedata.yaml": ubuntu, "caddy_sciencedata.yaml": caddy,
        "test_long_key.yaml": longKey, "test_fail_start.yaml": failStart, "slow_start.yaml": slowStart, "host_path.yaml": hostPath,
        "privileged.yaml": privileged,
        "unknown_mount.yaml": unknownMount,
        "other_namespace.yaml": longKey.replacingOccurrences(of: "  name: longkey\n", with: "  name: longkey\n  namespace: kube-system\n"),
        // Manifests asking for a lifetime (less than the default is kept; more is capped).
        "short_lived.yaml": longKey.replacingOccurrences(of: "  annotations:\n", with: "  annotations:\n    sciencedata.dk/lifetime: 1h\n"),
        "long_lived.yaml": longKey.replacingOccurrences(of: "  annotations:\n", with: "  annotations:\n    sciencedata.dk/lifetime: 60d\n"),
    ]
}
