package dev.lb.kubernetes;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import java.util.ArrayList;
import java.util.List;

/** Builds EndpointSlices the way the EndpointSlice controller writes them, for tests. */
final class Slices {
  private final String name;
  private final String service;
  private String addressType = "IPv4";
  private final List<io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort> ports =
      new ArrayList<>();
  private final List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> endpoints =
      new ArrayList<>();

  private Slices(String name, String service) {
    this.name = name;
    this.service = service;
  }

  static Slices slice(String name, String service) {
    return new Slices(name, service);
  }

  Slices ipv6() {
    addressType = "IPv6";
    return this;
  }

  Slices port(String portName, Integer number) {
    ports.add(
        new EndpointPortBuilder().withName(portName).withPort(number).withProtocol("TCP").build());
    return this;
  }

  Slices ready(String address, String zone) {
    return endpoint(address, zone, true, true, false);
  }

  Slices terminating(String address, String zone) {
    return endpoint(address, zone, false, true, true);
  }

  Slices notReady(String address, String zone) {
    return endpoint(address, zone, false, false, false);
  }

  Slices endpoint(
      String address, String zone, Boolean ready, Boolean serving, Boolean terminating) {
    endpoints.add(
        new EndpointBuilder()
            .withAddresses(address)
            .withZone(zone)
            .withNodeName("node-" + zone)
            .withNewTargetRef()
            .withKind("Pod")
            .withName("pod-" + address)
            .withNamespace("shop")
            .endTargetRef()
            .withNewConditions()
            .withReady(ready)
            .withServing(serving)
            .withTerminating(terminating)
            .endConditions()
            .build());
    return this;
  }

  Slices raw(io.fabric8.kubernetes.api.model.discovery.v1.Endpoint endpoint) {
    endpoints.add(endpoint);
    return this;
  }

  EndpointSlice build() {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .addToLabels(KubernetesEndpointSource.SERVICE_NAME_LABEL, service)
        .endMetadata()
        .withAddressType(addressType)
        .withPorts(ports)
        .withEndpoints(endpoints)
        .build();
  }
}
