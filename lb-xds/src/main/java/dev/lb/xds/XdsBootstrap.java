package dev.lb.xds;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Struct;
import com.google.protobuf.Value;
import com.google.protobuf.util.JsonFormat;
import dev.lb.LbVersion;
import io.envoyproxy.envoy.config.core.v3.Locality;
import io.envoyproxy.envoy.config.core.v3.Node;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.TlsChannelCredentials;
import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * The xDS client's configuration in gRPC's bootstrap format (gRFC A27): which control plane to talk
 * to and how, and who this client is. The same file a proxyless gRPC client reads, so one bootstrap
 * serves both.
 *
 * <pre>{@code
 * {
 *   "xds_servers": [{
 *     "server_uri": "xds.internal:18000",
 *     "channel_creds": [{"type": "insecure"}],
 *     "server_features": ["xds_v3", "ignore_resource_deletion"]
 *   }],
 *   "node": {
 *     "id": "checkout-7f9c",
 *     "cluster": "checkout",
 *     "locality": {"region": "eu-west-1", "zone": "eu-west-1a", "sub_zone": "rack-4"},
 *     "metadata": {"team": "payments"}
 *   }
 * }
 * }</pre>
 *
 * <p>What is read, and how:
 *
 * <ul>
 *   <li>{@code xds_servers}: the first entry is used (as gRPC does); its {@code server_uri} is the
 *       gRPC target of the ADS server. Of its {@code channel_creds}, the first type lb supports is
 *       used: {@code insecure} (plaintext), or {@code tls} (gRFC A65) with an optional {@code
 *       config} of {@code ca_certificate_file} (else the JVM's trust store) and {@code
 *       certificate_file} with {@code private_key_file} (a client certificate), read once when the
 *       channel is made ({@code refresh_interval} is not honoured). Other types ({@code
 *       google_default}, {@code xds}...) are passed over; a list with none lb supports is rejected,
 *       naming the types.
 *   <li>{@code server_features}: {@code ignore_resource_deletion} turns on {@link
 *       XdsEndpointSource.Builder#ignoreResourceDeletion}; the others ({@code xds_v3}, {@code
 *       trusted_xds_server}...) are kept in {@link #serverFeatures()} and change nothing.
 *   <li>{@code node}: {@code id} (required: the source sends it), {@code cluster}, {@code locality}
 *       ({@code region}, {@code zone}, {@code sub_zone}) and {@code metadata} (any JSON object)
 *       become the {@link Node} sent with every request, with user agent {@code lb} and lb's
 *       version; the locality's zone is the client's zone for zone-aware routing ({@link
 *       #localZone()}).
 *   <li>Everything else ({@code certificate_providers}, {@code authorities}, the listener name
 *       templates) is ignored: lb reads CDS and EDS of one control plane, without federation.
 * </ul>
 *
 * <p>Bad input is rejected when parsed, with an {@link IllegalArgumentException} that names the
 * field (such as {@code xds_servers[0].server_uri}) and quotes the value. Immutable and
 * thread-safe.
 */
public final class XdsBootstrap {
  /** The environment variable (and gRPC's) naming the bootstrap file. */
  public static final String BOOTSTRAP_FILE_ENV = "GRPC_XDS_BOOTSTRAP";

  /** The environment variable (and gRPC's) holding the bootstrap JSON itself. */
  public static final String BOOTSTRAP_CONFIG_ENV = "GRPC_XDS_BOOTSTRAP_CONFIG";

  /** The system properties grpc-java reads when the environment variables are unset. */
  static final String BOOTSTRAP_FILE_PROPERTY = "io.grpc.xds.bootstrap";

  static final String BOOTSTRAP_CONFIG_PROPERTY = "io.grpc.xds.bootstrapConfig";

  private final String serverUri;
  private final String channelCredentials;
  private final @Nullable String caCertificateFile;
  private final @Nullable String certificateFile;
  private final @Nullable String privateKeyFile;
  private final Set<String> serverFeatures;
  private final Node node;

  private XdsBootstrap(
      String serverUri,
      String channelCredentials,
      @Nullable String caCertificateFile,
      @Nullable String certificateFile,
      @Nullable String privateKeyFile,
      Set<String> serverFeatures,
      Node node) {
    this.serverUri = serverUri;
    this.channelCredentials = channelCredentials;
    this.caCertificateFile = caCertificateFile;
    this.certificateFile = certificateFile;
    this.privateKeyFile = privateKeyFile;
    this.serverFeatures = Set.copyOf(serverFeatures);
    this.node = node;
  }

  /**
   * Reads the bootstrap as gRPC does: the file named by {@value #BOOTSTRAP_FILE_ENV}, else the JSON
   * in {@value #BOOTSTRAP_CONFIG_ENV}, else the same from the system properties {@code
   * io.grpc.xds.bootstrap} and {@code io.grpc.xds.bootstrapConfig}.
   *
   * @return the parsed bootstrap
   * @throws IllegalStateException if none of them is set, or the file cannot be read
   * @throws IllegalArgumentException if the JSON is invalid, naming the field and its value
   */
  public static XdsBootstrap fromEnvironment() {
    return fromEnvironment(System::getenv, System::getProperty);
  }

  static XdsBootstrap fromEnvironment(
      Function<String, @Nullable String> env, Function<String, @Nullable String> properties) {
    String file = env.apply(BOOTSTRAP_FILE_ENV);
    String config = env.apply(BOOTSTRAP_CONFIG_ENV);
    if (file == null && config == null) {
      file = properties.apply(BOOTSTRAP_FILE_PROPERTY);
      config = properties.apply(BOOTSTRAP_CONFIG_PROPERTY);
    }
    if (file != null && !file.isEmpty()) {
      return read(Path.of(file));
    }
    if (config != null && !config.isEmpty()) {
      return parse(config);
    }
    throw new IllegalStateException(
        "no xDS bootstrap: set "
            + BOOTSTRAP_FILE_ENV
            + " to a file's path or "
            + BOOTSTRAP_CONFIG_ENV
            + " to its JSON (or the system properties "
            + BOOTSTRAP_FILE_PROPERTY
            + ", "
            + BOOTSTRAP_CONFIG_PROPERTY
            + ")");
  }

  /**
   * Reads a bootstrap file (UTF-8 JSON).
   *
   * @param file the file; must not be null
   * @return the parsed bootstrap
   * @throws NullPointerException if {@code file} is null
   * @throws IllegalStateException if the file cannot be read
   * @throws IllegalArgumentException if the JSON is invalid, naming the field and its value
   */
  public static XdsBootstrap read(Path file) {
    Objects.requireNonNull(file, "file must not be null");
    String json;
    try {
      json = Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException(
          "cannot read the xDS bootstrap file '" + file + "': " + e.getMessage(), e);
    }
    try {
      return parse(json);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("xDS bootstrap file '" + file + "': " + e.getMessage(), e);
    }
  }

  /**
   * Parses bootstrap JSON.
   *
   * @param json the bootstrap as JSON text; must not be null
   * @return the parsed bootstrap
   * @throws NullPointerException if {@code json} is null
   * @throws IllegalArgumentException if the JSON is malformed or a field is missing or invalid; the
   *     message names the field and quotes its value
   */
  public static XdsBootstrap parse(String json) {
    Objects.requireNonNull(json, "json must not be null");
    Struct.Builder root = Struct.newBuilder();
    try {
      JsonFormat.parser().merge(json, root);
    } catch (InvalidProtocolBufferException | RuntimeException e) {
      throw new IllegalArgumentException(
          "xDS bootstrap is not a JSON object: " + e.getMessage(), e);
    }
    Struct top = root.build();
    List<Value> servers = list(top, "xds_servers", "xds_servers", true);
    if (servers.isEmpty()) {
      throw new IllegalArgumentException("xDS bootstrap: xds_servers must not be empty but was []");
    }
    Struct server = object(servers.get(0), "xds_servers[0]");
    String uri = string(server, "server_uri", "xds_servers[0].server_uri", true);
    if (uri.isBlank()) {
      throw new IllegalArgumentException(
          "xDS bootstrap: xds_servers[0].server_uri must not be blank but was '" + uri + "'");
    }
    List<Value> creds = list(server, "channel_creds", "xds_servers[0].channel_creds", true);
    String chosen = null;
    Struct chosenConfig = Struct.getDefaultInstance();
    List<String> seen = new ArrayList<>();
    for (int i = 0; i < creds.size(); i++) {
      String field = "xds_servers[0].channel_creds[" + i + "]";
      Struct c = object(creds.get(i), field);
      String type = string(c, "type", field + ".type", true);
      seen.add(type);
      if (type.equals("insecure") || type.equals("tls")) {
        chosen = type;
        if (c.containsFields("config")) {
          chosenConfig = object(c.getFieldsOrThrow("config"), field + ".config");
        }
        break;
      }
    }
    if (chosen == null) {
      throw new IllegalArgumentException(
          "xDS bootstrap: xds_servers[0].channel_creds lists no type lb supports (insecure, tls)"
              + " but was "
              + seen);
    }
    String ca = null;
    String cert = null;
    String key = null;
    if (chosen.equals("tls")) {
      String field = "xds_servers[0].channel_creds[" + seen.indexOf("tls") + "].config";
      ca = nullableString(chosenConfig, "ca_certificate_file", field);
      cert = nullableString(chosenConfig, "certificate_file", field);
      key = nullableString(chosenConfig, "private_key_file", field);
      if ((cert == null) != (key == null)) {
        throw new IllegalArgumentException(
            "xDS bootstrap: "
                + field
                + " needs both certificate_file and private_key_file or neither but was"
                + " certificate_file="
                + quoted(cert)
                + ", private_key_file="
                + quoted(key));
      }
    }
    Set<String> features = new LinkedHashSet<>();
    List<Value> featureList =
        list(server, "server_features", "xds_servers[0].server_features", false);
    for (int i = 0; i < featureList.size(); i++) {
      Value v = featureList.get(i);
      if (v.getKindCase() != Value.KindCase.STRING_VALUE) {
        throw new IllegalArgumentException(
            "xDS bootstrap: xds_servers[0].server_features["
                + i
                + "] must be a string but was "
                + json(v));
      }
      features.add(v.getStringValue());
    }
    Node node = node(top);
    return new XdsBootstrap(uri, chosen, ca, cert, key, features, node);
  }

  private static Node node(Struct top) {
    if (!top.containsFields("node")) {
      throw new IllegalArgumentException(
          "xDS bootstrap: node is missing (it needs at least an id)");
    }
    Struct n = object(top.getFieldsOrThrow("node"), "node");
    String id = string(n, "id", "node.id", true);
    if (id.isBlank()) {
      throw new IllegalArgumentException(
          "xDS bootstrap: node.id must not be blank but was '" + id + "'");
    }
    Node.Builder node =
        Node.newBuilder().setId(id).setUserAgentName("lb").setUserAgentVersion(LbVersion.current());
    String cluster = nullableString(n, "cluster", "node");
    if (cluster != null) {
      node.setCluster(cluster);
    }
    if (n.containsFields("locality")) {
      Struct l = object(n.getFieldsOrThrow("locality"), "node.locality");
      Locality.Builder locality = Locality.newBuilder();
      String region = nullableString(l, "region", "node.locality");
      String zone = nullableString(l, "zone", "node.locality");
      String subZone = nullableString(l, "sub_zone", "node.locality");
      if (region != null) {
        locality.setRegion(region);
      }
      if (zone != null) {
        locality.setZone(zone);
      }
      if (subZone != null) {
        locality.setSubZone(subZone);
      }
      node.setLocality(locality);
    }
    if (n.containsFields("metadata")) {
      node.setMetadata(object(n.getFieldsOrThrow("metadata"), "node.metadata"));
    }
    return node.build();
  }

  private static List<Value> list(Struct s, String name, String field, boolean required) {
    if (!s.containsFields(name)) {
      if (required) {
        throw new IllegalArgumentException("xDS bootstrap: " + field + " is missing");
      }
      return List.of();
    }
    Value v = s.getFieldsOrThrow(name);
    if (v.getKindCase() != Value.KindCase.LIST_VALUE) {
      throw new IllegalArgumentException(
          "xDS bootstrap: " + field + " must be a list but was " + json(v));
    }
    return v.getListValue().getValuesList();
  }

  private static Struct object(Value v, String field) {
    if (v.getKindCase() != Value.KindCase.STRUCT_VALUE) {
      throw new IllegalArgumentException(
          "xDS bootstrap: " + field + " must be an object but was " + json(v));
    }
    return v.getStructValue();
  }

  private static String string(Struct s, String name, String field, boolean required) {
    if (!s.containsFields(name)) {
      if (required) {
        throw new IllegalArgumentException("xDS bootstrap: " + field + " is missing");
      }
      return "";
    }
    Value v = s.getFieldsOrThrow(name);
    if (v.getKindCase() != Value.KindCase.STRING_VALUE) {
      throw new IllegalArgumentException(
          "xDS bootstrap: " + field + " must be a string but was " + json(v));
    }
    return v.getStringValue();
  }

  private static @Nullable String nullableString(Struct s, String name, String parent) {
    return s.containsFields(name) ? string(s, name, parent + "." + name, true) : null;
  }

  private static String quoted(@Nullable String s) {
    return s == null ? "(unset)" : "'" + s + "'";
  }

  /** The value as JSON, for messages. */
  private static String json(Value v) {
    try {
      return JsonFormat.printer().omittingInsignificantWhitespace().print(v);
    } catch (InvalidProtocolBufferException e) {
      return v.toString();
    }
  }

  /**
   * The ADS server's gRPC target, {@code xds_servers[0].server_uri}.
   *
   * @return the target, such as {@code xds.internal:18000}
   */
  public String serverUri() {
    return serverUri;
  }

  /**
   * The channel credentials type chosen from {@code channel_creds}.
   *
   * @return {@code insecure} or {@code tls}
   */
  public String channelCredentials() {
    return channelCredentials;
  }

  /**
   * The first server's {@code server_features}.
   *
   * @return an immutable set, empty if none
   */
  public Set<String> serverFeatures() {
    return serverFeatures;
  }

  /**
   * Whether the server asks clients to keep the resources it stops sending ({@code
   * ignore_resource_deletion}, gRFC A53).
   *
   * @return true if {@code server_features} holds {@code ignore_resource_deletion}
   */
  public boolean ignoreResourceDeletion() {
    return serverFeatures.contains("ignore_resource_deletion");
  }

  /**
   * The node identity sent to the control plane.
   *
   * @return the node: id, cluster, locality, metadata, user agent {@code lb}
   */
  public Node node() {
    return node;
  }

  /**
   * The client's zone, {@code node.locality.zone}, for {@link
   * dev.lb.LoadBalancer.Builder#localZone} (endpoints' zones are their localities' zones).
   *
   * @return the zone, or null if the bootstrap gives none
   */
  public @Nullable String localZone() {
    String zone = node.getLocality().getZone();
    return zone.isEmpty() ? null : zone;
  }

  /**
   * The channel credentials the bootstrap asks for.
   *
   * @return insecure credentials, or TLS ones with the configured trust and key material
   * @throws UncheckedIOException if a TLS file cannot be read
   */
  public ChannelCredentials credentials() {
    if (channelCredentials.equals("insecure")) {
      return InsecureChannelCredentials.create();
    }
    TlsChannelCredentials.Builder tls = TlsChannelCredentials.newBuilder();
    try {
      if (caCertificateFile != null) {
        tls.trustManager(new File(caCertificateFile));
      }
      if (certificateFile != null && privateKeyFile != null) {
        tls.keyManager(new File(certificateFile), new File(privateKeyFile));
      }
    } catch (IOException e) {
      throw new UncheckedIOException(
          "cannot read the xDS bootstrap's TLS files: " + e.getMessage(), e);
    }
    return tls.build();
  }

  /**
   * Opens a channel to the ADS server with the bootstrap's credentials, through whichever gRPC
   * transport is on the class path (grpc-netty-shaded, grpc-okhttp...). The caller closes it.
   *
   * @return a new channel to {@link #serverUri()}
   */
  public ManagedChannel newChannel() {
    return Grpc.newChannelBuilder(serverUri, credentials()).build();
  }

  @Override
  public String toString() {
    return "XdsBootstrap{server="
        + serverUri
        + ", creds="
        + channelCredentials
        + ", features="
        + serverFeatures
        + ", node="
        + node.getId()
        + (localZone() == null ? "" : ", zone=" + localZone())
        + '}';
  }
}
