package dev.lb.grpc;

import io.grpc.MethodDescriptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * A set of gRPC methods named as a service config's {@code methodConfig} names them: {@code
 * {"service": "pkg.Service", "method": "Method"}} names one method, {@code {"service":
 * "pkg.Service"}} every method of the service. Immutable.
 */
final class MethodNames {
  static final MethodNames NONE = new MethodNames(Set.of(), Set.of());

  private final Set<String> services;
  private final Set<String> methods;

  private MethodNames(Set<String> services, Set<String> methods) {
    this.services = Set.copyOf(services);
    this.methods = Set.copyOf(methods);
  }

  /** Parses {@code value}, the JSON array of option {@code field}; null gives {@link #NONE}. */
  static MethodNames parse(String field, @Nullable Object value) {
    if (value == null) {
      return NONE;
    }
    if (!(value instanceof List<?> list)) {
      throw new IllegalArgumentException(
          field
              + " must be an array of names such as {\"service\": \"pkg.Service\", \"method\":"
              + " \"Method\"} but was "
              + value);
    }
    Set<String> services = new TreeSet<>();
    Set<String> methods = new TreeSet<>();
    for (Object item : list) {
      if (!(item instanceof Map<?, ?> name)
          || !(name.get("service") instanceof String service)
          || service.isBlank()
          || !List.of("service", "method").containsAll(name.keySet())
          || (name.containsKey("method") && !(name.get("method") instanceof String))) {
        throw new IllegalArgumentException(
            field
                + " entries must be objects with a non-blank \"service\" and an optional"
                + " \"method\" string, but one was "
                + item);
      }
      Object method = name.get("method");
      if (method == null || ((String) method).isEmpty()) {
        services.add(service);
      } else {
        methods.add(MethodDescriptor.generateFullMethodName(service, (String) method));
      }
    }
    return new MethodNames(services, methods);
  }

  boolean isEmpty() {
    return services.isEmpty() && methods.isEmpty();
  }

  /** True if the method with this full name ({@code pkg.Service/Method}) is in the set. */
  boolean contains(String fullMethodName) {
    if (isEmpty()) {
      return false;
    }
    if (methods.contains(fullMethodName)) {
      return true;
    }
    String service = MethodDescriptor.extractFullServiceName(fullMethodName);
    return service != null && services.contains(service);
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof MethodNames that
        && services.equals(that.services)
        && methods.equals(that.methods);
  }

  @Override
  public int hashCode() {
    return 31 * services.hashCode() + methods.hashCode();
  }

  @Override
  public String toString() {
    List<String> names = new ArrayList<>();
    services.stream().sorted().forEach(s -> names.add(s + "/*"));
    methods.stream().sorted().forEach(names::add);
    return names.toString();
  }
}
