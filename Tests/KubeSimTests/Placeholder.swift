import Testing
@Test func kubeSimBuilds() {}
