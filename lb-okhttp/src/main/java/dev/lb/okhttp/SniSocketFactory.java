package dev.lb.okhttp;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.util.List;
import java.util.Objects;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.SSLSocketFactory;
import org.jspecify.annotations.Nullable;

/**
 * Wraps the client's TLS socket factory so that every handshake sends the service's TLS name as its
 * SNI server name. OkHttp asks for SNI with the URL's host, which after the rewrite is the
 * endpoint's; when that is an IP address the JDK sends no SNI at all, and a server that chooses its
 * certificate by SNI (a shared ingress, a TLS-terminating proxy) would present the wrong one.
 *
 * <p>OkHttp's platform code later adds ALPN by reading the socket's parameters and writing them
 * back, which keeps the server name set here. Equal by delegate and name, because OkHttp keys
 * pooled connections by an address that includes the socket factory: equal factories let attempts
 * share connections. Immutable and thread-safe.
 */
final class SniSocketFactory extends SSLSocketFactory {
  private final SSLSocketFactory delegate;
  private final String serverName;
  private final SNIHostName sni;

  SniSocketFactory(SSLSocketFactory delegate, String serverName) {
    this.delegate = delegate;
    this.serverName = serverName;
    this.sni = new SNIHostName(serverName);
  }

  /**
   * Whether {@code name} may be sent as SNI: a DNS name, not an IP literal (RFC 6066, section 3),
   * that the JDK accepts.
   */
  static boolean isSniName(String name) {
    if (name.indexOf(':') >= 0 || name.chars().allMatch(c -> c == '.' || (c >= '0' && c <= '9'))) {
      return false;
    }
    try {
      new SNIHostName(name).getAsciiName();
      return true;
    } catch (IllegalArgumentException e) {
      return false;
    }
  }

  private Socket withServerName(Socket socket) {
    if (socket instanceof SSLSocket ssl) {
      SSLParameters parameters = ssl.getSSLParameters();
      parameters.setServerNames(List.of(sni));
      ssl.setSSLParameters(parameters);
    }
    return socket;
  }

  @Override
  public String[] getDefaultCipherSuites() {
    return delegate.getDefaultCipherSuites();
  }

  @Override
  public String[] getSupportedCipherSuites() {
    return delegate.getSupportedCipherSuites();
  }

  @Override
  public Socket createSocket(Socket socket, String host, int port, boolean autoClose)
      throws IOException {
    return withServerName(delegate.createSocket(socket, host, port, autoClose));
  }

  @Override
  public Socket createSocket() throws IOException {
    return withServerName(delegate.createSocket());
  }

  @Override
  public Socket createSocket(String host, int port) throws IOException {
    return withServerName(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(String host, int port, InetAddress localHost, int localPort)
      throws IOException {
    return withServerName(delegate.createSocket(host, port, localHost, localPort));
  }

  @Override
  public Socket createSocket(InetAddress host, int port) throws IOException {
    return withServerName(delegate.createSocket(host, port));
  }

  @Override
  public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
      throws IOException {
    return withServerName(delegate.createSocket(address, port, localAddress, localPort));
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof SniSocketFactory other
        && delegate.equals(other.delegate)
        && serverName.equals(other.serverName);
  }

  @Override
  public int hashCode() {
    return Objects.hash(delegate, serverName);
  }

  @Override
  public String toString() {
    return "SniSocketFactory{" + serverName + ", " + delegate + "}";
  }
}
